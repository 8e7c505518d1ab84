//! Outbox relays against the real RabbitMQ and against HTTP fakes (wiremock) of the
//! notification and auth services; the relays under test are the real clients.

use std::collections::HashSet;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use app::ssr::jobs;
use app::ssr::outbox::{self, Destination};
use app::ssr::relays::Relays;
use app::ssr::relays::amqp::AmqpRelay;
use chrono::TimeDelta;
use futures::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties, ExchangeKind};
use reqwest::StatusCode;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{spawn_app_custom, spawn_clocked};

/// A RabbitMQ virtual host of one test's own, deleted when dropped (also when the test
/// fails), with everything declared in it.
struct TestVhost {
    name: String,
}

impl TestVhost {
    fn new() -> TestVhost {
        let name = format!("kb-test-{}", Uuid::new_v4().simple());
        assert!(rabbitmqctl(&["add_vhost", &name]), "rabbitmqctl add_vhost");
        assert!(
            rabbitmqctl(&["set_permissions", "-p", &name, "guest", ".*", ".*", ".*"]),
            "rabbitmqctl set_permissions"
        );
        TestVhost { name }
    }

    fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:5672/{}", self.name)
    }
}

impl Drop for TestVhost {
    fn drop(&mut self) {
        rabbitmqctl(&["delete_vhost", &self.name]);
    }
}

/// Runs `rabbitmqctl`; `timeout`: a wedged rabbitmqctl must fail the test, not hang it.
fn rabbitmqctl(args: &[&str]) -> bool {
    Command::new("timeout")
        .arg("30")
        .arg("rabbitmqctl")
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

async fn events(app: &crate::helpers::TestApp, n: usize) -> Vec<Uuid> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(
            outbox::enqueue(
                &app.db,
                Destination::Events,
                if i % 2 == 0 {
                    "payment.succeeded"
                } else {
                    "invoice.issued"
                },
                json!({"n": i, "customer_id": Uuid::now_v7()}),
                app.state.clock.now(),
            )
            .await
            .unwrap(),
        );
    }
    ids
}

/// Closes the broker side of the connection named `name`, as a broker restart would.
fn drop_connection(name: &str) -> bool {
    // `timeout`: a wedged rabbitmqctl must fail the test, not hang it.
    let out = Command::new("timeout")
        .args([
            "30",
            "rabbitmqctl",
            "list_connections",
            "-q",
            "pid",
            "client_properties",
        ])
        .output()
        .expect("rabbitmqctl");
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(pid) = text
        .lines()
        .find(|l| l.contains(name))
        .and_then(|l| l.split_whitespace().next())
    else {
        return false;
    };
    rabbitmqctl(&["close_connection", pid, "test drops the relay's connection"])
}

