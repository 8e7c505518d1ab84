use sea_orm::entity::prelude::*;

/// A film of the catalogue. `external_id` is the Movies DB's id: what tariffs are
/// built from and what entitlements name outside Kinobill.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "films")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub external_id: String,
    pub title: String,
    pub year: i32,
    /// Archived films stay for history but no tariff can be given them.
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
