use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::console::admin_invoices;
use crate::components::{
    CursorPager, EmptyState, ErrorState, LoadingRows, SelectFilter, when, with_query,
};

const STATUSES: [(&str, &str); 4] = [
    ("", "All statuses"),
    ("open", "Open"),
    ("paid", "Paid"),
    ("void", "Void"),
];

/// Invoices, newest first: filters by status, customer and dates.
#[component]
pub fn AdminInvoices() -> impl IntoView {
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
        |(s, c, f, t, cur)| admin_invoices(s, c, f, t, cur),
    );
    let filters = move || {
        vec![
            ("status", get("status")),
            ("customer", get("customer")),
            ("from", get("from")),
            ("to", get("to")),
        ]
    };
    view! {
        <Title text="Invoices" />
        <div class="page-head">
            <h1>"Invoices"</h1>
            <p class="page-lead">"What each customer was billed, with the quote frozen at checkout. Open one to see its payments or void it."</p>
        </div>
        <Form method="GET" action="" attr:class="filters" attr:role="search">
            <SelectFilter id="inv-status" label="Status" name="status" options=&STATUSES current=Signal::derive(move || get("status")) />
            <div class="field inline">
                <label for="inv-customer">"Customer e-mail or id"</label>
                <input id="inv-customer" type="search" name="customer" prop:value=move || get("customer") />
            </div>
            <div class="field inline">
                <label for="inv-from">"From"</label>
                <input id="inv-from" type="date" name="from" prop:value=move || get("from") />
            </div>
            <div class="field inline">
                <label for="inv-to">"To"</label>
                <input id="inv-to" type="date" name="to" prop:value=move || get("to") />
            </div>
            <button type="submit" class="button">"Filter"</button>
        </Form>
        <Transition fallback=|| view! { <LoadingRows rows=5 label="Loading invoices…" /> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(page) if page.data.is_empty() => view! {
                        <EmptyState title="No invoices match".to_string() hint="Clear the filters to see every invoice." />
                    }.into_any(),
                    Ok(page) => view! {
                        <div class="table-wrap"><table class="data-table">
                            <caption class="visually-hidden">"Invoices"</caption>
                            <thead><tr>
                                <th scope="col">"Number"</th>
                                <th scope="col">"Customer"</th>
                                <th scope="col">"Tariff"</th>
                                <th scope="col" class="num">"Total"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col">"Created"</th>
                            </tr></thead>
                            <tbody>
                                {page.data.into_iter().map(|i| view! {
                                    <tr data-status=i.status.clone()>
                                        <td data-label="Number"><a href=format!("/admin/invoices/{}", i.id)>{i.number.clone()}</a></td>
                                        <td data-label="Customer"><a href=format!("/admin/customers/{}", i.customer_id)>{i.customer_email.clone().unwrap_or_else(|| i.customer_id.to_string())}</a></td>
                                        <td data-label="Tariff">{format!("{} × {} mo{}", i.tariff_name, i.months, if i.kind == "renewal" { " · renewal" } else { "" })}</td>
                                        <td data-label="Total" class="num money">{i.total.display()}</td>
                                        <td data-label="Status"><span class=format!("badge inv-{}", i.status)>{i.status.clone()}</span></td>
                                        <td data-label="Created">{when(&i.created_at)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table></div>
                        <CursorPager
                            base=with_query("/admin/invoices", &filters())
                            next_cursor=page.next_cursor
                            deep=!get("cursor").is_empty()
                            older="Older invoices"
                            csv=with_query("/admin/export/invoices.csv", &filters())
                        />
                    }.into_any(),
                    Err(error) => view! { <ErrorState error /> }.into_any(),
                }
            })}
        </Transition>
    }
}
