//! Support's side of the API: payments, refunds, customers, ledger corrections and
//! tariff changes. Roles: support and admin; the refund-window override is admin only.

use app::domain::StaffRole;
use app::dto::{
    AdminCustomerDto, AdminPaymentDto, AdminPaymentPageDto, RefundResultDto, StatementLineDto,
    SubscriptionDto,
};
use app::ssr::AppState;
use app::ssr::repo::audit::Actor;
use app::ssr::services::refunds::{self, Requester};
use app::ssr::services::support::{self, PaymentFilter};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::json::text_or_number;
use super::me::{limit, time_param};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiPath, ApiQuery, StaffCaller, parse_json};
use crate::http::idempotent;

fn uuid(raw: &str, what: &'static str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("The {what} was not found."),
        )
    })
}

/// A state-changing support call: the role check, then `f` at most once per
/// `Idempotency-Key` of this staff member (a retry gets the first answer), answered with
/// `status` and `f`'s JSON, or its error.
#[allow(clippy::too_many_arguments)]
async fn once_as_staff<T, F, Fut>(
    state: &AppState,
    staff: &StaffCaller,
    role: fn(StaffRole) -> bool,
    (method, path): (&str, &str),
    headers: &HeaderMap,
    body: &Bytes,
    status: StatusCode,
    f: F,
) -> Response
where
    T: serde::Serialize,
    F: FnOnce(app::dto::StaffDto) -> Fut,
    Fut: std::future::Future<Output = Result<T, ApiError>>,
{
    let me = match staff.require(role) {
        Ok(s) => s.clone(),
        Err(e) => return e.into_response(),
    };
    let scope = format!("staff:{}", me.id);
    idempotent::run(state, &scope, headers, method, path, body, || async {
        match f(me).await {
            Ok(value) => (status, Json(value)).into_response(),
            Err(e) => e.into_response(),
        }
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PaymentsQuery {
    /// `pending`, `succeeded`, `failed`, `canceled` or `refunded`.
    pub status: Option<String>,
    pub user_id: Option<Uuid>,
    /// Created at or after (date or RFC 3339).
    pub from: Option<String>,
    /// Created before (date or RFC 3339).
    pub to: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Payments, newest first, keyset-paginated.
#[utoipa::path(get, path = "/api/v1/admin/payments", tag = "admin", params(PaymentsQuery),
    security(("staff_token" = [])),
    responses((status = 200, body = AdminPaymentPageDto, content_type = "application/json"),
        (status = 200, content_type = "text/csv", description = "every matching row"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    staff: StaffCaller,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<PaymentsQuery>,
) -> Result<Response, ApiError> {
    staff.require(StaffRole::can_support)?;
    payments_list(&state, super::csv_export::wants_csv(&headers), q).await
}

/// Payments as JSON or (`csv`) every matching row; the caller checked the role.
pub async fn payments_list(
    state: &AppState,
    csv: bool,
    q: PaymentsQuery,
) -> Result<Response, ApiError> {
    let filter = PaymentFilter {
        status: q.status,
        customer_id: q.user_id,
        from: time_param("from", q.from.as_deref())?,
        to: time_param("to", q.to.as_deref())?,
    };
    if csv {
        let (db, filter) = (&state.db, &filter);
        return super::csv_export::export("payments", |n, c| async move {
            let p = support::list_payments(db, filter, n, c.as_deref()).await?;
            Ok((p.data, p.next_cursor))
        })
        .await;
    }
    let page =
        support::list_payments(&state.db, &filter, limit(q.limit)?, q.cursor.as_deref()).await?;
    Ok(Json(page).into_response())
}

/// One payment with its timeline (every webhook with its raw body).
#[utoipa::path(get, path = "/api/v1/admin/payments/{id}", tag = "admin", params(("id" = Uuid, Path)),
    security(("staff_token" = [])),
    responses((status = 200, body = AdminPaymentDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    staff: StaffCaller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<AdminPaymentDto>, ApiError> {
    staff.require(StaffRole::can_support)?;
    Ok(Json(support::payment(&state, uuid(&id, "payment")?).await?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffRefundBody {
    pub reason: Option<String>,
    /// Admin only: refund outside the window, saying why.
    pub override_reason: Option<String>,
    /// Admin only, with `override_reason`: refund this much of the payment (default all).
    #[serde(default, deserialize_with = "super::json::opt_text_or_number")]
    #[schema(value_type = Option<String>, example = "150.00")]
    pub amount: String,
    /// With `amount`: `shorten` (the period ends earlier in proportion) or `keep`.
    pub period: Option<String>,
}

/// Refunds a payment for a customer: same window and once-only rules, unless an admin
/// gives `override_reason`.
#[utoipa::path(post, path = "/api/v1/admin/payments/{id}/refund", tag = "admin",
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header)), request_body = StaffRefundBody,
    security(("staff_token" = [])),
    responses((status = 201, body = RefundResultDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn refund(
    State(state): State<AppState>,
    staff: StaffCaller,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/api/v1/admin/payments/{id}/refund");
    let (state, headers, body) = (&state, &headers, &body);
    once_as_staff(
        state,
        &staff,
        StaffRole::can_support,
        ("POST", &path),
        headers,
        body,
        StatusCode::CREATED,
        |me| async move {
            let id = uuid(&id, "payment")?;
            let input: StaffRefundBody = if body.is_empty() {
                StaffRefundBody::default()
            } else {
                parse_json(headers, body)?
            };
            let override_reason = input
                .override_reason
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty());
            if override_reason.is_some() && !me.role.can_override_refund_window() {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "Only an administrator may refund outside the window.",
                ));
            }
            let partial = match input.amount.trim() {
                "" => None,
                amount => Some(refunds::PartialRefund {
                    amount: amount.to_string(),
                    period: refunds::PeriodPolicy::parse(
                        input.period.as_deref().unwrap_or_default(),
                    )?,
                }),
            };
            let requester = Requester::Staff {
                id: me.id,
                label: me.email.clone(),
                override_reason,
                partial,
            };
            let refund = refunds::refund(state, id, requester, input.reason).await?;
            Ok(RefundResultDto { refund })
        },
    )
    .await
}

/// Profile, subscription, entitlement, invoices, payments and ledger of one customer.
#[utoipa::path(get, path = "/api/v1/admin/customers/{user_id}", tag = "admin", params(("user_id" = Uuid, Path)),
    security(("staff_token" = [])),
    responses((status = 200, body = AdminCustomerDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn customer(
    State(state): State<AppState>,
    staff: StaffCaller,
    ApiPath(user_id): ApiPath<String>,
) -> Result<Json<AdminCustomerDto>, ApiError> {
    staff.require(StaffRole::can_support)?;
    Ok(Json(
        support::customer(&state, uuid(&user_id, "customer")?).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeTariff {
    pub tariff_id: Uuid,
}

/// Moves the current period to another tariff.
#[utoipa::path(put, path = "/api/v1/admin/customers/{user_id}/subscription", tag = "admin",
    params(("user_id" = Uuid, Path), ("Idempotency-Key" = String, Header)), request_body = ChangeTariff,
    security(("staff_token" = [])),
    responses((status = 200, body = SubscriptionDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_tariff(
    State(state): State<AppState>,
    staff: StaffCaller,
    ApiPath(user_id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/api/v1/admin/customers/{user_id}/subscription");
    let (state, headers, body) = (&state, &headers, &body);
    once_as_staff(
        state,
        &staff,
        StaffRole::can_support,
        ("PUT", &path),
        headers,
        body,
        StatusCode::OK,
        |me| async move {
            let customer = uuid(&user_id, "customer")?;
            let input: ChangeTariff = parse_json(headers, body)?;
            let actor = Actor::staff(me.id, &me.email);
            Ok::<_, ApiError>(
                support::change_tariff(state, &actor, customer, input.tariff_id).await?,
            )
        },
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Adjustment {
    /// Positive: the customer owes more; negative: in their favour.
    #[serde(deserialize_with = "text_or_number")]
    #[schema(value_type = String, example = "-150.00")]
    pub amount: String,
    pub reason: String,
}

/// A ledger correction with a reason.
#[utoipa::path(post, path = "/api/v1/admin/customers/{user_id}/adjustments", tag = "admin",
    params(("user_id" = Uuid, Path), ("Idempotency-Key" = String, Header)), request_body = Adjustment,
    security(("staff_token" = [])),
    responses((status = 201, body = StatementLineDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn adjust(
    State(state): State<AppState>,
    staff: StaffCaller,
    ApiPath(user_id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/api/v1/admin/customers/{user_id}/adjustments");
    let (state, headers, body) = (&state, &headers, &body);
    once_as_staff(
        state,
        &staff,
        StaffRole::can_support,
        ("POST", &path),
        headers,
        body,
        StatusCode::CREATED,
        |me| async move {
            let customer = uuid(&user_id, "customer")?;
            let input: Adjustment = parse_json(headers, body)?;
            let actor = Actor::staff(me.id, &me.email);
            Ok::<_, ApiError>(
                support::adjust(state, &actor, customer, &input.amount, &input.reason).await?,
            )
        },
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoidInvoice {
    pub reason: String,
}

/// Voids an open invoice; its pending payment is canceled at the provider [support].
#[utoipa::path(post, path = "/api/v1/admin/invoices/{id}/void", tag = "admin",
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header)), request_body = VoidInvoice,
    security(("staff_token" = [])),
    responses((status = 200, body = app::dto::AdminInvoiceDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`invoice_not_open`"), (status = 422, body = ErrorBody)))]
pub async fn void_invoice(
    State(state): State<AppState>,
    staff: StaffCaller,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/api/v1/admin/invoices/{id}/void");
    let (state, headers, body) = (&state, &headers, &body);
    once_as_staff(
        state,
        &staff,
        StaffRole::can_support,
        ("POST", &path),
        headers,
        body,
        StatusCode::OK,
        |me| async move {
            let id = uuid(&id, "invoice")?;
            let input: VoidInvoice = parse_json(headers, body)?;
            let actor = Actor::staff(me.id, &me.email);
            Ok::<_, ApiError>(
                app::ssr::services::invoice_void::void(state, &actor, id, &input.reason).await?,
            )
        },
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantBody {
    pub tariff_id: Uuid,
    /// The date (or RFC 3339 time) access runs to; or give `days`.
    pub until: Option<String>,
    /// How many days to add after the access the customer has; or give `until`.
    #[serde(default, deserialize_with = "super::json::opt_text_or_number")]
    #[schema(value_type = Option<i64>)]
    pub days: String,
    pub reason: String,
}

/// A complimentary period, no payment: opens a subscription or runs the current one
/// longer; entitlement, role and the customer's notice follow [support].
#[utoipa::path(post, path = "/api/v1/admin/customers/{user_id}/grants", tag = "admin",
    params(("user_id" = Uuid, Path), ("Idempotency-Key" = String, Header)), request_body = GrantBody,
    security(("staff_token" = [])),
    responses((status = 201, body = app::dto::GrantResultDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn grant(
    State(state): State<AppState>,
    staff: StaffCaller,
    ApiPath(user_id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/api/v1/admin/customers/{user_id}/grants");
    let (state, headers, body) = (&state, &headers, &body);
    once_as_staff(
        state,
        &staff,
        StaffRole::can_support,
        ("POST", &path),
        headers,
        body,
        StatusCode::CREATED,
        |me| async move {
            let customer = uuid(&user_id, "customer")?;
            let input: GrantBody = parse_json(headers, body)?;
            let actor = Actor::staff(me.id, &me.email);
            let input = app::ssr::services::grants::GrantInput {
                tariff_id: input.tariff_id,
                days: input.days,
                until: input.until.unwrap_or_default(),
                reason: input.reason,
            };
            Ok::<_, ApiError>(
                app::ssr::services::grants::grant(state, &actor, customer, &input).await?,
            )
        },
    )
    .await
}
