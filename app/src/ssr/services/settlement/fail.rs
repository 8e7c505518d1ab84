//! Payments the provider declined or that nobody finished: the payment records why, and
//! a failed renewal schedules its next try (access continues through grace meanwhile).
//! A batch is written with one statement per table.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{invoices, payments, subscriptions};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::Loss;
use crate::domain::billing::PaymentStatus;
use crate::ssr::billing_event::{self, BillingEvent, RetryPlan};
use crate::ssr::repo::bulk::per_row;
use crate::ssr::repo::invoices as invoice_repo;
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
    use payments::Column as P;
    if losses.is_empty() {
        return Ok(());
    }
    let each = |value: fn(&Loss) -> String| losses.iter().map(move |l| (l.payment.id, value(l)));
    payments::Entity::update_many()
        .col_expr(
            P::Status,
            per_row(P::Id, P::Status, each(|l| l.status.as_str().into())),
        )
        .col_expr(
            P::FailureCode,
            per_row(P::Id, P::FailureCode, each(|l| l.code.into())),
        )
        .col_expr(
            P::FailureMessage,
            per_row(P::Id, P::FailureMessage, each(|l| l.message.into())),
        )
        .col_expr(P::UpdatedAt, Expr::value(now))
        .filter(P::Id.is_in(losses.iter().map(|l| l.payment.id)))
        .exec(txn)
        .await?;
    // An invoice whose payment failed is never paid: a new attempt is a new invoice
    // (checkout) or a new charge (renewal), so it is void and its promo code free again.
    let lost_invoices: Vec<Uuid> = losses.iter().map(|l| l.payment.invoice_id).collect();
    invoice_repo::void_open(txn, &lost_invoices).await?;
    pricing::release_redemptions(txn, &lost_invoices).await?;

    let renewals: HashSet<Uuid> = invoices::Entity::find()
        .filter(invoices::Column::Id.is_in(losses.iter().map(|l| l.payment.invoice_id)))
        .filter(invoices::Column::Kind.eq("renewal"))
        .all(txn)
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect();
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
    use subscriptions::Column as S;
    let customers: Vec<Uuid> = losses
        .iter()
        .filter(|l| renewals.contains(&l.payment.invoice_id))
        .map(|l| l.payment.customer_id)
        .collect();
    if customers.is_empty() {
        return Ok(HashMap::new());
    }
    let subs = crate::ssr::repo::subscriptions::lock_of_customers(txn, customers).await?;
    if !subs.is_empty() {
        subscriptions::Entity::update_many()
            .col_expr(S::RenewalAttempts, Expr::col(S::RenewalAttempts).add(1))
            .col_expr(
                S::NextRenewalAt,
                Expr::value(Some(now + state.billing.renewal_retry)),
            )
            .col_expr(
                S::RenewalLeaseUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(S::UpdatedAt, Expr::value(now))
            .filter(S::Id.is_in(subs.values().map(|s| s.id)))
            .exec(txn)
            .await?;
    }
    Ok(subs)
}
