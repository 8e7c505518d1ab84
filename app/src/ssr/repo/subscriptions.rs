//! Subscriptions: one per customer. Every read-modify-write takes the row lock
//! (`FOR UPDATE` on PostgreSQL; SQLite's writer holds the database), always in id
//! order when it takes several, so settlement, refunds, renewals, expiry and the
//! customer's own changes never lose one another's writes or deadlock.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::subscriptions;
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

use super::bulk::per_row;
use super::for_update;
use super::lease::{self, Lease};
use crate::domain::billing::SubscriptionStatus;
use crate::domain::subscription::GRACE;
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

/// Subscriptions by id (a read: no lock).
pub async fn by_ids<C: ConnectionTrait>(
    db: &C,
    ids: &[Uuid],
) -> Result<Vec<subscriptions::Model>, ServiceError> {
    Ok(subscriptions::Entity::find()
        .filter(subscriptions::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// How many subscriptions with access (active or in grace) run on `tariff`.
pub async fn count_with_access_on<C: ConnectionTrait>(
    db: &C,
    tariff: Uuid,
) -> Result<u64, ServiceError> {
    Ok(subscriptions::Entity::find()
        .filter(subscriptions::Column::TariffId.eq(tariff))
        .filter(
            subscriptions::Column::Status
                .is_in([SubscriptionStatus::Active, SubscriptionStatus::Grace]),
        )
        .count(db)
        .await?)
}

/// Up to `batch` active subscriptions whose period ends in `(now, until]` and whose
/// customer has not been reminded of that end yet, soonest first. "Not reminded yet"
/// is part of the query: filtering it afterwards let hundreds of already-reminded rows
/// at the head of the window hide newer ones.
pub async fn to_remind<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    batch: u64,
) -> Result<Vec<Uuid>, ServiceError> {
    use subscriptions::Column as S;
    Ok(subscriptions::Entity::find()
        .select_only()
        .column(S::Id)
        .filter(S::Status.eq(SubscriptionStatus::Active))
        .filter(S::CurrentPeriodEnd.lte(until))
        .filter(S::CurrentPeriodEnd.gt(now))
        .filter(
            Condition::any()
                .add(S::RemindedFor.is_null())
                .add(ExprTrait::ne(
                    Expr::col(S::RemindedFor),
                    Expr::col(S::CurrentPeriodEnd),
                )),
        )
        .order_by_asc(S::CurrentPeriodEnd)
        .limit(batch)
        .into_tuple()
        .all(db)
        .await?)
}

/// Up to `batch` subscriptions whose period ran out: active ones past their end, and
/// those in grace past `grace_ended` (an end before it). Subscriptions in grace with
/// time left are not selected: they would fill every batch with no-ops.
pub async fn ran_out<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    grace_ended: DateTime<Utc>,
    batch: u64,
) -> Result<Vec<Uuid>, ServiceError> {
    use subscriptions::Column as S;
    Ok(subscriptions::Entity::find()
        .select_only()
        .column(S::Id)
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(S::Status.eq(SubscriptionStatus::Active))
                        .add(S::CurrentPeriodEnd.lte(now)),
                )
                .add(
                    Condition::all()
                        .add(S::Status.eq(SubscriptionStatus::Grace))
                        .add(S::CurrentPeriodEnd.lte(grace_ended)),
                ),
        )
        .order_by_asc(S::CurrentPeriodEnd)
        .limit(batch)
        .into_tuple()
        .all(db)
        .await?)
}

/// The static part of "due for renewal", written literally so that it implies the
/// predicate of `idx_subscriptions_renewal` (migration 12, same text): with bound
/// parameters the planner could not use that partial index. Keep the two in step, and
/// in step with `jobs::renewals::due`.
const RENEWABLE: &str =
    "status IN ('active', 'grace') AND auto_renew AND payment_method_id IS NOT NULL";

/// The subscriptions due for a renewal charge at `now` that no worker holds, in the
/// order the sweep takes them: the period ends by `now + renew_before` and its grace
/// has not run out. Public so a test can check its plan uses `idx_subscriptions_renewal`.
pub fn due_for_renewal(
    now: DateTime<Utc>,
    renew_before: chrono::TimeDelta,
) -> Select<subscriptions::Entity> {
    use subscriptions::Column as S;
    subscriptions::Entity::find()
        .filter(Expr::cust(RENEWABLE))
        .filter(S::CurrentPeriodEnd.lte(now + renew_before))
        .filter(S::CurrentPeriodEnd.gt(now - GRACE))
        .filter(
            Condition::any()
                .add(S::NextRenewalAt.is_null())
                .add(S::NextRenewalAt.lte(now)),
        )
        .filter(
            Condition::any()
                .add(S::RenewalLeaseUntil.is_null())
                .add(S::RenewalLeaseUntil.lte(now)),
        )
        .order_by_asc(S::CurrentPeriodEnd)
}

