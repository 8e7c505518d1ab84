//! Pure business rules: no I/O, compiled for the server *and* the browser (wasm), so the
//! page and the server always agree on prices, formats and validation messages.

#[cfg(feature = "ssr")]
pub mod billing;
pub mod catalog;
pub mod duration;
pub mod error;
pub mod film;
pub mod grant;
pub mod money;
pub mod pricing;
pub mod promo;
pub mod staff;
pub mod subscription;
pub mod validation;

pub use error::DomainError;
pub use money::{Currency, Money};
pub use staff::StaffRole;
