use app::domain::StaffRole;
use app::domain::promo::PromoTermsInput;
use app::dto::{PromoBatchDto, PromoDto};
use app::ssr::AppState;
use app::ssr::repo::audit::Actor;
use app::ssr::services::promos::{self, PromoStatusFilter};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::json::opt_text_or_number;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, StaffCaller};

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Search in the code.
    pub q: Option<String>,
    /// `all`, `active`, `inactive`, `expired`, `exhausted`.
    pub status: Option<String>,
    pub page: Option<u32>,
    /// 1–200, default 50.
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PromoList {
    pub data: Vec<PromoDto>,
    pub page: u32,
    pub limit: u32,
    pub total: u64,
}

/// Terms shared by a single code and a batch. Exactly one of `percent` / `amount`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Terms {
    #[serde(default, deserialize_with = "opt_text_or_number")]
    #[schema(value_type = Option<String>, example = "10")]
    pub percent: String,
    #[serde(default, deserialize_with = "opt_text_or_number")]
    #[schema(value_type = Option<String>, example = "150.00")]
    pub amount: String,
    /// RFC 3339 or `YYYY-MM-DD`.
    #[serde(default)]
    pub valid_from: Option<String>,
    #[serde(default)]
    pub valid_until: Option<String>,
    #[serde(default, deserialize_with = "opt_text_or_number")]
    #[schema(value_type = Option<u32>)]
    pub max_redemptions: String,
    /// Limit the code to these tariffs; empty or missing means every tariff.
    #[serde(default)]
    pub tariff_ids: Vec<Uuid>,
}

impl Terms {
    fn input(&self) -> PromoTermsInput {
        PromoTermsInput {
            percent: self.percent.clone(),
            amount: self.amount.clone(),
            valid_from: self.valid_from.clone().unwrap_or_default(),
            valid_until: self.valid_until.clone().unwrap_or_default(),
            max_redemptions: self.max_redemptions.clone(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreatePromo {
    #[schema(example = "SPRING-25")]
    pub code: String,
    #[serde(flatten)]
    pub terms: Terms,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateBatch {
    #[schema(example = "XMAS-")]
    pub prefix: String,
    #[serde(deserialize_with = "super::json::text_or_number")]
    #[schema(value_type = u32, example = 100)]
    pub count: String,
    #[serde(flatten)]
    pub terms: Terms,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchPromo {
    pub active: bool,
}

fn actor(caller: &StaffCaller) -> Result<Actor, ApiError> {
    let staff = caller.require(StaffRole::can_edit_catalog)?;
    Ok(Actor::staff(staff.id, &staff.email))
}

/// Promo codes with status and usage [any staff role].
#[utoipa::path(get, path = "/api/v1/admin/promo-codes", tag = "admin", params(ListQuery), security(("staff_token" = [])),
    responses((status = 200, body = PromoList), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: StaffCaller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<PromoList>, ApiError> {
    caller.require(StaffRole::can_view_catalog)?;
    let status =
        PromoStatusFilter::parse(q.status.as_deref().unwrap_or("all")).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "status must be all, active, inactive, expired or exhausted",
            )
        })?;
    let page = promos::list(
        &state.db,
        &state.clock,
        q.q.as_deref().unwrap_or(""),
        status,
        q.page.unwrap_or(1),
        q.limit.unwrap_or(50),
    )
    .await?;
    Ok(Json(PromoList {
        data: page.items,
        page: page.page,
        limit: page.per_page,
        total: page.total,
    }))
}

/// Creates one promo code [marketing, admin].
#[utoipa::path(post, path = "/api/v1/admin/promo-codes", tag = "admin", request_body = CreatePromo, security(("staff_token" = [])),
    responses((status = 201, body = PromoDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: StaffCaller,
    ApiJson(body): ApiJson<CreatePromo>,
) -> Result<(StatusCode, Json<PromoDto>), ApiError> {
    let actor = actor(&caller)?;
    let dto = promos::create(
        &state.db,
        &state.clock,
        &actor,
        &body.code,
        &body.terms.input(),
        &body.terms.tariff_ids,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(dto)))
}

/// Generates up to 10,000 codes `PREFIX` + 8 random characters [marketing, admin].
/// Answers JSON, or CSV (`code` column) with `Accept: text/csv`.
#[utoipa::path(post, path = "/api/v1/admin/promo-codes/batch", tag = "admin", request_body = CreateBatch, security(("staff_token" = [])),
    responses((status = 201, body = PromoBatchDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn batch(
    State(state): State<AppState>,
    caller: StaffCaller,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CreateBatch>,
) -> Result<Response, ApiError> {
    let actor = actor(&caller)?;
    let dto = promos::generate_batch(
        &state.db,
        &state.clock,
        &actor,
        &body.prefix,
        &body.count,
        &body.terms.input(),
        &body.terms.tariff_ids,
    )
    .await?;
    let wants_csv = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/csv"));
    if wants_csv {
        let disposition = format!(
            "attachment; filename=\"promo-codes-{}.csv\"",
            dto.prefix.trim_end_matches('-')
        );
        Ok((
            StatusCode::CREATED,
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            dto.to_csv(),
        )
            .into_response())
    } else {
        Ok((StatusCode::CREATED, Json(dto)).into_response())
    }
}

/// Switches a code on or off [marketing, admin].
#[utoipa::path(patch, path = "/api/v1/admin/promo-codes/{id}", tag = "admin", params(("id" = Uuid, Path)), request_body = PatchPromo, security(("staff_token" = [])),
    responses((status = 200, body = PromoDto), (status = 404, body = ErrorBody)))]
pub async fn patch(
    State(state): State<AppState>,
    caller: StaffCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<PatchPromo>,
) -> Result<Json<PromoDto>, ApiError> {
    let actor = actor(&caller)?;
    Ok(Json(
        promos::set_active(&state.db, &state.clock, &actor, id, body.active).await?,
    ))
}

/// Deletes a code that was never used; a used one answers 409 `promo_in_use` [marketing, admin].
#[utoipa::path(delete, path = "/api/v1/admin/promo-codes/{id}", tag = "admin", params(("id" = Uuid, Path)), security(("staff_token" = [])),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    caller: StaffCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let actor = actor(&caller)?;
    promos::delete(&state.db, &state.clock, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
