//! The background worker: the job steps of `app::ssr::jobs` on a schedule. Runs inside
//! `serve` (unless `worker.enabled = false`) and alone as `server worker`. Every step is
//! idempotent and leases its rows, so any number of instances may run at once.

use std::time::Duration;

use app::ssr::outbox::Destination;
use app::ssr::services::test_clock;
use app::ssr::{AppState, ServiceError, jobs};

use crate::config::WorkerSettings;

/// Housekeeping runs every this many passes (it scans for old rows; nothing is urgent).
const HOUSEKEEPING_EVERY: u64 = 120;
/// A step drains at most this many batches per pass, so one busy step (or relay
/// destination) cannot starve the others.
const MAX_ROUNDS: usize = 50;

fn report<T: std::fmt::Debug>(step: &str, r: Result<T, ServiceError>, busy: impl Fn(&T) -> bool) {
    match r {
        Ok(r) if busy(&r) => tracing::info!(step, report = ?r, "worker step"),
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(step, error = %e, "worker step failed");
            e.log_if_internal();
        }
    }
}

/// One pass of every job. Order matters when time jumps (the test clock): reminders and
/// renewals run before the period-end transitions, so a card that pays in time keeps
/// the subscription active instead of sending it through grace.
/// Runs one step and records how long it took (`kinobill_worker_step_seconds`).
async fn timed<T>(step: &'static str, f: impl Future<Output = T>) -> T {
    let started = std::time::Instant::now();
    let out = f.await;
    app::ssr::metrics::worker_step(step, started.elapsed());
    out
}

pub async fn pass(state: &AppState, settings: &WorkerSettings, n: u64) {
    timed("pass", pass_steps(state, settings, n)).await;
}

async fn pass_steps(state: &AppState, settings: &WorkerSettings, n: u64) {
    report("test_clock", test_clock::sync(state).await, |_| false);
    report(
        "reconcile",
        timed(
            "reconcile",
            jobs::reconcile_pending(state, settings.reconcile_after, settings.batch),
        )
        .await,
        |r| r.checked > 0,
    );
    report(
        "refunds",
        timed(
            "refunds",
            jobs::reconcile_pending_refunds(state, settings.batch),
        )
        .await,
        |n| *n > 0,
    );
    for _ in 0..MAX_ROUNDS {
        let r = timed("reminders", jobs::send_reminders(state, settings.batch)).await;
        let full = matches!(&r, Ok(n) if *n as u64 >= settings.batch);
        report("reminders", r, |n| *n > 0);
        if !full {
            break;
        }
    }
    loop {
        let r = timed("renewals", jobs::renew_due(state, settings.batch)).await;
        let full = matches!(&r, Ok(r) if r.leased as u64 >= settings.batch);
        report("renewals", r, |r| r.leased > 0);
        if !full {
            break;
        }
    }
    for _ in 0..MAX_ROUNDS {
        let r = timed("periods", jobs::advance_periods(state, settings.batch)).await;
        let full = matches!(&r, Ok(r) if (r.to_grace + r.expired) as u64 >= settings.batch);
        report("periods", r, |r| r.to_grace + r.expired > 0);
        if !full {
            break;
        }
    }
    for destination in [Destination::Events, Destination::Notify, Destination::Auth] {
        for _ in 0..MAX_ROUNDS {
            let r = timed(
                "outbox",
                jobs::relay_outbox(state, destination, settings.batch),
            )
            .await;
            let full = matches!(&r, Ok(r) if r.leased as u64 >= settings.batch);
            report("outbox", r, |r| r.retried + r.dead > 0);
            if !full {
                break;
            }
        }
    }
    if (n + 1).is_multiple_of(HOUSEKEEPING_EVERY) {
        report(
            "housekeeping",
            timed("housekeeping", jobs::housekeeping(state)).await,
            |r| r.idempotency_keys_purged + r.outbox_archived + r.sessions_purged > 0,
        );
    }
}

pub async fn run(state: AppState, settings: WorkerSettings) {
    let every = settings.interval.to_std().unwrap_or(Duration::from_secs(5));
    let wake = state.worker_wake.clone();
    let mut n: u64 = 0;
    loop {
        pass(&state, &settings, n).await;
        n = n.wrapping_add(1);
        // Sleep until the next tick, or until someone (the test clock) wakes us.
        tokio::select! {
            () = tokio::time::sleep(every) => {},
            () = wake.notified() => {},
        }
    }
}
