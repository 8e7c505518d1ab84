//! The operator's console: films get the Movies DB's `external_id` (what tariffs and
//! entitlements name them by outside Kinobill), an `active` flag (archived films stay
//! for history but are offered to no tariff) and `updated_at`; complimentary periods
//! support gives get their table, and a refund says what it did to its period; and the console's lists
//! get the `(created_at, id)` indexes their keyset pages seek on, and the dashboard the
//! time indexes its sums read.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    boolean, pk_uuid, string, string_null, timestamp_with_time_zone, timestamp_with_time_zone_null,
    uuid, uuid_null,
};
use sea_orm_migration::sea_orm::prelude::Uuid;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Support searches customers by any part of an e-mail or name (`lower(x) LIKE '%q%'`):
/// on PostgreSQL trigram indexes answer that without reading every customer.
const TRIGRAM_INDEXES: [(&str, &str); 2] = [
    ("idx_customers_email_trgm", "email"),
    ("idx_customers_name_trgm", "name"),
];

/// The trigram indexes, where PostgreSQL has `pg_trgm` and we may use it (it is a
/// trusted extension: a database owner may create it). Without it the search still
/// works, reading more rows.
async fn trigram_indexes(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let db = manager.get_connection();
    let usable = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT 1 AS ok FROM pg_available_extensions WHERE name = 'pg_trgm' \
             AND (EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') \
                  OR has_database_privilege(current_database(), 'CREATE'))",
        ))
        .await?
        .is_some();
    if !usable {
        return Ok(());
    }
    db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        .await?;
    for (name, column) in TRIGRAM_INDEXES {
        db.execute_unprepared(&format!(
            "CREATE INDEX IF NOT EXISTS {name} ON customers USING gin (lower({column}) gin_trgm_ops)"
        ))
        .await?;
    }
    Ok(())
}

/// `(name, table, columns)` of every index this migration adds.
const INDEXES: [(&str, &str, &[&str]); 10] = [
    ("uq_films_external_id", "films", &["external_id"]),
    ("idx_films_title", "films", &["title", "id"]),
    ("idx_customers_created", "customers", &["created_at", "id"]),
    ("idx_invoices_created", "invoices", &["created_at", "id"]),
    (
        "idx_subscriptions_status_created",
        "subscriptions",
        &["status", "created_at", "id"],
    ),
    (
        "idx_audit_log_created_id",
        "audit_log",
        &["created_at", "id"],
    ),
    // The dashboard's sums by day read only these indexes (covering: no table visits).
    (
        "idx_payments_paid_at",
        "payments",
        &["paid_at", "status", "amount_minor"],
    ),
    (
        "idx_refunds_completed",
        "refunds",
        &["completed_at", "status", "amount_minor"],
    ),
    (
        "idx_subscriptions_created",
        "subscriptions",
        &["created_at"],
    ),
    (
        "idx_promo_redemptions_confirmed",
        "promo_redemptions",
        &["confirmed_at"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds a single column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(Films::Table)
                    .add_column(string_null(Films::ExternalId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Films::Table)
                    .add_column(boolean(Films::Active).default(true))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Films::Table)
                    .add_column(timestamp_with_time_zone_null(Films::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // Films made before this migration had no external id: each gets one derived
        // from its own id, unique by construction, which an upsert can later replace.
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT id FROM films WHERE external_id IS NULL",
            ))
            .await?;
        for row in rows {
            let id: Uuid = row.try_get("", "id")?;
            let sql = Query::update()
                .table(Films::Table)
                .value(Films::ExternalId, format!("kinobill-{}", id.simple()))
                .and_where(Expr::col(Films::Id).eq(id))
                .to_owned();
            db.execute(&sql).await?;
        }
        // What an admin's partial refund does to the period it paid for.
        manager
            .alter_table(
                Table::alter()
                    .table(Refunds::Table)
                    .add_column(string_null(Refunds::Period))
                    .to_owned(),
            )
            .await?;
        // Complimentary periods support gives (no payment behind them).
        manager
            .create_table(
                Table::create()
                    .table(ComplimentaryGrants::Table)
                    .col(pk_uuid(ComplimentaryGrants::Id))
                    .col(uuid(ComplimentaryGrants::CustomerId))
                    .col(uuid(ComplimentaryGrants::SubscriptionId))
                    .col(uuid(ComplimentaryGrants::TariffId))
                    .col(timestamp_with_time_zone(ComplimentaryGrants::StartsAt))
                    .col(timestamp_with_time_zone(ComplimentaryGrants::EndsAt))
                    .col(string(ComplimentaryGrants::Reason))
                    .col(uuid_null(ComplimentaryGrants::GrantedBy))
                    .col(string(ComplimentaryGrants::GrantedByLabel))
                    .col(timestamp_with_time_zone(ComplimentaryGrants::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_complimentary_grants_customer")
                            .from(ComplimentaryGrants::Table, ComplimentaryGrants::CustomerId)
                            .to(Customers::Table, Customers::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_complimentary_grants_tariff")
                            .from(ComplimentaryGrants::Table, ComplimentaryGrants::TariffId)
                            .to(Tariffs::Table, Tariffs::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_complimentary_grants_customer")
                    .table(ComplimentaryGrants::Table)
                    .col(ComplimentaryGrants::CustomerId)
                    .to_owned(),
            )
            .await?;
        trigram_indexes(manager).await?;
        for (name, table, columns) in INDEXES {
            let mut index = Index::create();
            index.name(name).table(Alias::new(table));
            for c in columns {
                index.col(Alias::new(*c));
            }
            if name.starts_with("uq_") {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            for name in TRIGRAM_INDEXES.map(|(name, _)| name) {
                manager
                    .get_connection()
                    .execute_unprepared(&format!("DROP INDEX IF EXISTS {name}"))
                    .await?;
            }
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Refunds::Table)
                    .drop_column(Refunds::Period)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(ComplimentaryGrants::Table).to_owned())
            .await?;
        for (name, table, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned())
                .await?;
        }
        for column in [Films::UpdatedAt, Films::Active, Films::ExternalId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Films::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Films {
    Table,
    Id,
    ExternalId,
    Active,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Tariffs {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ComplimentaryGrants {
    Table,
    Id,
    CustomerId,
    SubscriptionId,
    TariffId,
    StartsAt,
    EndsAt,
    Reason,
    GrantedBy,
    GrantedByLabel,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Refunds {
    Table,
    Period,
}
