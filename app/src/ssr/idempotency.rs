//! Idempotency keys with Stripe's semantics (ARCHITECTURE.md): the first request with a
//! key runs; its response is stored and replayed for 24 h; the same key with another body
//! is refused (`idempotency_mismatch`); the same key while the first is still running is
//! refused (`idempotency_in_progress`). Keys are scoped per caller. The claim is a row
//! insert, so concurrent requests on any number of instances agree on one winner.

use chrono::{DateTime, TimeDelta, Utc};
use entity::idempotency_keys;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use sha2::{Digest, Sha256};

use super::ServiceError;
use super::repo::is_unique_violation;

/// How long a stored response is replayed.
pub const RETENTION: TimeDelta = TimeDelta::hours(24);
/// A claim older than this with no response belongs to a request that died (a crashed
/// instance); a retry may take it over.
const ABANDONED_AFTER: TimeDelta = TimeDelta::minutes(5);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This request owns the key: run it, then `complete` (or `release` on a 5xx).
    Proceed,
    /// Done before: answer with the stored response.
    Replay {
        status: u16,
        body: String,
    },
    Mismatch,
    InProgress,
}

/// `1-255` printable ASCII characters (API.md).
pub fn validate_key(key: &str) -> Result<(), ServiceError> {
    if !key.is_empty() && key.len() <= 255 && key.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        Ok(())
    } else {
        Err(ServiceError::Rule {
            code: "invalid_idempotency_key",
            field: "idempotency_key",
            message: "Idempotency-Key must be 1 to 255 printable ASCII characters.".into(),
        })
    }
}

/// Fingerprint of the request a key was first used for.
pub fn request_hash(method: &str, path: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update(b" ");
    h.update(path.as_bytes());
    h.update(b"\n");
    h.update(body);
    hex::encode(h.finalize())
}

async fn find<C: ConnectionTrait>(
    db: &C,
    scope: &str,
    key: &str,
) -> Result<Option<idempotency_keys::Model>, ServiceError> {
    Ok(idempotency_keys::Entity::find()
        .filter(idempotency_keys::Column::Scope.eq(scope))
        .filter(idempotency_keys::Column::Key.eq(key))
        .one(db)
        .await?)
}

