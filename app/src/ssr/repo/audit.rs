use chrono::{DateTime, Utc};
use entity::audit_log;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};
use uuid::Uuid;

/// Who did something: a staff member, or the system (CLI, seeding, jobs).
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<Uuid>,
    pub label: String,
}

impl Actor {
    pub fn system(label: &str) -> Self {
        Actor {
            id: None,
            label: label.to_string(),
        }
    }

    pub fn staff(id: Uuid, email: &str) -> Self {
        Actor {
            id: Some(id),
            label: email.to_string(),
        }
    }
}

/// One audit row; call it inside the transaction of the change it describes.
#[derive(Debug)]
pub struct AuditEntry<'a> {
    pub actor: &'a Actor,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

pub async fn record<C: ConnectionTrait>(
    db: &C,
    entry: AuditEntry<'_>,
    at: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    audit_log::ActiveModel {
        id: Set(Uuid::now_v7()),
        actor_id: Set(entry.actor.id),
        actor: Set(entry.actor.label.clone()),
        action: Set(entry.action.to_string()),
        entity_type: Set(entry.entity_type.to_string()),
        entity_id: Set(entry.entity_id),
        before: Set(entry.before),
        after: Set(entry.after),
        created_at: Set(at),
    }
    .insert(db)
    .await?;
    Ok(())
}
