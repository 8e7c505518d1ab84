//! Checkout: an invoice with a frozen quote, a payment at the provider, and the URL the
//! customer pays at. Safe to retry: the provider call reuses a key derived from the
//! caller's idempotency key, so a timeout after the provider charged finds that payment.

use chrono::{DateTime, Utc};
use entity::{customers, payments, tariffs};
use sea_orm::{ConnectionTrait, EntityTrait};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::billing::{InvoiceStatus, PaymentStatus, has_access};
use crate::domain::pricing::{self, DiscountKind, Months};
use crate::dto::{CheckoutDto, CustomerDto};
use crate::ssr::billing_event::{self, BillingEvent};
use crate::ssr::providers::{
    CreatePayment, PaymentStatus as ProviderStatus, ProviderError, ProviderPayment,
};
use crate::ssr::repo::stored::Amount;
use crate::ssr::repo::{invoices as invoice_repo, payments as payment_repo};
use crate::ssr::services::invoicing::{self, Draft, InvoiceKind, Issued, PaymentPlan, price};
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
    let result = checkout_once(state, customer, req).await;
    crate::ssr::metrics::checkout(&result);
    result
}

async fn checkout_once(
    state: &AppState,
    customer: &CustomerDto,
    req: &CheckoutRequest,
) -> Result<CheckoutDto, ServiceError> {
    let key = provider_key(customer.id, &req.idempotency_key);
    // A retry of an attempt whose provider call failed: continue with the same payment.
    if let Some(existing) = payment_repo::by_key(&state.db, &key).await? {
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
    if let Some(sub) = crate::ssr::repo::subscriptions::of_customer(&state.db, customer.id).await?
        && sub.tariff_id != tariff.id
        && has_access(sub.status)
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

    let txn = crate::ssr::repo::begin_write(&state.db).await?;
    // One open invoice per customer: this one replaces any older one still unpaid.
    let replaced = void_open_invoices(&txn, customer.id, now).await?;
    let draft = Draft {
        kind: InvoiceKind::Purchase,
        customer_id: customer.id,
        tariff: &tariff,
        months,
        quote: &quote,
        promo_code_id: promo_id,
        payment: PaymentPlan {
            provider_key: key,
            save_payment_method: req.save_payment_method,
            saved_card: None,
            return_url: Some(format!("{}/checkout/return", state.billing.public_url)),
        },
    };
    let Issued { invoice, payment } = invoicing::issue(&txn, state, &[draft], now)
        .await?
        .pop()
        .ok_or_else(|| anyhow::anyhow!("issuing an invoice returned none"))?;
    if let Some(promo_id) = promo_id {
        // Held from now; a refusal (used up, or used by this customer already) rolls the
        // whole checkout back.
        pricing_svc::reserve(&txn, promo_id, customer.id, invoice.id, now).await?;
    }
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
    let open = invoice_repo::open_purchases(txn, customer).await?;
    if open.is_empty() {
        return Ok(Vec::new());
    }
    // Payments before invoices, in id order: the order settlement locks them in, so a
    // webhook settling the old payment right now never deadlocks with this checkout.
    let pending: Vec<payments::Model> = payment_repo::lock_of_invoices(txn, &open)
        .await?
        .into_iter()
        .filter(|p| p.status == PaymentStatus::Pending)
        .collect();
    invoice_repo::void_open(txn, &open).await?;
    pricing_svc::release_redemptions(txn, &open).await?;
    let events: Vec<BillingEvent> = pending
        .iter()
        .map(|p| BillingEvent::InvoiceReplaced { payment_id: p.id })
        .collect();
    billing_event::record(txn, &events, "api", now).await?;
    Ok(pending)
}

/// Cancels replaced payments at the provider and settles what it answers: canceled, or
/// (the customer paid a moment earlier) succeeded, which settlement refunds as
/// superseded. A failed call changes nothing here: if the old page is paid later, its
/// webhook or the poll settles it the same way.
pub(crate) async fn cancel_at_provider(state: &AppState, replaced: Vec<payments::Model>) {
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

/// Creates (or finds again, by our key) the provider payment and stores its id and URL.
async fn finish_with_provider(
    state: &AppState,
    payment: payments::Model,
) -> Result<CheckoutDto, ServiceError> {
    if payment.provider_payment_id.is_none() && payment.status == PaymentStatus::Pending {
        let invoice = invoice_repo::find(&state.db, payment.invoice_id)
            .await?
            .ok_or(ServiceError::NotFound { entity: "invoice" })?;
        if invoice.status != InvoiceStatus::Open {
            // A retry of a checkout that a newer one replaced: nothing to pay any more
            // (reconciliation cancels whatever the first call may have made).
            return payment_views::checkout_view(state, payment.id).await;
        }
        let pp = create_at_provider(state, &payment, &invoice).await?;
        if pp.status != ProviderStatus::Pending {
            settlement::settle_payment(state, &pp, "api", None).await?;
        }
    }
    payment_views::checkout_view(state, payment.id).await
}

/// The checkout's call to the provider, under the payment's own idempotency key (made
/// again, it answers the payment the first call made), and its id stored.
async fn create_at_provider(
    state: &AppState,
    payment: &payments::Model,
    invoice: &entity::invoices::Model,
) -> Result<ProviderPayment, ServiceError> {
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
            customer_id: payment.customer_id,
            amount: payment.amount()?,
            description: format!(
                "Kinobill {tariff_name}, {} month{} ({})",
                invoice.months,
                if invoice.months == 1 { "" } else { "s" },
                invoice.number
            ),
            return_url,
            save_payment_method: payment.save_payment_method,
            reference: payment.id,
        })
        .await;
    let now = state.clock.now();
    match created {
        Ok(pp) => {
            payment_repo::set_provider_payment(
                &state.db,
                payment.id,
                &pp.id,
                pp.confirmation_url.clone(),
                now,
            )
            .await?;
            let event = BillingEvent::ProviderPaymentCreated {
                payment_id: payment.id,
                provider_id: &pp.id,
            };
            billing_event::record(&state.db, &[event], "api", now).await?;
            Ok(pp)
        }
        Err(e) => {
            let event = BillingEvent::ProviderCallFailed {
                payment_id: payment.id,
                error: e.to_string(),
            };
            billing_event::record(&state.db, &[event], "api", now).await?;
            Err(provider_error(e))
        }
    }
}

