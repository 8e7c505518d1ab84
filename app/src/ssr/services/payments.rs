//! Payments as customers see them, and asking the provider about a pending one.

use std::collections::HashMap;

use entity::{invoices, payments, tariffs};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::domain::Money;
use crate::domain::billing::PaymentStatus as BillingStatus;
use crate::domain::pricing::Percent;
use crate::domain::subscription::refundable_until;
use crate::dto::{CheckoutDto, DiscountDto, InvoiceDto, MoneyDto, PaymentDto};
use crate::ssr::providers::{CheckRefusal, PaymentStatus};
use crate::ssr::repo::stored::Amount;
use crate::ssr::repo::{invoices as invoice_repo, payments as payment_repo, stored};
use crate::ssr::services::settlement::{self, Settled};
use crate::ssr::time::rfc3339;
use crate::ssr::{AppState, ServiceError};

pub fn invoice_dto(i: &invoices::Model, tariff_name: &str) -> Result<InvoiceDto, ServiceError> {
    let currency = stored::currency(&i.currency, "invoice", i.id)?;
    let money = |minor| MoneyDto::from(Money::from_minor(minor, currency));
    Ok(InvoiceDto {
        id: i.id,
        number: i.number.clone(),
        tariff_id: i.tariff_id,
        tariff_name: tariff_name.to_string(),
        months: u32::try_from(i.months).unwrap_or(0),
        list_price: money(i.list_price_minor),
        discount: i.discount_kind.as_ref().map(|kind| DiscountDto {
            kind: kind.to_string(),
            percent: i
                .discount_percent_bp
                .and_then(|bp| Percent::from_bp(i64::from(bp)))
                .map(|p| p.to_string()),
            amount: money(i.discount_minor),
            reason: None,
        }),
        total: money(i.total_minor),
        status: i.status.to_string(),
        created_at: rfc3339(i.created_at),
        paid_at: i.paid_at.map(rfc3339),
    })
}

pub fn payment_dto(
    state: &AppState,
    p: &payments::Model,
    invoice: &invoices::Model,
    tariff_name: &str,
) -> Result<PaymentDto, ServiceError> {
    Ok(PaymentDto {
        id: p.id,
        invoice_id: p.invoice_id,
        invoice_number: invoice.number.clone(),
        tariff_id: invoice.tariff_id,
        months: u32::try_from(invoice.months).unwrap_or(0),
        status: p.status.to_string(),
        amount: MoneyDto::from(p.amount()?),
        description: format!(
            "{tariff_name}, {} month{}",
            invoice.months,
            if invoice.months == 1 { "" } else { "s" }
        ),
        created_at: rfc3339(p.created_at),
        paid_at: p.paid_at.map(rfc3339),
        refundable_until: match (p.status.as_str(), p.paid_at) {
            ("succeeded", Some(paid)) => {
                Some(rfc3339(refundable_until(paid, state.billing.refund_window)))
            }
            _ => None,
        },
        confirmation_url: (p.status == "pending")
            .then(|| p.confirmation_url.clone())
            .flatten(),
        failure_code: p.failure_code.clone(),
        failure_message: p.failure_message.clone(),
    })
}

/// A payment with its invoice and the tariff's name: everything its DTO shows.
pub async fn load(
    state: &AppState,
    id: Uuid,
) -> Result<(payments::Model, invoices::Model, String), ServiceError> {
    let p = payment_repo::find(&state.db, id)
        .await?
        .ok_or(ServiceError::NotFound { entity: "payment" })?;
    let invoice = invoice_repo::find(&state.db, p.invoice_id)
        .await?
        .ok_or(ServiceError::NotFound { entity: "invoice" })?;
    let tariff_name = tariffs::Entity::find_by_id(invoice.tariff_id)
        .one(&state.db)
        .await?
        .map(|t| t.name)
        .unwrap_or_default();
    Ok((p, invoice, tariff_name))
}

pub async fn checkout_view(
    state: &AppState,
    payment_id: Uuid,
) -> Result<CheckoutDto, ServiceError> {
    let (p, invoice, tariff_name) = load(state, payment_id).await?;
    Ok(CheckoutDto {
        invoice: invoice_dto(&invoice, &tariff_name)?,
        payment: payment_dto(state, &p, &invoice, &tariff_name)?,
    })
}

