//! Server functions of the personal-discount page.

use leptos::prelude::*;
use uuid::Uuid;

use crate::dto::{PageDto, PersonalDiscountDto};
use crate::error::AppError;

#[server(prefix = "/rpc", endpoint = "admin_list_discounts")]
pub async fn admin_list_discounts(
    query: String,
    page: u32,
) -> Result<PageDto<PersonalDiscountDto>, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::services::discounts;

    let (state, _) = require_staff(StaffRole::can_view_catalog)
        .await
        .map_err(super::respond_err)?;
    discounts::list_active(
        &state.db,
        &state.clock,
        &query,
        page,
        super::catalog::ADMIN_PAGE_SIZE,
    )
    .await
    .map_err(super::respond_err)
}

/// `customer` is an e-mail or a customer id.
#[server(prefix = "/rpc", endpoint = "admin_set_discount")]
pub async fn admin_set_discount(
    customer: String,
    percent: String,
    valid_until: String,
    reason: String,
) -> Result<PersonalDiscountDto, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::ServiceError;
    use crate::ssr::auth::require_staff;
    use crate::ssr::repo::audit::Actor;
    use crate::ssr::services::discounts;

    let (state, staff) = require_staff(StaffRole::can_edit_catalog)
        .await
        .map_err(super::respond_err)?;
    let found = discounts::find_customer(&state.db, &customer)
        .await
        .map_err(|e| match e {
            ServiceError::NotFound { .. } => super::respond_err(AppError::validation(
                "customer",
                "no customer with this e-mail or id",
            )),
            other => super::respond_err(other),
        })?;
    discounts::set(
        &state.db,
        &state.clock,
        &Actor::staff(staff.id, &staff.email),
        found.id,
        &percent,
        &valid_until,
        &reason,
    )
    .await
    .map_err(super::respond_err)
}

#[server(prefix = "/rpc", endpoint = "admin_remove_discount")]
pub async fn admin_remove_discount(customer_id: Uuid) -> Result<(), AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::repo::audit::Actor;
    use crate::ssr::services::discounts;

    let (state, staff) = require_staff(StaffRole::can_edit_catalog)
        .await
        .map_err(super::respond_err)?;
    discounts::remove(
        &state.db,
        &state.clock,
        &Actor::staff(staff.id, &staff.email),
        customer_id,
    )
    .await
    .map_err(super::respond_err)
}
