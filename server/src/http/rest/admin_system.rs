//! The admin's machinery: the outbox (pending / dead messages, retry now) and the test
//! clock. Admin role only.

use app::domain::StaffRole;
use app::domain::duration::parse_iso8601_duration;
use app::dto::IntegrityReportDto;
use app::dto::{OutboxMessageDto, OutboxPageDto, TestClockDto};
use app::ssr::AppState;
use app::ssr::services::integrity;
use app::ssr::services::outbox_admin::{self, OutboxQuery, OutboxStatus};
use app::ssr::services::test_clock;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::me::limit;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, StaffCaller};

#[derive(Debug, Deserialize, IntoParams)]
pub struct OutboxParams {
    /// `pending` (default), `dead` or `delivered`.
    pub status: Option<String>,
    /// `events`, `notify` or `auth`.
    pub destination: Option<String>,
    /// A kind such as `payment.succeeded`, or a message id.
    pub q: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Outbox messages, newest first, with counts per status.
#[utoipa::path(get, path = "/api/v1/admin/outbox", tag = "admin", params(OutboxParams),
    security(("staff_token" = [])),
    responses((status = 200, body = OutboxPageDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn outbox(
    State(state): State<AppState>,
    staff: StaffCaller,
    ApiQuery(p): ApiQuery<OutboxParams>,
) -> Result<Json<OutboxPageDto>, ApiError> {
    staff.require(StaffRole::can_operate)?;
    let status = OutboxStatus::parse(p.status.as_deref().unwrap_or("pending"))?;
    let destination = p
        .destination
        .as_deref()
        .filter(|d| !d.is_empty())
        .map(outbox_admin::parse_destination)
        .transpose()?;
    let query = OutboxQuery {
        status,
        destination,
        search: p.q.as_deref(),
        limit: limit(p.limit)?,
        cursor: p.cursor.as_deref(),
    };
    Ok(Json(outbox_admin::list(&state, &query).await?))
}

/// Makes a pending message due now, or revives a dead one with fresh attempts.
#[utoipa::path(post, path = "/api/v1/admin/outbox/{id}/retry", tag = "admin", params(("id" = Uuid, Path)),
    security(("staff_token" = [])),
    responses((status = 200, body = OutboxMessageDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn retry(
    State(state): State<AppState>,
    staff: StaffCaller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<OutboxMessageDto>, ApiError> {
    staff.require(StaffRole::can_operate)?;
    let id = Uuid::parse_str(&id).map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "The message was not found.",
        )
    })?;
    Ok(Json(outbox_admin::retry(&state, id).await?))
}

/// The server's time and whether the test clock is on.
#[utoipa::path(get, path = "/api/v1/admin/clock", tag = "admin",
    security(("staff_token" = [])),
    responses((status = 200, body = TestClockDto), (status = 403, body = ErrorBody)))]
pub async fn clock(
    State(state): State<AppState>,
    staff: StaffCaller,
) -> Result<Json<TestClockDto>, ApiError> {
    staff.require(StaffRole::can_operate)?;
    Ok(Json(test_clock::status(&state)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvanceClock {
    /// ISO 8601 duration, e.g. `P3D` or `PT12H`.
    pub advance: String,
}

/// Moves the test clock forward (only when it is enabled); the worker reacts at once.
#[utoipa::path(post, path = "/api/v1/admin/clock", tag = "admin", request_body = AdvanceClock,
    security(("staff_token" = [])),
    responses((status = 200, body = TestClockDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn advance_clock(
    State(state): State<AppState>,
    staff: StaffCaller,
    ApiJson(body): ApiJson<AdvanceClock>,
) -> Result<Json<TestClockDto>, ApiError> {
    staff.require(StaffRole::can_operate)?;
    let by = parse_iso8601_duration(body.advance.trim(), "advance")
        .map_err(app::ssr::ServiceError::from)?;
    Ok(Json(test_clock::advance(&state, by).await?))
}

/// The money invariants checked on the live database (what `server audit` prints) [admin].
#[utoipa::path(get, path = "/api/v1/admin/integrity", tag = "admin",
    security(("staff_token" = [])),
    responses((status = 200, body = IntegrityReportDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn integrity(
    State(state): State<AppState>,
    staff: StaffCaller,
) -> Result<Json<IntegrityReportDto>, ApiError> {
    staff.require(StaffRole::can_operate)?;
    Ok(Json(integrity::audit(&state.db, chrono::Utc::now()).await?))
}
