//! Checkout: an invoice with a frozen quote, a payment at the provider, and the URL the
//! customer pays at. Safe to retry: the provider call reuses a key derived from the
//! caller's idempotency key, so a timeout after the provider charged finds that payment.

use chrono::{DateTime, Datelike, Utc};
use entity::{
    customers, invoice_counters, invoices, payment_events, payments, subscriptions, tariffs,
};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::billing::{InvoiceStatus, PaymentStatus};
use crate::domain::pricing::{
    self, DiscountKind, DiscountValue, MonthDiscount, Months, Percent, QuoteInput,
};
use crate::dto::{CheckoutDto, CustomerDto, QuoteDto};
use crate::ssr::outbox::{self, Destination};
use crate::ssr::providers::{CreatePayment, PaymentStatus as ProviderStatus, ProviderError};
use crate::ssr::repo::stored;
use crate::ssr::services::{payments as payment_views, pricing as pricing_svc, settlement};
use crate::ssr::{AppState, ServiceError};

#[derive(Debug, Clone)]
pub struct CheckoutRequest {
    pub tariff_id: Uuid,
    pub months: u32,
    pub promo_code: Option<String>,
    pub save_payment_method: bool,
    /// The caller's idempotency key (REST header, or the checkout form's hidden key).
    pub idempotency_key: String,
}

/// The key we give the provider: stable for one customer + idempotency key, opaque.
pub fn provider_key(customer: Uuid, idempotency_key: &str) -> String {
    let mut h = Sha256::new();
    h.update(customer.as_bytes());
    h.update(b":");
    h.update(idempotency_key.as_bytes());
    format!("kb-{}", &hex::encode(h.finalize())[..40])
}

/// The next human invoice number of `year`, inside the caller's transaction.
pub(crate) async fn next_invoice_number<C: ConnectionTrait>(
    db: &C,
    year: i32,
) -> Result<String, ServiceError> {
    let mut numbers = next_invoice_numbers(db, year, 1).await?;
    numbers
        .pop()
        .ok_or_else(|| anyhow::anyhow!("no invoice number").into())
}

/// The next `count` consecutive invoice numbers of `year`, inside the caller's
/// transaction: one atomic upsert (`INSERT … ON CONFLICT DO UPDATE … RETURNING`), which
/// locks the counter row until commit on PostgreSQL and never fails on a concurrent
/// first number of a year. Numbers stay gapless because they commit or roll back with
/// the invoices that use them; a batch takes its whole range in one statement, so the
/// counter row is locked (and rewritten) once per batch, not once per invoice.
pub(crate) async fn next_invoice_numbers<C: ConnectionTrait>(
    db: &C,
    year: i32,
    count: usize,
) -> Result<Vec<String>, ServiceError> {
    let count = i64::try_from(count).map_err(anyhow::Error::from)?;
    if count == 0 {
        return Ok(Vec::new());
    }
    let row = invoice_counters::Entity::insert(invoice_counters::ActiveModel {
        year: Set(year),
        last_number: Set(count),
    })
    .on_conflict(
        OnConflict::column(invoice_counters::Column::Year)
            .value(
                invoice_counters::Column::LastNumber,
                Expr::col((
                    invoice_counters::Entity,
                    invoice_counters::Column::LastNumber,
                ))
                .add(count),
            )
            .to_owned(),
    )
    .exec_with_returning(db)
    .await?;
    let first = row.last_number - count + 1;
    Ok((first..=row.last_number)
        .map(|n| format!("KB-{year}-{n:06}"))
        .collect())
}

