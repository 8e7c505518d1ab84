//! Invoices and the payments issued with them: numbering, issuing, voiding, paying.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{invoice_counters, invoices, payments};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::domain::billing::{InvoiceKind, InvoiceStatus};
use crate::ssr::ServiceError;
use crate::ssr::services::invoicing::Issued;

/// The next `count` consecutive invoice numbers of `year`, inside the caller's
/// transaction: one atomic upsert (`INSERT … ON CONFLICT DO UPDATE … RETURNING`), which
/// locks the counter row until commit on PostgreSQL and never fails on a concurrent
/// first number of a year. Numbers stay gapless because they commit or roll back with
/// the invoices that use them; a batch takes its whole range in one statement, so the
/// counter row is locked (and rewritten) once per batch, not once per invoice.
pub async fn next_numbers<C: ConnectionTrait>(
    db: &C,
    year: i32,
    count: usize,
) -> Result<Vec<String>, ServiceError> {
    let count = i64::try_from(count).map_err(anyhow::Error::from)?;
    if count == 0 {
        return Ok(Vec::new());
    }
    let row = invoice_counters::Entity::insert(invoice_counters::ActiveModel {
        year: Set(year),
        last_number: Set(count),
    })
    .on_conflict(
        OnConflict::column(invoice_counters::Column::Year)
            .value(
                invoice_counters::Column::LastNumber,
                Expr::col((
                    invoice_counters::Entity,
                    invoice_counters::Column::LastNumber,
                ))
                .add(count),
            )
            .to_owned(),
    )
    .exec_with_returning(db)
    .await?;
    let first = row.last_number - count + 1;
    Ok((first..=row.last_number)
        .map(|n| format!("KB-{year}-{n:06}"))
        .collect())
}

/// Writes issued invoices and their payments, one statement per table.
pub async fn insert_issued<C: ConnectionTrait>(
    db: &C,
    issued: &[Issued],
) -> Result<(), sea_orm::DbErr> {
    if issued.is_empty() {
        return Ok(());
    }
    invoices::Entity::insert_many(
        issued
            .iter()
            .map(|i| i.invoice.clone().into_active_model().reset_all()),
    )
    .exec_without_returning(db)
    .await?;
    payments::Entity::insert_many(
        issued
            .iter()
            .map(|i| i.payment.clone().into_active_model().reset_all()),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The customer's open purchase invoices (renewals are the worker's).
pub async fn open_purchases<C: ConnectionTrait>(
    db: &C,
    customer: Uuid,
) -> Result<Vec<Uuid>, ServiceError> {
    Ok(invoices::Entity::find()
        .filter(invoices::Column::CustomerId.eq(customer))
        .filter(invoices::Column::Status.eq(InvoiceStatus::Open))
        .filter(invoices::Column::Kind.eq(InvoiceKind::Purchase))
        .all(db)
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect())
}

/// Voids those of `ids` still open (one paid meanwhile stays paid).
pub async fn void_open<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> Result<(), ServiceError> {
    if ids.is_empty() {
        return Ok(());
    }
    invoices::Entity::update_many()
        .col_expr(invoices::Column::Status, Expr::value(InvoiceStatus::Void))
        .filter(invoices::Column::Id.is_in(ids.iter().copied()))
        .filter(invoices::Column::Status.eq(InvoiceStatus::Open))
        .exec(db)
        .await?;
    Ok(())
}

/// One invoice.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> Result<Option<invoices::Model>, ServiceError> {
    Ok(invoices::Entity::find_by_id(id).one(db).await?)
}

/// Invoices by id, by id.
pub async fn by_ids<C: ConnectionTrait>(
    db: &C,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, invoices::Model>, ServiceError> {
    Ok(invoices::Entity::find()
        .filter(invoices::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect())
}

/// The customer's newest `limit` invoices.
pub async fn recent_of_customer<C: ConnectionTrait>(
    db: &C,
    customer: Uuid,
    limit: u64,
) -> Result<Vec<invoices::Model>, ServiceError> {
    Ok(invoices::Entity::find()
        .filter(invoices::Column::CustomerId.eq(customer))
        .order_by_desc(invoices::Column::CreatedAt)
        .limit(limit)
        .all(db)
        .await?)
}

/// Which of `ids` are renewal invoices.
pub async fn renewals_among<C: ConnectionTrait>(
    db: &C,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashSet<Uuid>, ServiceError> {
    Ok(invoices::Entity::find()
        .select_only()
        .column(invoices::Column::Id)
        .filter(invoices::Column::Id.is_in(ids))
        .filter(invoices::Column::Kind.eq(InvoiceKind::Renewal))
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// The invoices were paid at `now`.
pub async fn mark_paid<C: ConnectionTrait>(
    txn: &C,
    ids: impl IntoIterator<Item = Uuid>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    invoices::Entity::update_many()
        .col_expr(invoices::Column::Status, Expr::value(InvoiceStatus::Paid))
        .col_expr(invoices::Column::PaidAt, Expr::value(Some(now)))
        .filter(invoices::Column::Id.is_in(ids))
        .exec(txn)
        .await?;
    Ok(())
}

/// Every invoice (the integrity audit reads them all).
pub async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<invoices::Model>, ServiceError> {
    Ok(invoices::Entity::find().all(db).await?)
}
