//! Personal discounts: marketing gives one customer a percentage off, with a reason and
//! an optional end. At most one is active per customer; replacing keeps the old for the record.

use chrono::{DateTime, Utc};
use entity::{customers, personal_discounts};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::domain::DomainError;
use crate::domain::pricing::Percent;
use crate::domain::promo::parse_instant;
use crate::dto::{PageDto, PersonalDiscountDto};
use crate::ssr::ServiceError;
use crate::ssr::clock::SharedClock;
use crate::ssr::repo::audit::{self, Actor, AuditEntry};

fn to_dto(d: &personal_discounts::Model, c: Option<&customers::Model>) -> PersonalDiscountDto {
    PersonalDiscountDto {
        id: d.id,
        customer_id: d.customer_id,
        customer_email: c.and_then(|c| c.email.clone()),
        customer_name: c.and_then(|c| c.name.clone()),
        percent: Percent::from_bp(i64::from(d.percent_bp))
            .map(|p| p.to_string())
            .unwrap_or_default(),
        valid_from: d.valid_from.to_rfc3339(),
        valid_until: d.valid_until.map(|t| t.to_rfc3339()),
        reason: d.reason.clone(),
    }
}

fn active_condition(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(personal_discounts::Column::RemovedAt.is_null())
        .add(personal_discounts::Column::ValidFrom.lte(now))
        .add(
            Condition::any()
                .add(personal_discounts::Column::ValidUntil.is_null())
                .add(personal_discounts::Column::ValidUntil.gt(now)),
        )
}

async fn active_for<C: ConnectionTrait>(
    db: &C,
    customer: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<personal_discounts::Model>, ServiceError> {
    Ok(personal_discounts::Entity::find()
        .filter(personal_discounts::Column::CustomerId.eq(customer))
        .filter(active_condition(now))
        .order_by_desc(personal_discounts::Column::CreatedAt)
        .one(db)
        .await?)
}

/// Finds a customer by id or (case-insensitive) e-mail.
pub async fn find_customer<C: ConnectionTrait>(
    db: &C,
    query: &str,
) -> Result<customers::Model, ServiceError> {
    let q = query.trim();
    let found = match q.parse::<Uuid>() {
        Ok(id) => customers::Entity::find_by_id(id).one(db).await?,
        Err(_) => {
            customers::Entity::find()
                .filter(customers::Column::Email.eq(q.to_lowercase()))
                .one(db)
                .await?
        }
    };
    found.ok_or(ServiceError::NotFound { entity: "customer" })
}

/// A list's "customer e-mail or id" filter, as typed: `Ok(None)` when nobody has that
/// e-mail or id (the list is empty, not an error), `Ok(Some(None))` when the filter is
/// empty (everyone), `Ok(Some(Some(id)))` for the one customer.
pub async fn customer_filter<C: ConnectionTrait>(
    db: &C,
    typed: Option<&str>,
) -> Result<Option<Option<Uuid>>, ServiceError> {
    match typed.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(Some(None)),
        Some(t) => match find_customer(db, t).await {
            Ok(c) => Ok(Some(Some(c.id))),
            Err(ServiceError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        },
    }
}

/// Sets (or replaces) the customer's discount.
pub async fn set(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    customer_id: Uuid,
    percent: &str,
    valid_until: &str,
    reason: &str,
) -> Result<PersonalDiscountDto, ServiceError> {
    let now = clock.now();
    let mut errors = Vec::new();
    let percent = Percent::parse(percent, "percent")
        .map_err(|e| errors.push(e))
        .ok();
    let until = parse_instant(valid_until, "valid_until")
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    if until.is_some_and(|u| u <= now) {
        errors.push(DomainError::invalid(
            "valid_until",
            "the end must be in the future",
        ));
    }
    let reason = reason.trim();
    match reason.chars().count() {
        0 => errors.push(DomainError::invalid(
            "reason",
            "say why the customer gets this discount",
        )),
        501.. => errors.push(DomainError::invalid("reason", "use at most 500 characters")),
        _ => {}
    }
    let Some(percent) = percent.filter(|_| errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    let txn = crate::ssr::repo::begin_write(db).await?;
    let customer = customers::Entity::find_by_id(customer_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound { entity: "customer" })?;
    let previous = active_for(&txn, customer_id, now).await?;
    let before = previous.as_ref().map(|p| to_dto(p, Some(&customer)));
    if let Some(prev) = previous {
        let mut am: personal_discounts::ActiveModel = prev.into();
        am.removed_at = Set(Some(now));
        am.update(&txn).await?;
    }
    let row = personal_discounts::ActiveModel {
        id: Set(Uuid::now_v7()),
        customer_id: Set(customer_id),
        percent_bp: Set(i32::from(percent.bp())),
        valid_from: Set(now),
        valid_until: Set(until),
        reason: Set(reason.to_string()),
        set_by: Set(actor.id),
        created_at: Set(now),
        removed_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let dto = to_dto(&row, Some(&customer));
    audit::record(
        &txn,
        AuditEntry {
            actor,
            action: "personal_discount.set",
            entity_type: "customer",
            entity_id: customer_id.to_string(),
            before: before.and_then(|b| serde_json::to_value(b).ok()),
            after: serde_json::to_value(&dto).ok(),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(dto)
}

pub async fn remove(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    customer_id: Uuid,
) -> Result<(), ServiceError> {
    let now = clock.now();
    let txn = crate::ssr::repo::begin_write(db).await?;
    let current = active_for(&txn, customer_id, now)
        .await?
        .ok_or(ServiceError::NotFound {
            entity: "personal discount",
        })?;
    let before = to_dto(&current, None);
    let mut am: personal_discounts::ActiveModel = current.into();
    am.removed_at = Set(Some(now));
    am.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry {
            actor,
            action: "personal_discount.removed",
            entity_type: "customer",
            entity_id: customer_id.to_string(),
            before: serde_json::to_value(&before).ok(),
            after: None,
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Active personal discounts, newest first, optionally for customers whose e-mail contains `query`.
pub async fn list_active(
    db: &DatabaseConnection,
    clock: &SharedClock,
    query: &str,
    page: u32,
    per_page: u32,
) -> Result<PageDto<PersonalDiscountDto>, ServiceError> {
    let now = clock.now();
    let per_page = per_page.clamp(1, 200);
    let page = std::cmp::max(page, 1);
    let mut select = personal_discounts::Entity::find().filter(active_condition(now));
    let q = query.trim().to_lowercase();
    if !q.is_empty() {
        let ids: Vec<Uuid> = customers::Entity::find()
            .filter(customers::Column::Email.contains(q.as_str()))
            .all(db)
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect();
        select = select.filter(personal_discounts::Column::CustomerId.is_in(ids));
    }
    let paginator = select
        .order_by_desc(personal_discounts::Column::CreatedAt)
        .paginate(db, u64::from(per_page));
    let total = paginator.num_items().await?;
    let rows = paginator.fetch_page(u64::from(page - 1)).await?;
    let customers: Vec<customers::Model> = customers::Entity::find()
        .filter(customers::Column::Id.is_in(rows.iter().map(|r| r.customer_id)))
        .all(db)
        .await?;
    let items = rows
        .iter()
        .map(|r| to_dto(r, customers.iter().find(|c| c.id == r.customer_id)))
        .collect();
    Ok(PageDto {
        items,
        page,
        per_page,
        total,
    })
}
