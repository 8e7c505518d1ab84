//! Three `server worker` processes against one PostgreSQL with 10,000 due renewals:
//! every subscription is charged exactly once and renewed (row leases with
//! `FOR UPDATE SKIP LOCKED`, provider keys derived from the period).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::helpers::{Backend, TEST_JWT_SECRET, backend, spawn_app_custom};

/// `n` customers, each with an active monthly subscription ending within the hour and a
/// saved sandbox card that succeeds. Plain SQL: seeding 10,000 through the API would be
/// the slow part of the test.
pub async fn seed_due_renewals(db: &DatabaseConnection, n: u32, tariff: uuid::Uuid) {
    let sql = [
        format!(
            "INSERT INTO customers (id, email, name, created_at)
             SELECT ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid,
                    'renew' || g || '@example.com', 'Renewal ' || g, now()
             FROM generate_series(1, {n}) g"
        ),
        format!(
            "INSERT INTO sandbox_cards (token, card_number, created_at)
             SELECT 'card_renew_' || g, '4242424242424242', now() FROM generate_series(1, {n}) g"
        ),
        format!(
            "INSERT INTO payment_methods (id, customer_id, provider, provider_token, brand, last4, created_at)
             SELECT ('00000000-0000-4000-9000-' || lpad(g::text, 12, '0'))::uuid,
                    ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid,
                    'sandbox', 'card_renew_' || g, 'Visa', '4242', now()
             FROM generate_series(1, {n}) g"
        ),
        format!(
            "INSERT INTO subscriptions (id, customer_id, tariff_id, status, current_period_start,
                 current_period_end, auto_renew, payment_method_id, created_at, updated_at, renewal_attempts)
             SELECT ('00000000-0000-4000-a000-' || lpad(g::text, 12, '0'))::uuid,
                    ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid,
                    '{tariff}'::uuid, 'active', now() - interval '1 month',
                    now() + interval '1 hour' + (g % 600) * interval '1 second', true,
                    ('00000000-0000-4000-9000-' || lpad(g::text, 12, '0'))::uuid, now(), now(), 0
             FROM generate_series(1, {n}) g"
        ),
    ];
    for s in sql {
        db.execute_unprepared(&s).await.expect("seed due renewals");
    }
}

pub async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_string(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
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
    seed_due_renewals(&app.db, u32::try_from(N).unwrap(), tariff.id).await;

    let workers = Workers(
        (0..3)
            .map(|_| {
                Command::new(env!("CARGO_BIN_EXE_server"))
                    .env("DATABASE_URL", &app.test_db.url)
                    .env("KINOBILL__AUTH__JWT_SECRET", TEST_JWT_SECRET)
                    .env("KINOBILL__LOG__LEVEL", "warn")
                    .env("KINOBILL__WORKER__INTERVAL", "PT1S")
                    .env("KINOBILL__WORKER__BATCH", "50")
                    .env("KINOBILL__DATABASE__MAX_CONNECTIONS", "4")
                    .env_remove("RUST_LOG")
                    .arg("worker")
                    .stdout(Stdio::null())
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
    drop(workers);
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
