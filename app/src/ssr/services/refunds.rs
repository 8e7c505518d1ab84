//! Refunds: once per payment (a unique index), inside the window unless an admin
//! overrides it with a reason; the period the payment bought and the access it gave are
//! revoked in the same transaction that books the refund. A refund whose provider
//! answer was lost stays `pending` (the payment stays spoken for) until a retry or the
//! worker's poll learns the outcome with the same key; a refusal is final and says so.

use chrono::{DateTime, Utc};
use entity::{entitlements, payments, refunds, subscription_periods, tariffs};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde_json::json;
use uuid::Uuid;

use crate::domain::billing::{PaymentStatus, RefundStatus, SubscriptionStatus, after_refund};
use crate::domain::subscription::{access_until, refund_window_open};
use crate::dto::{MoneyDto, RefundDto};
use crate::ssr::billing_event::{self, AccessChange, BillingEvent};
use crate::ssr::providers::{
    ProviderError, ProviderRefund, RefundRequest, RefundStatus as ProviderRefundStatus,
};
use crate::ssr::repo::stored::Amount;
use crate::ssr::repo::subscriptions as subscriptions_repo;
use crate::ssr::repo::timeline::{self, EventRecord};
use crate::ssr::repo::{is_unique_violation, ledger, payments as payment_repo};
use crate::ssr::time::rfc3339;
use crate::ssr::{AppState, ServiceError};
use entity::status::LedgerKind;

#[derive(Debug, Clone)]
pub enum Requester {
    Customer(Uuid),
    Staff {
        id: Uuid,
        label: String,
        /// Only an admin's override lifts the window and the once-only rule is kept.
        override_reason: Option<String>,
        /// An admin's partial refund (with the override): part of the money back.
        partial: Option<PartialRefund>,
    },
}

/// What a partial refund does to the period the payment bought, chosen explicitly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodPolicy {
    /// The period ends earlier, in proportion to the share of the money returned.
    Shorten,
    /// Access stays as paid for (a goodwill refund).
    Keep,
}

impl PeriodPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodPolicy::Shorten => "shorten",
            PeriodPolicy::Keep => "keep",
        }
    }

    pub fn parse(s: &str) -> Result<PeriodPolicy, ServiceError> {
        match s.trim() {
            "shorten" => Ok(PeriodPolicy::Shorten),
            "keep" => Ok(PeriodPolicy::Keep),
            _ => Err(ServiceError::Invalid(vec![
                crate::domain::DomainError::invalid(
                    "period",
                    "choose shorten (the period ends earlier in proportion) or keep (access stays)",
                ),
            ])),
        }
    }
}

