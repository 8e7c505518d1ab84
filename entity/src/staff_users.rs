use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "staff_users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Stored lower-cased; unique.
    #[sea_orm(unique)]
    pub email: String,
    pub name: String,
    /// `admin`, `marketing` or `support` (parsed into `StaffRole` at the repo boundary).
    pub role: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    pub active: bool,
    /// SHA-256 of an unused one-time password-setup link, if one was issued.
    pub setup_token_hash: Option<String>,
    pub setup_expires_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
