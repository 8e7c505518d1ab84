use std::collections::BTreeMap;

use leptos::prelude::*;

use crate::domain::DomainError;
use crate::error::AppError;

/// Field errors of one form: the browser's own checks first, else the server's answer.
#[derive(Clone, Copy)]
pub struct FormErrors {
    client: RwSignal<BTreeMap<String, String>>,
    server: Signal<Option<AppError>>,
}

impl FormErrors {
    pub fn new(server: Signal<Option<AppError>>) -> Self {
        FormErrors {
            client: RwSignal::new(BTreeMap::new()),
            server,
        }
    }

    /// Records the browser-side check; returns true when there is nothing to show.
    pub fn check(&self, errors: &[DomainError]) -> bool {
        let map: BTreeMap<String, String> = errors
            .iter()
            .map(|e| (e.field().to_string(), e.message().to_string()))
            .collect();
        let ok = map.is_empty();
        self.client.set(map);
        ok
    }

    pub fn get(&self, field: &str) -> Option<String> {
        self.client
            .with(|m| m.get(field).cloned())
            .or_else(|| self.server.get().and_then(|e| e.field_error(field)))
    }

    /// A server error that belongs to no field (conflict, permission…).
    pub fn general(&self) -> Option<String> {
        match self.server.get()? {
            AppError::Validation { fields, message } if fields.is_empty() => Some(message),
            AppError::Validation { .. } => None,
            other => Some(other.to_string()),
        }
    }
}

/// A labelled input with its error below it, wired for screen readers.
#[component]
pub fn TextField(
    id: &'static str,
    label: &'static str,
    name: &'static str,
    errors: FormErrors,
    node_ref: NodeRef<leptos::html::Input>,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(optional)] placeholder: &'static str,
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] inputmode: &'static str,
    /// The id of a `<datalist>` of suggestions.
    #[prop(optional)]
    list: &'static str,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let error = move || errors.get(name);
    view! {
        <div class="field" class:invalid=move || error().is_some()>
            <label for=id>{label}</label>
            <input
                id=id
                name=name
                type=input_type
                node_ref=node_ref
                placeholder=placeholder
                inputmode=(!inputmode.is_empty()).then_some(inputmode)
                list=(!list.is_empty()).then_some(list)
                aria-invalid=move || error().is_some().to_string()
                aria-describedby=error_id.clone()
            />
            {(!hint.is_empty()).then(|| view! { <p class="field-hint">{hint}</p> })}
            <p class="field-error" id=error_id>{error}</p>
        </div>
    }
}

pub fn input_value(r: &NodeRef<leptos::html::Input>) -> String {
    r.get().map(|i| i.value()).unwrap_or_default()
}
