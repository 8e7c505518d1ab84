//! What the sandbox's CloudPayments personality needs to answer as CloudPayments does:
//! a merchant's order reference (`InvoiceId`) to find a payment by, and the account a
//! saved card belongs to (a token charges only for its own `AccountId`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SandboxPayments::Table)
                    .add_column(ColumnDef::new(SandboxPayments::MerchantRef).string().null())
                    .to_owned(),
            )
            .await?;
        // `/payments/find` by `InvoiceId` is how the adapter reconciles and how it
        // looks before every renewal charge: one index look-up, not a scan.
        manager
            .create_index(
                Index::create()
                    .name("idx_sandbox_payments_merchant_ref")
                    .table(SandboxPayments::Table)
                    .col(SandboxPayments::MerchantRef)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SandboxCards::Table)
                    .add_column(ColumnDef::new(SandboxCards::AccountId).string().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SandboxCards::Table)
                    .drop_column(SandboxCards::AccountId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_sandbox_payments_merchant_ref")
                    .table(SandboxPayments::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SandboxPayments::Table)
                    .drop_column(SandboxPayments::MerchantRef)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum SandboxPayments {
    Table,
    MerchantRef,
}

#[derive(DeriveIden)]
enum SandboxCards {
    Table,
    AccountId,
}
