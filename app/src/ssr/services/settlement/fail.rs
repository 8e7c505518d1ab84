//! Payments the provider declined or that nobody finished: the payment records why, and
//! a failed renewal schedules its next try (access continues through grace meanwhile).
//! A batch is written with one statement per table.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::subscriptions;
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use super::Loss;
use crate::domain::billing::PaymentStatus;
use crate::ssr::billing_event::{self, BillingEvent, RetryPlan};
use crate::ssr::repo::subscriptions as subscriptions_repo;
use crate::ssr::repo::{invoices as invoice_repo, payments as payment_repo};
use crate::ssr::services::pricing;
use crate::ssr::{AppState, ServiceError};

/// Settles failed payments of distinct customers, all locked by `txn`.
pub(super) async fn fail_all(
    txn: &DatabaseTransaction,
    state: &AppState,
    losses: &[Loss<'_>],
    source: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if losses.is_empty() {
        return Ok(());
    }
    let failures: Vec<payment_repo::Failure> = losses
        .iter()
        .map(|l| payment_repo::Failure {
            id: l.payment.id,
            status: l.status,
            code: l.code,
            message: l.message,
        })
        .collect();
    payment_repo::mark_failed(txn, &failures, now).await?;
    // An invoice whose payment failed is never paid: a new attempt is a new invoice
    // (checkout) or a new charge (renewal), so it is void and its promo code free again.
    let lost_invoices: Vec<Uuid> = losses.iter().map(|l| l.payment.invoice_id).collect();
    invoice_repo::void_open(txn, &lost_invoices).await?;
    pricing::release_redemptions(txn, &lost_invoices).await?;

    let renewals =
        invoice_repo::renewals_among(txn, losses.iter().map(|l| l.payment.invoice_id)).await?;
    let retrying = retry_later(txn, state, losses, &renewals, now).await?;

    let next_try = now + state.billing.renewal_retry;
    let events: Vec<BillingEvent> = losses
        .iter()
        .map(|l| BillingEvent::PaymentFailed {
            payment: &l.payment,
            canceled: l.status == PaymentStatus::Canceled,
            code: l.code,
            message: l.message,
            renewal: renewals.contains(&l.payment.invoice_id),
            retry: retrying.get(&l.payment.customer_id).map(|sub| RetryPlan {
                attempt: sub.renewal_attempts + 1,
                next_attempt_at: next_try,
                period_end: sub.current_period_end,
            }),
        })
        .collect();
    billing_event::record(txn, &events, source, now).await
}

/// The subscriptions of failed renewals wait for the retry schedule; the next try gets
/// a fresh key (attempt + 1). Returns them as they were, by customer.
async fn retry_later(
    txn: &DatabaseTransaction,
    state: &AppState,
    losses: &[Loss<'_>],
    renewals: &HashSet<Uuid>,
    now: DateTime<Utc>,
) -> Result<HashMap<Uuid, subscriptions::Model>, ServiceError> {
    let customers: Vec<Uuid> = losses
        .iter()
        .filter(|l| renewals.contains(&l.payment.invoice_id))
        .map(|l| l.payment.customer_id)
        .collect();
    if customers.is_empty() {
        return Ok(HashMap::new());
    }
    let subs = subscriptions_repo::lock_of_customers(txn, customers).await?;
    let ids: Vec<Uuid> = subs.values().map(|s| s.id).collect();
    subscriptions_repo::schedule_retry(txn, &ids, now + state.billing.renewal_retry, now).await?;
    Ok(subs)
}
