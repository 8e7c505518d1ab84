//! Reconciliation: payments whose confirmation never came are looked up at the provider.

use chrono::TimeDelta;

use crate::ssr::billing_event::{self, BillingEvent};
use crate::ssr::providers::PaymentStatus;
use crate::ssr::repo::payments as payment_repo;
use crate::ssr::services::checkout;
use crate::ssr::services::settlement::{self, Settled};
use crate::ssr::{AppState, ServiceError};

/// A checkout nobody paid within a day is abandoned: its payment is canceled at the
/// provider, so its page stops taking money and the payment stops being polled. Most
/// providers expire their pages sooner on their own (YooKassa after an hour); a
/// CloudPayments order link never expires unless it is canceled.
pub const ABANDONED_AFTER: TimeDelta = TimeDelta::days(1);

/// What one reconciliation pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReconcileReport {
    pub checked: usize,
    pub settled: usize,
    pub still_pending: usize,
    pub errors: usize,
}

/// Payments still pending `older_than` after they were created: ask the provider and
/// settle what it says through `settle_payment` (source `poll`), so a payment whose
/// confirmation never arrived is neither lost nor left hanging.
pub async fn reconcile_pending(
    state: &AppState,
    older_than: TimeDelta,
    batch: u64,
) -> Result<ReconcileReport, ServiceError> {
    let now = state.clock.now();
    // The lease is the next poll time: a payment still pending is asked again after
    // `older_than`.
    let due = payment_repo::lease_due_for_poll(
        &state.db,
        state.provider.name(),
        now - older_than,
        now,
        now + older_than,
        batch,
    )
    .await?;
    let mut report = ReconcileReport::default();
    for p in due {
        report.checked += 1;
        // The lease takes only payments with a provider id.
        let Some(provider_id) = p.provider_payment_id.clone() else {
            continue;
        };
        let mut found = state.provider.get_payment(&provider_id).await;
        if matches!(&found, Ok(pp) if pp.status == PaymentStatus::Pending)
            && now - p.created_at >= ABANDONED_AFTER
        {
            // Canceled, or paid after all if the customer was quicker: settled either way.
            found = state.provider.cancel_payment(&provider_id).await;
        }
        match found {
            Ok(pp) if pp.status == PaymentStatus::Pending => report.still_pending += 1,
            Ok(pp) => {
                let event = BillingEvent::Polled {
                    payment_id: p.id,
                    found: &pp.status,
                };
                billing_event::record(&state.db, &[event], "poll", state.clock.now()).await?;
                match settlement::settle_payment(state, &pp, "poll", None).await {
                    Ok(Settled::Moved(status)) => {
                        tracing::info!(payment = %p.id, %status, "settled by reconciliation");
                        report.settled += 1;
                    }
                    Ok(Settled::Superseded) => {
                        tracing::info!(payment = %p.id, "superseded payment found by reconciliation");
                        report.settled += 1;
                    }
                    Ok(_) => {}
                    Err(e) => {
                        e.log_if_internal();
                        report.errors += 1;
                    }
                }
            }
            Err(e) => {
                tracing::warn!(payment = %p.id, error = %e, "reconciliation lookup failed");
                report.errors += 1;
            }
        }
    }
    // Checkouts whose provider call never got an answer and nobody retried.
    let unsent = payment_repo::lease_unsent(
        &state.db,
        state.provider.name(),
        now - older_than,
        now,
        now + older_than,
        batch,
    )
    .await?;
    for p in unsent {
        report.checked += 1;
        let id = p.id;
        match checkout::resolve_unsent(state, p).await {
            Ok(()) => report.settled += 1,
            Err(e) => {
                tracing::warn!(payment = %id, error = %e, "resolving an unanswered checkout failed");
                e.log_if_internal();
                report.errors += 1;
            }
        }
    }
    Ok(report)
}
