//! Quotes and promo codes: the database side of `domain::pricing`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{month_discounts, personal_discounts, promo_codes, promo_redemptions};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::domain::Money;
use crate::domain::pricing::{
    self, DiscountValue, MonthDiscount, Months, Percent, PromoCode, QuoteInput,
};
use crate::dto::{MoneyDto, MonthDiscountDto, PromoCheckDto, QuoteDto};
use crate::ssr::ServiceError;
use crate::ssr::clock::SharedClock;
use crate::ssr::pricing_cache::{PricingCache, PromoRow, load_promo};
use crate::ssr::repo::stored;

/// The month-discount table, smallest threshold first. Rows that break the domain's
/// rules (impossible through our writes) are skipped with a warning, never half-applied.
pub async fn month_table<C: ConnectionTrait>(db: &C) -> Result<Vec<MonthDiscount>, ServiceError> {
    let rows = month_discounts::Entity::find()
        .order_by_asc(month_discounts::Column::Months)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let months = u32::try_from(r.months)
                .ok()
                .and_then(|m| Months::new(m).ok());
            let percent = Percent::from_bp(i64::from(r.percent_bp));
            match (months, percent) {
                (Some(months), Some(percent)) => Some(MonthDiscount { months, percent }),
                _ => {
                    tracing::warn!(
                        months = r.months,
                        bp = r.percent_bp,
                        "invalid month_discounts row skipped"
                    );
                    None
                }
            }
        })
        .collect())
}

pub fn month_table_dto(table: &[MonthDiscount]) -> Vec<MonthDiscountDto> {
    table
        .iter()
        .map(|d| MonthDiscountDto {
            months: u32::from(d.months.get()),
            percent: d.percent.to_string(),
        })
        .collect()
}

/// A promo code that exists, is active, inside its validity window, not used up, and
/// (when a customer is known) not yet used by them. The tariff scope is checked by the caller.
pub struct ValidPromo {
    pub model: promo_codes::Model,
    pub value: DiscountValue,
    pub tariff_ids: Vec<Uuid>,
}

impl ValidPromo {
    pub fn applies_to(&self, tariff_id: Uuid) -> bool {
        self.tariff_ids.is_empty() || self.tariff_ids.contains(&tariff_id)
    }

    pub fn to_dto(&self) -> PromoCheckDto {
        let (percent, amount) = match self.value {
            DiscountValue::Percent(p) => (Some(p.to_string()), None),
            DiscountValue::Amount(a) => (None, Some(MoneyDto::from(a))),
        };
        PromoCheckDto {
            code: self.model.code.clone(),
            percent,
            amount,
            tariff_ids: self.tariff_ids.clone(),
        }
    }
}

fn not_found(input: &str) -> ServiceError {
    ServiceError::rule(
        "promo_not_found",
        "promo_code",
        format!("There is no promo code {}.", input.trim().to_uppercase()),
    )
}

/// Checks a promo code against the database (no cache): for the pricing page's check
/// and for checkout, which must see the latest state.
pub async fn check_promo<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    input: &str,
    customer: Option<Uuid>,
) -> Result<ValidPromo, ServiceError> {
    let code = PromoCode::parse(input).map_err(|_| not_found(input))?;
    let row = load_promo(db, code.as_str())
        .await?
        .ok_or_else(|| not_found(input))?;
    validate_promo(db, &row, now, customer).await
}

