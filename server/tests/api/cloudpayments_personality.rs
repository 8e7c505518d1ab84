//! The sandbox's CloudPayments personality as a CloudPayments client sees it: its
//! credentials, its refusals (`Success: false` with a message), `X-Request-ID`, and the
//! Check it asks our webhook before taking a card. The whole purchase, decline, outage,
//! refund and renewal through it run in the provider contract suite.

use entity::sandbox_payments;
use reqwest::StatusCode;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::checkout_api::{self, customer, wait_for_status};
use crate::helpers::TestApp;
use crate::provider_contract::{
    CP_PERSONALITY_PUBLIC_ID, CP_PERSONALITY_SECRET, cloudpayments_personality_app,
};

async fn call(
    app: &TestApp,
    path: &str,
    request_id: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(&format!("/sandbox/cloudpayments{path}")))
        .basic_auth(CP_PERSONALITY_PUBLIC_ID, Some(CP_PERSONALITY_SECRET))
        .json(body);
    if let Some(id) = request_id {
        req = req.header("X-Request-ID", id);
    }
    req.send().await.unwrap()
}

async fn answer(app: &TestApp, path: &str, request_id: Option<&str>, body: &Value) -> Value {
    let res = call(app, path, request_id, body).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.json().await.unwrap()
}

#[tokio::test]
async fn only_the_configured_site_is_answered() {
    let app = cloudpayments_personality_app().await;
    let wrong = app
        .client
        .post(app.url("/sandbox/cloudpayments/test"))
        .basic_auth(CP_PERSONALITY_PUBLIC_ID, Some("guess"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let ok = answer(&app, "/test", Some("ping-1"), &json!({})).await;
    assert_eq!(ok, json!({"Success": true, "Message": "ping-1"}));
}

#[tokio::test]
async fn bad_requests_are_refused_with_a_message_and_create_nothing() {
    let app = cloudpayments_personality_app().await;
    for (body, message) in [
        (json!({"Description": "x"}), "Amount is required"),
        (
            json!({"Amount": 0, "Description": "x"}),
            "Amount must be greater than 0",
        ),
        (
            json!({"Amount": -5, "Description": "x"}),
            "Amount is invalid",
        ),
        (
            json!({"Amount": "1.001", "Description": "x"}),
            "Amount is invalid",
        ),
        (
            json!({"Amount": 10, "Currency": "XXX", "Description": "x"}),
            "Currency is not supported",
        ),
        (json!({"Amount": 10}), "Description is required"),
    ] {
        let a = answer(&app, "/orders/create", None, &body).await;
        assert_eq!(a["Success"], false, "{body}");
        assert_eq!(a["Message"], message, "{body}");
    }
    let none = answer(
        &app,
        "/payments/get",
        None,
        &json!({"TransactionId": 12345}),
    )
    .await;
    assert_eq!(
        (none["Success"].clone(), none["Message"].clone()),
        (json!(false), json!("Not found"))
    );
    let charge = answer(
        &app,
        "/payments/tokens/charge",
        None,
        &json!({"Amount": 10, "AccountId": "a", "Token": "no-such-token"}),
    )
    .await;
    assert_eq!(charge["Success"], false);
    assert!(
        charge.get("Model").is_none(),
        "a refused request has no transaction"
    );
    assert_eq!(
        sandbox_payments::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn a_request_id_is_one_order() {
    let app = cloudpayments_personality_app().await;
    let body =
        json!({"Amount": 299.0, "Currency": "RUB", "Description": "Classic", "InvoiceId": "inv-1"});
    let first = answer(&app, "/orders/create", Some("req-1"), &body).await;
    let again = answer(&app, "/orders/create", Some("req-1"), &body).await;
    let other = answer(&app, "/orders/create", Some("req-2"), &body).await;
    assert_eq!(first["Success"], true);
    assert_eq!(first["Model"]["Id"], again["Model"]["Id"]);
    assert_ne!(first["Model"]["Id"], other["Model"]["Id"]);
    assert_eq!(first["Model"]["Amount"], json!(299.0));
    assert!(first["Model"]["Number"].is_i64(), "{first}");
    // Nobody paid: no transaction to find yet.
    let found = answer(&app, "/payments/find", None, &json!({"InvoiceId": "inv-1"})).await;
    assert_eq!(found["Message"], "Not found");
}

#[tokio::test]
async fn the_hosted_page_asks_our_check_before_taking_a_card() {
    let app = cloudpayments_personality_app().await;
    // An order for an invoice Kinobill never issued: our Check refuses it (code 10) and
    // the card is declined whatever it is.
    let stray = answer(
        &app,
        "/orders/create",
        Some("stray"),
        &json!({"Amount": 100, "Description": "Not ours", "InvoiceId": Uuid::new_v4().to_string()}),
    )
    .await;
    let url = stray["Model"]["Url"].as_str().unwrap();
    let res = checkout_api::pay(&app, url, "4242424242424242").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let tx = stray["Model"]["Number"].as_i64().unwrap();
    let got = answer(&app, "/payments/get", None, &json!({"TransactionId": tx})).await;
    assert_eq!(got["Success"], false, "{got}");
    assert_eq!(got["Model"]["Status"], "Declined");
    assert_eq!(got["Model"]["ReasonCode"], 5057);

    // Our own checkout passes its Check and is paid.
    let c = customer(&app);
    let t = checkout_api::tariff(&app, "classic").await;
    let res = checkout_api::checkout(
        &app,
        &c,
        "check-passes",
        &json!({"tariff_id": t.id, "months": 1}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.unwrap();
    let url = created["payment"]["confirmation_url"].as_str().unwrap();
    assert!(url.contains("/sandbox/pay/cp_"), "{url}");
    let paid = checkout_api::pay(&app, url, "4242424242424242").await;
    assert_eq!(paid.status(), StatusCode::SEE_OTHER);
    let id = created["payment"]["id"].as_str().unwrap();
    wait_for_status(&app, &c, id, "succeeded").await;
    let found = answer(&app, "/payments/find", None, &json!({"InvoiceId": id})).await;
    assert_eq!(found["Success"], true, "{found}");
    assert_eq!(found["Model"]["Status"], "Completed");
    assert_eq!(found["Model"]["AccountId"], c.id.to_string());
}

#[tokio::test]
async fn an_order_nobody_pays_is_canceled_and_its_link_stops_taking_money() {
    let app = cloudpayments_personality_app().await;
    let c = customer(&app);
    let t = checkout_api::tariff(&app, "classic").await;
    let res = checkout_api::checkout(
        &app,
        &c,
        "abandoned",
        &json!({"tariff_id": t.id, "months": 1}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.unwrap();
    let id = created["payment"]["id"].as_str().unwrap();
    crate::lifecycle_api::move_to(&app, app.state.clock.now() + chrono::TimeDelta::hours(25));
    let pass = app::ssr::jobs::reconcile_pending(&app.state, chrono::TimeDelta::minutes(10), 10)
        .await
        .unwrap();
    assert_eq!(pass.settled, 1, "{pass:?}");
    wait_for_status(&app, &c, id, "canceled").await;
    // The link no longer takes a card.
    let url = created["payment"]["confirmation_url"].as_str().unwrap();
    let order = url.rsplit('/').next().unwrap();
    app.client
        .post(app.url(&format!("/sandbox/pay/{order}")))
        .form(&[("card_number", "4242424242424242")])
        .send()
        .await
        .unwrap();
    let row = sandbox_payments::Entity::find_by_id(order.to_string())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "canceled");
}