/// The domain's quote for `months` of `tariff` with the discounts that apply.
pub(crate) fn price(
    tariff: &tariffs::Model,
    months: Months,
    personal: Option<Percent>,
    promo: Option<DiscountValue>,
    month_discounts: &[MonthDiscount],
) -> Result<pricing::Quote, ServiceError> {
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

/// The frozen quote as stored on the invoice.
pub(crate) fn quote_json(quote: &QuoteDto) -> Result<serde_json::Value, ServiceError> {
    serde_json::to_value(quote).map_err(|e| {
        ServiceError::Unexpected(anyhow::anyhow!("serialising the invoice quote: {e}"))
    })
}

/// Prices the purchase from the database (never the quote cache: this is what the
/// customer will be charged).
pub(crate) async fn fresh_quote<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    customer: Uuid,
    tariff: &tariffs::Model,
    months: Months,
    promo_code: Option<&str>,
) -> Result<(pricing::Quote, Option<Uuid>), ServiceError> {
    let promo = match promo_code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => {
            let promo = pricing_svc::check_promo(db, now, code, Some(customer)).await?;
            if !promo.applies_to(tariff.id) {
                return Err(ServiceError::rule(
                    "promo_not_applicable",
                    "promo_code",
                    format!(
                        "The promo code {} does not apply to the {} tariff.",
                        promo.model.code, tariff.name
                    ),
                ));
            }
            Some(promo)
        }
        None => None,
    };
    let personal = pricing_svc::active_personal_discount(db, customer, now).await?;
    let table = pricing_svc::month_table(db).await?;
    let quote = price(
        tariff,
        months,
        personal,
        promo.as_ref().map(|p| p.value),
        &table,
    )?;
    let promo_id = match &quote.applied {
        Some(d) if d.kind == DiscountKind::Promo => promo.map(|p| p.model.id),
        _ => None,
    };
    Ok((quote, promo_id))
}

pub async fn checkout(
    state: &AppState,
    customer: &CustomerDto,
    req: &CheckoutRequest,
) -> Result<CheckoutDto, ServiceError> {
    let key = provider_key(customer.id, &req.idempotency_key);
    // A retry of an attempt whose provider call failed: continue with the same payment.
    if let Some(existing) = payments::Entity::find()
        .filter(payments::Column::ProviderIdempotencyKey.eq(key.as_str()))
        .one(&state.db)
        .await?
    {
        return finish_with_provider(state, existing).await;
    }

    let months = Months::new(req.months)?;
    let now = state.clock.now();
    let tariff = tariffs::Entity::find_by_id(req.tariff_id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound { entity: "tariff" })?;
    if !tariff.active {
        return Err(ServiceError::rule(
            "tariff_archived",
            "tariff_id",
            format!("The tariff {} is no longer on sale.", tariff.name),
        ));
    }
    if let Some(sub) = subscriptions::Entity::find()
        .filter(subscriptions::Column::CustomerId.eq(customer.id))
        .one(&state.db)
        .await?
        && sub.tariff_id != tariff.id
        && matches!(sub.status.as_str(), "active" | "grace")
    {
        return Err(ServiceError::rule(
            "subscription_other_tariff",
            "tariff_id",
            "You already subscribe to another tariff. Extend it, or ask support to change your tariff.",
        ));
    }
    let (quote, promo_id) = fresh_quote(
        &state.db,
        now,
        customer.id,
        &tariff,
        months,
        req.promo_code.as_deref(),
    )
    .await?;
    if quote.total.minor() <= 0 {
        return Err(ServiceError::rule(
            "nothing_to_pay",
            "tariff_id",
            "This purchase costs nothing after discounts; please contact support to activate it.",
        ));
    }
    let quote_dto = QuoteDto::from_quote(tariff.id, req.months, &quote);

    let txn = crate::ssr::repo::begin_write(&state.db).await?;
    // One open invoice per customer: this one replaces any older one still unpaid.
    let replaced = void_open_invoices(&txn, customer.id, now).await?;
    let number = next_invoice_number(&txn, now.year()).await?;
    let invoice_id = Uuid::now_v7();
    let discount = quote.applied.as_ref();
    let invoice = invoices::ActiveModel {
        id: Set(invoice_id),
        number: Set(number.clone()),
        customer_id: Set(customer.id),
        tariff_id: Set(tariff.id),
        kind: Set("purchase".into()),
        months: Set(i32::from(months.get())),
        list_price_minor: Set(quote.list_price.minor()),
        discount_kind: Set(discount.map(|d| quote_dto_kind(d.kind).to_string())),
        discount_percent_bp: Set(discount.and_then(|d| d.percent).map(|p| i32::from(p.bp()))),
        discount_minor: Set(discount.map_or(0, |d| d.amount.minor())),
        total_minor: Set(quote.total.minor()),
        currency: Set(quote.total.currency().code().to_string()),
        promo_code_id: Set(promo_id),
        quote: Set(quote_json(&quote_dto)?),
        status: Set(InvoiceStatus::Open.as_str().into()),
        created_at: Set(now),
        paid_at: Set(None),
    }
    .insert(&txn)
    .await?;
    if let Some(promo_id) = promo_id {
        // Held from now; a refusal (used up, or used by this customer already) rolls the
        // whole checkout back.
        pricing_svc::reserve(&txn, promo_id, customer.id, invoice_id, now).await?;
    }
    let payment_id = Uuid::now_v7();
    let payment = payments::ActiveModel {
        id: Set(payment_id),
        invoice_id: Set(invoice_id),
        customer_id: Set(customer.id),
        provider: Set(state.provider.name().to_string()),
        provider_payment_id: Set(None),
        provider_idempotency_key: Set(key),
        status: Set(PaymentStatus::Pending.as_str().into()),
        amount_minor: Set(quote.total.minor()),
        currency: Set(invoice.currency.clone()),
        save_payment_method: Set(req.save_payment_method),
        payment_method_id: Set(None),
        confirmation_url: Set(None),
        return_url: Set(Some(format!(
            "{}/checkout/return?payment={payment_id}",
            state.billing.public_url
        ))),
        failure_code: Set(None),
        failure_message: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        paid_at: Set(None),
        next_poll_at: Set(None),
    }
    .insert(&txn)
    .await?;
    record_event(
        &txn,
        payment_id,
        "created",
        "api",
        None,
        Some(format!("Invoice {number}")),
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
            "customer_id": customer.id,
            "tariff_id": tariff.id,
            "months": months.get(),
            "total": {"amount": quote.total.to_wire(), "currency": quote.total.currency().code()},
            "issued_at": crate::ssr::time::rfc3339(now),
        }),
        now,
    )
    .await?;
    txn.commit().await?;
    cancel_at_provider(state, replaced).await;
    finish_with_provider(state, payment).await
}

