//! The customer's in-app notifications (written by the notification relay).

use entity::notifications;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::dto::{NotificationDto, NotificationPageDto};
use crate::ssr::ServiceError;
use crate::ssr::time::rfc3339;

/// A page cursor is the offset of the next page: opaque to callers, checked here.
pub fn parse_offset_cursor(cursor: Option<&str>) -> Result<u64, ServiceError> {
    match cursor.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(0),
        Some(c) => c
            .strip_prefix("o")
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| {
                ServiceError::rule("invalid_cursor", "cursor", "The page cursor is not valid.")
            }),
    }
}

pub fn offset_cursor(next: u64) -> String {
    format!("o{next}")
}

pub fn dto(m: notifications::Model) -> NotificationDto {
    NotificationDto {
        message: NotificationDto::describe(&m.kind, &m.data),
        id: m.id,
        kind: m.kind,
        created_at: rfc3339(m.created_at),
        data: m.data,
    }
}

/// Newest first.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    customer: Uuid,
    limit: u64,
    cursor: Option<&str>,
) -> Result<NotificationPageDto, ServiceError> {
    let offset = parse_offset_cursor(cursor)?;
    let mut rows = notifications::Entity::find()
        .filter(notifications::Column::CustomerId.eq(customer))
        .order_by_desc(notifications::Column::CreatedAt)
        .order_by_desc(notifications::Column::Id)
        .offset(offset)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(NotificationPageDto {
        next_cursor: more.then(|| offset_cursor(offset + limit)),
        data: rows.into_iter().map(dto).collect(),
    })
}
