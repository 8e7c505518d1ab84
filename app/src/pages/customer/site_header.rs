use leptos::prelude::*;

use crate::api::customer_session::{CustomerSignOut, current_customer};

/// The header of every customer page: the brand, who is signed in (or a way to sign
/// in), and the way to the staff console.
#[component]
pub fn SiteHeader() -> impl IntoView {
    let me = Resource::new(|| (), |_| current_customer());
    let sign_out = ServerAction::<CustomerSignOut>::new();

    view! {
        <header class="site-header">
            <a class="brand" href="/">"Kinobill"</a>
            <nav aria-label="Site">
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match me.await {
                            Ok(Some(customer)) => view! {
                                <a href="/account">"My subscription"</a>
                                <span class="whoami" data-testid="customer-name">{customer.display_name()}</span>
                                <ActionForm action=sign_out attr:class="inline-form">
                                    <button type="submit" class="link-button">"Sign out"</button>
                                </ActionForm>
                            }.into_any(),
                            _ => view! { <a href="/sign-in">"Sign in"</a> }.into_any(),
                        }
                    })}
                </Transition>
                <a href="/admin">"Staff console"</a>
            </nav>
        </header>
    }
}
