//! Payments: look-ups by our id, the provider's id and the provider key, and the row
//! locks every settlement and refund takes (always in id order).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::payments;
use sea_orm::sea_query::{Condition, Expr, Func, Order};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Select,
};
use uuid::Uuid;

use super::bulk::per_row;
use super::for_update;
use super::lease::{self, Lease};
use crate::domain::billing::PaymentStatus;
use crate::ssr::ServiceError;

pub async fn find<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> Result<Option<payments::Model>, ServiceError> {
    Ok(payments::Entity::find_by_id(id).one(db).await?)
}

/// One payment under its row lock.
pub async fn lock<C: ConnectionTrait>(
    txn: &C,
    id: Uuid,
) -> Result<Option<payments::Model>, ServiceError> {
    Ok(for_update(payments::Entity::find_by_id(id), txn)
        .one(txn)
        .await?)
}

/// Payments by id (as this transaction sees them), by id.
pub async fn by_ids<C: ConnectionTrait>(
    db: &C,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, payments::Model>, ServiceError> {
    Ok(payments::Entity::find()
        .filter(payments::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect())
}

/// Payments by id under their row locks (in id order), by id.
pub async fn lock_by_ids<C: ConnectionTrait>(
    txn: &C,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<payments::Model>, ServiceError> {
    let q = payments::Entity::find()
        .filter(payments::Column::Id.is_in(ids))
        .order_by_asc(payments::Column::Id);
    Ok(for_update(q, txn).all(txn).await?)
}

/// `provider`'s payments by their ids at the provider, under row locks (in id order).
pub async fn lock_by_provider_ids<C: ConnectionTrait>(
    txn: &C,
    provider: &str,
    provider_ids: &[&str],
) -> Result<Vec<payments::Model>, ServiceError> {
    let q = payments::Entity::find()
        .filter(payments::Column::Provider.eq(provider))
        .filter(payments::Column::ProviderPaymentId.is_in(provider_ids.iter().copied()))
        .order_by_asc(payments::Column::Id);
    Ok(for_update(q, txn).all(txn).await?)
}

/// `provider`'s payment with its id at the provider.
pub async fn by_provider_id<C: ConnectionTrait>(
    db: &C,
    provider: &str,
    provider_id: &str,
) -> Result<Option<payments::Model>, ServiceError> {
    Ok(payments::Entity::find()
        .filter(payments::Column::Provider.eq(provider))
        .filter(payments::Column::ProviderPaymentId.eq(provider_id))
        .one(db)
        .await?)
}

/// The payment made with the idempotency key we gave the provider.
pub async fn by_key<C: ConnectionTrait>(
    db: &C,
    key: &str,
) -> Result<Option<payments::Model>, ServiceError> {
    Ok(payments::Entity::find()
        .filter(payments::Column::ProviderIdempotencyKey.eq(key))
        .one(db)
        .await?)
}

/// The payments made with these provider keys, by key.
pub async fn by_keys<C: ConnectionTrait>(
    db: &C,
    keys: impl IntoIterator<Item = String>,
) -> Result<HashMap<String, payments::Model>, ServiceError> {
    Ok(payments::Entity::find()
        .filter(payments::Column::ProviderIdempotencyKey.is_in(keys))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.provider_idempotency_key.clone(), p))
        .collect())
}

/// A succeeded payment was refunded.
pub async fn set_refunded<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    payments::Entity::update_many()
        .col_expr(
            payments::Column::Status,
            Expr::value(PaymentStatus::Refunded),
        )
        .col_expr(payments::Column::UpdatedAt, Expr::value(now))
        .filter(payments::Column::Id.eq(id))
        .filter(payments::Column::Status.eq(PaymentStatus::Succeeded))
        .exec(db)
        .await?;
    Ok(())
}

