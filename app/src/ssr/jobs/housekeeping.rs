//! Housekeeping: idempotency keys older than their 24 h retention are purged; delivered
//! outbox rows older than `archive_after` move to `outbox_archive`, keeping the hot table
//! (which every relay pass scans) small; expired sessions and sign-in attempts older
//! than a day are deleted.

use entity::{outbox, outbox_archive};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::ssr::repo::begin_write;
use crate::ssr::session_store::DbSessionStore;
use crate::ssr::{AppState, ServiceError, idempotency};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct HousekeepingReport {
    pub idempotency_keys_purged: u64,
    pub outbox_archived: u64,
    pub sessions_purged: u64,
    pub login_attempts_purged: u64,
}

const ARCHIVE_BATCH: u64 = 1_000;

pub async fn housekeeping(state: &AppState) -> Result<HousekeepingReport, ServiceError> {
    let now = state.clock.now();
    let mut report = HousekeepingReport {
        idempotency_keys_purged: idempotency::purge_expired(&state.db, now).await?,
        ..HousekeepingReport::default()
    };
    // Sessions expire by the wall clock (tower-sessions checks them with it), never by
    // the test clock: moving time forward must not sign the staff out.
    report.sessions_purged = DbSessionStore::new(state.db.clone())
        .delete_expired(chrono::Utc::now())
        .await?;
    // The sign-in throttle reads one window back; a day keeps a trail for support.
    report.login_attempts_purged =
        crate::ssr::repo::staff::purge_login_attempts(&state.db, now - chrono::TimeDelta::days(1))
            .await?;
    let cutoff = now - state.outbox_policy.archive_after;
    loop {
        let old = outbox::Entity::find().filter(outbox::Column::DeliveredAt.lte(cutoff));
        if old.clone().one(&state.db).await?.is_none() {
            break;
        }
        let txn = begin_write(&state.db).await?;
        let rows = outbox::Entity::find()
            .filter(outbox::Column::DeliveredAt.lte(cutoff))
            .limit(ARCHIVE_BATCH)
            .all(&txn)
            .await?;
        if rows.is_empty() {
            txn.commit().await?;
            break;
        }
        let ids: Vec<_> = rows.iter().map(|r| r.id).collect();
        let count = rows.len() as u64;
        let archived = rows.into_iter().filter_map(|r| {
            Some(outbox_archive::ActiveModel {
                id: Set(r.id),
                destination: Set(r.destination),
                kind: Set(r.kind),
                payload: Set(r.payload),
                created_at: Set(r.created_at),
                attempts: Set(r.attempts),
                delivered_at: Set(r.delivered_at?),
                archived_at: Set(now),
            })
        });
        outbox_archive::Entity::insert_many(archived)
            .on_conflict_do_nothing_on([outbox_archive::Column::Id])
            .exec(&txn)
            .await?;
        outbox::Entity::delete_many()
            .filter(outbox::Column::Id.is_in(ids))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        report.outbox_archived += count;
        if count < ARCHIVE_BATCH {
            break;
        }
    }
    Ok(report)
}
