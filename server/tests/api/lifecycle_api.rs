//! The subscription lifecycle: reminders, renewals with the saved card, grace and
//! expiry. Job steps are called directly (as the worker does), with the test clock.

use app::domain::subscription::add_months;
use app::ssr::jobs;
use app::ssr::outbox::Destination;
use app::ssr::providers::sandbox::Faults;
use chrono::{DateTime, TimeDelta, Utc};
use entity::{invoices, outbox, payment_methods, payments, sandbox_payments, subscriptions};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::checkout_api::{Customer, buy, customer, wait_for_status};
use crate::helpers::{TEST_SERVICE_TOKEN, TestApp, spawn_app_custom, spawn_clocked};

pub const CARD_OK: &str = "4242424242424242";
pub const CARD_DECLINED: &str = "4000000000000002";

pub async fn lifecycle_app() -> TestApp {
    spawn_clocked(&[]).await
}

pub async fn subscription(app: &TestApp, customer: Uuid) -> subscriptions::Model {
    subscriptions::Entity::find()
        .filter(subscriptions::Column::CustomerId.eq(customer))
        .one(&app.db)
        .await
        .unwrap()
        .expect("a subscription")
}

/// Moves the test clock to `at` (never backwards).
pub fn move_to(app: &TestApp, at: DateTime<Utc>) {
    let clock = app.test_clock.clone().expect("test clock");
    let by = at - app.state.clock.now();
    clock.advance(by);
}

/// A monthly subscription paid with `card`, saved for renewals.
pub async fn subscribed(app: &TestApp, card: &str) -> (Customer, subscriptions::Model) {
    let c = customer(app);
    let body = buy(app, &c, "premium", 1, card).await;
    let id = body["payment"]["id"].as_str().unwrap().to_string();
    wait_for_status(app, &c, &id, "succeeded").await;
    let sub = subscription(app, c.id).await;
    assert!(sub.auto_renew && sub.payment_method_id.is_some());
    (c, sub)
}

/// From now on the sandbox declines the subscription's saved card.
pub async fn decline_card(app: &TestApp, sub: &subscriptions::Model) {
    let method = payment_methods::Entity::find_by_id(sub.payment_method_id.unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let sandbox = app.state.sandbox.as_ref().unwrap();
    assert!(
        sandbox
            .set_card_number(&method.provider_token, CARD_DECLINED)
            .await
            .unwrap()
    );
}

async fn renewal_charges(app: &TestApp, sub: Uuid) -> Vec<sandbox_payments::Model> {
    sandbox_payments::Entity::find()
        .filter(
            sandbox_payments::Column::IdempotencyKey.starts_with(format!("renew-{}", sub.simple())),
        )
        .all(&app.db)
        .await
        .unwrap()
}

pub async fn outbox_kinds(app: &TestApp, destination: Destination) -> Vec<String> {
    outbox::Entity::find()
        .filter(outbox::Column::Destination.eq(destination.as_str()))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.kind)
        .collect()
}

