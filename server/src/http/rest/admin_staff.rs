//! Staff accounts [admin]: list, invite or create, change name / role / active, lift a
//! sign-in lock, list and revoke API tokens. The rules live in
//! `services::staff_admin`; every change is audit-logged there.

use app::domain::{DomainError, StaffRole};
use app::dto::{StaffInviteDto, StaffMemberDto, StaffTokenDto};
use app::ssr::repo::audit::Actor;
use app::ssr::services::staff_admin::{self, MemberPatch, NewMember};
use app::ssr::{AppState, ServiceError};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, StaffCaller};

#[derive(Debug, Deserialize, IntoParams)]
pub struct StaffQuery {
    /// Part of the e-mail or name.
    pub q: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffList {
    pub data: Vec<StaffMemberDto>,
    /// Always null: the whole (small) list is one page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    pub data: Vec<StaffTokenDto>,
    pub next_cursor: Option<String>,
}

/// A new member. Without `password` the answer carries a one-time `setup_url`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStaff {
    #[schema(example = "anna@kinobill.local")]
    pub email: String,
    #[serde(default)]
    pub name: String,
    /// `admin`, `marketing` or `support`.
    #[schema(example = "support")]
    pub role: String,
    /// Optional: new staff created with a password can sign in at once.
    #[serde(default)]
    pub password: Option<String>,
    /// Accepted for symmetry with the member's shape; a new member is always active.
    #[serde(default)]
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchStaff {
    pub name: Option<String>,
    pub role: Option<String>,
    /// `false` deactivates: sessions and API tokens stop at once.
    pub active: Option<bool>,
    /// The contract's member shape names `email`; it cannot be changed, so only the
    /// current value is accepted.
    pub email: Option<String>,
}

fn invalid(field: &'static str, message: &'static str) -> ApiError {
    ServiceError::from(DomainError::invalid(field, message)).into()
}

fn actor(caller: &StaffCaller) -> Result<Actor, ApiError> {
    let staff = caller.require(StaffRole::can_manage_staff)?;
    Ok(Actor::staff(staff.id, &staff.email))
}

/// Staff accounts, by e-mail [admin].
#[utoipa::path(get, path = "/api/v1/admin/staff", tag = "admin", params(StaffQuery), security(("staff_token" = [])),
    responses((status = 200, body = StaffList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: StaffCaller,
    ApiQuery(q): ApiQuery<StaffQuery>,
) -> Result<Json<StaffList>, ApiError> {
    actor(&caller)?;
    let data = staff_admin::list(&state.db, &state.clock, q.q.as_deref().unwrap_or("")).await?;
    Ok(Json(StaffList {
        data,
        next_cursor: None,
    }))
}

/// Invites (no password: a one-time setup link) or creates (with a password) a member [admin].
#[utoipa::path(post, path = "/api/v1/admin/staff", tag = "admin", request_body = CreateStaff, security(("staff_token" = [])),
    responses((status = 201, body = StaffInviteDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: StaffCaller,
    ApiJson(body): ApiJson<CreateStaff>,
) -> Result<(StatusCode, Json<StaffInviteDto>), ApiError> {
    let actor = actor(&caller)?;
    if body.active == Some(false) {
        return Err(invalid(
            "active",
            "a new member is active; deactivate them afterwards if needed",
        ));
    }
    let dto = staff_admin::invite(
        &state.db,
        &state.clock,
        &actor,
        &state.billing.public_url,
        NewMember {
            email: &body.email,
            name: &body.name,
            role: &body.role,
            password: body.password.as_deref(),
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(dto)))
}

/// Changes name, role or active [admin]. Nobody removes their own admin access, and the
/// last active admin stays one (409 `last_admin`).
#[utoipa::path(patch, path = "/api/v1/admin/staff/{id}", tag = "admin", params(("id" = Uuid, Path)), request_body = PatchStaff, security(("staff_token" = [])),
    responses((status = 200, body = StaffMemberDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn patch(
    State(state): State<AppState>,
    caller: StaffCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<PatchStaff>,
) -> Result<Json<StaffMemberDto>, ApiError> {
    let actor = actor(&caller)?;
    if let Some(email) = &body.email {
        let current = staff_admin::get(&state.db, &state.clock, id).await?;
        if !email.trim().eq_ignore_ascii_case(&current.email) {
            return Err(invalid(
                "email",
                "the e-mail cannot be changed; invite the new address instead",
            ));
        }
    }
    let patch = MemberPatch {
        name: body.name,
        role: body.role,
        active: body.active,
    };
    Ok(Json(
        staff_admin::update(&state.db, &state.clock, &actor, id, patch).await?,
    ))
}

/// Lifts a sign-in lock (too many failed attempts) before it ends by itself [admin].
#[utoipa::path(post, path = "/api/v1/admin/staff/{id}/unlock", tag = "admin", params(("id" = Uuid, Path)), security(("staff_token" = [])),
    responses((status = 200, body = StaffMemberDto), (status = 404, body = ErrorBody)))]
pub async fn unlock(
    State(state): State<AppState>,
    caller: StaffCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<StaffMemberDto>, ApiError> {
    let actor = actor(&caller)?;
    Ok(Json(
        staff_admin::unlock(&state.db, &state.clock, &actor, id).await?,
    ))
}

/// A member's API tokens, newest first (never the tokens themselves) [admin].
#[utoipa::path(get, path = "/api/v1/admin/staff/{id}/tokens", tag = "admin", params(("id" = Uuid, Path)), security(("staff_token" = [])),
    responses((status = 200, body = TokenList), (status = 404, body = ErrorBody)))]
pub async fn tokens(
    State(state): State<AppState>,
    caller: StaffCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<TokenList>, ApiError> {
    actor(&caller)?;
    Ok(Json(TokenList {
        data: staff_admin::tokens(&state.db, id).await?,
        next_cursor: None,
    }))
}

/// Revokes one API token; it stops working at once [admin]. Not the token this very
/// request uses (422 `cannot_revoke_current_token`): a script must not lock itself out.
#[utoipa::path(delete, path = "/api/v1/admin/staff/{id}/tokens/{token_id}", tag = "admin",
    params(("id" = Uuid, Path), ("token_id" = Uuid, Path)), security(("staff_token" = [])),
    responses((status = 200, body = StaffTokenDto), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: StaffCaller,
    ApiPath((id, token_id)): ApiPath<(Uuid, Uuid)>,
) -> Result<Json<StaffTokenDto>, ApiError> {
    let actor = actor(&caller)?;
    if caller.1 == token_id {
        return Err(ServiceError::rule(
            "cannot_revoke_current_token",
            "token_id",
            "This request uses that token; revoke it with another token or from the console.",
        )
        .into());
    }
    Ok(Json(
        staff_admin::revoke_token(&state.db, &state.clock, &actor, id, token_id).await?,
    ))
}
