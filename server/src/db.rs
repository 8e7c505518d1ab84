//! Database connection: SQLite (embedded default) or PostgreSQL, picked by the URL.

use std::time::Duration;

use anyhow::Context;
use sea_orm::sqlx::sqlite::SqliteJournalMode;
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::config::DatabaseSettings;

pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<DatabaseConnection> {
    let mut opts = ConnectOptions::new(settings.url.expose().to_string());
    opts.max_connections(settings.max_connections)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    if settings.is_sqlite() {
        // WAL lets readers run beside the writer; foreign keys are off in SQLite unless asked;
        // the busy timeout turns brief write contention into a wait instead of an error.
        opts.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .create_if_missing(true)
        });
    }
    let db = Database::connect(opts)
        .await
        .context("connecting to the database (check DATABASE_URL)")?;
    Ok(db)
}
