//! Reconciliation bookkeeping: when a pending payment is next looked up at the provider.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Set when a poll leases the payment and pushed back after each answer, so the
        // oldest stuck payments cannot take every pass and two workers never poll the
        // same payment at once. NULL: never polled.
        manager
            .alter_table(
                Table::alter()
                    .table(Payments::Table)
                    .add_column(timestamp_with_time_zone_null(Payments::NextPollAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Payments::Table)
                    .drop_column(Payments::NextPollAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    NextPollAt,
}
