use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use crate::api::console::{AdminVoidInvoice, admin_invoice};
use crate::components::{ErrorState, FormErrors, LoadingRows, TextField, input_value, when};
use crate::dto::{AdminInvoiceDto, DiscountDto};
use crate::error::AppError;

fn discount_line(d: &DiscountDto) -> String {
    let what = match d.kind.as_str() {
        "personal" => "Personal discount",
        "promo" => "Promo code",
        "months" => "Discount for several months",
        _ => "Discount",
    };
    match &d.percent {
        Some(p) => format!("{what} {p} % · −{}", d.amount.display()),
        None => format!("{what} · −{}", d.amount.display()),
    }
}

/// One invoice: the frozen quote (the discount that won and those that lost, with why),
/// its payments and refunds; an open one can be voided with a reason.
#[component]
pub fn AdminInvoice() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|i| Uuid::parse_str(&i).ok()));
    let void = ServerAction::<AdminVoidInvoice>::new();
    let data = Resource::new(
        move || (id(), void.version().get()),
        |(id, _)| async move {
            match id {
                Some(id) => admin_invoice(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Title text="Invoice" />
        <p class="breadcrumb"><a href="/admin/invoices">"Invoices"</a></p>
        <Transition fallback=|| view! { <LoadingRows rows=4 /> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(i) => view! { <InvoiceView data=i.data form_key=i.form_key void /> }.into_any(),
                    Err(error) => view! { <ErrorState error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn InvoiceView(
    data: AdminInvoiceDto,
    form_key: String,
    void: ServerAction<AdminVoidInvoice>,
) -> impl IntoView {
    let i = data.invoice.clone();
    let server_error = Signal::derive(move || {
        if void.pending().get() {
            None
        } else {
            void.value().get().and_then(|r| r.err())
        }
    });
    let errors = FormErrors::new(server_error);
    let reason = NodeRef::new();
    let invoice_id = i.id;
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let r = input_value(&reason);
        let problems = match crate::domain::validation::required_reason(&r) {
            Ok(_) => Vec::new(),
            Err(e) => vec![e],
        };
        if errors.check(&problems) {
            void.dispatch(AdminVoidInvoice {
                id: invoice_id,
                reason: r,
                key: form_key.clone(),
            });
        }
    };
    let voidable = i.status == "open" && i.kind == "purchase";
    view! {
        <div class="page-head">
            <h1>{format!("Invoice {} · {}", i.number, i.total.display())}</h1>
            <p class="page-lead"><span class=format!("badge inv-{}", i.status) data-testid="invoice-status">{i.status.clone()}</span></p>
        </div>
        <div class="card">
            <dl class="facts">
                <div><dt>"Customer"</dt><dd><a href=format!("/admin/customers/{}", i.customer_id)>{i.customer_email.clone().unwrap_or_else(|| i.customer_id.to_string())}</a></dd></div>
                <div><dt>"What"</dt><dd>{format!("{} for {} month(s) · {}", i.tariff_name, i.months, i.kind)}</dd></div>
                <div><dt>"Created"</dt><dd>{when(&i.created_at)}</dd></div>
                <div><dt>"Paid"</dt><dd>{i.paid_at.as_deref().map(when).unwrap_or_else(|| "—".into())}</dd></div>
                {data.void_reason.clone().map(|r| view! { <div><dt>"Voided because"</dt><dd>{r}</dd></div> })}
            </dl>
        </div>
        <h2 class="section-title">"Quote frozen at checkout"</h2>
        <div class="card">
            <table class="data-table compact quote-table">
                <caption class="visually-hidden">"Quote"</caption>
                <tbody>
                    <tr><th scope="row">"List price"</th><td class="num money">{data.list_price.display()}</td></tr>
                    {data.applied_discount.clone().map(|d| view! {
                        <tr><th scope="row">"Applied"</th><td>{discount_line(&d)}{data.promo_code.clone().filter(|_| d.kind == "promo").map(|c| format!(" ({c})"))}</td></tr>
                    })}
                    {data.rejected_discounts.iter().map(|d| view! {
                        <tr class="muted"><th scope="row">"Not applied"</th><td>{discount_line(d)}{d.reason.clone().map(|r| format!(" — {r}"))}</td></tr>
                    }).collect_view()}
                    <tr class="total"><th scope="row">"Total"</th><td class="num money">{i.total.display()}</td></tr>
                </tbody>
            </table>
            <details class="raw"><summary>"Quote as stored"</summary><pre>{serde_json::to_string_pretty(&data.quote).unwrap_or_default()}</pre></details>
        </div>
        <h2 class="section-title">"Payments"</h2>
        {if data.payments.is_empty() {
            view! { <p class="muted">"No payment was made for this invoice."</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap"><table class="data-table">
                    <caption class="visually-hidden">"Payments"</caption>
                    <thead><tr><th scope="col">"Created"</th><th scope="col" class="num">"Amount"</th><th scope="col">"Status"</th></tr></thead>
                    <tbody>
                        {data.payments.iter().map(|p| view! {
                            <tr>
                                <td data-label="Created"><a href=format!("/admin/payments/{}", p.id)>{when(&p.created_at)}</a></td>
                                <td data-label="Amount" class="num money">{p.amount.display()}</td>
                                <td data-label="Status"><span class=format!("badge pay-{}", p.status)>{p.status.clone()}</span></td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table></div>
            }.into_any()
        }}
        {(!data.refunds.is_empty()).then(|| view! {
            <h2 class="section-title">"Refunds"</h2>
            <ul class="plain-list">
                {data.refunds.iter().map(|r| view! {
                    <li>{format!("{} · {} · {}", when(&r.created_at), r.amount.display(), r.status)}</li>
                }).collect_view()}
            </ul>
        })}
        {voidable.then(|| view! {
            <form class="card form-card" on:submit=on_submit novalidate aria-labelledby="void-title">
                <h2 id="void-title">"Void this invoice"</h2>
                <p class="muted">"The customer can no longer pay it; a payment in progress is canceled at the provider."</p>
                {move || errors.general().map(|e| view! { <p class="alert" role="alert">{e}</p> })}
                <TextField id="void-reason" label="Reason" name="reason" errors node_ref=reason placeholder="Customer asked to start over" />
                <button type="submit" class="button danger" disabled=move || void.pending().get()>"Void invoice"</button>
            </form>
        })}
    }
}
