use leptos::prelude::*;

use crate::dto::{PageDto, TariffDto};
use crate::error::AppError;

/// Active tariffs with films, for the customer pages.
#[server(prefix = "/rpc", endpoint = "list_tariffs")]
pub async fn list_tariffs() -> Result<Vec<TariffDto>, AppError> {
    use crate::ssr::{AppState, services::catalog};
    let state = expect_context::<AppState>();
    catalog::list_active_tariffs(&state.db)
        .await
        .map_err(super::respond_err)
}

/// Staff list of all tariffs: search on code/name, `status` = `all|active|archived`, 1-based page.
#[server(prefix = "/rpc", endpoint = "admin_list_tariffs")]
pub async fn admin_list_tariffs(
    query: String,
    status: String,
    page: u32,
) -> Result<PageDto<TariffDto>, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::repo::catalog::TariffStatusFilter;
    use crate::ssr::services::catalog;

    let (state, _staff) = require_staff(StaffRole::can_view_catalog)
        .await
        .map_err(super::respond_err)?;
    let status = match status.as_str() {
        "active" => TariffStatusFilter::Active,
        "archived" => TariffStatusFilter::Archived,
        _ => TariffStatusFilter::All,
    };
    catalog::search_tariffs(&state.db, &query, status, page, ADMIN_PAGE_SIZE)
        .await
        .map_err(super::respond_err)
}

/// Rows per page in console tables.
pub const ADMIN_PAGE_SIZE: u32 = 20;
