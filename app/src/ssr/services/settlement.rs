//! `settle_payment`: the one place a provider's word about a payment becomes billing
//! state. The webhook, the return page and reconciliation all call it; it is idempotent
//! and runs in one transaction: payment and invoice status, ledger, subscription period,
//! entitlement, promo redemption and outbox rows land together or not at all.

use chrono::{DateTime, Utc};
use entity::{
    entitlements, invoices, ledger_entries, payment_events, payment_methods, payments,
    subscription_periods, subscriptions, tariffs,
};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, QueryFilter, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::domain::subscription::{access_until, add_months, next_period_start};
use crate::domain::{Currency, Money};
use crate::ssr::outbox::{self, Destination};
use crate::ssr::providers::{PaymentStatus, ProviderPayment};
use crate::ssr::repo::{for_update, is_unique_violation};
use crate::ssr::services::pricing;
use crate::ssr::time::rfc3339;
use crate::ssr::{AppState, ServiceError};

/// What settling did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// The payment moved to this terminal status now.
    Moved(&'static str),
    /// Already terminal (a duplicate, or a late `pending`): nothing changed.
    Unchanged,
    /// The provider still says pending.
    StillPending,
    /// This exact provider event was handled before.
    Duplicate,
}

/// A webhook's identity and raw body, kept on the payment's timeline.
pub struct EventRecord<'a> {
    pub dedupe_key: String,
    pub kind: &'a str,
    pub payload: String,
}

/// Row lock on PostgreSQL; SQLite has one writer anyway.
async fn lock_payment(
    txn: &DatabaseTransaction,
    provider: &str,
    pp: &ProviderPayment,
) -> Result<Option<payments::Model>, ServiceError> {
    let by_provider_id = payments::Entity::find()
        .filter(payments::Column::Provider.eq(provider))
        .filter(payments::Column::ProviderPaymentId.eq(pp.id.as_str()));
    if let Some(p) = for_update(by_provider_id, txn).one(txn).await? {
        return Ok(Some(p));
    }
    // The provider may report a payment before we stored its id (a timeout after it
    // created it): our reference is the payment id.
    let Ok(ours) = Uuid::parse_str(&pp.reference) else {
        return Ok(None);
    };
    // By primary key alone, checking the provider here: with `provider = $2` in the
    // statement, PostgreSQL may cache a generic plan (made while the table was empty)
    // that walks the (provider, provider_payment_id) index row by row.
    let q = payments::Entity::find_by_id(ours);
    Ok(for_update(q, txn)
        .one(txn)
        .await?
        .filter(|p| p.provider == provider))
}

pub async fn settle_payment(
    state: &AppState,
    pp: &ProviderPayment,
    source: &str,
    event: Option<EventRecord<'_>>,
) -> Result<Settled, ServiceError> {
    let txn = crate::ssr::repo::begin_write(&state.db).await?;
    let result = settle_in(&txn, state, pp, source, event).await?;
    if result == Settled::Duplicate {
        // The refused event insert may have poisoned the transaction; nothing to keep.
        txn.rollback().await?;
    } else {
        txn.commit().await?;
    }
    Ok(result)
}

/// `settle_payment` inside the caller's transaction, so a batch (the renewal sweep)
/// can settle many payments with one commit. The caller commits; on any error it must
/// roll back, since on PostgreSQL a failed statement poisons the transaction.
pub async fn settle_in(
    txn: &DatabaseTransaction,
    state: &AppState,
    pp: &ProviderPayment,
    source: &str,
    event: Option<EventRecord<'_>>,
) -> Result<Settled, ServiceError> {
    let provider = state.provider.name();
    let now = state.clock.now();
    let Some(payment) = lock_payment(txn, provider, pp).await? else {
        return Err(ServiceError::NotFound { entity: "payment" });
    };
    if let Some(ev) = &event {
        let inserted = payment_events::ActiveModel {
            id: Set(Uuid::now_v7()),
            payment_id: Set(payment.id),
            kind: Set(ev.kind.to_string()),
            source: Set(source.to_string()),
            dedupe_key: Set(Some(ev.dedupe_key.clone())),
            payload: Set(Some(ev.payload.clone())),
            note: Set(None),
            created_at: Set(now),
        }
        .insert(txn)
        .await;
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return Ok(Settled::Duplicate),
            Err(e) => return Err(e.into()),
        }
    }
    let terminal = matches!(
        payment.status.as_str(),
        "succeeded" | "failed" | "canceled" | "refunded"
    );
    if terminal {
        // A terminal state never moves back: late or repeated news is only recorded.
        return Ok(Settled::Unchanged);
    }
    Ok(match &pp.status {
        PaymentStatus::Pending => Settled::StillPending,
        PaymentStatus::Succeeded => {
            succeed(txn, &payment, pp, source, now).await?;
            Settled::Moved("succeeded")
        }
        PaymentStatus::Failed { code, message } => {
            fail(txn, state, &payment, "failed", code, message, source, now).await?;
            Settled::Moved("failed")
        }
        PaymentStatus::Canceled => {
            fail(
                txn,
                state,
                &payment,
                "canceled",
                "canceled",
                "The payment was canceled.",
                source,
                now,
            )
            .await?;
            Settled::Moved("canceled")
        }
    })
}

