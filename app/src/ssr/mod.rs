//! Server-only code: state, persistence, services. Compiled with the `ssr` feature only.

pub mod auth;
pub mod billing_event;
pub mod client;
pub mod clock;
pub mod csv;
pub mod customer_token;
pub mod error;
pub mod idempotency;
pub mod jobs;
pub mod metrics;
pub mod outbox;
pub mod pricing_cache;
pub mod providers;
pub mod relays;
pub mod repo;
pub mod role_catalog;
pub mod security_headers;
pub mod services;
pub mod session_store;
pub mod state;
pub mod time;

pub use clock::{Clock, SharedClock};
pub use error::ServiceError;
pub use state::AppState;
