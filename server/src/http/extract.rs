//! Extractors that turn bad input into the contract's JSON errors instead of axum's text.

use app::domain::StaffRole;
use app::dto::{CustomerDto, StaffDto};
use app::ssr::{AppState, ServiceError, services};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// `Json<T>` whose failures are JSON: 400 `malformed_json` for a body that is not JSON at
/// all, 422 `validation_failed` for well-formed JSON of the wrong shape, 415 without a JSON
/// content type. The body is parsed in two steps so those two cases are never confused.
pub struct ApiJson<T>(pub T);

fn is_json_content_type(req: &Request) -> bool {
    is_json(req.headers())
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json_content_type(&req) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the body as JSON with Content-Type: application/json.",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                return ApiError::new(
                    e.status(),
                    "payload_too_large",
                    format!(
                        "The request body is larger than {} KiB.",
                        super::api_guard::BODY_LIMIT / 1024
                    ),
                );
            }
            ApiError::new(
                e.status(),
                "malformed_body",
                format!("The request body could not be read: {}", e.body_text()),
            )
        })?;
        parse_json_body(&bytes).map(ApiJson)
    }
}

/// The body-parsing half of [`ApiJson`], for handlers that need the raw bytes too
/// (idempotency fingerprints, webhook signatures).
pub fn parse_json<T: DeserializeOwned>(headers: &HeaderMap, bytes: &[u8]) -> Result<T, ApiError> {
    if !is_json(headers) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the body as JSON with Content-Type: application/json.",
        ));
    }
    parse_json_body(bytes)
}

fn parse_json_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("The request body is not valid JSON: {e}"),
        )
    })?;
    serde_json::from_value(value).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            format!("The request body has the wrong shape: {e}"),
        )
    })
}

/// `Path<T>` whose failure (a malformed id in the URL) is the contract's JSON error:
/// 400 `invalid_path`, not axum's plain text.
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| ApiPath(v))
            .map_err(|e| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_path",
                    format!("The URL is not valid here: {}", e.body_text()),
                )
            })
    }
}

/// `Query<T>` whose failure (a parameter of the wrong type) is the contract's JSON
/// error: 400 `invalid_query`.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| ApiQuery(v))
            .map_err(|e| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    format!("The query string is not valid: {}", e.body_text()),
                )
            })
    }
}

/// A staff member authenticated by `Authorization: Bearer <staff API token>`, and the
/// id of that token.
pub struct StaffCaller(pub StaffDto, pub uuid::Uuid);

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
            Ok((staff, token_id)) => Ok(StaffCaller(staff, token_id)),
            Err(ServiceError::Unauthenticated) => Err(ApiError::unauthorized(
                "The staff API token is invalid or revoked.",
            )),
            Err(e) => Err(e.into()),
        }
    }
}

/// A customer authenticated by the auth service's JWT (`Authorization: Bearer <JWT>`),
/// created on first sight.
pub struct CustomerCaller(pub CustomerDto);

/// Like [`CustomerCaller`] for endpoints where the token is optional (quotes). A token
/// that is sent but invalid is still refused: silently pricing without the customer's
/// discount would hide their mistake.
pub struct OptionalCustomer(pub Option<CustomerDto>);

async fn customer_from_parts(
    parts: &Parts,
    state: &AppState,
) -> Result<Option<CustomerDto>, ApiError> {
    if parts.headers.get(AUTHORIZATION).is_none() {
        return Ok(None);
    }
    let token = bearer_token(parts).ok_or_else(|| {
        ApiError::unauthorized("Send the auth service's token as Authorization: Bearer <JWT>.")
    })?;
    // The auth service signs with the wall clock; the test clock only moves billing time,
    // so moving it must not sign customers out.
    let claims = state
        .customer_tokens
        .verify(token, chrono::Utc::now())
        .map_err(|e| {
            tracing::info!(reason = %e, "customer token refused");
            ApiError::unauthorized(format!("The customer token is not valid: {e}."))
        })?;
    Ok(Some(
        services::customers::upsert_from_claims(&state.db, &claims, state.clock.now()).await?,
    ))
}

impl FromRequestParts<AppState> for CustomerCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        customer_from_parts(parts, state)
            .await?
            .map(CustomerCaller)
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "Send the auth service's token as Authorization: Bearer <JWT>.",
                )
            })
    }
}

impl FromRequestParts<AppState> for OptionalCustomer {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        customer_from_parts(parts, state)
            .await
            .map(OptionalCustomer)
    }
}