/// The rules of a promo code, in the order a customer would want to hear them.
async fn validate_promo<C: ConnectionTrait>(
    db: &C,
    row: &PromoRow,
    now: DateTime<Utc>,
    customer: Option<Uuid>,
) -> Result<ValidPromo, ServiceError> {
    let model = &row.model;
    if !model.active {
        return Err(ServiceError::rule(
            "promo_inactive",
            "promo_code",
            format!("The promo code {} has been switched off.", model.code),
        ));
    }
    if model.valid_from.is_some_and(|from| now < from) {
        return Err(ServiceError::rule(
            "promo_expired",
            "promo_code",
            format!("The promo code {} is not valid yet.", model.code),
        ));
    }
    if model.valid_until.is_some_and(|until| now >= until) {
        return Err(ServiceError::rule(
            "promo_expired",
            "promo_code",
            format!("The promo code {} has expired.", model.code),
        ));
    }
    // The customer's own reservations belong to open invoices that their next checkout
    // voids (and releases) before it reserves again: they do not count against them.
    let mine = match customer {
        Some(customer) => {
            promo_redemptions::Entity::find()
                .filter(promo_redemptions::Column::PromoCodeId.eq(model.id))
                .filter(promo_redemptions::Column::CustomerId.eq(customer))
                .all(db)
                .await?
        }
        None => Vec::new(),
    };
    let held_by_me =
        i32::try_from(mine.iter().filter(|r| r.confirmed_at.is_none()).count()).unwrap_or(i32::MAX);
    if model
        .max_redemptions
        .is_some_and(|max| model.redemption_count.saturating_sub(held_by_me) >= max)
    {
        return Err(ServiceError::rule(
            "promo_exhausted",
            "promo_code",
            format!("The promo code {} has been used up.", model.code),
        ));
    }
    if model.once_per_customer {
        let used = mine.iter().any(|r| r.confirmed_at.is_some());
        if used {
            return Err(ServiceError::rule(
                "promo_already_used",
                "promo_code",
                format!("You have already used the promo code {}.", model.code),
            ));
        }
    }
    let currency = stored::currency(&model.currency, "promo code", model.id)?;
    let value = match (model.percent_bp, model.amount_minor) {
        (Some(bp), _) => Percent::from_bp(i64::from(bp)).map(DiscountValue::Percent),
        (None, Some(minor)) => Some(DiscountValue::Amount(Money::from_minor(minor, currency))),
        (None, None) => None,
    }
    .ok_or_else(|| {
        ServiceError::Unexpected(anyhow::anyhow!(
            "promo code {} has no valid discount",
            model.id
        ))
    })?;
    Ok(ValidPromo {
        model: model.clone(),
        value,
        tariff_ids: row.tariff_ids.clone(),
    })
}

