use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "promo_codes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Normalised upper case, so uniqueness is case-insensitive.
    #[sea_orm(unique)]
    pub code: String,
    /// Exactly one of `percent_bp` / `amount_minor` is set.
    pub percent_bp: Option<i32>,
    pub amount_minor: Option<i64>,
    pub currency: String,
    pub valid_from: Option<DateTimeUtc>,
    pub valid_until: Option<DateTimeUtc>,
    pub max_redemptions: Option<i32>,
    pub once_per_customer: bool,
    pub active: bool,
    /// Paid redemptions so far; never above `max_redemptions`.
    pub redemption_count: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
