//! The subscription calendar around the period end `E`: the "ends in 3 days" reminder at
//! `E - remind_before` (once per period), `grace` with the "ended" notice from `E`,
//! `expired` at `E + 2 days` with the entitlement and the role revoked. Each row changes in its own
//! transaction under a row lock, re-checked there, so two workers never both act.

use chrono::{DateTime, Utc};
use entity::{entitlements, subscriptions, tariffs};
use sea_orm::{DatabaseTransaction, EntityTrait};

use crate::domain::billing::SubscriptionStatus;
use crate::domain::subscription::GRACE;
use crate::ssr::billing_event::{self, BillingEvent};
use crate::ssr::repo::begin_write;
use crate::ssr::repo::subscriptions as subscriptions_repo;
use crate::ssr::{AppState, ServiceError};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LifecycleReport {
    pub reminded: usize,
    pub to_grace: usize,
    pub expired: usize,
}

/// The tariff a subscription runs on (the foreign key guarantees it exists).
async fn tariff_of(
    txn: &DatabaseTransaction,
    sub: &subscriptions::Model,
) -> Result<tariffs::Model, ServiceError> {
    tariffs::Entity::find_by_id(sub.tariff_id)
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound { entity: "tariff" })
}

/// "Your subscription ends in 3 days" for active subscriptions ending within
/// `remind_before`, once per period (whether or not it will renew).
pub async fn send_reminders(state: &AppState, batch: u64) -> Result<usize, ServiceError> {
    let now = state.clock.now();
    let candidates =
        subscriptions_repo::to_remind(&state.db, now, now + state.billing.remind_before, batch)
            .await?;
    let mut sent = 0;
    for id in candidates {
        let txn = begin_write(&state.db).await?;
        let Some(sub) = subscriptions_repo::lock(&txn, id).await? else {
            continue;
        };
        let remind = sub.status == SubscriptionStatus::Active
            && sub.current_period_end > now
            && sub.current_period_end <= now + state.billing.remind_before
            && sub.reminded_for != Some(sub.current_period_end);
        if remind {
            let tariff = tariff_of(&txn, &sub).await?;
            let sub = subscriptions_repo::mark_reminded(&txn, &sub).await?;
            let event = BillingEvent::SubscriptionEnding {
                sub: &sub,
                tariff: &tariff,
            };
            billing_event::record(&txn, &[event], "worker", now).await?;
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
    let ended = subscriptions_repo::ran_out(&state.db, now, now - GRACE, batch).await?;
    for id in ended {
        let txn = begin_write(&state.db).await?;
        let Some(sub) = subscriptions_repo::lock(&txn, id).await? else {
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
        } else if sub.status == SubscriptionStatus::Active {
            let tariff = tariff_of(&txn, &sub).await?;
            let sub = subscriptions_repo::enter_grace(&txn, &sub, now).await?;
            // `E` passed without a renewal: the customer hears now that the period
            // ended (access continues through grace; the role goes at `E + grace`).
            let event = BillingEvent::SubscriptionLapsed {
                sub: &sub,
                tariff: &tariff,
            };
            billing_event::record(&txn, &[event], "worker", now).await?;
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
    let tariff = tariff_of(txn, sub).await?;
    let expired = subscriptions_repo::expire(txn, sub, now).await?;
    let role = entitlements::Entity::find_by_id(sub.customer_id)
        .one(txn)
        .await?
        .map(|e| e.role);
    entitlements::Entity::delete_by_id(sub.customer_id)
        .exec(txn)
        .await?;
    let event = BillingEvent::SubscriptionExpired {
        sub: &expired,
        tariff: &tariff,
        role,
        // The worker missed `E` (down for the whole grace): the "ended" notice that the
        // move into grace would have sent goes out now.
        notify_ended: sub.status == SubscriptionStatus::Active,
    };
    billing_event::record(txn, &[event], "worker", now).await?;
    Ok(())
}