/// Voids the customer's open checkout invoices (renewal charges are the worker's) inside
/// the new checkout's transaction, releasing their promo reservations. Returns their
/// pending payments, to cancel at the provider once this commits.
async fn void_open_invoices<C: ConnectionTrait>(
    txn: &C,
    customer: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<payments::Model>, ServiceError> {
    // One customer's checkouts take turns (PostgreSQL row lock; SQLite has one writer):
    // two at once would each find no open invoice and both stay open.
    crate::ssr::repo::for_no_key_update(customers::Entity::find_by_id(customer), txn)
        .one(txn)
        .await?;
    let open: Vec<Uuid> = invoices::Entity::find()
        .filter(invoices::Column::CustomerId.eq(customer))
        .filter(invoices::Column::Status.eq(InvoiceStatus::Open.as_str()))
        .filter(invoices::Column::Kind.eq("purchase"))
        .all(txn)
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect();
    if open.is_empty() {
        return Ok(Vec::new());
    }
    // Payments before invoices, in id order: the order settlement locks them in, so a
    // webhook settling the old payment right now never deadlocks with this checkout.
    let pending = crate::ssr::repo::for_update(
        payments::Entity::find()
            .filter(payments::Column::InvoiceId.is_in(open.iter().copied()))
            .order_by_asc(payments::Column::Id),
        txn,
    )
    .all(txn)
    .await?
    .into_iter()
    .filter(|p| p.status == PaymentStatus::Pending.as_str())
    .collect::<Vec<_>>();
    invoices::Entity::update_many()
        .col_expr(
            invoices::Column::Status,
            Expr::value(InvoiceStatus::Void.as_str()),
        )
        .filter(invoices::Column::Id.is_in(open.iter().copied()))
        // Paid meanwhile (its settlement committed before the lock above): it stays paid.
        .filter(invoices::Column::Status.eq(InvoiceStatus::Open.as_str()))
        .exec(txn)
        .await?;
    pricing_svc::release_redemptions(txn, &open).await?;
    for p in &pending {
        record_event(
            txn,
            p.id,
            "invoice_voided",
            "api",
            None,
            Some("A newer checkout replaced this invoice".into()),
            now,
        )
        .await?;
    }
    Ok(pending)
}

/// Cancels replaced payments at the provider and settles what it answers: canceled, or
/// (the customer paid a moment earlier) succeeded, which settlement refunds as
/// superseded. A failed call changes nothing here: if the old page is paid later, its
/// webhook or the poll settles it the same way.
async fn cancel_at_provider(state: &AppState, replaced: Vec<payments::Model>) {
    for p in replaced {
        let Some(provider_id) = p.provider_payment_id.as_deref() else {
            continue;
        };
        match state.provider.cancel_payment(provider_id).await {
            Ok(pp) => {
                if let Err(e) = settlement::settle_payment(state, &pp, "api", None).await {
                    e.log_if_internal();
                }
            }
            Err(e) => {
                tracing::warn!(payment = %p.id, error = %e, "canceling a replaced payment failed");
            }
        }
    }
}

pub(crate) fn quote_dto_kind(k: DiscountKind) -> &'static str {
    match k {
        DiscountKind::Personal => "personal",
        DiscountKind::Promo => "promo",
        DiscountKind::Months => "months",
    }
}

