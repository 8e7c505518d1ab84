//! The console's lists over REST (API.md, wave 2): dashboard, customers, subscriptions,
//! invoices and the audit log. Every list pages by keyset and answers `Accept: text/csv`
//! with all the rows its filters match.

use app::domain::StaffRole;
use app::dto::{
    AdminInvoiceDto, AuditPageDto, CustomerPageDto, DashboardDto, InvoicePageDto,
    SubscriptionPageDto,
};
use app::ssr::AppState;
use app::ssr::services::audit_log::{self, AuditFilter};
use app::ssr::services::customer_search;
use app::ssr::services::dashboard::{self, Range};
use app::ssr::services::invoice_admin::{self, InvoiceFilter};
use app::ssr::services::subscription_list::{self, SubscriptionFilter};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::csv_export::{export, wants_csv};
use super::me::{limit, time_param};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiPath, ApiQuery, StaffCaller};

fn date_param(name: &str, v: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                format!("{name} must be a date such as 2026-11-01."),
            )
        })
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DashboardQuery {
    /// First day, `YYYY-MM-DD` (default: 29 days before `to`).
    pub from: Option<String>,
    /// Last day, included (default: today).
    pub to: Option<String>,
}

/// The business at a glance [any staff; money figures for support and admins only].
#[utoipa::path(get, path = "/api/v1/admin/dashboard", tag = "admin", params(DashboardQuery),
    security(("staff_token" = [])),
    responses((status = 200, body = DashboardDto), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn dashboard(
    State(state): State<AppState>,
    staff: StaffCaller,
    ApiQuery(q): ApiQuery<DashboardQuery>,
) -> Result<Json<DashboardDto>, ApiError> {
    let me = staff.require(StaffRole::can_view_catalog)?;
    let range = Range::parse(
        date_param("from", q.from.as_deref())?,
        date_param("to", q.to.as_deref())?,
        state.clock.now().date_naive(),
    )?;
    Ok(Json(
        dashboard::dashboard(&state.db, range, me.role.can_see_money()).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CustomersQuery {
    /// Part of an e-mail or name, or a whole customer id.
    pub q: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Customer search, newest first [support].
#[utoipa::path(get, path = "/api/v1/admin/customers", tag = "admin", params(CustomersQuery),
    security(("staff_token" = [])),
    responses((status = 200, body = CustomerPageDto, content_type = "application/json"),
        (status = 200, content_type = "text/csv", description = "every matching row"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn customers(
    State(state): State<AppState>,
    staff: StaffCaller,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<CustomersQuery>,
) -> Result<Response, ApiError> {
    staff.require(StaffRole::can_support)?;
    customers_list(&state, wants_csv(&headers), q).await
}

/// The list of [`customers`] as JSON or (`csv`) every matching row; the caller checked the role.
pub async fn customers_list(
    state: &AppState,
    csv: bool,
    q: CustomersQuery,
) -> Result<Response, ApiError> {
    let text = q.q.as_deref();
    if csv {
        let db = &state.db;
        return export("customers", |n, c| async move {
            let p = customer_search::search(db, text, n, c.as_deref()).await?;
            Ok((p.data, p.next_cursor))
        })
        .await;
    }
    let page =
        customer_search::search(&state.db, text, limit(q.limit)?, q.cursor.as_deref()).await?;
    Ok(Json(page).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SubscriptionsQuery {
    /// `active`, `grace`, `expired` or `canceled`.
    pub status: Option<String>,
    pub tariff_id: Option<Uuid>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Subscriptions by status and tariff, newest first [support].
#[utoipa::path(get, path = "/api/v1/admin/subscriptions", tag = "admin", params(SubscriptionsQuery),
    security(("staff_token" = [])),
    responses((status = 200, body = SubscriptionPageDto, content_type = "application/json"),
        (status = 200, content_type = "text/csv", description = "every matching row"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn subscriptions(
    State(state): State<AppState>,
    staff: StaffCaller,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<SubscriptionsQuery>,
) -> Result<Response, ApiError> {
    staff.require(StaffRole::can_support)?;
    subscriptions_list(&state, wants_csv(&headers), q).await
}

/// The list of [`subscriptions`] as JSON or (`csv`) every matching row; the caller checked the role.
pub async fn subscriptions_list(
    state: &AppState,
    csv: bool,
    q: SubscriptionsQuery,
) -> Result<Response, ApiError> {
    let filter = SubscriptionFilter {
        status: q.status,
        tariff_id: q.tariff_id,
    };
    if csv {
        let filter = &filter;
        let db = &state.db;
        return export("subscriptions", |n, c| async move {
            let p = subscription_list::list(db, filter, n, c.as_deref()).await?;
            Ok((p.data, p.next_cursor))
        })
        .await;
    }
    let page =
        subscription_list::list(&state.db, &filter, limit(q.limit)?, q.cursor.as_deref()).await?;
    Ok(Json(page).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct InvoicesQuery {
    /// `open`, `paid` or `void`.
    pub status: Option<String>,
    pub user_id: Option<Uuid>,
    /// Created at or after (date or RFC 3339).
    pub from: Option<String>,
    /// Created before (date or RFC 3339).
    pub to: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Invoices, newest first [support].
#[utoipa::path(get, path = "/api/v1/admin/invoices", tag = "admin", params(InvoicesQuery),
    security(("staff_token" = [])),
    responses((status = 200, body = InvoicePageDto, content_type = "application/json"),
        (status = 200, content_type = "text/csv", description = "every matching row"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn invoices(
    State(state): State<AppState>,
    staff: StaffCaller,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<InvoicesQuery>,
) -> Result<Response, ApiError> {
    staff.require(StaffRole::can_support)?;
    invoices_list(&state, wants_csv(&headers), q).await
}

/// The list of [`invoices`] as JSON or (`csv`) every matching row; the caller checked the role.
pub async fn invoices_list(
    state: &AppState,
    csv: bool,
    q: InvoicesQuery,
) -> Result<Response, ApiError> {
    let filter = InvoiceFilter {
        status: q.status,
        customer_id: q.user_id,
        from: time_param("from", q.from.as_deref())?,
        to: time_param("to", q.to.as_deref())?,
    };
    if csv {
        let filter = &filter;
        let db = &state.db;
        return export("invoices", |n, c| async move {
            let p = invoice_admin::list(db, filter, n, c.as_deref()).await?;
            Ok((p.data, p.next_cursor))
        })
        .await;
    }
    let page =
        invoice_admin::list(&state.db, &filter, limit(q.limit)?, q.cursor.as_deref()).await?;
    Ok(Json(page).into_response())
}

/// One invoice: the quote frozen at checkout (applied and losing discounts), its
/// payments and refunds [support].
#[utoipa::path(get, path = "/api/v1/admin/invoices/{id}", tag = "admin", params(("id" = Uuid, Path)),
    security(("staff_token" = [])),
    responses((status = 200, body = AdminInvoiceDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn invoice(
    State(state): State<AppState>,
    staff: StaffCaller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<AdminInvoiceDto>, ApiError> {
    staff.require(StaffRole::can_support)?;
    let id = Uuid::parse_str(&id).map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "The invoice was not found.",
        )
    })?;
    Ok(Json(invoice_admin::get(&state.db, id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// Part of the actor's e-mail (or `cli`, `seed`).
    pub actor: Option<String>,
    /// An action (`tariff.updated`) or a family (`tariff`).
    pub action: Option<String>,
    /// `tariff`, `promo_code`, `film`, `staff_user`, `customer`, `payment`, …
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    /// At or after (date or RFC 3339).
    pub from: Option<String>,
    /// Before (date or RFC 3339).
    pub to: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Who did what and when, with before/after and the difference [admin].
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "admin", params(AuditQuery),
    security(("staff_token" = [])),
    responses((status = 200, body = AuditPageDto, content_type = "application/json"),
        (status = 200, content_type = "text/csv", description = "every matching row"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn audit(
    State(state): State<AppState>,
    staff: StaffCaller,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Response, ApiError> {
    staff.require(StaffRole::can_read_audit)?;
    audit_list(&state, wants_csv(&headers), q).await
}

/// The list of [`audit`] as JSON or (`csv`) every matching row; the caller checked the role.
pub async fn audit_list(state: &AppState, csv: bool, q: AuditQuery) -> Result<Response, ApiError> {
    let filter = AuditFilter {
        actor: q.actor,
        action: q.action,
        entity_type: q.entity_type,
        entity_id: q.entity_id,
        from: time_param("from", q.from.as_deref())?,
        to: time_param("to", q.to.as_deref())?,
    };
    if csv {
        let filter = &filter;
        let db = &state.db;
        return export("audit", |n, c| async move {
            let p = audit_log::list(db, filter, n, c.as_deref()).await?;
            Ok((p.data, p.next_cursor))
        })
        .await;
    }
    let page = audit_log::list(&state.db, &filter, limit(q.limit)?, q.cursor.as_deref()).await?;
    Ok(Json(page).into_response())
}
