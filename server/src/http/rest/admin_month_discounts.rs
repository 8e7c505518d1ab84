use app::domain::StaffRole;
use app::dto::MonthDiscountDto;
use app::ssr::AppState;
use app::ssr::repo::audit::Actor;
use app::ssr::services::pricing::{self, MonthDiscountInput};
use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use super::json::text_or_number;
use utoipa::ToSchema;

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, StaffCaller};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MonthDiscountRow {
    #[serde(deserialize_with = "text_or_number")]
    #[schema(value_type = u32, example = 3)]
    pub months: String,
    #[serde(deserialize_with = "text_or_number")]
    #[schema(value_type = String, example = "5")]
    pub percent: String,
}

/// The whole month-discount table [any staff role].
#[utoipa::path(get, path = "/api/v1/admin/month-discounts", tag = "admin", security(("staff_token" = [])),
    responses((status = 200, body = Vec<MonthDiscountDto>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: StaffCaller,
) -> Result<Json<Vec<MonthDiscountDto>>, ApiError> {
    caller.require(StaffRole::can_view_catalog)?;
    let table = pricing::month_table(&state.db).await?;
    Ok(Json(pricing::month_table_dto(&table)))
}

/// Replaces the whole table [marketing, admin]. Thresholds must be unique.
#[utoipa::path(put, path = "/api/v1/admin/month-discounts", tag = "admin", request_body = Vec<MonthDiscountRow>,
    security(("staff_token" = [])),
    responses(
        (status = 200, body = Vec<MonthDiscountDto>),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "`fields` name the row: `rows[1].percent`"),
    ))]
pub async fn replace(
    State(state): State<AppState>,
    caller: StaffCaller,
    ApiJson(rows): ApiJson<Vec<MonthDiscountRow>>,
) -> Result<Json<Vec<MonthDiscountDto>>, ApiError> {
    let staff = caller.require(StaffRole::can_edit_catalog)?;
    let input: Vec<MonthDiscountInput> = rows
        .into_iter()
        .map(|r| MonthDiscountInput {
            months: r.months,
            percent: r.percent,
        })
        .collect();
    let actor = Actor::staff(staff.id, &staff.email);
    Ok(Json(
        pricing::replace_month_table(&state.db, &state.clock, &actor, &input).await?,
    ))
}