pub async fn record_event<C: ConnectionTrait>(
    db: &C,
    payment_id: Uuid,
    kind: &str,
    source: &str,
    payload: Option<String>,
    note: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    event_row(payment_id, kind, source, payload, note, now)
        .insert(db)
        .await?;
    Ok(())
}

/// A line on a payment's timeline (batches insert many at once).
pub fn event_row(
    payment_id: Uuid,
    kind: &str,
    source: &str,
    payload: Option<String>,
    note: Option<String>,
    now: DateTime<Utc>,
) -> payment_events::ActiveModel {
    payment_events::ActiveModel {
        id: Set(Uuid::now_v7()),
        payment_id: Set(payment_id),
        kind: Set(kind.to_string()),
        source: Set(source.to_string()),
        dedupe_key: Set(None),
        payload: Set(payload),
        note: Set(note),
        created_at: Set(now),
    }
}

/// Creates (or finds again, by our key) the provider payment and stores its id and URL.
async fn finish_with_provider(
    state: &AppState,
    payment: payments::Model,
) -> Result<CheckoutDto, ServiceError> {
    if payment.provider_payment_id.is_none() && payment.status == PaymentStatus::Pending.as_str() {
        let invoice = invoices::Entity::find_by_id(payment.invoice_id)
            .one(&state.db)
            .await?
            .ok_or(ServiceError::NotFound { entity: "invoice" })?;
        if invoice.status != InvoiceStatus::Open.as_str() {
            // A retry of a checkout that a newer one replaced: nothing to pay any more.
            return payment_views::checkout_view(state, payment.id).await;
        }
        let tariff_name = tariffs::Entity::find_by_id(invoice.tariff_id)
            .one(&state.db)
            .await?
            .ok_or(ServiceError::NotFound { entity: "tariff" })?
            .name;
        let return_url = payment.return_url.clone().ok_or_else(|| {
            ServiceError::Unexpected(anyhow::anyhow!("payment {} has no return URL", payment.id))
        })?;
        let created = state
            .provider
            .create_payment(&CreatePayment {
                idempotency_key: payment.provider_idempotency_key.clone(),
                amount: stored::money(
                    payment.amount_minor,
                    &payment.currency,
                    "payment",
                    payment.id,
                )?,
                description: format!(
                    "Kinobill {tariff_name}, {} month{} ({})",
                    invoice.months,
                    if invoice.months == 1 { "" } else { "s" },
                    invoice.number
                ),
                return_url,
                save_payment_method: payment.save_payment_method,
                reference: payment.id.to_string(),
            })
            .await;
        let now = state.clock.now();
        match created {
            Ok(pp) => {
                let mut active: payments::ActiveModel = payment.clone().into();
                active.provider_payment_id = Set(Some(pp.id.clone()));
                active.confirmation_url = Set(pp.confirmation_url.clone());
                active.updated_at = Set(now);
                active.update(&state.db).await?;
                record_event(
                    &state.db,
                    payment.id,
                    "provider_payment_created",
                    "api",
                    None,
                    Some(format!("Provider payment {}", pp.id)),
                    now,
                )
                .await?;
                if pp.status != ProviderStatus::Pending {
                    settlement::settle_payment(state, &pp, "api", None).await?;
                }
            }
            Err(e) => {
                record_event(
                    &state.db,
                    payment.id,
                    "provider_error",
                    "api",
                    None,
                    Some(e.to_string()),
                    now,
                )
                .await?;
                return Err(provider_error(e));
            }
        }
    }
    payment_views::checkout_view(state, payment.id).await
}

/// A provider failure as the caller sees it: retryable, with the same key.
pub fn provider_error(e: ProviderError) -> ServiceError {
    tracing::warn!(error = %e, "payment provider call failed");
    ServiceError::ProviderUnavailable(e.to_string())
}
