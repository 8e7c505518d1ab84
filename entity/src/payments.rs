use sea_orm::entity::prelude::*;

pub use crate::status::PaymentStatus;

/// One attempt to pay an invoice at the provider; `status` is pending | succeeded | failed | canceled | refunded.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub invoice_id: Uuid,
    pub customer_id: Uuid,
    pub provider: String,
    pub provider_payment_id: Option<String>,
    #[sea_orm(unique)]
    pub provider_idempotency_key: String,
    pub status: PaymentStatus,
    pub amount_minor: i64,
    pub currency: String,
    pub save_payment_method: bool,
    pub payment_method_id: Option<Uuid>,
    #[sea_orm(column_type = "Text", nullable)]
    pub confirmation_url: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub return_url: Option<String>,
    pub failure_code: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub failure_message: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub paid_at: Option<DateTimeUtc>,
    /// Reconciliation looks this pending payment up at the provider again from then on.
    pub next_poll_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
