//! The price list: tariffs and the films they include.

use entity::tariffs;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, TransactionTrait};
use uuid::Uuid;

use crate::domain::catalog::{TariffDraft, TariffInput};
use crate::dto::{PageDto, TariffDto};
use crate::ssr::ServiceError;
use crate::ssr::clock::SharedClock;
use crate::ssr::repo::audit::{self, Actor, AuditEntry};
use crate::ssr::repo::catalog::{self as repo, TariffStatusFilter};

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
#[tracing::instrument(skip(db, clock, input), fields(actor = %actor.label))]
pub async fn create_tariff(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    input: &TariffInput,
) -> Result<TariffDto, ServiceError> {
    let draft = TariffDraft::parse(input).map_err(ServiceError::Invalid)?;
    let now = clock.now();
    let txn = db.begin().await?;
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
        active: Set(true),
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
