//! Three `server worker` processes against one PostgreSQL with 10,000 due renewals:
//! every subscription is charged exactly once and renewed (row leases with
//! `FOR UPDATE SKIP LOCKED`, provider keys derived from the period).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sea_orm::DatabaseConnection;

use crate::helpers::{Backend, TEST_JWT_SECRET, backend, spawn_app_custom};

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    server::testkit::count(db, sql).await.expect("count")
}

struct Workers(Vec<Child>);

impl Drop for Workers {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[tokio::test]
async fn three_worker_processes_renew_ten_thousand_subscriptions_exactly_once() {
    if backend() != Backend::Postgres {
        // SQLite is the single-instance embedded setup; this is about PostgreSQL.
        return;
    }
    const N: i64 = 10_000;
    let app = spawn_app_custom(true, &[("KINOBILL__WORKER__ENABLED", "false")]).await;
    let tariff = crate::checkout_api::tariff(&app, "premium").await;
    server::testkit::seed_due_renewals(&app.db, u32::try_from(N).unwrap(), tariff.id)
        .await
        .expect("seed due renewals");

    // Each worker logs (JSON, info) to a file of its own: afterwards each must show
    // renewals it did, so the test cannot pass with one worker doing everything.
    let logs: Vec<std::path::PathBuf> = (0..3)
        .map(|i| {
            std::env::temp_dir().join(format!(
                "kb-worker-{}-{i}.log",
                uuid::Uuid::new_v4().simple()
            ))
        })
        .collect();
    let mut workers = Workers(
        logs.iter()
            .map(|log| {
                Command::new(env!("CARGO_BIN_EXE_server"))
                    .env("DATABASE_URL", &app.test_db.url)
                    .env("KINOBILL__AUTH__JWT_SECRET", TEST_JWT_SECRET)
                    .env("KINOBILL__LOG__LEVEL", "info")
                    .env("KINOBILL__LOG__FORMAT", "json")
                    .env("KINOBILL__WORKER__INTERVAL", "PT1S")
                    .env("KINOBILL__WORKER__BATCH", "50")
                    .env("KINOBILL__DATABASE__MAX_CONNECTIONS", "4")
                    .env_remove("RUST_LOG")
                    .arg("worker")
                    .stdout(std::fs::File::create(log).expect("worker log"))
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("start a worker")
            })
            .collect(),
    );
    let started = Instant::now();
    let renewed_sql =
        "SELECT count(*) FROM subscriptions WHERE current_period_end > now() + interval '20 days'";
    loop {
        let renewed = count(&app.db, renewed_sql).await;
        if renewed == N {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "only {renewed} of {N} renewed after 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let took = started.elapsed();
    for (i, c) in workers.0.iter_mut().enumerate() {
        assert!(
            matches!(c.try_wait(), Ok(None)),
            "worker {i} is still running"
        );
    }
    drop(workers);
    for log in &logs {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let _ = std::fs::remove_file(log);
        let batches = text
            .lines()
            .filter(|l| l.contains("\"renewals\"") && !l.contains("renewed: 0,"))
            .count();
        assert!(
            batches > 0,
            "every worker renewed some: {log:?}\n{}",
            &text[..text.len().min(2000)]
        );
    }
    eprintln!(
        "3 workers renewed {N} subscriptions in {:.1} s ({:.0}/s)",
        took.as_secs_f64(),
        N as f64 / took.as_secs_f64()
    );

    let db = &app.db;
    assert_eq!(
        count(
            db,
            "SELECT count(*) FROM sandbox_payments WHERE idempotency_key LIKE 'renew-%'"
        )
        .await,
        N,
        "one provider charge per subscription"
    );
    assert_eq!(
        count(db, "SELECT count(*) FROM (SELECT p.customer_id FROM payments p JOIN invoices i ON i.id = p.invoice_id
                   WHERE i.kind = 'renewal' AND p.status = 'succeeded' GROUP BY p.customer_id HAVING count(*) = 1) once").await,
        N,
        "every customer paid exactly one renewal"
    );
    assert_eq!(
        count(
            db,
            "SELECT count(*) FROM payments WHERE status <> 'succeeded'"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            db,
            "SELECT count(*) FROM subscriptions WHERE status = 'active' AND renewal_attempts = 0"
        )
        .await,
        N
    );
    assert_eq!(
        count(
            db,
            "SELECT count(*) FROM outbox WHERE kind = 'subscription.renewed'"
        )
        .await,
        N
    );
}
