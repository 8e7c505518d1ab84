//! A payment's timeline (`payment_events`): what happened to it, when, and who said so
//! (`api`, `webhook`, `poll`, `renewal`, `support`…). Append-only.

use chrono::{DateTime, Utc};
use entity::payment_events;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

use super::is_unique_violation;
use crate::ssr::ServiceError;

/// One line, for [`insert_many`] (`billing_event::record` writes a batch's lines at once).
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

/// A provider's notification as received: its dedupe key (provider and event id), the
/// timeline kind and the raw payload.
#[derive(Debug, Clone)]
pub struct EventRecord<'a> {
    pub dedupe_key: String,
    pub kind: &'a str,
    pub payload: String,
}

/// Appends the line of a provider's notification unless one with the same dedupe key
/// is there: `false` for a notification seen before (a replayed webhook), which the
/// caller then ignores (and rolls back: on PostgreSQL the refused insert poisoned the
/// transaction). The unique index decides, so two deliveries racing each other cannot
/// both pass.
pub async fn record_once<C: ConnectionTrait>(
    db: &C,
    payment_id: Uuid,
    event: &EventRecord<'_>,
    source: &str,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let mut row = line(
        payment_id,
        event.kind,
        source,
        Some(event.payload.clone()),
        None,
        now,
    );
    row.dedupe_key = Set(Some(event.dedupe_key.clone()));
    match row.insert(db).await {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The payment's whole timeline, oldest first.
pub async fn of_payment<C: ConnectionTrait>(
    db: &C,
    payment_id: Uuid,
) -> Result<Vec<payment_events::Model>, ServiceError> {
    Ok(payment_events::Entity::find()
        .filter(payment_events::Column::PaymentId.eq(payment_id))
        .order_by_asc(payment_events::Column::CreatedAt)
        .order_by_asc(payment_events::Column::Id)
        .all(db)
        .await?)
}
