use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    /// Also the message id consumers deduplicate on.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `events` (RabbitMQ), `notify` or `auth`.
    pub destination: String,
    /// Routing key / notification kind, e.g. `payment.succeeded`.
    pub kind: String,
    pub payload: Json,
    pub created_at: DateTimeUtc,
    pub available_at: DateTimeUtc,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTimeUtc>,
    pub dead_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