/// An admin's refund of part of a payment: the amount as typed, and the period policy.
#[derive(Debug, Clone)]
pub struct PartialRefund {
    pub amount: String,
    pub period: PeriodPolicy,
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

pub fn dto(r: &refunds::Model) -> Result<RefundDto, ServiceError> {
    Ok(RefundDto {
        id: r.id,
        payment_id: r.payment_id,
        status: r.status.to_string(),
        amount: MoneyDto::from(r.amount()?),
        created_at: rfc3339(r.created_at),
    })
}

pub async fn refund(
    state: &AppState,
    payment_id: Uuid,
    requester: Requester,
    reason: Option<String>,
) -> Result<RefundDto, ServiceError> {
    let by = match &requester {
        Requester::Customer(_) => "customer",
        Requester::Staff { .. } => "staff",
    };
    let result = refund_once(state, payment_id, requester, reason).await;
    crate::ssr::metrics::refund(by, &result);
    result
}

async fn refund_once(
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
    let payment = payment_repo::lock(&txn, payment_id)
        .await?
        .ok_or(ServiceError::NotFound { entity: "payment" })?;
    if let Requester::Customer(c) = &requester
        && payment.customer_id != *c
    {
        return Err(ServiceError::NotFound { entity: "payment" });
    }
    if let Some(existing) = refunds::Entity::find()
        .filter(refunds::Column::PaymentId.eq(payment.id))
        .one(&txn)
        .await?
    {
        txn.commit().await?;
        return match existing.status {
            // The provider's answer to an earlier request was lost (it is due for a poll
            // now): ask again with the same key, which finds the refund the provider made
            // instead of making a second one.
            RefundStatus::Pending if existing.next_poll_at.is_some_and(|t| t <= now) => {
                ask_provider(state, &existing, &payment, "api").await
            }
            // Another request is asking the provider right now.
            RefundStatus::Pending => Err(already_refunded()),
            RefundStatus::Succeeded => Err(already_refunded()),
            RefundStatus::Failed => Err(refused(existing.failure_message.as_deref())),
        };
    }
    if payment.status == PaymentStatus::Refunded {
        return Err(already_refunded());
    }
    if payment.status != PaymentStatus::Succeeded {
        return Err(rule(
            "payment_not_refundable",
            "Only a successful payment can be refunded.",
        ));
    }
    let paid_at = payment.paid_at.ok_or_else(|| {
        ServiceError::Unexpected(anyhow::anyhow!(
            "succeeded payment {} has no paid_at",
            payment.id
        ))
    })?;
    let overridden = matches!(
        &requester,
        Requester::Staff {
            override_reason: Some(_),
            ..
        }
    );
    // Part of the money back is an admin's decision outside the usual rules.
    let (amount_minor, period) = match &requester {
        Requester::Staff {
            partial: Some(p), ..
        } => {
            if !overridden {
                return Err(rule(
                    "partial_refund_needs_override",
                    "A partial refund is an administrator's decision: give override_reason.",
                ));
            }
            let currency =
                crate::ssr::repo::stored::currency(&payment.currency, "payment", payment.id)?;
            let amount = crate::domain::Money::parse(&p.amount, currency, "amount")
                .map_err(|e| ServiceError::Invalid(vec![e]))?;
            if amount.minor() <= 0 || amount.minor() > payment.amount_minor {
                return Err(ServiceError::Invalid(vec![
                    crate::domain::DomainError::invalid(
                        "amount",
                        format!(
                            "refund more than nothing and at most the {} paid",
                            payment.amount()?.display()
                        ),
                    ),
                ]));
            }
            (amount.minor(), Some(p.period))
        }
        _ => (payment.amount_minor, None),
    };
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
    let reason = match (&requester, reason) {
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
        (_, reason) => reason,
    };
    let claimed = claim(
        &txn,
        &payment,
        Claim {
            amount_minor,
            period,
            reason: reason.clone(),
            requested_by: &requester.label(),
        },
        now,
        now + REFUND_POLL,
    )
    .await;
    let refund = match claimed {
        Ok(r) => r,
        Err(ServiceError::Db(e)) if is_unique_violation(&e) => return Err(already_refunded()),
        Err(e) => return Err(e),
    };
    if let Requester::Staff {
        id,
        label,
        override_reason,
        ..
    } = &requester
    {
        crate::ssr::repo::audit::record(
            &txn,
            crate::ssr::repo::audit::AuditEntry {
                actor: &crate::ssr::repo::audit::Actor::staff(*id, label),
                action: "payment.refunded",
                entity_type: "payment",
                entity_id: payment.id.to_string(),
                before: Some(json!({"status": payment.status.as_str()})),
                after: Some(json!({
                    "refund_id": refund.id,
                    "amount": crate::dto::MoneyDto::from(refund.amount()?),
                    "period": period.map(PeriodPolicy::as_str),
                    "reason": reason,
                    "override_reason": override_reason,
                })),
            },
            now,
        )
        .await?;
    }
    let event = BillingEvent::RefundRequested {
        payment_id: payment.id,
        by: requester.label(),
        reason: reason.as_deref(),
    };
    let source = match requester {
        Requester::Customer(_) => "api",
        Requester::Staff { .. } => "staff",
    };
    billing_event::record(&txn, &[event], source, now).await?;
    txn.commit().await?;
    ask_provider(state, &refund, &payment, "api").await
}

fn already_refunded() -> ServiceError {
    rule(
        "already_refunded",
        "This payment has already been refunded.",
    )
}

/// The provider said no for good: a rule the caller can read, not a retryable outage.
fn refused(message: Option<&str>) -> ServiceError {
    rule(
        "refund_refused",
        format!(
            "The payment provider refused the refund{}",
            message
                .map(|m| format!(": {m}"))
                .unwrap_or_else(|| ".".into())
        ),
    )
}

/// What a refund claims: how much, what happens to the period, who asked and why.
pub(crate) struct Claim<'a> {
    pub amount_minor: i64,
    /// `None`: the whole payment, its period revoked.
    pub period: Option<PeriodPolicy>,
    pub reason: Option<String>,
    pub requested_by: &'a str,
}

impl Claim<'_> {
    /// The whole payment back, as a customer's refund or a superseded payment's.
    pub fn whole<'a>(
        payment: &payments::Model,
        reason: Option<String>,
        requested_by: &'a str,
    ) -> Claim<'a> {
        Claim {
            amount_minor: payment.amount_minor,
            period: None,
            reason,
            requested_by,
        }
    }
}

