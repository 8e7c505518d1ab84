//! Payments the provider confirmed: the invoice is paid, the subscription gets its
//! period (a new one, or extended from its end), access and the ledger follow, and the
//! outbox tells everyone. A batch is written with one statement per table.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{invoices, payment_methods, payments, subscription_periods, subscriptions, tariffs};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};
use uuid::Uuid;

use crate::domain::Money;
use crate::domain::billing::{PaidPeriod, SubscriptionState, has_access, on_payment_succeeded};
use crate::domain::subscription::add_months;
use crate::ssr::ServiceError;
use crate::ssr::billing_event::{self, BillingEvent};
use crate::ssr::providers::{ProviderPayment, SavedMethod};
use crate::ssr::repo::stored::Amount;
use crate::ssr::repo::subscriptions as subscriptions_repo;
use crate::ssr::repo::{invoices as invoice_repo, ledger, payments as payment_repo};
use crate::ssr::services::{pricing, refunds};
use entity::status::LedgerKind;

/// What one confirmed payment changes, worked out before anything is written.
struct Paid<'a> {
    payment: &'a payments::Model,
    provider_id: &'a str,
    amount: Money,
    invoice: &'a invoices::Model,
    tariff: &'a tariffs::Model,
    /// The card saved with this payment, if the customer asked.
    method_id: Option<Uuid>,
    /// The customer's subscription before this payment, if any.
    existing: Option<&'a subscriptions::Model>,
    subscription_id: Uuid,
    period_start: DateTime<Utc>,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
}

/// Settles confirmed payments of distinct customers, all locked by `txn`. Returns the
/// payments that bought nothing ([`PaidPeriod::Superseded`]): booked, with a refund
/// claimed for each.
pub(super) async fn succeed_all(
    txn: &DatabaseTransaction,
    wins: &[(payments::Model, &ProviderPayment)],
    source: &str,
    now: DateTime<Utc>,
) -> Result<HashSet<Uuid>, ServiceError> {
    if wins.is_empty() {
        return Ok(HashSet::new());
    }
    let mut amounts = Vec::with_capacity(wins.len());
    for (payment, pp) in wins {
        let amount = payment.amount()?;
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
        amounts.push(amount);
    }
    let invoices = invoice_repo::by_ids(txn, wins.iter().map(|(p, _)| p.invoice_id)).await?;
    let tariffs: HashMap<Uuid, tariffs::Model> = tariffs::Entity::find()
        .filter(tariffs::Column::Id.is_in(invoices.values().map(|i| i.tariff_id)))
        .all(txn)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    // Locked: a refund or an expiry of the same customer rewrites the same row.
    let subscriptions =
        subscriptions_repo::lock_of_customers(txn, wins.iter().map(|(p, _)| p.customer_id)).await?;

    let mut paid = Vec::with_capacity(wins.len());
    let mut superseded = Vec::new();
    for ((payment, pp), amount) in wins.iter().zip(amounts) {
        let invoice = invoices
            .get(&payment.invoice_id)
            .ok_or(ServiceError::NotFound { entity: "invoice" })?;
        let tariff = tariffs
            .get(&invoice.tariff_id)
            .ok_or(ServiceError::NotFound { entity: "tariff" })?;
        let existing = subscriptions.get(&payment.customer_id);
        let current = existing.map(state_of);
        let starts_at =
            match on_payment_succeeded(current.as_ref(), invoice.status, &tariff.id, now) {
                PaidPeriod::Extend { starts } => starts,
                PaidPeriod::Superseded => {
                    superseded.push((payment, pp, amount, invoice));
                    continue;
                }
            };
        let current_end = current
            .filter(|s| has_access(s.status))
            .map(|s| s.period_end);
        let method_id = match &pp.saved_method {
            Some(m) => Some(save_method(txn, payment, m, now).await?),
            None => None,
        };
        let months = u32::try_from(invoice.months)
            .ok()
            .filter(|m| *m > 0)
            .ok_or_else(|| {
                anyhow::anyhow!("invoice {} has {} months", invoice.id, invoice.months)
            })?;
        paid.push(Paid {
            payment,
            provider_id: pp.id.as_str(),
            amount,
            invoice,
            tariff,
            method_id,
            existing,
            subscription_id: existing.map_or_else(Uuid::now_v7, |s| s.id),
            // An active period is extended: it keeps its start.
            period_start: existing
                .filter(|_| current_end.is_some())
                .map_or(starts_at, |s| s.current_period_start),
            starts_at,
            ends_at: add_months(starts_at, months),
        });
    }

    let superseded_ids = supersede(txn, &superseded, source, now).await?;
    if paid.is_empty() {
        return Ok(superseded_ids);
    }
    mark_paid(txn, &paid, now).await?;
    extend_subscriptions(txn, &paid, now).await?;
    grant_access(txn, &paid, now).await?;
    book(txn, &paid, now).await?;
    let events: Vec<BillingEvent> = paid.iter().map(event).collect();
    billing_event::record(txn, &events, source, now).await?;
    Ok(superseded_ids)
}

