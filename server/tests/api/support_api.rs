//! The support console over REST and server functions: roles, refunds on a customer's
//! behalf, the admin's window override, ledger corrections, tariff changes, payments
//! list filters and keyset pages.

use app::ssr::jobs;
use app::ssr::outbox::Destination;
use app::ssr::services::catalog;
use entity::{audit_log, payments, tariffs};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::checkout_api::{buy, customer, tariff, wait_for_status};
use crate::helpers::{ADMIN, MARKETING, SUPPORT, TestApp, spawn_app, spawn_app_with_test_clock};

async fn get(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn post(app: &TestApp, token: &str, path: &str, key: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn marketing_cannot_touch_money_support_can() {
    let app = spawn_app().await;
    let marketing = app.staff_token(MARKETING.0).await;
    let support = app.staff_token(SUPPORT.0).await;
    let c = customer(&app);
    let body = buy(&app, &c, "premium", 1, "4242424242424242").await;
    let pid = body["payment"]["id"].as_str().unwrap().to_string();
    wait_for_status(&app, &c, &pid, "succeeded").await;

    for path in [
        "/api/v1/admin/payments".to_string(),
        format!("/api/v1/admin/payments/{pid}"),
        format!("/api/v1/admin/customers/{}", c.id),
    ] {
        assert_eq!(
            get(&app, &marketing, &path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
        assert_eq!(
            get(&app, &support, &path).await.status(),
            StatusCode::OK,
            "{path}"
        );
    }
    let refund_path = format!("/api/v1/admin/payments/{pid}/refund");
    let res = post(
        &app,
        &marketing,
        &refund_path,
        "m1",
        json!({"reason": "no"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let adjust_path = format!("/api/v1/admin/customers/{}/adjustments", c.id);
    let res = post(
        &app,
        &marketing,
        &adjust_path,
        "m2",
        json!({"amount": "-10", "reason": "goodwill"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Support refunds on the customer's behalf, with the timeline showing it.
    let res = post(
        &app,
        &support,
        &refund_path,
        "s1",
        json!({"reason": "Customer called: wrong tariff"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let detail: Value = get(&app, &support, &format!("/api/v1/admin/payments/{pid}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["payment"]["status"], "refunded");
    let kinds: Vec<&str> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for k in [
        "created",
        "webhook.succeeded",
        "settled",
        "refund_requested",
        "refunded",
    ] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    let webhook = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "webhook.succeeded")
        .unwrap();
    assert!(
        webhook["payload"]
            .as_str()
            .unwrap()
            .contains("\"payment.succeeded\""),
        "raw payload kept"
    );

    // Server functions refuse marketing too.
    app.login_form(MARKETING.0, MARKETING.1).await;
    let res = app
        .client
        .post(app.url("/rpc/admin_list_payments"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("status=&customer=&from=&to=&cursor=")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn only_an_admin_refunds_outside_the_window_and_says_why() {
    let app = spawn_app_with_test_clock().await;
    let clock = app.test_clock.clone().unwrap();
    let support = app.staff_token(SUPPORT.0).await;
    let admin = app.staff_token(ADMIN.0).await;
    let c = customer(&app);
    let body = buy(&app, &c, "classic", 1, "4242424242424242").await;
    let pid = body["payment"]["id"].as_str().unwrap().to_string();
    wait_for_status(&app, &c, &pid, "succeeded").await;
    clock.advance(chrono::TimeDelta::hours(3));
    let path = format!("/api/v1/admin/payments/{pid}/refund");

    let res = post(&app, &support, &path, "a", json!({"reason": "late"})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "refund_window_closed"
    );
    let res = post(
        &app,
        &support,
        &path,
        "b",
        json!({"reason": "late", "override_reason": "I say so"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = post(
        &app,
        &admin,
        &path,
        "c",
        json!({"reason": "Outage", "override_reason": "Approved by the CFO"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("payment.refunded"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the staff refund is audit-logged");
    assert!(
        audited
            .after
            .unwrap()
            .to_string()
            .contains("Approved by the CFO")
    );
    let res = post(
        &app,
        &admin,
        &path,
        "d",
        json!({"reason": "again", "override_reason": "twice"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "already_refunded"
    );
}

#[tokio::test]
async fn support_corrects_the_ledger_and_changes_the_tariff() {
    let app = spawn_app().await;
    let support = app.staff_token(SUPPORT.0).await;
    let c = customer(&app);
    let body = buy(&app, &c, "classic", 1, "4242424242424242").await;
    wait_for_status(
        &app,
        &c,
        body["payment"]["id"].as_str().unwrap(),
        "succeeded",
    )
    .await;

    let path = format!("/api/v1/admin/customers/{}/adjustments", c.id);
    let bad = post(
        &app,
        &support,
        &path,
        "x1",
        json!({"amount": "abc", "reason": ""}),
    )
    .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let err: Value = bad.json().await.unwrap();
    assert!(
        err["error"]["fields"]["amount"].is_array() && err["error"]["fields"]["reason"].is_array(),
        "{err}"
    );
    let ok = post(
        &app,
        &support,
        &path,
        "x2",
        json!({"amount": -150, "reason": "Goodwill for the outage"}),
    )
    .await;
    assert_eq!(ok.status(), StatusCode::CREATED);
    let line: Value = ok.json().await.unwrap();
    assert_eq!(line["amount"]["amount"], "-150.00");
    assert_eq!(line["balance"]["amount"], "-150.00");
    let replay = post(
        &app,
        &support,
        &path,
        "x2",
        json!({"amount": -150, "reason": "Goodwill for the outage"}),
    )
    .await;
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    jobs::relay_outbox(&app.state, Destination::Notify, 500)
        .await
        .unwrap();
    let detail: Value = get(&app, &support, &format!("/api/v1/admin/customers/{}", c.id))
        .await
        .json()
        .await
        .unwrap();
    // Support sees what the customer was told.
    let told = detail["notifications"].as_array().unwrap();
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0]["kind"], "payment_succeeded");
    assert!(
        told[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Payment of"),
        "{told:?}"
    );
    assert_eq!(
        detail["ledger"].as_array().unwrap().len(),
        3,
        "one correction despite the replay"
    );

    let family = tariff(&app, "family").await;
    let res = app
        .client
        .put(app.url(&format!("/api/v1/admin/customers/{}/subscription", c.id)))
        .bearer_auth(&support)
        .header("Idempotency-Key", "t1")
        .json(&json!({"tariff_id": family.id}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let sub: Value = res.json().await.unwrap();
    assert_eq!(sub["tariff"]["code"], "family");
    let ent: Value = app
        .client
        .get(app.url(&format!("/api/v1/entitlements/{}", c.id)))
        .bearer_auth(crate::helpers::TEST_SERVICE_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ent["roles"][0]["role"], family.role);
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.is_in(["ledger.adjusted", "subscription.tariff_changed"]))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(audited, 2);
}

#[tokio::test]
async fn the_payments_list_filters_and_pages_by_keyset() {
    let app = spawn_app().await;
    let support = app.staff_token(SUPPORT.0).await;
    let a = customer(&app);
    let b = customer(&app);
    for _ in 0..3 {
        buy(&app, &a, "classic", 1, "4000000000000002").await;
    }
    buy(&app, &b, "premium", 1, "4242424242424242").await;
    for _ in 0..50 {
        if payments::Entity::find()
            .filter(payments::Column::Status.eq("pending"))
            .count(&app.db)
            .await
            .unwrap()
            == 0
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let page1: Value = get(&app, &support, "/api/v1/admin/payments?limit=2")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page1["data"].as_array().unwrap().len(), 2);
    let cursor = page1["next_cursor"].as_str().unwrap();
    let page2: Value = get(
        &app,
        &support,
        &format!("/api/v1/admin/payments?limit=2&cursor={cursor}"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(page2["data"].as_array().unwrap().len(), 2);
    assert!(page2["next_cursor"].is_null());
    let ids: std::collections::HashSet<&str> = page1["data"]
        .as_array()
        .unwrap()
        .iter()
        .chain(page2["data"].as_array().unwrap())
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 4, "no overlap between pages");

    let failed: Value = get(&app, &support, "/api/v1/admin/payments?status=failed")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(failed["data"].as_array().unwrap().len(), 3);
    let mine: Value = get(
        &app,
        &support,
        &format!("/api/v1/admin/payments?user_id={}", b.id),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(mine["data"].as_array().unwrap().len(), 1);
    assert_eq!(mine["data"][0]["status"], "succeeded");
    let bad = get(&app, &support, "/api/v1/admin/payments?status=lost").await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bad = get(&app, &support, "/api/v1/admin/payments?cursor=nonsense").await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_tariff_editor_counts_subscriptions_a_reprice_reaches() {
    let app = spawn_app().await;
    let premium = tariff(&app, "premium").await;
    let before = catalog::tariff_editor(&app.db, premium.id).await.unwrap();
    assert_eq!(before.active_subscriptions, 0);
    for _ in 0..2 {
        let c = customer(&app);
        let body = buy(&app, &c, "premium", 1, "4242424242424242").await;
        wait_for_status(
            &app,
            &c,
            body["payment"]["id"].as_str().unwrap(),
            "succeeded",
        )
        .await;
    }
    let classic = tariffs::Entity::find()
        .filter(tariffs::Column::Code.eq("classic"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let c = customer(&app);
    let body = buy(&app, &c, "classic", 1, "4242424242424242").await;
    wait_for_status(
        &app,
        &c,
        body["payment"]["id"].as_str().unwrap(),
        "succeeded",
    )
    .await;
    assert_eq!(
        catalog::tariff_editor(&app.db, premium.id)
            .await
            .unwrap()
            .active_subscriptions,
        2
    );
    assert_eq!(
        catalog::tariff_editor(&app.db, classic.id)
            .await
            .unwrap()
            .active_subscriptions,
        1
    );
}

/// The console's money forms (issue 16): a double submit — two clicks, a resent form —
/// moves money once, like the REST twins with an `Idempotency-Key`.
#[tokio::test]
async fn a_double_submitted_console_form_moves_money_once() {
    let app = spawn_app().await;
    let c = customer(&app);
    let body = buy(&app, &c, "classic", 1, "4242424242424242").await;
    let payment_id = body["payment"]["id"].as_str().unwrap().to_string();
    wait_for_status(&app, &c, &payment_id, "succeeded").await;
    let res = app.login_js(ADMIN.0, ADMIN.1).await;
    assert_eq!(res.status(), StatusCode::OK);
    let rpc = |path: &'static str, form: Vec<(&'static str, String)>| {
        let client = app.client.clone();
        let url = app.url(path);
        async move {
            client
                .post(url)
                .header("accept", "application/json")
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    // The page hands out its form key with its data.
    let page: Value = rpc("/rpc/admin_customer", vec![("id", c.id.to_string())])
        .await
        .json()
        .await
        .unwrap();
    let key = page["form_key"].as_str().expect("a form key").to_string();
    let adjust = || {
        rpc(
            "/rpc/admin_adjust_ledger",
            vec![
                ("customer_id", c.id.to_string()),
                ("amount", "-75".to_string()),
                ("reason", "Goodwill".to_string()),
                ("key", key.clone()),
            ],
        )
    };
    let (first, second) = tokio::join!(adjust(), adjust());
    let statuses = [first.status(), second.status()];
    assert!(statuses.contains(&StatusCode::OK), "{statuses:?}");
    let mut ids = Vec::new();
    for res in [first, second] {
        if res.status() == StatusCode::OK {
            ids.push(res.json::<Value>().await.unwrap()["id"].clone());
        } else {
            // Both at once: the second is told the first is still running.
            assert_eq!(res.status(), StatusCode::CONFLICT);
        }
    }
    let again: Value = adjust().await.json().await.unwrap();
    assert_eq!(
        again["id"], ids[0],
        "a resent form answers the first result"
    );
    let corrections = entity::ledger_entries::Entity::find()
        .filter(entity::ledger_entries::Column::CustomerId.eq(c.id))
        .filter(entity::ledger_entries::Column::Kind.eq(entity::status::LedgerKind::Adjustment))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(corrections, 1);
    // The same key with other values is refused and changes nothing.
    let other = rpc(
        "/rpc/admin_adjust_ledger",
        vec![
            ("customer_id", c.id.to_string()),
            ("amount", "-500".to_string()),
            ("reason", "Goodwill".to_string()),
            ("key", key.clone()),
        ],
    )
    .await;
    assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // A refund form sent twice is one refund.
    let page: Value = rpc("/rpc/admin_payment", vec![("id", payment_id.clone())])
        .await
        .json()
        .await
        .unwrap();
    let key = page["form_key"].as_str().unwrap().to_string();
    let refund = || {
        rpc(
            "/rpc/admin_refund_payment",
            vec![
                ("payment_id", payment_id.clone()),
                ("reason", "Customer asked".to_string()),
                ("key", key.clone()),
            ],
        )
    };
    let first: Value = refund().await.json().await.unwrap();
    let second: Value = refund().await.json().await.unwrap();
    assert!(first["id"].is_string(), "{first}");
    assert_eq!(first["id"], second["id"], "{second}");
    let refunds = entity::refunds::Entity::find()
        .filter(entity::refunds::Column::PaymentId.eq(payment_id.parse::<uuid::Uuid>().unwrap()))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(refunds, 1);
    // A refused call gives the key back: nothing was stored for it.
    let missing_key = rpc(
        "/rpc/admin_change_tariff",
        vec![
            ("customer_id", c.id.to_string()),
            ("tariff_id", uuid::Uuid::now_v7().to_string()),
            ("key", String::new()),
        ],
    )
    .await;
    assert_eq!(missing_key.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
