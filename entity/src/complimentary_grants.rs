use sea_orm::entity::prelude::*;

/// A complimentary period support gave a customer: access to `tariff_id` from
/// `starts_at` to `ends_at` with no payment behind it (the integrity audit counts it as
/// covering that access, as a paid period does).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "complimentary_grants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub customer_id: Uuid,
    pub subscription_id: Uuid,
    pub tariff_id: Uuid,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub reason: String,
    pub granted_by: Option<Uuid>,
    pub granted_by_label: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