/// Records the provider's id and page for a payment still pending.
pub async fn set_provider_payment<C: ConnectionTrait>(
    db: &C,
    payment: Uuid,
    provider_id: &str,
    confirmation_url: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    payments::Entity::update_many()
        .col_expr(
            payments::Column::ProviderPaymentId,
            Expr::value(provider_id),
        )
        .col_expr(
            payments::Column::ConfirmationUrl,
            Expr::value(confirmation_url),
        )
        .col_expr(payments::Column::UpdatedAt, Expr::value(now))
        .filter(payments::Column::Id.eq(payment))
        .filter(payments::Column::Status.eq(PaymentStatus::Pending))
        .exec(db)
        .await?;
    Ok(())
}

/// The payments of `invoices`, locked in id order (the order settlement locks them in,
/// so two transactions taking both never deadlock).
pub async fn lock_of_invoices<C: ConnectionTrait>(
    txn: &C,
    invoices: &[Uuid],
) -> Result<Vec<payments::Model>, ServiceError> {
    let q = payments::Entity::find()
        .filter(payments::Column::InvoiceId.is_in(invoices.iter().copied()))
        .order_by_asc(payments::Column::Id);
    Ok(for_update(q, txn).all(txn).await?)
}

/// Which payments a page lists.
#[derive(Debug, Clone, Default)]
pub struct PageQuery {
    pub status: Option<PaymentStatus>,
    pub customer_id: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Only rows older than this `(created_at, id)`: the keyset cursor, so the cost of a
    /// page does not grow with its depth.
    pub before: Option<(DateTime<Utc>, Uuid)>,
}

/// Up to `limit` payments, newest first, and whether more follow.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    query: &PageQuery,
    limit: u64,
) -> Result<(Vec<payments::Model>, bool), ServiceError> {
    use payments::Column as P;
    let mut q = payments::Entity::find();
    if let Some(s) = query.status {
        q = q.filter(P::Status.eq(s));
    }
    if let Some(c) = query.customer_id {
        q = q.filter(P::CustomerId.eq(c));
    }
    if let Some(f) = query.from {
        q = q.filter(P::CreatedAt.gte(f));
    }
    if let Some(t) = query.to {
        q = q.filter(P::CreatedAt.lt(t));
    }
    super::keyset::newest_first(db, q, (P::CreatedAt, P::Id), query.before, limit).await
}

/// Takes up to `batch` pending payments of `provider` to poll: created by
/// `created_before`, not polled since their `next_poll_at`, least recently polled first
/// (so payments the provider keeps calling pending cannot starve newer ones). The lease
/// is the next poll time itself (`next_poll`): two workers never poll the same payment
/// in one round, and one still pending is polled again then.
pub async fn lease_due_for_poll(
    db: &DatabaseConnection,
    provider: &str,
    created_before: DateTime<Utc>,
    now: DateTime<Utc>,
    next_poll: DateTime<Utc>,
    batch: u64,
) -> Result<Vec<payments::Model>, ServiceError> {
    Ok(lease::take(
        db,
        Lease {
            due: due_for_poll(provider, created_before, now, true),
            batch,
            column: payments::Column::NextPollAt,
            until: Some(next_poll).into(),
            id_column: payments::Column::Id,
            id: |p| p.id,
        },
    )
    .await?)
}

/// Pending checkouts whose provider call never got an answer (no provider id yet),
/// created before `created_before`, leased until `next_try` (see [`lease_due_for_poll`]).
pub async fn lease_unsent(
    db: &DatabaseConnection,
    provider: &str,
    created_before: DateTime<Utc>,
    now: DateTime<Utc>,
    next_try: DateTime<Utc>,
    batch: u64,
) -> Result<Vec<payments::Model>, ServiceError> {
    Ok(lease::take(
        db,
        Lease {
            due: due_for_poll(provider, created_before, now, false),
            batch,
            column: payments::Column::NextPollAt,
            until: Some(next_try).into(),
            id_column: payments::Column::Id,
            id: |p| p.id,
        },
    )
    .await?)
}