/// A checkout whose call to the provider never got an answer (a timeout, a 5xx, the
/// process died between its two commits) and that nobody retried: reconciliation
/// finishes it. With its invoice still open it goes on as the customer's retry would;
/// replaced or voided, the provider payment the first call may have made (found by the
/// same key, or made now) is canceled at once and the payment settled: canceled, or
/// paid after all and then refunded as superseded. Found by `make chaos`.
pub async fn resolve_unsent(
    state: &AppState,
    payment: payments::Model,
) -> Result<(), ServiceError> {
    let invoice = invoice_repo::find(&state.db, payment.invoice_id)
        .await?
        .ok_or(ServiceError::NotFound { entity: "invoice" })?;
    if invoice.status == InvoiceStatus::Open {
        finish_with_provider(state, payment).await?;
        return Ok(());
    }
    let pp = create_at_provider(state, &payment, &invoice).await?;
    let pp = if pp.status == ProviderStatus::Pending {
        state
            .provider
            .cancel_payment(&pp.id)
            .await
            .map_err(provider_error)?
    } else {
        pp
    };
    let settled = settlement::settle_payment(state, &pp, "poll", None).await?;
    tracing::info!(payment = %payment.id, ?settled, "an unanswered checkout was resolved");
    Ok(())
}

/// A provider failure as the caller sees it: retryable, with the same key.
pub fn provider_error(e: ProviderError) -> ServiceError {
    tracing::warn!(error = %e, "payment provider call failed");
    ServiceError::ProviderUnavailable(e.to_string())
}
