use sea_orm::entity::prelude::*;

pub use crate::status::RefundStatus;

/// At most one per payment; `status` is pending | succeeded | failed.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "refunds")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub payment_id: Uuid,
    pub customer_id: Uuid,
    pub provider_refund_id: Option<String>,
    pub provider_idempotency_key: String,
    pub status: RefundStatus,
    pub amount_minor: i64,
    pub currency: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    pub requested_by: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub failure_message: Option<String>,
    pub created_at: DateTimeUtc,
    pub completed_at: Option<DateTimeUtc>,
    /// While pending: when the worker next asks the provider (a lost answer).
    pub next_poll_at: Option<DateTimeUtc>,
    /// An admin's partial refund: `shorten` (the period shrinks in proportion to the
    /// amount) or `keep` (access stays). `None`: the whole payment, its period revoked.
    pub period: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
