//! Payments: look-ups by our id, the provider's id and the provider key, and the row
//! locks every settlement and refund takes (always in id order).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::payments;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::for_update;
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
