//! Support's invoices: the list, one invoice with its frozen quote, payments and
//! refunds.

use chrono::{DateTime, Utc};
use entity::status::InvoiceStatus;
use entity::{audit_log, invoices, payments, promo_codes, refunds};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::dto::{AdminInvoiceDto, AdminInvoiceRowDto, InvoicePageDto, MoneyDto, QuoteDto};
use crate::ssr::ServiceError;
use crate::ssr::csv::{self, CsvRow};
use crate::ssr::repo::stored::{self, Amount};
use crate::ssr::repo::{keyset, lookup};
use crate::ssr::services::support::payment_rows;
use crate::ssr::time::rfc3339;

#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    /// `open`, `paid` or `void`.
    pub status: Option<String>,
    pub customer_id: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

fn parse_status(s: &str) -> Result<InvoiceStatus, ServiceError> {
    s.parse::<InvoiceStatus>().map_err(|_| {
        ServiceError::rule(
            "validation_failed",
            "status",
            "status must be one of open, paid, void.",
        )
    })
}

async fn rows<C: ConnectionTrait>(
    db: &C,
    invoices: Vec<invoices::Model>,
) -> Result<Vec<AdminInvoiceRowDto>, ServiceError> {
    let emails = lookup::emails(db, invoices.iter().map(|i| i.customer_id)).await?;
    let tariffs = lookup::tariffs(db).await?;
    invoices
        .into_iter()
        .map(|i| {
            Ok(AdminInvoiceRowDto {
                total: MoneyDto::from(i.amount()?),
                id: i.id,
                number: i.number,
                customer_id: i.customer_id,
                customer_email: emails.get(&i.customer_id).cloned(),
                tariff_id: i.tariff_id,
                tariff_name: lookup::tariff_name(&tariffs, i.tariff_id),
                kind: i.kind.to_string(),
                months: u32::try_from(i.months).unwrap_or(0),
                status: i.status.to_string(),
                created_at: rfc3339(i.created_at),
                paid_at: i.paid_at.map(rfc3339),
            })
        })
        .collect()
}

pub async fn list(
    db: &DatabaseConnection,
    filter: &InvoiceFilter,
    limit: u64,
    cursor: Option<&str>,
) -> Result<InvoicePageDto, ServiceError> {
    use invoices::Column as I;
    let mut q = invoices::Entity::find();
    if let Some(s) = filter.status.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(I::Status.eq(parse_status(s)?));
    }
    if let Some(c) = filter.customer_id {
        q = q.filter(I::CustomerId.eq(c));
    }
    if let Some(f) = filter.from {
        q = q.filter(I::CreatedAt.gte(f));
    }
    if let Some(t) = filter.to {
        q = q.filter(I::CreatedAt.lt(t));
    }
    let before = keyset::decode_opt(cursor)?;
    let (page, more) = keyset::newest_first(db, q, (I::CreatedAt, I::Id), before, limit).await?;
    let next_cursor = keyset::next(&page, more, |i| (i.created_at, i.id));
    Ok(InvoicePageDto {
        data: rows(db, page).await?,
        next_cursor,
    })
}

pub async fn get(db: &DatabaseConnection, id: Uuid) -> Result<AdminInvoiceDto, ServiceError> {
    let invoice = invoices::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound { entity: "invoice" })?;
    let currency = stored::currency(&invoice.currency, "invoice", invoice.id)?;
    let list_price = MoneyDto::from(crate::domain::Money::from_minor(
        invoice.list_price_minor,
        currency,
    ));
    // The quote is stored as the customer saw it; an older shape still shows raw.
    let quote: Option<QuoteDto> = serde_json::from_value(invoice.quote.clone()).ok();
    let promo_code = match invoice.promo_code_id {
        Some(p) => promo_codes::Entity::find_by_id(p)
            .one(db)
            .await?
            .map(|p| p.code),
        None => None,
    };
    let pays = payments::Entity::find()
        .filter(payments::Column::InvoiceId.eq(id))
        .order_by_asc(payments::Column::CreatedAt)
        .all(db)
        .await?;
    let pay_ids: Vec<Uuid> = pays.iter().map(|p| p.id).collect();
    let refunds = refunds::Entity::find()
        .filter(refunds::Column::PaymentId.is_in(pay_ids))
        .order_by_asc(refunds::Column::CreatedAt)
        .all(db)
        .await?
        .iter()
        .map(crate::ssr::services::refunds::dto)
        .collect::<Result<Vec<_>, _>>()?;
    let void_reason = if invoice.status == InvoiceStatus::Void {
        audit_log::Entity::find()
            .filter(audit_log::Column::EntityType.eq("invoice"))
            .filter(audit_log::Column::EntityId.eq(id.to_string()))
            .filter(audit_log::Column::Action.eq("invoice.voided"))
            .one(db)
            .await?
            .and_then(|a| a.after)
            .and_then(|a| a.get("reason").and_then(|r| r.as_str()).map(str::to_string))
    } else {
        None
    };
    let raw_quote = invoice.quote.clone();
    let row = rows(db, vec![invoice]).await?.remove(0);
    Ok(AdminInvoiceDto {
        invoice: row,
        list_price,
        applied_discount: quote.as_ref().and_then(|q| q.applied_discount.clone()),
        rejected_discounts: quote.map(|q| q.rejected_discounts).unwrap_or_default(),
        promo_code,
        quote: raw_quote,
        payments: payment_rows(db, pays).await?,
        refunds,
        void_reason,
    })
}

impl CsvRow for AdminInvoiceRowDto {
    const HEADER: &'static [&'static str] = &[
        "number",
        "id",
        "customer_id",
        "customer_email",
        "tariff",
        "kind",
        "months",
        "total",
        "currency",
        "status",
        "created_at",
        "paid_at",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.number.clone(),
            self.id.to_string(),
            self.customer_id.to_string(),
            csv::opt(&self.customer_email),
            self.tariff_name.clone(),
            self.kind.clone(),
            self.months.to_string(),
            self.total.amount.clone(),
            self.total.currency.clone(),
            self.status.clone(),
            self.created_at.clone(),
            csv::opt(&self.paid_at),
        ]
    }
}
