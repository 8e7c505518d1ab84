//! The business metrics, named in one place (Prometheus text at `/metrics`, rendered by
//! the server). Recording goes through the `metrics` facade: with no recorder installed
//! (metrics off) every call is a no-op.

use std::time::Duration;

use super::ServiceError;

/// A checkout attempt: `created`, or the error code that refused it.
pub fn checkout<T>(result: &Result<T, ServiceError>) {
    let outcome = match result {
        Ok(_) => "created",
        Err(e) => e.code(),
    };
    metrics::counter!("kinobill_checkouts_total", "outcome" => outcome).increment(1);
}

/// A payment moved to a final status, by who brought the news (`webhook`, `return`,
/// `reconcile`, `renewal`…).
pub fn settled(source: &str, status: &'static str) {
    metrics::counter!(
        "kinobill_settlements_total",
        "source" => source.to_string(),
        "status" => status
    )
    .increment(1);
}

/// A refund asked for: by `customer` or `staff`, `created` or the refusing code.
pub fn refund<T>(by: &'static str, result: &Result<T, ServiceError>) {
    let outcome = match result {
        Ok(_) => "created",
        Err(e) => e.code(),
    };
    metrics::counter!("kinobill_refunds_total", "by" => by, "outcome" => outcome).increment(1);
}

/// Renewal charges of one sweep by outcome.
pub fn renewals(renewed: usize, failed: usize, pending: usize, errors: usize) {
    for (outcome, n) in [
        ("renewed", renewed),
        ("failed", failed),
        ("pending", pending),
        ("error", errors),
    ] {
        if n > 0 {
            metrics::counter!("kinobill_renewals_total", "outcome" => outcome).increment(n as u64);
        }
    }
}

/// How long one worker step took.
pub fn worker_step(step: &'static str, took: Duration) {
    metrics::histogram!("kinobill_worker_step_seconds", "step" => step).record(took.as_secs_f64());
}
