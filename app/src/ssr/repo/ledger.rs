//! The customer's ledger (`ledger_entries`): what they owe (+) and what they paid or got
//! back (−). Append-only: a mistake is corrected by another line, never by an edit.

use chrono::{DateTime, Utc};
use entity::status::LedgerKind;
use entity::{ledger_entries, payments};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

use crate::domain::Money;
use crate::ssr::ServiceError;

/// A line about `payment` (booked by the system).
pub fn payment_line(
    payment: &payments::Model,
    kind: LedgerKind,
    amount_minor: i64,
    description: String,
    now: DateTime<Utc>,
) -> ledger_entries::ActiveModel {
    ledger_entries::ActiveModel {
        id: Set(Uuid::now_v7()),
        customer_id: Set(payment.customer_id),
        kind: Set(kind),
        amount_minor: Set(amount_minor),
        currency: Set(payment.currency.clone()),
        invoice_id: Set(Some(payment.invoice_id)),
        payment_id: Set(Some(payment.id)),
        refund_id: Set(None),
        description: Set(description),
        created_by: Set("system".into()),
        created_at: Set(now),
    }
}

/// Books one line about `payment`.
pub async fn book_payment<C: ConnectionTrait>(
    db: &C,
    payment: &payments::Model,
    kind: LedgerKind,
    amount_minor: i64,
    description: String,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    payment_line(payment, kind, amount_minor, description, now)
        .insert(db)
        .await?;
    Ok(())
}

/// Books many lines in one statement.
pub async fn book_many<C: ConnectionTrait>(
    db: &C,
    lines: Vec<ledger_entries::ActiveModel>,
) -> Result<(), ServiceError> {
    if lines.is_empty() {
        return Ok(());
    }
    ledger_entries::Entity::insert_many(lines)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// A correction by staff (`created_by`), not tied to a payment. Returns its id.
pub async fn book_adjustment<C: ConnectionTrait>(
    db: &C,
    customer_id: Uuid,
    amount: Money,
    description: String,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<Uuid, ServiceError> {
    let id = Uuid::now_v7();
    ledger_entries::ActiveModel {
        id: Set(id),
        customer_id: Set(customer_id),
        kind: Set(LedgerKind::Adjustment),
        amount_minor: Set(amount.minor()),
        currency: Set(amount.currency().code().to_string()),
        invoice_id: Set(None),
        payment_id: Set(None),
        refund_id: Set(None),
        description: Set(description),
        created_by: Set(created_by.to_string()),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(id)
}

/// Every line of the customer's ledger, oldest first (the order balances run in).
pub async fn of_customer<C: ConnectionTrait>(
    db: &C,
    customer: Uuid,
) -> Result<Vec<ledger_entries::Model>, ServiceError> {
    Ok(ledger_entries::Entity::find()
        .filter(ledger_entries::Column::CustomerId.eq(customer))
        .order_by_asc(ledger_entries::Column::CreatedAt)
        .order_by_asc(ledger_entries::Column::Id)
        .all(db)
        .await?)
}

/// Every line (the integrity audit reads them all).
pub async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<ledger_entries::Model>, ServiceError> {
    Ok(ledger_entries::Entity::find().all(db).await?)
}
