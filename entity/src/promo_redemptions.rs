use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "promo_redemptions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub promo_code_id: Uuid,
    pub customer_id: Uuid,
    #[sea_orm(unique)]
    pub invoice_id: Uuid,
    pub created_at: DateTimeUtc,
    /// `None` while an open invoice holds the redemption; set when it is paid.
    pub confirmed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
