use leptos::prelude::*;
use leptos_meta::Title;

/// A real 404: the status is set on the server response, not just the text.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        <main class="not-found">
            <p class="not-found-code">"404"</p>
            <h1>"This page does not exist"</h1>
            <p>"The address may be mistyped, or the page has moved."</p>
            <p class="not-found-links">
                <a class="button" href="/">"See tariffs"</a>
                <a class="button ghost" href="/admin">"Staff console"</a>
            </p>
        </main>
    }
}
