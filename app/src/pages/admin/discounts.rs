use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::discounts::{AdminRemoveDiscount, AdminSetDiscount, admin_list_discounts};
use crate::api::staff_session::current_staff;
use crate::components::{
    EmptyState, ErrorState, FormErrors, LoadingRows, Pager, TextField, encode_query_value,
    input_value,
};
use crate::domain::DomainError;
use crate::domain::pricing::Percent;
use crate::domain::promo::parse_instant;

/// The browser-side half of the checks `services::discounts::set` makes.
fn check(customer: &str, percent: &str, until: &str, reason: &str) -> Vec<DomainError> {
    let mut errors = Vec::new();
    if customer.trim().is_empty() {
        errors.push(DomainError::invalid(
            "customer",
            "enter the customer's e-mail or id",
        ));
    }
    errors.extend(Percent::parse(percent, "percent").err());
    errors.extend(parse_instant(until, "valid_until").err());
    if reason.trim().is_empty() {
        errors.push(DomainError::invalid(
            "reason",
            "say why the customer gets this discount",
        ));
    }
    errors
}

/// Personal discounts: give one customer a percentage off, with a reason and optional end.
#[component]
pub fn AdminDiscounts() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.with(|m| m.get("q").unwrap_or_default());
    let page = move || {
        query
            .with(|m| m.get("page"))
            .and_then(|p| p.parse::<u32>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    };
    let me = Resource::new(|| (), |_| current_staff());
    let set = ServerAction::<AdminSetDiscount>::new();
    let remove = ServerAction::<AdminRemoveDiscount>::new();
    let list = Resource::new(
        move || (q(), page(), set.version().get(), remove.version().get()),
        |(q, p, ..)| admin_list_discounts(q, p),
    );

    let server_error = Signal::derive(move || {
        if set.pending().get() {
            None
        } else {
            set.value().get().and_then(|r| r.err())
        }
    });
    let errors = FormErrors::new(server_error);
    let (customer, percent, until, reason) = (
        NodeRef::new(),
        NodeRef::new(),
        NodeRef::new(),
        NodeRef::new(),
    );
    let done = move || {
        set.value().get().and_then(|r| r.ok()).map(|d| {
            format!(
                "{} now has {} % off.",
                d.customer_email
                    .unwrap_or_else(|| d.customer_id.to_string()),
                d.percent
            )
        })
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (c, p, u, r) = (
            input_value(&customer),
            input_value(&percent),
            input_value(&until),
            input_value(&reason),
        );
        if errors.check(&check(&c, &p, &u, &r)) {
            set.dispatch(AdminSetDiscount {
                customer: c,
                percent: p,
                valid_until: u,
                reason: r,
            });
        }
    };

    view! {
        <Title text="Personal discounts" />
        <div class="page-head">
            <h1>"Personal discounts"</h1>
            <p class="page-lead">"A percentage off for one customer. It competes with month discounts and promo codes: the best single discount applies."</p>
        </div>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let can_edit = matches!(me.await, Ok(Some(s)) if s.role.can_edit_catalog());
                can_edit.then(|| view! {
                    <form class="card form-card discount-form" on:submit=on_submit novalidate aria-labelledby="discount-title">
                        <h2 id="discount-title">"Set a discount"</h2>
                        {move || errors.general().map(|e| view! { <p class="alert" role="alert">{e}</p> })}
                        {move || done().map(|m| view! { <p class="notice" role="status">{m}</p> })}
                        <TextField id="discount-customer" label="Customer e-mail or id" name="customer" errors node_ref=customer placeholder="customer01@example.com" />
                        <div class="field-row">
                            <TextField id="discount-percent" label="Percent off" name="percent" errors node_ref=percent inputmode="decimal" placeholder="15" />
                            <TextField id="discount-until" label="Valid until" name="valid_until" errors node_ref=until input_type="date" hint="Empty: no end" />
                        </div>
                        <TextField id="discount-reason" label="Reason" name="reason" errors node_ref=reason placeholder="Compensation for an outage" />
                        <button type="submit" class="button primary" disabled=move || set.pending().get()>"Save discount"</button>
                    </form>
                })
            })}
        </Suspense>
        <h2 class="section-title">"Active discounts"</h2>
        <Form method="GET" action="" attr:class="filters" attr:role="search">
            <div class="field inline">
                <label for="discount-q">"Customer e-mail"</label>
                <input id="discount-q" type="search" name="q" prop:value=q />
            </div>
            <button type="submit" class="button">"Search"</button>
        </Form>
        <Transition fallback=|| view! { <LoadingRows rows=3 /> }>
            {move || Suspend::new(async move {
                let can_edit = matches!(me.await, Ok(Some(s)) if s.role.can_edit_catalog());
                match list.await {
                    Ok(page) if page.items.is_empty() => view! {
                        <EmptyState title="No active personal discounts".to_string() hint="Discounts you set appear here until they end or are removed." />
                    }.into_any(),
                    Ok(page) => {
                        let (first, last) = page.shown_range();
                        let page_count = page.page_count();
                        let q_now = q();
                        view! {
                            <div class="table-wrap"><table class="data-table">
                                <caption class="visually-hidden">"Active personal discounts"</caption>
                                <thead><tr>
                                    <th scope="col">"Customer"</th>
                                    <th scope="col" class="num">"Discount"</th>
                                    <th scope="col">"Until"</th>
                                    <th scope="col">"Reason"</th>
                                    {can_edit.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}
                                </tr></thead>
                                <tbody>
                                    {page.items.into_iter().map(|d| {
                                        let customer_id = d.customer_id;
                                        let who = d.customer_email.clone().unwrap_or_else(|| d.customer_id.to_string());
                                        view! {
                                            <tr>
                                                <td data-label="Customer"><span class="strong">{d.customer_name.clone().unwrap_or_default()}</span><span class="sub">{who.clone()}</span></td>
                                                <td data-label="Discount" class="num money">{format!("{} %", d.percent)}</td>
                                                <td data-label="Until">{d.valid_until.as_deref().map(|s| s.chars().take(10).collect::<String>()).unwrap_or_else(|| "no end".into())}</td>
                                                <td data-label="Reason">{d.reason.clone()}</td>
                                                {can_edit.then(|| view! {
                                                    <td class="actions">
                                                        <button type="button" class="button ghost small danger" aria-label=format!("Remove the discount of {who}")
                                                            on:click=move |_| { remove.dispatch(AdminRemoveDiscount { customer_id }); }>"Remove"</button>
                                                    </td>
                                                })}
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table></div>
                            <Pager page=page.page page_count first last total=page.total href_for=move |p| format!("/admin/personal-discounts?q={}&page={p}", encode_query_value(&q_now)) />
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorState error /> }.into_any(),
                }
            })}
        </Transition>
    }
}
