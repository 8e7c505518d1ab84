use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::staff_admin::ChangeOwnPassword;
use crate::components::{FormErrors, TextField, input_value};
use crate::domain::DomainError;
use crate::domain::validation::validate_new_password;

/// The browser-side half of the checks `staff_admin::change_own_password` makes.
fn check(current: &str, new: &str, repeat: &str) -> Vec<DomainError> {
    let mut errors = Vec::new();
    if current.is_empty() {
        errors.push(DomainError::invalid(
            "current_password",
            "enter your current password",
        ));
    }
    match validate_new_password(new) {
        Err(e) => errors.push(DomainError::invalid(
            "new_password",
            e.message().to_string(),
        )),
        Ok(()) if new != repeat => errors.push(DomainError::invalid(
            "repeat_password",
            "the two new passwords differ",
        )),
        Ok(()) => {}
    }
    errors
}

/// Each member's own account: change the password.
#[component]
pub fn AdminAccount() -> impl IntoView {
    let change = ServerAction::<ChangeOwnPassword>::new();
    let server_error = Signal::derive(move || {
        if change.pending().get() {
            None
        } else {
            change.value().get().and_then(|r| r.err())
        }
    });
    let errors = FormErrors::new(server_error);
    let (current, new, repeat) = (NodeRef::new(), NodeRef::new(), NodeRef::new());
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (c, n, r) = (
            input_value(&current),
            input_value(&new),
            input_value(&repeat),
        );
        if errors.check(&check(&c, &n, &r)) {
            change.dispatch(ChangeOwnPassword {
                current_password: c,
                new_password: n,
            });
        }
    };
    let done = move || matches!(change.value().get(), Some(Ok(())));
    view! {
        <Title text="Your account" />
        <div class="page-head">
            <h1>"Your account"</h1>
        </div>
        <form class="card form-card narrow-form" on:submit=on_submit novalidate aria-labelledby="password-title">
            <h2 id="password-title">"Change your password"</h2>
            {move || errors.general().map(|e| view! { <p class="alert" role="alert">{e}</p> })}
            {move || done().then(|| view! { <p class="notice" role="status">"Your password is changed."</p> })}
            <TextField id="password-current" label="Current password" name="current_password" errors node_ref=current input_type="password" />
            <TextField id="password-new" label="New password" name="new_password" errors node_ref=new input_type="password" hint="At least 10 characters" />
            <TextField id="password-repeat" label="New password again" name="repeat_password" errors node_ref=repeat input_type="password" />
            <button type="submit" class="button primary" disabled=move || change.pending().get()>"Change password"</button>
        </form>
    }
}
