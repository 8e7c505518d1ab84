//! The subscription calendar around the period end `E`: the "ends in 3 days" reminder at
//! `E - remind_before` (once per period), `grace` with the "ended" notice from `E`,
//! `expired` at `E + 2 days` with the entitlement and the role revoked. Each row changes in its own
//! transaction under a row lock, re-checked there, so two workers never both act.

use chrono::{DateTime, Utc};
use entity::{entitlements, subscriptions, tariffs};
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use crate::domain::billing::SubscriptionStatus;
use crate::domain::subscription::{GRACE, access_until};
use crate::ssr::outbox::{self, Destination};
use crate::ssr::repo::begin_write;
use crate::ssr::time::rfc3339;
use crate::ssr::{AppState, ServiceError};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LifecycleReport {
    pub reminded: usize,
    pub to_grace: usize,
    pub expired: usize,
}

async fn locked(
    txn: &DatabaseTransaction,
    id: Uuid,
) -> Result<Option<subscriptions::Model>, ServiceError> {
    crate::ssr::repo::subscriptions::lock(txn, id).await
}

async fn tariff_label(
    txn: &DatabaseTransaction,
    id: Uuid,
) -> Result<(String, String), ServiceError> {
    Ok(tariffs::Entity::find_by_id(id)
        .one(txn)
        .await?
        .map(|t| (t.code, t.name))
        .unwrap_or_default())
}

fn notice(sub: &subscriptions::Model, code: &str, name: &str) -> serde_json::Value {
    json!({
        "subscription_id": sub.id,
        "customer_id": sub.customer_id,
        "tariff": code,
        "tariff_name": name,
        "period_end": rfc3339(sub.current_period_end),
        "access_until": rfc3339(access_until(sub.current_period_end)),
        "auto_renew": sub.auto_renew,
    })
}

/// "Your subscription ends in 3 days" for active subscriptions ending within
/// `remind_before`, once per period (whether or not it will renew).
pub async fn send_reminders(state: &AppState, batch: u64) -> Result<usize, ServiceError> {
    let now = state.clock.now();
    // "Not reminded for this period yet" is part of the query: filtering it afterwards
    // let hundreds of already-reminded rows at the head of the window hide newer ones.
    let candidates: Vec<Uuid> = subscriptions::Entity::find()
        .select_only()
        .column(subscriptions::Column::Id)
        .filter(subscriptions::Column::Status.eq("active"))
        .filter(subscriptions::Column::CurrentPeriodEnd.lte(now + state.billing.remind_before))
        .filter(subscriptions::Column::CurrentPeriodEnd.gt(now))
        .filter(
            Condition::any()
                .add(subscriptions::Column::RemindedFor.is_null())
                .add(ExprTrait::ne(
                    Expr::col(subscriptions::Column::RemindedFor),
                    Expr::col(subscriptions::Column::CurrentPeriodEnd),
                )),
        )
        .order_by_asc(subscriptions::Column::CurrentPeriodEnd)
        .limit(batch)
        .into_tuple()
        .all(&state.db)
        .await?;
    let mut sent = 0;
    for id in candidates {
        let txn = begin_write(&state.db).await?;
        let Some(sub) = locked(&txn, id).await? else {
            continue;
        };
        let remind = sub.status == "active"
            && sub.current_period_end > now
            && sub.current_period_end <= now + state.billing.remind_before
            && sub.reminded_for != Some(sub.current_period_end);
        if remind {
            let (code, name) = tariff_label(&txn, sub.tariff_id).await?;
            let data = notice(&sub, &code, &name);
            let mut m: subscriptions::ActiveModel = sub.clone().into();
            m.reminded_for = Set(Some(sub.current_period_end));
            m.update(&txn).await?;
            outbox::enqueue(&txn, Destination::Notify, "subscription_ending", data, now).await?;
            sent += 1;
        }
        txn.commit().await?;
    }
    Ok(sent)
}

/// Moves subscriptions whose period ended into `grace` (with the "ended" notice), and
/// those whose grace ended into `expired` (entitlement and role revoked).
pub async fn advance_periods(
    state: &AppState,
    batch: u64,
) -> Result<LifecycleReport, ServiceError> {
    let now = state.clock.now();
    let mut report = LifecycleReport::default();
    // Only rows with something to do: subscriptions already in grace stay there for two
    // days, and selecting them too would fill every batch with no-ops (and, on SQLite,
    // take the write lock on every idle pass).
    let ended: Vec<Uuid> = subscriptions::Entity::find()
        .select_only()
        .column(subscriptions::Column::Id)
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(subscriptions::Column::Status.eq("active"))
                        .add(subscriptions::Column::CurrentPeriodEnd.lte(now)),
                )
                .add(
                    Condition::all()
                        .add(subscriptions::Column::Status.eq("grace"))
                        .add(subscriptions::Column::CurrentPeriodEnd.lte(now - GRACE)),
                ),
        )
        .order_by_asc(subscriptions::Column::CurrentPeriodEnd)
        .limit(batch)
        .into_tuple()
        .all(&state.db)
        .await?;
    for id in ended {
        let txn = begin_write(&state.db).await?;
        let Some(sub) = locked(&txn, id).await? else {
            continue;
        };
        if !crate::domain::billing::has_access(sub.status) || sub.current_period_end > now {
            // Renewed meanwhile.
            txn.commit().await?;
            continue;
        }
        if sub.current_period_end + GRACE <= now {
            expire(&txn, &sub, now).await?;
            report.expired += 1;
        } else if sub.status == "active" {
            let (code, name) = tariff_label(&txn, sub.tariff_id).await?;
            let data = notice(&sub, &code, &name);
            let mut m: subscriptions::ActiveModel = sub.clone().into();
            m.status = Set(SubscriptionStatus::Grace);
            m.updated_at = Set(now);
            m.update(&txn).await?;
            // `E` passed without a renewal: the customer hears now that the period
            // ended (access continues through grace; the role goes at `E + grace`).
            outbox::enqueue_many(
                &txn,
                vec![
                    (Destination::Events, "subscription.grace", data.clone()),
                    (Destination::Notify, "subscription_ended", data),
                ],
                now,
            )
            .await?;
            report.to_grace += 1;
        }
        txn.commit().await?;
    }
    Ok(report)
}

async fn expire(
    txn: &DatabaseTransaction,
    sub: &subscriptions::Model,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let (code, name) = tariff_label(txn, sub.tariff_id).await?;
    let data = notice(sub, &code, &name);
    let mut m: subscriptions::ActiveModel = sub.clone().into();
    m.status = Set(SubscriptionStatus::Expired);
    m.renewal_lease_until = Set(None);
    m.next_renewal_at = Set(None);
    m.updated_at = Set(now);
    m.update(txn).await?;
    let role = entitlements::Entity::find_by_id(sub.customer_id)
        .one(txn)
        .await?
        .map(|e| e.role);
    entitlements::Entity::delete_by_id(sub.customer_id)
        .exec(txn)
        .await?;
    outbox::enqueue(
        txn,
        Destination::Events,
        "subscription.expired",
        data.clone(),
        now,
    )
    .await?;
    if sub.status == "active" {
        // The worker missed `E` (down for the whole grace): the "ended" notice that the
        // move into grace would have sent goes out now.
        outbox::enqueue(txn, Destination::Notify, "subscription_ended", data, now).await?;
    }
    if let Some(role) = role {
        outbox::enqueue(
            txn,
            Destination::Auth,
            "role.revoke",
            json!({"user_id": sub.customer_id, "role": role}),
            now,
        )
        .await?;
    }
    Ok(())
}
