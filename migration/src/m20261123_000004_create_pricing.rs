use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MonthDiscounts::Table)
                    .col(integer(MonthDiscounts::Months).primary_key())
                    // Basis points: 5 % = 500; 0 < p <= 100 %.
                    .col(
                        integer(MonthDiscounts::PercentBp).check(
                            Expr::col(MonthDiscounts::PercentBp)
                                .gt(0)
                                .and(Expr::col(MonthDiscounts::PercentBp).lte(10_000)),
                        ),
                    )
                    .col(timestamp_with_time_zone(MonthDiscounts::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PromoCodes::Table)
                    .col(pk_uuid(PromoCodes::Id))
                    .col(string_uniq(PromoCodes::Code))
                    .col(integer_null(PromoCodes::PercentBp))
                    .col(big_integer_null(PromoCodes::AmountMinor))
                    .col(string_len(PromoCodes::Currency, 3))
                    .col(timestamp_with_time_zone_null(PromoCodes::ValidFrom))
                    .col(timestamp_with_time_zone_null(PromoCodes::ValidUntil))
                    .col(integer_null(PromoCodes::MaxRedemptions))
                    .col(boolean(PromoCodes::OncePerCustomer))
                    .col(boolean(PromoCodes::Active))
                    .col(uuid_null(PromoCodes::CreatedBy))
                    .col(timestamp_with_time_zone(PromoCodes::CreatedAt))
                    // Exactly one kind of discount per code.
                    .check(
                        Expr::col(PromoCodes::PercentBp)
                            .is_null()
                            .ne(Expr::col(PromoCodes::AmountMinor).is_null()),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PromoCodes::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(MonthDiscounts::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum MonthDiscounts {
    Table,
    Months,
    PercentBp,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PromoCodes {
    Table,
    Id,
    Code,
    PercentBp,
    AmountMinor,
    Currency,
    ValidFrom,
    ValidUntil,
    MaxRedemptions,
    OncePerCustomer,
    Active,
    CreatedBy,
    CreatedAt,
}
