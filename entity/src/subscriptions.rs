use sea_orm::entity::prelude::*;

pub use crate::status::SubscriptionStatus;

/// The customer's one subscription; `status` is active | grace | expired | canceled.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "subscriptions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub customer_id: Uuid,
    pub tariff_id: Uuid,
    pub status: SubscriptionStatus,
    pub current_period_start: DateTimeUtc,
    pub current_period_end: DateTimeUtc,
    pub auto_renew: bool,
    pub payment_method_id: Option<Uuid>,
    /// The period end the "ends in 3 days" reminder was sent for.
    pub reminded_for: Option<DateTimeUtc>,
    /// Failed renewal charges of the current period (part of the next charge's key).
    pub renewal_attempts: i32,
    /// No renewal charge before this (retry schedule after a failure).
    pub next_renewal_at: Option<DateTimeUtc>,
    /// A worker holds this subscription's renewal until then.
    pub renewal_lease_until: Option<DateTimeUtc>,
    /// The tariff the customer switches to from the next period (renewed at its price).
    pub next_tariff_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
