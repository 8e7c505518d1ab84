use leptos::html;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::staff_session::StaffLogin;
use crate::domain::validation::{validate_email, validate_login_password};
use crate::error::AppError;

/// Messages for errors reported in the URL after a sign-in without JavaScript.
fn message_for_code(code: &str) -> &'static str {
    match code {
        "invalid_credentials" => "Wrong e-mail or password.",
        "too_many_attempts" => "Too many sign-in attempts. Try again in 15 minutes.",
        "validation_failed" => "Enter your e-mail and password.",
        _ => "Sign-in failed. Please try again.",
    }
}

/// Staff sign-in. Works before hydration as a plain form post; after hydration the same
/// checks as the server run in the browser first and errors appear next to the fields.
#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<StaffLogin>::new();
    let query = use_query_map();
    let email_ref = NodeRef::<html::Input>::new();
    let password_ref = NodeRef::<html::Input>::new();
    let client_email_error = RwSignal::new(None::<String>);
    let client_password_error = RwSignal::new(None::<String>);

    let next = move || query.with(|q| q.get("next")).unwrap_or_default();
    let server_error = move || action.value().get().and_then(|r| r.err());
    let form_error = move || {
        if action.pending().get() {
            return None;
        }
        match server_error() {
            Some(AppError::Validation { .. }) => None,
            Some(e) => Some(e.to_string()),
            None => query
                .with(|q| q.get("error"))
                .map(|c| message_for_code(&c).to_string()),
        }
    };
    let field_error = move |field: &'static str, client: RwSignal<Option<String>>| {
        move || {
            client
                .get()
                .or_else(|| server_error().and_then(|e| e.field_error(field)))
        }
    };
    let email_error = field_error("email", client_email_error);
    let password_error = field_error("password", client_password_error);
    let signed_out = move || query.with(|q| q.get("signed_out").is_some());

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let email = email_ref.get().map(|i| i.value()).unwrap_or_default();
        let password = password_ref.get().map(|i| i.value()).unwrap_or_default();
        let email_check = validate_email(&email)
            .err()
            .map(|e| e.message().to_string());
        let password_check = validate_login_password(&password)
            .err()
            .map(|e| e.message().to_string());
        let ok = email_check.is_none() && password_check.is_none();
        client_email_error.set(email_check);
        client_password_error.set(password_check);
        if ok {
            let next = Some(next()).filter(|n| !n.is_empty());
            action.dispatch(StaffLogin {
                email,
                password,
                next,
            });
        }
    };

    view! {
        <Title text="Sign in" />
        <main class="login-page">
            <form
                class="card login-card"
                method="post"
                action=StaffLogin::url()
                on:submit=on_submit
                novalidate
            >
                <p class="brand">"Kinobill" <span class="brand-sub">"console"</span></p>
                <h1>"Sign in"</h1>
                {move || signed_out().then(|| view! { <p class="notice" role="status">"You have signed out."</p> })}
                {move || form_error().map(|msg| view! { <p class="alert" role="alert">{msg}</p> })}
                <input type="hidden" name="next" prop:value=next />
                <div class="field" class:invalid=move || email_error().is_some()>
                    <label for="login-email">"E-mail"</label>
                    <input
                        id="login-email"
                        node_ref=email_ref
                        type="email"
                        name="email"
                        autocomplete="username"
                        required
                        aria-invalid=move || email_error().is_some().to_string()
                        aria-describedby="login-email-error"
                    />
                    <p class="field-error" id="login-email-error">{email_error}</p>
                </div>
                <div class="field" class:invalid=move || password_error().is_some()>
                    <label for="login-password">"Password"</label>
                    <input
                        id="login-password"
                        node_ref=password_ref
                        type="password"
                        name="password"
                        autocomplete="current-password"
                        required
                        aria-invalid=move || password_error().is_some().to_string()
                        aria-describedby="login-password-error"
                    />
                    <p class="field-error" id="login-password-error">{password_error}</p>
                </div>
                <button type="submit" class="button primary wide" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </form>
        </main>
    }
}