/// The refund row (pending), inside the caller's transaction: the unique index on the
/// payment makes it the once-only claim. `poll_at` is when the worker asks the provider
/// if nobody has by then (this request's answer was lost, or nobody asked yet).
pub(crate) async fn claim(
    txn: &DatabaseTransaction,
    payment: &payments::Model,
    what: Claim<'_>,
    now: DateTime<Utc>,
    poll_at: DateTime<Utc>,
) -> Result<refunds::Model, ServiceError> {
    Ok(refunds::ActiveModel {
        id: Set(Uuid::now_v7()),
        payment_id: Set(payment.id),
        customer_id: Set(payment.customer_id),
        provider_refund_id: Set(None),
        // One key per payment: a retry after a timeout finds the provider's refund.
        provider_idempotency_key: Set(format!("kb-refund-{}", payment.id)),
        status: Set(RefundStatus::Pending),
        amount_minor: Set(what.amount_minor),
        currency: Set(payment.currency.clone()),
        reason: Set(what.reason),
        requested_by: Set(what.requested_by.to_string()),
        failure_message: Set(None),
        created_at: Set(now),
        completed_at: Set(None),
        next_poll_at: Set(Some(poll_at)),
        period: Set(what.period.map(|p| p.as_str().to_string())),
    }
    .insert(txn)
    .await?)
}

/// How long a refund whose answer was lost waits before the worker asks again.
pub const REFUND_POLL: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// Sends a pending refund to the provider (again: the key is the refund's own) and
/// applies the answer. A lost answer (timeout, 5xx) leaves it pending for the worker; a
/// refusal fails it for good.
pub async fn ask_provider(
    state: &AppState,
    refund: &refunds::Model,
    payment: &payments::Model,
    source: &str,
) -> Result<RefundDto, ServiceError> {
    let provider_payment_id = payment.provider_payment_id.clone().ok_or_else(|| {
        tracing::error!(payment = %payment.id, refund = %refund.id, "refund of a payment without a provider id");
        ServiceError::Unexpected(anyhow::anyhow!(
            "payment {} has no provider payment id to refund",
            payment.id
        ))
    })?;
    let asked = state
        .provider
        .refund(&RefundRequest {
            idempotency_key: refund.provider_idempotency_key.clone(),
            provider_payment_id,
            amount: refund.amount()?,
        })
        .await;
    match asked {
        Ok(pr) => apply_provider_refund(state, refund.id, &pr, source).await,
        Err(e @ (ProviderError::Timeout | ProviderError::Unavailable(_))) => {
            // It may or may not have happened: the refund stays pending (the payment is
            // spoken for) and the worker asks again with the same key.
            tracing::warn!(refund = %refund.id, error = %e, "refund answer lost; will ask again");
            let now = state.clock.now();
            // Due at once for the caller's retry and the worker's next pass; the worker's
            // own failed poll waits a while, so a provider outage is not hammered.
            let retry_at = if source == "poll" {
                now + REFUND_POLL
            } else {
                now
            };
            let txn = crate::ssr::repo::begin_write(&state.db).await?;
            let event = BillingEvent::RefundUnanswered {
                payment_id: payment.id,
                error: e.to_string(),
            };
            billing_event::record(&txn, &[event], source, now).await?;
            refunds::Entity::update_many()
                .col_expr(refunds::Column::NextPollAt, Some(retry_at).into())
                .filter(refunds::Column::Id.eq(refund.id))
                .filter(refunds::Column::Status.eq(RefundStatus::Pending))
                .exec(&txn)
                .await?;
            txn.commit().await?;
            let current = refunds::Entity::find_by_id(refund.id)
                .one(&state.db)
                .await?
                .ok_or(ServiceError::NotFound { entity: "refund" })?;
            dto(&current)
        }
        Err(
            e @ (ProviderError::Rejected { .. }
            | ProviderError::NotFound
            | ProviderError::InvalidSignature
            | ProviderError::ForbiddenSource(_)
            | ProviderError::MalformedWebhook(_)),
        ) => {
            let message = e.to_string();
            let failed = ProviderRefund {
                id: refund
                    .provider_refund_id
                    .clone()
                    .unwrap_or_else(|| refund.provider_idempotency_key.clone()),
                status: ProviderRefundStatus::Failed {
                    message: message.clone(),
                },
            };
            apply_provider_refund(state, refund.id, &failed, source).await?;
            Err(refused(Some(&message)))
        }
    }
}

