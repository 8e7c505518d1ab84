use app::dto::EntitlementDto;
use app::ssr::AppState;
use app::ssr::auth::constant_time_eq;
use app::ssr::services::account;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use uuid::Uuid;

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiPath, bearer_token};

/// Who may watch what, for other services (`Authorization: Bearer <service token>`).
/// An unknown user simply has no roles.
#[utoipa::path(get, path = "/api/v1/entitlements/{user_id}", tag = "service",
    params(("user_id" = Uuid, Path)),
    responses((status = 200, body = EntitlementDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody, description = "No service token configured")))]
pub async fn get(
    State(state): State<AppState>,
    parts: Parts,
    ApiPath(user_id): ApiPath<String>,
) -> Result<Json<EntitlementDto>, ApiError> {
    let Some(expected) = state.service_token.as_deref() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Entitlement look-ups are off: no service token is configured.",
        ));
    };
    let given = bearer_token(&parts).unwrap_or_default();
    if !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
        return Err(ApiError::unauthorized(
            "Send the service token as Authorization: Bearer <token>.",
        ));
    }
    let user_id = Uuid::parse_str(&user_id).map_err(|_| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "user_id must be a UUID.",
        )
    })?;
    Ok(Json(
        account::entitlements(&state.db, user_id, state.clock.now()).await?,
    ))
}