#[allow(clippy::too_many_arguments)]
async fn fail(
    txn: &DatabaseTransaction,
    state: &AppState,
    payment: &payments::Model,
    status: &str,
    code: &str,
    message: &str,
    source: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut p: payments::ActiveModel = payment.clone().into();
    p.status = Set(status.to_string());
    p.failure_code = Set(Some(code.to_string()));
    p.failure_message = Set(Some(message.to_string()));
    p.updated_at = Set(now);
    p.update(txn).await?;
    super::checkout::record_event(
        txn,
        payment.id,
        status,
        source,
        None,
        Some(message.to_string()),
        now,
    )
    .await?;
    let data = json!({
        "payment_id": payment.id,
        "invoice_id": payment.invoice_id,
        "customer_id": payment.customer_id,
        "code": code,
        "message": message,
    });
    // Consumers tell a bank's "no" from a payment nobody finished by the routing key.
    let event = if status == "canceled" {
        "payment.canceled"
    } else {
        "payment.failed"
    };
    let mut messages = vec![(Destination::Events, event, data.clone())];
    let renewal = invoices::Entity::find_by_id(payment.invoice_id)
        .one(txn)
        .await?
        .is_some_and(|i| i.kind == "renewal");
    if renewal {
        // The next try waits for the retry schedule and gets a fresh key (attempt + 1);
        // access continues through grace meanwhile.
        if let Some(sub) = subscriptions::Entity::find()
            .filter(subscriptions::Column::CustomerId.eq(payment.customer_id))
            .one(txn)
            .await?
        {
            let next_try = now + state.billing.renewal_retry;
            let attempts = sub.renewal_attempts + 1;
            let period_end = sub.current_period_end;
            let mut s: subscriptions::ActiveModel = sub.into();
            s.renewal_attempts = Set(attempts);
            s.next_renewal_at = Set(Some(next_try));
            s.renewal_lease_until = Set(None);
            s.updated_at = Set(now);
            s.update(txn).await?;
            let mut notice = data.clone();
            notice["attempt"] = json!(attempts);
            notice["next_attempt_at"] = json!(rfc3339(next_try));
            notice["access_until"] = json!(rfc3339(access_until(period_end)));
            messages.push((Destination::Notify, "renewal_failed", notice));
        }
    } else if status == "failed" {
        messages.push((Destination::Notify, "payment_failed", data));
    }
    outbox::enqueue_many(txn, messages, now).await?;
    Ok(())
}

