//! The console's home: the business at a glance for a range of days, beside the range of
//! equal length just before it.
//!
//! Every figure is one aggregate query over an indexed time column, so the page costs
//! the same whatever the size of the history outside the range.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use entity::status::{PaymentStatus, RefundStatus, SubscriptionStatus};
use entity::{payments, promo_redemptions, refunds, subscriptions};
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect,
};
use uuid::Uuid;

use crate::domain::{Currency, Money};
use crate::dto::{
    DailyAmountDto, DashboardDto, DashboardTotalsDto, MoneyDto, RefundTotalsDto, TariffCountDto,
};
use crate::ssr::ServiceError;
use crate::ssr::repo::lookup;

/// The longest range one dashboard shows.
pub const MAX_DAYS: i64 = 366;
/// The range shown when none is asked for: the last 30 days, today included.
pub const DEFAULT_DAYS: i64 = 30;

/// The days `[from, to]`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Range {
    /// Checks a range asked for; a missing end defaults to today, a missing start to
    /// 30 days before the end.
    pub fn parse(
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Result<Range, ServiceError> {
        let to = to.unwrap_or(today);
        let from = from.unwrap_or(to - TimeDelta::days(DEFAULT_DAYS - 1));
        if from > to {
            return Err(ServiceError::rule(
                "validation_failed",
                "from",
                "from must be on or before to.",
            ));
        }
        if (to - from).num_days() >= MAX_DAYS {
            return Err(ServiceError::rule(
                "validation_failed",
                "from",
                format!("show at most {MAX_DAYS} days at a time."),
            ));
        }
        Ok(Range { from, to })
    }

    pub fn days(self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The range of equal length that ends the day before this one starts.
    pub fn previous(self) -> Range {
        let to = self.from - TimeDelta::days(1);
        Range {
            from: to - TimeDelta::days(self.days() - 1),
            to,
        }
    }

    fn start(self) -> DateTime<Utc> {
        self.from.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
    }

    /// The instant the range ends (exclusive): midnight after its last day.
    fn end(self) -> DateTime<Utc> {
        (self.to + TimeDelta::days(1))
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc()
    }
}

/// The UTC day of a timestamp column, as `YYYY-MM-DD` text, on either database.
fn day_of(backend: DbBackend, column: &str) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => Expr::cust(format!(
            "to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
        )),
        // SQLite keeps timestamps as ISO-8601 text: the day is its first ten characters.
        _ => Expr::cust(format!("substr({column}, 1, 10)")),
    }
}

async fn revenue_by_day<C: ConnectionTrait>(
    db: &C,
    range: Range,
) -> Result<Vec<(String, i64)>, ServiceError> {
    let day = day_of(db.get_database_backend(), "paid_at");
    let rows: Vec<(String, i64)> = payments::Entity::find()
        .select_only()
        .column_as(day.clone(), "day")
        .column_as(
            Expr::col(payments::Column::AmountMinor)
                .sum()
                .cast_as("bigint"),
            "total",
        )
        .filter(payments::Column::PaidAt.gte(range.start()))
        .filter(payments::Column::PaidAt.lt(range.end()))
        // A refunded payment was still taken that day; its refund counts on its own day.
        .filter(payments::Column::Status.is_in([PaymentStatus::Succeeded, PaymentStatus::Refunded]))
        .group_by(day)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows)
}

async fn totals<C: ConnectionTrait>(
    db: &C,
    range: Range,
    money: bool,
    currency: Currency,
) -> Result<(DashboardTotalsDto, Vec<(String, i64)>), ServiceError> {
    let (start, end) = (range.start(), range.end());
    // Independent aggregates, sent at once: the page waits for the slowest, not the sum.
    let revenue = async {
        if money {
            revenue_by_day(db, range).await
        } else {
            Ok(Vec::new())
        }
    };
    let refunds_done = async {
        let row: Option<(i64, Option<i64>)> = refunds::Entity::find()
            .select_only()
            .column_as(Expr::col(refunds::Column::Id).count(), "n")
            .column_as(
                Expr::col(refunds::Column::AmountMinor)
                    .sum()
                    .cast_as("bigint"),
                "total",
            )
            .filter(refunds::Column::Status.eq(RefundStatus::Succeeded))
            .filter(refunds::Column::CompletedAt.gte(start))
            .filter(refunds::Column::CompletedAt.lt(end))
            .into_tuple()
            .one(db)
            .await?;
        Ok::<_, ServiceError>(row.unwrap_or((0, None)))
    };
    let new_subscribers = async {
        Ok::<_, ServiceError>(
            subscriptions::Entity::find()
                .filter(subscriptions::Column::CreatedAt.gte(start))
                .filter(subscriptions::Column::CreatedAt.lt(end))
                .count(db)
                .await?,
        )
    };
    // Churned: access ended in the range and was not renewed (expired after grace, or
    // canceled when a refund took the last paid period back).
    let churned_subscribers = async {
        Ok::<_, ServiceError>(
            subscriptions::Entity::find()
                .filter(
                    subscriptions::Column::Status
                        .is_in([SubscriptionStatus::Expired, SubscriptionStatus::Canceled]),
                )
                .filter(subscriptions::Column::CurrentPeriodEnd.gte(start))
                .filter(subscriptions::Column::CurrentPeriodEnd.lt(end))
                .count(db)
                .await?,
        )
    };
    let promo_redemptions = async {
        Ok::<_, ServiceError>(
            promo_redemptions::Entity::find()
                .filter(promo_redemptions::Column::ConfirmedAt.gte(start))
                .filter(promo_redemptions::Column::ConfirmedAt.lt(end))
                .count(db)
                .await?,
        )
    };
    let (
        by_day,
        (refund_count, refund_sum),
        new_subscribers,
        churned_subscribers,
        promo_redemptions,
    ) = tokio::try_join!(
        revenue,
        refunds_done,
        new_subscribers,
        churned_subscribers,
        promo_redemptions
    )?;
    let refund_count = u64::try_from(refund_count).unwrap_or(0);
    let refund_amount =
        money.then(|| MoneyDto::from(Money::from_minor(refund_sum.unwrap_or(0), currency)));
    let revenue = money.then(|| {
        let total: i64 = by_day.iter().map(|(_, v)| *v).sum();
        MoneyDto::from(Money::from_minor(total, currency))
    });
    Ok((
        DashboardTotalsDto {
            from: range.from.to_string(),
            to: range.to.to_string(),
            revenue,
            refunds: RefundTotalsDto {
                count: refund_count,
                amount: refund_amount,
            },
            new_subscribers,
            churned_subscribers,
            promo_redemptions,
        },
        by_day,
    ))
}

