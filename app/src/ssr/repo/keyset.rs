//! Keyset pagination over `(created_at, id)`, newest first: every console list pages
//! this way, so the cost of a page does not grow with its depth (an `OFFSET` reads and
//! throws away every row before the page).

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select,
};
use uuid::Uuid;

use crate::ssr::ServiceError;

/// Where the previous page ended: its last row's `created_at` and id.
pub type Cursor = (DateTime<Utc>, Uuid);

/// The opaque cursor handed to callers: `{µs}_{id}`.
pub fn encode(at: DateTime<Utc>, id: Uuid) -> String {
    format!("{}_{}", at.timestamp_micros(), id.simple())
}

pub fn decode(c: &str) -> Result<Cursor, ServiceError> {
    let bad = || ServiceError::Rule {
        code: "invalid_cursor",
        field: "cursor",
        message: "The cursor is not valid.".into(),
    };
    let (micros, id) = c.split_once('_').ok_or_else(bad)?;
    let at = micros
        .parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(bad)?;
    Ok((at, Uuid::parse_str(id).map_err(|_| bad())?))
}

/// Decodes an optional, possibly empty, cursor parameter.
pub fn decode_opt(c: Option<&str>) -> Result<Option<Cursor>, ServiceError> {
    c.map(str::trim)
        .filter(|c| !c.is_empty())
        .map(decode)
        .transpose()
}

/// Up to `limit` rows of `query` older than `before`, newest first, and whether more
/// follow (one extra row is read to know).
pub async fn newest_first<E, C, Db>(
    db: &Db,
    query: Select<E>,
    (at_col, id_col): (C, C),
    before: Option<Cursor>,
    limit: u64,
) -> Result<(Vec<E::Model>, bool), ServiceError>
where
    E: EntityTrait,
    C: ColumnTrait,
    Db: ConnectionTrait,
{
    let mut q = query;
    if let Some((at, id)) = before {
        // `created_at <= at` first: a plain range the (created_at, id) index can seek
        // to; the OR alone makes PostgreSQL scan from the newest row.
        q = q.filter(at_col.lte(at)).filter(
            Condition::any()
                .add(at_col.lt(at))
                .add(Condition::all().add(at_col.eq(at)).add(id_col.lt(id))),
        );
    }
    let mut rows = q
        .order_by_desc(at_col)
        .order_by_desc(id_col)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok((rows, more))
}

/// The next page's cursor when there is one.
pub fn next<M>(rows: &[M], more: bool, key: impl Fn(&M) -> Cursor) -> Option<String> {
    if more {
        rows.last().map(|r| {
            let (at, id) = key(r);
            encode(at, id)
        })
    } else {
        None
    }
}
