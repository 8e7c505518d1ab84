use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "month_discounts")]
pub struct Model {
    /// Threshold: the discount applies to purchases of at least this many months.
    #[sea_orm(primary_key, auto_increment = false)]
    pub months: i32,
    /// Percent in basis points (5 % = 500).
    pub percent_bp: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