/// Takes up to `batch` subscriptions due for renewal for this worker until `until`
/// (a crashed worker's lease runs out); their ids, in the order to renew them.
pub async fn lease_due_for_renewal(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    renew_before: chrono::TimeDelta,
    until: DateTime<Utc>,
    batch: u64,
) -> Result<Vec<Uuid>, ServiceError> {
    let leased = lease::take(
        db,
        Lease {
            due: due_for_renewal(now, renew_before),
            batch,
            column: subscriptions::Column::RenewalLeaseUntil,
            until: Some(until).into(),
            id_column: subscriptions::Column::Id,
            id: |s| s.id,
        },
    )
    .await?;
    Ok(leased.into_iter().map(|s| s.id).collect())
}

/// Lets the next renewal pass take these subscriptions again.
pub async fn release_leases<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> Result<(), ServiceError> {
    use subscriptions::Column as S;
    if ids.is_empty() {
        return Ok(());
    }
    subscriptions::Entity::update_many()
        .col_expr(
            S::RenewalLeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(S::Id.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}

/// Failed renewals wait for their next try (`next_try`); the attempt counter moves on,
/// so that try gets a fresh provider key.
pub async fn schedule_retry<C: ConnectionTrait>(
    txn: &C,
    ids: &[Uuid],
    next_try: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    use subscriptions::Column as S;
    if ids.is_empty() {
        return Ok(());
    }
    subscriptions::Entity::update_many()
        .col_expr(S::RenewalAttempts, Expr::col(S::RenewalAttempts).add(1))
        .col_expr(S::NextRenewalAt, Expr::value(Some(next_try)))
        .col_expr(
            S::RenewalLeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(S::UpdatedAt, Expr::value(now))
        .filter(S::Id.is_in(ids.iter().copied()))
        .exec(txn)
        .await?;
    Ok(())
}

/// Writes `change` to the row (and `updated_at`, unless `touched` is `None`: a
/// reminder is not a change of the subscription).
async fn update<C: ConnectionTrait>(
    txn: &C,
    sub: &subscriptions::Model,
    touched: Option<DateTime<Utc>>,
    change: impl FnOnce(&mut subscriptions::ActiveModel),
) -> Result<subscriptions::Model, ServiceError> {
    let mut m: subscriptions::ActiveModel = sub.clone().into();
    change(&mut m);
    if let Some(now) = touched {
        m.updated_at = Set(now);
    }
    Ok(m.update(txn).await?)
}

/// The customer was reminded of the end of the current period.
pub async fn mark_reminded<C: ConnectionTrait>(
    txn: &C,
    sub: &subscriptions::Model,
) -> Result<subscriptions::Model, ServiceError> {
    let end = sub.current_period_end;
    update(txn, sub, None, |m| m.reminded_for = Set(Some(end))).await
}

/// The period ended unpaid: access continues through grace.
pub async fn enter_grace<C: ConnectionTrait>(
    txn: &C,
    sub: &subscriptions::Model,
    now: DateTime<Utc>,
) -> Result<subscriptions::Model, ServiceError> {
    update(txn, sub, Some(now), |m| {
        m.status = Set(SubscriptionStatus::Grace);
    })
    .await
}

/// Grace ran out: no access, and nothing left to renew.
pub async fn expire<C: ConnectionTrait>(
    txn: &C,
    sub: &subscriptions::Model,
    now: DateTime<Utc>,
) -> Result<subscriptions::Model, ServiceError> {
    update(txn, sub, Some(now), |m| {
        m.status = Set(SubscriptionStatus::Expired);
        m.renewal_lease_until = Set(None);
        m.next_renewal_at = Set(None);
    })
    .await
}

/// Whether the saved card pays for the next period.
pub async fn set_auto_renew<C: ConnectionTrait>(
    txn: &C,
    sub: &subscriptions::Model,
    on: bool,
    now: DateTime<Utc>,
) -> Result<subscriptions::Model, ServiceError> {
    update(txn, sub, Some(now), |m| m.auto_renew = Set(on)).await
}

/// The tariff the next period renews at (`None`: the current one).
pub async fn set_next_tariff<C: ConnectionTrait>(
    txn: &C,
    sub: &subscriptions::Model,
    next: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<subscriptions::Model, ServiceError> {
    update(txn, sub, Some(now), |m| m.next_tariff_id = Set(next)).await
}

/// The current period moves to `tariff` (support's change, effective at once).
pub async fn set_tariff<C: ConnectionTrait>(
    txn: &C,
    sub: &subscriptions::Model,
    tariff: Uuid,
    now: DateTime<Utc>,
) -> Result<subscriptions::Model, ServiceError> {
    update(txn, sub, Some(now), |m| m.tariff_id = Set(tariff)).await
}

/// A refund took a paid period back: the subscription now ends at `period_end` with
/// `status`; a subscription with nothing paid left stops renewing.
pub async fn cut_back<C: ConnectionTrait>(
    txn: &C,
    sub: &subscriptions::Model,
    status: SubscriptionStatus,
    period_end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<subscriptions::Model, ServiceError> {
    update(txn, sub, Some(now), |m| {
        m.status = Set(status);
        m.current_period_end = Set(period_end);
        if status == SubscriptionStatus::Canceled {
            m.auto_renew = Set(false);
        }
    })
    .await
}

/// A paid period for a customer who already has a subscription row.
#[derive(Debug, Clone)]
pub struct Extension {
    pub id: Uuid,
    pub tariff_id: Uuid,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub auto_renew: bool,
    /// The card saved with this payment, which renews from now on.
    pub method_id: Option<Uuid>,
    /// The period is the scheduled tariff's: the switch has happened.
    pub switched: bool,
}

/// A first paid period: the customer's subscription row is created.
#[derive(Debug, Clone)]
pub struct Opening {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub tariff_id: Uuid,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub method_id: Option<Uuid>,
}

/// Runs each subscription to its new period end, all in one `UPDATE`. A new period's
/// renewal starts from scratch (attempts, retry time and lease cleared).
pub async fn extend_many<C: ConnectionTrait>(
    txn: &C,
    list: &[Extension],
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    use subscriptions::Column as S;
    if list.is_empty() {
        return Ok(());
    }
    let each = |value: fn(&Extension) -> sea_orm::Value| list.iter().map(move |e| (e.id, value(e)));
    subscriptions::Entity::update_many()
        .col_expr(
            S::TariffId,
            per_row(S::Id, S::TariffId, each(|e| e.tariff_id.into())),
        )
        .col_expr(S::Status, Expr::value(SubscriptionStatus::Active))
        .col_expr(
            S::CurrentPeriodStart,
            per_row(
                S::Id,
                S::CurrentPeriodStart,
                each(|e| e.period_start.into()),
            ),
        )
        .col_expr(
            S::CurrentPeriodEnd,
            per_row(S::Id, S::CurrentPeriodEnd, each(|e| e.period_end.into())),
        )
        .col_expr(
            S::AutoRenew,
            per_row(S::Id, S::AutoRenew, each(|e| e.auto_renew.into())),
        )
        .col_expr(
            S::PaymentMethodId,
            per_row(
                S::Id,
                S::PaymentMethodId,
                list.iter()
                    .filter_map(|e| e.method_id.map(|m| (e.id, Some(m)))),
            ),
        )
        .col_expr(
            S::NextTariffId,
            per_row(
                S::Id,
                S::NextTariffId,
                list.iter()
                    .filter(|e| e.switched)
                    .map(|e| (e.id, Option::<Uuid>::None)),
            ),
        )
        .col_expr(S::RenewalAttempts, Expr::value(0))
        .col_expr(S::NextRenewalAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(
            S::RenewalLeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(S::UpdatedAt, Expr::value(now))
        .filter(S::Id.is_in(list.iter().map(|e| e.id)))
        .exec(txn)
        .await?;
    Ok(())
}

/// Creates the subscriptions of first-time subscribers, all in one `INSERT`. Saving a
/// card with the first payment turns auto-renewal on.
pub async fn open_many<C: ConnectionTrait>(
    txn: &C,
    list: &[Opening],
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if list.is_empty() {
        return Ok(());
    }
    subscriptions::Entity::insert_many(list.iter().map(|o| subscriptions::ActiveModel {
        id: Set(o.id),
        customer_id: Set(o.customer_id),
        tariff_id: Set(o.tariff_id),
        status: Set(SubscriptionStatus::Active),
        current_period_start: Set(o.period_start),
        current_period_end: Set(o.period_end),
        auto_renew: Set(o.method_id.is_some()),
        payment_method_id: Set(o.method_id),
        reminded_for: Set(None),
        renewal_attempts: Set(0),
        next_renewal_at: Set(None),
        renewal_lease_until: Set(None),
        next_tariff_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }))
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// Every subscription (the integrity audit reads them all).
pub async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<subscriptions::Model>, ServiceError> {
    Ok(subscriptions::Entity::find().all(db).await?)
}
