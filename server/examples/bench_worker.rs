//! Worker benchmarks on PostgreSQL (run by `scripts/bench-worker.sh`, release build):
//!
//! * `renewals N W` — N due subscriptions, W workers (tasks running the same
//!   `jobs::renew_due` loop a `server worker` runs, competing through row leases), with
//!   the in-process sandbox provider. Prints renewals per second.
//! * `outbox N` — N events relayed to the local RabbitMQ with publisher confirms into a
//!   bound durable queue. Prints messages per second.
//!
//! Each run creates its own database (and exchange/queue) and removes it afterwards.

use std::time::Instant;

use anyhow::Context;
use app::ssr::outbox::Destination;
use app::ssr::relays::Relays;
use app::ssr::relays::amqp::AmqpRelay;
use app::ssr::{AppState, jobs};
use entity::tariffs;
use lapin::options::{
    ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties, ExchangeKind};
use sea_orm::{ColumnTrait, ConnectionTrait, Database, EntityTrait, QueryFilter};
use server::Application;
use server::config::Settings;
use server::testkit::{count, seed_due_renewals};
use uuid::Uuid;

const AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

fn base_url() -> String {
    std::env::var("BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

struct BenchDb {
    name: String,
    url: String,
}

impl BenchDb {
    async fn create() -> anyhow::Result<BenchDb> {
        let base = base_url();
        let name = format!("kinobill_bench_{}", Uuid::new_v4().simple());
        let admin = Database::connect(&base).await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await?;
        admin.close().await?;
        let prefix = base.rsplit_once('/').context("URL ends with /db")?.0;
        Ok(BenchDb {
            url: format!("{prefix}/{name}"),
            name,
        })
    }

    async fn drop_it(self) {
        if let Ok(admin) = Database::connect(&base_url()).await {
            let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
            let _ = admin.execute_unprepared(&sql).await;
        }
    }
}

async fn app(db: &BenchDb) -> anyhow::Result<AppState> {
    let env = [
        ("DATABASE_URL", db.url.as_str()),
        ("KINOBILL__SERVER__ADDR", "127.0.0.1:0"),
        (
            "KINOBILL__AUTH__JWT_SECRET",
            "bench-secret-that-is-long-enough-0123456789",
        ),
        ("KINOBILL__DEMO__SEED", "true"),
        ("KINOBILL__WORKER__ENABLED", "false"),
        ("KINOBILL__DATABASE__MAX_CONNECTIONS", "20"),
        ("KINOBILL__LOG__LEVEL", "warn"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()));
    let settings = Settings::from_sources(None, "", env)?;
    Ok(Application::build(&settings).await?.state())
}

async fn renewals(n: u32, workers: usize) -> anyhow::Result<()> {
    let db = BenchDb::create().await?;
    let state = app(&db).await?;
    let premium = tariffs::Entity::find()
        .filter(tariffs::Column::Code.eq("premium"))
        .one(&state.db)
        .await?
        .context("demo tariff")?;
    seed_due_renewals(&state.db, n, premium.id).await?;
    let started = Instant::now();
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let state = state.clone();
            tokio::spawn(async move {
                loop {
                    match jobs::renew_due(&state, 200).await {
                        Ok(r) if r.leased == 0 => break,
                        Ok(_) => {}
                        Err(e) => eprintln!("renewal pass: {e}"),
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await?;
    }
    let secs = started.elapsed().as_secs_f64();
    let renewed = count(
        &state.db,
        "SELECT count(*) FROM subscriptions WHERE current_period_end > now() + interval '20 days'",
    )
    .await?;
    let charges = count(
        &state.db,
        "SELECT count(*) FROM sandbox_payments WHERE idempotency_key LIKE 'renew-%'",
    )
    .await?;
    #[allow(clippy::cast_precision_loss)]
    let rate = renewed as f64 / secs;
    println!(
        "renewals: {renewed} of {n} renewed ({charges} provider charges) by {workers} worker(s) in {secs:.1} s = {rate:.0} renewals/s",
    );
    state.db.clone().close().await.ok();
    db.drop_it().await;
    anyhow::ensure!(
        renewed == i64::from(n) && charges == i64::from(n),
        "every subscription must be renewed with exactly one charge"
    );
    Ok(())
}

async fn outbox(n: u32) -> anyhow::Result<()> {
    let db = BenchDb::create().await?;
    let mut state = app(&db).await?;
    let suffix = Uuid::new_v4().simple().to_string();
    let exchange = format!("kb-bench-{suffix}");
    let mut relays = Relays::log_only();
    relays.events = Box::new(AmqpRelay::new(
        AMQP_URL,
        &exchange,
        &format!("kb-bench-{suffix}"),
    ));
    state.relays = std::sync::Arc::new(relays);

    // A durable queue bound to everything, so the broker really stores each message.
    let conn = Connection::connect(AMQP_URL, ConnectionProperties::default()).await?;
    let ch = conn.create_channel().await?;
    ch.exchange_declare(
        exchange.clone().into(),
        ExchangeKind::Topic,
        ExchangeDeclareOptions {
            durable: true,
            ..ExchangeDeclareOptions::default()
        },
        FieldTable::default(),
    )
    .await?;
    let queue = format!("kb-bench-{suffix}");
    ch.queue_declare(
        queue.clone().into(),
        QueueDeclareOptions {
            durable: true,
            ..QueueDeclareOptions::default()
        },
        FieldTable::default(),
    )
    .await?;
    ch.queue_bind(
        queue.clone().into(),
        exchange.clone().into(),
        "#".into(),
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await?;

    state
        .db
        .execute_unprepared(&format!(
            "INSERT INTO outbox (id, destination, kind, payload, created_at, available_at, attempts)
             SELECT gen_random_uuid(), 'events', 'payment.succeeded',
                    jsonb_build_object('payment_id', gen_random_uuid(), 'n', g), now(), now(), 0
             FROM generate_series(1, {n}) g"
        ))
        .await?;
    let started = Instant::now();
    loop {
        let r = jobs::relay_outbox(&state, Destination::Events, 1000).await?;
        if r.leased == 0 {
            break;
        }
        if r.retried + r.dead > 0 {
            eprintln!("outbox pass: {r:?}");
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let delivered = count(
        &state.db,
        "SELECT count(*) FROM outbox WHERE delivered_at IS NOT NULL",
    )
    .await?;
    let queued = ch
        .queue_declare(
            queue.clone().into(),
            QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await?
        .message_count();
    #[allow(clippy::cast_precision_loss)]
    let rate = delivered as f64 / secs;
    println!(
        "outbox: {delivered} of {n} delivered ({queued} in the queue) in {secs:.1} s = {rate:.0} messages/s",
    );
    ch.queue_delete(queue.into(), QueueDeleteOptions::default())
        .await?;
    ch.exchange_delete(exchange.into(), ExchangeDeleteOptions::default())
        .await?;
    conn.close(200, "done".into()).await.ok();
    state.db.clone().close().await.ok();
    db.drop_it().await;
    anyhow::ensure!(
        delivered == i64::from(n) && i64::from(queued) >= i64::from(n),
        "every message must be delivered and queued"
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, default: u32| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    match args.first().map(String::as_str) {
        Some("renewals") => renewals(num(1, 100_000), num(2, 1) as usize).await,
        Some("outbox") => outbox(num(1, 100_000)).await,
        _ => anyhow::bail!("usage: bench_worker renewals [N] [WORKERS] | outbox [N]"),
    }
}
