use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::promos::{
    AdminCreatePromo, AdminDeletePromo, AdminGeneratePromos, AdminSetPromoActive, admin_list_promos,
};
use crate::api::staff_session::current_staff;
use crate::components::{
    EmptyState, ErrorState, FormErrors, LoadingRows, Pager, TextField, encode_query_value,
    input_value,
};
use crate::domain::promo::{
    PromoTermsInput, validate_batch_count, validate_batch_prefix, validate_promo_code,
    validate_promo_terms,
};
use crate::dto::{PromoBatchDto, PromoDto};

const STATUSES: [(&str, &str); 5] = [
    ("all", "All"),
    ("active", "Active"),
    ("inactive", "Switched off"),
    ("expired", "Expired"),
    ("exhausted", "Used up"),
];

fn discount_text(p: &PromoDto) -> String {
    match (&p.percent, &p.amount) {
        (Some(pct), _) => format!("{pct} %"),
        (None, Some(a)) => a.display(),
        _ => "—".into(),
    }
}

fn date_only(t: &Option<String>) -> String {
    t.as_deref()
        .map(|s| s.chars().take(10).collect())
        .unwrap_or_else(|| "—".into())
}

fn status_badge(status: &str) -> impl IntoView + use<> {
    let (class, label) = match status {
        "active" => ("badge ok", "Active"),
        "inactive" => ("badge muted", "Switched off"),
        "scheduled" => ("badge muted", "Scheduled"),
        "expired" => ("badge muted", "Expired"),
        "exhausted" => ("badge muted", "Used up"),
        _ => ("badge muted", "Unknown"),
    };
    view! { <span class=class>{label}</span> }
}

