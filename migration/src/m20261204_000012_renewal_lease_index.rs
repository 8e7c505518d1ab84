//! The renewal lease reads only renewable subscriptions, in period-end order, and the
//! payments table loses a second copy of its provider-id index.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Rows the renewal sweep may ever charge. The lease query in
/// `app::ssr::jobs::renewals` repeats this text literally: PostgreSQL and SQLite use a
/// partial index only when the query's own condition implies its predicate, and a bound
/// parameter (`status IN ($1, $2)`) implies nothing in a generic plan.
const RENEWABLE: &str =
    "status IN ('active', 'grace') AND auto_renew AND payment_method_id IS NOT NULL";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // Migration 11's plain period-end index let the lease stop after n rows only
        // while the planner's statistics said the due window was large. Right after a
        // large cohort fell due (before autovacuum's next ANALYZE) it fell back to
        // collecting and sorting the whole window twice per pass: 25-40 ms each with
        // 100,000 due. This index holds only renewable rows, so either plan is cheap.
        db.execute_unprepared(&format!(
            "CREATE INDEX idx_subscriptions_renewal ON subscriptions (current_period_end) WHERE {RENEWABLE}"
        ))
        .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_subscriptions_period_end")
                    .table(Subscriptions::Table)
                    .to_owned(),
            )
            .await?;
        // `uq_payments_provider_id` (migration 7) has the same columns: every payment
        // write paid for the same index twice.
        manager
            .drop_index(
                Index::drop()
                    .name("idx_payments_provider_id")
                    .table(Payments::Table)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_payments_provider_id")
                    .table(Payments::Table)
                    .col(Payments::Provider)
                    .col(Payments::ProviderPaymentId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_subscriptions_period_end")
                    .table(Subscriptions::Table)
                    .col(Subscriptions::CurrentPeriodEnd)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_subscriptions_renewal")
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

#[derive(DeriveIden)]
enum Payments {
    Table,
    Provider,
    ProviderPaymentId,
}
