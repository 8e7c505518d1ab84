//! Who may watch what: one entitlement row per customer, replaced whenever access moves.

use chrono::{DateTime, Utc};
use entity::{entitlements, tariffs};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::domain::subscription::access_until;
use crate::ssr::ServiceError;

/// Gives each `(customer, tariff, period end)` the tariff's role until the end of the
/// period's grace, replacing what the customer had, in one statement.
pub async fn grant_many<'a, C: ConnectionTrait>(
    txn: &C,
    grants: impl IntoIterator<Item = (Uuid, &'a tariffs::Model, DateTime<Utc>)>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    entitlements::Entity::insert_many(grants.into_iter().map(|(customer, tariff, ends_at)| {
        entitlements::ActiveModel {
            customer_id: Set(customer),
            tariff_id: Set(tariff.id),
            role: Set(tariff.role.clone()),
            valid_until: Set(access_until(ends_at)),
            updated_at: Set(now),
        }
    }))
    .on_conflict(
        OnConflict::column(entitlements::Column::CustomerId)
            .update_columns([
                entitlements::Column::TariffId,
                entitlements::Column::Role,
                entitlements::Column::ValidUntil,
                entitlements::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    Ok(())
}
