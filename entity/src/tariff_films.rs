use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tariff_films")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tariff_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub film_id: Uuid,
    /// Display order within the tariff.
    pub position: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