/// Applies the provider's answer (from the call, a webhook or the worker's poll) to our
/// refund, under the refund's row lock. Idempotent: a refund that is no longer pending
/// is left alone.
pub async fn apply_provider_refund(
    state: &AppState,
    refund_id: Uuid,
    pr: &ProviderRefund,
    source: &str,
) -> Result<RefundDto, ServiceError> {
    let txn = crate::ssr::repo::begin_write(&state.db).await?;
    let applied = apply_in(&txn, state, refund_id, pr, source).await?;
    txn.commit().await?;
    dto(&applied)
}

/// [`apply_provider_refund`] inside the caller's transaction; the refund as it is after.
async fn apply_in(
    txn: &DatabaseTransaction,
    state: &AppState,
    refund_id: Uuid,
    pr: &ProviderRefund,
    source: &str,
) -> Result<refunds::Model, ServiceError> {
    let now = state.clock.now();
    let refund = crate::ssr::repo::for_update(refunds::Entity::find_by_id(refund_id), txn)
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound { entity: "refund" })?;
    if refund.status != RefundStatus::Pending {
        return Ok(refund);
    }
    let mut r: refunds::ActiveModel = refund.clone().into();
    r.provider_refund_id = Set(Some(pr.id.clone()));
    match &pr.status {
        ProviderRefundStatus::Pending => {
            r.next_poll_at = Set(Some(now + REFUND_POLL));
        }
        ProviderRefundStatus::Failed { message } => {
            r.status = Set(RefundStatus::Failed);
            r.failure_message = Set(Some(message.clone()));
            r.completed_at = Set(Some(now));
            r.next_poll_at = Set(None);
            let event = BillingEvent::RefundRefused {
                payment_id: refund.payment_id,
                message,
            };
            billing_event::record(txn, &[event], source, now).await?;
        }
        ProviderRefundStatus::Succeeded => {
            r.status = Set(RefundStatus::Succeeded);
            r.completed_at = Set(Some(now));
            r.next_poll_at = Set(None);
            complete(txn, &refund, source, now).await?;
        }
    }
    Ok(r.update(txn).await?)
}

async fn complete(
    txn: &DatabaseTransaction,
    refund: &refunds::Model,
    source: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let payment = payment_repo::lock(txn, refund.payment_id)
        .await?
        .ok_or(ServiceError::NotFound { entity: "payment" })?;
    payment_repo::set_refunded(txn, payment.id, now).await?;

    let amount = refund.amount()?;
    let number = crate::ssr::repo::invoices::find(txn, payment.invoice_id)
        .await?
        .ok_or(ServiceError::NotFound { entity: "invoice" })?
        .number;
    ledger::book_many(
        txn,
        vec![
            ledger::payment_line(
                &payment,
                LedgerKind::Refund,
                refund.amount_minor,
                format!("Refund: invoice {number}"),
                now,
            ),
            ledger::payment_line(
                &payment,
                LedgerKind::ChargeReversal,
                -refund.amount_minor,
                format!("Charge reversed: invoice {number}"),
                now,
            ),
        ],
    )
    .await?;

    // The whole payment back takes its whole period back; part of it shortens the
    // period in proportion or keeps it, as the admin chose.
    let share = match refund.period.as_deref() {
        Some("keep") => None,
        Some(_) if refund.amount_minor < payment.amount_minor => {
            Some(Some((refund.amount_minor, payment.amount_minor)))
        }
        _ => Some(None),
    };
    let access = match share {
        None => AccessChange::Unchanged,
        Some(share) => take_back_period(txn, &payment, share, now).await?,
    };
    let event = BillingEvent::RefundSucceeded {
        refund,
        payment: &payment,
        amount,
        access,
    };
    billing_event::record(txn, &[event], source, now).await
}

