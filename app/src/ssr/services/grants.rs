//! Complimentary periods: support gives a customer access to a tariff for a while, with
//! no payment and a reason. With no subscription (or one that ended) a subscription is
//! opened for the gift; an active one on the same tariff runs longer. The entitlement,
//! the auth service's role, an event and the customer's notice follow through the
//! outbox, like a payment's; the audit log and the grant row say who gave it and why.

use entity::status::SubscriptionStatus;
use entity::{complimentary_grants, customers, tariffs};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::json;
use uuid::Uuid;

use crate::domain::grant::GrantLength;
use crate::domain::validation::required_reason;
use crate::dto::{GrantDto, GrantResultDto};
use crate::ssr::billing_event::{self, BillingEvent};
use crate::ssr::repo::audit::{self, Actor, AuditEntry};
use crate::ssr::repo::subscriptions::{self as subs, Extension, Opening};
use crate::ssr::repo::{begin_write, entitlements};
use crate::ssr::services::account;
use crate::ssr::time::rfc3339;
use crate::ssr::{AppState, ServiceError};

/// What support asked for, as typed.
#[derive(Debug, Clone, Default)]
pub struct GrantInput {
    pub tariff_id: Uuid,
    pub days: String,
    pub until: String,
    pub reason: String,
}

pub async fn grant(
    state: &AppState,
    actor: &Actor,
    customer_id: Uuid,
    input: &GrantInput,
) -> Result<GrantResultDto, ServiceError> {
    let now = state.clock.now();
    let mut errors = Vec::new();
    let reason = required_reason(&input.reason)
        .map_err(|e| errors.push(e))
        .ok();
    let length = GrantLength::parse(&input.days, &input.until, now)
        .map_err(|e| errors.push(e))
        .ok();
    let (Some(reason), Some(length)) = (reason, length) else {
        return Err(ServiceError::Invalid(errors));
    };
    customers::Entity::find_by_id(customer_id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound { entity: "customer" })?;
    let tariff = tariffs::Entity::find_by_id(input.tariff_id)
        .one(&state.db)
        .await?
        .filter(|t| t.active)
        .ok_or_else(|| {
            ServiceError::rule(
                "tariff_unavailable",
                "tariff_id",
                "Choose a tariff that is on sale.",
            )
        })?;

    let txn = begin_write(&state.db).await?;
    let sub = subs::lock_of_customer(&txn, customer_id).await?;
    let live = sub.as_ref().filter(|s| {
        matches!(
            s.status,
            SubscriptionStatus::Active | SubscriptionStatus::Grace
        )
    });
    if let Some(s) = live
        && s.tariff_id != tariff.id
    {
        return Err(ServiceError::rule(
            "grant_other_tariff",
            "tariff_id",
            "The customer's subscription is on another tariff: give that tariff, or change their tariff first.",
        ));
    }
    let ends_at = length
        .end(live.map(|s| s.current_period_end), now)
        .map_err(|e| ServiceError::Invalid(vec![e]))?;
    let (subscription_id, starts_at) = match (&sub, live) {
        (None, _) => {
            let id = Uuid::now_v7();
            let opening = Opening {
                id,
                customer_id,
                tariff_id: tariff.id,
                period_start: now,
                period_end: ends_at,
                method_id: None,
            };
            subs::open_many(&txn, &[opening], now).await?;
            (id, now)
        }
        (Some(s), live) => {
            // A live subscription keeps its period start and renewal settings; one that
            // ended starts a new period now, not renewing (there is nothing to charge).
            let (start, auto_renew) = match live {
                Some(l) => (l.current_period_start, l.auto_renew),
                None => (now, false),
            };
            let extension = Extension {
                id: s.id,
                tariff_id: tariff.id,
                period_start: start,
                period_end: ends_at,
                auto_renew,
                method_id: None,
                switched: false,
            };
            subs::extend_many(&txn, &[extension], now).await?;
            (s.id, live.map_or(now, |l| l.current_period_end.max(now)))
        }
    };
    entitlements::grant_many(&txn, [(customer_id, &tariff, ends_at)], now).await?;
    let row = complimentary_grants::ActiveModel {
        id: Set(Uuid::now_v7()),
        customer_id: Set(customer_id),
        subscription_id: Set(subscription_id),
        tariff_id: Set(tariff.id),
        starts_at: Set(starts_at),
        ends_at: Set(ends_at),
        reason: Set(reason.clone()),
        granted_by: Set(actor.id),
        granted_by_label: Set(actor.label.clone()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let event = BillingEvent::ComplimentaryGranted {
        customer_id,
        subscription_id,
        tariff: &tariff,
        ends_at,
        reason: &reason,
    };
    billing_event::record(&txn, &[event], "staff", now).await?;
    audit::record(
        &txn,
        AuditEntry {
            actor,
            action: "subscription.granted",
            entity_type: "customer",
            entity_id: customer_id.to_string(),
            before: sub.as_ref().map(|s| {
                json!({"status": s.status.as_str(), "tariff_id": s.tariff_id, "current_period_end": rfc3339(s.current_period_end)})
            }),
            after: Some(json!({
                "status": "active",
                "tariff_id": tariff.id,
                "current_period_end": rfc3339(ends_at),
                "reason": reason,
            })),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(GrantResultDto {
        grant: dto(&row),
        subscription: account::subscription(&state.db, customer_id).await?,
    })
}

pub fn dto(g: &complimentary_grants::Model) -> GrantDto {
    GrantDto {
        id: g.id,
        customer_id: g.customer_id,
        tariff_id: g.tariff_id,
        starts_at: rfc3339(g.starts_at),
        ends_at: rfc3339(g.ends_at),
        reason: g.reason.clone(),
        granted_by: g.granted_by_label.clone(),
        created_at: rfc3339(g.created_at),
    }
}
