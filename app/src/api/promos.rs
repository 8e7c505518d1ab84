//! Server functions of the promo-code console page.

use leptos::prelude::*;
use uuid::Uuid;

use crate::dto::{PageDto, PromoBatchDto, PromoDto};
use crate::error::AppError;

#[server(prefix = "/rpc", endpoint = "admin_list_promos")]
pub async fn admin_list_promos(
    query: String,
    status: String,
    page: u32,
) -> Result<PageDto<PromoDto>, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::services::promos::{self, PromoStatusFilter};

    let (state, _) = require_staff(StaffRole::can_view_catalog)
        .await
        .map_err(super::respond_err)?;
    let status = PromoStatusFilter::parse(&status).unwrap_or(PromoStatusFilter::All);
    promos::list(
        &state.db,
        &state.clock,
        &query,
        status,
        page,
        super::catalog::ADMIN_PAGE_SIZE,
    )
    .await
    .map_err(super::respond_err)
}

#[server(prefix = "/rpc", endpoint = "admin_create_promo")]
pub async fn admin_create_promo(
    code: String,
    percent: String,
    amount: String,
    valid_until: String,
    max_redemptions: String,
) -> Result<PromoDto, AppError> {
    use crate::domain::StaffRole;
    use crate::domain::promo::PromoTermsInput;
    use crate::ssr::auth::require_staff;
    use crate::ssr::repo::audit::Actor;
    use crate::ssr::services::promos;

    let (state, staff) = require_staff(StaffRole::can_edit_catalog)
        .await
        .map_err(super::respond_err)?;
    let terms = PromoTermsInput {
        percent,
        amount,
        valid_from: String::new(),
        valid_until,
        max_redemptions,
    };
    promos::create(
        &state.db,
        &state.clock,
        &Actor::staff(staff.id, &staff.email),
        &code,
        &terms,
        &[],
    )
    .await
    .map_err(super::respond_err)
}

#[server(prefix = "/rpc", endpoint = "admin_generate_promos")]
pub async fn admin_generate_promos(
    prefix: String,
    count: String,
    percent: String,
    amount: String,
    valid_until: String,
    max_redemptions: String,
) -> Result<PromoBatchDto, AppError> {
    use crate::domain::StaffRole;
    use crate::domain::promo::PromoTermsInput;
    use crate::ssr::auth::require_staff;
    use crate::ssr::repo::audit::Actor;
    use crate::ssr::services::promos;

    let (state, staff) = require_staff(StaffRole::can_edit_catalog)
        .await
        .map_err(super::respond_err)?;
    let terms = PromoTermsInput {
        percent,
        amount,
        valid_from: String::new(),
        valid_until,
        max_redemptions,
    };
    promos::generate_batch(
        &state.db,
        &state.clock,
        &Actor::staff(staff.id, &staff.email),
        &prefix,
        &count,
        &terms,
        &[],
    )
    .await
    .map_err(super::respond_err)
}

#[server(prefix = "/rpc", endpoint = "admin_set_promo_active")]
pub async fn admin_set_promo_active(id: Uuid, active: bool) -> Result<PromoDto, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::repo::audit::Actor;
    use crate::ssr::services::promos;

    let (state, staff) = require_staff(StaffRole::can_edit_catalog)
        .await
        .map_err(super::respond_err)?;
    promos::set_active(
        &state.db,
        &state.clock,
        &Actor::staff(staff.id, &staff.email),
        id,
        active,
    )
    .await
    .map_err(super::respond_err)
}

#[server(prefix = "/rpc", endpoint = "admin_delete_promo")]
pub async fn admin_delete_promo(id: Uuid) -> Result<(), AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::repo::audit::Actor;
    use crate::ssr::services::promos;

    let (state, staff) = require_staff(StaffRole::can_edit_catalog)
        .await
        .map_err(super::respond_err)?;
    promos::delete(
        &state.db,
        &state.clock,
        &Actor::staff(staff.id, &staff.email),
        id,
    )
    .await
    .map_err(super::respond_err)
}
