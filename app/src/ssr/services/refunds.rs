//! Refunds: once per payment (a unique index), inside the window unless an admin
//! overrides it with a reason; the period the payment bought and the access it gave are
//! revoked in the same transaction that books the refund.

use chrono::{DateTime, Utc};
use entity::{entitlements, payments, refunds, subscription_periods, subscriptions, tariffs};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};
use serde_json::json;
use uuid::Uuid;

use crate::domain::subscription::{access_until, refund_window_open};
use crate::domain::{Currency, Money};
use crate::dto::{MoneyDto, RefundDto};
use crate::ssr::outbox::{self, Destination};
use crate::ssr::providers::{ProviderRefund, RefundRequest, RefundStatus};
use crate::ssr::repo::is_unique_violation;
use crate::ssr::services::checkout::{provider_error, record_event};
use crate::ssr::services::settlement::ledger;
use crate::ssr::time::rfc3339;
use crate::ssr::{AppState, ServiceError};

#[derive(Debug, Clone)]
pub enum Requester {
    Customer(Uuid),
    Staff {
        id: Uuid,
        label: String,
        /// Only an admin's override lifts the window and the once-only rule is kept.
        override_reason: Option<String>,
    },
}

impl Requester {
    fn label(&self) -> String {
        match self {
            Requester::Customer(id) => format!("customer:{id}"),
            Requester::Staff { id, label, .. } => format!("staff:{id} ({label})"),
        }
    }
}

fn rule(code: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::rule(code, "payment_id", message)
}

pub fn dto(r: &refunds::Model) -> RefundDto {
    let currency: Currency = r.currency.parse().unwrap_or_default();
    RefundDto {
        id: r.id,
        payment_id: r.payment_id,
        status: r.status.clone(),
        amount: MoneyDto::from(Money::from_minor(r.amount_minor, currency)),
        created_at: rfc3339(r.created_at),
    }
}

