//! Server-only code: state, persistence, services. Compiled with the `ssr` feature only.

pub mod auth;
pub mod clock;
pub mod error;
pub mod repo;
pub mod services;
pub mod session_store;
pub mod state;

pub use clock::{Clock, SharedClock};
pub use error::ServiceError;
pub use state::AppState;