/// Promo codes: create one, bulk-generate with a CSV download, search, switch off, delete
/// unused. Support sees the list only; the server refuses their writes regardless.
#[component]
pub fn AdminPromos() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.with(|m| m.get("q").unwrap_or_default());
    let status = move || {
        query
            .with(|m| m.get("status"))
            .filter(|s| STATUSES.iter().any(|(v, _)| v == s))
            .unwrap_or_else(|| "all".into())
    };
    let page = move || {
        query
            .with(|m| m.get("page"))
            .and_then(|p| p.parse::<u32>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    };

    let me = Resource::new(|| (), |_| current_staff());
    let create = ServerAction::<AdminCreatePromo>::new();
    let generate = ServerAction::<AdminGeneratePromos>::new();
    let toggle = ServerAction::<AdminSetPromoActive>::new();
    let delete = ServerAction::<AdminDeletePromo>::new();
    let promos = Resource::new(
        move || {
            (
                q(),
                status(),
                page(),
                create.version().get(),
                generate.version().get(),
                toggle.version().get(),
                delete.version().get(),
            )
        },
        |(q, s, p, ..)| admin_list_promos(q, s, p),
    );
    let row_error = move || {
        toggle
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| delete.value().get().and_then(|r| r.err()))
            .map(|e| e.to_string())
    };

    view! {
        <Title text="Promo codes" />
        <div class="page-head">
            <h1>"Promo codes"</h1>
            <p class="page-lead">"Codes customers type at checkout. A code gives a percent or a fixed amount off; it never combines with other discounts."</p>
        </div>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let can_edit = matches!(me.await, Ok(Some(s)) if s.role.can_edit_catalog());
                can_edit.then(|| view! {
                    <div class="form-grid">
                        <CreatePromoForm action=create />
                        <GeneratePromosForm action=generate />
                    </div>
                })
            })}
        </Suspense>
        <h2 class="section-title">"All codes"</h2>
        <Form method="GET" action="" attr:class="filters" attr:role="search">
            <div class="field inline">
                <label for="promo-q">"Search"</label>
                <input id="promo-q" type="search" name="q" placeholder="Code" prop:value=q />
            </div>
            <div class="field inline">
                <label for="promo-status">"Status"</label>
                <select id="promo-status" name="status">
                    {STATUSES.iter().map(|(v, l)| view! { <option value=*v selected=move || status() == *v>{*l}</option> }).collect_view()}
                </select>
            </div>
            <button type="submit" class="button">"Apply"</button>
        </Form>
        {move || row_error().map(|e| view! { <p class="alert" role="alert">{e}</p> })}
        <Transition fallback=|| view! { <LoadingRows rows=4 label="Loading promo codes…" /> }>
            {move || Suspend::new(async move {
                let can_edit = matches!(me.await, Ok(Some(s)) if s.role.can_edit_catalog());
                match promos.await {
                    Ok(list) if list.items.is_empty() => {
                        let filtered = !q().is_empty() || status() != "all";
                        view! {
                            <EmptyState title=if filtered { "No promo codes match these filters".to_string() } else { "No promo codes yet".to_string() }
                                hint=if filtered { "Try another search or status." } else { "Create one above, or generate a batch." }>
                                {filtered.then(|| view! { <a class="button ghost" href="/admin/promo-codes">"Clear filters"</a> })}
                            </EmptyState>
                        }.into_any()
                    }
                    Ok(list) => {
                        let (first, last) = list.shown_range();
                        let page_count = list.page_count();
                        let (q_now, s_now) = (q(), status());
                        let href_for = move |p: u32| format!("/admin/promo-codes?q={}&status={}&page={p}", encode_query_value(&q_now), encode_query_value(&s_now));
                        view! {
                            <div class="table-wrap">
                                <table class="data-table">
                                    <caption class="visually-hidden">"Promo codes"</caption>
                                    <thead><tr>
                                        <th scope="col">"Code"</th>
                                        <th scope="col" class="num">"Discount"</th>
                                        <th scope="col">"Valid until"</th>
                                        <th scope="col" class="num">"Used"</th>
                                        <th scope="col">"Status"</th>
                                        {can_edit.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}
                                    </tr></thead>
                                    <tbody>
                                        {list.items.into_iter().map(|p| {
                                            let id = p.id;
                                            let active = p.active;
                                            let unused = p.redemption_count == 0;
                                            let code = p.code.clone();
                                            view! {
                                                <tr data-code=p.code.clone()>
                                                    <td data-label="Code"><code>{p.code.clone()}</code></td>
                                                    <td data-label="Discount" class="num money">{discount_text(&p)}</td>
                                                    <td data-label="Valid until">{date_only(&p.valid_until)}</td>
                                                    <td data-label="Used" class="num">{match p.max_redemptions { Some(m) => format!("{} / {m}", p.redemption_count), None => p.redemption_count.to_string() }}</td>
                                                    <td data-label="Status">{status_badge(&p.status)}</td>
                                                    {can_edit.then(|| view! {
                                                        <td data-label="Actions" class="actions">
                                                            <button type="button" class="button ghost small"
                                                                aria-label=format!("{} {code}", if active { "Switch off" } else { "Switch on" })
                                                                on:click=move |_| { toggle.dispatch(AdminSetPromoActive { id, active: !active }); }>
                                                                {if active { "Switch off" } else { "Switch on" }}
                                                            </button>
                                                            {unused.then(|| view! {
                                                                <button type="button" class="button ghost small danger"
                                                                    aria-label=format!("Delete {}", p.code)
                                                                    on:click=move |_| { delete.dispatch(AdminDeletePromo { id }); }>
                                                                    "Delete"
                                                                </button>
                                                            })}
                                                        </td>
                                                    })}
                                                </tr>
                                            }
                                        }).collect_view()}
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

#[component]
fn CreatePromoForm(action: ServerAction<AdminCreatePromo>) -> impl IntoView {
    let server_error = Signal::derive(move || {
        if action.pending().get() {
            None
        } else {
            action.value().get().and_then(|r| r.err())
        }
    });
    let errors = FormErrors::new(server_error);
    let (code, percent, amount, until, max) = (
        NodeRef::new(),
        NodeRef::new(),
        NodeRef::new(),
        NodeRef::new(),
        NodeRef::new(),
    );
    let created = move || action.value().get().and_then(|r| r.ok()).map(|p| p.code);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let terms = PromoTermsInput {
            percent: input_value(&percent),
            amount: input_value(&amount),
            valid_from: String::new(),
            valid_until: input_value(&until),
            max_redemptions: input_value(&max),
        };
        let mut problems = validate_promo_terms(&terms).err().unwrap_or_default();
        if let Err(e) = validate_promo_code(&input_value(&code)) {
            problems.insert(0, e);
        }
        if errors.check(&problems) {
            action.dispatch(AdminCreatePromo {
                code: input_value(&code),
                percent: terms.percent,
                amount: terms.amount,
                valid_until: terms.valid_until,
                max_redemptions: terms.max_redemptions,
            });
        }
    };
    view! {
        <form class="card form-card" on:submit=on_submit novalidate aria-labelledby="create-promo-title">
            <h2 id="create-promo-title">"New promo code"</h2>
            {move || errors.general().map(|e| view! { <p class="alert" role="alert">{e}</p> })}
            {move || created().map(|c| view! { <p class="notice" role="status">{format!("Created {c}.")}</p> })}
            <TextField id="promo-code" label="Code" name="code" errors node_ref=code placeholder="SPRING-25" />
            <div class="field-row">
                <TextField id="promo-percent" label="Percent off" name="percent" errors node_ref=percent inputmode="decimal" placeholder="10" />
                <TextField id="promo-amount" label="or amount off, ₽" name="amount" errors node_ref=amount inputmode="decimal" placeholder="150.00" />
            </div>
            <div class="field-row">
                <TextField id="promo-until" label="Valid until" name="valid_until" errors node_ref=until input_type="date" />
                <TextField id="promo-max" label="Max uses" name="max_redemptions" errors node_ref=max inputmode="numeric" placeholder="unlimited" />
            </div>
            <button type="submit" class="button primary" disabled=move || action.pending().get()>"Create code"</button>
        </form>
    }
}

fn csv_href(batch: &PromoBatchDto) -> String {
    format!(
        "data:text/csv;charset=utf-8,{}",
        encode_query_value(&batch.to_csv())
    )
}

#[component]
fn GeneratePromosForm(action: ServerAction<AdminGeneratePromos>) -> impl IntoView {
    let server_error = Signal::derive(move || {
        if action.pending().get() {
            None
        } else {
            action.value().get().and_then(|r| r.err())
        }
    });
    let errors = FormErrors::new(server_error);
    let (prefix, count, percent, amount, until, max) = (
        NodeRef::new(),
        NodeRef::new(),
        NodeRef::new(),
        NodeRef::new(),
        NodeRef::new(),
        NodeRef::new(),
    );
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let terms = PromoTermsInput {
            percent: input_value(&percent),
            amount: input_value(&amount),
            valid_from: String::new(),
            valid_until: input_value(&until),
            max_redemptions: input_value(&max),
        };
        let mut problems = validate_promo_terms(&terms).err().unwrap_or_default();
        problems.extend(validate_batch_prefix(&input_value(&prefix)).err());
        problems.extend(validate_batch_count(&input_value(&count)).err());
        if errors.check(&problems) {
            action.dispatch(AdminGeneratePromos {
                prefix: input_value(&prefix),
                count: input_value(&count),
                percent: terms.percent,
                amount: terms.amount,
                valid_until: terms.valid_until,
                max_redemptions: terms.max_redemptions,
            });
        }
    };
    let batch = move || action.value().get().and_then(|r| r.ok());
    view! {
        <form class="card form-card" on:submit=on_submit novalidate aria-labelledby="batch-title">
            <h2 id="batch-title">"Generate a batch"</h2>
            {move || errors.general().map(|e| view! { <p class="alert" role="alert">{e}</p> })}
            {move || batch().map(|b| {
                let file = format!("promo-codes-{}.csv", b.prefix.trim_end_matches('-'));
                view! {
                    <p class="notice" role="status">
                        {format!("Generated {} codes. ", b.codes.len())}
                        <a href=csv_href(&b) download=file class="download-link">"Download CSV"</a>
                    </p>
                }
            })}
            <div class="field-row">
                <TextField id="batch-prefix" label="Prefix" name="prefix" errors node_ref=prefix placeholder="XMAS-" />
                <TextField id="batch-count" label="How many" name="count" errors node_ref=count inputmode="numeric" placeholder="100" hint="Up to 10 000" />
            </div>
            <div class="field-row">
                <TextField id="batch-percent" label="Percent off" name="percent" errors node_ref=percent inputmode="decimal" placeholder="10" />
                <TextField id="batch-amount" label="or amount off, ₽" name="amount" errors node_ref=amount inputmode="decimal" />
            </div>
            <div class="field-row">
                <TextField id="batch-until" label="Valid until" name="valid_until" errors node_ref=until input_type="date" />
                <TextField id="batch-max" label="Max uses per code" name="max_redemptions" errors node_ref=max inputmode="numeric" placeholder="unlimited" />
            </div>
            <button type="submit" class="button primary" disabled=move || action.pending().get()>
                {move || if action.pending().get() { "Generating…" } else { "Generate codes" }}
            </button>
        </form>
    }
}
