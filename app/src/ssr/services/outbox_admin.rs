//! The admin's view of the outbox: what is waiting, what died and why, "retry now".

use entity::outbox;
use sea_orm::sea_query::Condition;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

use super::notifications::{offset_cursor, parse_offset_cursor};
use crate::dto::{OutboxCountsDto, OutboxMessageDto, OutboxPageDto, RelayDto};
use crate::ssr::outbox::Destination;
use crate::ssr::time::rfc3339;
use crate::ssr::{AppState, ServiceError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxStatus {
    Pending,
    Dead,
    Delivered,
}

impl OutboxStatus {
    pub fn parse(s: &str) -> Result<OutboxStatus, ServiceError> {
        match s {
            "pending" => Ok(OutboxStatus::Pending),
            "dead" => Ok(OutboxStatus::Dead),
            "delivered" => Ok(OutboxStatus::Delivered),
            _ => Err(ServiceError::rule(
                "validation_failed",
                "status",
                "Choose pending, dead or delivered.",
            )),
        }
    }

    fn filter(self, q: Select<outbox::Entity>) -> Select<outbox::Entity> {
        match self {
            OutboxStatus::Pending => q
                .filter(outbox::Column::DeliveredAt.is_null())
                .filter(outbox::Column::DeadAt.is_null()),
            OutboxStatus::Dead => q.filter(outbox::Column::DeadAt.is_not_null()),
            OutboxStatus::Delivered => q.filter(outbox::Column::DeliveredAt.is_not_null()),
        }
    }
}

pub fn parse_destination(s: &str) -> Result<Destination, ServiceError> {
    match s {
        "events" => Ok(Destination::Events),
        "notify" => Ok(Destination::Notify),
        "auth" => Ok(Destination::Auth),
        _ => Err(ServiceError::rule(
            "validation_failed",
            "destination",
            "Choose events, notify or auth.",
        )),
    }
}

fn dto(m: outbox::Model) -> OutboxMessageDto {
    let status = if m.delivered_at.is_some() {
        "delivered"
    } else if m.dead_at.is_some() {
        "dead"
    } else {
        "pending"
    };
    OutboxMessageDto {
        id: m.id,
        destination: m.destination,
        kind: m.kind,
        status: status.to_string(),
        attempts: m.attempts,
        created_at: rfc3339(m.created_at),
        next_attempt_at: (status == "pending").then(|| rfc3339(m.available_at)),
        delivered_at: m.delivered_at.map(rfc3339),
        dead_at: m.dead_at.map(rfc3339),
        last_error: m.last_error,
        payload: serde_json::to_string_pretty(&m.payload).unwrap_or_default(),
    }
}

pub struct OutboxQuery<'a> {
    pub status: OutboxStatus,
    pub destination: Option<Destination>,
    /// Matches the kind (`payment.succeeded`) or the exact message id.
    pub search: Option<&'a str>,
    pub limit: u64,
    pub cursor: Option<&'a str>,
}

pub async fn list(state: &AppState, q: &OutboxQuery<'_>) -> Result<OutboxPageDto, ServiceError> {
    let offset = parse_offset_cursor(q.cursor)?;
    let mut base = outbox::Entity::find();
    if let Some(d) = q.destination {
        base = base.filter(outbox::Column::Destination.eq(d.as_str()));
    }
    if let Some(s) = q.search.map(str::trim).filter(|s| !s.is_empty()) {
        let mut any = Condition::any().add(outbox::Column::Kind.contains(s));
        if let Ok(id) = Uuid::parse_str(s) {
            any = any.add(outbox::Column::Id.eq(id));
        }
        base = base.filter(any);
    }
    let counts = OutboxCountsDto {
        pending: OutboxStatus::Pending
            .filter(base.clone())
            .count(&state.db)
            .await?,
        dead: OutboxStatus::Dead
            .filter(base.clone())
            .count(&state.db)
            .await?,
        delivered: OutboxStatus::Delivered
            .filter(base.clone())
            .count(&state.db)
            .await?,
    };
    let mut rows = q
        .status
        .filter(base)
        .order_by_desc(outbox::Column::CreatedAt)
        .order_by_desc(outbox::Column::Id)
        .offset(offset)
        .limit(q.limit + 1)
        .all(&state.db)
        .await?;
    let more = rows.len() as u64 > q.limit;
    rows.truncate(usize::try_from(q.limit).unwrap_or(usize::MAX));
    let relays = [Destination::Events, Destination::Notify, Destination::Auth]
        .into_iter()
        .map(|d| RelayDto {
            destination: d.as_str().to_string(),
            via: state.relays.get(d).describe().to_string(),
        })
        .collect();
    Ok(OutboxPageDto {
        data: rows.into_iter().map(dto).collect(),
        next_cursor: more.then(|| offset_cursor(offset + q.limit)),
        counts,
        relays,
    })
}

/// "Retry now": a pending message becomes due at once; a dead one comes back to life
/// with a fresh set of attempts. Delivered messages stay delivered.
pub async fn retry(state: &AppState, id: Uuid) -> Result<OutboxMessageDto, ServiceError> {
    let row = outbox::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound { entity: "message" })?;
    if row.delivered_at.is_some() {
        return Err(ServiceError::rule(
            "already_delivered",
            "id",
            "This message was delivered already.",
        ));
    }
    let was_dead = row.dead_at.is_some();
    let mut m: outbox::ActiveModel = row.into();
    m.available_at = Set(state.clock.now());
    m.dead_at = Set(None);
    if was_dead {
        m.attempts = Set(0);
    }
    let updated = m.update(&state.db).await?;
    state.worker_wake.notify_one();
    Ok(dto(updated))
}

/// What waits for one destination: how many messages and how old the oldest is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backlog {
    pub destination: Destination,
    pub pending: u64,
    pub oldest_age_secs: f64,
}

/// The pending messages per destination (`/metrics`).
pub async fn backlog(state: &AppState) -> Result<Vec<Backlog>, ServiceError> {
    let now = state.clock.now();
    let mut out = Vec::new();
    for destination in [Destination::Events, Destination::Notify, Destination::Auth] {
        let pending = outbox::Entity::find()
            .filter(outbox::Column::Destination.eq(destination.as_str()))
            .filter(outbox::Column::DeliveredAt.is_null())
            .filter(outbox::Column::DeadAt.is_null());
        let count = pending.clone().count(&state.db).await?;
        let oldest = pending
            .order_by_asc(outbox::Column::CreatedAt)
            .one(&state.db)
            .await?
            .map(|m| (now - m.created_at).num_milliseconds().max(0) as f64 / 1000.0);
        out.push(Backlog {
            destination,
            pending: count,
            oldest_age_secs: oldest.unwrap_or(0.0),
        });
    }
    Ok(out)
}
