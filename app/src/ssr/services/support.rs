//! The support console: payments with their timelines, customers, ledger corrections,
//! tariff changes. Staff refunds go through `refunds::refund`.

use chrono::{DateTime, Utc};
use entity::{
    customers, entitlements, invoices, payment_events, payments, refunds, subscriptions, tariffs,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use crate::domain::subscription::access_until;
use crate::domain::{Currency, Money};
use crate::dto::{
    AdminCustomerDto, AdminPaymentDto, AdminPaymentPageDto, AdminPaymentRowDto, MoneyDto,
    PaymentEventDto,
};
use crate::ssr::outbox::{self, Destination};
use crate::ssr::repo::audit::{self, Actor, AuditEntry};
use crate::ssr::repo::{ledger, stored};
use crate::ssr::services::{account, customers as customer_svc, payments as payment_svc};
use crate::ssr::time::rfc3339;
use crate::ssr::{AppState, ServiceError};

#[derive(Debug, Clone, Default)]
pub struct PaymentFilter {
    pub status: Option<String>,
    pub customer_id: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

const STATUSES: [&str; 5] = ["pending", "succeeded", "failed", "canceled", "refunded"];

/// The keyset cursor: the last row's `created_at` (µs) and id. Opaque to callers.
pub fn encode_cursor(at: DateTime<Utc>, id: Uuid) -> String {
    format!("{}_{}", at.timestamp_micros(), id.simple())
}

fn decode_cursor(c: &str) -> Result<(DateTime<Utc>, Uuid), ServiceError> {
    let bad = || ServiceError::Rule {
        code: "invalid_cursor",
        field: "cursor",
        message: "The cursor is not valid.".into(),
    };
    let (micros, id) = c.split_once('_').ok_or_else(bad)?;
    let at = micros
        .parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(bad)?;
    Ok((at, Uuid::parse_str(id).map_err(|_| bad())?))
}

/// Newest first, keyset-paginated: the cost of a page does not grow with its depth.
pub async fn list_payments(
    db: &DatabaseConnection,
    filter: &PaymentFilter,
    limit: u64,
    cursor: Option<&str>,
) -> Result<AdminPaymentPageDto, ServiceError> {
    let mut q = payments::Entity::find();
    if let Some(s) = filter.status.as_deref().filter(|s| !s.is_empty()) {
        if !STATUSES.contains(&s) {
            return Err(ServiceError::Rule {
                code: "validation_failed",
                field: "status",
                message: format!("status must be one of {}.", STATUSES.join(", ")),
            });
        }
        q = q.filter(payments::Column::Status.eq(s));
    }
    if let Some(c) = filter.customer_id {
        q = q.filter(payments::Column::CustomerId.eq(c));
    }
    if let Some(f) = filter.from {
        q = q.filter(payments::Column::CreatedAt.gte(f));
    }
    if let Some(t) = filter.to {
        q = q.filter(payments::Column::CreatedAt.lt(t));
    }
    if let Some(c) = cursor {
        let (at, id) = decode_cursor(c)?;
        // `created_at <= at` first: a plain range the (created_at, id) index can seek
        // to; the OR alone makes PostgreSQL scan from the newest row.
        q = q.filter(payments::Column::CreatedAt.lte(at)).filter(
            Condition::any()
                .add(payments::Column::CreatedAt.lt(at))
                .add(
                    Condition::all()
                        .add(payments::Column::CreatedAt.eq(at))
                        .add(payments::Column::Id.lt(id)),
                ),
        );
    }
    let rows = q
        .order_by_desc(payments::Column::CreatedAt)
        .order_by_desc(payments::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    let page: Vec<_> = rows.into_iter().take(limit as usize).collect();
    let next_cursor = if more {
        page.last().map(|p| encode_cursor(p.created_at, p.id))
    } else {
        None
    };
    // Two batched look-ups for the page, not one per row.
    let customer_ids: Vec<Uuid> = page.iter().map(|p| p.customer_id).collect();
    let invoice_ids: Vec<Uuid> = page.iter().map(|p| p.invoice_id).collect();
    let emails: std::collections::HashMap<Uuid, Option<String>> = customers::Entity::find()
        .filter(customers::Column::Id.is_in(customer_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.email))
        .collect();
    let numbers: std::collections::HashMap<Uuid, String> = invoices::Entity::find()
        .filter(invoices::Column::Id.is_in(invoice_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i.number))
        .collect();
    let data = page
        .into_iter()
        .map(|p| {
            let amount = stored::money(p.amount_minor, &p.currency, "payment", p.id)?;
            Ok(AdminPaymentRowDto {
                id: p.id,
                created_at: rfc3339(p.created_at),
                customer_id: p.customer_id,
                customer_email: emails.get(&p.customer_id).cloned().flatten(),
                invoice_number: numbers.get(&p.invoice_id).cloned().unwrap_or_default(),
                amount: MoneyDto::from(amount),
                status: p.status.to_string(),
                provider_payment_id: p.provider_payment_id,
            })
        })
        .collect::<Result<_, ServiceError>>()?;
    Ok(AdminPaymentPageDto { data, next_cursor })
}

pub async fn payment(state: &AppState, id: Uuid) -> Result<AdminPaymentDto, ServiceError> {
    let (p, invoice, tariff_name) = payment_svc::load(state, id).await?;
    let customer = customer_svc::find(&state.db, p.customer_id)
        .await?
        .ok_or(ServiceError::NotFound { entity: "customer" })?;
    let view = payment_svc::payment_dto(state, &p, &invoice, &tariff_name)?;
    let refund = refunds::Entity::find()
        .filter(refunds::Column::PaymentId.eq(id))
        .one(&state.db)
        .await?
        .map(|r| crate::ssr::services::refunds::dto(&r))
        .transpose()?;
    let timeline = payment_events::Entity::find()
        .filter(payment_events::Column::PaymentId.eq(id))
        .order_by_asc(payment_events::Column::CreatedAt)
        .order_by_asc(payment_events::Column::Id)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|e| PaymentEventDto {
            at: rfc3339(e.created_at),
            kind: e.kind,
            source: e.source,
            note: e.note,
            payload: e.payload,
        })
        .collect();
    Ok(AdminPaymentDto {
        payment: view,
        customer,
        provider: p.provider,
        provider_payment_id: p.provider_payment_id,
        refund,
        timeline,
    })
}

pub async fn customer(state: &AppState, id: Uuid) -> Result<AdminCustomerDto, ServiceError> {
    let customer = customer_svc::find(&state.db, id)
        .await?
        .ok_or(ServiceError::NotFound { entity: "customer" })?;
    let subscription = account::subscription(&state.db, id).await?;
    let entitlement = account::entitlements(&state.db, id, state.clock.now()).await?;
    let invoice_rows = invoices::Entity::find()
        .filter(invoices::Column::CustomerId.eq(id))
        .order_by_desc(invoices::Column::CreatedAt)
        .limit(100)
        .all(&state.db)
        .await?;
    let names: std::collections::HashMap<Uuid, String> = tariffs::Entity::find()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let invoices = invoice_rows
        .iter()
        .map(|i| payment_svc::invoice_dto(i, names.get(&i.tariff_id).map_or("", |n| n)))
        .collect::<Result<_, _>>()?;
    let (payments, _) = payment_svc::customer_payments(state, id, 100, None).await?;
    let ledger = account::statement(&state.db, id, None, None).await?;
    // What the customer was told (receipts, reminders, failed renewals): the first thing
    // support checks when a customer says "nobody warned me".
    let notifications = super::notifications::list(&state.db, id, 50, None)
        .await?
        .data;
    Ok(AdminCustomerDto {
        customer,
        subscription,
        entitlement,
        invoices,
        payments,
        ledger,
        notifications,
    })
}

/// A ledger correction with a reason, audit-logged.
pub async fn adjust(
    state: &AppState,
    actor: &Actor,
    customer_id: Uuid,
    amount: &str,
    reason: &str,
) -> Result<crate::dto::StatementLineDto, ServiceError> {
    let mut errors = Vec::new();
    // A correction may go either way: negative is in the customer's favour.
    let (negative, magnitude) = match amount.trim().strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, amount.trim()),
    };
    let money = Money::parse(magnitude, Currency::Rub, "amount").map(|m| {
        if negative {
            Money::from_minor(-m.minor(), m.currency())
        } else {
            m
        }
    });
    if let Ok(m) = &money
        && m.minor() == 0
    {
        errors.push(crate::domain::DomainError::invalid(
            "amount",
            "Enter a non-zero amount (negative is in the customer's favour).",
        ));
    }
    if let Err(e) = &money {
        errors.push(e.clone());
    }
    let reason = reason.trim();
    if reason.len() < 3 {
        errors.push(crate::domain::DomainError::invalid(
            "reason",
            "Say why (at least 3 characters).",
        ));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let money = money.map_err(ServiceError::from)?;
    customer_svc::find(&state.db, customer_id)
        .await?
        .ok_or(ServiceError::NotFound { entity: "customer" })?;
    let now = state.clock.now();
    let txn = crate::ssr::repo::begin_write(&state.db).await?;
    let id = ledger::book_adjustment(
        &txn,
        customer_id,
        money,
        format!("Correction: {reason}"),
        &actor.label,
        now,
    )
    .await?;
    audit::record(
        &txn,
        AuditEntry {
            actor,
            action: "ledger.adjusted",
            entity_type: "customer",
            entity_id: customer_id.to_string(),
            before: None,
            after: Some(json!({"amount": money.to_wire(), "reason": reason})),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    account::statement(&state.db, customer_id, None, None)
        .await?
        .into_iter()
        .find(|l| l.id == id)
        .ok_or(ServiceError::NotFound {
            entity: "ledger entry",
        })
}

/// Moves the customer's current period to another tariff (no charge, no refund: support
/// settles any difference with a ledger correction). Access follows at once.
pub async fn change_tariff(
    state: &AppState,
    actor: &Actor,
    customer_id: Uuid,
    tariff_id: Uuid,
) -> Result<crate::dto::SubscriptionDto, ServiceError> {
    let now = state.clock.now();
    let txn = crate::ssr::repo::begin_write(&state.db).await?;
    let sub = account::locked_subscription(&txn, customer_id).await?;
    if !crate::domain::billing::has_access(sub.status) {
        return Err(ServiceError::Rule {
            code: "subscription_not_active",
            field: "tariff_id",
            message: "Only an active subscription can change its tariff.".into(),
        });
    }
    let to = tariffs::Entity::find_by_id(tariff_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound { entity: "tariff" })?;
    if !to.active {
        return Err(ServiceError::Rule {
            code: "tariff_archived",
            field: "tariff_id",
            message: format!("The tariff {} is archived.", to.name),
        });
    }
    let from = tariffs::Entity::find_by_id(sub.tariff_id).one(&txn).await?;
    let mut s: subscriptions::ActiveModel = sub.clone().into();
    s.tariff_id = Set(to.id);
    s.updated_at = Set(now);
    s.update(&txn).await?;
    let until = access_until(sub.current_period_end);
    entitlements::Entity::update_many()
        .col_expr(entitlements::Column::TariffId, to.id.into())
        .col_expr(entitlements::Column::Role, to.role.clone().into())
        .col_expr(entitlements::Column::UpdatedAt, now.into())
        .filter(entitlements::Column::CustomerId.eq(customer_id))
        .exec(&txn)
        .await?;
    if let Some(from) = &from
        && from.role != to.role
    {
        outbox::enqueue(
            &txn,
            Destination::Auth,
            "role.revoke",
            json!({"user_id": customer_id, "role": from.role}),
            now,
        )
        .await?;
    }
    outbox::enqueue(
        &txn,
        Destination::Auth,
        "role.grant",
        json!({"user_id": customer_id, "role": to.role, "valid_until": rfc3339(until)}),
        now,
    )
    .await?;
    outbox::enqueue(
        &txn,
        Destination::Events,
        "subscription.changed",
        json!({"customer_id": customer_id, "subscription_id": sub.id, "from_tariff": from.as_ref().map(|t| t.code.clone()), "to_tariff": to.code}),
        now,
    )
    .await?;
    audit::record(
        &txn,
        AuditEntry {
            actor,
            action: "subscription.tariff_changed",
            entity_type: "subscription",
            entity_id: sub.id.to_string(),
            before: Some(json!({"tariff": from.map(|t| t.code)})),
            after: Some(json!({"tariff": to.code})),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    account::subscription(&state.db, customer_id).await
}
