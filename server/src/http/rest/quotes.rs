use app::dto::QuoteDto;
use app::ssr::AppState;
use app::ssr::services::pricing::{self, QuoteRequest};
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, OptionalCustomer};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteBody {
    pub tariff_id: Uuid,
    /// 1–36.
    pub months: u32,
    pub promo_code: Option<String>,
}

/// What `months` of a tariff cost now, with the single best discount applied and the
/// ones that lost listed with the reason. Promo errors: `promo_not_found`,
/// `promo_expired`, `promo_inactive`, `promo_exhausted`, `promo_not_applicable`,
/// `promo_already_used` (422). With the customer's token (optional) their personal
/// discount competes too and `promo_already_used` is checked.
#[utoipa::path(post, path = "/api/v1/quotes", tag = "customer", request_body = QuoteBody, responses(
    (status = 200, body = QuoteDto),
    (status = 400, body = ErrorBody, description = "Malformed JSON"),
    (status = 401, body = ErrorBody, description = "A customer token was sent but is invalid or expired"),
    (status = 404, body = ErrorBody, description = "Unknown tariff"),
    (status = 422, body = ErrorBody, description = "Invalid months, archived tariff or a refused promo code"),
))]
pub async fn create(
    State(state): State<AppState>,
    OptionalCustomer(customer): OptionalCustomer,
    ApiJson(body): ApiJson<QuoteBody>,
) -> Result<Json<QuoteDto>, ApiError> {
    let req = QuoteRequest {
        tariff_id: body.tariff_id,
        months: body.months,
        promo_code: body.promo_code,
        customer_id: customer.map(|c| c.id),
    };
    Ok(Json(
        pricing::quote(&state.db, &state.pricing_cache, &state.clock, &req).await?,
    ))
}
