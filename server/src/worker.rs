//! The background worker: job steps from `app::ssr::jobs` on a schedule. Runs inside
//! `serve` (unless `worker.enabled = false`). Each step is idempotent, so any number of
//! instances may run it at once.

use std::time::Duration;

use app::ssr::{AppState, jobs};

use crate::config::WorkerSettings;

pub async fn run(state: AppState, settings: WorkerSettings) {
    let every = settings.interval.to_std().unwrap_or(Duration::from_secs(5));
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match jobs::reconcile_pending(&state, settings.reconcile_after, settings.batch).await {
            Ok(r) if r.checked > 0 => tracing::info!(?r, "reconciliation pass"),
            Ok(_) => {}
            Err(e) => e.log_if_internal(),
        }
    }
}
