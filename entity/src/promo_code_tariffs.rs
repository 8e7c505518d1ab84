use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "promo_code_tariffs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub promo_code_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub tariff_id: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
