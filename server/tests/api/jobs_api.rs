//! Background job steps, called directly (as the worker does) and through the worker.

use app::ssr::jobs;
use app::ssr::providers::sandbox::Faults;
use chrono::TimeDelta;
use entity::{payment_events, payments};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::checkout_api::{buy, checkout, customer, payment, tariff, wait_for_status};
use crate::helpers::{spawn_app_custom, spawn_clocked};

#[tokio::test]
async fn reconciliation_settles_a_payment_whose_webhook_never_came() {
    let app = spawn_clocked(&[]).await;
    let clock = app.test_clock.clone().unwrap();
    let c = customer(&app);
    let body = buy(&app, &c, "premium", 1, "4000000000000341").await;
    let id = body["payment"]["id"].as_str().unwrap().to_string();

    clock.advance(TimeDelta::minutes(5));
    let early = jobs::reconcile_pending(&app.state, TimeDelta::minutes(10), 100)
        .await
        .unwrap();
    assert_eq!(early.checked, 0, "not due yet");
    assert_eq!(payment(&app, &c, &id).await["status"], "pending");

    clock.advance(TimeDelta::minutes(6));
    let pass = jobs::reconcile_pending(&app.state, TimeDelta::minutes(10), 100)
        .await
        .unwrap();
    assert_eq!((pass.checked, pass.settled), (1, 1));
    assert_eq!(payment(&app, &c, &id).await["status"], "succeeded");
    let again = jobs::reconcile_pending(&app.state, TimeDelta::minutes(10), 100)
        .await
        .unwrap();
    assert_eq!(again.checked, 0, "a settled payment is not polled again");

    let events = payment_events::Entity::find()
        .filter(payment_events::Column::PaymentId.eq(Uuid::parse_str(&id).unwrap()))
        .all(&app.db)
        .await
        .unwrap();
    assert!(events.iter().any(|e| e.kind == "poll" && e.note.as_deref().is_some_and(|n| n.contains("succeeded"))));
    assert!(
        events
            .iter()
            .any(|e| e.kind == "settled" && e.source == "poll")
    );
}

#[tokio::test]
async fn reconciliation_fails_a_payment_declined_at_the_provider() {
    let app = spawn_clocked(&[]).await;
    app.state.sandbox.as_ref().unwrap().set_faults(Faults {
        suppress_webhooks: true,
        ..Faults::default()
    });
    let clock = app.test_clock.clone().unwrap();
    let c = customer(&app);
    let body = buy(&app, &c, "classic", 1, "4000000000000002").await;
    let id = body["payment"]["id"].as_str().unwrap().to_string();
    assert_eq!(payment(&app, &c, &id).await["status"], "pending");
    clock.advance(TimeDelta::minutes(11));
    let pass = jobs::reconcile_pending(&app.state, TimeDelta::minutes(10), 100)
        .await
        .unwrap();
    assert_eq!(pass.settled, 1);
    let p = payment(&app, &c, &id).await;
    assert_eq!(p["status"], "failed");
    assert_eq!(p["failure_code"], "card_declined");
}

