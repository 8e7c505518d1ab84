//! Server functions of the staff page (admin) and of each member's own account page.

use leptos::prelude::*;
use uuid::Uuid;

use crate::dto::{NewStaffTokenDto, StaffInviteDto, StaffMemberDto, StaffTokenDto};
use crate::error::AppError;

#[cfg(feature = "ssr")]
async fn admin() -> Result<(crate::ssr::AppState, crate::ssr::repo::audit::Actor), AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::repo::audit::Actor;

    let (state, staff) = require_staff(StaffRole::can_manage_staff)
        .await
        .map_err(super::respond_err)?;
    Ok((state, Actor::staff(staff.id, &staff.email)))
}

#[server(prefix = "/rpc", endpoint = "admin_list_staff")]
pub async fn admin_list_staff(query: String) -> Result<Vec<StaffMemberDto>, AppError> {
    use crate::ssr::services::staff_admin;
    let (state, _) = admin().await?;
    staff_admin::list(&state.db, &state.clock, &query)
        .await
        .map_err(super::respond_err)
}

/// An empty `password` invites: the answer carries a one-time setup link.
#[server(prefix = "/rpc", endpoint = "admin_invite_staff")]
pub async fn admin_invite_staff(
    email: String,
    name: String,
    role: String,
    password: String,
) -> Result<StaffInviteDto, AppError> {
    use crate::ssr::services::staff_admin::{self, NewMember};
    let (state, actor) = admin().await?;
    staff_admin::invite(
        &state.db,
        &state.clock,
        &actor,
        &state.billing.public_url,
        NewMember {
            email: &email,
            name: &name,
            role: &role,
            password: Some(password.as_str()),
        },
    )
    .await
    .map_err(super::respond_err)
}

/// Changes one thing of a member: `role` (a role name) or `active`.
#[server(prefix = "/rpc", endpoint = "admin_update_staff")]
pub async fn admin_update_staff(
    id: Uuid,
    role: Option<String>,
    active: Option<bool>,
) -> Result<StaffMemberDto, AppError> {
    use crate::ssr::services::staff_admin::{self, MemberPatch};
    let (state, actor) = admin().await?;
    let patch = MemberPatch {
        name: None,
        role,
        active,
    };
    staff_admin::update(&state.db, &state.clock, &actor, id, patch)
        .await
        .map_err(super::respond_err)
}

#[server(prefix = "/rpc", endpoint = "admin_unlock_staff")]
pub async fn admin_unlock_staff(id: Uuid) -> Result<StaffMemberDto, AppError> {
    use crate::ssr::services::staff_admin;
    let (state, actor) = admin().await?;
    staff_admin::unlock(&state.db, &state.clock, &actor, id)
        .await
        .map_err(super::respond_err)
}

#[server(prefix = "/rpc", endpoint = "admin_staff_tokens")]
pub async fn admin_staff_tokens(id: Uuid) -> Result<Vec<StaffTokenDto>, AppError> {
    use crate::ssr::services::staff_admin;
    let (state, _) = admin().await?;
    staff_admin::tokens(&state.db, id)
        .await
        .map_err(super::respond_err)
}

#[server(prefix = "/rpc", endpoint = "admin_mint_staff_token")]
pub async fn admin_mint_staff_token(id: Uuid) -> Result<NewStaffTokenDto, AppError> {
    use crate::ssr::services::staff_admin;
    let (state, actor) = admin().await?;
    staff_admin::mint_token(&state.db, &state.clock, &actor, id)
        .await
        .map_err(super::respond_err)
}

#[server(prefix = "/rpc", endpoint = "admin_revoke_staff_token")]
pub async fn admin_revoke_staff_token(id: Uuid, token_id: Uuid) -> Result<StaffTokenDto, AppError> {
    use crate::ssr::services::staff_admin;
    let (state, actor) = admin().await?;
    staff_admin::revoke_token(&state.db, &state.clock, &actor, id, token_id)
        .await
        .map_err(super::respond_err)
}

/// Any signed-in member changes their own password.
#[server(prefix = "/rpc", endpoint = "change_own_password")]
pub async fn change_own_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::services::staff_admin;

    let (state, staff) = require_staff(|_: StaffRole| true)
        .await
        .map_err(super::respond_err)?;
    staff_admin::change_own_password(
        &state.db,
        &state.clock,
        staff.id,
        &current_password,
        &new_password,
    )
    .await
    .map_err(super::respond_err)
}

/// An invited member sets their first password with the link's token (no session yet).
#[server(prefix = "/rpc", endpoint = "complete_staff_setup")]
pub async fn complete_staff_setup(token: String, password: String) -> Result<(), AppError> {
    use crate::ssr::auth::request_context;
    use crate::ssr::services::staff_admin;

    let (state, _) = request_context().await.map_err(super::respond_err)?;
    staff_admin::complete_setup(&state.db, &state.clock, &token, &password)
        .await
        .map_err(super::respond_err)?;
    if super::is_plain_form_post() {
        leptos_axum::redirect("/admin/login?setup=1");
    }
    Ok(())
}
