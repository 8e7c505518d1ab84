//! Credentials: password hashing, staff API tokens, and the staff session.

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use rand::RngCore;
use sha2::{Digest, Sha256};
use tower_sessions::Session;

use super::{AppState, ServiceError, services};
use crate::domain::StaffRole;
use crate::dto::StaffDto;
use crate::error::AppError;

/// Session key holding the signed-in staff member's id.
pub const STAFF_SESSION_KEY: &str = "staff_id";
/// Session key holding the signed-in customer's id (set after a verified auth-service token).
pub const CUSTOMER_SESSION_KEY: &str = "customer_id";

/// Argon2id with the crate's defaults (19 MiB, t=2, p=1: OWASP's recommendation).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))?;
    Ok(hash.to_string())
}

pub fn verify_password(stored_hash: &str, password: &str) -> bool {
    match PasswordHash::new(stored_hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Burns the same time as a real verification, so an unknown e-mail cannot be told
/// apart from a wrong password by timing.
pub fn verify_against_dummy(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = DUMMY.get_or_init(|| hash_password("dummy password for timing").unwrap_or_default());
    let _ = verify_password(hash, password);
}

/// Compares secrets without stopping at the first difference, so the time taken tells
/// nothing about how much of a forged value was right.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `bytes` random bytes from the OS-seeded generator, hex-encoded (nonces, states).
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0_u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

/// A new staff API token and the hash we store. The token has 256 random bits, so a
/// plain SHA-256 is enough (no salt/stretching needed, and lookups stay indexable).
pub fn new_api_token() -> (String, String) {
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("kbs_{}", hex::encode(bytes));
    let hash = hash_token(&token);
    (token, hash)
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The Leptos context of the current request: state and session.
pub async fn request_context() -> Result<(AppState, Session), AppError> {
    let state = leptos::prelude::use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the Leptos context");
        AppError::Internal
    })?;
    let session = leptos_axum::extract::<Session>().await.map_err(|e| {
        tracing::error!(error = %e, "session layer missing");
        AppError::Internal
    })?;
    Ok((state, session))
}

/// The staff member of this session, if any (and still active).
pub async fn session_staff(
    state: &AppState,
    session: &Session,
) -> Result<Option<StaffDto>, ServiceError> {
    let id: Option<uuid::Uuid> = session
        .get(STAFF_SESSION_KEY)
        .await
        .map_err(|e| anyhow::anyhow!("reading session: {e}"))?;
    match id {
        Some(id) => services::staff::find_active(&state.db, id).await,
        None => Ok(None),
    }
}

/// The customer of this session, if any.
pub async fn session_customer(
    state: &AppState,
    session: &Session,
) -> Result<Option<crate::dto::CustomerDto>, ServiceError> {
    let id: Option<uuid::Uuid> = session
        .get(CUSTOMER_SESSION_KEY)
        .await
        .map_err(|e| anyhow::anyhow!("reading session: {e}"))?;
    match id {
        Some(id) => services::customers::find(&state.db, id).await,
        None => Ok(None),
    }
}

/// Signs a verified customer into this browser session. The id is cycled first
/// (no session fixation); a staff sign-in in the same browser is kept.
pub async fn start_customer_session(session: &Session, customer: uuid::Uuid) -> anyhow::Result<()> {
    session
        .cycle_id()
        .await
        .map_err(|e| anyhow::anyhow!("cycling the session id: {e}"))?;
    session
        .insert(CUSTOMER_SESSION_KEY, customer)
        .await
        .map_err(|e| anyhow::anyhow!("storing the customer session: {e}"))
}

/// The check every customer server function starts with.
pub async fn require_customer() -> Result<(AppState, crate::dto::CustomerDto), AppError> {
    let (state, session) = request_context().await?;
    let customer = session_customer(&state, &session)
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
    Ok((state, customer))
}

/// The role check every admin server function starts with. Route guards only help the
/// user; this is the check that counts.
pub async fn require_staff(
    allowed: fn(StaffRole) -> bool,
) -> Result<(AppState, StaffDto), AppError> {
    let (state, session) = request_context().await?;
    let staff = session_staff(&state, &session)
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
    if !allowed(staff.role) {
        return Err(ServiceError::Forbidden.into());
    }
    Ok((state, staff))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_verifies_only_the_right_password() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&hash, "correct horse battery"));
        assert!(!verify_password(&hash, "wrong"));
        assert!(!verify_password("not a hash", "anything"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, ha) = new_api_token();
        let (b, _) = new_api_token();
        assert_ne!(a, b);
        assert_eq!(hash_token(&a), ha);
        assert_ne!(a, ha);
        assert_eq!(a.len(), 4 + 64);
    }
}
