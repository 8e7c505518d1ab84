//! Fixtures shared by the integration tests and the benchmarks (`server/examples`).
//! Nothing in the running product calls these.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};
use uuid::Uuid;

/// `n` customers, each with an active monthly subscription of `tariff` ending within the
/// next 70 minutes and a saved sandbox card that succeeds. Plain SQL (PostgreSQL): going
/// through the API would make seeding, not renewing, the slow part.
pub async fn seed_due_renewals(db: &DatabaseConnection, n: u32, tariff: Uuid) -> Result<(), DbErr> {
    let id =
        |prefix: &str| format!("('00000000-0000-4000-{prefix}-' || lpad(g::text, 12, '0'))::uuid");
    let (customer, method, sub) = (id("8000"), id("9000"), id("a000"));
    let statements = [
        format!(
            "INSERT INTO customers (id, email, name, created_at)
             SELECT {customer}, 'renew' || g || '@example.com', 'Renewal ' || g, now()
             FROM generate_series(1, {n}) g"
        ),
        format!(
            "INSERT INTO sandbox_cards (token, card_number, created_at)
             SELECT 'card_renew_' || g, '4242424242424242', now() FROM generate_series(1, {n}) g"
        ),
        format!(
            "INSERT INTO payment_methods (id, customer_id, provider, provider_token, brand, last4, created_at)
             SELECT {method}, {customer}, 'sandbox', 'card_renew_' || g, 'Visa', '4242', now()
             FROM generate_series(1, {n}) g"
        ),
        format!(
            "INSERT INTO subscriptions (id, customer_id, tariff_id, status, current_period_start,
                 current_period_end, auto_renew, payment_method_id, created_at, updated_at, renewal_attempts)
             SELECT {sub}, {customer}, '{tariff}'::uuid, 'active', now() - interval '1 month',
                    now() + interval '1 hour' + (g % 600) * interval '1 second', true, {method},
                    now(), now(), 0
             FROM generate_series(1, {n}) g"
        ),
        // What autovacuum does within a minute of a bulk load anyway; without it the
        // first passes plan for the empty tables the statistics still describe. Only
        // the filled tables: an empty table analyzed as empty gets sequential scans in
        // the foreign-key checks planned now and cached for the whole run.
        "ANALYZE customers, sandbox_cards, payment_methods, subscriptions".to_string(),
    ];
    for sql in statements {
        db.execute_unprepared(&sql).await?;
    }
    Ok(())
}

/// `SELECT count(*) …` as a number.
pub async fn count(db: &DatabaseConnection, sql: &str) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_string(),
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("count".into()))?;
    row.try_get_by_index::<i64>(0)
}
