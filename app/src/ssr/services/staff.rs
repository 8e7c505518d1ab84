//! Staff accounts: sign-in with throttling, creation, API tokens.

use std::net::IpAddr;

use chrono::TimeDelta;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::domain::StaffRole;
use crate::domain::validation::{validate_email, validate_login_password, validate_new_password};
use crate::dto::StaffDto;
use crate::ssr::ServiceError;
use crate::ssr::auth::{hash_token, verify_against_dummy, verify_password};
use crate::ssr::clock::SharedClock;
use crate::ssr::repo::audit::Actor;
use crate::ssr::repo::staff as repo;

/// At most this many failed sign-ins per e-mail within [`THROTTLE_WINDOW`].
pub const MAX_FAILED_LOGINS: u64 = 5;
/// At most this many failed sign-ins from one client address within the window, over
/// all e-mails: one address cannot guess a few passwords of every account.
pub const MAX_FAILED_LOGINS_PER_ADDRESS: u64 = 20;
/// The lock ends by itself this long after the oldest failure counted in it.
pub const THROTTLE_WINDOW: TimeDelta = TimeDelta::minutes(15);

/// Checks credentials. After [`MAX_FAILED_LOGINS`] failures for the e-mail, or
/// [`MAX_FAILED_LOGINS_PER_ADDRESS`] from the client's address, inside the window the
/// password is not even checked, so guessing stops paying off.
#[tracing::instrument(skip(db, clock, password), fields(email = %email_input))]
pub async fn login(
    db: &DatabaseConnection,
    clock: &SharedClock,
    email_input: &str,
    password: &str,
    client: Option<IpAddr>,
) -> Result<StaffDto, ServiceError> {
    let mut errors = Vec::new();
    let email = validate_email(email_input).map_err(|e| errors.push(e)).ok();
    if let Err(e) = validate_login_password(password) {
        errors.push(e);
    }
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };

    let now = clock.now();
    // The attempt is recorded (as failed) before anything is checked, then counted:
    // every concurrent guess sees the ones recorded before it, so at most
    // MAX_FAILED_LOGINS of them ever reach the password check, however many race.
    let addr = client.map(|ip| ip.to_string());
    let attempt = repo::record_login_attempt(db, &email, addr.clone(), now).await?;
    let since = now - THROTTLE_WINDOW;
    let (by_email, oldest_by_email) = repo::recent_failures(db, &email, since).await?;
    let by_address = match &addr {
        Some(addr) => Some(repo::recent_failures_from(db, addr, since).await?),
        None => None,
    };
    let locked_since = if by_email > MAX_FAILED_LOGINS {
        Some(oldest_by_email)
    } else {
        by_address
            .filter(|(n, _)| *n > MAX_FAILED_LOGINS_PER_ADDRESS)
            .map(|(_, oldest)| oldest)
    };
    if let Some(oldest) = locked_since {
        // Not counted itself: refused attempts must not keep the lock closed for the
        // account's owner after the window of the real failures has passed.
        repo::delete_attempt(db, attempt).await?;
        let clears_at = oldest.unwrap_or(now) + THROTTLE_WINDOW;
        tracing::warn!("sign-in throttled");
        return Err(ServiceError::Throttled {
            retry_after_secs: (clears_at - now).num_seconds().max(1),
        });
    }

    let row = repo::find_by_email(db, &email).await?;
    let stored = row
        .as_ref()
        .filter(|r| r.active)
        .map(|r| r.password_hash.clone());
    let password_ok = check_password(stored, password.to_string()).await?;
    let staff = row.as_ref().filter(|_| password_ok).and_then(repo::to_dto);
    match staff {
        Some(staff) => {
            repo::mark_attempt_succeeded(db, attempt).await?;
            tracing::info!(staff = %staff.id, "staff signed in");
            Ok(staff)
        }
        None => {
            tracing::info!("sign-in failed");
            Err(ServiceError::InvalidCredentials)
        }
    }
}

/// How many password checks run at once. Each is deliberately slow (Argon2); more at
/// once would only queue on the cores and starve everything else.
const PASSWORD_CHECKS_AT_ONCE: usize = 2;

/// Checks `password` against `stored` (or burns the same time against a dummy when
/// there is no active account) on the blocking pool, never on the async runtime's
/// threads, a bounded number at a time.
pub(crate) async fn check_password(
    stored: Option<String>,
    password: String,
) -> Result<bool, ServiceError> {
    static CHECKS: tokio::sync::Semaphore =
        tokio::sync::Semaphore::const_new(PASSWORD_CHECKS_AT_ONCE);
    let _permit = CHECKS
        .acquire()
        .await
        .map_err(|e| ServiceError::Unexpected(anyhow::anyhow!("password checks closed: {e}")))?;
    tokio::task::spawn_blocking(move || match stored {
        Some(hash) => verify_password(&hash, &password),
        None => {
            verify_against_dummy(&password);
            false
        }
    })
    .await
    .map_err(|e| ServiceError::Unexpected(anyhow::anyhow!("password check failed: {e}")))
}

pub async fn find_active(
    db: &DatabaseConnection,
    id: Uuid,
) -> Result<Option<StaffDto>, ServiceError> {
    Ok(repo::find_by_id(db, id)
        .await?
        .filter(|row| row.active)
        .and_then(|row| repo::to_dto(&row)))
}

/// Creates a staff account with a password (CLI and seeding): `staff_admin::invite`
/// with the password required. The e-mail must be new.
pub async fn create(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    email_input: &str,
    name: &str,
    role: StaffRole,
    password: &str,
) -> Result<StaffDto, ServiceError> {
    // Required here: an empty password would make `invite` send a setup link instead.
    validate_new_password(password)?;
    let new = super::staff_admin::NewMember {
        email: email_input,
        name,
        role: role.as_str(),
        password: Some(password),
    };
    // No setup link is made when a password is given, so no public URL is needed.
    let member = super::staff_admin::invite(db, clock, actor, "", new)
        .await?
        .staff;
    Ok(StaffDto {
        id: member.id,
        email: member.email,
        name: member.name,
        role: member.role,
    })
}

/// Mints a new API token for an existing staff member and returns it (shown once).
pub async fn mint_token(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    email_input: &str,
) -> Result<String, ServiceError> {
    let email = validate_email(email_input)?;
    let staff = repo::find_by_email(db, &email)
        .await?
        .ok_or(ServiceError::NotFound {
            entity: "staff member",
        })?;
    Ok(super::staff_admin::mint_token(db, clock, actor, staff.id)
        .await?
        .token)
}

/// Resolves `Authorization: Bearer <token>` to an active staff member and the id of
/// the token they used.
pub async fn authenticate_token(
    db: &DatabaseConnection,
    clock: &SharedClock,
    token: &str,
) -> Result<(StaffDto, Uuid), ServiceError> {
    let (token_row, staff) = repo::find_by_token_hash(db, &hash_token(token))
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
    if !staff.active {
        return Err(ServiceError::Unauthenticated);
    }
    let dto = repo::to_dto(&staff).ok_or(ServiceError::Unauthenticated)?;
    let token_id = token_row.id;
    repo::touch_token(db, token_row, clock.now()).await?;
    Ok((dto, token_id))
}