/// Relays `Events` until nothing is left undelivered, moving the clock past backoffs.
async fn relay_until_all_delivered(app: &crate::helpers::TestApp, state: &app::ssr::AppState) {
    for _ in 0..30 {
        let r = jobs::relay_outbox(state, Destination::Events, 100)
            .await
            .unwrap();
        if r.leased == 0 {
            let left = entity::outbox::Entity::find()
                .all(&app.db)
                .await
                .unwrap()
                .into_iter()
                .filter(|o| o.delivered_at.is_none())
                .count();
            if left == 0 {
                return;
            }
        }
        app.test_clock
            .as_ref()
            .unwrap()
            .advance(TimeDelta::seconds(5));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn rabbitmq_gets_every_event_and_nothing_is_lost_when_the_connection_drops() {
    let app = spawn_clocked(&[]).await;
    let vhost = TestVhost::new();
    let amqp_url = vhost.url();
    let exchange = "billing.events".to_string();
    let name = format!("kb-test-relay-{}", Uuid::new_v4().simple());
    let mut state = app.state.clone();
    let mut relays = Relays::log_only();
    relays.events = Box::new(AmqpRelay::new(&amqp_url, &exchange, &name));
    state.relays = Arc::new(relays);

    // A consumer of its own: a queue bound to every routing key.
    let conn = Connection::connect(&amqp_url, ConnectionProperties::default())
        .await
        .expect("RabbitMQ at 127.0.0.1:5672");
    let ch = conn.create_channel().await.unwrap();
    ch.exchange_declare(
        exchange.clone().into(),
        ExchangeKind::Topic,
        ExchangeDeclareOptions {
            durable: true,
            ..ExchangeDeclareOptions::default()
        },
        FieldTable::default(),
    )
    .await
    .unwrap();
    let q = ch
        .queue_declare(
            "".into(),
            QueueDeclareOptions {
                exclusive: true,
                auto_delete: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    ch.queue_bind(
        q.name().clone(),
        exchange.clone().into(),
        "#".into(),
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await
    .unwrap();
    let mut consumer = ch
        .basic_consume(
            q.name().clone(),
            "kb-test".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();

    let mut expected: HashSet<Uuid> = events(&app, 20).await.into_iter().collect();
    let first = jobs::relay_outbox(&state, Destination::Events, 100)
        .await
        .unwrap();
    assert_eq!(first.delivered, 20, "{first:?}");

    // The broker drops the relay's connection (as a restart would): whether the next
    // batch finds it dead before publishing or while waiting for confirms, nothing is
    // lost and the relay reconnects by itself.
    assert!(
        drop_connection(&name),
        "the relay's connection was found and closed"
    );
    expected.extend(events(&app, 20).await);
    relay_until_all_delivered(&app, &state).await;

    // The broker is unreachable for a while: every message waits and is retried.
    let mut down = Relays::log_only();
    down.events = Box::new(AmqpRelay::new(
        "amqp://guest:guest@127.0.0.1:1/%2f",
        &exchange,
        &name,
    ));
    let mut down_state = state.clone();
    down_state.relays = Arc::new(down);
    let waiting = events(&app, 10).await;
    expected.extend(waiting.iter().copied());
    let r = jobs::relay_outbox(&down_state, Destination::Events, 100)
        .await
        .unwrap();
    assert_eq!((r.leased, r.retried, r.delivered), (10, 10, 0), "{r:?}");
    relay_until_all_delivered(&app, &state).await;
    for id in &waiting {
        let row = entity::outbox::Entity::find_by_id(*id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.attempts, 2, "one failed delivery, then one that worked");
        assert!(row.delivered_at.is_some() && row.last_error.is_none());
    }
    let rows = entity::outbox::Entity::find().all(&app.db).await.unwrap();
    assert!(
        rows.iter()
            .all(|o| o.delivered_at.is_some() && o.dead_at.is_none())
    );

    let mut seen = HashSet::new();
    while seen.len() < expected.len() {
        let delivery = tokio::time::timeout(Duration::from_secs(10), consumer.next())
            .await
            .expect("every event arrives")
            .expect("consumer open")
            .expect("delivery");
        let id = delivery
            .properties
            .message_id()
            .as_ref()
            .map(|s| s.as_str().to_string())
            .expect("message_id");
        assert_eq!(delivery.properties.delivery_mode(), &Some(2), "persistent");
        let body: Value = serde_json::from_slice(&delivery.data).unwrap();
        assert_eq!(body["id"].as_str(), Some(id.as_str()));
        assert_eq!(body["type"].as_str(), Some(delivery.routing_key.as_str()));
        delivery.ack(BasicAckOptions::default()).await.unwrap();
        seen.insert(Uuid::parse_str(&id).unwrap());
    }
    assert_eq!(seen, expected, "every message id, duplicates allowed");
    conn.close(200, "done".into()).await.ok();
    drop(vhost);
}

#[tokio::test]
async fn the_notification_relay_retries_5xx_then_buries_the_message() {
    let notify = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/notifications"))
        .respond_with(ResponseTemplate::new(503))
        .expect(3)
        .mount(&notify)
        .await;
    let app = spawn_clocked(&[
        ("KINOBILL__NOTIFY__URL", &notify.uri()),
        ("KINOBILL__OUTBOX__MAX_ATTEMPTS", "3"),
    ])
    .await;
    let customer = Uuid::now_v7();
    let id = outbox::enqueue(
        &app.db,
        Destination::Notify,
        "subscription_ending",
        json!({"customer_id": customer, "period_end": "2026-12-23T10:00:00Z"}),
        app.state.clock.now(),
    )
    .await
    .unwrap();
    let clock = app.test_clock.clone().unwrap();
    let first = jobs::relay_outbox(&app.state, Destination::Notify, 10)
        .await
        .unwrap();
    assert_eq!(first.retried, 1);
    let row = entity::outbox::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.attempts, 1);
    assert!(row.available_at > app.state.clock.now(), "backs off");
    assert!(row.last_error.as_deref().unwrap().contains("503"));
    assert_eq!(
        jobs::relay_outbox(&app.state, Destination::Notify, 10)
            .await
            .unwrap()
            .leased,
        0,
        "not before the backoff"
    );
    clock.advance(TimeDelta::seconds(10));
    assert_eq!(
        jobs::relay_outbox(&app.state, Destination::Notify, 10)
            .await
            .unwrap()
            .retried,
        1
    );
    clock.advance(TimeDelta::seconds(10));
    assert_eq!(
        jobs::relay_outbox(&app.state, Destination::Notify, 10)
            .await
            .unwrap()
            .dead,
        1
    );
    let row = entity::outbox::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.attempts, 3);
    assert!(row.dead_at.is_some() && row.delivered_at.is_none());
    clock.advance(TimeDelta::hours(2));
    assert_eq!(
        jobs::relay_outbox(&app.state, Destination::Notify, 10)
            .await
            .unwrap()
            .leased,
        0,
        "dead stays dead"
    );

    let requests = notify.received_requests().await.unwrap();
    assert_eq!(requests.len(), 3);
    for r in &requests {
        assert_eq!(
            r.headers.get("idempotency-key").unwrap(),
            id.to_string().as_str()
        );
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["kind"], "subscription_ending");
        assert_eq!(body["user_id"], customer.to_string());
        assert_eq!(body["idempotency_key"], id.to_string());
    }
    // The in-app list got it once, however often the HTTP side failed.
    let in_app = entity::notifications::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(in_app.len(), 1);

    // The admin sees it dead and brings it back.
    let admin = app.staff_token("admin@kinobill.local").await;
    let dead: Value = app
        .client
        .get(app.url("/api/v1/admin/outbox?status=dead"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(dead["counts"]["dead"], 1);
    assert_eq!(dead["data"][0]["id"], id.to_string());
    assert!(
        dead["data"][0]["last_error"]
            .as_str()
            .unwrap()
            .contains("503")
    );
    let support = app.staff_token("support@kinobill.local").await;
    let res = app
        .client
        .post(app.url(&format!("/api/v1/admin/outbox/{id}/retry")))
        .bearer_auth(&support)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .client
        .post(app.url(&format!("/api/v1/admin/outbox/{id}/retry")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let revived: Value = res.json().await.unwrap();
    assert_eq!(
        (revived["status"].as_str(), revived["attempts"].as_i64()),
        (Some("pending"), Some(0))
    );

    notify.reset().await;
    Mock::given(method("POST"))
        .and(path("/v1/notifications"))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&notify)
        .await;
    assert_eq!(
        jobs::relay_outbox(&app.state, Destination::Notify, 10)
            .await
            .unwrap()
            .delivered,
        1
    );
}

#[tokio::test]
async fn the_auth_relay_grants_and_revokes_roles_and_a_4xx_is_not_retried() {
    let auth = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/roles/grant"))
        .and(header("content-type", "application/json"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&auth)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/roles/revoke"))
        .respond_with(ResponseTemplate::new(400))
        .expect(1)
        .mount(&auth)
        .await;
    let app = spawn_app_custom(
        true,
        &[
            ("KINOBILL__WORKER__ENABLED", "false"),
            ("KINOBILL__AUTH_SERVICE__URL", &auth.uri()),
        ],
    )
    .await;
    let user = Uuid::now_v7();
    let now = app.state.clock.now();
    let grant = outbox::enqueue(
        &app.db,
        Destination::Auth,
        "role.grant",
        json!({"user_id": user, "role": "premium", "valid_until": "2027-01-01T00:00:00Z"}),
        now,
    )
    .await
    .unwrap();
    let revoke = outbox::enqueue(
        &app.db,
        Destination::Auth,
        "role.revoke",
        json!({"user_id": user, "role": "premium"}),
        now,
    )
    .await
    .unwrap();
    let r = jobs::relay_outbox(&app.state, Destination::Auth, 10)
        .await
        .unwrap();
    assert_eq!(
        (r.delivered, r.dead),
        (1, 1),
        "a 400 is the receiver refusing: dead at once"
    );

    let requests = auth.received_requests().await.unwrap();
    let grant_req = requests
        .iter()
        .find(|r| r.url.path() == "/v1/roles/grant")
        .unwrap();
    let body: Value = serde_json::from_slice(&grant_req.body).unwrap();
    assert_eq!(
        body,
        json!({"user_id": user, "role": "premium", "valid_until": "2027-01-01T00:00:00Z"})
    );
    assert_eq!(
        grant_req.headers.get("idempotency-key").unwrap(),
        grant.to_string().as_str()
    );
    let row = entity::outbox::Entity::find_by_id(grant)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(row.delivered_at.is_some());
    let row = entity::outbox::Entity::find_by_id(revoke)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(row.dead_at.is_some());
    assert!(row.last_error.unwrap().contains("400"));
}

#[tokio::test]
async fn the_auth_relay_retries_5xx_until_it_works_or_the_attempts_run_out() {
    let auth = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/roles/grant"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(2)
        .mount(&auth)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/roles/grant"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&auth)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/roles/revoke"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&auth)
        .await;
    let app = spawn_clocked(&[
        ("KINOBILL__AUTH_SERVICE__URL", &auth.uri()),
        ("KINOBILL__OUTBOX__MAX_ATTEMPTS", "3"),
    ])
    .await;
    let now = app.state.clock.now();
    let grant = outbox::enqueue(
        &app.db,
        Destination::Auth,
        "role.grant",
        json!({"user_id": Uuid::now_v7(), "role": "premium", "valid_until": "2027-01-01T00:00:00Z"}),
        now,
    )
    .await
    .unwrap();
    let revoke = outbox::enqueue(
        &app.db,
        Destination::Auth,
        "role.revoke",
        json!({"user_id": Uuid::now_v7(), "role": "classic"}),
        now,
    )
    .await
    .unwrap();
    let clock = app.test_clock.clone().unwrap();
    let mut reports = Vec::new();
    for _ in 0..3 {
        let r = jobs::relay_outbox(&app.state, Destination::Auth, 10)
            .await
            .unwrap();
        reports.push((r.leased, r.delivered, r.retried, r.dead));
        clock.advance(TimeDelta::seconds(30));
    }
    assert_eq!(
        reports,
        [(2, 0, 2, 0), (2, 0, 2, 0), (2, 1, 0, 1)],
        "two 500s then the grant works; the revoke's third 503 is its last"
    );
    let db = &app.db;
    let row = |id| async move {
        entity::outbox::Entity::find_by_id(id)
            .one(db)
            .await
            .unwrap()
            .unwrap()
    };
    let g = row(grant).await;
    assert_eq!((g.attempts, g.delivered_at.is_some()), (3, true));
    let r = row(revoke).await;
    assert_eq!((r.attempts, r.dead_at.is_some()), (3, true));
    assert!(r.last_error.unwrap().contains("503"));
    clock.advance(TimeDelta::hours(2));
    assert_eq!(
        jobs::relay_outbox(&app.state, Destination::Auth, 10)
            .await
            .unwrap(),
        jobs::RelayReport::default(),
        "delivered and dead rows are not sent again"
    );
    assert_eq!(auth.received_requests().await.unwrap().len(), 6);
}

#[tokio::test]
async fn housekeeping_archives_delivered_messages_and_purges_old_idempotency_keys() {
    let app = spawn_clocked(&[]).await;
    // A purchase leaves an idempotency key and outbox rows behind.
    let c = crate::checkout_api::customer(&app);
    crate::checkout_api::buy(&app, &c, "classic", 1, "4242424242424242").await;
    let pending = events(&app, 3).await;
    for d in [Destination::Events, Destination::Notify, Destination::Auth] {
        jobs::relay_outbox(&app.state, d, 100).await.unwrap();
    }
    let rows = entity::outbox::Entity::find().all(&app.db).await.unwrap();
    let delivered = rows.iter().filter(|r| r.delivered_at.is_some()).count() as u64;
    assert!(delivered >= 3 && rows.iter().any(|r| pending.contains(&r.id)));
    assert!(
        !entity::idempotency_keys::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .is_empty()
    );

    let early = jobs::housekeeping(&app.state).await.unwrap();
    assert_eq!(
        early,
        jobs::HousekeepingReport::default(),
        "nothing is old yet"
    );

    // Sessions expire by the wall clock, whatever the test clock says.
    for (id, expires) in [
        (
            "kb-test-expired",
            chrono::Utc::now() - TimeDelta::minutes(1),
        ),
        ("kb-test-live", chrono::Utc::now() + TimeDelta::hours(1)),
    ] {
        entity::sessions::Entity::insert(entity::sessions::ActiveModel {
            id: sea_orm::ActiveValue::Set(id.into()),
            data: sea_orm::ActiveValue::Set("{}".into()),
            expires_at: sea_orm::ActiveValue::Set(expires),
        })
        .exec(&app.db)
        .await
        .unwrap();
    }

    // After 25 hours the idempotency keys are gone; delivered rows stay for 7 days.
    let clock = app.test_clock.as_ref().unwrap();
    clock.advance(TimeDelta::hours(25));
    let report = jobs::housekeeping(&app.state).await.unwrap();
    assert!(report.idempotency_keys_purged >= 1);
    assert_eq!((report.outbox_archived, report.sessions_purged), (0, 1));
    let sessions = entity::sessions::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].id, "kb-test-live");

    clock.advance(TimeDelta::days(7));
    let report = jobs::housekeeping(&app.state).await.unwrap();
    assert_eq!(report.outbox_archived, delivered);
    assert_eq!(report.idempotency_keys_purged, 0);
    assert!(
        entity::idempotency_keys::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
    let left = entity::outbox::Entity::find().all(&app.db).await.unwrap();
    assert!(
        left.iter().all(|r| r.delivered_at.is_none()),
        "only undelivered rows stay"
    );
    let archived = entity::outbox_archive::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(archived.len() as u64, delivered);
    assert!(
        pending
            .iter()
            .all(|id| archived.iter().any(|a| a.id == *id))
    );
    assert_eq!(
        jobs::housekeeping(&app.state)
            .await
            .unwrap()
            .outbox_archived,
        0,
        "idempotent"
    );
}
