use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::SiteHeader;
use crate::api::customer_session::{DemoSignIn, auth_sign_in_available, demo_customers};
use crate::components::ErrorState;
use crate::components::encode_query_value;

fn message_for_code(code: &str) -> &'static str {
    match code {
        "invalid_token" => "Your sign-in link was not valid or has expired. Please sign in again.",
        "invalid_state" => {
            "This sign-in was not started in this browser, so it was not accepted. Please sign in again."
        }
        _ => "Signing in did not work. Please try again in a moment.",
    }
}

/// Customers sign in with their cinema account at the auth service, which sends them
/// back to `POST /auth/callback` with a token. On a development setup (the public dev
/// secret) this page also lets you continue as one of the demo customers.
#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let demo = Resource::new(|| (), |_| demo_customers());
    let auth = Resource::new(|| (), |_| auth_sign_in_available());
    let action = ServerAction::<DemoSignIn>::new();
    let next = move || {
        query
            .with(|q| q.get("next"))
            .unwrap_or_else(|| "/".to_string())
    };
    let error = move || query.with(|q| q.get("error")).map(|c| message_for_code(&c));

    view! {
        <Title text="Sign in" />
        <div class="site">
            <SiteHeader />
            <main class="narrow">
                <h1>"Sign in"</h1>
                <p class="form-error" role="alert" hidden=move || error().is_none()>{error}</p>
                <p>
                    "Kinobill uses your cinema account. Sign in on the cinema's website and you will be brought back here, signed in."
                </p>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        matches!(auth.await, Ok(true)).then(|| view! {
                            <p><a class="button primary" rel="external" href=format!("/auth/sign-in?next={}", encode_query_value(&next()))>"Sign in with your cinema account"</a></p>
                        })
                    })}
                </Suspense>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match demo.await {
                            Ok(list) if list.is_empty() => ().into_any(),
                            Ok(list) => view! {
                                <section class="panel demo-sign-in" aria-labelledby="demo-heading">
                                    <h2 id="demo-heading">"Demo customers"</h2>
                                    <p class="muted">"This is a development setup, so you can continue as one of the demo customers."</p>
                                    <ul class="demo-customers">
                                        {list.into_iter().map(|c| {
                                            let label = c.display_name();
                                            let email = c.email.clone().unwrap_or_default();
                                            view! {
                                                <li>
                                                    <ActionForm action=action>
                                                        <input type="hidden" name="customer_id" value=c.id.to_string() />
                                                        <input type="hidden" name="next" value=next />
                                                        <button type="submit" class="button ghost">
                                                            <span class="demo-name">{label}</span>
                                                            <span class="muted demo-email">{email}</span>
                                                        </button>
                                                    </ActionForm>
                                                </li>
                                            }
                                        }).collect_view()}
                                    </ul>
                                </section>
                            }.into_any(),
                            Err(error) => view! { <ErrorState error /> }.into_any(),
                        }
                    })}
                </Suspense>
            </main>
        </div>
    }
}
