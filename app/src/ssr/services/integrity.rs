//! The money invariants of ARCHITECTURE.md, checked on the live database: what
//! `server audit` and `GET /api/v1/admin/integrity` report. Every rule reads whole
//! tables once and compares them in memory, so it finds what a bug or a hand edit left
//! behind without trusting the code that wrote it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{
    entitlements, promo_codes, promo_redemptions, refunds, subscription_periods, subscriptions,
};
use sea_orm::{DatabaseConnection, EntityTrait};
use uuid::Uuid;

use crate::domain::billing::{InvoiceKind, InvoiceStatus, PaymentStatus, RefundStatus};
use crate::domain::subscription::access_until;
use crate::dto::{IntegrityReportDto as IntegrityReport, IntegrityViolationDto as Violation};
use crate::ssr::time::rfc3339;
use crate::ssr::{ServiceError, repo};
use entity::status::LedgerKind;

fn violation(
    rule: &'static str,
    entity: &'static str,
    id: impl ToString,
    detail: String,
) -> Violation {
    Violation {
        rule: rule.to_string(),
        entity: entity.to_string(),
        id: id.to_string(),
        detail,
    }
}

/// Runs every rule; `ok` when none is broken.
pub async fn audit(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<IntegrityReport, ServiceError> {
    let payments = repo::payments::all(db).await?;
    let invoices = repo::invoices::all(db).await?;
    let refunds = refunds::Entity::find().all(db).await?;
    let ledger = repo::ledger::all(db).await?;
    let periods = subscription_periods::Entity::find().all(db).await?;
    let grants = entity::complimentary_grants::Entity::find().all(db).await?;
    let subs = repo::subscriptions::all(db).await?;
    let ents = entitlements::Entity::find().all(db).await?;
    let promos = promo_codes::Entity::find().all(db).await?;
    let redemptions = promo_redemptions::Entity::find().all(db).await?;

    let mut v = Vec::new();
    let refund_of: HashMap<Uuid, &refunds::Model> =
        refunds.iter().map(|r| (r.payment_id, r)).collect();

    // At most one succeeded payment per invoice; a paid invoice has exactly one.
    let mut paid_per_invoice: HashMap<Uuid, usize> = HashMap::new();
    // (Statuses are typed: a row with an unknown one cannot be stored, see migration 14.)
    for p in &payments {
        if matches!(p.status, PaymentStatus::Succeeded | PaymentStatus::Refunded) {
            *paid_per_invoice.entry(p.invoice_id).or_default() += 1;
        }
    }
    for (invoice, n) in &paid_per_invoice {
        if *n > 1 {
            v.push(violation(
                "one_succeeded_payment_per_invoice",
                "invoice",
                invoice,
                format!("{n} succeeded payments"),
            ));
        }
    }
    let mut open_per_customer: HashMap<Uuid, usize> = HashMap::new();
    for i in &invoices {
        match i.status {
            InvoiceStatus::Paid if !paid_per_invoice.contains_key(&i.id) => v.push(violation(
                "paid_invoice_has_payment",
                "invoice",
                i.id,
                "paid without a succeeded payment".into(),
            )),
            InvoiceStatus::Open if i.kind == InvoiceKind::Purchase => {
                *open_per_customer.entry(i.customer_id).or_default() += 1;
            }
            _ => {}
        }
    }
    for (customer, n) in &open_per_customer {
        if *n > 1 {
            v.push(violation(
                "one_open_invoice_per_customer",
                "customer",
                customer,
                format!("{n} open checkout invoices"),
            ));
        }
    }

    // The ledger mirrors the money: charge and payment per paid payment, refund and
    // reversal per completed refund, each for the payment's amount; balances net out.
    let mut booked: HashMap<(Uuid, &str), i64> = HashMap::new();
    let mut balance: HashMap<Uuid, i64> = HashMap::new();
    for l in &ledger {
        *balance.entry(l.customer_id).or_default() += l.amount_minor;
        if let Some(p) = l.payment_id {
            *booked.entry((p, l.kind.as_str())).or_default() += l.amount_minor;
        }
    }
    for p in &payments {
        let paid = matches!(p.status, PaymentStatus::Succeeded | PaymentStatus::Refunded);
        let refunded = refund_of
            .get(&p.id)
            .is_some_and(|r| r.status == RefundStatus::Succeeded);
        let expect = [
            ("charge", if paid { p.amount_minor } else { 0 }),
            ("payment", if paid { -p.amount_minor } else { 0 }),
            (
                "refund",
                refund_of
                    .get(&p.id)
                    .filter(|_| refunded)
                    .map_or(0, |r| r.amount_minor),
            ),
            (
                "charge_reversal",
                refund_of
                    .get(&p.id)
                    .filter(|_| refunded)
                    .map_or(0, |r| -r.amount_minor),
            ),
        ];
        for (kind, want) in expect {
            let got = booked.get(&(p.id, kind)).copied().unwrap_or(0);
            if got != want {
                v.push(violation(
                    "ledger_matches_payments",
                    "payment",
                    p.id,
                    format!("{kind} booked {got}, expected {want} (minor units)"),
                ));
            }
        }
        if refunded != (p.status == PaymentStatus::Refunded) {
            v.push(violation(
                "refund_matches_payment",
                "payment",
                p.id,
                format!(
                    "payment {} with refund {:?}",
                    p.status,
                    refund_of.get(&p.id).map(|r| &r.status)
                ),
            ));
        }
    }
    let adjusted: HashMap<Uuid, i64> = ledger
        .iter()
        .filter(|l| l.kind == LedgerKind::Adjustment)
        .fold(HashMap::new(), |mut m, l| {
            *m.entry(l.customer_id).or_default() += l.amount_minor;
            m
        });
    for (customer, total) in &balance {
        let corrections = adjusted.get(customer).copied().unwrap_or(0);
        if *total != corrections {
            v.push(violation(
                "ledger_balance",
                "customer",
                customer,
                format!("balance {total} but corrections {corrections} (minor units)"),
            ));
        }
    }

    // Every payment that bought a period has it (unless refunded or superseded), and
    // access never runs past what was paid for (plus grace).
    let period_of: HashMap<Uuid, &subscription_periods::Model> =
        periods.iter().map(|p| (p.payment_id, p)).collect();
    for p in &payments {
        if p.status == PaymentStatus::Succeeded && !refund_of.contains_key(&p.id) {
            match period_of.get(&p.id) {
                Some(period) if period.revoked_at.is_none() => {}
                _ => v.push(violation(
                    "paid_payment_has_period",
                    "payment",
                    p.id,
                    "succeeded without a live period".into(),
                )),
            }
        }
    }
    let sub_of: HashMap<Uuid, &subscriptions::Model> =
        subs.iter().map(|s| (s.customer_id, s)).collect();
    let mut paid_until: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
    // A complimentary period covers access as a paid one does.
    let covered = periods
        .iter()
        .filter(|p| p.revoked_at.is_none())
        .map(|p| (p.subscription_id, p.ends_at))
        .chain(grants.iter().map(|g| (g.subscription_id, g.ends_at)));
    for (subscription, ends_at) in covered {
        let end = paid_until.entry(subscription).or_insert(ends_at);
        *end = (*end).max(ends_at);
    }
    for e in ents.iter().filter(|e| e.valid_until > now) {
        let Some(sub) = sub_of.get(&e.customer_id) else {
            v.push(violation(
                "access_has_paid_period",
                "customer",
                e.customer_id,
                "access without a subscription".into(),
            ));
            continue;
        };
        let paid = paid_until.get(&sub.id).copied();
        let covered = paid.is_some_and(|end| access_until(end) >= e.valid_until);
        if !covered {
            v.push(violation(
                "access_has_paid_period",
                "customer",
                e.customer_id,
                format!(
                    "access until {} but paid until {}",
                    rfc3339(e.valid_until),
                    paid.map_or_else(|| "never".to_string(), rfc3339)
                ),
            ));
        }
    }

    // Promo codes: never past their limit, and the count is the rows behind it.
    let mut used: HashMap<Uuid, i32> = HashMap::new();
    for r in &redemptions {
        *used.entry(r.promo_code_id).or_default() += 1;
    }
    for p in &promos {
        let n = used.get(&p.id).copied().unwrap_or(0);
        if p.max_redemptions.is_some_and(|max| n > max) {
            v.push(violation(
                "redemptions_within_limit",
                "promo_code",
                p.id,
                format!("{n} redemptions of at most {:?}", p.max_redemptions),
            ));
        }
        if n != p.redemption_count {
            v.push(violation(
                "redemption_count_matches",
                "promo_code",
                p.id,
                format!("count {} but {n} redemptions", p.redemption_count),
            ));
        }
    }

    // At most one refund per payment, never more than was paid.
    let amount_of: HashMap<Uuid, i64> = payments.iter().map(|p| (p.id, p.amount_minor)).collect();
    let mut per_payment: HashMap<Uuid, usize> = HashMap::new();
    for r in &refunds {
        *per_payment.entry(r.payment_id).or_default() += 1;
        if amount_of
            .get(&r.payment_id)
            .is_none_or(|a| r.amount_minor > *a)
        {
            v.push(violation(
                "refund_within_payment",
                "refund",
                r.id,
                format!("refund of {} exceeds its payment", r.amount_minor),
            ));
        }
    }
    for (payment, n) in per_payment {
        if n > 1 {
            v.push(violation(
                "one_refund_per_payment",
                "payment",
                payment,
                format!("{n} refunds"),
            ));
        }
    }

    Ok(IntegrityReport {
        ok: v.is_empty(),
        checked_at: rfc3339(now),
        violations: v,
    })
}