async fn notifications(app: &TestApp, c: &Customer) -> Vec<Value> {
    let all = jobs::relay_outbox(&app.state, Destination::Notify, 500)
        .await
        .unwrap();
    assert_eq!(all.retried + all.dead, 0);
    let res = app
        .client
        .get(app.url("/api/v1/me/notifications"))
        .bearer_auth(&c.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    body["data"].as_array().unwrap().clone()
}

fn kinds(list: &[Value]) -> Vec<&str> {
    list.iter().map(|n| n["kind"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn renewal_charges_the_saved_card_once_and_extends_the_period() {
    let app = lifecycle_app().await;
    let (c, sub) = subscribed(&app, CARD_OK).await;
    let end = sub.current_period_end;

    move_to(&app, end - TimeDelta::hours(25));
    let early = jobs::renew_due(&app.state, 100).await.unwrap();
    assert_eq!(early.leased, 0, "not due before E - 24h");

    move_to(&app, end - TimeDelta::hours(23));
    let pass = jobs::renew_due(&app.state, 100).await.unwrap();
    assert_eq!((pass.leased, pass.renewed), (1, 1), "{pass:?}");
    let renewed = subscription(&app, c.id).await;
    assert_eq!(renewed.status, "active");
    assert_eq!(renewed.current_period_end, add_months(end, 1));
    assert_eq!(renewed.current_period_start, sub.current_period_start);

    let again = jobs::renew_due(&app.state, 100).await.unwrap();
    assert_eq!(again.leased, 0, "a renewed subscription is not due again");
    assert_eq!(
        jobs::renew_subscription(&app.state, sub.id).await.unwrap(),
        jobs::RenewalOutcome::Skipped
    );
    let charges = renewal_charges(&app, sub.id).await;
    assert_eq!(charges.len(), 1, "one charge of the saved card");
    assert_eq!(charges[0].status, "succeeded");

    let paid = payments::Entity::find()
        .filter(payments::Column::CustomerId.eq(c.id))
        .filter(payments::Column::Status.eq("succeeded"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(paid, 2);
    let events = outbox_kinds(&app, Destination::Events).await;
    assert!(
        events.contains(&"subscription.renewed".to_string()),
        "{events:?}"
    );
    assert_eq!(
        events.iter().filter(|k| *k == "payment.succeeded").count(),
        2
    );
    let notes = notifications(&app, &c).await;
    assert_eq!(kinds(&notes), ["subscription_renewed", "payment_succeeded"]);

    // The entitlement follows the new period.
    let ent: Value = app
        .client
        .get(app.url(&format!("/api/v1/entitlements/{}", c.id)))
        .bearer_auth(TEST_SERVICE_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let until: DateTime<Utc> = ent["roles"][0]["valid_until"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        until.timestamp(),
        (add_months(end, 1) + TimeDelta::days(2)).timestamp()
    );
}

#[tokio::test]
async fn a_crash_between_charging_and_settling_never_charges_twice() {
    let app = lifecycle_app().await;
    let (c, sub) = subscribed(&app, CARD_OK).await;
    move_to(&app, sub.current_period_end - TimeDelta::hours(23));
    // The sandbox charges, then the answer is lost (as if the worker died right then).
    app.state.sandbox.as_ref().unwrap().set_faults(Faults {
        timeout_after_create: 1,
        ..Faults::default()
    });
    let first = jobs::renew_due(&app.state, 100).await.unwrap();
    assert_eq!((first.leased, first.pending), (1, 1), "{first:?}");
    assert_eq!(
        subscription(&app, c.id).await.current_period_end,
        sub.current_period_end
    );
    let charges = renewal_charges(&app, sub.id).await;
    assert_eq!(charges.len(), 1);
    assert_eq!(charges[0].status, "succeeded", "the card was charged");

    // The lease keeps other workers away until it runs out; then the rerun finds the
    // same charge by its key and settles it.
    assert_eq!(jobs::renew_due(&app.state, 100).await.unwrap().leased, 0);
    move_to(&app, app.state.clock.now() + TimeDelta::minutes(6));
    let rerun = jobs::renew_due(&app.state, 100).await.unwrap();
    assert_eq!((rerun.leased, rerun.renewed), (1, 1), "{rerun:?}");
    assert_eq!(
        renewal_charges(&app, sub.id).await.len(),
        1,
        "still one charge"
    );
    assert_eq!(
        subscription(&app, c.id).await.current_period_end,
        add_months(sub.current_period_end, 1)
    );
    let succeeded = payments::Entity::find()
        .filter(payments::Column::CustomerId.eq(c.id))
        .filter(payments::Column::Status.eq("succeeded"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(succeeded, 2);
}

/// The sweep settles a batch in shared transactions: a payment that cannot be settled
/// (here its amount no longer matches the charge) must not hold back the others, and the
/// batch's invoice numbers come out consecutive.
#[tokio::test]
async fn one_bad_payment_in_a_renewal_batch_does_not_hold_back_the_others() {
    let app = lifecycle_app().await;
    let mut subs = Vec::new();
    for _ in 0..4 {
        subs.push(subscribed(&app, CARD_OK).await.1);
    }
    let (bad, declined) = (&subs[0], &subs[1]);
    let sandbox = app.state.sandbox.as_ref().unwrap();
    decline_card(&app, declined).await;
    let latest = subs.iter().map(|s| s.current_period_end).max().unwrap();
    move_to(&app, latest - TimeDelta::hours(23));

    // The first subscription's charge goes through but the answer is lost; then its
    // payment row is made to disagree with the charge, so settling it fails.
    sandbox.set_faults(Faults {
        timeout_after_create: 1,
        ..Faults::default()
    });
    assert_eq!(
        jobs::renew_subscription(&app.state, bad.id).await.unwrap(),
        jobs::RenewalOutcome::Pending
    );
    let pending = payments::Entity::find()
        .filter(payments::Column::CustomerId.eq(bad.customer_id))
        .filter(payments::Column::Status.eq("pending"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the renewal payment");
    payments::Entity::update_many()
        .col_expr(
            payments::Column::AmountMinor,
            Expr::value(pending.amount_minor + 1),
        )
        .filter(payments::Column::Id.eq(pending.id))
        .exec(&app.db)
        .await
        .unwrap();

    let pass = jobs::renew_due(&app.state, 100).await.unwrap();
    assert_eq!(
        (pass.leased, pass.renewed, pass.failed, pass.errors),
        (4, 2, 1, 1),
        "{pass:?}"
    );
    for s in &subs {
        let now = subscription(&app, s.customer_id).await;
        let renewed = now.current_period_end == add_months(s.current_period_end, 1);
        assert_eq!(renewed, s.id != bad.id && s.id != declined.id, "{now:?}");
        assert_eq!(
            renewal_charges(&app, s.id).await.len(),
            1,
            "one charge each"
        );
    }
    assert_eq!(
        subscription(&app, declined.customer_id)
            .await
            .renewal_attempts,
        1
    );
    let still = payments::Entity::find_by_id(pending.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(still.status, "pending", "left for a person to check");

    // Invoice numbers per year run 1, 2, 3, … without a gap (purchases one by one,
    // the batch's three renewal invoices as one range).
    let mut numbers: Vec<String> = invoices::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.number)
        .collect();
    numbers.sort();
    assert_eq!(numbers.len(), 8);
    let mut expected = std::collections::BTreeMap::<String, u32>::new();
    for n in &numbers {
        let (year, seq) = n.rsplit_once('-').unwrap();
        let next = expected.entry(year.to_string()).or_insert(0);
        *next += 1;
        assert_eq!(seq.parse::<u32>().unwrap(), *next, "{numbers:?}");
    }
}

#[tokio::test]
async fn a_failing_card_retries_in_grace_then_expires_and_revokes_access() {
    let app = lifecycle_app().await;
    let (c, sub) = subscribed(&app, CARD_OK).await;
    let end = sub.current_period_end;
    decline_card(&app, &sub).await;

    move_to(&app, end - TimeDelta::days(3) + TimeDelta::minutes(1));
    assert_eq!(jobs::send_reminders(&app.state, 100).await.unwrap(), 1);
    assert_eq!(
        jobs::send_reminders(&app.state, 100).await.unwrap(),
        0,
        "once per period"
    );

    move_to(&app, end - TimeDelta::hours(23));
    let first = jobs::renew_due(&app.state, 100).await.unwrap();
    assert_eq!(first.failed, 1, "{first:?}");
    let s = subscription(&app, c.id).await;
    assert_eq!((s.status.as_str(), s.renewal_attempts), ("active", 1));
    assert_eq!(
        jobs::renew_due(&app.state, 100).await.unwrap().leased,
        0,
        "waits a day"
    );

    // The retry a day after the first try falls after `E`.
    move_to(&app, end + TimeDelta::hours(1) + TimeDelta::minutes(1));
    assert_eq!(jobs::renew_due(&app.state, 100).await.unwrap().failed, 1);
    let moved = jobs::advance_periods(&app.state, 100).await.unwrap();
    assert_eq!(moved.to_grace, 1);
    assert_eq!(subscription(&app, c.id).await.status, "grace");
    let during_grace: Value = app
        .client
        .get(app.url(&format!("/api/v1/entitlements/{}", c.id)))
        .bearer_auth(TEST_SERVICE_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        during_grace["roles"].as_array().unwrap().len(),
        1,
        "access through grace"
    );

    move_to(
        &app,
        end + TimeDelta::days(1) + TimeDelta::hours(1) + TimeDelta::minutes(2),
    );
    assert_eq!(jobs::renew_due(&app.state, 100).await.unwrap().failed, 1);

    move_to(&app, end + TimeDelta::days(2) + TimeDelta::minutes(1));
    assert_eq!(
        jobs::renew_due(&app.state, 100).await.unwrap().leased,
        0,
        "access is over"
    );
    let moved = jobs::advance_periods(&app.state, 100).await.unwrap();
    assert_eq!(moved.expired, 1);
    let s = subscription(&app, c.id).await;
    assert_eq!(s.status, "expired");
    let after: Value = app
        .client
        .get(app.url(&format!("/api/v1/entitlements/{}", c.id)))
        .bearer_auth(TEST_SERVICE_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(after["roles"].as_array().unwrap().is_empty(), "{after}");
    let me: Value = app
        .client
        .get(app.url("/api/v1/me/subscription"))
        .bearer_auth(&c.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["status"], "expired");

    let charges = renewal_charges(&app, sub.id).await;
    assert_eq!(charges.len(), 3, "three attempts, each its own key");
    assert!(charges.iter().all(|c| c.status == "failed"));
    let notes = notifications(&app, &c).await;
    assert_eq!(
        kinds(&notes),
        [
            "renewal_failed",
            "subscription_ended",
            "renewal_failed",
            "renewal_failed",
            "subscription_ending",
            "payment_succeeded",
        ],
        "the period ended at E (the third try ran in grace)"
    );
    assert!(
        notes[0]["message"].as_str().unwrap().contains("declined"),
        "{}",
        notes[0]
    );
    assert!(
        outbox_kinds(&app, Destination::Auth)
            .await
            .contains(&"role.revoke".to_string())
    );
    let events = outbox_kinds(&app, Destination::Events).await;
    for k in [
        "subscription.grace",
        "subscription.expired",
        "payment.failed",
    ] {
        assert!(events.contains(&k.to_string()), "{k} in {events:?}");
    }
}

#[tokio::test]
async fn without_auto_renew_there_is_a_reminder_and_an_end_notice_but_no_charge() {
    let app = lifecycle_app().await;
    let (c, sub) = subscribed(&app, CARD_OK).await;
    let res = app
        .client
        .patch(app.url("/api/v1/me/subscription"))
        .bearer_auth(&c.token)
        .json(&json!({"auto_renew": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let end = sub.current_period_end;

    move_to(&app, end - TimeDelta::days(2));
    assert_eq!(jobs::send_reminders(&app.state, 100).await.unwrap(), 1);
    move_to(&app, end - TimeDelta::hours(1));
    assert_eq!(jobs::renew_due(&app.state, 100).await.unwrap().leased, 0);
    // At `E` the customer is told the subscription ended; the role stays through grace.
    move_to(&app, end + TimeDelta::minutes(1));
    assert_eq!(
        jobs::advance_periods(&app.state, 100)
            .await
            .unwrap()
            .to_grace,
        1
    );
    assert_eq!(
        kinds(&notifications(&app, &c).await),
        [
            "subscription_ended",
            "subscription_ending",
            "payment_succeeded"
        ]
    );
    assert!(
        !outbox_kinds(&app, Destination::Auth)
            .await
            .contains(&"role.revoke".to_string()),
        "the role is revoked only at E + 2 days"
    );
    move_to(&app, end + TimeDelta::days(2) + TimeDelta::seconds(1));
    assert_eq!(jobs::renew_due(&app.state, 100).await.unwrap().leased, 0);
    assert_eq!(
        jobs::advance_periods(&app.state, 100)
            .await
            .unwrap()
            .expired,
        1
    );
    assert!(
        outbox_kinds(&app, Destination::Auth)
            .await
            .contains(&"role.revoke".to_string())
    );
    assert!(renewal_charges(&app, sub.id).await.is_empty());
    let notes = notifications(&app, &c).await;
    assert_eq!(
        kinds(&notes),
        [
            "subscription_ended",
            "subscription_ending",
            "payment_succeeded"
        ]
    );
    assert!(
        notes[1]["message"]
            .as_str()
            .unwrap()
            .contains("Renew to keep watching")
    );
}

#[tokio::test]
async fn the_test_clock_moves_over_rest_for_admins_only_and_only_when_enabled() {
    let app = lifecycle_app().await;
    let admin = app.staff_token("admin@kinobill.local").await;
    let support = app.staff_token("support@kinobill.local").await;
    let before = app.state.clock.now();
    let post = |token: String, body: Value| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/api/v1/admin/clock"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        post(support.clone(), json!({"advance": "P1D"}))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let bad = post(admin.clone(), json!({"advance": "tomorrow"})).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let moved = post(admin.clone(), json!({"advance": "P3D"})).await;
    assert_eq!(moved.status(), StatusCode::OK);
    let body: Value = moved.json().await.unwrap();
    assert_eq!(body["enabled"], true);
    assert_eq!(body["offset_seconds"], 3 * 86_400);
    assert!(app.state.clock.now() - before >= TimeDelta::days(3));

    let off = spawn_app_custom(true, &[]).await;
    let token = off.staff_token("admin@kinobill.local").await;
    let res = off
        .client
        .post(off.url("/api/v1/admin/clock"))
        .bearer_auth(token)
        .json(&json!({"advance": "P1D"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "test_clock_disabled");
}

/// Rows that were already handled (reminded this period, already in grace) sit at the
/// head of the ordering; with a batch of one they must never hide the next due row.
#[tokio::test]
async fn handled_rows_at_the_head_never_hide_the_next_due_one() {
    let app = lifecycle_app().await;
    let mut subs = Vec::new();
    for i in 0..6 {
        // Five a minute apart, the sixth 36 hours later: outside the first reminder
        // window, inside the second while the five are still in it.
        let gap = if i == 5 {
            TimeDelta::hours(36)
        } else {
            TimeDelta::minutes(1)
        };
        let next = app.state.clock.now() + gap;
        move_to(&app, next);
        subs.push(subscribed(&app, CARD_OK).await.1);
    }
    let last = subs[5].current_period_end;

    // Reminders: the first five, one per call, then the sixth behind them.
    move_to(&app, subs[4].current_period_end - TimeDelta::days(2));
    for _ in 0..5 {
        assert_eq!(jobs::send_reminders(&app.state, 1).await.unwrap(), 1);
    }
    assert_eq!(jobs::send_reminders(&app.state, 1).await.unwrap(), 0);
    move_to(&app, last - TimeDelta::days(2));
    assert!(
        subs[0].current_period_end > app.state.clock.now(),
        "still in the window"
    );
    assert_eq!(jobs::send_reminders(&app.state, 1).await.unwrap(), 1);
    assert_eq!(jobs::send_reminders(&app.state, 1).await.unwrap(), 0);
    let ending = outbox_kinds(&app, Destination::Notify)
        .await
        .into_iter()
        .filter(|k| k == "subscription_ending")
        .count();
    assert_eq!(ending, 6, "one reminder each");

    // Grace: the first five move, then the sixth, although the earlier ones are
    // still in grace in front of it.
    move_to(&app, subs[4].current_period_end + TimeDelta::seconds(1));
    for _ in 0..5 {
        assert_eq!(
            jobs::advance_periods(&app.state, 1).await.unwrap().to_grace,
            1
        );
    }
    move_to(&app, last + TimeDelta::seconds(1));
    assert_eq!(
        jobs::advance_periods(&app.state, 1).await.unwrap().to_grace,
        1
    );
    assert_eq!(
        jobs::advance_periods(&app.state, 1).await.unwrap(),
        jobs::LifecycleReport::default(),
        "an idle pass finds nothing"
    );
    for s in &subs {
        assert_eq!(subscription(&app, s.customer_id).await.status, "grace");
    }
}

/// The renewal lease must be able to read `idx_subscriptions_renewal` (migration 12):
/// a partial index is usable only when the query's own condition implies its
/// predicate, so the two texts must stay in step. PostgreSQL is checked with a generic
/// plan, the kind a prepared statement gets after a few runs, where bound parameters
/// would imply nothing; sequential scans are priced out so the empty table does not
/// decide the plan. SQLite, which prefers another index on an empty table, is held to
/// `INDEXED BY`, which fails ("no query solution") when the index cannot serve the query.
#[tokio::test]
async fn the_renewal_lease_reads_the_partial_index_of_renewable_subscriptions() {
    use sea_orm::{ConnectionTrait, DbBackend, QueryTrait, Statement, TransactionTrait};

    let app = spawn_app_custom(false, &[]).await;
    let backend = app.db.get_database_backend();
    let Statement { sql, values, .. } =
        jobs::due_for_renewal(Utc::now(), TimeDelta::hours(24)).build(backend);
    let txn = app.db.begin().await.unwrap();
    let (sql, column) = match backend {
        DbBackend::Postgres => {
            for set in [
                "SET LOCAL plan_cache_mode = force_generic_plan",
                "SET LOCAL enable_seqscan = off",
            ] {
                txn.execute_unprepared(set).await.unwrap();
            }
            (format!("EXPLAIN {sql}"), "QUERY PLAN")
        }
        _ => {
            let sql = sql.replacen(
                r#"FROM "subscriptions""#,
                r#"FROM "subscriptions" INDEXED BY idx_subscriptions_renewal"#,
                1,
            );
            (format!("EXPLAIN QUERY PLAN {sql}"), "detail")
        }
    };
    let plan: Vec<String> = txn
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            values.map(|v| v.0).unwrap_or_default(),
        ))
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.try_get::<String>("", column).unwrap())
        .collect();
    txn.rollback().await.unwrap();
    assert!(
        plan.iter().any(|l| l.contains("idx_subscriptions_renewal")),
        "the lease does not use the partial index: {plan:#?}"
    );
}

#[tokio::test]
async fn a_charge_the_provider_refuses_outright_fails_without_an_invented_provider_id() {
    let app = lifecycle_app().await;
    let (c, sub) = subscribed(&app, CARD_OK).await;
    // The provider no longer knows the saved card: it refuses the charge itself.
    let method = payment_methods::Entity::find_by_id(sub.payment_method_id.unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    entity::sandbox_cards::Entity::delete_by_id(method.provider_token.clone())
        .exec(&app.db)
        .await
        .unwrap();

    move_to(&app, sub.current_period_end - TimeDelta::hours(23));
    let pass = jobs::renew_due(&app.state, 100).await.unwrap();
    assert_eq!(
        (pass.leased, pass.failed, pass.errors),
        (1, 1, 0),
        "{pass:?}"
    );
    let renewal = payments::Entity::find()
        .filter(payments::Column::CustomerId.eq(c.id))
        .filter(payments::Column::PaymentMethodId.eq(method.id))
        .filter(payments::Column::Status.eq("failed"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the renewal payment failed");
    assert_eq!(
        renewal.failure_code.as_deref(),
        Some("unknown_payment_method")
    );
    assert_eq!(
        renewal.provider_payment_id, None,
        "no provider payment exists"
    );
    let after = subscription(&app, c.id).await;
    assert_eq!(after.renewal_attempts, 1, "the retry schedule takes over");
    assert!(after.next_renewal_at.is_some());
    assert_eq!(
        after.status, "active",
        "access runs to the end of the paid period"
    );
}
