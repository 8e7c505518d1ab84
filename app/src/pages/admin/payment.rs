use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use crate::api::staff_session::current_staff;
use crate::api::support::{AdminRefundPayment, admin_payment, admin_provider_payment};
use crate::components::{ErrorState, FormErrors, LoadingRows, TextField, input_value, when};
use crate::domain::DomainError;
use crate::dto::AdminPaymentDto;
use crate::error::AppError;

/// One payment: the facts, the timeline (each webhook with its raw body), and a refund
/// with a reason.
#[component]
pub fn AdminPayment() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|i| Uuid::parse_str(&i).ok()));
    let refund = ServerAction::<AdminRefundPayment>::new();
    let data = Resource::new(
        move || (id(), refund.version().get()),
        |(id, _)| async move {
            match id {
                Some(id) => admin_payment(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Title text="Payment" />
        <p class="breadcrumb"><a href="/admin/payments">"Payments"</a></p>
        <Transition fallback=|| view! { <LoadingRows rows=4 /> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(p) => view! { <PaymentView data=p.data form_key=p.form_key refund /> }.into_any(),
                    Err(error) => view! { <ErrorState error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn PaymentView(
    data: AdminPaymentDto,
    /// Sent with the refund form: a double submit is one refund.
    form_key: String,
    refund: ServerAction<AdminRefundPayment>,
) -> impl IntoView {
    let p = data.payment.clone();
    let me = Resource::new(|| (), |_| current_staff());
    let server_error = Signal::derive(move || {
        if refund.pending().get() {
            None
        } else {
            refund.value().get().and_then(|r| r.err())
        }
    });
    let errors = FormErrors::new(server_error);
    let (reason, override_reason, partial_amount) =
        (NodeRef::new(), NodeRef::new(), NodeRef::new());
    let period = RwSignal::new("shorten".to_string());
    let payment_id = p.id;
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let r = input_value(&reason);
        let o = input_value(&override_reason);
        let a = input_value(&partial_amount);
        let mut problems = Vec::new();
        if !a.trim().is_empty() && o.trim().is_empty() {
            problems.push(DomainError::invalid(
                "override_reason",
                "A partial refund needs the override reason.",
            ));
        }
        if r.trim().len() < 3 {
            problems.push(DomainError::invalid(
                "reason",
                "Say why the customer gets their money back (at least 3 characters).",
            ));
        }
        if errors.check(&problems) {
            refund.dispatch(AdminRefundPayment {
                payment_id,
                reason: r,
                override_reason: Some(o).filter(|o| !o.trim().is_empty()),
                key: form_key.clone(),
                amount: Some(a).filter(|a| !a.trim().is_empty()),
                period: Some(period.get_untracked()),
            });
        }
    };
    let refundable = p.status == "succeeded";
    view! {
        <div class="page-head">
            <h1>{format!("Payment {} · {}", p.invoice_number, p.amount.display())}</h1>
            <p class="page-lead"><span class=format!("badge pay-{}", p.status) data-testid="payment-status">{p.status.clone()}</span></p>
        </div>
        <div class="card">
            <dl class="facts">
                <div><dt>"Customer"</dt><dd><a href=format!("/admin/customers/{}", data.customer.id)>{data.customer.display_name()}</a></dd></div>
                <div><dt>"What"</dt><dd>{p.description.clone()}</dd></div>
                <div><dt>"Created"</dt><dd>{when(&p.created_at)}</dd></div>
                <div><dt>"Paid"</dt><dd>{p.paid_at.as_deref().map(when).unwrap_or_else(|| "—".into())}</dd></div>
                <div><dt>"Provider"</dt><dd>{format!("{} {}", data.provider, data.provider_payment_id.clone().unwrap_or_default())}</dd></div>
                {p.failure_message.clone().map(|m| view! { <div><dt>"Failure"</dt><dd>{m}</dd></div> })}
                {data.refund.clone().map(|r| view! { <div><dt>"Refund"</dt><dd>{format!("{} · {}", r.status, r.amount.display())}</dd></div> })}
            </dl>
        </div>
        <ProviderObject payment_id />
        <h2 class="section-title">"Timeline"</h2>
        <ol class="timeline">
            {data.timeline.into_iter().map(|e| view! {
                <li data-kind=e.kind.clone()>
                    <span class="timeline-when">{when(&e.at)}</span>
                    <span class="timeline-what"><strong>{e.kind.clone()}</strong>" · "<span class="muted">{e.source.clone()}</span></span>
                    {e.note.map(|n| view! { <span class="timeline-note">{n}</span> })}
                    {e.payload.map(|raw| view! {
                        <details class="raw"><summary>"Raw webhook"</summary><pre>{raw}</pre></details>
                    })}
                </li>
            }).collect_view()}
        </ol>
        {refundable.then(|| view! {
            <form class="card form-card" on:submit=on_submit novalidate aria-labelledby="refund-title">
                <h2 id="refund-title">"Refund this payment"</h2>
                {move || errors.general().map(|e| view! { <p class="alert" role="alert">{e}</p> })}
                <TextField id="refund-reason" label="Reason" name="reason" errors node_ref=reason placeholder="Charged twice by mistake" />
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let admin = matches!(me.await, Ok(Some(s)) if s.role.can_override_refund_window());
                        admin.then(|| view! {
                            <TextField id="refund-override" label="Override the refund window (admins only)" name="override_reason" errors node_ref=override_reason hint="Leave empty to keep the 60-minute window" />
                            <TextField id="refund-amount" label="Refund only part, ₽ (admins, with the override)" name="amount" errors node_ref=partial_amount inputmode="decimal" hint="Leave empty to refund the whole payment" />
                            <fieldset class="field">
                                <legend>"For a partial refund, the paid period"</legend>
                                <label class="radio"><input type="radio" name="period" value="shorten" prop:checked=move || period.get() == "shorten" on:change=move |_| period.set("shorten".into()) />" ends earlier in proportion"</label>
                                <label class="radio"><input type="radio" name="period" value="keep" prop:checked=move || period.get() == "keep" on:change=move |_| period.set("keep".into()) />" stays as paid for"</label>
                            </fieldset>
                        })
                    })}
                </Suspense>
                <button type="submit" class="button primary" disabled=move || refund.pending().get()>"Refund"</button>
            </form>
        })}
    }
}

/// The payment as the provider's API shows it now, loaded after the page (the provider
/// may be slow, and the rest of the page does not wait for it).
#[component]
fn ProviderObject(payment_id: Uuid) -> impl IntoView {
    let object = Resource::new(move || payment_id, admin_provider_payment);
    view! {
        <h2 class="section-title">"At the provider"</h2>
        <div class="card provider-object" data-testid="provider-object">
            <Suspense fallback=|| view! { <p class="muted">"Asking the provider…"</p> }>
                {move || Suspend::new(async move {
                    match object.await {
                        Ok(o) => match (o.raw, o.note) {
                            (Some(raw), _) => view! {
                                <details class="raw"><summary>{format!("Raw object from {}", o.provider)}</summary><pre>{raw}</pre></details>
                            }.into_any(),
                            (None, note) => view! { <p class="muted">{note.unwrap_or_default()}</p> }.into_any(),
                        },
                        Err(error) => view! { <ErrorState error /> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}