pub async fn refund(
    state: &AppState,
    payment_id: Uuid,
    requester: Requester,
    reason: Option<String>,
) -> Result<RefundDto, ServiceError> {
    let now = state.clock.now();
    let reason = reason
        .map(|r| r.trim().chars().take(500).collect::<String>())
        .filter(|r| !r.is_empty());

    let txn = crate::ssr::repo::begin_write(&state.db).await?;
    let payment = crate::ssr::repo::for_update(payments::Entity::find_by_id(payment_id), &txn)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound { entity: "payment" })?;
    if let Requester::Customer(c) = &requester
        && payment.customer_id != *c
    {
        return Err(ServiceError::NotFound { entity: "payment" });
    }
    if payment.status == "refunded"
        || refunds::Entity::find()
            .filter(refunds::Column::PaymentId.eq(payment.id))
            .one(&txn)
            .await?
            .is_some()
    {
        return Err(rule(
            "already_refunded",
            "This payment has already been refunded.",
        ));
    }
    if payment.status != "succeeded" {
        return Err(rule(
            "payment_not_refundable",
            "Only a successful payment can be refunded.",
        ));
    }
    let paid_at = payment.paid_at.unwrap_or(payment.updated_at);
    let overridden = matches!(
        &requester,
        Requester::Staff {
            override_reason: Some(_),
            ..
        }
    );
    if !overridden && !refund_window_open(paid_at, state.billing.refund_window, now) {
        return Err(rule(
            "refund_window_closed",
            format!(
                "Refunds are possible for {} minutes after paying; this payment was made at {}.",
                state.billing.refund_window.num_minutes(),
                rfc3339(paid_at)
            ),
        ));
    }
    let refund = refunds::ActiveModel {
        id: Set(Uuid::now_v7()),
        payment_id: Set(payment.id),
        customer_id: Set(payment.customer_id),
        provider_refund_id: Set(None),
        // One key per payment: a retry after a timeout finds the provider's refund.
        provider_idempotency_key: Set(format!("kb-refund-{}", payment.id)),
        status: Set("pending".into()),
        amount_minor: Set(payment.amount_minor),
        currency: Set(payment.currency.clone()),
        reason: Set(match (&requester, &reason) {
            (
                Requester::Staff {
                    override_reason: Some(o),
                    ..
                },
                Some(r),
            ) => Some(format!("{r} (window overridden: {o})")),
            (
                Requester::Staff {
                    override_reason: Some(o),
                    ..
                },
                None,
            ) => Some(format!("window overridden: {o}")),
            _ => reason.clone(),
        }),
        requested_by: Set(requester.label()),
        failure_message: Set(None),
        created_at: Set(now),
        completed_at: Set(None),
    };
    let refund = match refund.insert(&txn).await {
        Ok(r) => r,
        Err(e) if is_unique_violation(&e) => {
            return Err(rule(
                "already_refunded",
                "This payment has already been refunded.",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    if let Requester::Staff {
        id,
        label,
        override_reason,
    } = &requester
    {
        crate::ssr::repo::audit::record(
            &txn,
            crate::ssr::repo::audit::AuditEntry {
                actor: &crate::ssr::repo::audit::Actor::staff(*id, label),
                action: "payment.refunded",
                entity_type: "payment",
                entity_id: payment.id.to_string(),
                before: Some(json!({"status": payment.status})),
                after: Some(json!({"refund_id": refund.id, "reason": reason, "override_reason": override_reason})),
            },
            now,
        )
        .await?;
    }
    record_event(
        &txn,
        payment.id,
        "refund_requested",
        match requester {
            Requester::Customer(_) => "api",
            Requester::Staff { .. } => "staff",
        },
        None,
        Some(format!(
            "Requested by {}{}",
            requester.label(),
            reason
                .as_ref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        )),
        now,
    )
    .await?;
    txn.commit().await?;

    let currency: Currency = payment.currency.parse().unwrap_or_default();
    let asked = state
        .provider
        .refund(&RefundRequest {
            idempotency_key: refund.provider_idempotency_key.clone(),
            provider_payment_id: payment.provider_payment_id.clone().unwrap_or_default(),
            amount: Money::from_minor(payment.amount_minor, currency),
        })
        .await;
    match asked {
        Ok(pr) => apply_provider_refund(state, refund.id, &pr, "api").await,
        Err(e) => {
            // Give the claim back so the customer can retry; the provider key stays the
            // same, so a refund the provider did make is found, not repeated.
            let txn = crate::ssr::repo::begin_write(&state.db).await?;
            refunds::Entity::delete_by_id(refund.id).exec(&txn).await?;
            record_event(
                &txn,
                payment.id,
                "refund_error",
                "api",
                None,
                Some(e.to_string()),
                now,
            )
            .await?;
            txn.commit().await?;
            Err(provider_error(e))
        }
    }
}

/// Applies the provider's answer (from the call or a webhook) to our refund. Idempotent:
/// a refund that already succeeded is left alone.
pub async fn apply_provider_refund(
    state: &AppState,
    refund_id: Uuid,
    pr: &ProviderRefund,
    source: &str,
) -> Result<RefundDto, ServiceError> {
    let now = state.clock.now();
    let txn = crate::ssr::repo::begin_write(&state.db).await?;
    let refund = refunds::Entity::find_by_id(refund_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound { entity: "refund" })?;
    if refund.status != "pending" {
        txn.commit().await?;
        return Ok(dto(&refund));
    }
    let mut r: refunds::ActiveModel = refund.clone().into();
    r.provider_refund_id = Set(Some(pr.id.clone()));
    match &pr.status {
        RefundStatus::Pending => {}
        RefundStatus::Failed { message } => {
            r.status = Set("failed".into());
            r.failure_message = Set(Some(message.clone()));
            r.completed_at = Set(Some(now));
            record_event(
                &txn,
                refund.payment_id,
                "refund_failed",
                source,
                None,
                Some(message.clone()),
                now,
            )
            .await?;
        }
        RefundStatus::Succeeded => {
            r.status = Set("succeeded".into());
            r.completed_at = Set(Some(now));
            complete(&txn, &refund, source, now).await?;
        }
    }
    let updated = r.update(&txn).await?;
    txn.commit().await?;
    Ok(dto(&updated))
}

async fn complete(
    txn: &DatabaseTransaction,
    refund: &refunds::Model,
    source: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let payment = payments::Entity::find_by_id(refund.payment_id)
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound { entity: "payment" })?;
    let mut p: payments::ActiveModel = payment.clone().into();
    p.status = Set("refunded".into());
    p.updated_at = Set(now);
    p.update(txn).await?;

    let currency: Currency = payment.currency.parse().unwrap_or_default();
    let amount = Money::from_minor(refund.amount_minor, currency);
    let number = entity::invoices::Entity::find_by_id(payment.invoice_id)
        .one(txn)
        .await?
        .map(|i| i.number)
        .unwrap_or_default();
    ledger(
        txn,
        &payment,
        "refund",
        refund.amount_minor,
        format!("Refund: invoice {number}"),
        now,
    )
    .await?;
    ledger(
        txn,
        &payment,
        "charge_reversal",
        -refund.amount_minor,
        format!("Charge reversed: invoice {number}"),
        now,
    )
    .await?;

    // Revoke what the payment bought: the period, and later periods move back by it.
    let mut access: Option<(String, DateTime<Utc>)> = None;
    let mut role = None;
    if let Some(period) = subscription_periods::Entity::find()
        .filter(subscription_periods::Column::PaymentId.eq(payment.id))
        .one(txn)
        .await?
        && period.revoked_at.is_none()
    {
        let length = period.ends_at - period.starts_at;
        let later = subscription_periods::Entity::find()
            .filter(subscription_periods::Column::SubscriptionId.eq(period.subscription_id))
            .filter(subscription_periods::Column::RevokedAt.is_null())
            .filter(subscription_periods::Column::StartsAt.gte(period.ends_at))
            .all(txn)
            .await?;
        for l in later {
            let mut a: subscription_periods::ActiveModel = l.clone().into();
            a.starts_at = Set(l.starts_at - length);
            a.ends_at = Set(l.ends_at - length);
            a.update(txn).await?;
        }
        let mut pa: subscription_periods::ActiveModel = period.clone().into();
        pa.revoked_at = Set(Some(now));
        pa.update(txn).await?;

        if let Some(sub) = subscriptions::Entity::find_by_id(period.subscription_id)
            .one(txn)
            .await?
        {
            let tariff = tariffs::Entity::find_by_id(sub.tariff_id).one(txn).await?;
            role = tariff.as_ref().map(|t| t.role.clone());
            let new_end = sub.current_period_end - length;
            let mut s: subscriptions::ActiveModel = sub.clone().into();
            s.updated_at = Set(now);
            if new_end <= now {
                s.status = Set("canceled".into());
                s.current_period_end = Set(now.max(sub.current_period_start));
                s.auto_renew = Set(false);
                entitlements::Entity::delete_by_id(payment.customer_id)
                    .exec(txn)
                    .await?;
            } else {
                s.current_period_end = Set(new_end);
                let until = access_until(new_end);
                entitlements::Entity::update_many()
                    .col_expr(entitlements::Column::ValidUntil, until.into())
                    .col_expr(entitlements::Column::UpdatedAt, now.into())
                    .filter(entitlements::Column::CustomerId.eq(payment.customer_id))
                    .exec(txn)
                    .await?;
                access = role.clone().map(|r| (r, until));
            }
            s.update(txn).await?;
        }
    }
    record_event(
        txn,
        payment.id,
        "refunded",
        source,
        None,
        Some(format!("Refunded {}", amount.display())),
        now,
    )
    .await?;
    let data = json!({
        "refund_id": refund.id,
        "payment_id": payment.id,
        "invoice_id": payment.invoice_id,
        "customer_id": payment.customer_id,
        "amount": {"amount": amount.to_wire(), "currency": currency.code()},
        "refunded_at": rfc3339(now),
    });
    outbox::enqueue(
        txn,
        Destination::Events,
        "refund.succeeded",
        data.clone(),
        now,
    )
    .await?;
    outbox::enqueue(txn, Destination::Notify, "refund_succeeded", data, now).await?;
    match (access, role) {
        (Some((role, until)), _) => {
            outbox::enqueue(
                txn,
                Destination::Auth,
                "role.grant",
                json!({"user_id": payment.customer_id, "role": role, "valid_until": rfc3339(until)}),
                now,
            )
            .await?;
        }
        (None, Some(role)) => {
            outbox::enqueue(
                txn,
                Destination::Auth,
                "role.revoke",
                json!({"user_id": payment.customer_id, "role": role}),
                now,
            )
            .await?;
        }
        (None, None) => {}
    }
    Ok(())
}

/// A refund webhook: find our refund by the provider's payment id and apply it.
pub async fn apply_refund_webhook(
    state: &AppState,
    provider_payment_id: &str,
    pr: &ProviderRefund,
) -> Result<(), ServiceError> {
    let Some(payment) = payments::Entity::find()
        .filter(payments::Column::Provider.eq(state.provider.name()))
        .filter(payments::Column::ProviderPaymentId.eq(provider_payment_id))
        .one(&state.db)
        .await?
    else {
        return Err(ServiceError::NotFound { entity: "payment" });
    };
    if let Some(refund) = refunds::Entity::find()
        .filter(refunds::Column::PaymentId.eq(payment.id))
        .one(&state.db)
        .await?
    {
        apply_provider_refund(state, refund.id, pr, "webhook").await?;
    }
    Ok(())
}
