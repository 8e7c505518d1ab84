//! Invoices and the payments issued with them: numbering, issuing, voiding, paying.

use entity::{invoice_counters, invoices, payments};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::domain::billing::InvoiceStatus;
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
        .filter(invoices::Column::Kind.eq("purchase"))
        .all(db)
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect())
}

/// The payments of `invoices`, locked in id order (the order settlement locks them in,
/// so two transactions taking both never deadlock).
pub async fn lock_payments_of<C: ConnectionTrait>(
    txn: &C,
    invoices: &[Uuid],
) -> Result<Vec<payments::Model>, ServiceError> {
    Ok(super::for_update(
        payments::Entity::find()
            .filter(payments::Column::InvoiceId.is_in(invoices.iter().copied()))
            .order_by_asc(payments::Column::Id),
        txn,
    )
    .all(txn)
    .await?)
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
