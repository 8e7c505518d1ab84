use leptos::prelude::*;

use crate::dto::{PricingContextDto, PromoCheckDto};
use crate::error::AppError;

/// The month-discount table and the signed-in customer's personal discount, so the
/// browser can price any number of months itself.
#[server(prefix = "/rpc", endpoint = "pricing_context")]
pub async fn pricing_context() -> Result<PricingContextDto, AppError> {
    use crate::ssr::auth::{request_context, session_customer};
    use crate::ssr::services::pricing;

    let (state, session) = request_context().await.map_err(super::respond_err)?;
    let customer = session_customer(&state, &session)
        .await
        .map_err(super::respond_err)?;
    let catalog = state
        .pricing_cache
        .catalog(&state.db)
        .await
        .map_err(super::respond_err)?;
    let personal_percent = match &customer {
        Some(c) => pricing::active_personal_discount(&state.db, c.id, state.clock.now())
            .await
            .map_err(super::respond_err)?
            .map(|p| p.to_string()),
        None => None,
    };
    Ok(PricingContextDto {
        month_discounts: pricing::month_table_dto(&catalog.month_table),
        customer,
        personal_percent,
    })
}

/// Checks a promo code for the pricing page: the discount it gives and which tariffs it
/// covers, or the precise reason it is refused.
#[server(prefix = "/rpc", endpoint = "check_promo_code")]
pub async fn check_promo_code(code: String) -> Result<PromoCheckDto, AppError> {
    use crate::ssr::auth::{request_context, session_customer};
    use crate::ssr::services::pricing;

    // With a signed-in customer, `promo_already_used` is caught here too.
    let (state, session) = request_context().await.map_err(super::respond_err)?;
    let customer = session_customer(&state, &session)
        .await
        .map_err(super::respond_err)?;
    pricing::check_promo(&state.db, state.clock.now(), &code, customer.map(|c| c.id))
        .await
        .map(|p| p.to_dto())
        .map_err(super::respond_err)
}
