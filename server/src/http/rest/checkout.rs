use app::dto::CheckoutDto;
use app::ssr::AppState;
use app::ssr::services::checkout::{self, CheckoutRequest};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{CustomerCaller, parse_json};
use crate::http::idempotent;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutBody {
    pub tariff_id: Uuid,
    /// 1–36.
    pub months: u32,
    pub promo_code: Option<String>,
    /// Save the card so renewals can charge it.
    #[serde(default)]
    pub save_payment_method: bool,
    /// Accepted for compatibility; the customer always comes back to
    /// `/checkout/return?payment=…`, which shows the outcome.
    pub return_url: Option<String>,
}

/// Creates an invoice with the frozen quote and a payment at the provider; send the
/// customer to `payment.confirmation_url`. Requires `Idempotency-Key`: a retry (even
/// after a provider timeout) returns the same invoice and payment, never a second charge.
#[utoipa::path(post, path = "/api/v1/checkout", tag = "customer", request_body = CheckoutBody,
    params(("Idempotency-Key" = String, Header, description = "1-255 printable characters")),
    responses(
        (status = 201, body = CheckoutDto),
        (status = 400, body = ErrorBody, description = "Malformed JSON or missing Idempotency-Key"),
        (status = 401, body = ErrorBody, description = "No or invalid customer token"),
        (status = 404, body = ErrorBody, description = "Unknown tariff"),
        (status = 409, body = ErrorBody, description = "idempotency_in_progress"),
        (status = 422, body = ErrorBody, description = "Invalid months, archived tariff, refused promo code, idempotency_mismatch"),
        (status = 502, body = ErrorBody, description = "provider_unavailable: retry with the same key"),
))]
pub async fn create(
    State(state): State<AppState>,
    CustomerCaller(customer): CustomerCaller,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let scope = format!("customer:{}", customer.id);
    idempotent::run(
        &state,
        &scope,
        &headers,
        "POST",
        "/api/v1/checkout",
        &body,
        || async {
            let run = async {
                let input: CheckoutBody = parse_json(&headers, &body)?;
                let key = idempotent::key(&headers)?;
                let req = CheckoutRequest {
                    tariff_id: input.tariff_id,
                    months: input.months,
                    promo_code: input.promo_code,
                    save_payment_method: input.save_payment_method,
                    idempotency_key: key,
                };
                Ok::<_, ApiError>(checkout::checkout(&state, &customer, &req).await?)
            };
            match run.await {
                Ok(dto) => (StatusCode::CREATED, Json(dto)).into_response(),
                Err(e) => e.into_response(),
            }
        },
    )
    .await
}
