//! The support console's server functions. Each checks the staff role itself.

use leptos::prelude::*;
use uuid::Uuid;

use crate::dto::{
    AdminCustomerDto, AdminPaymentDto, AdminPaymentPageDto, ProviderObjectDto, RefundDto,
    StatementLineDto, SubscriptionDto, WithFormKey,
};

/// Runs a money-moving call of `staff` at most once per form key (see `idempotency::once`).
#[cfg(feature = "ssr")]
async fn once<T, F, Fut>(
    state: &crate::ssr::AppState,
    staff: &crate::dto::StaffDto,
    endpoint: &str,
    key: &str,
    request: serde_json::Value,
    f: F,
) -> Result<T, AppError>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<T, crate::ssr::ServiceError>>,
{
    let scope = format!("staff:{}", staff.id);
    let request = format!("{endpoint} {request}");
    crate::ssr::idempotency::once(&state.db, state.clock.now(), &scope, key, &request, f)
        .await
        .map_err(super::respond_err)
}

#[cfg(feature = "ssr")]
fn form_key() -> String {
    uuid::Uuid::new_v4().to_string()
}
use crate::error::AppError;

/// Payments, newest first. `customer` is an e-mail or a customer id.
#[server(prefix = "/rpc", endpoint = "admin_list_payments")]
pub async fn admin_list_payments(
    status: Option<String>,
    customer: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
) -> Result<AdminPaymentPageDto, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::services::{discounts, support};

    let (state, _) = require_staff(StaffRole::can_support)
        .await
        .map_err(super::respond_err)?;
    let Some(customer_id) = discounts::customer_filter(&state.db, customer.as_deref())
        .await
        .map_err(super::respond_err)?
    else {
        return Ok(AdminPaymentPageDto {
            data: Vec::new(),
            next_cursor: None,
        });
    };
    let from = super::console::day(from.as_deref().unwrap_or(""), "from", false)?;
    let to = super::console::day(to.as_deref().unwrap_or(""), "to", true)?;
    let filter = support::PaymentFilter {
        status: status.filter(|s| !s.is_empty() && s != "all"),
        customer_id,
        from,
        to,
    };
    support::list_payments(
        &state.db,
        &filter,
        25,
        cursor.as_deref().filter(|c| !c.is_empty()),
    )
    .await
    .map_err(super::respond_err)
}

#[server(prefix = "/rpc", endpoint = "admin_payment")]
pub async fn admin_payment(id: Uuid) -> Result<WithFormKey<AdminPaymentDto>, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::services::support;

    let (state, _) = require_staff(StaffRole::can_support)
        .await
        .map_err(super::respond_err)?;
    let data = support::payment(&state, id)
        .await
        .map_err(super::respond_err)?;
    Ok(WithFormKey {
        data,
        form_key: form_key(),
    })
}

/// The payment as its provider's API shows it now.
#[server(prefix = "/rpc", endpoint = "admin_provider_payment")]
pub async fn admin_provider_payment(id: Uuid) -> Result<ProviderObjectDto, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::services::support;

    let (state, _) = require_staff(StaffRole::can_support)
        .await
        .map_err(super::respond_err)?;
    support::provider_object(&state, id)
        .await
        .map_err(super::respond_err)
}

