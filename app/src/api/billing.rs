//! The customer's billing pages: checkout, the return page, the account.

use leptos::prelude::*;
use uuid::Uuid;

use crate::dto::{AccountDto, CheckoutPreviewDto, PaymentDto, RefundDto, SubscriptionDto};
use crate::error::AppError;

/// The price of a purchase for the signed-in customer (or anyone), and a fresh key.
#[server(prefix = "/rpc", endpoint = "checkout_preview")]
pub async fn checkout_preview(
    tariff_id: Uuid,
    months: u32,
    promo_code: Option<String>,
) -> Result<CheckoutPreviewDto, AppError> {
    use crate::dto::TariffSummaryDto;
    use crate::ssr::auth::{request_context, session_customer};
    use crate::ssr::services::pricing::{self, QuoteRequest};

    let (state, session) = request_context().await.map_err(super::respond_err)?;
    let customer = session_customer(&state, &session)
        .await
        .map_err(super::respond_err)?;
    let quote = pricing::quote(
        &state.db,
        &state.pricing_cache,
        &state.clock,
        &QuoteRequest {
            tariff_id,
            months,
            promo_code,
            customer_id: customer.as_ref().map(|c| c.id),
        },
    )
    .await
    .map_err(super::respond_err)?;
    let catalog = state
        .pricing_cache
        .catalog(&state.db)
        .await
        .map_err(super::respond_err)?;
    let t = catalog
        .tariffs
        .get(&tariff_id)
        .ok_or_else(|| super::respond_err(AppError::NotFound))?;
    Ok(CheckoutPreviewDto {
        tariff: TariffSummaryDto {
            id: t.id,
            code: t.code.clone(),
            name: t.name.clone(),
            role: t.role.clone(),
        },
        quote,
        customer,
        key: Uuid::new_v4().to_string(),
    })
}

/// Creates the invoice and the provider payment and answers with the provider's page
/// (the page then leaves the app for it; without JavaScript the server redirects).
/// `key` comes from the form, so a double submit is one purchase.
#[server(prefix = "/rpc", endpoint = "start_checkout")]
pub async fn start_checkout(
    tariff_id: Uuid,
    months: u32,
    promo_code: Option<String>,
    save_card: Option<String>,
    key: String,
) -> Result<String, AppError> {
    use crate::ssr::auth::require_customer;
    use crate::ssr::services::checkout::{self, CheckoutRequest};

    let (state, customer) = require_customer().await.map_err(super::respond_err)?;
    crate::ssr::idempotency::validate_key(&key).map_err(super::respond_err)?;
    let done = checkout::checkout(
        &state,
        &customer,
        &CheckoutRequest {
            tariff_id,
            months,
            promo_code: promo_code.filter(|c| !c.trim().is_empty()),
            save_payment_method: save_card.is_some_and(|v| v != "false"),
            idempotency_key: key,
        },
    )
    .await
    .map_err(super::respond_err)?;
    let target = done
        .payment
        .confirmation_url
        .unwrap_or_else(|| format!("/checkout/return?payment={}", done.payment.id));
    if super::is_plain_form_post() {
        leptos_axum::redirect(&target);
    }
    Ok(target)
}

/// The return page's question: asks the provider while the payment is pending.
#[server(prefix = "/rpc", endpoint = "check_payment")]
pub async fn check_payment(payment_id: Uuid) -> Result<PaymentDto, AppError> {
    use crate::ssr::auth::require_customer;
    use crate::ssr::services::payments;

    let (state, customer) = require_customer().await.map_err(super::respond_err)?;
    payments::refresh(&state, customer.id, payment_id)
        .await
        .map_err(super::respond_err)
}

#[server(prefix = "/rpc", endpoint = "my_account")]
pub async fn my_account() -> Result<AccountDto, AppError> {
    use crate::ssr::auth::require_customer;
    use crate::ssr::services::{account, payments};

    let (state, customer) = require_customer().await.map_err(super::respond_err)?;
    let subscription = account::subscription(&state.db, customer.id)
        .await
        .map_err(super::respond_err)?;
    let (payments, _) = payments::customer_payments(&state, customer.id, 50, None)
        .await
        .map_err(super::respond_err)?;
    let statement = account::statement(&state.db, customer.id, None, None)
        .await
        .map_err(super::respond_err)?;
    let notifications = crate::ssr::services::notifications::list(&state.db, customer.id, 20, None)
        .await
        .map_err(super::respond_err)?
        .data;
    let tariffs = crate::ssr::services::catalog::list_active_tariffs(&state.db)
        .await
        .map_err(super::respond_err)?
        .into_iter()
        .map(|t| crate::dto::TariffSummaryDto {
            id: t.id,
            code: t.code,
            name: t.name,
            role: t.role,
        })
        .collect();
    Ok(AccountDto {
        customer,
        subscription,
        payments,
        statement,
        notifications,
        now: crate::ssr::time::rfc3339(state.clock.now()),
        tariffs,
    })
}

/// Schedules a switch to another tariff from the next period; an empty id cancels it.
#[server(prefix = "/rpc", endpoint = "schedule_tariff_switch")]
pub async fn schedule_tariff_switch(next_tariff_id: String) -> Result<SubscriptionDto, AppError> {
    use crate::ssr::ServiceError;
    use crate::ssr::auth::require_customer;
    use crate::ssr::services::account;

    let (state, customer) = require_customer().await.map_err(super::respond_err)?;
    let next = match next_tariff_id.trim() {
        "" => None,
        id => Some(Uuid::parse_str(id).map_err(|_| {
            super::respond_err(ServiceError::rule(
                "tariff_not_found",
                "next_tariff_id",
                "Choose one of the tariffs on sale.",
            ))
        })?),
    };
    account::set_next_tariff(&state.db, customer.id, next, state.clock.now())
        .await
        .map_err(super::respond_err)
}

#[server(prefix = "/rpc", endpoint = "set_auto_renew")]
pub async fn set_auto_renew(on: bool) -> Result<SubscriptionDto, AppError> {
    use crate::ssr::auth::require_customer;
    use crate::ssr::services::account;

    let (state, customer) = require_customer().await.map_err(super::respond_err)?;
    account::set_auto_renew(&state.db, customer.id, on, state.clock.now())
        .await
        .map_err(super::respond_err)
}

#[server(prefix = "/rpc", endpoint = "request_refund")]
pub async fn request_refund(
    payment_id: Uuid,
    reason: Option<String>,
) -> Result<RefundDto, AppError> {
    use crate::ssr::auth::require_customer;
    use crate::ssr::services::refunds::{self, Requester};

    let (state, customer) = require_customer().await.map_err(super::respond_err)?;
    refunds::refund(&state, payment_id, Requester::Customer(customer.id), reason)
        .await
        .map_err(super::respond_err)
}
