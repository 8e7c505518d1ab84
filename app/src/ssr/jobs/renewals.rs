//! Auto-renewal: from `E - renew_before` the saved card pays for the next month. The
//! provider key is derived from (subscription, period end, attempt), so a crash between
//! charging and settling, or a second worker, finds the same charge instead of making a
//! new one; the payment row's unique key makes our side equally single.

use chrono::{DateTime, Datelike, Utc};
use entity::{invoices, payment_methods, payments, subscriptions, tariffs};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use crate::domain::pricing::Months;
use crate::domain::subscription::GRACE;
use crate::domain::{Currency, Money};
use crate::dto::QuoteDto;
use crate::ssr::outbox::{self, Destination};
use crate::ssr::providers::{ChargeSaved, PaymentStatus, ProviderError, ProviderPayment};
use crate::ssr::repo::{begin_write, is_unique_violation, skip_locked};
use crate::ssr::services::checkout::{
    fresh_quote, next_invoice_number, quote_dto_kind, record_event,
};
use crate::ssr::services::settlement::{self, Settled};
use crate::ssr::time::rfc3339;
use crate::ssr::{AppState, ServiceError};

/// How long one worker holds a subscription's renewal (a crashed worker's lease runs out).
const LEASE: chrono::TimeDelta = chrono::TimeDelta::minutes(5);
/// Renewals one worker runs at once (bounded by the connection pool anyway).
const RENEWALS_IN_FLIGHT: usize = 8;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RenewalReport {
    pub leased: usize,
    pub renewed: usize,
    pub failed: usize,
    /// The provider did not answer: the same key is tried again after the lease.
    pub pending: usize,
    pub skipped: usize,
    pub errors: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenewalOutcome {
    Renewed,
    Failed,
    Pending,
    /// Not due (any more): renewed already, auto-renew off, no card, access over.
    Skipped,
}

/// The provider idempotency key of one renewal charge attempt.
pub fn renewal_key(sub: &subscriptions::Model) -> String {
    format!(
        "renew-{}-{}-{}",
        sub.id.simple(),
        sub.current_period_end.timestamp(),
        sub.renewal_attempts
    )
}

fn due(sub: &subscriptions::Model, state: &AppState, now: DateTime<Utc>) -> bool {
    matches!(sub.status.as_str(), "active" | "grace")
        && sub.auto_renew
        && sub.payment_method_id.is_some()
        && sub.current_period_end <= now + state.billing.renew_before
        && sub.current_period_end + GRACE > now
        && sub.next_renewal_at.is_none_or(|t| t <= now)
}

/// Takes up to `batch` due subscriptions for this worker.
async fn lease_due(state: &AppState, batch: u64) -> Result<Vec<Uuid>, ServiceError> {
    let now = state.clock.now();
    let q = subscriptions::Entity::find()
        .filter(subscriptions::Column::Status.is_in(["active", "grace"]))
        .filter(subscriptions::Column::AutoRenew.eq(true))
        .filter(subscriptions::Column::PaymentMethodId.is_not_null())
        .filter(subscriptions::Column::CurrentPeriodEnd.lte(now + state.billing.renew_before))
        .filter(subscriptions::Column::CurrentPeriodEnd.gt(now - GRACE))
        .filter(
            Condition::any()
                .add(subscriptions::Column::NextRenewalAt.is_null())
                .add(subscriptions::Column::NextRenewalAt.lte(now)),
        )
        .filter(
            Condition::any()
                .add(subscriptions::Column::RenewalLeaseUntil.is_null())
                .add(subscriptions::Column::RenewalLeaseUntil.lte(now)),
        )
        .order_by_asc(subscriptions::Column::CurrentPeriodEnd);
    // Look before taking the write lock (see `outbox_relay::lease`).
    if q.clone().one(&state.db).await?.is_none() {
        return Ok(Vec::new());
    }
    let txn = begin_write(&state.db).await?;
    let ids: Vec<Uuid> = skip_locked(q.limit(batch), &txn)
        .all(&txn)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    if !ids.is_empty() {
        subscriptions::Entity::update_many()
            .col_expr(
                subscriptions::Column::RenewalLeaseUntil,
                Expr::value(Some(now + LEASE)),
            )
            .filter(subscriptions::Column::Id.is_in(ids.clone()))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(ids)
}

/// One renewal pass: lease due subscriptions and renew each.
pub async fn renew_due(state: &AppState, batch: u64) -> Result<RenewalReport, ServiceError> {
    let ids = lease_due(state, batch).await?;
    let mut report = RenewalReport {
        leased: ids.len(),
        ..RenewalReport::default()
    };
    // A few renewals in flight at once: each is a handful of short transactions, so
    // one at a time would leave the database waiting on one commit after another.
    let mut ids = ids.into_iter();
    let mut running = tokio::task::JoinSet::new();
    loop {
        while running.len() < RENEWALS_IN_FLIGHT {
            let Some(id) = ids.next() else { break };
            let state = state.clone();
            running.spawn(async move { renew_subscription(&state, id).await });
        }
        let Some(done) = running.join_next().await else {
            break;
        };
        match done {
            Ok(Ok(RenewalOutcome::Renewed)) => report.renewed += 1,
            Ok(Ok(RenewalOutcome::Failed)) => report.failed += 1,
            Ok(Ok(RenewalOutcome::Pending)) => report.pending += 1,
            Ok(Ok(RenewalOutcome::Skipped)) => report.skipped += 1,
            Ok(Err(e)) => {
                e.log_if_internal();
                report.errors += 1;
            }
            Err(e) => {
                tracing::error!(error = %e, "renewal task failed");
                report.errors += 1;
            }
        }
    }
    Ok(report)
}

async fn release(state: &AppState, id: Uuid) -> Result<(), ServiceError> {
    subscriptions::Entity::update_many()
        .col_expr(
            subscriptions::Column::RenewalLeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(subscriptions::Column::Id.eq(id))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// Renews one subscription if it is due: idempotent, safe to call from several workers.
pub async fn renew_subscription(
    state: &AppState,
    id: Uuid,
) -> Result<RenewalOutcome, ServiceError> {
    let now = state.clock.now();
    let Some(sub) = subscriptions::Entity::find_by_id(id).one(&state.db).await? else {
        return Ok(RenewalOutcome::Skipped);
    };
    if !due(&sub, state, now) {
        release(state, id).await?;
        return Ok(RenewalOutcome::Skipped);
    }
    let method = match sub.payment_method_id {
        Some(mid) => payment_methods::Entity::find_by_id(mid)
            .one(&state.db)
            .await?
            .filter(|m| m.revoked_at.is_none()),
        None => None,
    };
    let Some(method) = method else {
        release(state, id).await?;
        return Ok(RenewalOutcome::Skipped);
    };
    let key = renewal_key(&sub);
    let payment = match payments::Entity::find()
        .filter(payments::Column::ProviderIdempotencyKey.eq(key.as_str()))
        .one(&state.db)
        .await?
    {
        Some(p) => p,
        None => create_renewal(state, &sub, &method, &key, now).await?,
    };
    if payment.status != "pending" {
        // Settled before (a rerun after the settlement committed).
        release(state, id).await?;
        return Ok(RenewalOutcome::Skipped);
    }
    let currency: Currency = payment.currency.parse().unwrap_or_default();
    let amount = Money::from_minor(payment.amount_minor, currency);
    let charged = state
        .provider
        .charge_saved(&ChargeSaved {
            idempotency_key: key.clone(),
            amount,
            description: format!("Kinobill renewal, invoice of {}", rfc3339(now)),
            payment_method_token: method.provider_token.clone(),
            reference: payment.id.to_string(),
        })
        .await;
    let pp = match charged {
        Ok(pp) => pp,
        // The provider refused the request itself (say, the card token is gone): this
        // attempt failed; the retry schedule decides what comes next.
        Err(ProviderError::Rejected { code, message }) => ProviderPayment {
            id: format!("rejected_{}", payment.id.simple()),
            status: PaymentStatus::Failed { code, message },
            amount,
            confirmation_url: None,
            saved_method: None,
            reference: payment.id.to_string(),
        },
        Err(e) => {
            // It may or may not have charged: keep the lease, so the same key is asked
            // again once it runs out and finds whatever the provider did.
            tracing::warn!(subscription = %id, error = %e, "renewal charge did not answer");
            record_event(
                &state.db,
                payment.id,
                "provider_error",
                "renewal",
                None,
                Some(e.to_string()),
                state.clock.now(),
            )
            .await?;
            return Ok(RenewalOutcome::Pending);
        }
    };
    Ok(
        match settlement::settle_payment(state, &pp, "renewal", None).await? {
            Settled::Moved("succeeded") => RenewalOutcome::Renewed,
            Settled::Moved(_) => RenewalOutcome::Failed,
            Settled::StillPending => RenewalOutcome::Pending,
            Settled::Unchanged | Settled::Duplicate => RenewalOutcome::Skipped,
        },
    )
}

/// The renewal's invoice (one month at today's price for this customer) and pending
/// payment. Two workers racing here: the payment key's unique index keeps one.
async fn create_renewal(
    state: &AppState,
    sub: &subscriptions::Model,
    method: &payment_methods::Model,
    key: &str,
    now: DateTime<Utc>,
) -> Result<payments::Model, ServiceError> {
    let tariff = tariffs::Entity::find_by_id(sub.tariff_id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound { entity: "tariff" })?;
    let months = Months::new(1)?;
    let (quote, _) = fresh_quote(&state.db, now, sub.customer_id, &tariff, months, None).await?;
    let quote_dto = QuoteDto::from_quote(tariff.id, 1, &quote);
    let txn = begin_write(&state.db).await?;
    let number = next_invoice_number(&txn, now.year()).await?;
    let invoice_id = Uuid::now_v7();
    let discount = quote.applied.as_ref();
    let currency = quote.total.currency().code().to_string();
    invoices::ActiveModel {
        id: Set(invoice_id),
        number: Set(number.clone()),
        customer_id: Set(sub.customer_id),
        tariff_id: Set(tariff.id),
        kind: Set("renewal".into()),
        months: Set(1),
        list_price_minor: Set(quote.list_price.minor()),
        discount_kind: Set(discount.map(|d| quote_dto_kind(d.kind).to_string())),
        discount_percent_bp: Set(discount.and_then(|d| d.percent).map(|p| i32::from(p.bp()))),
        discount_minor: Set(discount.map_or(0, |d| d.amount.minor())),
        total_minor: Set(quote.total.minor()),
        currency: Set(currency.clone()),
        promo_code_id: Set(None),
        quote: Set(serde_json::to_value(&quote_dto).unwrap_or_default()),
        status: Set("open".into()),
        created_at: Set(now),
        paid_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let payment_id = Uuid::now_v7();
    let inserted = payments::ActiveModel {
        id: Set(payment_id),
        invoice_id: Set(invoice_id),
        customer_id: Set(sub.customer_id),
        provider: Set(state.provider.name().to_string()),
        provider_payment_id: Set(None),
        provider_idempotency_key: Set(key.to_string()),
        status: Set("pending".into()),
        amount_minor: Set(quote.total.minor()),
        currency: Set(currency.clone()),
        save_payment_method: Set(false),
        payment_method_id: Set(Some(method.id)),
        confirmation_url: Set(None),
        return_url: Set(None),
        failure_code: Set(None),
        failure_message: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        paid_at: Set(None),
    }
    .insert(&txn)
    .await;
    let payment = match inserted {
        Ok(p) => p,
        Err(e) if is_unique_violation(&e) => {
            txn.rollback().await?;
            return payments::Entity::find()
                .filter(payments::Column::ProviderIdempotencyKey.eq(key))
                .one(&state.db)
                .await?
                .ok_or(ServiceError::NotFound { entity: "payment" });
        }
        Err(e) => return Err(e.into()),
    };
    record_event(
        &txn,
        payment_id,
        "created",
        "renewal",
        None,
        Some(format!(
            "Renewal invoice {number}, card ···· {}",
            method.last4
        )),
        now,
    )
    .await?;
    outbox::enqueue(
        &txn,
        Destination::Events,
        "invoice.issued",
        json!({
            "invoice_id": invoice_id,
            "number": number,
            "customer_id": sub.customer_id,
            "tariff_id": tariff.id,
            "months": 1,
            "kind": "renewal",
            "total": {"amount": quote.total.to_wire(), "currency": currency},
            "issued_at": rfc3339(now),
        }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(payment)
}
