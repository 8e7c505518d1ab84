use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use super::customers::status_badge;
use crate::api::catalog::admin_list_tariffs;
use crate::api::console::admin_subscriptions;
use crate::components::{
    CursorPager, EmptyState, ErrorState, LoadingRows, SelectFilter, when, with_query,
};

const STATUSES: [(&str, &str); 5] = [
    ("", "All statuses"),
    ("active", "Active"),
    ("grace", "Grace"),
    ("expired", "Expired"),
    ("canceled", "Canceled"),
];

/// Subscriptions by status and tariff, with their periods and auto-renewal.
#[component]
pub fn AdminSubscriptions() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &'static str| query.with(|m| m.get(k).unwrap_or_default());
    let list = Resource::new(
        move || (get("status"), get("tariff_id"), get("cursor")),
        |(s, t, c)| admin_subscriptions(s, t, c),
    );
    let tariffs = Resource::new(
        || (),
        |_| admin_list_tariffs(String::new(), "all".into(), 1),
    );
    let filters = move || vec![("status", get("status")), ("tariff_id", get("tariff_id"))];
    view! {
        <Title text="Subscriptions" />
        <div class="page-head">
            <h1>"Subscriptions"</h1>
            <p class="page-lead">"Every customer's subscription: its status, tariff, current period and whether it renews."</p>
        </div>
        <Form method="GET" action="" attr:class="filters" attr:role="search">
            <SelectFilter id="sub-status" label="Status" name="status" options=&STATUSES current=Signal::derive(move || get("status")) />
            <div class="field inline">
                <label for="sub-tariff">"Tariff"</label>
                <Suspense fallback=|| view! { <select id="sub-tariff" name="tariff_id"><option value="">"All tariffs"</option></select> }>
                    {move || Suspend::new(async move {
                        let options = tariffs.await.map(|page| page.items).unwrap_or_default();
                        view! {
                            <select id="sub-tariff" name="tariff_id">
                                <option value="">"All tariffs"</option>
                                {options.into_iter().map(|t| {
                                    let id = t.id.to_string();
                                    let selected = get("tariff_id") == id;
                                    view! { <option value=id selected=selected>{t.name}</option> }
                                }).collect_view()}
                            </select>
                        }
                    })}
                </Suspense>
            </div>
            <button type="submit" class="button">"Filter"</button>
        </Form>
        <Transition fallback=|| view! { <LoadingRows rows=5 label="Loading subscriptions…" /> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(page) if page.data.is_empty() => view! {
                        <EmptyState title="No subscriptions match".to_string() hint="Clear the filters to see every subscription." />
                    }.into_any(),
                    Ok(page) => view! {
                        <div class="table-wrap"><table class="data-table">
                            <caption class="visually-hidden">"Subscriptions"</caption>
                            <thead><tr>
                                <th scope="col">"Customer"</th>
                                <th scope="col">"Tariff"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col">"Current period"</th>
                                <th scope="col">"Renews"</th>
                            </tr></thead>
                            <tbody>
                                {page.data.into_iter().map(|s| view! {
                                    <tr data-status=s.status.clone()>
                                        <td data-label="Customer"><a href=format!("/admin/customers/{}", s.customer_id)>{s.customer_email.clone().unwrap_or_else(|| s.customer_id.to_string())}</a></td>
                                        <td data-label="Tariff">
                                            {s.tariff_name.clone()}
                                            {s.next_tariff_name.clone().map(|n| view! { <span class="muted small block">{format!("then {n}")}</span> })}
                                        </td>
                                        <td data-label="Status">{status_badge(&s.status)}</td>
                                        <td data-label="Current period">{format!("{} → {}", &s.current_period_start[..10.min(s.current_period_start.len())], when(&s.current_period_end))}</td>
                                        <td data-label="Renews">{if s.auto_renew { "Yes" } else { "No" }}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table></div>
                        <CursorPager
                            base=with_query("/admin/subscriptions", &filters())
                            next_cursor=page.next_cursor
                            deep=!get("cursor").is_empty()
                            older="Older subscriptions"
                            csv=with_query("/admin/export/subscriptions.csv", &filters())
                        />
                    }.into_any(),
                    Err(error) => view! { <ErrorState error /> }.into_any(),
                }
            })}
        </Transition>
    }
}
