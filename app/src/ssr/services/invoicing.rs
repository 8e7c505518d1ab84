//! Issuing invoices: the one way checkout and renewals bill a customer. An invoice
//! freezes its quote and is issued with its pending payment, the first line of that
//! payment's timeline and the `invoice.issued` event, all in the caller's transaction,
//! so a purchase and a renewal can never be billed by two diverging copies of the rules.

use chrono::{DateTime, Datelike, Utc};
use entity::{invoices, payments, tariffs};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::domain::billing::{InvoiceStatus, PaymentStatus};
use crate::domain::pricing::{
    self, DiscountValue, MonthDiscount, Months, Percent, Quote, QuoteInput,
};
use crate::dto::QuoteDto;
use crate::ssr::billing_event::{self, BillingEvent};
use crate::ssr::repo::{invoices as repo, stored};
use crate::ssr::{AppState, ServiceError};

pub use crate::domain::billing::InvoiceKind;

/// How the invoice will be paid.
#[derive(Debug, Clone)]
pub struct PaymentPlan {
    /// The key the provider deduplicates the charge by.
    pub provider_key: String,
    pub save_payment_method: bool,
    /// A renewal charges a saved card: its id and last digits (for the timeline).
    pub saved_card: Option<(Uuid, String)>,
    /// Where the provider's page sends the customer back (purchases only).
    pub return_url: Option<String>,
}

/// One invoice to issue.
#[derive(Debug, Clone)]
pub struct Draft<'a> {
    pub kind: InvoiceKind,
    pub customer_id: Uuid,
    pub tariff: &'a tariffs::Model,
    pub months: Months,
    pub quote: &'a Quote,
    pub promo_code_id: Option<Uuid>,
    pub payment: PaymentPlan,
}

/// An issued invoice and the payment that will pay it.
#[derive(Debug, Clone)]
pub struct Issued {
    pub invoice: invoices::Model,
    pub payment: payments::Model,
}

/// The frozen quote as stored on the invoice.
pub fn quote_json(quote: &QuoteDto) -> Result<serde_json::Value, ServiceError> {
    serde_json::to_value(quote).map_err(|e| {
        ServiceError::Unexpected(anyhow::anyhow!("serialising the invoice quote: {e}"))
    })
}

/// The domain's quote for `months` of `tariff` with the discounts that apply.
pub fn price(
    tariff: &tariffs::Model,
    months: Months,
    personal: Option<Percent>,
    promo: Option<DiscountValue>,
    month_discounts: &[MonthDiscount],
) -> Result<Quote, ServiceError> {
    Ok(pricing::quote(&QuoteInput {
        monthly_price: stored::money(
            tariff.monthly_price_minor,
            &tariff.currency,
            "tariff",
            tariff.id,
        )?,
        months,
        personal,
        promo,
        month_discounts,
    }))
}

fn invoice_row(
    d: &Draft<'_>,
    number: String,
    now: DateTime<Utc>,
) -> Result<invoices::Model, ServiceError> {
    let discount = d.quote.applied.as_ref();
    Ok(invoices::Model {
        id: Uuid::now_v7(),
        number,
        customer_id: d.customer_id,
        tariff_id: d.tariff.id,
        kind: d.kind,
        months: i32::from(d.months.get()),
        list_price_minor: d.quote.list_price.minor(),
        discount_kind: discount.map(|x| x.kind.into()),
        discount_percent_bp: discount.and_then(|x| x.percent).map(|p| i32::from(p.bp())),
        discount_minor: discount.map_or(0, |x| x.amount.minor()),
        total_minor: d.quote.total.minor(),
        currency: d.quote.total.currency().code().to_string(),
        promo_code_id: d.promo_code_id,
        quote: quote_json(&QuoteDto::from_quote(
            d.tariff.id,
            u32::from(d.months.get()),
            d.quote,
        ))?,
        status: InvoiceStatus::Open,
        created_at: now,
        paid_at: None,
    })
}

fn payment_row(
    provider: &str,
    plan: &PaymentPlan,
    invoice: &invoices::Model,
    now: DateTime<Utc>,
) -> payments::Model {
    let id = Uuid::now_v7();
    payments::Model {
        id,
        invoice_id: invoice.id,
        customer_id: invoice.customer_id,
        provider: provider.to_string(),
        provider_payment_id: None,
        provider_idempotency_key: plan.provider_key.clone(),
        status: PaymentStatus::Pending,
        amount_minor: invoice.total_minor,
        currency: invoice.currency.clone(),
        save_payment_method: plan.save_payment_method,
        payment_method_id: plan.saved_card.as_ref().map(|(id, _)| *id),
        confirmation_url: None,
        return_url: plan
            .return_url
            .as_ref()
            .map(|base| format!("{base}?payment={id}")),
        failure_code: None,
        failure_message: None,
        created_at: now,
        updated_at: now,
        paid_at: None,
        next_poll_at: None,
    }
}

/// Issues `drafts` inside the caller's transaction: consecutive invoice numbers, the
/// invoices, their pending payments, a `created` line on each payment's timeline and an
/// `invoice.issued` event each, in a few statements whatever the batch size. A taken
/// provider key (a renewal another worker issued first) fails with the database's
/// unique violation and the caller rolls back.
pub async fn issue<C: ConnectionTrait>(
    txn: &C,
    state: &AppState,
    drafts: &[Draft<'_>],
    now: DateTime<Utc>,
) -> Result<Vec<Issued>, ServiceError> {
    let numbers = repo::next_numbers(txn, now.year(), drafts.len()).await?;
    let mut issued = Vec::with_capacity(drafts.len());
    for (d, number) in drafts.iter().zip(numbers) {
        let invoice = invoice_row(d, number, now)?;
        let payment = payment_row(state.provider.name(), &d.payment, &invoice, now);
        issued.push(Issued { invoice, payment });
    }
    repo::insert_issued(txn, &issued).await?;
    let events: Vec<BillingEvent> = issued
        .iter()
        .zip(drafts)
        .map(|(i, d)| BillingEvent::InvoiceIssued {
            invoice: &i.invoice,
            payment: &i.payment,
            total: d.quote.total,
            card_last4: d
                .payment
                .saved_card
                .as_ref()
                .map(|(_, last4)| last4.as_str()),
        })
        .collect();
    billing_event::record(txn, &events, "api", now).await?;
    Ok(issued)
}
