//! Server functions: thin. Extract the caller, call one service, map the result.

pub mod billing;
pub mod catalog;
pub mod console;
pub mod customer_session;
pub mod discounts;
pub mod films;
pub mod local_path;
pub mod month_discounts;
pub mod pricing;
pub mod promos;
pub mod staff_admin;
pub mod staff_session;
pub mod support;
pub mod system;

/// Sets the HTTP status of a failed server-function call to match the error, so a caller
/// mistake is never answered with a 500.
#[cfg(feature = "ssr")]
pub(crate) fn respond_err(e: impl Into<crate::error::AppError>) -> crate::error::AppError {
    let e = e.into();
    if let Some(opts) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
        && let Ok(status) = axum::http::StatusCode::from_u16(e.status_code())
    {
        opts.set_status(status);
    }
    e
}

/// A plain HTML form post (no JavaScript yet): the browser expects a page, not JSON.
#[cfg(feature = "ssr")]
pub(crate) fn is_plain_form_post() -> bool {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|p| {
            p.headers
                .get(axum::http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.contains("text/html"))
        })
        .unwrap_or(false)
}
