use app::dto::{PaymentDto, StatementLineDto, SubscriptionDto};
use app::ssr::services::{account, payments};
use app::ssr::{AppState, ServiceError};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery, CustomerCaller};

#[utoipa::path(get, path = "/api/v1/me/subscription", tag = "customer",
    responses((status = 200, body = SubscriptionDto), (status = 401, body = ErrorBody)))]
pub async fn subscription(
    State(state): State<AppState>,
    CustomerCaller(customer): CustomerCaller,
) -> Result<Json<SubscriptionDto>, ApiError> {
    Ok(Json(account::subscription(&state.db, customer.id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionPatch {
    /// Renew automatically with the saved card.
    pub auto_renew: Option<bool>,
    /// Switch to this tariff from the next period; `null` cancels a scheduled switch;
    /// absent leaves it as it is.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub next_tariff_id: Option<Option<Uuid>>,
}

/// A field that was sent (`Some`, possibly `null`) versus one left out (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<Uuid>>, D::Error> {
    Option::<Uuid>::deserialize(d).map(Some)
}

/// Turns auto-renewal on or off, and schedules (or cancels) a tariff switch from the next
/// period; both in one transaction.
#[utoipa::path(patch, path = "/api/v1/me/subscription", tag = "customer", request_body = SubscriptionPatch,
    responses((status = 200, body = SubscriptionDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn patch_subscription(
    State(state): State<AppState>,
    CustomerCaller(customer): CustomerCaller,
    ApiJson(body): ApiJson<SubscriptionPatch>,
) -> Result<Json<SubscriptionDto>, ApiError> {
    let now = state.clock.now();
    let txn = app::ssr::repo::begin_write(&state.db)
        .await
        .map_err(ServiceError::Db)?;
    if let Some(on) = body.auto_renew {
        account::set_auto_renew(&txn, customer.id, on, now).await?;
    }
    if let Some(next) = body.next_tariff_id {
        account::set_next_tariff(&txn, customer.id, next, now).await?;
    }
    let sub = account::subscription(&txn, customer.id).await?;
    txn.commit().await.map_err(ServiceError::Db)?;
    Ok(Json(sub))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PageQuery {
    /// 1–200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentPage {
    pub data: Vec<PaymentDto>,
    pub next_cursor: Option<String>,
}

pub fn limit(l: Option<u32>) -> Result<u64, ApiError> {
    match l.unwrap_or(50) {
        n @ 1..=200 => Ok(u64::from(n)),
        _ => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "limit must be from 1 to 200.",
        )),
    }
}

fn cursor(c: Option<&str>) -> Result<Option<Uuid>, ApiError> {
    c.map(|c| {
        Uuid::parse_str(c).map_err(|_| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_cursor",
                "The cursor is not valid.",
            )
        })
    })
    .transpose()
}

/// The customer's payments, newest first.
#[utoipa::path(get, path = "/api/v1/me/payments", tag = "customer", params(PageQuery),
    responses((status = 200, body = PaymentPage), (status = 401, body = ErrorBody)))]
pub async fn payments(
    State(state): State<AppState>,
    CustomerCaller(customer): CustomerCaller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<PaymentPage>, ApiError> {
    let (data, next) = payments::customer_payments(
        &state,
        customer.id,
        limit(q.limit)?,
        cursor(q.cursor.as_deref())?,
    )
    .await?;
    Ok(Json(PaymentPage {
        data,
        next_cursor: next.map(|c| c.to_string()),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct StatementQuery {
    /// RFC 3339 time or a date (`2026-11-01`), inclusive.
    pub from: Option<String>,
    /// RFC 3339 time or a date, exclusive.
    pub to: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Statement {
    pub data: Vec<StatementLineDto>,
}

pub fn time_param(name: &str, v: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Some(t.and_utc()))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                format!("{name} must be a date (2026-11-01) or an RFC 3339 time."),
            )
        })
}

/// Ledger lines with the running balance, as JSON or CSV.
#[utoipa::path(get, path = "/api/v1/me/statement", tag = "customer", params(StatementQuery),
    responses((status = 200, body = Statement), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn statement(
    State(state): State<AppState>,
    CustomerCaller(customer): CustomerCaller,
    ApiQuery(q): ApiQuery<StatementQuery>,
) -> Result<Response, ApiError> {
    let from = time_param("from", q.from.as_deref())?;
    let to = time_param("to", q.to.as_deref())?;
    let lines = account::statement(&state.db, customer.id, from, to).await?;
    match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(Statement { data: lines }).into_response()),
        "csv" => Ok(crate::http::account_export::statement_csv_response(&lines)),
        _ => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "format must be json or csv.",
        )),
    }
}

/// The customer's notifications, newest first.
#[utoipa::path(get, path = "/api/v1/me/notifications", tag = "customer", params(PageQuery),
    responses((status = 200, body = app::dto::NotificationPageDto), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn notifications(
    State(state): State<AppState>,
    CustomerCaller(customer): CustomerCaller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<app::dto::NotificationPageDto>, ApiError> {
    Ok(Json(
        app::ssr::services::notifications::list(
            &state.db,
            customer.id,
            limit(q.limit)?,
            q.cursor.as_deref(),
        )
        .await?,
    ))
}
