//! Server functions of the month-discount editor.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::dto::MonthDiscountDto;
use crate::error::AppError;

#[server(prefix = "/rpc", endpoint = "admin_month_discounts")]
pub async fn admin_month_discounts() -> Result<Vec<MonthDiscountDto>, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::services::pricing;

    let (state, _) = require_staff(StaffRole::can_view_catalog)
        .await
        .map_err(super::respond_err)?;
    let table = pricing::month_table(&state.db)
        .await
        .map_err(super::respond_err)?;
    Ok(pricing::month_table_dto(&table))
}

/// Replaces the whole table; `rows` are `(months, percent)` as typed.
#[server(prefix = "/rpc", endpoint = "admin_save_month_discounts", input = Json)]
pub async fn admin_save_month_discounts(
    rows: Vec<(String, String)>,
) -> Result<Vec<MonthDiscountDto>, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::repo::audit::Actor;
    use crate::ssr::services::pricing::{self, MonthDiscountInput};

    let (state, staff) = require_staff(StaffRole::can_edit_catalog)
        .await
        .map_err(super::respond_err)?;
    let input: Vec<MonthDiscountInput> = rows
        .into_iter()
        .map(|(months, percent)| MonthDiscountInput { months, percent })
        .collect();
    pricing::replace_month_table(
        &state.db,
        &state.clock,
        &Actor::staff(staff.id, &staff.email),
        &input,
    )
    .await
    .map_err(super::respond_err)
}
