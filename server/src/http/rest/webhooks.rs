//! Provider webhooks. The signature is checked on the raw body before anything is read
//! from it; a bad one is 401 and nothing is written. Accepted events (duplicates too)
//! are answered 200, so the provider stops retrying; our own failures are 500, so it
//! retries later.

use app::ssr::AppState;
use app::ssr::ServiceError;
use app::ssr::providers::{ProviderError, WebhookEvent};
use app::ssr::services::refunds;
use app::ssr::services::settlement::{self, EventRecord, Settled};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::http::error::{ApiError, ErrorBody};

/// A signed event from the payment provider (`sandbox`, `yookassa`, `cloudpayments`).
#[utoipa::path(post, path = "/api/v1/webhooks/{provider}", tag = "provider",
    params(("provider" = String, Path)),
    responses(
        (status = 200, description = "Accepted (also for duplicates)"),
        (status = 400, body = ErrorBody, description = "Signed, but unreadable"),
        (status = 401, body = ErrorBody, description = "Missing or wrong signature; nothing changed"),
        (status = 404, body = ErrorBody, description = "Not the configured provider"),
))]
pub async fn receive(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if provider != state.provider.name() {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Webhooks of this provider are not accepted here.",
        )
        .into_response();
    }
    let event = match state
        .provider
        .verify_webhook(&headers, &body, state.clock.now())
    {
        Ok(e) => e,
        Err(ProviderError::InvalidSignature) => {
            tracing::warn!(provider, "webhook with a bad signature refused");
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_signature",
                "The webhook signature is missing or wrong.",
            )
            .into_response();
        }
        Err(e) => {
            return ApiError::new(StatusCode::BAD_REQUEST, "malformed_webhook", e.to_string())
                .into_response();
        }
    };
    let event_id = event.event_id().to_string();
    let outcome = match &event {
        WebhookEvent::Payment { payment, .. } => {
            let kind = match &payment.status {
                app::ssr::providers::PaymentStatus::Pending => "webhook.pending",
                app::ssr::providers::PaymentStatus::Succeeded => "webhook.succeeded",
                app::ssr::providers::PaymentStatus::Failed { .. } => "webhook.failed",
                app::ssr::providers::PaymentStatus::Canceled => "webhook.canceled",
            };
            let record = EventRecord {
                dedupe_key: format!("{provider}:{event_id}"),
                kind,
                payload: String::from_utf8_lossy(&body).into_owned(),
            };
            settlement::settle_payment(&state, payment, "webhook", Some(record))
                .await
                .map(|s| match s {
                    Settled::Moved(status) => status.as_str(),
                    Settled::Superseded => "superseded",
                    Settled::Unchanged => "unchanged",
                    Settled::StillPending => "pending",
                    Settled::Duplicate => "duplicate",
                })
        }
        WebhookEvent::Refund {
            provider_payment_id,
            refund,
            ..
        } => refunds::apply_refund_webhook(&state, provider_payment_id, refund)
            .await
            .map(|()| "refund"),
    };
    match outcome {
        Ok(result) => (
            StatusCode::OK,
            Json(json!({"received": true, "result": result})),
        )
            .into_response(),
        Err(ServiceError::NotFound { .. }) => {
            tracing::warn!(provider, event_id, "webhook for an unknown payment ignored");
            (
                StatusCode::OK,
                Json(json!({"received": true, "result": "ignored"})),
            )
                .into_response()
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}
