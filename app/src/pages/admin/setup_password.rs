use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::staff_admin::CompleteStaffSetup;
use crate::components::{FormErrors, TextField, input_value};
use crate::domain::validation::validate_new_password;

/// An invited member sets their first password from the one-time link. Works as a plain
/// form post before hydration too.
#[component]
pub fn SetupPasswordPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.with(|q| q.get("token")).unwrap_or_default();
    let setup = ServerAction::<CompleteStaffSetup>::new();
    let server_error = Signal::derive(move || {
        if setup.pending().get() {
            None
        } else {
            setup.value().get().and_then(|r| r.err())
        }
    });
    let errors = FormErrors::new(server_error);
    let password = NodeRef::new();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let p = input_value(&password);
        if errors.check(
            &validate_new_password(&p)
                .err()
                .into_iter()
                .collect::<Vec<_>>(),
        ) {
            setup.dispatch(CompleteStaffSetup {
                token: token(),
                password: p,
            });
        }
    };
    let done = move || matches!(setup.value().get(), Some(Ok(())));
    view! {
        <Title text="Set your password" />
        <main class="login-page">
            <form class="card login-card" method="post" action=CompleteStaffSetup::url() on:submit=on_submit novalidate>
                <p class="brand">"Kinobill" <span class="brand-sub">"console"</span></p>
                <h1>"Set your password"</h1>
                {move || errors.general().or_else(|| errors.get("token")).map(|e| view! { <p class="alert" role="alert">{e}</p> })}
                {move || done().then(|| view! {
                    <p class="notice" role="status">"Your password is set. " <a href="/admin/login">"Sign in"</a></p>
                })}
                <input type="hidden" name="token" prop:value=token />
                <TextField id="setup-password" label="New password" name="password" errors node_ref=password input_type="password" hint="At least 10 characters" />
                <button type="submit" class="button primary wide" disabled=move || setup.pending().get()>"Set password"</button>
            </form>
        </main>
    }
}
