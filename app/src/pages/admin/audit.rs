use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::console::admin_audit;
use crate::components::{
    CursorPager, EmptyState, ErrorState, LoadingRows, SelectFilter, when, with_query,
};
use crate::dto::AuditEntryDto;

const ENTITIES: &[(&str, &str)] = &[
    ("", "Everything"),
    ("tariff", "Tariffs"),
    ("promo_code", "Promo codes"),
    ("month_discounts", "Month discounts"),
    ("film", "Films"),
    ("customer", "Customers"),
    ("invoice", "Invoices"),
    ("payment", "Payments"),
    ("subscription", "Subscriptions"),
    ("staff", "Staff"),
    ("staff_token", "API tokens"),
];

fn entity_link(e: &AuditEntryDto) -> Option<String> {
    let id = &e.entity_id;
    match e.entity_type.as_str() {
        "tariff" => Some(format!("/admin/tariffs/{id}")),
        "customer" => Some(format!("/admin/customers/{id}")),
        "invoice" => Some(format!("/admin/invoices/{id}")),
        "payment" => Some(format!("/admin/payments/{id}")),
        _ => None,
    }
}

/// The audit log: who did what and when, with each change as a readable before → after.
#[component]
pub fn AdminAudit() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &'static str| query.with(|m| m.get(k).unwrap_or_default());
    let keys = ["actor", "action", "entity_type", "entity_id", "from", "to"];
    let filters = move || keys.iter().map(|k| (*k, get(k))).collect::<Vec<_>>();
    let list = Resource::new(
        move || (filters(), get("cursor")),
        |(f, c)| {
            let v = |i: usize| f[i].1.clone();
            admin_audit(v(0), v(1), v(2), v(3), v(4), v(5), c)
        },
    );
    view! {
        <Title text="Audit log" />
        <div class="page-head">
            <h1>"Audit log"</h1>
            <p class="page-lead">"Every change staff and the system made, newest first, with what it was before and after."</p>
        </div>
        <Form method="GET" action="" attr:class="filters" attr:role="search">
            <div class="field inline">
                <label for="audit-actor">"Who"</label>
                <input id="audit-actor" type="search" name="actor" prop:value=move || get("actor") placeholder="e-mail" />
            </div>
            <div class="field inline">
                <label for="audit-action">"Action"</label>
                <input id="audit-action" type="search" name="action" prop:value=move || get("action") placeholder="tariff.updated" />
            </div>
            <SelectFilter id="audit-entity" label="On" name="entity_type" options=ENTITIES current=Signal::derive(move || get("entity_type")) />
            <div class="field inline">
                <label for="audit-from">"From"</label>
                <input id="audit-from" type="date" name="from" prop:value=move || get("from") />
            </div>
            <div class="field inline">
                <label for="audit-to">"To"</label>
                <input id="audit-to" type="date" name="to" prop:value=move || get("to") />
            </div>
            <input type="hidden" name="entity_id" prop:value=move || get("entity_id") />
            <button type="submit" class="button">"Filter"</button>
        </Form>
        <Transition fallback=|| view! { <LoadingRows rows=6 label="Loading the audit log…" /> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(page) if page.data.is_empty() => view! {
                        <EmptyState title="Nothing recorded matches".to_string() hint="Clear the filters to see every change." />
                    }.into_any(),
                    Ok(page) => view! {
                        <ol class="audit-list">
                            {page.data.into_iter().map(|e| {
                                let link = entity_link(&e);
                                let target = format!("{} {}", e.entity_type, e.entity_id);
                                view! {
                                    <li class="audit-entry card" data-action=e.action.clone()>
                                        <p class="audit-head">
                                            <span class="audit-when">{when(&e.at)}</span>
                                            <strong class="audit-actor">{e.actor.clone()}</strong>
                                            <code class="audit-action">{e.action.clone()}</code>
                                            {match link {
                                                Some(href) => view! { <a class="audit-target" href=href>{target}</a> }.into_any(),
                                                None => view! { <span class="audit-target muted">{target}</span> }.into_any(),
                                            }}
                                        </p>
                                        {(!e.changes.is_empty()).then(|| view! {
                                            <table class="data-table compact diff">
                                                <caption class="visually-hidden">"Changes"</caption>
                                                <thead><tr><th scope="col">"Field"</th><th scope="col">"Before"</th><th scope="col">"After"</th></tr></thead>
                                                <tbody>
                                                    {e.changes.into_iter().map(|c| view! {
                                                        <tr>
                                                            <th scope="row"><code>{c.field}</code></th>
                                                            <td class="diff-before">{c.before.unwrap_or_else(|| "—".into())}</td>
                                                            <td class="diff-after">{c.after.unwrap_or_else(|| "—".into())}</td>
                                                        </tr>
                                                    }).collect_view()}
                                                </tbody>
                                            </table>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ol>
                        <CursorPager
                            base=with_query("/admin/audit", &filters())
                            next_cursor=page.next_cursor
                            deep=!get("cursor").is_empty()
                            older="Older changes"
                            csv=with_query("/admin/export/audit.csv", &filters())
                        />
                    }.into_any(),
                    Err(error) => view! { <ErrorState error /> }.into_any(),
                }
            })}
        </Transition>
    }
}
