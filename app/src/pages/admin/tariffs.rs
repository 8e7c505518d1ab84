use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::catalog::{AdminCreateTariff, admin_list_tariffs};
use crate::api::staff_session::current_staff;
use crate::components::{EmptyState, ErrorState, LoadingRows, Pager, encode_query_value};

const STATUSES: [(&str, &str); 3] = [
    ("all", "All"),
    ("active", "On sale"),
    ("archived", "Archived"),
];

/// Staff view of the price list: every tariff, searchable, filterable, paged.
/// Filters live in the URL, so the back button and shared links work.
#[component]
pub fn AdminTariffs() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.with(|m| m.get("q").unwrap_or_default());
    let status = move || {
        query
            .with(|m| m.get("status"))
            .filter(|s| STATUSES.iter().any(|(v, _)| v == s))
            .unwrap_or_else(|| "all".to_string())
    };
    let page = move || {
        query
            .with(|m| m.get("page"))
            .and_then(|p| p.parse::<u32>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    };
    let create = ServerAction::<AdminCreateTariff>::new();
    let me = Resource::new(|| (), |_| current_staff());
    let tariffs = Resource::new(
        move || (q(), status(), page(), create.version().get()),
        |(q, s, p, _)| admin_list_tariffs(q, s, p),
    );

    view! {
        <Title text="Tariffs" />
        <div class="page-head">
            <h1>"Tariffs"</h1>
            <p class="page-lead">"What customers can buy, at what monthly price, and which films each tariff includes."</p>
        </div>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let can_edit = matches!(me.await, Ok(Some(s)) if s.role.can_edit_catalog());
                can_edit.then(|| view! { <super::tariff_form::NewTariffForm action=create /> })
            })}
        </Suspense>
        <Form method="GET" action="" attr:class="filters" attr:role="search">
            <div class="field inline">
                <label for="tariff-q">"Search"</label>
                <input id="tariff-q" type="search" name="q" placeholder="Code or name" prop:value=q />
            </div>
            <div class="field inline">
                <label for="tariff-status">"Status"</label>
                <select id="tariff-status" name="status">
                    {STATUSES
                        .iter()
                        .map(|(value, label)| view! { <option value=*value selected=move || status() == *value>{*label}</option> })
                        .collect_view()}
                </select>
            </div>
            <button type="submit" class="button">"Apply"</button>
        </Form>
        <Transition fallback=|| view! { <LoadingRows rows=4 label="Loading tariffs…" /> }>
            {move || Suspend::new(async move {
                match tariffs.await {
                    Ok(list) if list.items.is_empty() => {
                        let filtered = !q().is_empty() || status() != "all";
                        view! {
                            <EmptyState
                                title=if filtered { "No tariffs match these filters".to_string() } else { "No tariffs yet".to_string() }
                                hint=if filtered { "Try another search or status." } else { "Tariffs created by marketing appear here." }
                            >
                                {filtered.then(|| view! { <a class="button ghost" href="/admin/tariffs">"Clear filters"</a> })}
                            </EmptyState>
                        }.into_any()
                    }
                    Ok(list) => {
                        let (first, last) = list.shown_range();
                        let page_count = list.page_count();
                        let (q_now, s_now) = (q(), status());
                        let href_for = move |p: u32| format!("/admin/tariffs?q={}&status={}&page={p}", encode_query_value(&q_now), encode_query_value(&s_now));
                        view! {
                            <div class="table-wrap">
                                <table class="data-table">
                                    <caption class="visually-hidden">"Tariffs"</caption>
                                    <thead>
                                        <tr>
                                            <th scope="col">"Name"</th>
                                            <th scope="col">"Code"</th>
                                            <th scope="col">"Auth role"</th>
                                            <th scope="col" class="num">"Monthly price"</th>
                                            <th scope="col" class="num">"Films"</th>
                                            <th scope="col">"Status"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {list.items.into_iter().map(|t| {
                                            let row_code = t.code.clone();
                                            view! {
                                            <tr data-code=row_code>
                                                <td data-label="Name">
                                                    <a class="strong" href=format!("/admin/tariffs/{}", t.id)>{t.name}</a>
                                                    <span class="sub">{t.films.iter().map(|f| f.title.clone()).collect::<Vec<_>>().join(", ")}</span>
                                                </td>
                                                <td data-label="Code"><code>{t.code}</code></td>
                                                <td data-label="Auth role"><code>{t.role}</code></td>
                                                <td data-label="Monthly price" class="num money">{t.monthly_price.display()}</td>
                                                <td data-label="Films" class="num">{t.films.len()}</td>
                                                <td data-label="Status">
                                                    {if t.active {
                                                        view! { <span class="badge ok">"On sale"</span> }.into_any()
                                                    } else {
                                                        view! { <span class="badge muted">"Archived"</span> }.into_any()
                                                    }}
                                                </td>
                                            </tr>
                                        }}).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <Pager page=list.page page_count first last total=list.total href_for />
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorState error /> }.into_any(),
                }
            })}
        </Transition>
    }
}
