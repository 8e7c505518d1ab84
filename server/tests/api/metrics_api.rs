//! `/metrics` (issue 16): off by default; Prometheus text with requests per route,
//! checkouts, settlements by source, refunds, outbox backlog and the connection pool.

use reqwest::StatusCode;

use crate::checkout_api::{buy, customer, wait_for_status};
use crate::helpers::{spawn_app, spawn_app_custom};

fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_are_off_unless_configured() {
    let app = spawn_app().await;
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(
        !res.text()
            .await
            .unwrap()
            .contains("kinobill_http_requests_total")
    );
}

#[tokio::test]
async fn metrics_count_requests_checkouts_settlements_and_the_backlog() {
    let app = spawn_app_custom(true, &[("KINOBILL__METRICS__ENABLED", "true")]).await;
    let c = customer(&app);
    let body = buy(&app, &c, "classic", 1, "4242424242424242").await;
    wait_for_status(
        &app,
        &c,
        body["payment"]["id"].as_str().unwrap(),
        "succeeded",
    )
    .await;

    let res = app.get("/metrics").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = res.text().await.unwrap();
    // The process has one recorder shared by every test app: at least ours is there.
    for series in [
        r#"kinobill_checkouts_total{outcome="created"}"#,
        r#"kinobill_http_requests_total{method="POST",route="/api/v1/checkout",status="201"}"#,
        r#"kinobill_settlements_total{source="#,
        r#"kinobill_http_request_duration_seconds_bucket{method="POST",route="/api/v1/checkout",le="+Inf"}"#,
    ] {
        assert!(
            sample(&text, series).is_some_and(|v| v >= 1.0),
            "{series} in\n{text}"
        );
    }
    for destination in ["events", "notify", "auth"] {
        let series = format!(r#"kinobill_outbox_pending{{destination="{destination}"}}"#);
        assert!(sample(&text, &series).is_some(), "{series}");
        let age = format!(r#"kinobill_outbox_oldest_age_seconds{{destination="{destination}"}}"#);
        assert!(sample(&text, &age).is_some_and(|v| v >= 0.0), "{age}");
    }
    assert!(
        sample(&text, r#"kinobill_db_pool_connections{state="open"}"#).is_some_and(|v| v >= 1.0)
    );
    // Routes are patterns, never raw ids.
    assert!(!text.contains(&c.id.to_string()), "no ids in labels");
}

#[tokio::test]
async fn metrics_can_live_on_an_address_of_their_own() {
    let app = spawn_app_custom(true, &[("KINOBILL__METRICS__ADDR", "127.0.0.1:0")]).await;
    assert_eq!(
        app.get("/metrics").await.status(),
        StatusCode::NOT_FOUND,
        "not on the public address"
    );
    app.get("/api/v1/tariffs").await;
    let port = app.metrics_port.expect("a metrics port");
    let text = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        sample(
            &text,
            r#"kinobill_http_requests_total{method="GET",route="/api/v1/tariffs",status="200"}"#
        )
        .is_some_and(|v| v >= 1.0),
        "{text}"
    );
}
