use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::system::{AdminRetryOutbox, admin_outbox};
use crate::components::{EmptyState, ErrorState, LoadingRows, encode_query_value, when};
use crate::dto::OutboxMessageDto;

const TABS: [(&str, &str); 3] = [
    ("pending", "Pending"),
    ("dead", "Dead"),
    ("delivered", "Delivered"),
];

const DESTINATIONS: [(&str, &str); 4] = [
    ("", "All destinations"),
    ("events", "Events (RabbitMQ)"),
    ("notify", "Notifications"),
    ("auth", "Auth service"),
];

/// The outbox: what is waiting to be delivered, what died and why, and "retry now".
#[component]
pub fn AdminOutbox() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &'static str| query.with(|m| m.get(k).unwrap_or_default());
    let status = move || {
        let s = get("status");
        if s.is_empty() {
            "pending".to_string()
        } else {
            s
        }
    };
    let retry = ServerAction::<AdminRetryOutbox>::new();
    let list = Resource::new(
        move || {
            (
                status(),
                get("destination"),
                get("q"),
                get("cursor"),
                retry.version().get(),
            )
        },
        |(status, destination, q, cursor, _)| {
            admin_outbox(Some(status), Some(destination), Some(q), Some(cursor))
        },
    );
    let link = move |s: &str| {
        format!(
            "/admin/outbox?status={}&destination={}&q={}",
            encode_query_value(s),
            encode_query_value(&get("destination")),
            encode_query_value(&get("q")),
        )
    };
    view! {
        <Title text="Outbox" />
        <div class="page-head">
            <h1>"Outbox"</h1>
            <p class="page-lead">"Every event, notification and role change leaves through here, at least once, with retries. Dead messages need a person."</p>
        </div>
        <Form method="GET" action="" attr:class="filters" attr:role="search">
            <input type="hidden" name="status" prop:value=status />
            <div class="field inline">
                <label for="outbox-destination">"Destination"</label>
                <select id="outbox-destination" name="destination">
                    {DESTINATIONS.iter().map(|(v, label)| {
                        let v = *v;
                        view! { <option value=v selected=move || get("destination") == v>{*label}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="field inline">
                <label for="outbox-q">"Kind or message id"</label>
                <input id="outbox-q" type="search" name="q" placeholder="payment.succeeded" prop:value=move || get("q") />
            </div>
            <button type="submit" class="button">"Filter"</button>
        </Form>
        {move || retry.value().get().and_then(|r| r.err()).map(|e| view! { <p class="alert" role="alert">{e.to_string()}</p> })}
        <Transition fallback=|| view! { <LoadingRows rows=5 label="Loading messages…" /> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(page) => {
                        let counts = page.counts.clone();
                        let current = status();
                        let tabs = TABS.iter().map(|(v, label)| {
                            let n = match *v { "pending" => counts.pending, "dead" => counts.dead, _ => counts.delivered };
                            let selected = current == *v;
                            view! {
                                <a class="tab" href=link(v) aria-current=selected.then_some("page") data-testid=format!("tab-{v}")>
                                    {*label}" "<span class="count">{n}</span>
                                </a>
                            }
                        }).collect_view();
                        let relays = page.relays.iter().map(|r| format!("{} → {}", r.destination, r.via)).collect::<Vec<_>>().join(" · ");
                        let next = page.next_cursor.clone().map(|c| format!("{}&cursor={}", link(&current), encode_query_value(&c)));
                        let body = if page.data.is_empty() {
                            let hint = if current == "dead" { "Nothing has died. Good." } else { "Nothing here with these filters." };
                            view! { <EmptyState title=format!("No {current} messages") hint=hint /> }.into_any()
                        } else {
                            view! {
                                <div class="table-wrap"><table class="data-table outbox">
                                    <caption class="visually-hidden">"Outbox messages"</caption>
                                    <thead><tr>
                                        <th scope="col">"Created"</th>
                                        <th scope="col">"Destination"</th>
                                        <th scope="col">"Kind"</th>
                                        <th scope="col" class="num">"Attempts"</th>
                                        <th scope="col">"Status"</th>
                                        <th scope="col">"Last error"</th>
                                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                    </tr></thead>
                                    <tbody>
                                        {page.data.into_iter().map(|m| view! { <OutboxRow m retry /> }).collect_view()}
                                    </tbody>
                                </table></div>
                            }.into_any()
                        };
                        view! {
                            <nav class="tabs" aria-label="Message status">{tabs}</nav>
                            <p class="muted small">"Relays: "{relays}</p>
                            {body}
                            <nav class="pager" aria-label="Pages">
                                <div class="pager-links">
                                    {(!get("cursor").is_empty()).then(|| view! { <a class="button small" href=link(&current)>"Newest"</a> })}
                                    {next.map(|href| view! { <a class="button small" href=href rel="next">"Older messages"</a> })}
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

#[component]
fn OutboxRow(m: OutboxMessageDto, retry: ServerAction<AdminRetryOutbox>) -> impl IntoView {
    let id = m.id;
    let status_note = match m.status.as_str() {
        "pending" => m
            .next_attempt_at
            .as_deref()
            .map(|t| format!("next try {}", when(t))),
        "dead" => m.dead_at.as_deref().map(|t| format!("died {}", when(t))),
        _ => m
            .delivered_at
            .as_deref()
            .map(|t| format!("delivered {}", when(t))),
    };
    let can_retry = m.status != "delivered";
    let label = format!("Retry message {} now", m.kind);
    view! {
        <tr data-status=m.status.clone() data-kind=m.kind.clone()>
            <td data-label="Created">{when(&m.created_at)}</td>
            <td data-label="Destination">{m.destination.clone()}</td>
            <td data-label="Kind">
                <details class="raw"><summary><code>{m.kind.clone()}</code></summary>
                    <p class="muted small">"Message id "<code>{m.id.to_string()}</code></p>
                    <pre>{m.payload.clone()}</pre>
                </details>
            </td>
            <td data-label="Attempts" class="num">{m.attempts}</td>
            <td data-label="Status">
                <span class=format!("badge outbox-{}", m.status)>{m.status.clone()}</span>
                {status_note.map(|n| view! { <span class="muted small block">{n}</span> })}
            </td>
            <td data-label="Last error" class="error-text">{m.last_error.clone().unwrap_or_else(|| "—".into())}</td>
            <td data-label="Actions">
                {can_retry.then(|| view! {
                    <button type="button" class="button small" aria-label=label.clone()
                        disabled=move || retry.pending().get()
                        on:click=move |_| { retry.dispatch(AdminRetryOutbox { id }); }>
                        "Retry now"
                    </button>
                })}
            </td>
        </tr>
    }
}