/// A checkout nobody paid: the provider keeps saying "pending" until its page expires.
pub async fn unpaid(app: &crate::helpers::TestApp, c: &crate::checkout_api::Customer) -> Value {
    let t = tariff(app, "classic").await;
    let res = checkout(
        app,
        c,
        &Uuid::new_v4().to_string(),
        &json!({"tariff_id": t.id, "months": 1}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

async fn next_poll(
    app: &crate::helpers::TestApp,
    id: &str,
) -> Option<chrono::DateTime<chrono::Utc>> {
    payments::Entity::find_by_id(Uuid::parse_str(id).unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .next_poll_at
}

#[tokio::test]
async fn payments_the_provider_keeps_pending_take_turns_and_expire_with_the_page() {
    let app = spawn_clocked(&[]).await;
    let clock = app.test_clock.clone().unwrap();
    let every = TimeDelta::minutes(10);
    let c = customer(&app);
    // Two customers: a customer's newer checkout would replace their older one.
    let d = customer(&app);
    let first = unpaid(&app, &c).await;
    clock.advance(TimeDelta::seconds(1));
    let second = unpaid(&app, &d).await;
    let (a, b) = (
        first["payment"]["id"].as_str().unwrap().to_string(),
        second["payment"]["id"].as_str().unwrap().to_string(),
    );

    // One per pass: the older first, then the newer one, although the older is still
    // pending; then neither until their next poll is due.
    clock.advance(TimeDelta::minutes(11));
    let pass = jobs::reconcile_pending(&app.state, every, 1).await.unwrap();
    assert_eq!((pass.checked, pass.still_pending), (1, 1));
    assert!(next_poll(&app, &a).await.is_some() && next_poll(&app, &b).await.is_none());
    let pass = jobs::reconcile_pending(&app.state, every, 1).await.unwrap();
    assert_eq!((pass.checked, pass.still_pending), (1, 1));
    assert!(
        next_poll(&app, &b).await.is_some(),
        "the newer one had its turn"
    );
    let pass = jobs::reconcile_pending(&app.state, every, 1).await.unwrap();
    assert_eq!(pass.checked, 0, "both were polled less than 10 minutes ago");
    clock.advance(TimeDelta::minutes(10));
    let pass = jobs::reconcile_pending(&app.state, every, 5).await.unwrap();
    assert_eq!((pass.checked, pass.still_pending), (2, 2));

    // The sandbox's page expires after an hour: the poll finds both canceled.
    clock.advance(TimeDelta::minutes(40));
    // (The sandbox's own `payment.canceled` webhook may get there first; either way
    // the payment is canceled once.)
    let pass = jobs::reconcile_pending(&app.state, every, 5).await.unwrap();
    assert_eq!((pass.checked, pass.still_pending, pass.errors), (2, 0, 0));
    for (who, id) in [(&c, &a), (&d, &b)] {
        let p = payment(&app, who, id).await;
        assert_eq!(p["status"], "canceled", "{p}");
    }
    let canceled = entity::outbox::Entity::find()
        .filter(entity::outbox::Column::Kind.eq("payment.canceled"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(canceled.len(), 2, "one event each, on its own routing key");
    // The hosted page no longer takes a card.
    let url = first["payment"]["confirmation_url"].as_str().unwrap();
    let path = format!("/sandbox/{}", url.split_once("/sandbox/").unwrap().1);
    let page = app.client.get(app.url(&path)).send().await.unwrap();
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("This payment page has expired")
    );
    let paid = pay_form(&app, &path, "4242424242424242").await;
    assert_eq!(paid.status(), StatusCode::SEE_OTHER);
    assert_eq!(payment(&app, &c, &a).await["status"], "canceled");
    assert_eq!(
        jobs::reconcile_pending(&app.state, every, 5).await.unwrap(),
        jobs::ReconcileReport::default()
    );
}

async fn pay_form(app: &crate::helpers::TestApp, path: &str, card: &str) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .form(&[("card_number", card)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_worker_inside_serve_runs_reconciliation() {
    let app = spawn_app_custom(
        true,
        &[
            ("KINOBILL__WORKER__INTERVAL", "PT1S"),
            ("KINOBILL__WORKER__RECONCILE_AFTER", "PT1S"),
        ],
    )
    .await;
    let c = customer(&app);
    let body = buy(&app, &c, "classic", 1, "4000000000000341").await;
    wait_for_status(
        &app,
        &c,
        body["payment"]["id"].as_str().unwrap(),
        "succeeded",
    )
    .await;
}

/// The worker sleeps an hour between passes here; moving the test clock wakes it at once.
#[tokio::test]
async fn moving_the_test_clock_wakes_the_worker_at_once() {
    let app = spawn_app_custom(
        true,
        &[
            ("KINOBILL__CLOCK", "test"),
            ("KINOBILL__WORKER__INTERVAL", "PT1H"),
        ],
    )
    .await;
    let c = customer(&app);
    let body = buy(&app, &c, "classic", 1, "4000000000000341").await;
    let id = body["payment"]["id"].as_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(payment(&app, &c, &id).await["status"], "pending");

    let admin = app.staff_token("admin@kinobill.local").await;
    let res = app
        .client
        .post(app.url("/api/v1/admin/clock"))
        .bearer_auth(admin)
        .json(&json!({"advance": "PT11M"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // Well inside the hour: the reconciliation pass ran because the clock moved.
    wait_for_status(&app, &c, &id, "succeeded").await;
    let polled = payment_events::Entity::find()
        .filter(payment_events::Column::PaymentId.eq(Uuid::parse_str(&id).unwrap()))
        .filter(payment_events::Column::Kind.eq("poll"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(polled.len(), 1);
}