async fn succeed(
    txn: &DatabaseTransaction,
    payment: &payments::Model,
    pp: &ProviderPayment,
    source: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let currency: Currency = payment.currency.parse().unwrap_or_default();
    let amount = Money::from_minor(payment.amount_minor, currency);
    if pp.amount != amount {
        // Never book money we did not ask for; leave the payment for a person to check.
        return Err(anyhow::anyhow!(
            "provider amount {} differs from payment {} amount {}",
            pp.amount.to_wire(),
            payment.id,
            amount.to_wire()
        )
        .into());
    }
    let invoice = invoices::Entity::find_by_id(payment.invoice_id)
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound { entity: "invoice" })?;
    let tariff = tariffs::Entity::find_by_id(invoice.tariff_id)
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound { entity: "tariff" })?;

    let method_id = match &pp.saved_method {
        Some(m) => Some(save_method(txn, payment, m, now).await?),
        None => None,
    };
    let mut p: payments::ActiveModel = payment.clone().into();
    p.status = Set("succeeded".into());
    p.provider_payment_id = Set(Some(pp.id.clone()));
    p.paid_at = Set(Some(now));
    p.updated_at = Set(now);
    p.payment_method_id = Set(method_id);
    p.failure_code = Set(None);
    p.failure_message = Set(None);
    // The partial unique index refuses a second succeeded payment of this invoice.
    p.update(txn).await?;

    let mut inv: invoices::ActiveModel = invoice.clone().into();
    inv.status = Set("paid".into());
    inv.paid_at = Set(Some(now));
    inv.update(txn).await?;

    // The subscription: a new one, or the current period extended from its end.
    let existing = subscriptions::Entity::find()
        .filter(subscriptions::Column::CustomerId.eq(payment.customer_id))
        .one(txn)
        .await?;
    let current_end = existing
        .as_ref()
        .filter(|s| matches!(s.status.as_str(), "active" | "grace"))
        .map(|s| s.current_period_end);
    let starts_at = next_period_start(current_end, now);
    let months = u32::try_from(invoice.months).unwrap_or(1);
    let ends_at = add_months(starts_at, months);
    let subscription_id = match existing {
        Some(sub) => {
            let period_start = if current_end.is_some() {
                sub.current_period_start
            } else {
                starts_at
            };
            let auto_renew = sub.auto_renew || method_id.is_some();
            let mut s: subscriptions::ActiveModel = sub.clone().into();
            s.tariff_id = Set(tariff.id);
            s.status = Set("active".into());
            s.current_period_start = Set(period_start);
            s.current_period_end = Set(ends_at);
            s.auto_renew = Set(auto_renew);
            if method_id.is_some() {
                s.payment_method_id = Set(method_id);
            }
            // A new period: its renewal starts from scratch.
            s.renewal_attempts = Set(0);
            s.next_renewal_at = Set(None);
            s.renewal_lease_until = Set(None);
            s.updated_at = Set(now);
            s.update(txn).await?;
            sub.id
        }
        None => {
            let id = Uuid::now_v7();
            subscriptions::ActiveModel {
                id: Set(id),
                customer_id: Set(payment.customer_id),
                tariff_id: Set(tariff.id),
                status: Set("active".into()),
                current_period_start: Set(starts_at),
                current_period_end: Set(ends_at),
                auto_renew: Set(method_id.is_some()),
                payment_method_id: Set(method_id),
                reminded_for: Set(None),
                renewal_attempts: Set(0),
                next_renewal_at: Set(None),
                renewal_lease_until: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(txn)
            .await?;
            id
        }
    };
    subscription_periods::ActiveModel {
        id: Set(Uuid::now_v7()),
        subscription_id: Set(subscription_id),
        payment_id: Set(payment.id),
        invoice_id: Set(invoice.id),
        tariff_id: Set(tariff.id),
        starts_at: Set(starts_at),
        ends_at: Set(ends_at),
        revoked_at: Set(None),
        created_at: Set(now),
    }
    .insert(txn)
    .await?;

    let valid_until = access_until(ends_at);
    entitlements::Entity::insert(entitlements::ActiveModel {
        customer_id: Set(payment.customer_id),
        tariff_id: Set(tariff.id),
        role: Set(tariff.role.clone()),
        valid_until: Set(valid_until),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(entitlements::Column::CustomerId)
            .update_columns([
                entitlements::Column::TariffId,
                entitlements::Column::Role,
                entitlements::Column::ValidUntil,
                entitlements::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec(txn)
    .await?;

    let label = format!(
        "{} × {} mo, invoice {}",
        tariff.name, invoice.months, invoice.number
    );
    ledger_many(
        txn,
        payment,
        &[
            ("charge", payment.amount_minor, format!("Charge: {label}")),
            (
                "payment",
                -payment.amount_minor,
                format!("Payment: {label}"),
            ),
        ],
        now,
    )
    .await?;

    if let Some(promo_id) = invoice.promo_code_id {
        // The invoice was priced with the code; the money is taken, so it stays honoured
        // even if the last redemption went to someone else a moment earlier.
        let redeemed = txn_savepoint_redeem(txn, promo_id, payment, invoice.id, now).await?;
        if !redeemed {
            tracing::warn!(payment = %payment.id, promo = %promo_id, "promo code used up at settlement; price honoured");
        }
    }

    super::checkout::record_event(
        txn,
        payment.id,
        "settled",
        source,
        None,
        Some(format!(
            "Paid {}; access until {}",
            amount.display(),
            rfc3339(valid_until)
        )),
        now,
    )
    .await?;
    let data = json!({
        "payment_id": payment.id,
        "invoice_id": invoice.id,
        "invoice_number": invoice.number,
        "customer_id": payment.customer_id,
        "amount": {"amount": amount.to_wire(), "currency": currency.code()},
        "tariff_id": tariff.id,
        "tariff": tariff.code,
        "period_start": rfc3339(starts_at),
        "period_end": rfc3339(ends_at),
        "paid_at": rfc3339(now),
    });
    let mut messages = vec![(Destination::Events, "payment.succeeded", data.clone())];
    if invoice.kind == "renewal" {
        messages.push((
            Destination::Events,
            "subscription.renewed",
            json!({
                "subscription_id": subscription_id,
                "customer_id": payment.customer_id,
                "tariff_id": tariff.id,
                "payment_id": payment.id,
                "period_start": rfc3339(starts_at),
                "period_end": rfc3339(ends_at),
            }),
        ));
        messages.push((Destination::Notify, "subscription_renewed", data));
    } else {
        messages.push((Destination::Notify, "payment_succeeded", data));
    }
    messages.push((
        Destination::Auth,
        "role.grant",
        json!({
            "user_id": payment.customer_id,
            "role": tariff.role,
            "valid_until": rfc3339(valid_until),
        }),
    ));
    outbox::enqueue_many(txn, messages, now).await?;
    Ok(())
}

/// Claims a promo redemption inside a savepoint, so "used up" rolls back only the claim.
async fn txn_savepoint_redeem(
    txn: &DatabaseTransaction,
    promo_id: Uuid,
    payment: &payments::Model,
    invoice_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let sp = txn.begin().await?;
    match pricing::redeem(&sp, promo_id, payment.customer_id, invoice_id, now).await {
        Ok(()) => {
            sp.commit().await?;
            Ok(true)
        }
        Err(ServiceError::Rule { .. }) => {
            sp.rollback().await?;
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

async fn save_method(
    txn: &DatabaseTransaction,
    payment: &payments::Model,
    m: &crate::ssr::providers::SavedMethod,
    now: DateTime<Utc>,
) -> Result<Uuid, ServiceError> {
    if let Some(existing) = payment_methods::Entity::find()
        .filter(payment_methods::Column::Provider.eq(payment.provider.as_str()))
        .filter(payment_methods::Column::ProviderToken.eq(m.token.as_str()))
        .one(txn)
        .await?
    {
        return Ok(existing.id);
    }
    let id = Uuid::now_v7();
    payment_methods::ActiveModel {
        id: Set(id),
        customer_id: Set(payment.customer_id),
        provider: Set(payment.provider.clone()),
        provider_token: Set(m.token.clone()),
        brand: Set(m.brand.clone()),
        last4: Set(m.last4.clone()),
        created_at: Set(now),
        revoked_at: Set(None),
    }
    .insert(txn)
    .await?;
    Ok(id)
}

/// Several ledger rows of one payment in one statement.
async fn ledger_many<C: ConnectionTrait>(
    db: &C,
    payment: &payments::Model,
    rows: &[(&str, i64, String)],
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    ledger_entries::Entity::insert_many(rows.iter().map(|(kind, amount_minor, description)| {
        ledger_entries::ActiveModel {
            id: Set(Uuid::now_v7()),
            customer_id: Set(payment.customer_id),
            kind: Set((*kind).to_string()),
            amount_minor: Set(*amount_minor),
            currency: Set(payment.currency.clone()),
            invoice_id: Set(Some(payment.invoice_id)),
            payment_id: Set(Some(payment.id)),
            refund_id: Set(None),
            description: Set(description.clone()),
            created_by: Set("system".into()),
            created_at: Set(now),
        }
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn ledger<C: ConnectionTrait>(
    db: &C,
    payment: &payments::Model,
    kind: &str,
    amount_minor: i64,
    description: String,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    ledger_entries::ActiveModel {
        id: Set(Uuid::now_v7()),
        customer_id: Set(payment.customer_id),
        kind: Set(kind.to_string()),
        amount_minor: Set(amount_minor),
        currency: Set(payment.currency.clone()),
        invoice_id: Set(Some(payment.invoice_id)),
        payment_id: Set(Some(payment.id)),
        refund_id: Set(None),
        description: Set(description),
        created_by: Set("system".into()),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}