/// `sent`: the provider answered the checkout's call (the payment has its id there).
fn due_for_poll(
    provider: &str,
    created_before: DateTime<Utc>,
    now: DateTime<Utc>,
    sent: bool,
) -> Select<payments::Entity> {
    use payments::Column as P;
    payments::Entity::find()
        .filter(P::Status.eq(PaymentStatus::Pending))
        .filter(P::Provider.eq(provider))
        .filter(if sent {
            P::ProviderPaymentId.is_not_null()
        } else {
            P::ProviderPaymentId.is_null()
        })
        .filter(P::CreatedAt.lte(created_before))
        .filter(
            Condition::any()
                .add(P::NextPollAt.is_null())
                .add(P::NextPollAt.lte(now)),
        )
        .order_by(
            Func::coalesce([Expr::col(P::NextPollAt), Expr::col(P::CreatedAt)]),
            Order::Asc,
        )
}

/// A payment the provider confirmed.
#[derive(Debug, Clone)]
pub struct Success<'a> {
    pub id: Uuid,
    pub provider_id: &'a str,
    /// The card it saved (a checkout) or was charged to (a renewal keeps its own).
    pub method_id: Option<Uuid>,
}

/// The payments succeeded at `now`, in one statement. The partial unique index refuses
/// a second succeeded payment of one invoice.
pub async fn mark_succeeded<C: ConnectionTrait>(
    txn: &C,
    list: &[Success<'_>],
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    use payments::Column as P;
    if list.is_empty() {
        return Ok(());
    }
    payments::Entity::update_many()
        .col_expr(P::Status, Expr::value(PaymentStatus::Succeeded))
        .col_expr(
            P::ProviderPaymentId,
            per_row(
                P::Id,
                P::ProviderPaymentId,
                list.iter().map(|s| (s.id, Some(s.provider_id.to_string()))),
            ),
        )
        .col_expr(P::PaidAt, Expr::value(Some(now)))
        .col_expr(P::UpdatedAt, Expr::value(now))
        .col_expr(
            P::PaymentMethodId,
            per_row(
                P::Id,
                P::PaymentMethodId,
                list.iter()
                    .filter_map(|s| s.method_id.map(|m| (s.id, Some(m)))),
            ),
        )
        .col_expr(P::FailureCode, Expr::value(Option::<String>::None))
        .col_expr(P::FailureMessage, Expr::value(Option::<String>::None))
        .filter(P::Id.is_in(list.iter().map(|s| s.id)))
        .exec(txn)
        .await?;
    Ok(())
}

/// A payment that will not be paid: declined (`failed`) or abandoned (`canceled`).
#[derive(Debug, Clone)]
pub struct Failure<'a> {
    pub id: Uuid,
    pub status: PaymentStatus,
    pub code: &'a str,
    pub message: &'a str,
}

/// The payments failed at `now`, in one statement.
pub async fn mark_failed<C: ConnectionTrait>(
    txn: &C,
    list: &[Failure<'_>],
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    use payments::Column as P;
    if list.is_empty() {
        return Ok(());
    }
    let each = |value: fn(&Failure) -> String| list.iter().map(move |f| (f.id, value(f)));
    payments::Entity::update_many()
        .col_expr(
            P::Status,
            per_row(P::Id, P::Status, each(|f| f.status.as_str().into())),
        )
        .col_expr(
            P::FailureCode,
            per_row(P::Id, P::FailureCode, each(|f| f.code.into())),
        )
        .col_expr(
            P::FailureMessage,
            per_row(P::Id, P::FailureMessage, each(|f| f.message.into())),
        )
        .col_expr(P::UpdatedAt, Expr::value(now))
        .filter(P::Id.is_in(list.iter().map(|f| f.id)))
        .exec(txn)
        .await?;
    Ok(())
}

/// Every payment (the integrity audit reads them all).
pub async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<payments::Model>, ServiceError> {
    Ok(payments::Entity::find().all(db).await?)
}
