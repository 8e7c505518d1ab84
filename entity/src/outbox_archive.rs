use sea_orm::entity::prelude::*;

/// Delivered outbox rows, moved out of the hot table by housekeeping.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_archive")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub destination: String,
    pub kind: String,
    pub payload: Json,
    pub created_at: DateTimeUtc,
    pub attempts: i32,
    pub delivered_at: DateTimeUtc,
    pub archived_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
