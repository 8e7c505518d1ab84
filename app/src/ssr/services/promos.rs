//! Promo codes for staff: create, bulk-generate, list, deactivate, delete unused.

use chrono::{DateTime, SubsecRound, Utc};
use entity::{promo_code_tariffs, promo_codes, tariffs};
use rand::Rng;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::domain::Money;
use crate::domain::pricing::DiscountValue;
use crate::domain::promo::{
    PromoTerms, PromoTermsInput, validate_batch_count, validate_batch_prefix, validate_promo_code,
    validate_promo_terms,
};
use crate::dto::{MoneyDto, PageDto, PromoBatchDto, PromoDto};
use crate::ssr::ServiceError;
use crate::ssr::clock::SharedClock;
use crate::ssr::repo::audit::{self, Actor, AuditEntry};
use crate::ssr::repo::stored;

fn status(m: &promo_codes::Model, now: DateTime<Utc>) -> &'static str {
    if !m.active {
        "inactive"
    } else if m.valid_from.is_some_and(|f| now < f) {
        "scheduled"
    } else if m.valid_until.is_some_and(|u| now >= u) {
        "expired"
    } else if m
        .max_redemptions
        .is_some_and(|max| m.redemption_count >= max)
    {
        "exhausted"
    } else {
        "active"
    }
}

fn to_dto(
    m: &promo_codes::Model,
    tariff_ids: Vec<Uuid>,
    now: DateTime<Utc>,
) -> Result<PromoDto, ServiceError> {
    let currency = stored::currency(&m.currency, "promo code", m.id)?;
    Ok(PromoDto {
        id: m.id,
        code: m.code.clone(),
        percent: m
            .percent_bp
            .and_then(|bp| crate::domain::pricing::Percent::from_bp(i64::from(bp)))
            .map(|p| p.to_string()),
        amount: m
            .amount_minor
            .map(|a| MoneyDto::from(Money::from_minor(a, currency))),
        valid_from: m.valid_from.map(|t| t.to_rfc3339()),
        valid_until: m.valid_until.map(|t| t.to_rfc3339()),
        max_redemptions: m.max_redemptions,
        redemption_count: m.redemption_count,
        once_per_customer: m.once_per_customer,
        active: m.active,
        status: status(m, now).to_string(),
        tariff_ids,
        created_at: m.created_at.to_rfc3339(),
    })
}

fn new_row(
    code: String,
    terms: &PromoTerms,
    actor: &Actor,
    now: DateTime<Utc>,
) -> promo_codes::ActiveModel {
    let (percent_bp, amount_minor) = match terms.value {
        DiscountValue::Percent(p) => (Some(i32::from(p.bp())), None),
        DiscountValue::Amount(a) => (None, Some(a.minor())),
    };
    promo_codes::ActiveModel {
        id: Set(Uuid::now_v7()),
        code: Set(code),
        percent_bp: Set(percent_bp),
        amount_minor: Set(amount_minor),
        currency: Set("RUB".to_string()),
        valid_from: Set(terms.valid_from),
        valid_until: Set(terms.valid_until),
        max_redemptions: Set(terms.max_redemptions),
        once_per_customer: Set(true),
        active: Set(true),
        created_by: Set(actor.id),
        redemption_count: Set(0),
        created_at: Set(now),
    }
}

async fn check_tariffs<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> Result<(), ServiceError> {
    if ids.is_empty() {
        return Ok(());
    }
    let found = tariffs::Entity::find()
        .filter(tariffs::Column::Id.is_in(ids.iter().copied()))
        .count(db)
        .await?;
    if found != ids.len() as u64 {
        return Err(ServiceError::Invalid(vec![
            crate::domain::DomainError::invalid("tariff_ids", "one of the tariffs does not exist"),
        ]));
    }
    Ok(())
}

