use app::dto::TariffDto;
use app::ssr::{AppState, services};
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::error::{ApiError, ErrorBody};

#[derive(Debug, Serialize, ToSchema)]
pub struct TariffList {
    pub data: Vec<TariffDto>,
}

/// Active tariffs with their films and monthly price (public).
#[utoipa::path(get, path = "/api/v1/tariffs", tag = "customer", responses(
    (status = 200, body = TariffList),
    (status = 500, body = ErrorBody),
))]
pub async fn list(State(state): State<AppState>) -> Result<Json<TariffList>, ApiError> {
    let data = services::catalog::list_active_tariffs(&state.db).await?;
    Ok(Json(TariffList { data }))
}
