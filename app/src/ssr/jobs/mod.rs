//! One step of each background job, as an idempotent function the worker loop calls on a
//! schedule and tests call directly. Running a step twice, or on several instances at
//! once, changes nothing the first run did not: rows are leased (`FOR UPDATE SKIP
//! LOCKED` on PostgreSQL), every charge carries an idempotency key derived from what it
//! pays for, and every state change goes through the same idempotent services.

mod housekeeping;
mod lifecycle;
mod outbox_relay;
mod reconcile;
mod renewals;

pub use crate::ssr::repo::subscriptions::due_for_renewal;
pub use crate::ssr::services::refunds::reconcile_pending_refunds;
pub use housekeeping::{HousekeepingReport, housekeeping};
pub use lifecycle::{LifecycleReport, advance_periods, send_reminders};
pub use outbox_relay::{RelayReport, relay_outbox};
pub use reconcile::{ReconcileReport, reconcile_pending};
pub use renewals::{RenewalOutcome, RenewalReport, renew_due, renew_subscription, renewal_key};
