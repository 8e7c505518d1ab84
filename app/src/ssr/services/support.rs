//! The support console: payments with their timelines, customers, ledger corrections,
//! tariff changes. Staff refunds go through `refunds::refund`.

use chrono::{DateTime, Utc};
use entity::{entitlements, refunds, tariffs};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use crate::domain::billing::PaymentStatus;
use crate::domain::{Currency, Money};
use crate::dto::{
    AdminCustomerDto, AdminPaymentDto, AdminPaymentPageDto, AdminPaymentRowDto, MoneyDto,
    PaymentEventDto, ProviderObjectDto,
};
use crate::ssr::billing_event::{self, BillingEvent};
use crate::ssr::repo::audit::{self, Actor, AuditEntry};
use crate::ssr::repo::stored::Amount;
use crate::ssr::repo::subscriptions as subscriptions_repo;
use crate::ssr::repo::{
    invoices as invoice_repo, keyset, ledger, payments as payment_repo, timeline,
};
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

/// The statuses a filter may name, for the error that lists them.
fn statuses() -> String {
    PaymentStatus::ALL
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Newest first, keyset-paginated: the cost of a page does not grow with its depth.
pub async fn list_payments(
    db: &DatabaseConnection,
    filter: &PaymentFilter,
    limit: u64,
    cursor: Option<&str>,
) -> Result<AdminPaymentPageDto, ServiceError> {
    let status = match filter.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(s.parse::<PaymentStatus>().map_err(|_| ServiceError::Rule {
            code: "validation_failed",
            field: "status",
            message: format!("status must be one of {}.", statuses()),
        })?),
    };
    let query = payment_repo::PageQuery {
        status,
        customer_id: filter.customer_id,
        from: filter.from,
        to: filter.to,
        before: keyset::decode_opt(cursor)?,
    };
    let (page, more) = payment_repo::page(db, &query, limit).await?;
    let next_cursor = keyset::next(&page, more, |p| (p.created_at, p.id));
    let data = payment_rows(db, page).await?;
    Ok(AdminPaymentPageDto { data, next_cursor })
}

/// Payments as list rows: two batched look-ups for the whole page, not one per row.
pub async fn payment_rows<C: sea_orm::ConnectionTrait>(
    db: &C,
    page: Vec<entity::payments::Model>,
) -> Result<Vec<AdminPaymentRowDto>, ServiceError> {
    let invoice_ids: Vec<Uuid> = page.iter().map(|p| p.invoice_id).collect();
    let emails = crate::ssr::repo::lookup::emails(db, page.iter().map(|p| p.customer_id)).await?;
    let numbers: std::collections::HashMap<Uuid, String> = invoice_repo::by_ids(db, invoice_ids)
        .await?
        .into_iter()
        .map(|(id, i)| (id, i.number))
        .collect();
    page.into_iter()
        .map(|p| {
            let amount = p.amount()?;
            Ok(AdminPaymentRowDto {
                id: p.id,
                created_at: rfc3339(p.created_at),
                customer_id: p.customer_id,
                customer_email: emails.get(&p.customer_id).cloned(),
                invoice_number: numbers.get(&p.invoice_id).cloned().unwrap_or_default(),
                amount: MoneyDto::from(amount),
                status: p.status.to_string(),
                provider_payment_id: p.provider_payment_id,
            })
        })
        .collect::<Result<_, ServiceError>>()
}

/// The payment as its provider's API shows it now. A provider that does not answer is a
/// note on the page, not an error of the page.
pub async fn provider_object(
    state: &AppState,
    id: Uuid,
) -> Result<ProviderObjectDto, ServiceError> {
    let p = payment_repo::find(&state.db, id)
        .await?
        .ok_or(ServiceError::NotFound { entity: "payment" })?;
    let note = |text: &str| ProviderObjectDto {
        provider: p.provider.clone(),
        raw: None,
        note: Some(text.to_string()),
    };
    let Some(provider_id) = p.provider_payment_id.as_deref() else {
        return Ok(note("The payment never reached the provider."));
    };
    if p.provider != state.provider.name() {
        return Ok(note(
            "The payment was made through another provider than the one configured now.",
        ));
    }
    Ok(match state.provider.raw_payment(provider_id).await {
        Ok(raw) => ProviderObjectDto {
            provider: p.provider.clone(),
            raw: Some(serde_json::to_string_pretty(&raw).unwrap_or_else(|_| raw.to_string())),
            note: None,
        },
        Err(e) => {
            tracing::warn!(payment = %id, error = %e, "provider object not available");
            note(&format!("The provider did not show it: {e}"))
        }
    })
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
    let timeline = timeline::of_payment(&state.db, id)
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
    let invoice_rows = invoice_repo::recent_of_customer(&state.db, id, 100).await?;
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
    let changed = subscriptions_repo::set_tariff(&txn, &sub, to.id, now).await?;
    entitlements::Entity::update_many()
        .col_expr(entitlements::Column::TariffId, to.id.into())
        .col_expr(entitlements::Column::Role, to.role.clone().into())
        .col_expr(entitlements::Column::UpdatedAt, now.into())
        .filter(entitlements::Column::CustomerId.eq(customer_id))
        .exec(&txn)
        .await?;
    let event = BillingEvent::TariffChanged {
        sub: &changed,
        from: from.as_ref(),
        to: &to,
    };
    billing_event::record(&txn, &[event], "support", now).await?;
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

impl crate::ssr::csv::CsvRow for AdminPaymentRowDto {
    const HEADER: &'static [&'static str] = &[
        "id",
        "created_at",
        "customer_id",
        "customer_email",
        "invoice_number",
        "amount",
        "currency",
        "status",
        "provider_payment_id",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.created_at.clone(),
            self.customer_id.to_string(),
            crate::ssr::csv::opt(&self.customer_email),
            self.invoice_number.clone(),
            self.amount.amount.clone(),
            self.amount.currency.clone(),
            self.status.clone(),
            crate::ssr::csv::opt(&self.provider_payment_id),
        ]
    }
}