/// Takes back the period the payment bought, whole (`share` `None`: it is revoked) or
/// the `refunded / paid` share of its length (it ends that much earlier): later periods
/// move back by what was taken, the subscription (locked) ends that much earlier and is
/// what it would have been without it as far as time allows ([`after_refund`]), and the
/// entitlement follows.
async fn take_back_period(
    txn: &DatabaseTransaction,
    payment: &payments::Model,
    share: Option<(i64, i64)>,
    now: DateTime<Utc>,
) -> Result<AccessChange, ServiceError> {
    let Some(period) = subscription_periods::Entity::find()
        .filter(subscription_periods::Column::PaymentId.eq(payment.id))
        .one(txn)
        .await?
        .filter(|p| p.revoked_at.is_none())
    else {
        return Ok(AccessChange::Unchanged);
    };
    let sub = subscriptions_repo::lock(txn, period.subscription_id)
        .await?
        .ok_or(ServiceError::NotFound {
            entity: "subscription",
        })?;
    let whole = period.ends_at - period.starts_at;
    let length = match share {
        // Whole seconds in integer arithmetic: never more than the period.
        Some((refunded, paid)) if paid > 0 => chrono::TimeDelta::seconds(
            i64::try_from(
                i128::from(whole.num_seconds()) * i128::from(refunded) / i128::from(paid),
            )
            .unwrap_or(0),
        ),
        _ => whole,
    };
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
    if share.is_some() {
        pa.ends_at = Set(period.ends_at - length);
    } else {
        pa.revoked_at = Set(Some(now));
    }
    pa.update(txn).await?;

    // The period this payment started (or a later one) ends `length` earlier; the
    // customer is back where the payment found them: an earlier paid period still
    // running, grace, or nothing.
    let new_end = sub.current_period_end - length;
    let role = tariffs::Entity::find_by_id(sub.tariff_id)
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound { entity: "tariff" })?
        .role;
    let status = after_refund(sub.current_period_start, new_end, now);
    if status == SubscriptionStatus::Canceled {
        // Nothing paid is left: the record shows the access ending now.
        let ended = now.max(sub.current_period_start);
        subscriptions_repo::cut_back(txn, &sub, status, ended, now).await?;
        entitlements::Entity::delete_by_id(payment.customer_id)
            .exec(txn)
            .await?;
        return Ok(AccessChange::Revoked { role });
    }
    subscriptions_repo::cut_back(txn, &sub, status, new_end, now).await?;
    let until = access_until(new_end);
    entitlements::Entity::update_many()
        .col_expr(entitlements::Column::ValidUntil, until.into())
        .col_expr(entitlements::Column::UpdatedAt, now.into())
        .filter(entitlements::Column::CustomerId.eq(payment.customer_id))
        .exec(txn)
        .await?;
    Ok(AccessChange::Until { role, until })
}

/// A refund webhook: find our refund by the provider's payment id and apply it.
pub async fn apply_refund_webhook(
    state: &AppState,
    provider_payment_id: &str,
    pr: &ProviderRefund,
    event: &EventRecord<'_>,
) -> Result<&'static str, ServiceError> {
    let Some(payment) =
        payment_repo::by_provider_id(&state.db, state.provider.name(), provider_payment_id).await?
    else {
        return Err(ServiceError::NotFound { entity: "payment" });
    };
    let txn = crate::ssr::repo::begin_write(&state.db).await?;
    // Stored on the payment's timeline like a payment notification, and deduplicated
    // by the same unique key, in the transaction that applies it.
    let first =
        timeline::record_once(&txn, payment.id, event, "webhook", state.clock.now()).await?;
    if !first {
        txn.rollback().await?;
        return Ok("duplicate");
    }
    let refund = refunds::Entity::find()
        .filter(refunds::Column::PaymentId.eq(payment.id))
        .one(&txn)
        .await?;
    if let Some(refund) = refund {
        apply_in(&txn, state, refund.id, pr, "webhook").await?;
    }
    txn.commit().await?;
    Ok("refund")
}

/// Refunds still pending whose poll time came (their answer was lost, or they were
/// claimed by settlement for a superseded payment): ask the provider again with the
/// same key. Leased by moving `next_poll_at`, so two workers never ask at once.
pub async fn reconcile_pending_refunds(
    state: &AppState,
    batch: u64,
) -> Result<usize, ServiceError> {
    use crate::ssr::repo::lease::{self, Lease};
    let now = state.clock.now();
    let due = refunds::Entity::find()
        .filter(refunds::Column::Status.eq(RefundStatus::Pending))
        .filter(refunds::Column::NextPollAt.lte(now))
        .order_by_asc(refunds::Column::NextPollAt);
    let leased = lease::take(
        &state.db,
        Lease {
            due,
            batch,
            column: refunds::Column::NextPollAt,
            until: Some(now + REFUND_POLL).into(),
            id_column: refunds::Column::Id,
            id: |r| r.id,
        },
    )
    .await?;
    let mut asked = 0;
    for refund in leased {
        let Some(payment) = payment_repo::find(&state.db, refund.payment_id).await? else {
            continue;
        };
        asked += 1;
        match ask_provider(state, &refund, &payment, "poll").await {
            Ok(_) => {}
            // A refusal is recorded on the refund; anything else is logged and retried.
            Err(ServiceError::Rule { .. }) => {}
            Err(e) => e.log_if_internal(),
        }
    }
    Ok(asked)
}