async fn delete<C: ConnectionTrait>(db: &C, scope: &str, key: &str) -> Result<(), ServiceError> {
    idempotency_keys::Entity::delete_many()
        .filter(idempotency_keys::Column::Scope.eq(scope))
        .filter(idempotency_keys::Column::Key.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn claim<C: ConnectionTrait>(
    db: &C,
    scope: &str,
    key: &str,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<Claim, ServiceError> {
    validate_key(key)?;
    for _ in 0..3 {
        let row = idempotency_keys::ActiveModel {
            scope: Set(scope.to_string()),
            key: Set(key.to_string()),
            request_hash: Set(hash.to_string()),
            response_status: Set(None),
            response_body: Set(None),
            created_at: Set(now),
            completed_at: Set(None),
        };
        match row.insert(db).await {
            Ok(_) => return Ok(Claim::Proceed),
            Err(e) if is_unique_violation(&e) => {}
            Err(e) => return Err(e.into()),
        }
        let Some(existing) = find(db, scope, key).await? else {
            // Released between our insert and read: try again.
            continue;
        };
        let expired = existing.created_at + RETENTION < now;
        let abandoned =
            existing.response_status.is_none() && existing.created_at + ABANDONED_AFTER < now;
        if expired || abandoned {
            idempotency_keys::Entity::delete_many()
                .filter(idempotency_keys::Column::Scope.eq(scope))
                .filter(idempotency_keys::Column::Key.eq(key))
                .filter(idempotency_keys::Column::CreatedAt.eq(existing.created_at))
                .exec(db)
                .await?;
            continue;
        }
        if existing.request_hash != hash {
            return Ok(Claim::Mismatch);
        }
        return Ok(match (existing.response_status, existing.response_body) {
            (Some(status), Some(body)) => Claim::Replay {
                status: u16::try_from(status).unwrap_or(200),
                body,
            },
            _ => Claim::InProgress,
        });
    }
    Ok(Claim::InProgress)
}

/// Stores the response of the request that owns the key.
pub async fn complete<C: ConnectionTrait>(
    db: &C,
    scope: &str,
    key: &str,
    status: u16,
    body: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    idempotency_keys::Entity::update_many()
        .col_expr(
            idempotency_keys::Column::ResponseStatus,
            Some(i32::from(status)).into(),
        )
        .col_expr(
            idempotency_keys::Column::ResponseBody,
            Some(body.to_string()).into(),
        )
        .col_expr(idempotency_keys::Column::CompletedAt, Some(now).into())
        .filter(idempotency_keys::Column::Scope.eq(scope))
        .filter(idempotency_keys::Column::Key.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// Gives the key back after a failure that is worth retrying (a 5xx): the retry then
/// runs for real, and the operations below are themselves idempotent.
pub async fn release<C: ConnectionTrait>(
    db: &C,
    scope: &str,
    key: &str,
) -> Result<(), ServiceError> {
    delete(db, scope, key).await
}

/// Keys older than the retention are useless; the housekeeping job calls this.
pub async fn purge_expired<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
) -> Result<u64, ServiceError> {
    Ok(idempotency_keys::Entity::delete_many()
        .filter(idempotency_keys::Column::CreatedAt.lt(now - RETENTION))
        .exec(db)
        .await?
        .rows_affected)
}

/// [`claim`] / [`complete`] for server functions, whose double submits must be as
/// harmless as a REST retry: the form carries a key issued with the page, the first
/// call runs `f` and stores its result, a repeat returns that result. A failed call
/// gives the key back, so the corrected form can be sent again with it.
pub async fn once<T, F, Fut>(
    db: &sea_orm::DatabaseConnection,
    now: DateTime<Utc>,
    scope: &str,
    key: &str,
    request: &str,
    f: F,
) -> Result<T, ServiceError>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<T, ServiceError>>,
{
    let hash = request_hash("RPC", scope, request.as_bytes());
    match claim(db, scope, key, &hash, now).await? {
        Claim::Proceed => {}
        Claim::Replay { body, .. } => {
            return serde_json::from_str(&body)
                .map_err(|e| ServiceError::Unexpected(anyhow::anyhow!("stored result: {e}")));
        }
        Claim::Mismatch => {
            return Err(ServiceError::rule(
                "idempotency_mismatch",
                "idempotency_key",
                "This form was already sent with other values. Reload the page to start again.",
            ));
        }
        Claim::InProgress => {
            return Err(ServiceError::Conflict {
                code: "idempotency_in_progress",
                message: "This form is still being processed. Wait a moment.".to_string(),
            });
        }
    }
    match f().await {
        Ok(value) => {
            let body = serde_json::to_string(&value)
                .map_err(|e| ServiceError::Unexpected(anyhow::anyhow!("storing a result: {e}")))?;
            complete(db, scope, key, 200, &body, now).await?;
            Ok(value)
        }
        Err(e) => {
            release(db, scope, key).await?;
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_printable_and_bounded() {
        assert!(validate_key("a").is_ok());
        assert!(validate_key(&"k".repeat(255)).is_ok());
        assert!(validate_key("").is_err());
        assert!(validate_key(&"k".repeat(256)).is_err());
        assert!(validate_key("tab\there").is_err());
        assert!(validate_key("ключ").is_err());
    }

    #[test]
    fn the_hash_covers_method_path_and_body() {
        let a = request_hash("POST", "/api/v1/checkout", b"{}");
        assert_eq!(a, request_hash("POST", "/api/v1/checkout", b"{}"));
        assert_ne!(a, request_hash("POST", "/api/v1/checkout", b"{ }"));
        assert_ne!(a, request_hash("PUT", "/api/v1/checkout", b"{}"));
    }
}
