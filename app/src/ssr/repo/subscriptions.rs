//! Subscriptions: one per customer. Every read-modify-write takes the row lock
//! (`FOR UPDATE` on PostgreSQL; SQLite's writer holds the database), always in id
//! order when it takes several, so settlement, refunds, renewals, expiry and the
//! customer's own changes never lose one another's writes or deadlock.

use std::collections::HashMap;

use entity::subscriptions;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::for_update;
use crate::ssr::ServiceError;

/// The customer's subscription, if any (a read: no lock).
pub async fn of_customer<C: ConnectionTrait>(
    db: &C,
    customer: Uuid,
) -> Result<Option<subscriptions::Model>, ServiceError> {
    Ok(subscriptions::Entity::find()
        .filter(subscriptions::Column::CustomerId.eq(customer))
        .one(db)
        .await?)
}

/// The customer's subscription under its row lock.
pub async fn lock_of_customer<C: ConnectionTrait>(
    txn: &C,
    customer: Uuid,
) -> Result<Option<subscriptions::Model>, ServiceError> {
    Ok(for_update(
        subscriptions::Entity::find().filter(subscriptions::Column::CustomerId.eq(customer)),
        txn,
    )
    .one(txn)
    .await?)
}

/// One subscription by id under its row lock.
pub async fn lock<C: ConnectionTrait>(
    txn: &C,
    id: Uuid,
) -> Result<Option<subscriptions::Model>, ServiceError> {
    Ok(for_update(subscriptions::Entity::find_by_id(id), txn)
        .one(txn)
        .await?)
}

/// The subscriptions of `customers` under their row locks (in id order), by customer.
pub async fn lock_of_customers<C: ConnectionTrait>(
    txn: &C,
    customers: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, subscriptions::Model>, ServiceError> {
    Ok(for_update(
        subscriptions::Entity::find()
            .filter(subscriptions::Column::CustomerId.is_in(customers))
            .order_by_asc(subscriptions::Column::Id),
        txn,
    )
    .all(txn)
    .await?
    .into_iter()
    .map(|s| (s.customer_id, s))
    .collect())
}
