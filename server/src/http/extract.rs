//! Extractors that turn bad input into the contract's JSON errors instead of axum's text.

use app::domain::StaffRole;
use app::dto::StaffDto;
use app::ssr::{AppState, ServiceError, services};
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// `Json<T>` whose failures are JSON: 400 `malformed_json` for broken syntax, 422
/// `validation_failed` for a well-formed body of the wrong shape, 415 without a JSON
/// content type.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(match rejection {
                JsonRejection::JsonSyntaxError(e) => ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "malformed_json",
                    format!("The request body is not valid JSON: {}", e.body_text()),
                ),
                JsonRejection::JsonDataError(e) => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    format!("The request body has the wrong shape: {}", e.body_text()),
                ),
                JsonRejection::MissingJsonContentType(_) => ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "Send the body as JSON with Content-Type: application/json.",
                ),
                JsonRejection::BytesRejection(_) => ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "malformed_body",
                    "The request body could not be read.",
                ),
                other => {
                    ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", other.body_text())
                }
            }),
        }
    }
}

/// A staff member authenticated by `Authorization: Bearer <staff API token>`.
pub struct StaffCaller(pub StaffDto);

impl StaffCaller {
    /// The role check of an admin endpoint.
    pub fn require(&self, allowed: fn(StaffRole) -> bool) -> Result<&StaffDto, ApiError> {
        if allowed(self.0.role) {
            Ok(&self.0)
        } else {
            Err(ServiceError::Forbidden.into())
        }
    }
}

pub fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim())
}

impl FromRequestParts<AppState> for StaffCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer_token(parts).ok_or_else(|| {
            ApiError::unauthorized("Send a staff API token as Authorization: Bearer <token>.")
        })?;
        match services::staff::authenticate_token(&state.db, &state.clock, token).await {
            Ok(staff) => Ok(StaffCaller(staff)),
            Err(ServiceError::Unauthenticated) => Err(ApiError::unauthorized(
                "The staff API token is invalid or revoked.",
            )),
            Err(e) => Err(e.into()),
        }
    }
}
