//! HTTP transport: routes, middleware, error mapping. No business rules here.

pub mod account_export;
pub mod admin_guard;
pub mod api_guard;
pub mod client;
pub mod console_export;
pub mod csrf;
pub mod customer_sign_in;
pub mod error;
pub mod extract;
pub mod health;
pub mod idempotent;
pub mod layers;
pub mod metrics;
pub mod openapi;
pub mod pricing_cache_reset;
pub mod rate_limit;
pub mod rest;
pub mod sandbox_cloudpayments;
pub mod sandbox_pages;
pub mod sandbox_yookassa;

use app::ssr::AppState;
use app::ssr::session_store::DbSessionStore;
use app::{App, shell};
use axum::Router;
use axum::routing::{get, post};
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// Staff sessions end after this long without a request.
const SESSION_IDLE: tower_sessions::cookie::time::Duration =
    tower_sessions::cookie::time::Duration::hours(12);

/// The sandbox's provider personalities that are served (each when the sandbox runs and
/// that provider is configured).
#[derive(Clone, Default)]
pub struct Personalities {
    pub yookassa: Option<sandbox_yookassa::Personality>,
    pub cloudpayments: Option<sandbox_cloudpayments::Personality>,
}

/// Where `/metrics` is served, if anywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsMode {
    Off,
    /// On the main address, beside the app.
    OnMainAddress,
    /// Only on `KINOBILL__METRICS__ADDR` (requests here are still counted).
    OwnAddress,
}

/// How the router treats its clients.
pub struct Edge {
    pub metrics: MetricsMode,
    /// Who the clients are behind our own proxies, and whether cookies are always `Secure`.
    pub clients: client::ClientPolicy,
    /// The per-address limit of public and customer endpoints, if any.
    pub rate_limiter: Option<std::sync::Arc<rate_limit::RateLimiter>>,
}

pub fn router(state: AppState, personalities: Personalities, edge: Edge) -> Router {
    let leptos_options = state.leptos_options.clone();
    let routes = generate_route_list(App);

    let sessions = SessionManagerLayer::new(DbSessionStore::new(state.db.clone()))
        .with_name("kinobill_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        // `Secure` is added per response by `client::identify` when the browser came
        // over TLS (or the public URL is https).
        .with_secure(false)
        .with_expiry(Expiry::OnInactivity(SESSION_IDLE));

    let pages = Router::new()
        .leptos_routes(&state, routes, {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell));

    let router = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/auth/sign-in", get(customer_sign_in::start))
        .route("/auth/callback", post(customer_sign_in::callback))
        .route("/account/statement.csv", get(account_export::statement_csv))
        .route("/admin/export/{list}", get(console_export::export))
        .route(
            "/sandbox/pay/{id}",
            get(sandbox_pages::show).post(sandbox_pages::submit),
        )
        .route("/sandbox/cards", get(sandbox_pages::cards))
        .route(
            "/sandbox/cards/{token}",
            axum::routing::post(sandbox_pages::set_card),
        )
        .nest("/api", rest::router())
        .merge(match edge.metrics {
            MetricsMode::OnMainAddress => Router::new().route("/metrics", get(metrics::render)),
            MetricsMode::Off | MetricsMode::OwnAddress => Router::new(),
        })
        .merge(pages)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            admin_guard::require_staff_session,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            pricing_cache_reset::clear_after_staff_writes,
        ))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(
            csrf::PublicOrigin(state.billing.public_url.clone()),
            csrf::refuse_cross_site,
        ))
        .with_state(state);
    // Outside the session and staff layers: API clients of a payment provider.
    let router = match personalities.yookassa {
        Some(p) => router.nest("/sandbox/yookassa/v3", sandbox_yookassa::router(p)),
        None => router,
    };
    let router = match personalities.cloudpayments {
        Some(p) => router.nest("/sandbox/cloudpayments", sandbox_cloudpayments::router(p)),
        None => router,
    };
    let router = if edge.metrics == MetricsMode::Off {
        router
    } else {
        // Installed before the first request is counted.
        metrics::handle();
        router.layer(axum::middleware::from_fn(metrics::track))
    };
    let router = match edge.rate_limiter {
        Some(l) => router.layer(axum::middleware::from_fn_with_state(l, rate_limit::limit)),
        None => router,
    };
    let router = router.layer(axum::middleware::from_fn_with_state(
        edge.clients,
        client::identify,
    ));
    layers::wrap(router)
}
