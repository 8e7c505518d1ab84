//! Billing rules that the schema helps keep: promo redemptions are reserved when an
//! invoice is issued and confirmed when it is paid; a refund whose provider answer was
//! lost stays pending and is polled again at `next_poll_at`; a subscription may carry a
//! tariff switch the customer scheduled for the next period.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // NULL: reserved by an open invoice (released when it is voided). Every
        // redemption before this migration was written at settlement: confirmed.
        manager
            .alter_table(
                Table::alter()
                    .table(PromoRedemptions::Table)
                    .add_column(timestamp_with_time_zone_null(PromoRedemptions::ConfirmedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared("UPDATE promo_redemptions SET confirmed_at = created_at")
            .await?;
        // Checkout asks "has this customer used this code?" under the code's row lock.
        manager
            .create_index(
                Index::create()
                    .name("idx_promo_redemptions_code_customer")
                    .table(PromoRedemptions::Table)
                    .col(PromoRedemptions::PromoCodeId)
                    .col(PromoRedemptions::CustomerId)
                    .to_owned(),
            )
            .await?;
        // When the worker next asks the provider about a refund still pending.
        manager
            .alter_table(
                Table::alter()
                    .table(Refunds::Table)
                    .add_column(timestamp_with_time_zone_null(Refunds::NextPollAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Subscriptions::Table)
                    .add_column(uuid_null(Subscriptions::NextTariffId))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Subscriptions::Table)
                    .drop_column(Subscriptions::NextTariffId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Refunds::Table)
                    .drop_column(Refunds::NextPollAt)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_promo_redemptions_code_customer")
                    .table(PromoRedemptions::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(PromoRedemptions::Table)
                    .drop_column(PromoRedemptions::ConfirmedAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum PromoRedemptions {
    Table,
    PromoCodeId,
    CustomerId,
    ConfirmedAt,
}

#[derive(DeriveIden)]
enum Refunds {
    Table,
    NextPollAt,
}

#[derive(DeriveIden)]
enum Subscriptions {
    Table,
    NextTariffId,
}
