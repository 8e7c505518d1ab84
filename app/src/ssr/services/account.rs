//! The customer's account: subscription, statement (ledger with running balance) and
//! entitlements.

use chrono::{DateTime, Utc};
use entity::{entitlements, subscriptions, tariff_films, tariffs};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::domain::Money;
use crate::domain::subscription::access_until;
use crate::dto::{
    EntitlementDto, EntitlementRoleDto, MoneyDto, StatementLineDto, SubscriptionDto,
    TariffSummaryDto,
};
use crate::ssr::ServiceError;
use crate::ssr::repo::subscriptions as subscriptions_repo;
use crate::ssr::repo::{ledger, stored};
use crate::ssr::time::rfc3339;

pub async fn subscription<C: ConnectionTrait>(
    db: &C,
    customer: Uuid,
) -> Result<SubscriptionDto, ServiceError> {
    let Some(sub) = subscriptions_repo::of_customer(db, customer).await? else {
        return Ok(SubscriptionDto {
            status: "none".into(),
            tariff: None,
            current_period_start: None,
            current_period_end: None,
            access_until: None,
            auto_renew: false,
            next_tariff: None,
        });
    };
    let summary = |t: tariffs::Model| TariffSummaryDto {
        id: t.id,
        code: t.code,
        name: t.name,
        role: t.role,
    };
    let tariff = tariffs::Entity::find_by_id(sub.tariff_id).one(db).await?;
    let next_tariff = match sub.next_tariff_id {
        Some(id) => tariffs::Entity::find_by_id(id).one(db).await?.map(summary),
        None => None,
    };
    let has_access = crate::domain::billing::has_access(sub.status);
    Ok(SubscriptionDto {
        status: sub.status.to_string(),
        tariff: tariff.map(summary),
        next_tariff,
        current_period_start: Some(rfc3339(sub.current_period_start)),
        current_period_end: Some(rfc3339(sub.current_period_end)),
        access_until: has_access.then(|| rfc3339(access_until(sub.current_period_end))),
        auto_renew: sub.auto_renew,
    })
}

/// The customer's subscription under its row lock (PostgreSQL), for a read-modify-write.
pub(crate) async fn locked_subscription<C: ConnectionTrait>(
    db: &C,
    customer: Uuid,
) -> Result<subscriptions::Model, ServiceError> {
    subscriptions_repo::lock_of_customer(db, customer)
        .await?
        .ok_or(ServiceError::NotFound {
            entity: "subscription",
        })
}

/// Turns renewals on or off. Only a subscription that can still renew may be changed.
pub async fn set_auto_renew<C: ConnectionTrait>(
    db: &C,
    customer: Uuid,
    on: bool,
    now: DateTime<Utc>,
) -> Result<SubscriptionDto, ServiceError> {
    let sub = locked_subscription(db, customer).await?;
    if on && !crate::domain::billing::has_access(sub.status) {
        return Err(ServiceError::Rule {
            code: "subscription_not_active",
            field: "auto_renew",
            message: "Only an active subscription can renew. Buy a tariff to start again.".into(),
        });
    }
    if on && sub.payment_method_id.is_none() {
        return Err(ServiceError::Rule {
            code: "no_payment_method",
            field: "auto_renew",
            message:
                "There is no saved card to renew with. Tick \"save the card\" at your next payment."
                    .into(),
        });
    }
    subscriptions_repo::set_auto_renew(db, &sub, on, now).await?;
    subscription(db, customer).await
}

/// Schedules a switch to `next` from the next period (renewed at its price with the
/// customer's discounts), or cancels it with `None`. Choosing the current tariff cancels
/// a scheduled switch too.
pub async fn set_next_tariff<C: ConnectionTrait>(
    db: &C,
    customer: Uuid,
    next: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<SubscriptionDto, ServiceError> {
    let sub = locked_subscription(db, customer).await?;
    if next.is_some() && !crate::domain::billing::has_access(sub.status) {
        return Err(ServiceError::rule(
            "subscription_not_active",
            "next_tariff_id",
            "Only a running subscription can switch at its next period. Buy the tariff you want instead.",
        ));
    }
    if let Some(id) = next {
        let tariff = tariffs::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or_else(|| {
                ServiceError::rule(
                    "tariff_not_found",
                    "next_tariff_id",
                    "There is no such tariff.",
                )
            })?;
        if !tariff.active {
            return Err(ServiceError::rule(
                "tariff_archived",
                "next_tariff_id",
                format!("The tariff {} is no longer on sale.", tariff.name),
            ));
        }
    }
    let next = next.filter(|id| *id != sub.tariff_id);
    subscriptions_repo::set_next_tariff(db, &sub, next, now).await?;
    subscription(db, customer).await
}

/// Ledger lines between `from` and `to` with the running balance (which includes every
/// line before `from`, so a filtered statement still shows true balances).
pub async fn statement<C: ConnectionTrait>(
    db: &C,
    customer: Uuid,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<Vec<StatementLineDto>, ServiceError> {
    let rows = ledger::of_customer(db, customer).await?;
    let mut balance = 0_i64;
    let mut out = Vec::new();
    for r in rows {
        balance += r.amount_minor;
        if from.is_some_and(|f| r.created_at < f) || to.is_some_and(|t| r.created_at >= t) {
            continue;
        }
        let currency = stored::currency(&r.currency, "ledger entry", r.id)?;
        out.push(StatementLineDto {
            id: r.id,
            date: rfc3339(r.created_at),
            kind: r.kind.to_string(),
            description: r.description,
            amount: MoneyDto::from(Money::from_minor(r.amount_minor, currency)),
            balance: MoneyDto::from(Money::from_minor(balance, currency)),
        });
    }
    Ok(out)
}

/// CSV of a statement; fields with commas or quotes are quoted.
pub fn statement_csv(lines: &[StatementLineDto]) -> String {
    fn field(s: &str) -> String {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    }
    let mut out = String::from("date,kind,description,amount,currency,balance\n");
    for l in lines {
        out.push_str(&format!(
            "{},{},{},{},{},{}\n",
            l.date,
            l.kind,
            field(&l.description),
            l.amount.amount,
            l.amount.currency,
            l.balance.amount
        ));
    }
    out
}

/// Who may watch what: the role of the current tariff while access lasts.
pub async fn entitlements<C: ConnectionTrait>(
    db: &C,
    customer: Uuid,
    now: DateTime<Utc>,
) -> Result<EntitlementDto, ServiceError> {
    let row = entitlements::Entity::find_by_id(customer)
        .one(db)
        .await?
        .filter(|e| e.valid_until > now);
    let (roles, film_ids) = match row {
        Some(e) => {
            // Named by the Movies DB's id: what the player and other services know.
            let ids: Vec<Uuid> = tariff_films::Entity::find()
                .filter(tariff_films::Column::TariffId.eq(e.tariff_id))
                .all(db)
                .await?
                .into_iter()
                .map(|f| f.film_id)
                .collect();
            let films = entity::films::Entity::find()
                .filter(entity::films::Column::Id.is_in(ids))
                .order_by_asc(entity::films::Column::ExternalId)
                .all(db)
                .await?
                .into_iter()
                .map(|f| f.external_id)
                .collect();
            (
                vec![EntitlementRoleDto {
                    role: e.role,
                    valid_until: rfc3339(e.valid_until),
                }],
                films,
            )
        }
        None => (Vec::new(), Vec::new()),
    };
    Ok(EntitlementDto {
        user_id: customer,
        roles,
        film_ids,
    })
}
