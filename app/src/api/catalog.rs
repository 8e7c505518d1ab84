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

/// Creates a tariff from the console form.
#[server(prefix = "/rpc", endpoint = "admin_create_tariff")]
pub async fn admin_create_tariff(
    code: String,
    name: String,
    description: String,
    role: String,
    monthly_price: String,
) -> Result<TariffDto, AppError> {
    use crate::domain::StaffRole;
    use crate::domain::catalog::TariffInput;
    use crate::ssr::auth::require_staff;
    use crate::ssr::repo::audit::Actor;
    use crate::ssr::services::catalog;

    let (state, staff) = require_staff(StaffRole::can_edit_catalog)
        .await
        .map_err(super::respond_err)?;
    let input = TariffInput {
        code,
        name,
        description,
        role,
        monthly_price,
        currency: None,
    };
    catalog::create_tariff(
        &state.db,
        &state.clock,
        state.roles.as_deref(),
        &Actor::staff(staff.id, &staff.email),
        &input,
        true,
    )
    .await
    .map_err(super::respond_err)
}

#[server(prefix = "/rpc", endpoint = "admin_tariff_editor")]
pub async fn admin_tariff_editor(id: uuid::Uuid) -> Result<crate::dto::TariffEditDto, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::services::catalog;

    let (state, _) = require_staff(StaffRole::can_view_catalog)
        .await
        .map_err(super::respond_err)?;
    catalog::tariff_editor(&state.db, id)
        .await
        .map_err(super::respond_err)
}

/// Saves the editor: texts, price (recorded in the history when it changes), films.
#[server(prefix = "/rpc", endpoint = "admin_update_tariff", input = leptos::server_fn::codec::Json)]
pub async fn admin_update_tariff(
    id: uuid::Uuid,
    name: String,
    description: String,
    role: String,
    monthly_price: String,
    film_ids: Vec<uuid::Uuid>,
) -> Result<TariffDto, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::repo::audit::Actor;
    use crate::ssr::services::catalog::{self, TariffPatch};

    let (state, staff) = require_staff(StaffRole::can_edit_catalog)
        .await
        .map_err(super::respond_err)?;
    let patch = TariffPatch {
        name: Some(name),
        description: Some(description),
        role: Some(role),
        monthly_price: Some(monthly_price),
        active: None,
        film_ids: Some(film_ids),
    };
    catalog::update_tariff(
        &state.db,
        &state.clock,
        state.roles.as_deref(),
        &Actor::staff(staff.id, &staff.email),
        id,
        &patch,
    )
    .await
    .map_err(super::respond_err)
}

/// Archives (`active = false`) or restores a tariff.
#[server(prefix = "/rpc", endpoint = "admin_set_tariff_active")]
pub async fn admin_set_tariff_active(id: uuid::Uuid, active: bool) -> Result<TariffDto, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::repo::audit::Actor;
    use crate::ssr::services::catalog::{self, TariffPatch};

    let (state, staff) = require_staff(StaffRole::can_edit_catalog)
        .await
        .map_err(super::respond_err)?;
    let patch = TariffPatch {
        active: Some(active),
        ..TariffPatch::default()
    };
    catalog::update_tariff(
        &state.db,
        &state.clock,
        state.roles.as_deref(),
        &Actor::staff(staff.id, &staff.email),
        id,
        &patch,
    )
    .await
    .map_err(super::respond_err)
}

/// The roles the auth service knows, or `None` when no auth service is configured.
#[server(prefix = "/rpc", endpoint = "admin_known_roles")]
pub async fn admin_known_roles() -> Result<Option<Vec<String>>, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;

    let (state, _) = require_staff(StaffRole::can_view_catalog)
        .await
        .map_err(super::respond_err)?;
    match &state.roles {
        None => Ok(None),
        Some(roles) => roles.roles().await.map(Some).map_err(super::respond_err),
    }
}