/// The subscription as the billing rules read it.
fn state_of(s: &subscriptions::Model) -> SubscriptionState<Uuid> {
    SubscriptionState {
        status: s.status,
        tariff: s.tariff_id,
        next_tariff: s.next_tariff_id,
        period_end: s.current_period_end,
    }
}

/// Payments that succeeded but buy nothing: the money is booked (charge and payment,
/// reversed when the refund completes), the invoice is void, its promo reservation is
/// released, a refund (`superseded`) is claimed due at once, and the customer is told.
async fn supersede(
    txn: &DatabaseTransaction,
    list: &[(&payments::Model, &&ProviderPayment, Money, &invoices::Model)],
    source: &str,
    now: DateTime<Utc>,
) -> Result<HashSet<Uuid>, ServiceError> {
    let mut ids = HashSet::new();
    let mut events = Vec::with_capacity(list.len());
    let successes: Vec<payment_repo::Success> = list
        .iter()
        .map(|(payment, pp, _, _)| payment_repo::Success {
            id: payment.id,
            provider_id: pp.id.as_str(),
            method_id: None,
        })
        .collect();
    payment_repo::mark_succeeded(txn, &successes, now).await?;
    for (payment, _, amount, invoice) in list {
        invoice_repo::void_open(txn, &[invoice.id]).await?;
        pricing::release_redemptions(txn, &[invoice.id]).await?;
        let label = format!("invoice {} (superseded)", invoice.number);
        ledger::book_many(
            txn,
            vec![
                ledger::payment_line(
                    payment,
                    LedgerKind::Charge,
                    payment.amount_minor,
                    format!("Charge: {label}"),
                    now,
                ),
                ledger::payment_line(
                    payment,
                    LedgerKind::Payment,
                    -payment.amount_minor,
                    format!("Payment: {label}"),
                    now,
                ),
            ],
        )
        .await?;
        refunds::claim(
            txn,
            payment,
            refunds::Claim::whole(payment, Some("superseded".into()), "system"),
            now,
            now,
        )
        .await?;
        events.push(BillingEvent::PaymentSuperseded {
            payment,
            invoice,
            amount: *amount,
        });
        ids.insert(payment.id);
    }
    billing_event::record(txn, &events, source, now).await?;
    Ok(ids)
}

