//! The subscription lifecycle worker: renewal bookkeeping on subscriptions, the customer's
//! in-app notifications, the outbox archive, and the shared test-clock offset.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        let columns = [
            // The period end the "ends in 3 days" reminder was sent for (once per period).
            timestamp_with_time_zone_null(Subscriptions::RemindedFor),
            // Failed renewal charges of the current period; part of the next charge's key.
            integer(Subscriptions::RenewalAttempts)
                .default(0)
                .to_owned(),
            // No renewal charge before this (the retry schedule after a failure).
            timestamp_with_time_zone_null(Subscriptions::NextRenewalAt),
            // A worker holds the renewal of this subscription until then.
            timestamp_with_time_zone_null(Subscriptions::RenewalLeaseUntil),
        ];
        for mut col in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Subscriptions::Table)
                        .add_column(&mut col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    // The outbox row's id: delivering twice writes one notification.
                    .col(pk_uuid(Notifications::Id))
                    .col(uuid(Notifications::CustomerId))
                    .col(string(Notifications::Kind))
                    .col(json_binary(Notifications::Data))
                    .col(timestamp_with_time_zone(Notifications::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_notifications_customer")
                    .table(Notifications::Table)
                    .col(Notifications::CustomerId)
                    .col(Notifications::CreatedAt)
                    .to_owned(),
            )
            .await?;

        // Settlement finds a payment by the provider's id (webhooks, polls, renewals):
        // without this every settlement scanned the whole payments table.
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
        // Relays lease "undelivered, not dead, due" rows of one destination.
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_relay")
                    .table(Outbox::Table)
                    .col(Outbox::Destination)
                    .col(Outbox::DeliveredAt)
                    .col(Outbox::DeadAt)
                    .col(Outbox::AvailableAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OutboxArchive::Table)
                    .col(pk_uuid(OutboxArchive::Id))
                    .col(string(OutboxArchive::Destination))
                    .col(string(OutboxArchive::Kind))
                    .col(json_binary(OutboxArchive::Payload))
                    .col(timestamp_with_time_zone(OutboxArchive::CreatedAt))
                    .col(integer(OutboxArchive::Attempts))
                    .col(timestamp_with_time_zone(OutboxArchive::DeliveredAt))
                    .col(timestamp_with_time_zone(OutboxArchive::ArchivedAt))
                    .to_owned(),
            )
            .await?;

        // One row: how far the test clock was moved, so every instance agrees.
        manager
            .create_table(
                Table::create()
                    .table(TestClock::Table)
                    .col(integer(TestClock::Id).primary_key())
                    .col(big_integer(TestClock::OffsetSeconds))
                    .col(timestamp_with_time_zone(TestClock::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            TestClock::Table.into_iden(),
            OutboxArchive::Table.into_iden(),
            Notifications::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("idx_outbox_relay")
                    .table(Outbox::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_payments_provider_id")
                    .table(Payments::Table)
                    .to_owned(),
            )
            .await?;
        for c in [
            Subscriptions::RenewalLeaseUntil,
            Subscriptions::NextRenewalAt,
            Subscriptions::RenewalAttempts,
            Subscriptions::RemindedFor,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Subscriptions::Table)
                        .drop_column(c)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Subscriptions {
    Table,
    RemindedFor,
    RenewalAttempts,
    NextRenewalAt,
    RenewalLeaseUntil,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    CustomerId,
    Kind,
    Data,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Destination,
    DeliveredAt,
    DeadAt,
    AvailableAt,
}

#[derive(DeriveIden)]
enum OutboxArchive {
    Table,
    Id,
    Destination,
    Kind,
    Payload,
    CreatedAt,
    Attempts,
    DeliveredAt,
    ArchivedAt,
}

#[derive(DeriveIden)]
enum TestClock {
    Table,
    Id,
    OffsetSeconds,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Provider,
    ProviderPaymentId,
}
