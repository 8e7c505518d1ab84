//! `Idempotency-Key` on REST mutations (ARCHITECTURE.md, Reliability): the first
//! request with a key runs and its answer is stored; a retry gets the stored answer with
//! `Idempotent-Replayed: true`. The rules live in `app::ssr::idempotency`; this is the
//! HTTP wrapper around them.

use std::future::Future;

use app::ssr::AppState;
use app::ssr::idempotency::{self, Claim};
use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

pub const HEADER: &str = "idempotency-key";
const MAX_STORED_BODY: usize = 1 << 20;

pub fn key(headers: &HeaderMap) -> Result<String, ApiError> {
    let value = headers.get(HEADER).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "idempotency_key_required",
            "Send an Idempotency-Key header (1-255 printable characters) so a retry cannot charge twice.",
        )
    })?;
    let key = value.to_str().map_err(|_| invalid_key())?.to_string();
    idempotency::validate_key(&key).map_err(|_| invalid_key())?;
    Ok(key)
}

fn invalid_key() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_idempotency_key",
        "Idempotency-Key must be 1 to 255 printable ASCII characters.",
    )
}

/// Runs `f` at most once per (`scope`, key): see the module docs.
pub async fn run<F, Fut>(
    state: &AppState,
    scope: &str,
    headers: &HeaderMap,
    method: &str,
    path: &str,
    body: &[u8],
    f: F,
) -> Response
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Response>,
{
    let key = match key(headers) {
        Ok(k) => k,
        Err(e) => return e.into_response(),
    };
    let hash = idempotency::request_hash(method, path, body);
    let now = state.clock.now();
    let claim = match idempotency::claim(&state.db, scope, &key, &hash, now).await {
        Ok(c) => c,
        Err(e) => return ApiError::from(e).into_response(),
    };
    match claim {
        Claim::Proceed => {}
        Claim::Replay { status, body } => {
            let mut res = Response::new(Body::from(body));
            *res.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            h.insert("idempotent-replayed", HeaderValue::from_static("true"));
            return res;
        }
        Claim::Mismatch => {
            return ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_mismatch",
                "This Idempotency-Key was used for a different request. Use a new key for a new request.",
            )
            .into_response();
        }
        Claim::InProgress => {
            return ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_in_progress",
                "A request with this Idempotency-Key is still being processed. Retry in a moment.",
            )
            .into_response();
        }
    }

    let res = f().await;
    let status = res.status();
    if status.is_server_error() {
        // Worth retrying: give the key back (the work below is idempotent itself).
        if let Err(e) = idempotency::release(&state.db, scope, &key).await {
            e.log_if_internal();
        }
        return res;
    }
    let (parts, body) = res.into_parts();
    let bytes = match to_bytes(body, MAX_STORED_BODY).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "reading a response to store for idempotency");
            let _ = idempotency::release(&state.db, scope, &key).await;
            return ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "Something went wrong on our side. Please try again.",
            )
            .into_response();
        }
    };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if let Err(e) = idempotency::complete(
        &state.db,
        scope,
        &key,
        status.as_u16(),
        &text,
        state.clock.now(),
    )
    .await
    {
        e.log_if_internal();
    }
    Response::from_parts(parts, Body::from(bytes))
}
