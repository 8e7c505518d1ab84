//! The renewal sweep reads due subscriptions in period-end order.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // `status IN ('active', 'grace') … ORDER BY current_period_end LIMIT n` cannot walk
        // the (status, current_period_end) index in order: PostgreSQL collected every
        // due row and sorted them, twice per pass, so 100,000 due renewals cost a
        // 100,000-row sort each time. With this index it reads the window
        // [now - grace, now + renew_before] from its start and stops after n rows.
        manager
            .create_index(
                Index::create()
                    .name("idx_subscriptions_period_end")
                    .table(Subscriptions::Table)
                    .col(Subscriptions::CurrentPeriodEnd)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_subscriptions_period_end")
                    .table(Subscriptions::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Subscriptions {
    Table,
    CurrentPeriodEnd,
}
