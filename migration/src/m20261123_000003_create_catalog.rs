use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tariffs::Table)
                    .col(pk_uuid(Tariffs::Id))
                    .col(string_uniq(Tariffs::Code))
                    .col(string(Tariffs::Name))
                    .col(text(Tariffs::Description))
                    .col(string(Tariffs::Role))
                    // Money is integer minor units (kopecks), never floating point.
                    .col(
                        big_integer(Tariffs::MonthlyPriceMinor)
                            .check(Expr::col(Tariffs::MonthlyPriceMinor).gte(0)),
                    )
                    .col(string_len(Tariffs::Currency, 3))
                    .col(boolean(Tariffs::Active))
                    .col(timestamp_with_time_zone(Tariffs::CreatedAt))
                    .col(timestamp_with_time_zone(Tariffs::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Films::Table)
                    .col(pk_uuid(Films::Id))
                    .col(string(Films::Title))
                    .col(integer(Films::Year))
                    .col(timestamp_with_time_zone(Films::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TariffFilms::Table)
                    .col(uuid(TariffFilms::TariffId))
                    .col(uuid(TariffFilms::FilmId))
                    .col(integer(TariffFilms::Position))
                    .primary_key(
                        Index::create()
                            .col(TariffFilms::TariffId)
                            .col(TariffFilms::FilmId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tariff_films_tariff")
                            .from(TariffFilms::Table, TariffFilms::TariffId)
                            .to(Tariffs::Table, Tariffs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tariff_films_film")
                            .from(TariffFilms::Table, TariffFilms::FilmId)
                            .to(Films::Table, Films::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_tariff_films_film")
                    .table(TariffFilms::Table)
                    .col(TariffFilms::FilmId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TariffFilms::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Films::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Tariffs::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Tariffs {
    Table,
    Id,
    Code,
    Name,
    Description,
    Role,
    MonthlyPriceMinor,
    Currency,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Films {
    Table,
    Id,
    Title,
    Year,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TariffFilms {
    Table,
    TariffId,
    FilmId,
    Position,
}