async fn set_scope<C: ConnectionTrait>(
    db: &C,
    promo_id: Uuid,
    ids: &[Uuid],
) -> Result<(), ServiceError> {
    for tariff_id in ids {
        promo_code_tariffs::ActiveModel {
            promo_code_id: Set(promo_id),
            tariff_id: Set(*tariff_id),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

pub async fn create(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    code: &str,
    terms: &PromoTermsInput,
    tariff_ids: &[Uuid],
) -> Result<PromoDto, ServiceError> {
    let mut errors = Vec::new();
    let code = validate_promo_code(code).map_err(|e| errors.push(e)).ok();
    let terms = validate_promo_terms(terms)
        .map_err(|e| errors.extend(e))
        .ok();
    let (Some(code), Some(terms)) = (code, terms) else {
        return Err(ServiceError::Invalid(errors));
    };
    let now = clock.now();
    let txn = crate::ssr::repo::begin_write(db).await?;
    check_tariffs(&txn, tariff_ids).await?;
    if promo_codes::Entity::find()
        .filter(promo_codes::Column::Code.eq(code.as_str()))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(ServiceError::Conflict {
            code: "promo_code_taken",
            message: format!("The promo code {} already exists.", code.as_str()),
        });
    }
    let row = new_row(code.as_str().to_string(), &terms, actor, now)
        .insert(&txn)
        .await?;
    set_scope(&txn, row.id, tariff_ids).await?;
    let dto = to_dto(&row, tariff_ids.to_vec(), now)?;
    audit::record(
        &txn,
        AuditEntry {
            actor,
            action: "promo.created",
            entity_type: "promo_code",
            entity_id: row.id.to_string(),
            before: None,
            after: serde_json::to_value(&dto).ok(),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(dto)
}

/// Unambiguous characters only (no 0/O, 1/I/L), so codes survive being read aloud.
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const SUFFIX_LEN: usize = 8;

fn random_suffix(rng: &mut impl Rng) -> String {
    (0..SUFFIX_LEN)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Generates `count` new codes `PREFIX` + 8 random characters with the same terms, in one
/// transaction; a collision with an existing code just draws again.
pub async fn generate_batch(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    prefix: &str,
    count: &str,
    terms: &PromoTermsInput,
    tariff_ids: &[Uuid],
) -> Result<PromoBatchDto, ServiceError> {
    let mut errors = Vec::new();
    let prefix = validate_batch_prefix(prefix)
        .map_err(|e| errors.push(e))
        .ok();
    let count = validate_batch_count(count).map_err(|e| errors.push(e)).ok();
    let terms = validate_promo_terms(terms)
        .map_err(|e| errors.extend(e))
        .ok();
    let (Some(prefix), Some(count), Some(terms)) = (prefix, count, terms) else {
        return Err(ServiceError::Invalid(errors));
    };
    // Microseconds: what both databases store, so the read-back below matches exactly.
    let now = clock.now().trunc_subsecs(6);
    let txn = crate::ssr::repo::begin_write(db).await?;
    check_tariffs(&txn, tariff_ids).await?;
    let mut codes: Vec<String> = Vec::with_capacity(count as usize);
    let mut seen = std::collections::HashSet::new();
    let mut attempts = 0;
    while codes.len() < count as usize {
        attempts += 1;
        if attempts > 20 {
            return Err(ServiceError::Unexpected(anyhow::anyhow!(
                "could not find free codes for prefix {prefix}"
            )));
        }
        let missing = count as usize - codes.len();
        let candidates: Vec<String> = {
            let mut rng = rand::rng();
            (0..missing)
                .map(|_| format!("{prefix}{}", random_suffix(&mut rng)))
                .filter(|c| seen.insert(c.clone()))
                .collect()
        };
        // Insert in chunks (bounded statement size); skip codes that already exist.
        for chunk in candidates.chunks(500) {
            let rows: Vec<promo_codes::ActiveModel> = chunk
                .iter()
                .map(|c| new_row(c.clone(), &terms, actor, now))
                .collect();
            promo_codes::Entity::insert_many(rows)
                .on_conflict(
                    OnConflict::column(promo_codes::Column::Code)
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
        }
        let inserted: Vec<promo_codes::Model> = promo_codes::Entity::find()
            .filter(promo_codes::Column::Code.is_in(candidates.iter().cloned()))
            .filter(promo_codes::Column::CreatedAt.eq(now))
            .all(&txn)
            .await?;
        let links: Vec<promo_code_tariffs::ActiveModel> = inserted
            .iter()
            .flat_map(|m| {
                tariff_ids
                    .iter()
                    .map(move |t| promo_code_tariffs::ActiveModel {
                        promo_code_id: Set(m.id),
                        tariff_id: Set(*t),
                    })
            })
            .collect();
        for chunk in links.chunks(500) {
            promo_code_tariffs::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        codes.extend(inserted.into_iter().map(|m| m.code));
    }
    codes.sort();
    let dto = PromoBatchDto {
        prefix: prefix.clone(),
        count,
        codes,
    };
    audit::record(
        &txn,
        AuditEntry {
            actor,
            action: "promo.batch_generated",
            entity_type: "promo_code",
            entity_id: format!("{prefix}*"),
            before: None,
            after: Some(serde_json::json!({"prefix": prefix, "count": count})),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(dto)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromoStatusFilter {
    All,
    Active,
    Inactive,
    Expired,
    Exhausted,
}

impl PromoStatusFilter {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "" | "all" => Some(Self::All),
            "active" => Some(Self::Active),
            "inactive" => Some(Self::Inactive),
            "expired" => Some(Self::Expired),
            "exhausted" => Some(Self::Exhausted),
            _ => None,
        }
    }
}

pub async fn list(
    db: &DatabaseConnection,
    clock: &SharedClock,
    query: &str,
    status_filter: PromoStatusFilter,
    page: u32,
    per_page: u32,
) -> Result<PageDto<PromoDto>, ServiceError> {
    let now = clock.now();
    let per_page = per_page.clamp(1, 200);
    let page = std::cmp::max(page, 1);
    let mut select = promo_codes::Entity::find();
    let q = query.trim().to_ascii_uppercase();
    if !q.is_empty() {
        let escaped: String = q
            .chars()
            .flat_map(|c| {
                if matches!(c, '%' | '_' | '\\') {
                    vec!['\\', c]
                } else {
                    vec![c]
                }
            })
            .collect();
        select = select.filter(
            Expr::expr(Func::upper(Expr::col(promo_codes::Column::Code)))
                .like(LikeExpr::new(format!("%{escaped}%")).escape('\\')),
        );
    }
    let not_expired = Condition::any()
        .add(promo_codes::Column::ValidUntil.is_null())
        .add(promo_codes::Column::ValidUntil.gt(now));
    let started = Condition::any()
        .add(promo_codes::Column::ValidFrom.is_null())
        .add(promo_codes::Column::ValidFrom.lte(now));
    let not_exhausted = Condition::any()
        .add(promo_codes::Column::MaxRedemptions.is_null())
        .add(
            Expr::col(promo_codes::Column::RedemptionCount)
                .lt(Expr::col(promo_codes::Column::MaxRedemptions)),
        );
    select = match status_filter {
        PromoStatusFilter::All => select,
        PromoStatusFilter::Active => select
            .filter(promo_codes::Column::Active.eq(true))
            .filter(not_expired)
            .filter(started)
            .filter(not_exhausted),
        PromoStatusFilter::Inactive => select.filter(promo_codes::Column::Active.eq(false)),
        PromoStatusFilter::Expired => select.filter(promo_codes::Column::ValidUntil.lte(now)),
        PromoStatusFilter::Exhausted => select.filter(
            Expr::col(promo_codes::Column::RedemptionCount)
                .gte(Expr::col(promo_codes::Column::MaxRedemptions)),
        ),
    };
    let paginator = select
        .order_by_desc(promo_codes::Column::CreatedAt)
        .order_by_asc(promo_codes::Column::Code)
        .paginate(db, u64::from(per_page));
    let total = paginator.num_items().await?;
    let rows = paginator.fetch_page(u64::from(page - 1)).await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let scopes = promo_code_tariffs::Entity::find()
        .filter(promo_code_tariffs::Column::PromoCodeId.is_in(ids))
        .all(db)
        .await?;
    let items = rows
        .iter()
        .map(|r| {
            to_dto(
                r,
                scopes
                    .iter()
                    .filter(|s| s.promo_code_id == r.id)
                    .map(|s| s.tariff_id)
                    .collect(),
                now,
            )
        })
        .collect::<Result<_, _>>()?;
    Ok(PageDto {
        items,
        page,
        per_page,
        total,
    })
}

async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<promo_codes::Model, ServiceError> {
    promo_codes::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound {
            entity: "promo code",
        })
}

/// Switches a code on or off (off is how a used code is retired).
pub async fn set_active(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    id: Uuid,
    active: bool,
) -> Result<PromoDto, ServiceError> {
    let now = clock.now();
    let txn = crate::ssr::repo::begin_write(db).await?;
    let row = find(&txn, id).await?;
    let before = to_dto(&row, vec![], now)?;
    let mut am: promo_codes::ActiveModel = row.into();
    am.active = Set(active);
    let row = am.update(&txn).await?;
    let after = to_dto(&row, vec![], now)?;
    audit::record(
        &txn,
        AuditEntry {
            actor,
            action: if active {
                "promo.activated"
            } else {
                "promo.deactivated"
            },
            entity_type: "promo_code",
            entity_id: id.to_string(),
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&after).ok(),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Deletes a code that was never redeemed; a used one must be deactivated instead.
pub async fn delete(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    id: Uuid,
) -> Result<(), ServiceError> {
    let now = clock.now();
    let txn = crate::ssr::repo::begin_write(db).await?;
    let row = find(&txn, id).await?;
    if row.redemption_count > 0 {
        return Err(ServiceError::Conflict {
            code: "promo_in_use",
            message: format!(
                "{} has been used {} times; deactivate it instead.",
                row.code, row.redemption_count
            ),
        });
    }
    let before = to_dto(&row, vec![], now)?;
    promo_codes::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        AuditEntry {
            actor,
            action: "promo.deleted",
            entity_type: "promo_code",
            entity_id: id.to_string(),
            before: serde_json::to_value(&before).ok(),
            after: None,
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
