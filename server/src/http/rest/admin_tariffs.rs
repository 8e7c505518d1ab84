use app::domain::StaffRole;
use app::domain::catalog::TariffInput;
use app::dto::TariffDto;
use app::ssr::repo::audit::Actor;
use app::ssr::repo::catalog::TariffStatusFilter;
use app::ssr::{AppState, services};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, StaffCaller};

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Case-insensitive search on code and name.
    pub q: Option<String>,
    /// `all` (default), `active` or `archived`.
    pub status: Option<String>,
    /// 1-based page number.
    pub page: Option<u32>,
    /// Page size, 1–100 (default 50).
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminTariffList {
    pub data: Vec<TariffDto>,
    pub page: u32,
    pub limit: u32,
    pub total: u64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTariff {
    #[schema(example = "premium")]
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Role granted in the auth service.
    #[schema(example = "viewer-premium")]
    pub role: String,
    /// Monthly price as a decimal string or number.
    #[serde(deserialize_with = "super::json::text_or_number")]
    #[schema(value_type = String, example = "499.00")]
    pub monthly_price: String,
    #[serde(default)]
    pub currency: Option<String>,
    /// `false` creates the tariff archived (not on sale yet); default `true`.
    #[serde(default)]
    pub active: Option<bool>,
}

fn parse_status(s: Option<&str>) -> Result<TariffStatusFilter, ApiError> {
    match s.unwrap_or("all") {
        "all" => Ok(TariffStatusFilter::All),
        "active" => Ok(TariffStatusFilter::Active),
        "archived" => Ok(TariffStatusFilter::Archived),
        _ => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "status must be all, active or archived",
        )),
    }
}

/// All tariffs for staff (any role), with search, status filter and pages.
#[utoipa::path(get, path = "/api/v1/admin/tariffs", tag = "admin", params(ListQuery),
    security(("staff_token" = [])),
    responses(
        (status = 200, body = AdminTariffList),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: StaffCaller,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<AdminTariffList>, ApiError> {
    caller.require(StaffRole::can_view_catalog)?;
    let status = parse_status(query.status.as_deref())?;
    let page = services::catalog::search_tariffs(
        &state.db,
        query.q.as_deref().unwrap_or(""),
        status,
        query.page.unwrap_or(1),
        query.limit.unwrap_or(50),
    )
    .await?;
    Ok(Json(AdminTariffList {
        data: page.items,
        page: page.page,
        limit: page.per_page,
        total: page.total,
    }))
}

/// Creates a tariff [marketing, admin].
#[utoipa::path(post, path = "/api/v1/admin/tariffs", tag = "admin", request_body = CreateTariff,
    security(("staff_token" = [])),
    responses(
        (status = 201, body = TariffDto),
        (status = 400, body = ErrorBody, description = "Malformed JSON"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Code already used (`tariff_code_taken`)"),
        (status = 422, body = ErrorBody, description = "`validation_failed` with `fields`"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    caller: StaffCaller,
    ApiJson(body): ApiJson<CreateTariff>,
) -> Result<(StatusCode, Json<TariffDto>), ApiError> {
    let staff = caller.require(StaffRole::can_edit_catalog)?;
    let input = TariffInput {
        code: body.code,
        name: body.name,
        description: body.description,
        role: body.role,
        monthly_price: body.monthly_price,
        currency: body.currency,
    };
    let actor = Actor::staff(staff.id, &staff.email);
    let tariff = services::catalog::create_tariff(
        &state.db,
        &state.clock,
        state.roles.as_deref(),
        &actor,
        &input,
        body.active.unwrap_or(true),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(tariff)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchTariff {
    pub name: Option<String>,
    pub description: Option<String>,
    pub role: Option<String>,
    /// New monthly price (string or number); the change is kept in the price history.
    #[serde(default, deserialize_with = "opt_price")]
    #[schema(value_type = Option<String>, example = "549.00")]
    pub monthly_price: Option<String>,
    /// `false` archives (no longer on sale), `true` restores.
    pub active: Option<bool>,
    /// The films of the tariff, in display order (replaces the list).
    pub film_ids: Option<Vec<uuid::Uuid>>,
}

fn opt_price<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = super::json::opt_text_or_number(d)?;
    Ok(Some(text).filter(|t| !t.is_empty()))
}

/// Edits, reprices, archives or restores a tariff [marketing, admin].
#[utoipa::path(patch, path = "/api/v1/admin/tariffs/{id}", tag = "admin", params(("id" = uuid::Uuid, Path)), request_body = PatchTariff,
    security(("staff_token" = [])),
    responses(
        (status = 200, body = TariffDto),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn patch(
    State(state): State<AppState>,
    caller: StaffCaller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<PatchTariff>,
) -> Result<Json<TariffDto>, ApiError> {
    let staff = caller.require(StaffRole::can_edit_catalog)?;
    let patch = services::catalog::TariffPatch {
        name: body.name,
        description: body.description,
        role: body.role,
        monthly_price: body.monthly_price,
        active: body.active,
        film_ids: body.film_ids,
    };
    let actor = Actor::staff(staff.id, &staff.email);
    Ok(Json(
        services::catalog::update_tariff(
            &state.db,
            &state.clock,
            state.roles.as_deref(),
            &actor,
            id,
            &patch,
        )
        .await?,
    ))
}
