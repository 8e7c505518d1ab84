use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::console::admin_customers;
use crate::components::{CursorPager, EmptyState, ErrorState, LoadingRows, when, with_query};

/// A subscription status as a coloured pill.
pub fn status_badge(status: &str) -> impl IntoView + use<> {
    let label = match status {
        "active" => "Active",
        "grace" => "Grace",
        "expired" => "Expired",
        "canceled" => "Canceled",
        _ => "No subscription",
    };
    view! { <span class=format!("badge sub-{status}")>{label}</span> }
}

/// Support's customer search: by e-mail, name or id, newest first.
#[component]
pub fn AdminCustomers() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &'static str| query.with(|m| m.get(k).unwrap_or_default());
    let list = Resource::new(
        move || (get("q"), get("cursor")),
        |(q, c)| admin_customers(q, c),
    );
    let base = move || with_query("/admin/customers", &[("q", get("q"))]);
    view! {
        <Title text="Customers" />
        <div class="page-head">
            <h1>"Customers"</h1>
            <p class="page-lead">"Find a customer by e-mail, name or id, and open their account."</p>
        </div>
        <Form method="GET" action="" attr:class="filters" attr:role="search">
            <div class="field inline grow">
                <label for="cust-q">"E-mail, name or id"</label>
                <input id="cust-q" type="search" name="q" prop:value=move || get("q") autocomplete="off" />
            </div>
            <button type="submit" class="button">"Search"</button>
        </Form>
        <Transition fallback=|| view! { <LoadingRows rows=5 label="Loading customers…" /> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(page) if page.data.is_empty() => view! {
                        <EmptyState title="No customers match".to_string() hint="Try part of the e-mail, or clear the search." />
                    }.into_any(),
                    Ok(page) => view! {
                        <div class="table-wrap"><table class="data-table">
                            <caption class="visually-hidden">"Customers"</caption>
                            <thead><tr>
                                <th scope="col">"Customer"</th>
                                <th scope="col">"Subscription"</th>
                                <th scope="col">"Tariff"</th>
                                <th scope="col">"Period ends"</th>
                                <th scope="col">"Since"</th>
                            </tr></thead>
                            <tbody>
                                {page.data.into_iter().map(|c| {
                                    let name = c.name.clone().or(c.email.clone()).unwrap_or_else(|| c.id.to_string());
                                    view! {
                                        <tr>
                                            <td data-label="Customer">
                                                <a href=format!("/admin/customers/{}", c.id)>{name}</a>
                                                {c.name.is_some().then(|| c.email.clone()).flatten().map(|e| view! { <span class="muted small block">{e}</span> })}
                                            </td>
                                            <td data-label="Subscription">{status_badge(&c.subscription_status)}</td>
                                            <td data-label="Tariff">{c.tariff_name.clone().unwrap_or_else(|| "—".into())}</td>
                                            <td data-label="Period ends">{c.current_period_end.as_deref().map(when).unwrap_or_else(|| "—".into())}</td>
                                            <td data-label="Since">{c.created_at.chars().take(10).collect::<String>()}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table></div>
                        <CursorPager
                            base=base()
                            next_cursor=page.next_cursor
                            deep=!get("cursor").is_empty()
                            older="Older customers"
                            csv=with_query("/admin/export/customers.csv", &[("q", get("q"))])
                        />
                    }.into_any(),
                    Err(error) => view! { <ErrorState error /> }.into_any(),
                }
            })}
        </Transition>
    }
}
