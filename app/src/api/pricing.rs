use leptos::prelude::*;

use crate::dto::{MonthDiscountDto, PromoCheckDto};
use crate::error::AppError;

/// The month-discount table, so the browser can price any number of months itself.
#[server(prefix = "/rpc", endpoint = "pricing_table")]
pub async fn pricing_table() -> Result<Vec<MonthDiscountDto>, AppError> {
    use crate::ssr::{AppState, services::pricing};
    let state = expect_context::<AppState>();
    let table = pricing::month_table(&state.db)
        .await
        .map_err(super::respond_err)?;
    Ok(pricing::month_table_dto(&table))
}

/// Checks a promo code for the pricing page: the discount it gives and which tariffs it
/// covers, or the precise reason it is refused.
#[server(prefix = "/rpc", endpoint = "check_promo_code")]
pub async fn check_promo_code(code: String) -> Result<PromoCheckDto, AppError> {
    use crate::ssr::{AppState, services::pricing};
    let state = expect_context::<AppState>();
    pricing::check_promo(&state.db, state.clock.now(), &code, None)
        .await
        .map(|p| p.to_dto())
        .map_err(super::respond_err)
}
