//! A payment's timeline (`payment_events`): what happened to it, when, and who said so
//! (`api`, `webhook`, `poll`, `renewal`, `support`…). Append-only.

use chrono::{DateTime, Utc};
use entity::payment_events;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::ssr::ServiceError;

/// One line, for [`insert_many`] (batches write many at once).
pub fn line(
    payment_id: Uuid,
    kind: &str,
    source: &str,
    payload: Option<String>,
    note: Option<String>,
    now: DateTime<Utc>,
) -> payment_events::ActiveModel {
    payment_events::ActiveModel {
        id: Set(Uuid::now_v7()),
        payment_id: Set(payment_id),
        kind: Set(kind.to_string()),
        source: Set(source.to_string()),
        dedupe_key: Set(None),
        payload: Set(payload),
        note: Set(note),
        created_at: Set(now),
    }
}

/// Appends one line.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    payment_id: Uuid,
    kind: &str,
    source: &str,
    payload: Option<String>,
    note: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    line(payment_id, kind, source, payload, note, now)
        .insert(db)
        .await?;
    Ok(())
}

/// Appends many lines in one statement.
pub async fn insert_many<C: ConnectionTrait>(
    db: &C,
    lines: Vec<payment_events::ActiveModel>,
) -> Result<(), ServiceError> {
    if lines.is_empty() {
        return Ok(());
    }
    payment_events::Entity::insert_many(lines)
        .exec_without_returning(db)
        .await?;
    Ok(())
}
