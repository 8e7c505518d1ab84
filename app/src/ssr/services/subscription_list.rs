//! Subscriptions by status and tariff, newest first.

use entity::status::SubscriptionStatus;
use entity::subscriptions;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::dto::{AdminSubscriptionRowDto, SubscriptionPageDto};
use crate::ssr::ServiceError;
use crate::ssr::csv::{self, CsvRow};
use crate::ssr::repo::{keyset, lookup};
use crate::ssr::time::rfc3339;

#[derive(Debug, Clone, Default)]
pub struct SubscriptionFilter {
    /// `active`, `grace`, `expired` or `canceled`.
    pub status: Option<String>,
    pub tariff_id: Option<Uuid>,
}

pub fn parse_status(s: &str) -> Result<SubscriptionStatus, ServiceError> {
    s.parse::<SubscriptionStatus>().map_err(|_| {
        ServiceError::rule(
            "validation_failed",
            "status",
            "status must be one of active, grace, expired, canceled.",
        )
    })
}

pub async fn list(
    db: &DatabaseConnection,
    filter: &SubscriptionFilter,
    limit: u64,
    cursor: Option<&str>,
) -> Result<SubscriptionPageDto, ServiceError> {
    use subscriptions::Column as S;
    let mut q = subscriptions::Entity::find();
    if let Some(s) = filter.status.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(S::Status.eq(parse_status(s)?));
    }
    if let Some(t) = filter.tariff_id {
        q = q.filter(S::TariffId.eq(t));
    }
    let before = keyset::decode_opt(cursor)?;
    let (rows, more) = keyset::newest_first(db, q, (S::CreatedAt, S::Id), before, limit).await?;
    let next_cursor = keyset::next(&rows, more, |s| (s.created_at, s.id));
    let emails = lookup::emails(db, rows.iter().map(|s| s.customer_id)).await?;
    let tariffs = lookup::tariffs(db).await?;
    let data = rows
        .into_iter()
        .map(|s| AdminSubscriptionRowDto {
            id: s.id,
            customer_id: s.customer_id,
            customer_email: emails.get(&s.customer_id).cloned(),
            tariff_id: s.tariff_id,
            tariff_name: lookup::tariff_name(&tariffs, s.tariff_id),
            status: s.status.to_string(),
            current_period_start: rfc3339(s.current_period_start),
            current_period_end: rfc3339(s.current_period_end),
            auto_renew: s.auto_renew,
            next_tariff_name: s.next_tariff_id.map(|t| lookup::tariff_name(&tariffs, t)),
            created_at: rfc3339(s.created_at),
        })
        .collect();
    Ok(SubscriptionPageDto { data, next_cursor })
}

impl CsvRow for AdminSubscriptionRowDto {
    const HEADER: &'static [&'static str] = &[
        "id",
        "customer_id",
        "customer_email",
        "tariff",
        "status",
        "current_period_start",
        "current_period_end",
        "auto_renew",
        "next_tariff",
        "created_at",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.customer_id.to_string(),
            csv::opt(&self.customer_email),
            self.tariff_name.clone(),
            self.status.clone(),
            self.current_period_start.clone(),
            self.current_period_end.clone(),
            self.auto_renew.to_string(),
            csv::opt(&self.next_tariff_name),
            self.created_at.clone(),
        ]
    }
}
