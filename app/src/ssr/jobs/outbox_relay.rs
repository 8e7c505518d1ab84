//! Delivers due outbox rows of one destination: lease a batch, hand it to the relay,
//! record each row's result. At least once: a row is marked delivered only after the
//! relay said so; a crash in between leaves it leased until the lease runs out.

use chrono::{DateTime, TimeDelta, Utc};
use entity::{notifications, outbox};
use rand::Rng;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::ssr::outbox::Destination;
use crate::ssr::relays::{DeliveryError, customer_of};
use crate::ssr::repo::lease::{self, Lease};
use crate::ssr::state::OutboxPolicy;
use crate::ssr::{AppState, ServiceError};

/// How long a worker holds a leased batch before another may take it.
const LEASE: TimeDelta = TimeDelta::seconds(60);
/// A batch's delivery must end well inside its lease; whatever is not confirmed by then
/// is retried (at least once: consumers deduplicate by message id).
const DELIVERY_DEADLINE: std::time::Duration = std::time::Duration::from_secs(45);

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RelayReport {
    pub leased: usize,
    pub delivered: usize,
    pub retried: usize,
    pub dead: usize,
}

/// The delay before retry number `attempts` (1-based): `base · 2^(attempts-1)`, capped
/// at one hour, times a random factor in [0.8, 1.2] so a burst of failures spreads out.
pub fn backoff(policy: &OutboxPolicy, attempts: i32) -> TimeDelta {
    let exp = u32::try_from(attempts.clamp(1, 30) - 1).unwrap_or(0);
    let base_ms = Ord::max(policy.retry_base.num_milliseconds(), 1);
    let delay_ms = Ord::min(
        base_ms.saturating_mul(1_i64 << Ord::min(exp, 40)),
        TimeDelta::hours(1).num_milliseconds(),
    );
    let jitter: f64 = rand::rng().random_range(0.8..=1.2);
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
    let jittered = (delay_ms as f64 * jitter) as i64;
    TimeDelta::milliseconds(Ord::max(jittered, 1))
}

async fn lease(
    state: &AppState,
    destination: Destination,
    batch: u64,
    now: DateTime<Utc>,
) -> Result<Vec<outbox::Model>, ServiceError> {
    let due = outbox::Entity::find()
        .filter(outbox::Column::Destination.eq(destination.as_str()))
        .filter(outbox::Column::DeliveredAt.is_null())
        .filter(outbox::Column::DeadAt.is_null())
        .filter(outbox::Column::AvailableAt.lte(now))
        .order_by_asc(outbox::Column::AvailableAt);
    Ok(lease::take(
        &state.db,
        Lease {
            due,
            batch,
            column: outbox::Column::AvailableAt,
            until: (now + LEASE).into(),
            id_column: outbox::Column::Id,
            id: |r| r.id,
        },
    )
    .await?)
}

/// Every notification also lands in the customer's in-app list, keyed by the outbox id
/// so a repeated delivery writes it once.
async fn write_in_app(state: &AppState, rows: &[outbox::Model]) -> Result<(), ServiceError> {
    let items: Vec<notifications::ActiveModel> = rows
        .iter()
        .filter_map(|r| {
            Some(notifications::ActiveModel {
                id: Set(r.id),
                customer_id: Set(customer_of(&r.payload)?),
                kind: Set(r.kind.clone()),
                data: Set(r.payload.clone()),
                created_at: Set(r.created_at),
            })
        })
        .collect();
    if items.is_empty() {
        return Ok(());
    }
    notifications::Entity::insert_many(items)
        .on_conflict_do_nothing_on([notifications::Column::Id])
        .exec(&state.db)
        .await?;
    Ok(())
}

