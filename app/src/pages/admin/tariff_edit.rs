use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use crate::api::catalog::{AdminSetTariffActive, AdminUpdateTariff, admin_tariff_editor};
use crate::api::staff_session::current_staff;
use crate::components::{ErrorState, FormErrors, LoadingRows};
use crate::domain::Currency;
use crate::domain::catalog::{validate_monthly_price, validate_tariff_name, validate_tariff_role};
use crate::dto::TariffEditDto;

/// One tariff: rename, reprice (old and new price side by side), choose films,
/// archive or restore, and the price history.
#[component]
pub fn AdminTariffEdit() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .with(|p| p.get("id"))
            .and_then(|s| s.parse::<Uuid>().ok())
    };
    let save = ServerAction::<AdminUpdateTariff>::new();
    let archive = ServerAction::<AdminSetTariffActive>::new();
    let me = Resource::new(|| (), |_| current_staff());
    let editor = Resource::new(
        move || (id(), save.version().get(), archive.version().get()),
        |(id, ..)| async move {
            match id {
                Some(id) => admin_tariff_editor(id).await,
                None => Err(crate::error::AppError::NotFound),
            }
        },
    );
    view! {
        <Title text="Edit tariff" />
        <p class="breadcrumb"><a href="/admin/tariffs">"← All tariffs"</a></p>
        <Transition fallback=|| view! { <LoadingRows rows=4 /> }>
            {move || Suspend::new(async move {
                let can_edit = matches!(me.await, Ok(Some(s)) if s.role.can_edit_catalog());
                match editor.await {
                    Ok(data) => view! { <Editor data can_edit save archive /> }.into_any(),
                    Err(error) => view! { <ErrorState error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Editor(
    data: TariffEditDto,
    can_edit: bool,
    save: ServerAction<AdminUpdateTariff>,
    archive: ServerAction<AdminSetTariffActive>,
) -> impl IntoView {
    let t = data.tariff.clone();
    let id = t.id;
    let active = t.active;
    let name = RwSignal::new(t.name.clone());
    let description = RwSignal::new(t.description.clone());
    let role = RwSignal::new(t.role.clone());
    let price = RwSignal::new(t.monthly_price.amount.clone());
    let chosen = RwSignal::new(t.films.iter().map(|f| f.id).collect::<Vec<_>>());
    let old_price = t.monthly_price.display();
    let old_price_text = old_price.clone();
    let affected = data.active_subscriptions;
    let server_error = Signal::derive(move || {
        if save.pending().get() {
            None
        } else {
            save.value().get().and_then(|r| r.err())
        }
    });
    let errors = FormErrors::new(server_error);
    let saved = move || !save.pending().get() && matches!(save.value().get(), Some(Ok(_)));
    let new_price = move || {
        validate_monthly_price(&price.get(), Currency::Rub)
            .ok()
            .map(|m| m.display())
    };

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let problems: Vec<_> = [
            validate_tariff_name(&name.get_untracked()).err(),
            validate_tariff_role(&role.get_untracked()).err(),
            validate_monthly_price(&price.get_untracked(), Currency::Rub).err(),
        ]
        .into_iter()
        .flatten()
        .collect();
        if errors.check(&problems) {
            save.dispatch(AdminUpdateTariff {
                id,
                name: name.get_untracked(),
                description: description.get_untracked(),
                role: role.get_untracked(),
                monthly_price: price.get_untracked(),
                film_ids: chosen.get_untracked(),
            });
        }
    };

    let field = move |id: &'static str,
                      label: &'static str,
                      key: &'static str,
                      value: RwSignal<String>| {
        let error = move || errors.get(key);
        view! {
            <div class="field" class:invalid=move || error().is_some()>
                <label for=id>{label}</label>
                <input id=id bind:value=value disabled=!can_edit list=(key == "role").then_some(super::tariff_form::ROLES_LIST) aria-invalid=move || error().is_some().to_string() aria-describedby=format!("{id}-error") />
                <p class="field-error" id=format!("{id}-error")>{error}</p>
            </div>
        }
    };

    view! {
        <div class="page-head">
            <h1>{t.name.clone()} " " {if active { view! { <span class="badge ok">"On sale"</span> }.into_any() } else { view! { <span class="badge muted">"Archived"</span> }.into_any() }}</h1>
            <p class="page-lead"><code>{t.code.clone()}</code> " · " {format!("{} films", t.films.len())}</p>
        </div>
        <form class="card form-card tariff-editor" on:submit=on_submit novalidate>
            {move || errors.general().map(|e| view! { <p class="alert" role="alert">{e}</p> })}
            {move || saved().then(|| view! { <p class="notice" role="status">"Saved."</p> })}
            <div class="field-row">
                {field("edit-name", "Name", "name", name)}
                {field("edit-role", "Auth role", "role", role)}
            </div>
            <super::tariff_form::KnownRoles />
            <div class="field">
                <label for="edit-description">"Description"</label>
                <textarea id="edit-description" rows="3" bind:value=description disabled=!can_edit></textarea>
            </div>
            <div class="field-row">
                {field("edit-price", "Monthly price, ₽", "monthly_price", price)}
                <div class="price-change" aria-live="polite">
                    <span class="muted">"Now "</span><strong>{old_price_text}</strong>
                    {move || new_price().filter(|n| *n != old_price).map(|n| view! {
                        <span class="muted">" → new "</span><strong class="new-price">{n}</strong>
                        <p class="field-hint affected">{renewal_note(affected)}</p>
                    })}
                </div>
            </div>
            <fieldset class="film-choice">
                <legend>"Films in this tariff"</legend>
                {data.all_films.iter().map(|f| {
                    let film_id = f.id;
                    let input_id = format!("film-{film_id}");
                    view! {
                        <label class="check" for=input_id.clone()>
                            <input type="checkbox" id=input_id.clone() disabled=!can_edit
                                prop:checked=move || chosen.with(|c| c.contains(&film_id))
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    chosen.update(|c| { c.retain(|x| *x != film_id); if on { c.push(film_id); } });
                                } />
                            {format!("{} ({})", f.title, f.year)}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            {can_edit.then(|| view! {
                <div class="form-actions">
                    <button type="submit" class="button primary" disabled=move || save.pending().get()>"Save changes"</button>
                    <button type="button" class="button" on:click=move |_| { archive.dispatch(AdminSetTariffActive { id, active: !active }); }>
                        {if active { "Archive (stop selling)" } else { "Restore (sell again)" }}
                    </button>
                </div>
            })}
        </form>
        <h2 class="section-title">"Price history"</h2>
        {if data.history.is_empty() {
            view! { <p class="empty-hint">"The price has not changed since the tariff was created."</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap"><table class="data-table">
                    <caption class="visually-hidden">"Price history"</caption>
                    <thead><tr><th scope="col">"When"</th><th scope="col" class="num">"Old"</th><th scope="col" class="num">"New"</th><th scope="col">"By"</th></tr></thead>
                    <tbody>
                        {data.history.iter().map(|h| view! {
                            <tr>
                                <td data-label="When">{h.changed_at.clone()}</td>
                                <td data-label="Old" class="num money">{h.old_price.display()}</td>
                                <td data-label="New" class="num money">{h.new_price.display()}</td>
                                <td data-label="By">{h.changed_by.clone()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table></div>
            }.into_any()
        }}
    }
}

/// What a reprice means for existing customers.
fn renewal_note(affected: u64) -> String {
    let subs = match affected {
        0 => "No active subscriptions are affected".to_string(),
        1 => "1 active subscription renews at the new price".to_string(),
        n => format!("{n} active subscriptions renew at the new price"),
    };
    format!("{subs}; issued invoices keep the price they were issued at.")
}
