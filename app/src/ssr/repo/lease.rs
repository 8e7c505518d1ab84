//! Job leases: how a worker takes rows (due renewals, pending payments to poll, outbox
//! messages) so that any number of workers each take different ones, and a crashed
//! worker's rows come back once its lease runs out.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect, Select, Value,
};
use uuid::Uuid;

use super::{begin_write, skip_locked};

/// Which rows a lease takes and how it marks them.
pub struct Lease<E: EntityTrait> {
    /// The rows that are due, in the order to take them; it must leave out leased rows.
    pub due: Select<E>,
    pub batch: u64,
    /// The column that holds the lease, and the value that makes the rows not due.
    pub column: E::Column,
    pub until: Value,
    pub id_column: E::Column,
    pub id: fn(&E::Model) -> Uuid,
}

/// Takes up to `batch` due rows for this worker. It looks without a lock first: an idle
/// pass must not take SQLite's single writer slot (or commit at all). Then, in one
/// write transaction, `SELECT … FOR UPDATE SKIP LOCKED` (PostgreSQL) passes over rows
/// another worker is taking, and the lease column moves them out of `due`.
pub async fn take<E>(db: &DatabaseConnection, lease: Lease<E>) -> Result<Vec<E::Model>, DbErr>
where
    E: EntityTrait,
    E::Model: Send + Sync,
{
    if lease.due.clone().one(db).await?.is_none() {
        return Ok(Vec::new());
    }
    let txn = begin_write(db).await?;
    let rows = skip_locked(lease.due.limit(lease.batch), &txn)
        .all(&txn)
        .await?;
    if !rows.is_empty() {
        E::update_many()
            .col_expr(lease.column, Expr::value(lease.until))
            .filter(lease.id_column.is_in(rows.iter().map(lease.id)))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(rows)
}
