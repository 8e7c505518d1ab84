use std::collections::HashMap;

use entity::{films, tariff_films, tariffs};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::domain::{Currency, Money};
use crate::dto::{FilmDto, MoneyDto, PageDto, TariffDto};

/// Which tariffs a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TariffStatusFilter {
    All,
    Active,
    Archived,
}

pub fn tariff_to_dto(row: tariffs::Model, films: Vec<FilmDto>) -> TariffDto {
    // The column holds only codes we wrote; an unknown one falls back to RUB loudly.
    let currency = row.currency.parse::<Currency>().unwrap_or_else(|_| {
        tracing::warn!(tariff = %row.id, currency = %row.currency, "unknown currency in tariffs row");
        Currency::Rub
    });
    TariffDto {
        id: row.id,
        code: row.code,
        name: row.name,
        description: row.description,
        role: row.role,
        monthly_price: MoneyDto::from(Money::from_minor(row.monthly_price_minor, currency)),
        active: row.active,
        films,
    }
}

/// Films of each tariff, in display order, with one query for all tariffs.
async fn films_by_tariff<C: ConnectionTrait>(
    db: &C,
    tariff_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<FilmDto>>, sea_orm::DbErr> {
    if tariff_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let links = tariff_films::Entity::find()
        .filter(tariff_films::Column::TariffId.is_in(tariff_ids.iter().copied()))
        .order_by_asc(tariff_films::Column::Position)
        .all(db)
        .await?;
    let film_ids: Vec<Uuid> = links.iter().map(|l| l.film_id).collect();
    let films: HashMap<Uuid, films::Model> = films::Entity::find()
        .filter(films::Column::Id.is_in(film_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.id, f))
        .collect();
    let mut out: HashMap<Uuid, Vec<FilmDto>> = HashMap::new();
    for link in links {
        if let Some(f) = films.get(&link.film_id) {
            out.entry(link.tariff_id).or_default().push(FilmDto {
                id: f.id,
                title: f.title.clone(),
                year: f.year,
            });
        }
    }
    Ok(out)
}

async fn with_films<C: ConnectionTrait>(
    db: &C,
    rows: Vec<tariffs::Model>,
) -> Result<Vec<TariffDto>, sea_orm::DbErr> {
    let ids: Vec<Uuid> = rows.iter().map(|t| t.id).collect();
    let mut films = films_by_tariff(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|t| {
            let f = films.remove(&t.id).unwrap_or_default();
            tariff_to_dto(t, f)
        })
        .collect())
}

/// Active tariffs, cheapest first: the order a customer compares them in.
pub async fn list_active<C: ConnectionTrait>(db: &C) -> Result<Vec<TariffDto>, sea_orm::DbErr> {
    let rows = tariffs::Entity::find()
        .filter(tariffs::Column::Active.eq(true))
        .order_by_asc(tariffs::Column::MonthlyPriceMinor)
        .order_by_asc(tariffs::Column::Code)
        .all(db)
        .await?;
    with_films(db, rows).await
}

fn escape_like(q: &str) -> String {
    let mut s = String::with_capacity(q.len() + 2);
    s.push('%');
    for c in q.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('%');
    s
}

/// Staff list: case-insensitive search on code and name, status filter, pages.
pub async fn search<C: ConnectionTrait>(
    db: &C,
    query: &str,
    status: TariffStatusFilter,
    page: u32,
    per_page: u32,
) -> Result<PageDto<TariffDto>, sea_orm::DbErr> {
    let mut select = tariffs::Entity::find();
    let q = query.trim();
    if !q.is_empty() {
        let pattern = escape_like(q);
        let like = |col: tariffs::Column| {
            Expr::expr(Func::lower(Expr::col(col)))
                .like(LikeExpr::new(pattern.clone()).escape('\\'))
        };
        select = select.filter(
            Condition::any()
                .add(like(tariffs::Column::Code))
                .add(like(tariffs::Column::Name)),
        );
    }
    select = match status {
        TariffStatusFilter::All => select,
        TariffStatusFilter::Active => select.filter(tariffs::Column::Active.eq(true)),
        TariffStatusFilter::Archived => select.filter(tariffs::Column::Active.eq(false)),
    };
    let paginator = select
        .order_by_desc(tariffs::Column::Active)
        .order_by_asc(tariffs::Column::Name)
        .order_by_asc(tariffs::Column::Id)
        .paginate(db, u64::from(per_page));
    let total = paginator.num_items().await?;
    let rows = paginator
        .fetch_page(u64::from(page.saturating_sub(1)))
        .await?;
    Ok(PageDto {
        items: with_films(db, rows).await?,
        page,
        per_page,
        total,
    })
}

pub async fn find_by_code<C: ConnectionTrait>(
    db: &C,
    code: &str,
) -> Result<Option<tariffs::Model>, sea_orm::DbErr> {
    tariffs::Entity::find()
        .filter(tariffs::Column::Code.eq(code))
        .one(db)
        .await
}

pub async fn get_dto<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> Result<Option<TariffDto>, sea_orm::DbErr> {
    let Some(row) = tariffs::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    Ok(with_films(db, vec![row]).await?.pop())
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(escape_like("Pre_m%"), "%pre\\_m\\%%");
    }
}