/// The customer's personal discount in force at `now`, if any.
pub async fn active_personal_discount<C: ConnectionTrait>(
    db: &C,
    customer: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<Percent>, ServiceError> {
    let row = personal_discounts::Entity::find()
        .filter(personal_discounts::Column::CustomerId.eq(customer))
        .filter(personal_discounts::Column::RemovedAt.is_null())
        .filter(personal_discounts::Column::ValidFrom.lte(now))
        .filter(
            Condition::any()
                .add(personal_discounts::Column::ValidUntil.is_null())
                .add(personal_discounts::Column::ValidUntil.gt(now)),
        )
        .order_by_desc(personal_discounts::Column::CreatedAt)
        .one(db)
        .await?;
    Ok(row.and_then(|r| Percent::from_bp(i64::from(r.percent_bp))))
}

/// `active_personal_discount` for many customers in one query (the renewal sweep).
pub async fn active_personal_discounts<C: ConnectionTrait>(
    db: &C,
    customers: &[Uuid],
    now: DateTime<Utc>,
) -> Result<HashMap<Uuid, Percent>, ServiceError> {
    if customers.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = personal_discounts::Entity::find()
        .filter(personal_discounts::Column::CustomerId.is_in(customers.iter().copied()))
        .filter(personal_discounts::Column::RemovedAt.is_null())
        .filter(personal_discounts::Column::ValidFrom.lte(now))
        .filter(
            Condition::any()
                .add(personal_discounts::Column::ValidUntil.is_null())
                .add(personal_discounts::Column::ValidUntil.gt(now)),
        )
        .order_by_desc(personal_discounts::Column::CreatedAt)
        .all(db)
        .await?;
    // Newest first: the first row of a customer is the one in force (as in the
    // single-customer query, an unreadable newest row means no discount).
    let mut newest: HashMap<Uuid, Option<Percent>> = HashMap::new();
    for r in rows {
        newest
            .entry(r.customer_id)
            .or_insert_with(|| Percent::from_bp(i64::from(r.percent_bp)));
    }
    Ok(newest
        .into_iter()
        .filter_map(|(customer, p)| p.map(|p| (customer, p)))
        .collect())
}

#[derive(Debug, Clone)]
pub struct QuoteRequest {
    pub tariff_id: Uuid,
    pub months: u32,
    pub promo_code: Option<String>,
    pub customer_id: Option<Uuid>,
}

/// What the customer would pay now. Errors carry the contract's codes. Reads through
/// the pricing cache (see its module for why a quote may be a moment stale).
pub async fn quote(
    db: &DatabaseConnection,
    cache: &PricingCache,
    clock: &SharedClock,
    req: &QuoteRequest,
) -> Result<QuoteDto, ServiceError> {
    let months = Months::new(req.months)?;
    let catalog = cache.catalog(db).await?;
    let tariff = catalog
        .tariffs
        .get(&req.tariff_id)
        .ok_or(ServiceError::NotFound { entity: "tariff" })?;
    if !tariff.active {
        return Err(ServiceError::rule(
            "tariff_archived",
            "tariff_id",
            format!("The tariff {} is no longer on sale.", tariff.name),
        ));
    }
    let now = clock.now();
    let promo = match req
        .promo_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        Some(input) => {
            let code = PromoCode::parse(input).map_err(|_| not_found(input))?;
            let row = cache
                .promo(db, code.as_str())
                .await?
                .ok_or_else(|| not_found(input))?;
            let promo = validate_promo(db, &row, now, req.customer_id).await?;
            if !promo.applies_to(tariff.id) {
                return Err(ServiceError::rule(
                    "promo_not_applicable",
                    "promo_code",
                    format!(
                        "The promo code {} does not apply to the {} tariff.",
                        promo.model.code, tariff.name
                    ),
                ));
            }
            Some(promo.value)
        }
        None => None,
    };
    let personal = match req.customer_id {
        Some(customer) => active_personal_discount(db, customer, now).await?,
        None => None,
    };
    let currency = stored::currency(&tariff.currency, "tariff", tariff.id)?;
    let q = pricing::quote(&QuoteInput {
        monthly_price: Money::from_minor(tariff.monthly_price_minor, currency),
        months,
        personal,
        promo,
        month_discounts: &catalog.month_table,
    });
    Ok(QuoteDto::from_quote(tariff.id, req.months, &q))
}

