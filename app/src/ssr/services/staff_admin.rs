//! The staff lifecycle an admin runs (console, REST and CLI alike): invite or create,
//! change name and role, deactivate (its sessions and API tokens stop at once), lift a
//! sign-in lock, list and revoke API tokens; and each member's own password. Every
//! change is audit-logged in the transaction that makes it.

use chrono::{DateTime, TimeDelta, Utc};
use entity::{staff_tokens, staff_users};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection};
use uuid::Uuid;

use super::staff::{MAX_FAILED_LOGINS, THROTTLE_WINDOW, check_password};
use crate::domain::validation::{validate_email, validate_new_password};
use crate::domain::{DomainError, StaffRole};
use crate::dto::{NewStaffTokenDto, StaffInviteDto, StaffMemberDto, StaffTokenDto};
use crate::ssr::ServiceError;
use crate::ssr::auth::{hash_password, hash_token, new_api_token, random_hex};
use crate::ssr::clock::SharedClock;
use crate::ssr::repo::audit::{self, Actor, AuditEntry};
use crate::ssr::repo::{begin_write, staff as repo};
use crate::ssr::time::rfc3339;

/// How long an invitation's password-setup link works.
pub const SETUP_LINK_VALID: TimeDelta = TimeDelta::hours(72);

/// What an admin fills in to add a member. Without a password the answer carries a
/// one-time setup link for the new member instead.
#[derive(Debug, Default)]
pub struct NewMember<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub password: Option<&'a str>,
}

/// The fields a patch may change; `None` leaves one as it is.
#[derive(Debug, Default)]
pub struct MemberPatch {
    pub name: Option<String>,
    pub role: Option<String>,
    pub active: Option<bool>,
}

fn not_found() -> ServiceError {
    ServiceError::NotFound {
        entity: "staff member",
    }
}

