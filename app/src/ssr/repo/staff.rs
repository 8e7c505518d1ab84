use chrono::{DateTime, Utc};
use entity::{login_attempts, staff_tokens, staff_users};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::domain::StaffRole;
use crate::dto::StaffDto;

/// A staff row whose role text is not a known role is treated as having no access,
/// rather than guessing.
pub fn to_dto(row: &staff_users::Model) -> Option<StaffDto> {
    let role: StaffRole = row.role.parse().ok()?;
    Some(StaffDto {
        id: row.id,
        email: row.email.clone(),
        name: row.name.clone(),
        role,
    })
}

pub async fn find_by_email<C: ConnectionTrait>(
    db: &C,
    email: &str,
) -> Result<Option<staff_users::Model>, sea_orm::DbErr> {
    staff_users::Entity::find()
        .filter(staff_users::Column::Email.eq(email))
        .one(db)
        .await
}

pub async fn find_by_id<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> Result<Option<staff_users::Model>, sea_orm::DbErr> {
    staff_users::Entity::find_by_id(id).one(db).await
}

pub struct NewStaff<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: StaffRole,
    pub password_hash: String,
    /// The hash of a one-time setup link and its expiry, for an invitation.
    pub setup: Option<(String, DateTime<Utc>)>,
}

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    new: NewStaff<'_>,
    now: DateTime<Utc>,
) -> Result<staff_users::Model, sea_orm::DbErr> {
    staff_users::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(new.email.to_string()),
        name: Set(new.name.to_string()),
        role: Set(new.role.as_str().to_string()),
        password_hash: Set(new.password_hash),
        active: Set(true),
        setup_token_hash: Set(new.setup.as_ref().map(|s| s.0.clone())),
        setup_expires_at: Set(new.setup.map(|s| s.1)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
}

pub async fn insert_token<C: ConnectionTrait>(
    db: &C,
    staff_id: Uuid,
    token_hash: String,
    now: DateTime<Utc>,
) -> Result<staff_tokens::Model, sea_orm::DbErr> {
    staff_tokens::ActiveModel {
        id: Set(Uuid::now_v7()),
        staff_id: Set(staff_id),
        token_hash: Set(token_hash),
        created_at: Set(now),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await
}

/// The staff member owning an unrevoked token with this hash.
pub async fn find_by_token_hash<C: ConnectionTrait>(
    db: &C,
    token_hash: &str,
) -> Result<Option<(staff_tokens::Model, staff_users::Model)>, sea_orm::DbErr> {
    let Some(token) = staff_tokens::Entity::find()
        .filter(staff_tokens::Column::TokenHash.eq(token_hash))
        .filter(staff_tokens::Column::RevokedAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let staff = find_by_id(db, token.staff_id).await?;
    Ok(staff.map(|s| (token, s)))
}

pub async fn touch_token<C: ConnectionTrait>(
    db: &C,
    token: staff_tokens::Model,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let mut active: staff_tokens::ActiveModel = token.into();
    active.last_used_at = Set(Some(now));
    active.update(db).await?;
    Ok(())
}

/// Records a sign-in attempt; returns its id (to mark it succeeded once it has).
pub async fn record_login_attempt<C: ConnectionTrait>(
    db: &C,
    email: &str,
    client_addr: Option<String>,
    now: DateTime<Utc>,
) -> Result<Uuid, sea_orm::DbErr> {
    let id = Uuid::now_v7();
    login_attempts::ActiveModel {
        id: Set(id),
        email: Set(email.to_string()),
        succeeded: Set(false),
        client_addr: Set(client_addr),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(id)
}

pub async fn mark_attempt_succeeded<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> Result<(), sea_orm::DbErr> {
    login_attempts::Entity::update_many()
        .col_expr(login_attempts::Column::Succeeded, true.into())
        .filter(login_attempts::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn delete_attempt<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<(), sea_orm::DbErr> {
    login_attempts::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// Deletes sign-in attempts recorded before `before` (housekeeping): the throttle only
/// ever reads the last window.
pub async fn purge_login_attempts<C: ConnectionTrait>(
    db: &C,
    before: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    Ok(login_attempts::Entity::delete_many()
        .filter(login_attempts::Column::CreatedAt.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}

/// Failed attempts for `email` since `since` and after the last successful sign-in,
/// plus the time of the oldest of them (when the throttle window starts to clear).
pub async fn recent_failures<C: ConnectionTrait>(
    db: &C,
    email: &str,
    since: DateTime<Utc>,
) -> Result<(u64, Option<DateTime<Utc>>), sea_orm::DbErr> {
    let last_success = login_attempts::Entity::find()
        .filter(login_attempts::Column::Email.eq(email))
        .filter(login_attempts::Column::Succeeded.eq(true))
        .filter(login_attempts::Column::CreatedAt.gte(since))
        .order_by_desc(login_attempts::Column::CreatedAt)
        .one(db)
        .await?
        .map(|a| a.created_at);
    let from = last_success.map_or(since, |t| t.max(since));
    count_and_oldest(
        db,
        login_attempts::Entity::find()
            .filter(login_attempts::Column::Email.eq(email))
            .filter(login_attempts::Column::Succeeded.eq(false))
            .filter(login_attempts::Column::CreatedAt.gte(from)),
    )
    .await
}

/// How many attempts `failures` selects, and when the oldest of them was made.
async fn count_and_oldest<C: ConnectionTrait>(
    db: &C,
    failures: sea_orm::Select<login_attempts::Entity>,
) -> Result<(u64, Option<DateTime<Utc>>), sea_orm::DbErr> {
    let count = failures.clone().count(db).await?;
    let oldest = failures
        .order_by_asc(login_attempts::Column::CreatedAt)
        .one(db)
        .await?
        .map(|a| a.created_at);
    Ok((count, oldest))
}

/// Failed attempts from `addr` since `since`, whatever the e-mail (a success does not
/// reset it: an attacker's own account must not open the door to guessing others'),
/// and the time of the oldest.
pub async fn recent_failures_from<C: ConnectionTrait>(
    db: &C,
    addr: &str,
    since: DateTime<Utc>,
) -> Result<(u64, Option<DateTime<Utc>>), sea_orm::DbErr> {
    count_and_oldest(
        db,
        login_attempts::Entity::find()
            .filter(login_attempts::Column::ClientAddr.eq(addr))
            .filter(login_attempts::Column::Succeeded.eq(false))
            .filter(login_attempts::Column::CreatedAt.gte(since)),
    )
    .await
}

/// Forgets the failed attempts of `email` (an admin lifting its lock).
pub async fn clear_failures<C: ConnectionTrait>(
    db: &C,
    email: &str,
) -> Result<u64, sea_orm::DbErr> {
    Ok(login_attempts::Entity::delete_many()
        .filter(login_attempts::Column::Email.eq(email))
        .filter(login_attempts::Column::Succeeded.eq(false))
        .exec(db)
        .await?
        .rows_affected)
}

/// Every staff account whose e-mail or name contains `q` (all when empty), by e-mail.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    q: &str,
) -> Result<Vec<staff_users::Model>, sea_orm::DbErr> {
    let mut find = staff_users::Entity::find().order_by_asc(staff_users::Column::Email);
    let q = q.trim().to_lowercase();
    if !q.is_empty() {
        find = find.filter(
            sea_orm::Condition::any()
                .add(staff_users::Column::Email.contains(&q))
                .add(staff_users::Column::Name.contains(&q)),
        );
    }
    find.all(db).await
}

pub async fn count_active_admins<C: ConnectionTrait>(db: &C) -> Result<u64, sea_orm::DbErr> {
    staff_users::Entity::find()
        .filter(staff_users::Column::Role.eq(StaffRole::Admin.as_str()))
        .filter(staff_users::Column::Active.eq(true))
        .count(db)
        .await
}

pub async fn find_by_setup_hash<C: ConnectionTrait>(
    db: &C,
    hash: &str,
) -> Result<Option<staff_users::Model>, sea_orm::DbErr> {
    staff_users::Entity::find()
        .filter(staff_users::Column::SetupTokenHash.eq(hash))
        .one(db)
        .await
}

pub async fn tokens_of<C: ConnectionTrait>(
    db: &C,
    staff_id: Uuid,
) -> Result<Vec<staff_tokens::Model>, sea_orm::DbErr> {
    staff_tokens::Entity::find()
        .filter(staff_tokens::Column::StaffId.eq(staff_id))
        .order_by_desc(staff_tokens::Column::CreatedAt)
        .all(db)
        .await
}

/// Revokes every unrevoked token of `staff_id`; returns how many.
pub async fn revoke_all_tokens<C: ConnectionTrait>(
    db: &C,
    staff_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    Ok(staff_tokens::Entity::update_many()
        .col_expr(staff_tokens::Column::RevokedAt, Some(now).into())
        .filter(staff_tokens::Column::StaffId.eq(staff_id))
        .filter(staff_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}
