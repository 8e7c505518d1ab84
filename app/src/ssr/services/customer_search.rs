//! Support's customer search: by e-mail, name or id, newest first.

use entity::{customers, subscriptions};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::dto::{AdminCustomerRowDto, CustomerPageDto};
use crate::ssr::ServiceError;
use crate::ssr::csv::{self, CsvRow};
use crate::ssr::repo::{keyset, lookup};
use crate::ssr::services::films::contains;
use crate::ssr::time::rfc3339;

/// `q` is part of an e-mail or name (any case), or a whole customer id. Empty: everyone.
pub async fn search(
    db: &DatabaseConnection,
    q: Option<&str>,
    limit: u64,
    cursor: Option<&str>,
) -> Result<CustomerPageDto, ServiceError> {
    use customers::Column as C;
    let mut query = customers::Entity::find();
    if let Some(text) = q.map(str::trim).filter(|t| !t.is_empty()) {
        query = match Uuid::parse_str(text) {
            Ok(id) => query.filter(C::Id.eq(id)),
            Err(_) => query.filter(
                Condition::any()
                    .add(contains((customers::Entity, C::Email), text))
                    .add(contains((customers::Entity, C::Name), text)),
            ),
        };
    }
    let before = keyset::decode_opt(cursor)?;
    let (rows, more) =
        keyset::newest_first(db, query, (C::CreatedAt, C::Id), before, limit).await?;
    let next_cursor = keyset::next(&rows, more, |c| (c.created_at, c.id));
    let ids: Vec<Uuid> = rows.iter().map(|c| c.id).collect();
    let subs: std::collections::HashMap<Uuid, subscriptions::Model> = subscriptions::Entity::find()
        .filter(subscriptions::Column::CustomerId.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.customer_id, s))
        .collect();
    let tariffs = lookup::tariffs(db).await?;
    let data = rows
        .into_iter()
        .map(|c| {
            let sub = subs.get(&c.id);
            AdminCustomerRowDto {
                id: c.id,
                email: c.email,
                name: c.name,
                created_at: rfc3339(c.created_at),
                subscription_status: sub
                    .map(|s| s.status.to_string())
                    .unwrap_or_else(|| "none".into()),
                tariff_name: sub.map(|s| lookup::tariff_name(&tariffs, s.tariff_id)),
                current_period_end: sub.map(|s| rfc3339(s.current_period_end)),
            }
        })
        .collect();
    Ok(CustomerPageDto { data, next_cursor })
}

impl CsvRow for AdminCustomerRowDto {
    const HEADER: &'static [&'static str] = &[
        "id",
        "email",
        "name",
        "created_at",
        "subscription_status",
        "tariff",
        "current_period_end",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            csv::opt(&self.email),
            csv::opt(&self.name),
            self.created_at.clone(),
            self.subscription_status.clone(),
            csv::opt(&self.tariff_name),
            csv::opt(&self.current_period_end),
        ]
    }
}