/// A refund on the customer's behalf; an admin may override the window with a reason,
/// and then refund part of it (`amount`, with `period` `shorten` or `keep`).
/// `key` is the page's form key: a double submit is one refund.
#[server(prefix = "/rpc", endpoint = "admin_refund_payment")]
pub async fn admin_refund_payment(
    payment_id: Uuid,
    reason: String,
    override_reason: Option<String>,
    key: String,
    amount: Option<String>,
    period: Option<String>,
) -> Result<RefundDto, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::services::refunds::{self, PartialRefund, PeriodPolicy, Requester};

    let (state, staff) = require_staff(StaffRole::can_support)
        .await
        .map_err(super::respond_err)?;
    if reason.trim().len() < 3 {
        return Err(super::respond_err(AppError::validation(
            "reason",
            "Say why the customer gets their money back (at least 3 characters).",
        )));
    }
    let override_reason = override_reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if override_reason.is_some() && !staff.role.can_override_refund_window() {
        return Err(super::respond_err(AppError::Forbidden));
    }
    let partial = match amount
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
    {
        Some(amount) => Some(PartialRefund {
            amount,
            period: PeriodPolicy::parse(period.as_deref().unwrap_or_default())
                .map_err(super::respond_err)?,
        }),
        None => None,
    };
    let request = serde_json::json!([
        payment_id,
        reason,
        override_reason,
        partial
            .as_ref()
            .map(|p| (p.amount.clone(), p.period.as_str()))
    ]);
    once(
        &state,
        &staff,
        "admin_refund_payment",
        &key,
        request,
        || {
            refunds::refund(
                &state,
                payment_id,
                Requester::Staff {
                    id: staff.id,
                    label: staff.email.clone(),
                    override_reason,
                    partial,
                },
                Some(reason),
            )
        },
    )
    .await
}

#[server(prefix = "/rpc", endpoint = "admin_customer")]
pub async fn admin_customer(id: Uuid) -> Result<WithFormKey<AdminCustomerDto>, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::services::support;

    let (state, _) = require_staff(StaffRole::can_support)
        .await
        .map_err(super::respond_err)?;
    let data = support::customer(&state, id)
        .await
        .map_err(super::respond_err)?;
    Ok(WithFormKey {
        data,
        form_key: form_key(),
    })
}

#[server(prefix = "/rpc", endpoint = "admin_adjust_ledger")]
pub async fn admin_adjust_ledger(
    customer_id: Uuid,
    amount: String,
    reason: String,
    key: String,
) -> Result<StatementLineDto, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::repo::audit::Actor;
    use crate::ssr::services::support;

    let (state, staff) = require_staff(StaffRole::can_support)
        .await
        .map_err(super::respond_err)?;
    let actor = Actor::staff(staff.id, &staff.email);
    let request = serde_json::json!([customer_id, amount, reason]);
    once(&state, &staff, "admin_adjust_ledger", &key, request, || {
        support::adjust(&state, &actor, customer_id, &amount, &reason)
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "admin_change_tariff")]
pub async fn admin_change_tariff(
    customer_id: Uuid,
    tariff_id: Uuid,
    key: String,
) -> Result<SubscriptionDto, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::repo::audit::Actor;
    use crate::ssr::services::support;

    let (state, staff) = require_staff(StaffRole::can_support)
        .await
        .map_err(super::respond_err)?;
    let actor = Actor::staff(staff.id, &staff.email);
    let request = serde_json::json!([customer_id, tariff_id]);
    once(&state, &staff, "admin_change_tariff", &key, request, || {
        support::change_tariff(&state, &actor, customer_id, tariff_id)
    })
    .await
}

/// A complimentary period for the customer, once per form key.
#[server(prefix = "/rpc", endpoint = "admin_grant")]
pub async fn admin_grant(
    customer_id: Uuid,
    tariff_id: Uuid,
    days: String,
    reason: String,
    key: String,
) -> Result<crate::dto::GrantResultDto, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::repo::audit::Actor;
    use crate::ssr::services::grants::{self, GrantInput};

    let (state, staff) = require_staff(StaffRole::can_support)
        .await
        .map_err(super::respond_err)?;
    let actor = Actor::staff(staff.id, &staff.email);
    let request = serde_json::json!([customer_id, tariff_id, days, reason]);
    let input = GrantInput {
        tariff_id,
        days,
        until: String::new(),
        reason,
    };
    once(&state, &staff, "admin_grant", &key, request, || {
        grants::grant(&state, &actor, customer_id, &input)
    })
    .await
}
