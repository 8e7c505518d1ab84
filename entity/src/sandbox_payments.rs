use sea_orm::entity::prelude::*;

/// The sandbox provider's own payment (never read by billing).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sandbox_payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub idempotency_key: String,
    pub amount_minor: i64,
    pub currency: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    #[sea_orm(column_type = "Text")]
    pub return_url: String,
    #[sea_orm(column_type = "Text")]
    pub metadata: String,
    pub status: String,
    pub failure_code: Option<String>,
    pub card_last4: Option<String>,
    pub save_card: bool,
    pub card_token: Option<String>,
    pub refunded_minor: i64,
    /// The merchant's own reference, for personalities that look payments up by it
    /// (CloudPayments' `InvoiceId`).
    pub merchant_ref: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
