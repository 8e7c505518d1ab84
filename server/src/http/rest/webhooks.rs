//! Provider webhooks. The signature is checked on the raw body before anything is read
//! from it; a bad one is 401 and nothing is written. Accepted events (duplicates too)
//! are answered 200, so the provider stops retrying; our own failures are 500, so it
//! retries later.

use app::ssr::AppState;
use app::ssr::ServiceError;
use std::net::SocketAddr;

use app::ssr::providers::{
    ProviderError, WebhookEvent, WebhookHeaders, WebhookReply, WebhookRequest,
};
use app::ssr::services::payments as payment_svc;
use app::ssr::services::refunds;
use app::ssr::services::settlement::{self, EventRecord, Settled};
use axum::Json;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::http::error::{ApiError, ErrorBody};

/// Provider notifications are small; anything bigger is not one.
const WEBHOOK_BODY_LIMIT: usize = 256 * 1024;

/// A signed event from the payment provider (`sandbox`, `yookassa`, `cloudpayments`).
#[utoipa::path(post, path = "/api/v1/webhooks/{provider}", tag = "provider",
    params(("provider" = String, Path)),
    responses(
        (status = 200, description = "Accepted (also for duplicates)"),
        (status = 400, body = ErrorBody, description = "Signed, but unreadable"),
        (status = 401, body = ErrorBody, description = "Missing or wrong signature; nothing changed"),
        (status = 403, body = ErrorBody, description = "Sent from an address the provider does not use; nothing changed"),
        (status = 503, body = ErrorBody, description = "Could not be confirmed with the provider yet; nothing changed"),
        (status = 404, body = ErrorBody, description = "Not the configured provider"),
))]
pub async fn receive(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    request: Request,
) -> Response {
    handle(state, provider, None, request).await
}

/// A notification of one kind, for providers with one URL per kind (CloudPayments:
/// `check`, `pay`, `fail`, `refund`, `recurrent`, `cancel`).
#[utoipa::path(post, path = "/api/v1/webhooks/{provider}/{kind}", tag = "provider",
    params(("provider" = String, Path), ("kind" = String, Path)),
    responses(
        (status = 200, description = "Accepted (also for duplicates); CloudPayments reads `code`: 0, or Check's refusal code"),
        (status = 400, body = ErrorBody, description = "Signed, but unreadable"),
        (status = 401, body = ErrorBody, description = "Missing or wrong signature; nothing changed"),
        (status = 404, body = ErrorBody, description = "Not the configured provider"),
))]
pub async fn receive_kind(
    State(state): State<AppState>,
    Path((provider, kind)): Path<(String, String)>,
    request: Request,
) -> Response {
    handle(state, provider, Some(kind), request).await
}

async fn handle(
    state: AppState,
    provider: String,
    kind: Option<String>,
    request: Request,
) -> Response {
    if provider != state.provider.name() {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Webhooks of this provider are not accepted here.",
        )
        .into_response();
    }
    // The peer address is known when the server runs with connect info (always, when
    // it serves); a request built in-process has none, and providers that trust
    // addresses refuse it.
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let headers = WebhookHeaders::new(
        request
            .headers()
            .iter()
            .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?.to_string()))),
    );
    let body = match axum::body::to_bytes(request.into_body(), WEBHOOK_BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "The webhook body is too large.",
            )
            .into_response();
        }
    };
    let received = WebhookRequest {
        kind: kind.as_deref(),
        headers: &headers,
        body: &body,
        peer,
    };
    let event = match state
        .provider
        .receive_webhook(&received, state.clock.now())
        .await
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
        Err(ProviderError::ForbiddenSource(from)) => {
            tracing::warn!(
                provider,
                from,
                "webhook from an address not allowed refused"
            );
            return ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden_source",
                "Webhooks of this provider are not accepted from this address.",
            )
            .into_response();
        }
        // Reading the object back failed: the provider retries the notification later.
        Err(e @ (ProviderError::Timeout | ProviderError::Unavailable(_))) => {
            tracing::warn!(provider, error = %e, "webhook could not be confirmed with the provider");
            return ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "provider_unavailable",
                "The notification could not be confirmed with the provider yet; send it again later.",
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
        } => {
            let record = EventRecord {
                dedupe_key: format!("{provider}:{event_id}"),
                kind: "webhook.refund",
                payload: String::from_utf8_lossy(&body).into_owned(),
            };
            refunds::apply_refund_webhook(&state, provider_payment_id, refund, &record).await
        }
        WebhookEvent::Check {
            reference, amount, ..
        } => {
            return match payment_svc::check_payable(&state, reference, *amount).await {
                Ok(verdict) => {
                    let reply = match verdict {
                        None => WebhookReply::CheckPassed,
                        Some(why) => {
                            tracing::info!(provider, reference, ?why, "provider's check refused");
                            WebhookReply::CheckRefused(why)
                        }
                    };
                    (StatusCode::OK, Json(state.provider.reply(reply))).into_response()
                }
                Err(e) => ApiError::from(e).into_response(),
            };
        }
        WebhookEvent::Ignored { what, .. } => {
            tracing::debug!(provider, what, "notification acknowledged, nothing to do");
            Ok("ignored")
        }
    };
    let accepted = |result| {
        let reply = state.provider.reply(WebhookReply::Accepted { result });
        (StatusCode::OK, Json(reply)).into_response()
    };
    match outcome {
        Ok(result) => accepted(result),
        Err(ServiceError::NotFound { .. }) => {
            tracing::warn!(provider, event_id, "webhook for an unknown payment ignored");
            accepted("ignored")
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}
