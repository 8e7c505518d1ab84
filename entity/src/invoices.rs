use sea_orm::entity::prelude::*;

pub use crate::status::{DiscountKind, InvoiceKind, InvoiceStatus};

/// An invoice freezes its quote; `status` is open | paid | void.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub number: String,
    pub customer_id: Uuid,
    pub tariff_id: Uuid,
    pub kind: InvoiceKind,
    pub months: i32,
    pub list_price_minor: i64,
    pub discount_kind: Option<DiscountKind>,
    pub discount_percent_bp: Option<i32>,
    pub discount_minor: i64,
    pub total_minor: i64,
    pub currency: String,
    pub promo_code_id: Option<Uuid>,
    pub quote: Json,
    pub status: InvoiceStatus,
    pub created_at: DateTimeUtc,
    pub paid_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