/// The dashboard for `range`. `money: false` (a role that may not see money) leaves out
/// MRR, revenue and refund amounts rather than showing zeros.
pub async fn dashboard(
    db: &DatabaseConnection,
    range: Range,
    money: bool,
) -> Result<DashboardDto, ServiceError> {
    // Kinobill bills in roubles; a multi-currency price list would need a figure per
    // currency here.
    let currency = Currency::Rub;
    let counts = async {
        let rows: Vec<(Uuid, i64)> = subscriptions::Entity::find()
            .select_only()
            .column(subscriptions::Column::TariffId)
            .column_as(Expr::col(subscriptions::Column::Id).count(), "n")
            .filter(
                subscriptions::Column::Status
                    .is_in([SubscriptionStatus::Active, SubscriptionStatus::Grace]),
            )
            .group_by(subscriptions::Column::TariffId)
            .into_tuple()
            .all(db)
            .await?;
        Ok::<_, ServiceError>(rows)
    };
    let tariffs = async { Ok::<_, ServiceError>(lookup::tariffs(db).await?) };
    let (tariffs, counts, (current, by_day), (previous, _)) = tokio::try_join!(
        tariffs,
        counts,
        totals(db, range, money, currency),
        totals(db, range.previous(), money, currency),
    )?;
    let mut active_subscribers: Vec<TariffCountDto> = counts
        .iter()
        .map(|(id, n)| TariffCountDto {
            tariff_id: *id,
            tariff_name: lookup::tariff_name(&tariffs, *id),
            count: u64::try_from(*n).unwrap_or(0),
        })
        .collect();
    active_subscribers.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(a.tariff_name.cmp(&b.tariff_name))
    });
    let mrr = money.then(|| {
        let minor: i64 = counts
            .iter()
            .map(|(id, n)| tariffs.get(id).map_or(0, |t| t.monthly_price_minor) * n)
            .sum();
        MoneyDto::from(Money::from_minor(minor, currency))
    });

    let revenue = money.then(|| {
        let by_day: std::collections::HashMap<String, i64> = by_day.into_iter().collect();
        (0..range.days())
            .map(|i| {
                let date = (range.from + TimeDelta::days(i)).to_string();
                let minor = by_day.get(&date).copied().unwrap_or(0);
                DailyAmountDto {
                    date,
                    amount: MoneyDto::from(Money::from_minor(minor, currency)),
                }
            })
            .collect()
    });
    Ok(DashboardDto {
        from: current.from,
        to: current.to,
        mrr,
        active_subscribers,
        revenue,
        refunds: current.refunds,
        new_subscribers: current.new_subscribers,
        churned_subscribers: current.churned_subscribers,
        promo_redemptions: current.promo_redemptions,
        previous,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_default_range_is_the_last_thirty_days_and_the_previous_one_abuts_it() {
        let r = Range::parse(None, None, d("2026-12-05")).unwrap();
        assert_eq!((r.from, r.to), (d("2026-11-06"), d("2026-12-05")));
        assert_eq!(r.days(), 30);
        let p = r.previous();
        assert_eq!((p.from, p.to), (d("2026-10-07"), d("2026-11-05")));
    }

    #[test]
    fn backwards_or_overlong_ranges_are_refused() {
        let today = d("2026-12-05");
        assert!(Range::parse(Some(d("2026-12-06")), Some(today), today).is_err());
        assert!(Range::parse(Some(d("2025-12-04")), Some(today), today).is_err());
        assert!(Range::parse(Some(d("2025-12-05")), Some(today), today).is_ok());
    }
}
