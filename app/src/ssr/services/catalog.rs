//! The price list: tariffs and the films they include.

use entity::tariffs;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection};
use uuid::Uuid;

use crate::domain::catalog::{TariffDraft, TariffInput};
use crate::dto::{PageDto, TariffDto};
use crate::ssr::ServiceError;
use crate::ssr::clock::SharedClock;
use crate::ssr::repo::audit::{self, Actor, AuditEntry};
use crate::ssr::repo::catalog::{self as repo, TariffStatusFilter};
use crate::ssr::role_catalog::RoleCatalog;

pub const MAX_PER_PAGE: u32 = 100;

pub async fn list_active_tariffs(db: &DatabaseConnection) -> Result<Vec<TariffDto>, ServiceError> {
    Ok(repo::list_active(db).await?)
}

/// Staff list. Out-of-range paging input is clamped: a stale link should still show a page.
pub async fn search_tariffs(
    db: &DatabaseConnection,
    query: &str,
    status: TariffStatusFilter,
    page: u32,
    per_page: u32,
) -> Result<PageDto<TariffDto>, ServiceError> {
    let per_page = per_page.clamp(1, MAX_PER_PAGE);
    let page = page.max(1);
    Ok(repo::search(db, query, status, page, per_page).await?)
}

/// Creates a tariff (REST for now; the console form arrives with the pricing work).
#[tracing::instrument(skip(db, clock, roles, input), fields(actor = %actor.label))]
pub async fn create_tariff(
    db: &DatabaseConnection,
    clock: &SharedClock,
    roles: Option<&RoleCatalog>,
    actor: &Actor,
    input: &TariffInput,
    active: bool,
) -> Result<TariffDto, ServiceError> {
    let draft = TariffDraft::parse(input).map_err(ServiceError::Invalid)?;
    if let Some(roles) = roles {
        roles.check(&draft.role).await?;
    }
    let now = clock.now();
    let txn = crate::ssr::repo::begin_write(db).await?;
    if repo::find_by_code(&txn, &draft.code).await?.is_some() {
        return Err(ServiceError::Conflict {
            code: "tariff_code_taken",
            message: format!("A tariff with code \"{}\" already exists.", draft.code),
        });
    }
    let row = tariffs::ActiveModel {
        id: Set(Uuid::now_v7()),
        code: Set(draft.code.clone()),
        name: Set(draft.name.clone()),
        description: Set(draft.description.clone()),
        role: Set(draft.role.clone()),
        monthly_price_minor: Set(draft.monthly_price.minor()),
        currency: Set(draft.monthly_price.currency().code().to_string()),
        // A tariff may be prepared before it goes on sale.
        active: Set(active),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let dto = repo::tariff_to_dto(row, Vec::new());
    audit::record(
        &txn,
        AuditEntry {
            actor,
            action: "tariff.created",
            entity_type: "tariff",
            entity_id: dto.id.to_string(),
            before: None,
            after: serde_json::to_value(&dto).ok(),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(dto)
}

pub async fn get_tariff(db: &DatabaseConnection, id: Uuid) -> Result<TariffDto, ServiceError> {
    repo::get_dto(db, id)
        .await?
        .ok_or(ServiceError::NotFound { entity: "tariff" })
}

/// A partial change to a tariff: only the given fields change.
#[derive(Debug, Clone, Default)]
pub struct TariffPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub role: Option<String>,
    pub monthly_price: Option<String>,
    pub active: Option<bool>,
    pub film_ids: Option<Vec<Uuid>>,
}

/// Edits, reprices, archives or restores a tariff in one transaction. A price change
/// is written to the price history; issued invoices keep their frozen quote.
#[tracing::instrument(skip(db, clock, roles, patch), fields(actor = %actor.label))]
pub async fn update_tariff(
    db: &DatabaseConnection,
    clock: &SharedClock,
    roles: Option<&RoleCatalog>,
    actor: &Actor,
    id: Uuid,
    patch: &TariffPatch,
) -> Result<TariffDto, ServiceError> {
    use crate::domain::catalog::{
        validate_monthly_price, validate_tariff_name, validate_tariff_role,
    };
    use entity::{films, tariff_films, tariff_price_history};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

    let now = clock.now();
    let txn = crate::ssr::repo::begin_write(db).await?;
    let row = tariffs::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound { entity: "tariff" })?;
    let before = repo::get_dto(&txn, id).await?;
    let currency = crate::ssr::repo::stored::currency(&row.currency, "tariff", id)?;

    let mut errors = Vec::new();
    let name = patch
        .name
        .as_deref()
        .map(validate_tariff_name)
        .transpose()
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let role = patch
        .role
        .as_deref()
        .map(validate_tariff_role)
        .transpose()
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let price = patch
        .monthly_price
        .as_deref()
        .map(|p| validate_monthly_price(p, currency))
        .transpose()
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    if let Some(d) = &patch.description
        && d.chars().count() > 2000
    {
        errors.push(crate::domain::DomainError::invalid(
            "description",
            "use at most 2000 characters",
        ));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    if let (Some(roles), Some(role)) = (roles, role.as_deref()) {
        roles.check(role).await?;
    }

    let old_price = row.monthly_price_minor;
    let mut am: tariffs::ActiveModel = row.into();
    if let Some(name) = name {
        am.name = Set(name);
    }
    if let Some(d) = &patch.description {
        am.description = Set(d.trim().to_string());
    }
    if let Some(role) = role {
        am.role = Set(role);
    }
    if let Some(active) = patch.active {
        am.active = Set(active);
    }
    if let Some(price) = price
        && price.minor() != old_price
    {
        am.monthly_price_minor = Set(price.minor());
        tariff_price_history::ActiveModel {
            id: Set(Uuid::now_v7()),
            tariff_id: Set(id),
            old_price_minor: Set(old_price),
            new_price_minor: Set(price.minor()),
            currency: Set(currency.code().to_string()),
            changed_by: Set(actor.id),
            changed_by_label: Set(actor.label.clone()),
            changed_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    am.updated_at = Set(now);
    am.update(&txn).await?;

    if let Some(film_ids) = &patch.film_ids {
        // An archived film may stay on a tariff that has it, but is given to no other.
        let already: Vec<Uuid> = tariff_films::Entity::find()
            .filter(tariff_films::Column::TariffId.eq(id))
            .all(&txn)
            .await?
            .into_iter()
            .map(|l| l.film_id)
            .collect();
        let known = films::Entity::find()
            .filter(films::Column::Id.is_in(film_ids.iter().copied()))
            .filter(
                sea_orm::Condition::any()
                    .add(films::Column::Active.eq(true))
                    .add(films::Column::Id.is_in(already)),
            )
            .count(&txn)
            .await?;
        let unique: std::collections::HashSet<_> = film_ids.iter().collect();
        if known != unique.len() as u64 || unique.len() != film_ids.len() {
            return Err(ServiceError::Invalid(vec![
                crate::domain::DomainError::invalid(
                    "film_ids",
                    "unknown, archived or repeated film",
                ),
            ]));
        }
        tariff_films::Entity::delete_many()
            .filter(tariff_films::Column::TariffId.eq(id))
            .exec(&txn)
            .await?;
        for (position, film_id) in film_ids.iter().enumerate() {
            tariff_films::ActiveModel {
                tariff_id: Set(id),
                film_id: Set(*film_id),
                position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            }
            .insert(&txn)
            .await?;
        }
    }

    let after = repo::get_dto(&txn, id)
        .await?
        .ok_or(ServiceError::NotFound { entity: "tariff" })?;
    let action = match (patch.active, before.as_ref().map(|b| b.active)) {
        (Some(false), Some(true)) => "tariff.archived",
        (Some(true), Some(false)) => "tariff.restored",
        _ if price.is_some_and(|p| p.minor() != old_price) => "tariff.repriced",
        _ => "tariff.updated",
    };
    audit::record(
        &txn,
        AuditEntry {
            actor,
            action,
            entity_type: "tariff",
            entity_id: id.to_string(),
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&after).ok(),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// The tariff, every film to choose from, and the price history (newest first).
pub async fn tariff_editor(
    db: &DatabaseConnection,
    id: Uuid,
) -> Result<crate::dto::TariffEditDto, ServiceError> {
    use crate::domain::Money;
    use crate::dto::{FilmDto, MoneyDto, PriceChangeDto, TariffEditDto};
    use entity::tariff_price_history;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

    let tariff = get_tariff(db, id).await?;
    let chosen: Vec<Uuid> = tariff.films.iter().map(|f| f.id).collect();
    let all_films = crate::ssr::services::films::selectable(db, &chosen)
        .await?
        .into_iter()
        .map(|f| FilmDto {
            id: f.id,
            title: f.title,
            year: f.year,
        })
        .collect();
    let history = tariff_price_history::Entity::find()
        .filter(tariff_price_history::Column::TariffId.eq(id))
        .order_by_desc(tariff_price_history::Column::ChangedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|h| {
            let currency = crate::ssr::repo::stored::currency(&h.currency, "price change", h.id)?;
            Ok(PriceChangeDto {
                old_price: MoneyDto::from(Money::from_minor(h.old_price_minor, currency)),
                new_price: MoneyDto::from(Money::from_minor(h.new_price_minor, currency)),
                changed_by: h.changed_by_label,
                changed_at: h.changed_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            })
        })
        .collect::<Result<_, ServiceError>>()?;
    let active_subscriptions =
        crate::ssr::repo::subscriptions::count_with_access_on(db, id).await?;
    Ok(TariffEditDto {
        tariff,
        all_films,
        history,
        active_subscriptions,
    })
}