/// One pass for one destination: up to `batch` due rows.
pub async fn relay_outbox(
    state: &AppState,
    destination: Destination,
    batch: u64,
) -> Result<RelayReport, ServiceError> {
    let rows = lease(state, destination, batch, state.clock.now()).await?;
    let mut report = RelayReport {
        leased: rows.len(),
        ..RelayReport::default()
    };
    if rows.is_empty() {
        return Ok(report);
    }
    if destination == Destination::Notify {
        write_in_app(state, &rows).await?;
    }
    let results = tokio::time::timeout(
        DELIVERY_DEADLINE,
        state.relays.get(destination).deliver(&rows),
    )
    .await
    .unwrap_or_else(|_| {
        let late = DeliveryError::Retry("delivery did not finish in time".into());
        rows.iter().map(|_| Err(late.clone())).collect()
    });
    let now = state.clock.now();
    let mut delivered = Vec::new();
    for (row, result) in rows.iter().zip(results) {
        match result {
            Ok(()) => delivered.push(row.id),
            Err(err) => {
                let attempts = row.attempts + 1;
                let dead = matches!(err, DeliveryError::Permanent(_))
                    || attempts >= state.outbox_policy.max_attempts;
                let available_at = if dead {
                    report.dead += 1;
                    tracing::error!(message_id = %row.id, kind = %row.kind, destination = destination.as_str(), attempts, error = %err, "outbox message is dead");
                    now
                } else {
                    report.retried += 1;
                    tracing::warn!(message_id = %row.id, kind = %row.kind, destination = destination.as_str(), attempts, error = %err, "outbox delivery failed; will retry");
                    now + backoff(&state.outbox_policy, attempts)
                };
                // Fenced on "not delivered": if this lease ran out and another worker
                // delivered the row meanwhile, its success stands.
                outbox::Entity::update_many()
                    .col_expr(outbox::Column::Attempts, Expr::value(attempts))
                    .col_expr(
                        outbox::Column::LastError,
                        Expr::value(Some(err.to_string())),
                    )
                    .col_expr(outbox::Column::AvailableAt, Expr::value(available_at))
                    .col_expr(
                        outbox::Column::DeadAt,
                        Expr::value(if dead { Some(now) } else { None }),
                    )
                    .filter(outbox::Column::Id.eq(row.id))
                    .filter(outbox::Column::DeliveredAt.is_null())
                    .exec(&state.db)
                    .await?;
            }
        }
    }
    report.delivered = delivered.len();
    if !delivered.is_empty() {
        outbox::Entity::update_many()
            .col_expr(outbox::Column::DeliveredAt, Expr::value(Some(now)))
            .col_expr(
                outbox::Column::Attempts,
                Expr::col(outbox::Column::Attempts).add(1),
            )
            .col_expr(
                outbox::Column::LastError,
                Expr::value(Option::<String>::None),
            )
            .filter(outbox::Column::Id.is_in(delivered))
            .exec(&state.db)
            .await?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(base_secs: i64) -> OutboxPolicy {
        OutboxPolicy {
            max_attempts: 12,
            retry_base: TimeDelta::seconds(base_secs),
            archive_after: TimeDelta::days(7),
        }
    }

    #[test]
    fn backoff_doubles_within_twenty_percent_and_stops_at_an_hour() {
        let p = policy(2);
        for (attempts, expected_ms) in [(1, 2_000), (2, 4_000), (3, 8_000), (6, 64_000)] {
            for _ in 0..200 {
                let ms = backoff(&p, attempts).num_milliseconds();
                assert!(
                    (expected_ms * 8 / 10..=expected_ms * 12 / 10).contains(&ms),
                    "attempt {attempts}: {ms} ms"
                );
            }
        }
        for attempts in [20, 30, 1_000, i32::MAX] {
            let ms = backoff(&p, attempts).num_milliseconds();
            assert!((2_880_000..=4_320_000).contains(&ms), "capped: {ms} ms");
        }
    }

    #[test]
    fn backoff_is_jittered() {
        let p = policy(60);
        let seen: std::collections::HashSet<i64> =
            (0..50).map(|_| backoff(&p, 4).num_milliseconds()).collect();
        assert!(seen.len() > 10, "a burst of failures spreads out: {seen:?}");
    }
}