/// The customer's own payment; someone else's is "not found", never "forbidden", so ids
/// cannot be probed.
pub async fn customer_payment(
    state: &AppState,
    customer: Uuid,
    id: Uuid,
) -> Result<PaymentDto, ServiceError> {
    let (p, invoice, tariff_name) = load(state, id).await?;
    if p.customer_id != customer {
        return Err(ServiceError::NotFound { entity: "payment" });
    }
    payment_dto(state, &p, &invoice, &tariff_name)
}

/// The return page's check: while the payment is pending, ask the provider and settle
/// what it says (the same `settle_payment` as the webhook).
pub async fn refresh(
    state: &AppState,
    customer: Uuid,
    id: Uuid,
) -> Result<PaymentDto, ServiceError> {
    let (p, _, _) = load(state, id).await?;
    if p.customer_id != customer {
        return Err(ServiceError::NotFound { entity: "payment" });
    }
    if p.status == BillingStatus::Pending
        && let Some(provider_id) = &p.provider_payment_id
    {
        match state.provider.get_payment(provider_id).await {
            Ok(pp) if pp.status != PaymentStatus::Pending => {
                let settled = settlement::settle_payment(state, &pp, "return", None).await?;
                if let Settled::Moved(status) = settled {
                    tracing::info!(payment = %id, %status, "settled by the return page");
                }
            }
            Ok(_) => {}
            // The page keeps asking; the webhook or reconciliation will get there.
            Err(e) => tracing::warn!(payment = %id, error = %e, "provider lookup failed"),
        }
    }
    customer_payment(state, customer, id).await
}

/// The customer's payments, newest first, `limit` at a time after `cursor` (a payment id).
pub async fn customer_payments(
    state: &AppState,
    customer: Uuid,
    limit: u64,
    cursor: Option<Uuid>,
) -> Result<(Vec<PaymentDto>, Option<Uuid>), ServiceError> {
    let before = match cursor {
        None => None,
        Some(c) => {
            let Some(after) = payment_repo::find(&state.db, c).await? else {
                return Err(ServiceError::Rule {
                    code: "invalid_cursor",
                    field: "cursor",
                    message: "The cursor is not valid.".into(),
                });
            };
            Some((after.created_at, after.id))
        }
    };
    let query = payment_repo::PageQuery {
        customer_id: Some(customer),
        before,
        ..payment_repo::PageQuery::default()
    };
    let (page, more) = payment_repo::page(&state.db, &query, limit).await?;
    // The page's invoices and the tariff names in two queries, not three per row.
    let invoices = invoice_repo::by_ids(&state.db, page.iter().map(|p| p.invoice_id)).await?;
    let names: HashMap<Uuid, String> = tariffs::Entity::find()
        .filter(tariffs::Column::Id.is_in(invoices.values().map(|i| i.tariff_id)))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let mut out = Vec::with_capacity(page.len());
    for p in &page {
        let invoice = invoices
            .get(&p.invoice_id)
            .ok_or(ServiceError::NotFound { entity: "invoice" })?;
        let tariff_name = names.get(&invoice.tariff_id).map_or("", String::as_str);
        out.push(payment_dto(state, p, invoice, tariff_name)?);
    }
    let next = if more { out.last().map(|p| p.id) } else { None };
    Ok((out, next))
}

/// Whether the provider may take `amount` for our payment `reference` (its Check before
/// an attempt on its page): only a pending payment of this provider whose invoice is
/// still open, for exactly its amount. `None` lets it through.
pub async fn check_payable(
    state: &AppState,
    reference: &str,
    amount: Money,
) -> Result<Option<CheckRefusal>, ServiceError> {
    let found = match Uuid::parse_str(reference) {
        Ok(id) => payment_repo::find(&state.db, id).await?,
        Err(_) => None,
    };
    let Some(p) = found.filter(|p| p.provider == state.provider.name()) else {
        return Ok(Some(CheckRefusal::UnknownPayment));
    };
    if p.amount()? != amount {
        return Ok(Some(CheckRefusal::WrongAmount));
    }
    if p.status != BillingStatus::Pending {
        return Ok(Some(CheckRefusal::NotPayable));
    }
    let open = invoice_repo::find(&state.db, p.invoice_id)
        .await?
        .is_some_and(|i| i.status == crate::domain::billing::InvoiceStatus::Open);
    Ok((!open).then_some(CheckRefusal::NotPayable))
}
