//! The transactional outbox: every side effect on another system is a row written in
//! the same transaction as the state change it reports. Relays (next issue) deliver the
//! rows at least once; the row id is the message id consumers deduplicate on.

use chrono::{DateTime, Utc};
use entity::outbox;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde_json::Value;
use uuid::Uuid;

use super::ServiceError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    /// RabbitMQ exchange `billing.events`; `kind` is the routing key.
    Events,
    /// The notification service (and the customer's in-app list); `kind` is the notice.
    Notify,
    /// The auth service: `role.grant` / `role.revoke`.
    Auth,
}

impl Destination {
    pub fn as_str(self) -> &'static str {
        match self {
            Destination::Events => "events",
            Destination::Notify => "notify",
            Destination::Auth => "auth",
        }
    }
}

/// Several messages in one statement (a settlement writes four).
pub async fn enqueue_many<C: ConnectionTrait>(
    db: &C,
    messages: Vec<(Destination, &str, Value)>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if messages.is_empty() {
        return Ok(());
    }
    outbox::Entity::insert_many(
        messages.into_iter().map(|(destination, kind, payload)| {
            row(Uuid::now_v7(), destination, kind, payload, now)
        }),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

fn row(
    id: Uuid,
    destination: Destination,
    kind: &str,
    payload: Value,
    now: DateTime<Utc>,
) -> outbox::ActiveModel {
    outbox::ActiveModel {
        id: Set(id),
        destination: Set(destination.as_str().to_string()),
        kind: Set(kind.to_string()),
        payload: Set(payload),
        created_at: Set(now),
        available_at: Set(now),
        attempts: Set(0),
        last_error: Set(None),
        delivered_at: Set(None),
        dead_at: Set(None),
    }
}

pub async fn enqueue<C: ConnectionTrait>(
    db: &C,
    destination: Destination,
    kind: &str,
    payload: Value,
    now: DateTime<Utc>,
) -> Result<Uuid, ServiceError> {
    let id = Uuid::now_v7();
    outbox::Entity::insert(row(id, destination, kind, payload, now))
        .exec_without_returning(db)
        .await?;
    Ok(id)
}
