//! Reconciliation: payments whose confirmation never came are looked up at the provider.

use chrono::{DateTime, TimeDelta, Utc};
use entity::payments;
use sea_orm::sea_query::{Condition, Expr, Func, Order};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::ssr::providers::PaymentStatus;
use crate::ssr::repo::lease::{self, Lease};
use crate::ssr::repo::timeline;
use crate::ssr::services::settlement::{self, Settled};
use crate::ssr::{AppState, ServiceError};

/// What one reconciliation pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReconcileReport {
    pub checked: usize,
    pub settled: usize,
    pub still_pending: usize,
    pub errors: usize,
}

/// Takes up to `batch` payments due for a poll: pending `older_than` after they were
/// created and not polled within the last `older_than`, least recently polled first (so
/// a pile of payments the provider keeps calling pending cannot starve newer ones). The
/// lease is the next poll time itself: a payment still pending is polled again after
/// `older_than`, and two workers never poll the same payment in one round.
async fn lease(
    state: &AppState,
    older_than: TimeDelta,
    batch: u64,
    now: DateTime<Utc>,
) -> Result<Vec<payments::Model>, ServiceError> {
    let due = payments::Entity::find()
        .filter(payments::Column::Status.eq("pending"))
        .filter(payments::Column::Provider.eq(state.provider.name()))
        .filter(payments::Column::ProviderPaymentId.is_not_null())
        .filter(payments::Column::CreatedAt.lte(now - older_than))
        .filter(
            Condition::any()
                .add(payments::Column::NextPollAt.is_null())
                .add(payments::Column::NextPollAt.lte(now)),
        )
        .order_by(
            Func::coalesce([
                Expr::col(payments::Column::NextPollAt),
                Expr::col(payments::Column::CreatedAt),
            ]),
            Order::Asc,
        );
    Ok(lease::take(
        &state.db,
        Lease {
            due,
            batch,
            column: payments::Column::NextPollAt,
            until: Some(now + older_than).into(),
            id_column: payments::Column::Id,
            id: |p| p.id,
        },
    )
    .await?)
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
    let due = lease(state, older_than, batch, now).await?;
    let mut report = ReconcileReport::default();
    for p in due {
        report.checked += 1;
        // The lease takes only payments with a provider id.
        let Some(provider_id) = p.provider_payment_id.clone() else {
            continue;
        };
        match state.provider.get_payment(&provider_id).await {
            Ok(pp) if pp.status == PaymentStatus::Pending => report.still_pending += 1,
            Ok(pp) => {
                let note = match &pp.status {
                    PaymentStatus::Succeeded => "The poll found the payment succeeded".to_string(),
                    PaymentStatus::Failed { message, .. } => {
                        format!("The poll found the payment failed: {message}")
                    }
                    PaymentStatus::Canceled => "The poll found the payment canceled".to_string(),
                    PaymentStatus::Pending => String::new(),
                };
                timeline::record(
                    &state.db,
                    p.id,
                    "poll",
                    "poll",
                    None,
                    Some(note),
                    state.clock.now(),
                )
                .await?;
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
    Ok(report)
}
