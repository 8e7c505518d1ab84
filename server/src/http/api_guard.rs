//! What every `/api` response keeps to, whatever produced it: bodies are capped, a read
//! that hangs is cut off, and every refusal is the contract's JSON error body, including
//! those written below our handlers (a body over the limit, a malformed header).

use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// The largest request body the API reads. Its JSON documents are small; a bulk upload
/// would get its own, larger limit.
pub const BODY_LIMIT: usize = 64 * 1024;

/// How long a read (`GET`, `HEAD`) may take. Requests that change state are not cut
/// off halfway: they wait on the provider's own timeout and finish what they started.
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The contract's code for a status, for refusals that came without one.
fn code_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        408 => "request_timeout",
        409 => "conflict",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        422 => "validation_failed",
        429 => "rate_limited",
        503 => "unavailable",
        504 => "timeout",
        s if s >= 500 => "internal_error",
        _ => "bad_request",
    }
}

fn message_for(status: StatusCode) -> String {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            format!("The request body is larger than {} KiB.", BODY_LIMIT / 1024)
        }
        StatusCode::REQUEST_TIMEOUT => "The request took too long and was stopped.".into(),
        s => format!(
            "The request was refused: {}.",
            s.canonical_reason().unwrap_or("error")
        ),
    }
}

fn is_json(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"))
}

/// The middleware: the read timeout, then any non-JSON refusal rewritten as JSON.
pub async fn guard(req: Request<Body>, next: Next) -> Response {
    let read = req.method().is_safe();
    let res = if read {
        match tokio::time::timeout(READ_TIMEOUT, next.run(req)).await {
            Ok(res) => res,
            Err(_) => return refusal(StatusCode::REQUEST_TIMEOUT),
        }
    } else {
        next.run(req).await
    };
    let status = res.status();
    if (status.is_client_error() || status.is_server_error()) && !is_json(&res) {
        let mut rewritten = refusal(status);
        // Keep what the refusal said about itself (`Allow`, `Retry-After`, …).
        for name in [header::ALLOW, header::RETRY_AFTER, header::WWW_AUTHENTICATE] {
            if let Some(v) = res.headers().get(&name) {
                rewritten.headers_mut().insert(name, v.clone());
            }
        }
        return rewritten;
    }
    res
}

fn refusal(status: StatusCode) -> Response {
    ApiError::new(status, code_for(status), message_for(status)).into_response()
}
