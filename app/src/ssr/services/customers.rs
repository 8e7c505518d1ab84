//! Customers: known by the auth service's user id, created on first sight (API.md).

use chrono::{DateTime, Utc};
use entity::customers;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::dto::CustomerDto;
use crate::ssr::ServiceError;
use crate::ssr::customer_token::CustomerClaims;

pub fn to_dto(m: customers::Model) -> CustomerDto {
    CustomerDto {
        id: m.id,
        email: m.email,
        name: m.name,
    }
}

/// The customer a token speaks for, created on first sight and kept in step with the
/// token's e-mail and name. An e-mail already held by another customer is not copied
/// (the auth service is the source of truth; ours is only a unique lookup key).
pub async fn upsert_from_claims<C: ConnectionTrait>(
    db: &C,
    claims: &CustomerClaims,
    now: DateTime<Utc>,
) -> Result<CustomerDto, ServiceError> {
    if let Some(existing) = customers::Entity::find_by_id(claims.id).one(db).await? {
        let email_changed = claims.email.is_some() && claims.email != existing.email;
        let name_changed = claims.name.is_some() && claims.name != existing.name;
        if !email_changed && !name_changed {
            return Ok(to_dto(existing));
        }
        let mut active: customers::ActiveModel = existing.clone().into();
        if name_changed {
            active.name = Set(claims.name.clone());
        }
        if email_changed && !email_taken(db, claims.email.as_deref(), claims.id).await? {
            active.email = Set(claims.email.clone());
        }
        return Ok(to_dto(active.update(db).await?));
    }
    let email = if email_taken(db, claims.email.as_deref(), claims.id).await? {
        None
    } else {
        claims.email.clone()
    };
    // Two first requests of one customer may race: the loser's insert is a no-op.
    let inserted = customers::Entity::insert(customers::ActiveModel {
        id: Set(claims.id),
        email: Set(email),
        name: Set(claims.name.clone()),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(customers::Column::Id)
            .do_nothing()
            .to_owned(),
    )
    .exec(db)
    .await;
    match inserted {
        Ok(_) | Err(sea_orm::DbErr::RecordNotInserted) => {}
        Err(e) => return Err(e.into()),
    }
    find(db, claims.id)
        .await?
        .ok_or(ServiceError::NotFound { entity: "customer" })
}

async fn email_taken<C: ConnectionTrait>(
    db: &C,
    email: Option<&str>,
    except: Uuid,
) -> Result<bool, ServiceError> {
    let Some(email) = email else {
        return Ok(false);
    };
    Ok(customers::Entity::find()
        .filter(customers::Column::Email.eq(email))
        .filter(customers::Column::Id.ne(except))
        .one(db)
        .await?
        .is_some())
}

pub async fn find<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> Result<Option<CustomerDto>, ServiceError> {
    Ok(customers::Entity::find_by_id(id).one(db).await?.map(to_dto))
}

/// The first `limit` customers of the demo data (`@example.com`), for the demo sign-in.
/// Whether `email` is one of the demo customers the seed creates
/// (`customer01@example.com` …): the only customers demo sign-in may act as.
pub fn is_demo_email(email: &str) -> bool {
    email
        .strip_prefix("customer")
        .and_then(|rest| rest.strip_suffix("@example.com"))
        .is_some_and(|n| !n.is_empty() && n.len() <= 4 && n.bytes().all(|b| b.is_ascii_digit()))
}

pub async fn demo_customers<C: ConnectionTrait>(
    db: &C,
    limit: u64,
) -> Result<Vec<CustomerDto>, ServiceError> {
    Ok(customers::Entity::find()
        .filter(customers::Column::Email.like("customer%@example.com"))
        .order_by_asc(customers::Column::Email)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .filter(|c| c.email.as_deref().is_some_and(is_demo_email))
        .map(to_dto)
        .collect())
}
