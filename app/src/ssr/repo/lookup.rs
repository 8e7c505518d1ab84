//! Batched look-ups for a page of rows: one query per page, never one per row.

use std::collections::HashMap;

use entity::{customers, tariffs};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

/// The e-mail of each customer among `ids` (absent when they have none).
pub async fn emails<C: ConnectionTrait>(
    db: &C,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, String>, sea_orm::DbErr> {
    let mut ids: Vec<Uuid> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(customers::Entity::find()
        .filter(customers::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|c| c.email.map(|e| (c.id, e)))
        .collect())
}

/// Every tariff by id: a price list is a few dozen rows, cheaper whole than filtered.
pub async fn tariffs<C: ConnectionTrait>(
    db: &C,
) -> Result<HashMap<Uuid, tariffs::Model>, sea_orm::DbErr> {
    Ok(tariffs::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect())
}

/// A tariff's name for a row, or a placeholder if it has gone (it never should).
pub fn tariff_name(all: &HashMap<Uuid, tariffs::Model>, id: Uuid) -> String {
    all.get(&id)
        .map(|t| t.name.clone())
        .unwrap_or_else(|| format!("tariff {}", &id.simple().to_string()[..8]))
}