async fn lock_of(
    db: &impl sea_orm::ConnectionTrait,
    email: &str,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, ServiceError> {
    let (failures, oldest) = repo::recent_failures(db, email, now - THROTTLE_WINDOW).await?;
    Ok((failures >= MAX_FAILED_LOGINS)
        .then(|| oldest.map(|t| t + THROTTLE_WINDOW))
        .flatten())
}

async fn member(
    db: &impl sea_orm::ConnectionTrait,
    row: &staff_users::Model,
    now: DateTime<Utc>,
) -> Result<StaffMemberDto, ServiceError> {
    let role = row.role.parse().map_err(|_| {
        ServiceError::Unexpected(anyhow::anyhow!(
            "staff {} has unknown role {}",
            row.id,
            row.role
        ))
    })?;
    Ok(StaffMemberDto {
        id: row.id,
        email: row.email.clone(),
        name: row.name.clone(),
        role,
        active: row.active,
        created_at: rfc3339(row.created_at),
        updated_at: rfc3339(row.updated_at),
        locked_until: lock_of(db, &row.email, now).await?.map(rfc3339),
        setup_pending: row.setup_token_hash.is_some(),
    })
}

fn audit_view(row: &staff_users::Model) -> serde_json::Value {
    serde_json::json!({"email": row.email, "name": row.name, "role": row.role, "active": row.active})
}

/// One audit row, with no "before", about a staff account or one of its tokens.
async fn audit_change(
    txn: &impl sea_orm::ConnectionTrait,
    actor: &Actor,
    action: &str,
    entity_type: &str,
    entity_id: Uuid,
    after: Option<serde_json::Value>,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    audit::record(
        txn,
        AuditEntry {
            actor,
            action,
            entity_type,
            entity_id: entity_id.to_string(),
            before: None,
            after,
        },
        now,
    )
    .await
}

fn token_dto(row: &staff_tokens::Model) -> StaffTokenDto {
    StaffTokenDto {
        id: row.id,
        staff_id: row.staff_id,
        created_at: rfc3339(row.created_at),
        last_used_at: row.last_used_at.map(rfc3339),
        revoked_at: row.revoked_at.map(rfc3339),
    }
}

/// Every member whose e-mail or name contains `q`, by e-mail.
pub async fn list(
    db: &DatabaseConnection,
    clock: &SharedClock,
    q: &str,
) -> Result<Vec<StaffMemberDto>, ServiceError> {
    let now = clock.now();
    let mut out = Vec::new();
    for row in repo::list(db, q).await? {
        out.push(member(db, &row, now).await?);
    }
    Ok(out)
}

pub async fn get(
    db: &DatabaseConnection,
    clock: &SharedClock,
    id: Uuid,
) -> Result<StaffMemberDto, ServiceError> {
    let row = repo::find_by_id(db, id).await?.ok_or_else(not_found)?;
    member(db, &row, clock.now()).await
}

/// Adds a member: with a password, ready to sign in; without, with a setup link
/// (`{public_url}/admin/setup-password?token=…`) valid for [`SETUP_LINK_VALID`].
pub async fn invite(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    public_url: &str,
    new: NewMember<'_>,
) -> Result<StaffInviteDto, ServiceError> {
    let mut errors = Vec::new();
    let email = validate_email(new.email).map_err(|e| errors.push(e)).ok();
    let role = new
        .role
        .parse::<StaffRole>()
        .map_err(|_| {
            errors.push(DomainError::invalid(
                "role",
                "choose admin, marketing or support",
            ))
        })
        .ok();
    let password = new.password.filter(|p| !p.is_empty());
    if let Some(p) = password
        && let Err(e) = validate_new_password(p)
    {
        errors.push(e);
    }
    if new.name.chars().count() > 120 {
        errors.push(DomainError::invalid("name", "use at most 120 characters"));
    }
    let (Some(email), Some(role), true) = (email, role, errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    let name = match new.name.trim() {
        "" => email.split('@').next().unwrap_or(&email).to_string(),
        n => n.to_string(),
    };
    let now = clock.now();
    let (password_hash, setup_link) = match password {
        Some(p) => (hash_password(p)?, None),
        None => {
            // No password anyone knows: only the setup link opens the account.
            let token = format!("kbp_{}", random_hex(32));
            (
                hash_password(&random_hex(32))?,
                Some((token, now + SETUP_LINK_VALID)),
            )
        }
    };
    let txn = begin_write(db).await?;
    if repo::find_by_email(&txn, &email).await?.is_some() {
        return Err(ServiceError::Conflict {
            code: "staff_exists",
            message: format!("A staff member with e-mail {email} already exists."),
        });
    }
    let row = repo::insert(
        &txn,
        repo::NewStaff {
            email: &email,
            name: &name,
            role,
            password_hash,
            setup: setup_link
                .as_ref()
                .map(|(token, until)| (hash_token(token), *until)),
        },
        now,
    )
    .await?;
    let action = if setup_link.is_some() {
        "staff.invited"
    } else {
        "staff.created"
    };
    audit_change(
        &txn,
        actor,
        action,
        "staff",
        row.id,
        Some(audit_view(&row)),
        now,
    )
    .await?;
    let staff = member(&txn, &row, now).await?;
    txn.commit().await?;
    Ok(StaffInviteDto {
        staff,
        setup_url: setup_link.as_ref().map(|(token, _)| {
            format!(
                "{}/admin/setup-password?token={token}",
                public_url.trim_end_matches('/')
            )
        }),
        setup_expires_at: setup_link.map(|(_, until)| rfc3339(until)),
    })
}

/// Changes name, role or active. An admin cannot take their own access away, and the
/// last active admin cannot be demoted or deactivated: someone must be able to undo it.
pub async fn update(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    id: Uuid,
    patch: MemberPatch,
) -> Result<StaffMemberDto, ServiceError> {
    let mut errors = Vec::new();
    let role = patch
        .role
        .as_deref()
        .map(|r| {
            r.parse::<StaffRole>().map_err(|_| {
                errors.push(DomainError::invalid(
                    "role",
                    "choose admin, marketing or support",
                ))
            })
        })
        .transpose()
        .ok()
        .flatten();
    let name = patch.name.as_deref().map(str::trim);
    if name.is_some_and(|n| n.is_empty() || n.chars().count() > 120) {
        errors.push(DomainError::invalid("name", "use 1 to 120 characters"));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let now = clock.now();
    let txn = begin_write(db).await?;
    let row = repo::find_by_id(&txn, id).await?.ok_or_else(not_found)?;
    let was_admin = row.active && row.role == StaffRole::Admin.as_str();
    let stays_admin = patch.active.unwrap_or(row.active)
        && role.map_or(row.role == StaffRole::Admin.as_str(), |r| {
            r == StaffRole::Admin
        });
    if was_admin && !stays_admin {
        if actor.id == Some(id) {
            return Err(ServiceError::rule(
                "cannot_change_own_access",
                "role",
                "You cannot remove your own admin access; ask another admin.",
            ));
        }
        if repo::count_active_admins(&txn).await? <= 1 {
            return Err(ServiceError::Conflict {
                code: "last_admin",
                message: "This is the only active admin; make someone else admin first."
                    .to_string(),
            });
        }
    }
    if patch.active == Some(false) && actor.id == Some(id) {
        return Err(ServiceError::rule(
            "cannot_change_own_access",
            "active",
            "You cannot deactivate your own account; ask another admin.",
        ));
    }
    let before = audit_view(&row);
    let deactivated = row.active && patch.active == Some(false);
    let mut active: staff_users::ActiveModel = row.clone().into();
    if let Some(name) = name {
        active.name = Set(name.to_string());
    }
    if let Some(role) = role {
        active.role = Set(role.as_str().to_string());
    }
    if let Some(a) = patch.active {
        active.active = Set(a);
    }
    if deactivated {
        // A setup link must not bring a deactivated account back.
        active.setup_token_hash = Set(None);
        active.setup_expires_at = Set(None);
    }
    active.updated_at = Set(now);
    let row = active.update(&txn).await?;
    let revoked = if deactivated {
        // Sessions stop because every request re-reads `active`; tokens are revoked so a
        // later reactivation does not bring old, possibly leaked, tokens back.
        repo::revoke_all_tokens(&txn, id, now).await?
    } else {
        0
    };
    let after = audit_view(&row);
    if before != after {
        audit::record(
            &txn,
            AuditEntry {
                actor,
                action: if deactivated {
                    "staff.deactivated"
                } else {
                    "staff.updated"
                },
                entity_type: "staff",
                entity_id: id.to_string(),
                before: Some(before),
                after: Some(if deactivated {
                    serde_json::json!({"staff": after, "tokens_revoked": revoked})
                } else {
                    after
                }),
            },
            now,
        )
        .await?;
    }
    let dto = member(&txn, &row, now).await?;
    txn.commit().await?;
    Ok(dto)
}

/// Lifts a sign-in lock before it ends by itself (the owner called support).
pub async fn unlock(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    id: Uuid,
) -> Result<StaffMemberDto, ServiceError> {
    let now = clock.now();
    let txn = begin_write(db).await?;
    let row = repo::find_by_id(&txn, id).await?.ok_or_else(not_found)?;
    let cleared = repo::clear_failures(&txn, &row.email).await?;
    audit_change(
        &txn,
        actor,
        "staff.unlocked",
        "staff",
        id,
        Some(serde_json::json!({"failed_attempts_cleared": cleared})),
        now,
    )
    .await?;
    let dto = member(&txn, &row, now).await?;
    txn.commit().await?;
    Ok(dto)
}

async fn store_password(
    txn: &impl sea_orm::ConnectionTrait,
    row: staff_users::Model,
    password: &str,
    now: DateTime<Utc>,
) -> Result<staff_users::Model, ServiceError> {
    let mut active: staff_users::ActiveModel = row.into();
    active.password_hash = Set(hash_password(password)?);
    active.setup_token_hash = Set(None);
    active.setup_expires_at = Set(None);
    active.updated_at = Set(now);
    Ok(active.update(txn).await?)
}

/// A member changes their own password; the current one must be right.
pub async fn change_own_password(
    db: &DatabaseConnection,
    clock: &SharedClock,
    staff_id: Uuid,
    current: &str,
    new: &str,
) -> Result<(), ServiceError> {
    validate_new_password(new)
        .map_err(|e| DomainError::invalid("new_password", e.message().to_string()))?;
    let row = repo::find_by_id(db, staff_id)
        .await?
        .filter(|r| r.active)
        .ok_or(ServiceError::Unauthenticated)?;
    if !check_password(Some(row.password_hash.clone()), current.to_string()).await? {
        return Err(ServiceError::rule(
            "wrong_password",
            "current_password",
            "The current password is not right.",
        ));
    }
    let now = clock.now();
    let txn = begin_write(db).await?;
    let row = store_password(&txn, row, new, now).await?;
    let own = Actor::staff(row.id, &row.email);
    audit_change(
        &txn,
        &own,
        "staff.password_changed",
        "staff",
        row.id,
        None,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Sets a member's password (CLI: an operator resetting a forgotten one).
pub async fn set_password(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    email_input: &str,
    new: &str,
) -> Result<StaffMemberDto, ServiceError> {
    let email = validate_email(email_input)?;
    validate_new_password(new)?;
    let now = clock.now();
    let txn = begin_write(db).await?;
    let row = repo::find_by_email(&txn, &email)
        .await?
        .ok_or_else(not_found)?;
    let row = store_password(&txn, row, new, now).await?;
    audit_change(
        &txn,
        actor,
        "staff.password_reset",
        "staff",
        row.id,
        None,
        now,
    )
    .await?;
    let dto = member(&txn, &row, now).await?;
    txn.commit().await?;
    Ok(dto)
}

/// An invited member sets their first password with the link's token. The link works
/// once, until it expires, and only for an active account.
pub async fn complete_setup(
    db: &DatabaseConnection,
    clock: &SharedClock,
    token: &str,
    password: &str,
) -> Result<StaffMemberDto, ServiceError> {
    validate_new_password(password)?;
    let invalid = || {
        ServiceError::rule(
            "setup_link_invalid",
            "token",
            "This link is not valid any more. Ask an admin for a new invitation.",
        )
    };
    if token.is_empty() || token.len() > 200 {
        return Err(invalid());
    }
    let now = clock.now();
    let txn = begin_write(db).await?;
    let row = repo::find_by_setup_hash(&txn, &hash_token(token))
        .await?
        .filter(|r| r.active && r.setup_expires_at.is_some_and(|t| t > now))
        .ok_or_else(invalid)?;
    let row = store_password(&txn, row, password, now).await?;
    let own = Actor::staff(row.id, &row.email);
    audit_change(
        &txn,
        &own,
        "staff.setup_completed",
        "staff",
        row.id,
        None,
        now,
    )
    .await?;
    let dto = member(&txn, &row, now).await?;
    txn.commit().await?;
    Ok(dto)
}

pub async fn tokens(
    db: &DatabaseConnection,
    staff_id: Uuid,
) -> Result<Vec<StaffTokenDto>, ServiceError> {
    repo::find_by_id(db, staff_id)
        .await?
        .ok_or_else(not_found)?;
    Ok(repo::tokens_of(db, staff_id)
        .await?
        .iter()
        .map(token_dto)
        .collect())
}

/// Mints a token for an active member (shown once).
pub async fn mint_token(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    staff_id: Uuid,
) -> Result<NewStaffTokenDto, ServiceError> {
    let now = clock.now();
    let txn = begin_write(db).await?;
    let staff = repo::find_by_id(&txn, staff_id)
        .await?
        .filter(|s| s.active)
        .ok_or_else(not_found)?;
    let (token, token_hash) = new_api_token();
    let row = repo::insert_token(&txn, staff.id, token_hash, now).await?;
    audit_change(
        &txn,
        actor,
        "staff.token_created",
        "staff_token",
        row.id,
        Some(serde_json::json!({"staff_id": staff.id})),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(NewStaffTokenDto {
        token,
        details: token_dto(&row),
    })
}

/// Revokes one token of `staff_id`; revoking a revoked token changes nothing.
pub async fn revoke_token(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    staff_id: Uuid,
    token_id: Uuid,
) -> Result<StaffTokenDto, ServiceError> {
    let now = clock.now();
    let txn = begin_write(db).await?;
    let row = repo::tokens_of(&txn, staff_id)
        .await?
        .into_iter()
        .find(|t| t.id == token_id)
        .ok_or(ServiceError::NotFound {
            entity: "API token",
        })?;
    if row.revoked_at.is_some() {
        return Ok(token_dto(&row));
    }
    let mut active: staff_tokens::ActiveModel = row.into();
    active.revoked_at = Set(Some(now));
    let row = active.update(&txn).await?;
    audit_change(
        &txn,
        actor,
        "staff.token_revoked",
        "staff_token",
        row.id,
        Some(serde_json::json!({"staff_id": staff_id})),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(token_dto(&row))
}
