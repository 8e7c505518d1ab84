//! Staff lifecycle and sign-in abuse resistance: the client address of each sign-in
//! attempt (the throttle also counts per address, so one address cannot guess across
//! many accounts) and a one-time password-setup link for invited staff (only its hash
//! is stored, with its expiry).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{string_null, timestamp_with_time_zone_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds a single column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(LoginAttempts::Table)
                    .add_column(string_null(LoginAttempts::ClientAddr))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_login_attempts_client_addr")
                    .table(LoginAttempts::Table)
                    .col(LoginAttempts::ClientAddr)
                    .col(LoginAttempts::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(StaffUsers::Table)
                    .add_column(string_null(StaffUsers::SetupTokenHash))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(StaffUsers::Table)
                    .add_column(timestamp_with_time_zone_null(StaffUsers::SetupExpiresAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [StaffUsers::SetupExpiresAt, StaffUsers::SetupTokenHash] {
            manager
                .alter_table(
                    Table::alter()
                        .table(StaffUsers::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("idx_login_attempts_client_addr")
                    .table(LoginAttempts::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(LoginAttempts::Table)
                    .drop_column(LoginAttempts::ClientAddr)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum LoginAttempts {
    Table,
    ClientAddr,
    CreatedAt,
}

#[derive(DeriveIden)]
enum StaffUsers {
    Table,
    SetupTokenHash,
    SetupExpiresAt,
}
