//! `/api/v1`: the REST contract of API.md. Handlers are thin: extract, call a service, map.

pub mod admin_console;
pub mod admin_discounts;
pub mod admin_films;
pub mod admin_month_discounts;
pub mod admin_promos;
pub mod admin_staff;
pub mod admin_support;
pub mod admin_system;
pub mod admin_tariffs;
pub mod checkout;
pub mod csv_export;
pub mod entitlements;
pub mod json;
pub mod me;
pub mod payments;
pub mod quotes;
pub mod tariffs;
pub mod webhooks;

use app::ssr::AppState;
use axum::Router;
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::routing::{get, post};

use super::error::ApiError;
use super::openapi;

/// Mounted at `/api`. Anything unknown under it is a JSON 404, never the HTML page.
pub fn router() -> Router<AppState> {
    let v1 = Router::new()
        .route("/tariffs", get(tariffs::list))
        .route(
            "/admin/tariffs",
            get(admin_tariffs::list).post(admin_tariffs::create),
        )
        .route("/quotes", post(quotes::create))
        .route("/checkout", post(checkout::create))
        .route("/payments/{id}", get(payments::get))
        .route("/payments/{id}/refund", post(payments::refund))
        .route(
            "/me/subscription",
            get(me::subscription).patch(me::patch_subscription),
        )
        .route("/me/payments", get(me::payments))
        .route("/me/statement", get(me::statement))
        .route("/me/notifications", get(me::notifications))
        .route("/admin/outbox", get(admin_system::outbox))
        .route("/admin/integrity", get(admin_system::integrity))
        .route("/admin/outbox/{id}/retry", post(admin_system::retry))
        .route(
            "/admin/clock",
            get(admin_system::clock).post(admin_system::advance_clock),
        )
        .route("/entitlements/{user_id}", get(entitlements::get))
        .route("/webhooks/{provider}", post(webhooks::receive))
        .route("/webhooks/{provider}/{kind}", post(webhooks::receive_kind))
        .route(
            "/admin/customers/{user_id}/discount",
            axum::routing::put(admin_discounts::set).delete(admin_discounts::remove),
        )
        .route("/admin/personal-discounts", get(admin_discounts::list))
        .route(
            "/admin/tariffs/{id}",
            axum::routing::patch(admin_tariffs::patch),
        )
        .route(
            "/admin/month-discounts",
            get(admin_month_discounts::list).put(admin_month_discounts::replace),
        )
        .route(
            "/admin/promo-codes",
            get(admin_promos::list).post(admin_promos::create),
        )
        .route("/admin/promo-codes/batch", post(admin_promos::batch))
        .route(
            "/admin/promo-codes/{id}",
            axum::routing::patch(admin_promos::patch).delete(admin_promos::delete),
        )
        .route("/admin/payments", get(admin_support::list))
        .route("/admin/payments/{id}", get(admin_support::get))
        .route("/admin/payments/{id}/refund", post(admin_support::refund))
        .route("/admin/customers/{user_id}", get(admin_support::customer))
        .route(
            "/admin/customers/{user_id}/subscription",
            axum::routing::put(admin_support::change_tariff),
        )
        .route(
            "/admin/customers/{user_id}/adjustments",
            post(admin_support::adjust),
        )
        .route(
            "/admin/customers/{user_id}/grants",
            post(admin_support::grant),
        )
        .route(
            "/admin/staff",
            get(admin_staff::list).post(admin_staff::create),
        )
        .route(
            "/admin/staff/{id}",
            axum::routing::patch(admin_staff::patch),
        )
        .route("/admin/staff/{id}/unlock", post(admin_staff::unlock))
        .route("/admin/staff/{id}/tokens", get(admin_staff::tokens))
        .route(
            "/admin/staff/{id}/tokens/{token_id}",
            axum::routing::delete(admin_staff::revoke_token),
        )
        .route("/admin/dashboard", get(admin_console::dashboard))
        .route("/admin/customers", get(admin_console::customers))
        .route("/admin/subscriptions", get(admin_console::subscriptions))
        .route("/admin/invoices", get(admin_console::invoices))
        .route("/admin/invoices/{id}", get(admin_console::invoice))
        .route(
            "/admin/invoices/{id}/void",
            post(admin_support::void_invoice),
        )
        .route("/admin/audit", get(admin_console::audit))
        .route(
            "/admin/films",
            get(admin_films::list)
                .post(admin_films::create)
                .put(
                    admin_films::upsert.layer(axum::extract::DefaultBodyLimit::max(
                        admin_films::UPSERT_BODY_LIMIT,
                    )),
                ),
        )
        .route(
            "/admin/films/{id}",
            axum::routing::patch(admin_films::patch),
        )
        .route("/openapi.json", get(openapi::document));
    Router::new()
        .nest("/v1", v1)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(super::api_guard::guard))
        .layer(axum::extract::DefaultBodyLimit::max(
            super::api_guard::BODY_LIMIT,
        ))
}

async fn not_found() -> ApiError {
    ApiError::not_found_route()
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "This endpoint does not accept that HTTP method.",
    )
}
