use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TariffPriceHistory::Table)
                    .col(pk_uuid(TariffPriceHistory::Id))
                    .col(uuid(TariffPriceHistory::TariffId))
                    .col(big_integer(TariffPriceHistory::OldPriceMinor))
                    .col(big_integer(TariffPriceHistory::NewPriceMinor))
                    .col(string_len(TariffPriceHistory::Currency, 3))
                    .col(uuid_null(TariffPriceHistory::ChangedBy))
                    .col(string(TariffPriceHistory::ChangedByLabel))
                    .col(timestamp_with_time_zone(TariffPriceHistory::ChangedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_price_history_tariff")
                            .from(TariffPriceHistory::Table, TariffPriceHistory::TariffId)
                            .to(Tariffs::Table, Tariffs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PersonalDiscounts::Table)
                    .col(pk_uuid(PersonalDiscounts::Id))
                    .col(uuid(PersonalDiscounts::CustomerId))
                    .col(
                        integer(PersonalDiscounts::PercentBp).check(
                            Expr::col(PersonalDiscounts::PercentBp)
                                .gt(0)
                                .and(Expr::col(PersonalDiscounts::PercentBp).lte(10_000)),
                        ),
                    )
                    .col(timestamp_with_time_zone(PersonalDiscounts::ValidFrom))
                    .col(timestamp_with_time_zone_null(PersonalDiscounts::ValidUntil))
                    .col(text(PersonalDiscounts::Reason))
                    .col(uuid_null(PersonalDiscounts::SetBy))
                    .col(timestamp_with_time_zone(PersonalDiscounts::CreatedAt))
                    .col(timestamp_with_time_zone_null(PersonalDiscounts::RemovedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_personal_discounts_customer")
                            .from(PersonalDiscounts::Table, PersonalDiscounts::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_personal_discounts_customer")
                    .table(PersonalDiscounts::Table)
                    .col(PersonalDiscounts::CustomerId)
                    .to_owned(),
            )
            .await?;
        // Which tariffs a promo code is limited to; no rows = every tariff.
        manager
            .create_table(
                Table::create()
                    .table(PromoCodeTariffs::Table)
                    .col(uuid(PromoCodeTariffs::PromoCodeId))
                    .col(uuid(PromoCodeTariffs::TariffId))
                    .primary_key(
                        Index::create()
                            .col(PromoCodeTariffs::PromoCodeId)
                            .col(PromoCodeTariffs::TariffId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_promo_tariffs_promo")
                            .from(PromoCodeTariffs::Table, PromoCodeTariffs::PromoCodeId)
                            .to(PromoCodes::Table, PromoCodes::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_promo_tariffs_tariff")
                            .from(PromoCodeTariffs::Table, PromoCodeTariffs::TariffId)
                            .to(Tariffs::Table, Tariffs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The count lives on the code so one conditional UPDATE can claim a redemption
        // atomically: `max_redemptions` then holds under any concurrency.
        manager
            .alter_table(
                Table::alter()
                    .table(PromoCodes::Table)
                    .add_column(integer(PromoCodes::RedemptionCount).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PromoRedemptions::Table)
                    .col(pk_uuid(PromoRedemptions::Id))
                    .col(uuid(PromoRedemptions::PromoCodeId))
                    .col(uuid(PromoRedemptions::CustomerId))
                    // One redemption per paid invoice, whoever retries.
                    .col(uuid_uniq(PromoRedemptions::InvoiceId))
                    .col(timestamp_with_time_zone(PromoRedemptions::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_promo_redemptions_promo")
                            .from(PromoRedemptions::Table, PromoRedemptions::PromoCodeId)
                            .to(PromoCodes::Table, PromoCodes::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_promo_redemptions_promo_customer")
                    .table(PromoRedemptions::Table)
                    .col(PromoRedemptions::PromoCodeId)
                    .col(PromoRedemptions::CustomerId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PromoRedemptions::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(PromoCodes::Table)
                    .drop_column(PromoCodes::RedemptionCount)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(PromoCodeTariffs::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(PersonalDiscounts::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(TariffPriceHistory::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Tariffs {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PromoCodes {
    Table,
    Id,
    RedemptionCount,
}

#[derive(DeriveIden)]
enum TariffPriceHistory {
    Table,
    Id,
    TariffId,
    OldPriceMinor,
    NewPriceMinor,
    Currency,
    ChangedBy,
    ChangedByLabel,
    ChangedAt,
}

#[derive(DeriveIden)]
enum PersonalDiscounts {
    Table,
    Id,
    CustomerId,
    PercentBp,
    ValidFrom,
    ValidUntil,
    Reason,
    SetBy,
    CreatedAt,
    RemovedAt,
}

#[derive(DeriveIden)]
enum PromoCodeTariffs {
    Table,
    PromoCodeId,
    TariffId,
}

#[derive(DeriveIden)]
enum PromoRedemptions {
    Table,
    Id,
    PromoCodeId,
    CustomerId,
    InvoiceId,
    CreatedAt,
}
