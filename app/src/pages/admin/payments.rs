use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::support::admin_list_payments;
use crate::components::{EmptyState, ErrorState, LoadingRows, SelectFilter, encode_query_value};

const STATUSES: [(&str, &str); 6] = [
    ("", "All statuses"),
    ("pending", "Pending"),
    ("succeeded", "Succeeded"),
    ("failed", "Failed"),
    ("canceled", "Canceled"),
    ("refunded", "Refunded"),
];

/// Support's payments list: filters by status, customer and dates; keyset pages
/// ("Older payments") that stay fast however deep you go.
#[component]
pub fn AdminPayments() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &'static str| query.with(|m| m.get(k).unwrap_or_default());
    let list = Resource::new(
        move || {
            (
                get("status"),
                get("customer"),
                get("from"),
                get("to"),
                get("cursor"),
            )
        },
        |(status, customer, from, to, cursor)| {
            admin_list_payments(
                Some(status),
                Some(customer),
                Some(from),
                Some(to),
                Some(cursor),
            )
        },
    );
    let base = move || {
        format!(
            "/admin/payments?status={}&customer={}&from={}&to={}",
            encode_query_value(&get("status")),
            encode_query_value(&get("customer")),
            encode_query_value(&get("from")),
            encode_query_value(&get("to")),
        )
    };

    view! {
        <Title text="Payments" />
        <div class="page-head">
            <h1>"Payments"</h1>
            <p class="page-lead">"Every payment attempt, newest first. Open one to see its timeline and refund it."</p>
        </div>
        <Form method="GET" action="" attr:class="filters" attr:role="search">
            <SelectFilter id="pay-status" label="Status" name="status" options=&STATUSES current=Signal::derive(move || get("status")) />
            <div class="field inline">
                <label for="pay-customer">"Customer e-mail or id"</label>
                <input id="pay-customer" type="search" name="customer" prop:value=move || get("customer") />
            </div>
            <div class="field inline">
                <label for="pay-from">"From"</label>
                <input id="pay-from" type="date" name="from" prop:value=move || get("from") />
            </div>
            <div class="field inline">
                <label for="pay-to">"To"</label>
                <input id="pay-to" type="date" name="to" prop:value=move || get("to") />
            </div>
            <button type="submit" class="button">"Filter"</button>
        </Form>
        <Transition fallback=|| view! { <LoadingRows rows=5 label="Loading payments…" /> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(page) if page.data.is_empty() => view! {
                        <EmptyState title="No payments match".to_string() hint="Clear the filters to see every payment." />
                    }.into_any(),
                    Ok(page) => {
                        let next = page.next_cursor.clone().map(|c| format!("{}&cursor={}", base(), encode_query_value(&c)));
                        let deep = !get("cursor").is_empty();
                        view! {
                            <div class="table-wrap"><table class="data-table payments-admin">
                                <caption class="visually-hidden">"Payments"</caption>
                                <thead><tr>
                                    <th scope="col">"Created"</th>
                                    <th scope="col">"Customer"</th>
                                    <th scope="col">"Invoice"</th>
                                    <th scope="col" class="num">"Amount"</th>
                                    <th scope="col">"Status"</th>
                                </tr></thead>
                                <tbody>
                                    {page.data.into_iter().map(|p| view! {
                                        <tr data-status=p.status.clone()>
                                            <td data-label="Created"><a href=format!("/admin/payments/{}", p.id)>{p.created_at.replace('T', " ").replace('Z', "")}</a></td>
                                            <td data-label="Customer"><a href=format!("/admin/customers/{}", p.customer_id)>{p.customer_email.clone().unwrap_or_else(|| p.customer_id.to_string())}</a></td>
                                            <td data-label="Invoice">{p.invoice_number.clone()}</td>
                                            <td data-label="Amount" class="num money">{p.amount.display()}</td>
                                            <td data-label="Status"><span class=format!("badge pay-{}", p.status)>{p.status.clone()}</span></td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table></div>
                            <nav class="pager" aria-label="Pages">
                                <div class="pager-links">
                                    {deep.then(|| view! { <a class="button small" href=base()>"Newest"</a> })}
                                    {match next {
                                        Some(href) => view! { <a class="button small" href=href rel="next">"Older payments"</a> }.into_any(),
                                        None => view! { <span class="muted">"No older payments"</span> }.into_any(),
                                    }}
                                </div>
                            </nav>
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorState error /> }.into_any(),
                }
            })}
        </Transition>
    }
}
