//! The film catalogue: search, create, edit, archive, and the bulk upsert of the Movies
//! DB's export (REST `PUT /api/v1/admin/films` and the console's CSV upload).

use std::collections::HashMap;

use entity::{films, tariff_films};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use crate::domain::DomainError;
use crate::domain::film::{FilmDraft, FilmInput};
use crate::dto::{AdminFilmDto, FilmPageDto, FilmUpsertReportDto};
use crate::ssr::ServiceError;
use crate::ssr::clock::SharedClock;
use crate::ssr::repo::audit::{self, Actor, AuditEntry};
use crate::ssr::repo::{begin_write, is_unique_violation, keyset};
use crate::ssr::time::rfc3339;

/// The most films one upsert takes: a Movies DB export is sent in parts of this size.
pub const MAX_UPSERT: usize = 5_000;

#[derive(Debug, Clone, Default)]
pub struct FilmFilter {
    /// Part of the title, or the exact external id.
    pub q: Option<String>,
    /// `Some(true)`: only active; `Some(false)`: only archived.
    pub active: Option<bool>,
}

/// `%`, `_` and `\` typed into a search box are meant literally.
pub fn like_pattern(q: &str) -> String {
    let mut out = String::from("%");
    for c in q.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// `lower(column) LIKE pattern ESCAPE '\'`: a case-insensitive "contains" on both
/// databases (SQLite folds ASCII only).
pub fn contains(
    column: impl sea_orm::sea_query::IntoColumnRef,
    q: &str,
) -> sea_orm::sea_query::SimpleExpr {
    Expr::expr(Func::lower(Expr::col(column)))
        .like(sea_orm::sea_query::LikeExpr::new(like_pattern(q)).escape('\\'))
}

async fn tariff_counts<C: ConnectionTrait>(
    db: &C,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, u32>, ServiceError> {
    let links = tariff_films::Entity::find()
        .filter(tariff_films::Column::FilmId.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    let mut out = HashMap::new();
    for l in links {
        *out.entry(l.film_id).or_insert(0) += 1;
    }
    Ok(out)
}

fn dto(f: films::Model, tariffs: u32) -> AdminFilmDto {
    AdminFilmDto {
        id: f.id,
        external_id: f.external_id,
        title: f.title,
        year: f.year,
        active: f.active,
        tariffs,
        created_at: rfc3339(f.created_at),
        updated_at: f.updated_at.map(rfc3339),
    }
}

pub async fn list(
    db: &DatabaseConnection,
    filter: &FilmFilter,
    limit: u64,
    cursor: Option<&str>,
) -> Result<FilmPageDto, ServiceError> {
    use films::Column as F;
    let mut q = films::Entity::find();
    if let Some(text) = filter.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        q = q.filter(
            Condition::any()
                .add(contains((films::Entity, F::Title), text))
                .add(F::ExternalId.eq(text)),
        );
    }
    if let Some(active) = filter.active {
        q = q.filter(F::Active.eq(active));
    }
    let before = keyset::decode_opt(cursor)?;
    let (rows, more) = keyset::newest_first(db, q, (F::CreatedAt, F::Id), before, limit).await?;
    let next_cursor = keyset::next(&rows, more, |f| (f.created_at, f.id));
    let ids: Vec<Uuid> = rows.iter().map(|f| f.id).collect();
    let counts = tariff_counts(db, &ids).await?;
    let data = rows
        .into_iter()
        .map(|f| {
            let n = counts.get(&f.id).copied().unwrap_or(0);
            dto(f, n)
        })
        .collect();
    Ok(FilmPageDto { data, next_cursor })
}

pub async fn get(db: &DatabaseConnection, id: Uuid) -> Result<AdminFilmDto, ServiceError> {
    let f = films::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound { entity: "film" })?;
    let n = tariff_counts(db, &[id])
        .await?
        .get(&id)
        .copied()
        .unwrap_or(0);
    Ok(dto(f, n))
}

fn taken(external_id: &str) -> ServiceError {
    ServiceError::Invalid(vec![DomainError::invalid(
        "external_id",
        format!("another film already has the external id {external_id}"),
    )])
}

fn audit_value(f: &films::Model) -> serde_json::Value {
    serde_json::json!({
        "external_id": f.external_id,
        "title": f.title,
        "year": f.year,
        "active": f.active,
    })
}

pub async fn create(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    input: &FilmInput,
) -> Result<AdminFilmDto, ServiceError> {
    let draft = input.parse().map_err(ServiceError::Invalid)?;
    let now = clock.now();
    let txn = begin_write(db).await?;
    let row = films::ActiveModel {
        id: Set(Uuid::now_v7()),
        external_id: Set(draft.external_id.clone()),
        title: Set(draft.title),
        year: Set(draft.year),
        active: Set(draft.active),
        created_at: Set(now),
        updated_at: Set(None),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            taken(&draft.external_id)
        } else {
            e.into()
        }
    })?;
    audit::record(
        &txn,
        AuditEntry {
            actor,
            action: "film.created",
            entity_type: "film",
            entity_id: row.id.to_string(),
            before: None,
            after: Some(audit_value(&row)),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(dto(row, 0))
}

/// A partial edit; `active: false` archives, `true` restores.
#[derive(Debug, Clone, Default)]
pub struct FilmPatch {
    pub external_id: Option<String>,
    pub title: Option<String>,
    pub year: Option<String>,
    pub active: Option<bool>,
}

pub async fn update(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    id: Uuid,
    patch: &FilmPatch,
) -> Result<AdminFilmDto, ServiceError> {
    use crate::domain::film::{validate_external_id, validate_film_title, validate_film_year};
    let mut errors = Vec::new();
    let external_id = patch
        .external_id
        .as_deref()
        .map(validate_external_id)
        .transpose()
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let title = patch
        .title
        .as_deref()
        .map(validate_film_title)
        .transpose()
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let year = patch
        .year
        .as_deref()
        .map(validate_film_year)
        .transpose()
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let now = clock.now();
    let txn = begin_write(db).await?;
    let row = films::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound { entity: "film" })?;
    let before = audit_value(&row);
    let mut am: films::ActiveModel = row.clone().into();
    if let Some(e) = &external_id {
        am.external_id = Set(e.clone());
    }
    if let Some(t) = title {
        am.title = Set(t);
    }
    if let Some(y) = year {
        am.year = Set(y);
    }
    if let Some(a) = patch.active {
        am.active = Set(a);
    }
    if !am.is_changed() {
        txn.rollback().await?;
        return get(db, id).await;
    }
    am.updated_at = Set(Some(now));
    let row = am.update(&txn).await.map_err(|e| {
        if is_unique_violation(&e) {
            taken(external_id.as_deref().unwrap_or_default())
        } else {
            e.into()
        }
    })?;
    let action = match patch.active {
        Some(false) if before["active"] == true => "film.archived",
        Some(true) if before["active"] == false => "film.restored",
        _ => "film.updated",
    };
    audit::record(
        &txn,
        AuditEntry {
            actor,
            action,
            entity_type: "film",
            entity_id: id.to_string(),
            before: Some(before),
            after: Some(audit_value(&row)),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    let n = tariff_counts(db, &[id])
        .await?
        .get(&id)
        .copied()
        .unwrap_or(0);
    Ok(dto(row, n))
}

/// Checks every row before writing any: each bad row is reported on its own field
/// (`films[i].year`) with its line (the number paired with it: the JSON array's
/// position from 1, or the CSV file's line), and a repeated external id is refused too.
/// Nothing is written unless every row is good.
pub fn parse_rows(rows: &[(usize, FilmInput)]) -> Result<Vec<FilmDraft>, ServiceError> {
    let mut errors = Vec::new();
    let mut drafts = Vec::with_capacity(rows.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    if rows.len() > MAX_UPSERT {
        return Err(ServiceError::Invalid(vec![DomainError::invalid(
            "films",
            format!("send at most {MAX_UPSERT} films at a time"),
        )]));
    }
    for (i, (line, row)) in rows.iter().enumerate() {
        let line = *line;
        match row.parse() {
            Ok(d) => {
                if let Some(first) = seen.insert(d.external_id.clone(), line) {
                    errors.push(DomainError::invalid(
                        format!("films[{i}].external_id"),
                        format!("line {line}: {} is also on line {first}", d.external_id),
                    ));
                }
                drafts.push(d);
            }
            Err(es) => errors.extend(es.into_iter().map(|e| {
                DomainError::invalid(
                    format!("films[{i}].{}", e.field()),
                    format!("line {line}: {}", e.message()),
                )
            })),
        }
    }
    if errors.is_empty() {
        Ok(drafts)
    } else {
        Err(ServiceError::Invalid(errors))
    }
}

/// Creates the films it does not know (by external id), updates the ones that differ
/// and leaves the rest alone, in one transaction: a second run of the same export
/// reports everything unchanged.
pub async fn upsert(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    rows: &[(usize, FilmInput)],
) -> Result<FilmUpsertReportDto, ServiceError> {
    let drafts = parse_rows(rows)?;
    let now = clock.now();
    let txn = begin_write(db).await?;
    let mut existing: HashMap<String, films::Model> = HashMap::new();
    // SQLite binds at most 32 766 parameters; 1 000 per query keeps both databases happy.
    for part in drafts.chunks(1_000) {
        let ids = part.iter().map(|d| d.external_id.clone());
        for f in films::Entity::find()
            .filter(films::Column::ExternalId.is_in(ids))
            .all(&txn)
            .await?
        {
            existing.insert(f.external_id.clone(), f);
        }
    }
    let mut report = FilmUpsertReportDto::default();
    let mut new_rows = Vec::new();
    for d in drafts {
        match existing.get(&d.external_id) {
            None => {
                report.created += 1;
                new_rows.push(films::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    external_id: Set(d.external_id),
                    title: Set(d.title),
                    year: Set(d.year),
                    active: Set(d.active),
                    created_at: Set(now),
                    updated_at: Set(None),
                });
            }
            Some(f) if f.title == d.title && f.year == d.year && f.active == d.active => {
                report.unchanged += 1;
            }
            Some(f) => {
                report.updated += 1;
                films::Entity::update_many()
                    .col_expr(films::Column::Title, Expr::value(d.title))
                    .col_expr(films::Column::Year, Expr::value(d.year))
                    .col_expr(films::Column::Active, Expr::value(d.active))
                    .col_expr(films::Column::UpdatedAt, Expr::value(Some(now)))
                    .filter(films::Column::Id.eq(f.id))
                    .exec(&txn)
                    .await?;
            }
        }
    }
    for part in new_rows.chunks(500) {
        films::Entity::insert_many(part.to_vec())
            .exec_without_returning(&txn)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    // Another upsert of the same films committed first: this one sees
                    // them on a retry and reports them unchanged.
                    ServiceError::Conflict {
                        code: "concurrent_update",
                        message:
                            "Another upload of the same films ran at the same time; send it again."
                                .into(),
                    }
                } else {
                    e.into()
                }
            })?;
    }
    if report.created + report.updated > 0 {
        audit::record(
            &txn,
            AuditEntry {
                actor,
                action: "film.bulk_upserted",
                entity_type: "film",
                entity_id: "*".into(),
                before: None,
                after: serde_json::to_value(report).ok(),
            },
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(report)
}

/// Films a tariff may be given: the active ones, plus any archived film it already has
/// (so an edit does not silently drop it).
pub async fn selectable<C: ConnectionTrait>(
    db: &C,
    tariff_films_now: &[Uuid],
) -> Result<Vec<films::Model>, ServiceError> {
    use sea_orm::QueryOrder;
    Ok(films::Entity::find()
        .filter(
            Condition::any()
                .add(films::Column::Active.eq(true))
                .add(films::Column::Id.is_in(tariff_films_now.iter().copied())),
        )
        .order_by_asc(films::Column::Title)
        .limit(2_000)
        .all(db)
        .await?)
}

impl crate::ssr::csv::CsvRow for AdminFilmDto {
    const HEADER: &'static [&'static str] = &[
        "external_id",
        "title",
        "year",
        "active",
        "tariffs",
        "id",
        "created_at",
        "updated_at",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.external_id.clone(),
            self.title.clone(),
            self.year.to_string(),
            self.active.to_string(),
            self.tariffs.to_string(),
            self.id.to_string(),
            self.created_at.clone(),
            crate::ssr::csv::opt(&self.updated_at),
        ]
    }
}
