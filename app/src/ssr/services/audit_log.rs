//! The audit log as people read it: who did what and when, filtered by actor, action,
//! entity and date, with each change's before/after as a field-by-field difference.

use chrono::{DateTime, Utc};
use entity::audit_log;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::Value;

use crate::dto::{AuditChangeDto, AuditEntryDto, AuditPageDto};
use crate::ssr::ServiceError;
use crate::ssr::csv::CsvRow;
use crate::ssr::repo::keyset;
use crate::ssr::services::films::contains;
use crate::ssr::time::rfc3339;

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Part of the actor's e-mail or label (`cli`, `seed`).
    pub actor: Option<String>,
    /// An action (`tariff.updated`) or its family (`tariff`, `tariff.`).
    pub action: Option<String>,
    /// The kind of thing changed: `tariff`, `promo_code`, `staff_user`, `film`, …
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// The fields that differ between `before` and `after`, as dotted paths into nested
/// objects; arrays and scalars are compared whole. Secrets are never in audit rows
/// (the services leave them out), so values are shown as stored.
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Vec<AuditChangeDto> {
    fn walk(path: &str, b: Option<&Value>, a: Option<&Value>, out: &mut Vec<AuditChangeDto>) {
        let absent = |v: Option<&Value>| v.is_none_or(Value::is_null);
        let empty = serde_json::Map::new();
        // A creation or deletion of an object lists its fields one by one too.
        let objects = match (b, a) {
            (Some(Value::Object(bo)), Some(Value::Object(ao))) => Some((bo, ao)),
            (Some(Value::Object(bo)), _) if absent(a) => Some((bo, &empty)),
            (_, Some(Value::Object(ao))) if absent(b) => Some((&empty, ao)),
            _ => None,
        };
        if let Some((bo, ao)) = objects {
            let mut keys: Vec<&String> = bo.keys().chain(ao.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(&p, bo.get(k), ao.get(k), out);
            }
        } else if b != a && !(absent(b) && absent(a)) {
            out.push(AuditChangeDto {
                field: if path.is_empty() {
                    "value".into()
                } else {
                    path.to_string()
                },
                before: b.filter(|v| !v.is_null()).map(Value::to_string),
                after: a.filter(|v| !v.is_null()).map(Value::to_string),
            });
        }
    }
    let mut out = Vec::new();
    walk("", before, after, &mut out);
    out
}

fn dto(r: audit_log::Model) -> AuditEntryDto {
    AuditEntryDto {
        changes: diff(r.before.as_ref(), r.after.as_ref()),
        id: r.id,
        at: rfc3339(r.created_at),
        actor: r.actor,
        actor_id: r.actor_id,
        action: r.action,
        entity_type: r.entity_type,
        entity_id: r.entity_id,
        before: r.before,
        after: r.after,
    }
}

pub async fn list(
    db: &DatabaseConnection,
    filter: &AuditFilter,
    limit: u64,
    cursor: Option<&str>,
) -> Result<AuditPageDto, ServiceError> {
    use audit_log::Column as A;
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    };
    let mut q = audit_log::Entity::find();
    if let Some(actor) = text(&filter.actor) {
        q = q.filter(contains((audit_log::Entity, A::Actor), &actor));
    }
    if let Some(action) = text(&filter.action) {
        q = if action.contains('.') && !action.ends_with('.') {
            q.filter(A::Action.eq(action))
        } else {
            let family = format!("{}.", action.trim_end_matches('.'));
            q.filter(A::Action.starts_with(family))
        };
    }
    if let Some(t) = text(&filter.entity_type) {
        q = q.filter(A::EntityType.eq(t));
    }
    if let Some(id) = text(&filter.entity_id) {
        q = q.filter(A::EntityId.eq(id));
    }
    if let Some(f) = filter.from {
        q = q.filter(A::CreatedAt.gte(f));
    }
    if let Some(t) = filter.to {
        q = q.filter(A::CreatedAt.lt(t));
    }
    let before = keyset::decode_opt(cursor)?;
    let (rows, more) = keyset::newest_first(db, q, (A::CreatedAt, A::Id), before, limit).await?;
    let next_cursor = keyset::next(&rows, more, |r| (r.created_at, r.id));
    Ok(AuditPageDto {
        data: rows.into_iter().map(dto).collect(),
        next_cursor,
    })
}

impl CsvRow for AuditEntryDto {
    const HEADER: &'static [&'static str] = &[
        "at",
        "actor",
        "action",
        "entity_type",
        "entity_id",
        "changes",
    ];
    fn cells(&self) -> Vec<String> {
        let changes = self
            .changes
            .iter()
            .map(|c| {
                format!(
                    "{}: {} -> {}",
                    c.field,
                    c.before.as_deref().unwrap_or("∅"),
                    c.after.as_deref().unwrap_or("∅")
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        vec![
            self.at.clone(),
            self.actor.clone(),
            self.action.clone(),
            self.entity_type.clone(),
            self.entity_id.clone(),
            changes,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_diff_names_each_changed_field_by_its_path() {
        let before =
            json!({"name": "Classic", "price": {"amount": "299.00"}, "active": true, "same": 1});
        let after =
            json!({"name": "Classic+", "price": {"amount": "349.00"}, "same": 1, "role": "x"});
        let d = diff(Some(&before), Some(&after));
        let fields: Vec<&str> = d.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["active", "name", "price.amount", "role"]);
        assert_eq!(d[0].after, None);
        assert_eq!(d[1].before.as_deref(), Some("\"Classic\""));
        assert_eq!(d[3].before, None);
    }

    #[test]
    fn a_creation_lists_every_field_and_a_deletion_none_after() {
        let created = diff(None, Some(&json!({"code": "A", "n": 2})));
        let fields: Vec<&str> = created.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["code", "n"]);
        assert!(created.iter().all(|c| c.before.is_none()));
        let deleted = diff(Some(&json!({"code": "A"})), None);
        assert_eq!(deleted[0].after, None);
        assert_eq!(diff(Some(&json!(1)), Some(&json!(2)))[0].field, "value");
        assert!(diff(Some(&json!(1)), Some(&json!(1))).is_empty());
    }
}
