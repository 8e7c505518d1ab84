//! Persistence: SeaORM queries, mapping rows to domain/DTO types. Models stop here.

pub mod audit;
pub mod bulk;
pub mod catalog;
pub mod entitlements;
pub mod invoices;
pub mod keyset;
pub mod lease;
pub mod ledger;
pub mod lookup;
pub mod payments;
pub mod staff;
pub mod stored;
pub mod subscriptions;
pub mod timeline;

/// A unique index refused the write: someone else got there first.
pub fn is_unique_violation(e: &sea_orm::DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Begins a transaction that will write. On SQLite it takes the write lock at `BEGIN`
/// (`IMMEDIATE`): a deferred transaction that reads first and writes later fails with
/// "database is locked" when another writer committed in between, and SQLite's busy
/// timeout cannot help there. PostgreSQL ignores the option.
pub async fn begin_write(
    db: &sea_orm::DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// `SELECT … FOR UPDATE` on PostgreSQL; on SQLite the transaction already holds the
/// database's single write lock (see [`begin_write`]), and it has no row locks.
pub fn for_update<E: sea_orm::EntityTrait>(
    query: sea_orm::Select<E>,
    txn: &impl sea_orm::ConnectionTrait,
) -> sea_orm::Select<E> {
    use sea_orm::QuerySelect;
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        query.lock_exclusive()
    } else {
        query
    }
}

/// `SELECT … FOR NO KEY UPDATE` on PostgreSQL: serialises writers of the row against one
/// another without blocking inserts that only reference it (their foreign-key check
/// takes `KEY SHARE`, which `FOR UPDATE` would block: a deadlock with a transaction that
/// holds other locks and then books a ledger line for the same customer).
pub fn for_no_key_update<E: sea_orm::EntityTrait>(
    query: sea_orm::Select<E>,
    txn: &impl sea_orm::ConnectionTrait,
) -> sea_orm::Select<E> {
    use sea_orm::QuerySelect;
    use sea_orm::sea_query::LockType;
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        query.lock(LockType::NoKeyUpdate)
    } else {
        query
    }
}

/// A job lease: `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, so several workers
/// each take different rows instead of queueing behind one another. SQLite runs one
/// writer at a time (see [`begin_write`]), which is the single-instance case.
pub fn skip_locked<E: sea_orm::EntityTrait>(
    query: sea_orm::Select<E>,
    txn: &impl sea_orm::ConnectionTrait,
) -> sea_orm::Select<E> {
    use sea_orm::QuerySelect;
    use sea_orm::sea_query::{LockBehavior, LockType};
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
    } else {
        query
    }
}