/// Reserves a promo redemption for an invoice being issued, inside the caller's
/// transaction. The count is claimed with one conditional UPDATE, so concurrent
/// checkouts can never push it past `max_redemptions`; that UPDATE also holds the code's
/// row lock until commit, so the "already used by this customer" look-up after it sees
/// every reservation committed before (PostgreSQL, read committed; SQLite has one
/// writer). A refusal is a rule error: the caller rolls back and nothing is reserved.
pub async fn reserve<C: ConnectionTrait>(
    db: &C,
    promo_id: Uuid,
    customer: Uuid,
    invoice: Uuid,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let claimed = promo_codes::Entity::update_many()
        .col_expr(
            promo_codes::Column::RedemptionCount,
            Expr::col(promo_codes::Column::RedemptionCount).add(1),
        )
        .filter(promo_codes::Column::Id.eq(promo_id))
        .filter(
            Condition::any()
                .add(promo_codes::Column::MaxRedemptions.is_null())
                .add(
                    Expr::col(promo_codes::Column::RedemptionCount)
                        .lt(Expr::col(promo_codes::Column::MaxRedemptions)),
                ),
        )
        .exec(db)
        .await?;
    if claimed.rows_affected == 0 {
        return Err(ServiceError::rule(
            "promo_exhausted",
            "promo_code",
            "The promo code has been used up.",
        ));
    }
    let once = promo_codes::Entity::find_by_id(promo_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound {
            entity: "promo code",
        })?
        .once_per_customer;
    if once
        && promo_redemptions::Entity::find()
            .filter(promo_redemptions::Column::PromoCodeId.eq(promo_id))
            .filter(promo_redemptions::Column::CustomerId.eq(customer))
            .one(db)
            .await?
            .is_some()
    {
        return Err(ServiceError::rule(
            "promo_already_used",
            "promo_code",
            "You have already used this promo code.",
        ));
    }
    promo_redemptions::ActiveModel {
        id: Set(Uuid::now_v7()),
        promo_code_id: Set(promo_id),
        customer_id: Set(customer),
        invoice_id: Set(invoice),
        created_at: Set(now),
        confirmed_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The reservations of paid invoices become redemptions for good.
pub async fn confirm_redemptions<C: ConnectionTrait>(
    db: &C,
    invoices: &[Uuid],
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if invoices.is_empty() {
        return Ok(());
    }
    promo_redemptions::Entity::update_many()
        .col_expr(
            promo_redemptions::Column::ConfirmedAt,
            Expr::value(Some(now)),
        )
        .filter(promo_redemptions::Column::InvoiceId.is_in(invoices.iter().copied()))
        .filter(promo_redemptions::Column::ConfirmedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Gives back the reservations of invoices that will never be paid (voided, or their
/// payment failed): the code can be used again and its count goes down.
pub async fn release_redemptions<C: ConnectionTrait>(
    db: &C,
    invoices: &[Uuid],
) -> Result<(), ServiceError> {
    if invoices.is_empty() {
        return Ok(());
    }
    let held = promo_redemptions::Entity::find()
        .filter(promo_redemptions::Column::InvoiceId.is_in(invoices.iter().copied()))
        .filter(promo_redemptions::Column::ConfirmedAt.is_null())
        .all(db)
        .await?;
    for r in held {
        promo_redemptions::Entity::delete_by_id(r.id)
            .exec(db)
            .await?;
        promo_codes::Entity::update_many()
            .col_expr(
                promo_codes::Column::RedemptionCount,
                Expr::col(promo_codes::Column::RedemptionCount).sub(1),
            )
            .filter(promo_codes::Column::Id.eq(r.promo_code_id))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// One row of a month-discount table as typed by a person.
#[derive(Debug, Clone)]
pub struct MonthDiscountInput {
    pub months: String,
    pub percent: String,
}

/// Checks a whole table with the domain's rule (the same one the browser runs).
pub fn parse_month_table(rows: &[MonthDiscountInput]) -> Result<Vec<MonthDiscount>, ServiceError> {
    let pairs: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.months.clone(), r.percent.clone()))
        .collect();
    pricing::validate_month_table(&pairs).map_err(ServiceError::Invalid)
}

/// Replaces the month-discount table in one transaction, with an audit row.
pub async fn replace_month_table(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &crate::ssr::repo::audit::Actor,
    rows: &[MonthDiscountInput],
) -> Result<Vec<MonthDiscountDto>, ServiceError> {
    let table = parse_month_table(rows)?;
    let now = clock.now();
    let txn = crate::ssr::repo::begin_write(db).await?;
    let before = month_table_dto(&month_table(&txn).await?);
    month_discounts::Entity::delete_many().exec(&txn).await?;
    for d in &table {
        month_discounts::ActiveModel {
            months: Set(i32::from(d.months.get())),
            percent_bp: Set(i32::from(d.percent.bp())),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    let after = month_table_dto(&table);
    crate::ssr::repo::audit::record(
        &txn,
        crate::ssr::repo::audit::AuditEntry {
            actor,
            action: "month_discounts.replaced",
            entity_type: "month_discounts",
            entity_id: "table".to_string(),
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&after).ok(),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}