/// The payments succeeded and their invoices are paid. A renewal keeps the card it was
/// charged to; a checkout gets the card it saved.
async fn mark_paid(
    txn: &DatabaseTransaction,
    paid: &[Paid<'_>],
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let successes: Vec<payment_repo::Success> = paid
        .iter()
        .map(|p| payment_repo::Success {
            id: p.payment.id,
            provider_id: p.provider_id,
            method_id: p.method_id,
        })
        .collect();
    payment_repo::mark_succeeded(txn, &successes, now).await?;
    invoice_repo::mark_paid(txn, paid.iter().map(|p| p.invoice.id), now).await
}

/// Each customer's subscription runs to the new period end: existing ones in one
/// `UPDATE`, first-time subscribers in one `INSERT`; every paid period is recorded.
async fn extend_subscriptions(
    txn: &DatabaseTransaction,
    paid: &[Paid<'_>],
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut extended = Vec::new();
    let mut opened = Vec::new();
    for p in paid {
        match p.existing {
            Some(s) => extended.push(subscriptions_repo::Extension {
                id: p.subscription_id,
                tariff_id: p.tariff.id,
                period_start: p.period_start,
                period_end: p.ends_at,
                // Saving a card turns auto-renewal on; it never turns it off.
                auto_renew: s.auto_renew || p.method_id.is_some(),
                method_id: p.method_id,
                // A period of the scheduled tariff: the switch has happened.
                switched: s.next_tariff_id == Some(p.tariff.id),
            }),
            None => opened.push(subscriptions_repo::Opening {
                id: p.subscription_id,
                customer_id: p.payment.customer_id,
                tariff_id: p.tariff.id,
                period_start: p.starts_at,
                period_end: p.ends_at,
                method_id: p.method_id,
            }),
        }
    }
    subscriptions_repo::extend_many(txn, &extended, now).await?;
    subscriptions_repo::open_many(txn, &opened, now).await?;
    subscription_periods::Entity::insert_many(paid.iter().map(|p| {
        subscription_periods::ActiveModel {
            id: Set(Uuid::now_v7()),
            subscription_id: Set(p.subscription_id),
            payment_id: Set(p.payment.id),
            invoice_id: Set(p.invoice.id),
            tariff_id: Set(p.tariff.id),
            starts_at: Set(p.starts_at),
            ends_at: Set(p.ends_at),
            revoked_at: Set(None),
            created_at: Set(now),
        }
    }))
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// The entitlements (one row per customer) run until the end of the period's grace.
async fn grant_access(
    txn: &DatabaseTransaction,
    paid: &[Paid<'_>],
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    crate::ssr::repo::entitlements::grant_many(
        txn,
        paid.iter()
            .map(|p| (p.payment.customer_id, p.tariff, p.ends_at)),
        now,
    )
    .await
}

/// Ledger (charge and payment) and the promo redemptions.
async fn book(
    txn: &DatabaseTransaction,
    paid: &[Paid<'_>],
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut lines = Vec::with_capacity(paid.len() * 2);
    for p in paid {
        let label = format!(
            "{} × {} mo, invoice {}",
            p.tariff.name, p.invoice.months, p.invoice.number
        );
        let minor = p.payment.amount_minor;
        lines.push(ledger::payment_line(
            p.payment,
            LedgerKind::Charge,
            minor,
            format!("Charge: {label}"),
            now,
        ));
        lines.push(ledger::payment_line(
            p.payment,
            LedgerKind::Payment,
            -minor,
            format!("Payment: {label}"),
            now,
        ));
    }
    ledger::book_many(txn, lines).await?;

    // The redemptions were reserved when the invoices were issued.
    let with_promo: Vec<Uuid> = paid
        .iter()
        .filter(|p| p.invoice.promo_code_id.is_some())
        .map(|p| p.invoice.id)
        .collect();
    pricing::confirm_redemptions(txn, &with_promo, now).await?;
    Ok(())
}

/// The timeline's "settled" line and what the outside learns of each payment.
fn event<'a>(p: &'a Paid<'a>) -> BillingEvent<'a> {
    BillingEvent::PaymentSucceeded {
        payment: p.payment,
        invoice: p.invoice,
        tariff: p.tariff,
        amount: p.amount,
        subscription_id: p.subscription_id,
        starts_at: p.starts_at,
        ends_at: p.ends_at,
    }
}

/// The card the customer asked to save, once per provider token.
async fn save_method(
    txn: &DatabaseTransaction,
    payment: &payments::Model,
    m: &SavedMethod,
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
