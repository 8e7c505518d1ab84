use leptos::prelude::*;

use crate::api::catalog::{AdminCreateTariff, admin_known_roles};
use crate::components::{FormErrors, TextField, input_value};
use crate::domain::catalog::{TariffDraft, TariffInput};

/// "New tariff": checked in the browser with `TariffDraft::parse`, the server's own rule.
#[component]
pub fn NewTariffForm(action: ServerAction<AdminCreateTariff>) -> impl IntoView {
    let server_error = Signal::derive(move || {
        if action.pending().get() {
            None
        } else {
            action.value().get().and_then(|r| r.err())
        }
    });
    let errors = FormErrors::new(server_error);
    let (code, name, role, price, description) = (
        NodeRef::new(),
        NodeRef::new(),
        NodeRef::new(),
        NodeRef::new(),
        NodeRef::new(),
    );
    let created = move || action.value().get().and_then(|r| r.ok()).map(|t| t.name);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = TariffInput {
            code: input_value(&code),
            name: input_value(&name),
            description: input_value(&description),
            role: input_value(&role),
            monthly_price: input_value(&price),
            currency: None,
        };
        let problems = TariffDraft::parse(&input).err().unwrap_or_default();
        if errors.check(&problems) {
            action.dispatch(AdminCreateTariff {
                code: input.code,
                name: input.name,
                description: input.description,
                role: input.role,
                monthly_price: input.monthly_price,
            });
        }
    };
    view! {
        <details class="card form-card new-tariff">
            <summary>"New tariff"</summary>
            <form on:submit=on_submit novalidate>
                {move || errors.general().map(|e| view! { <p class="alert" role="alert">{e}</p> })}
                {move || created().map(|n| view! { <p class="notice" role="status">{format!("Created {n}.")}</p> })}
                <div class="field-row">
                    <TextField id="tariff-name" label="Name" name="name" errors node_ref=name placeholder="Premium" />
                    <TextField id="tariff-code" label="Code" name="code" errors node_ref=code placeholder="premium" />
                </div>
                <div class="field-row">
                    <TextField id="tariff-role" label="Auth role" name="role" errors node_ref=role placeholder="viewer-premium" list=ROLES_LIST />
                    <TextField id="tariff-price" label="Monthly price, ₽" name="monthly_price" errors node_ref=price inputmode="decimal" placeholder="499.00" />
                </div>
                <TextField id="tariff-description" label="Description" name="description" errors node_ref=description />
                <KnownRoles />
                <button type="submit" class="button primary" disabled=move || action.pending().get()>"Create tariff"</button>
            </form>
        </details>
    }
}

/// The id of the `<datalist>` of the auth service's roles.
pub const ROLES_LIST: &str = "known-roles";

/// The auth service's roles as suggestions for the role field (when it is configured;
/// the server refuses any other role either way).
#[component]
pub fn KnownRoles() -> impl IntoView {
    let roles = Resource::new(|| (), |_| admin_known_roles());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let list = roles.await.ok().flatten().unwrap_or_default();
                view! {
                    <datalist id=ROLES_LIST>
                        {list.into_iter().map(|r| view! { <option value=r.clone()></option> }).collect_view()}
                    </datalist>
                }
            })}
        </Suspense>
    }
}
