use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;

use super::SharedClock;
use super::customer_token::CustomerTokens;
use super::pricing_cache::PricingCache;

/// Everything a request needs. Given to axum handlers as router state and to server
/// functions and SSR as Leptos context, so both paths see the same database and clock.
#[derive(Clone, Debug)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
    pub clock: SharedClock,
    /// Verifies the auth service's customer tokens.
    pub customer_tokens: CustomerTokens,
    /// True only with the development JWT secret: the pages then offer "sign in as a
    /// demo customer" (they mint a token with the public dev secret, which is worthless
    /// anywhere else).
    pub demo_sign_in: bool,
    /// The auth service's sign-in page (`KINOBILL__AUTH__SIGN_IN_URL`): `/auth/sign-in`
    /// sends customers there with a `state` that `/auth/callback` checks.
    pub auth_sign_in_url: Option<std::sync::Arc<str>>,
    pub pricing_cache: std::sync::Arc<PricingCache>,
    /// The configured payment provider (the sandbox by default).
    pub provider: super::providers::SharedProvider,
    /// The sandbox itself when it is the provider: its hosted page and webhook loop.
    pub sandbox: Option<std::sync::Arc<super::providers::sandbox::Sandbox>>,
    pub billing: BillingSettings,
    /// Bearer token of service callers (entitlement look-ups); `None` turns them off.
    pub service_token: Option<std::sync::Arc<str>>,
    /// Where outbox rows go (RabbitMQ / HTTP / the log), and how they retry.
    pub relays: std::sync::Arc<super::relays::Relays>,
    pub outbox_policy: OutboxPolicy,
    /// Set when the test clock is on: staff may move time forward.
    pub test_clock: Option<std::sync::Arc<super::clock::TestClock>>,
    /// Wakes this instance's worker at once (after the test clock moved).
    pub worker_wake: std::sync::Arc<tokio::sync::Notify>,
    /// The auth service's roles, when it is configured: tariffs may grant only those.
    pub roles: Option<std::sync::Arc<super::role_catalog::RoleCatalog>>,
}

#[derive(Clone, Debug)]
pub struct OutboxPolicy {
    /// A row failing this many times is dead.
    pub max_attempts: i32,
    /// The first retry delay; doubles per attempt, with jitter, capped at one hour.
    pub retry_base: chrono::TimeDelta,
    /// Delivered rows are archived after this long.
    pub archive_after: chrono::TimeDelta,
}

#[derive(Clone, Debug)]
pub struct BillingSettings {
    /// The address customers use, for return URLs (`http://127.0.0.1:3000`).
    pub public_url: String,
    /// How long after paying a customer may ask for a refund.
    pub refund_window: chrono::TimeDelta,
    /// The "ends in 3 days" reminder goes out this long before the period end.
    pub remind_before: chrono::TimeDelta,
    /// The saved card is first charged this long before the period end.
    pub renew_before: chrono::TimeDelta,
    /// After a failed renewal charge the next try waits this long.
    pub renewal_retry: chrono::TimeDelta,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
