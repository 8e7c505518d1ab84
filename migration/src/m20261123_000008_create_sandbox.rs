//! The sandbox payment provider's own tables. It plays a separate payment company, so
//! nothing here references a billing table and billing never reads these.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SandboxPayments::Table)
                    .col(string(SandboxPayments::Id).primary_key())
                    // The merchant's idempotency key: the same key returns the same payment.
                    .col(string_uniq(SandboxPayments::IdempotencyKey))
                    .col(big_integer(SandboxPayments::AmountMinor))
                    .col(string_len(SandboxPayments::Currency, 3))
                    .col(text(SandboxPayments::Description))
                    .col(text(SandboxPayments::ReturnUrl))
                    .col(text(SandboxPayments::Metadata))
                    // pending | succeeded | failed | canceled
                    .col(string(SandboxPayments::Status))
                    .col(string_null(SandboxPayments::FailureCode))
                    .col(string_null(SandboxPayments::CardLast4))
                    .col(boolean(SandboxPayments::SaveCard))
                    .col(string_null(SandboxPayments::CardToken))
                    .col(big_integer(SandboxPayments::RefundedMinor))
                    .col(timestamp_with_time_zone(SandboxPayments::CreatedAt))
                    .col(timestamp_with_time_zone(SandboxPayments::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SandboxRefunds::Table)
                    .col(string(SandboxRefunds::Id).primary_key())
                    .col(string(SandboxRefunds::PaymentId))
                    .col(string_uniq(SandboxRefunds::IdempotencyKey))
                    .col(big_integer(SandboxRefunds::AmountMinor))
                    .col(string(SandboxRefunds::Status))
                    .col(timestamp_with_time_zone(SandboxRefunds::CreatedAt))
                    .to_owned(),
            )
            .await?;
        // Saved cards: the token stands for the card number.
        manager
            .create_table(
                Table::create()
                    .table(SandboxCards::Table)
                    .col(string(SandboxCards::Token).primary_key())
                    .col(string(SandboxCards::CardNumber))
                    .col(timestamp_with_time_zone(SandboxCards::CreatedAt))
                    .to_owned(),
            )
            .await?;
        // Webhooks to deliver, with the sandbox's own retries.
        manager
            .create_table(
                Table::create()
                    .table(SandboxWebhooks::Table)
                    .col(string(SandboxWebhooks::Id).primary_key())
                    .col(string(SandboxWebhooks::PaymentId))
                    .col(string(SandboxWebhooks::EventType))
                    .col(text(SandboxWebhooks::Payload))
                    .col(timestamp_with_time_zone(SandboxWebhooks::DueAt))
                    .col(integer(SandboxWebhooks::Attempts))
                    .col(timestamp_with_time_zone_null(SandboxWebhooks::DeliveredAt))
                    .col(text_null(SandboxWebhooks::LastError))
                    .col(timestamp_with_time_zone(SandboxWebhooks::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sandbox_webhooks_due")
                    .table(SandboxWebhooks::Table)
                    .col(SandboxWebhooks::DeliveredAt)
                    .col(SandboxWebhooks::DueAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SandboxWebhooks::Table.into_iden(),
            SandboxCards::Table.into_iden(),
            SandboxRefunds::Table.into_iden(),
            SandboxPayments::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum SandboxPayments {
    Table,
    Id,
    IdempotencyKey,
    AmountMinor,
    Currency,
    Description,
    ReturnUrl,
    Metadata,
    Status,
    FailureCode,
    CardLast4,
    SaveCard,
    CardToken,
    RefundedMinor,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SandboxRefunds {
    Table,
    Id,
    PaymentId,
    IdempotencyKey,
    AmountMinor,
    Status,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SandboxCards {
    Table,
    Token,
    CardNumber,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SandboxWebhooks {
    Table,
    Id,
    PaymentId,
    EventType,
    Payload,
    DueAt,
    Attempts,
    DeliveredAt,
    LastError,
    CreatedAt,
}
