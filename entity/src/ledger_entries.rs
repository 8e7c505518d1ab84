use sea_orm::entity::prelude::*;

pub use crate::status::LedgerKind;

/// The customer's account: positive = owed by the customer, negative = in their favour.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub customer_id: Uuid,
    pub kind: LedgerKind,
    pub amount_minor: i64,
    pub currency: String,
    pub invoice_id: Option<Uuid>,
    pub payment_id: Option<Uuid>,
    pub refund_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub created_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
