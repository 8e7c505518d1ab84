//! The database refuses a status nobody knows: on PostgreSQL a CHECK constraint per
//! status column; on SQLite (which cannot add a constraint to an existing table) a
//! pair of triggers doing the same on insert and update. The values are written out
//! here, not taken from the code: a migration states the schema of its day.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, column, allowed values).
const CHECKS: [(&str, &str, &str); 7] = [
    (
        "payments",
        "status",
        "'pending', 'succeeded', 'failed', 'canceled', 'refunded'",
    ),
    ("invoices", "status", "'open', 'paid', 'void'"),
    ("invoices", "kind", "'purchase', 'renewal'"),
    // NULL (no discount) passes: `NULL IN (…)` is not false.
    ("invoices", "discount_kind", "'personal', 'promo', 'months'"),
    (
        "subscriptions",
        "status",
        "'active', 'grace', 'expired', 'canceled'",
    ),
    ("refunds", "status", "'pending', 'succeeded', 'failed'"),
    (
        "ledger_entries",
        "kind",
        "'charge', 'payment', 'refund', 'charge_reversal', 'adjustment'",
    ),
];

fn name(table: &str, column: &str) -> String {
    format!("ck_{table}_{column}")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (table, column, values) in CHECKS {
            let ck = name(table, column);
            let sql = match manager.get_database_backend() {
                DbBackend::Sqlite => format!(
                    "CREATE TRIGGER {ck}_insert BEFORE INSERT ON {table} \
                     WHEN NEW.{column} NOT IN ({values}) \
                     BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {ck}'); END; \
                     CREATE TRIGGER {ck}_update BEFORE UPDATE OF {column} ON {table} \
                     WHEN NEW.{column} NOT IN ({values}) \
                     BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {ck}'); END;"
                ),
                _ => format!(
                    "ALTER TABLE {table} ADD CONSTRAINT {ck} CHECK ({column} IN ({values}))"
                ),
            };
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (table, column, _) in CHECKS {
            let ck = name(table, column);
            let sql = match manager.get_database_backend() {
                DbBackend::Sqlite => format!(
                    "DROP TRIGGER IF EXISTS {ck}_insert; DROP TRIGGER IF EXISTS {ck}_update;"
                ),
                _ => format!("ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {ck}"),
            };
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }
}
