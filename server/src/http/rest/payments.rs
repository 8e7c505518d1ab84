use app::dto::{PaymentDto, RefundResultDto};
use app::ssr::AppState;
use app::ssr::services::payments;
use app::ssr::services::refunds::{self, Requester};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiPath, CustomerCaller, parse_json};
use crate::http::idempotent;

fn payment_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "The payment was not found.",
        )
    })
}

/// The customer's own payment (someone else's is 404).
#[utoipa::path(get, path = "/api/v1/payments/{id}", tag = "customer",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = PaymentDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    CustomerCaller(customer): CustomerCaller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<PaymentDto>, ApiError> {
    let id = payment_id(&id)?;
    Ok(Json(
        payments::customer_payment(&state, customer.id, id).await?,
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundBody {
    pub reason: Option<String>,
}

/// Refund within the window (default 60 minutes after `paid_at`), once per payment.
/// Revokes the period the payment bought and the access at once.
#[utoipa::path(post, path = "/api/v1/payments/{id}/refund", tag = "customer",
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header)),
    request_body = RefundBody,
    responses(
        (status = 201, body = RefundResultDto),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "refund_window_closed, already_refunded, payment_not_refundable"),
        (status = 502, body = ErrorBody, description = "provider_unavailable: retry"),
))]
pub async fn refund(
    State(state): State<AppState>,
    CustomerCaller(customer): CustomerCaller,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let scope = format!("customer:{}", customer.id);
    let path = format!("/api/v1/payments/{id}/refund");
    idempotent::run(&state, &scope, &headers, "POST", &path, &body, || async {
        let run = async {
            let id = payment_id(&id)?;
            let input: RefundBody = if body.is_empty() {
                RefundBody::default()
            } else {
                parse_json(&headers, &body)?
            };
            Ok::<_, ApiError>(
                refunds::refund(&state, id, Requester::Customer(customer.id), input.reason).await?,
            )
        };
        match run.await {
            Ok(refund) => (StatusCode::CREATED, Json(RefundResultDto { refund })).into_response(),
            Err(e) => e.into_response(),
        }
    })
    .await
}
