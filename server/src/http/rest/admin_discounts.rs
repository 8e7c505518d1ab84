use app::domain::StaffRole;
use app::dto::PersonalDiscountDto;
use app::ssr::AppState;
use app::ssr::repo::audit::Actor;
use app::ssr::services::discounts;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::json::text_or_number;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, StaffCaller};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetDiscount {
    #[serde(deserialize_with = "text_or_number")]
    #[schema(value_type = String, example = "15")]
    pub percent: String,
    /// RFC 3339 or `YYYY-MM-DD`; omit for no end.
    pub valid_until: Option<String>,
    pub reason: String,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Part of the customer's e-mail.
    pub q: Option<String>,
    pub page: Option<u32>,
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DiscountList {
    pub data: Vec<PersonalDiscountDto>,
    pub page: u32,
    pub limit: u32,
    pub total: u64,
}

/// Sets or replaces a customer's personal discount [marketing, admin].
#[utoipa::path(put, path = "/api/v1/admin/customers/{user_id}/discount", tag = "admin", params(("user_id" = Uuid, Path)), request_body = SetDiscount,
    security(("staff_token" = [])),
    responses((status = 200, body = PersonalDiscountDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set(
    State(state): State<AppState>,
    caller: StaffCaller,
    ApiPath(user_id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<SetDiscount>,
) -> Result<Json<PersonalDiscountDto>, ApiError> {
    let staff = caller.require(StaffRole::can_edit_catalog)?;
    let actor = Actor::staff(staff.id, &staff.email);
    let dto = discounts::set(
        &state.db,
        &state.clock,
        &actor,
        user_id,
        &body.percent,
        body.valid_until.as_deref().unwrap_or(""),
        &body.reason,
    )
    .await?;
    Ok(Json(dto))
}

/// Removes a customer's personal discount [marketing, admin].
#[utoipa::path(delete, path = "/api/v1/admin/customers/{user_id}/discount", tag = "admin", params(("user_id" = Uuid, Path)), security(("staff_token" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    caller: StaffCaller,
    ApiPath(user_id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let staff = caller.require(StaffRole::can_edit_catalog)?;
    discounts::remove(
        &state.db,
        &state.clock,
        &Actor::staff(staff.id, &staff.email),
        user_id,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Active personal discounts [any staff role].
#[utoipa::path(get, path = "/api/v1/admin/personal-discounts", tag = "admin", params(ListQuery), security(("staff_token" = [])),
    responses((status = 200, body = DiscountList)))]
pub async fn list(
    State(state): State<AppState>,
    caller: StaffCaller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<DiscountList>, ApiError> {
    caller.require(StaffRole::can_view_catalog)?;
    let page = discounts::list_active(
        &state.db,
        &state.clock,
        q.q.as_deref().unwrap_or(""),
        q.page.unwrap_or(1),
        q.limit.unwrap_or(50),
    )
    .await?;
    Ok(Json(DiscountList {
        data: page.items,
        page: page.page,
        limit: page.per_page,
        total: page.total,
    }))
}
