//! Background job steps, called directly (as the worker does) and through the worker.

use app::ssr::jobs;
use app::ssr::providers::sandbox::Faults;
use chrono::TimeDelta;
use entity::payment_events;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::checkout_api::{buy, customer, payment, wait_for_status};
use crate::helpers::spawn_app_custom;

#[tokio::test]
async fn reconciliation_settles_a_payment_whose_webhook_never_came() {
    let app = spawn_app_custom(
        true,
        &[
            ("KINOBILL__CLOCK", "test"),
            ("KINOBILL__WORKER__ENABLED", "false"),
        ],
    )
    .await;
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
    let app = spawn_app_custom(
        true,
        &[
            ("KINOBILL__CLOCK", "test"),
            ("KINOBILL__WORKER__ENABLED", "false"),
        ],
    )
    .await;
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
