//! The CloudPayments adapter, black-box: the real app and the real HTTP client against a
//! fake CloudPayments (wiremock) answering as its API reference documents
//! (`{"Success", "Message", "Model"}`, Basic auth, `X-Request-ID`), and notifications
//! posted to our webhook as CloudPayments posts them: form-encoded, signed with
//! `Content-HMAC`, answered `{"code": 0}`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use app::ssr::jobs;
use base64::Engine;
use chrono::TimeDelta;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;
use uuid::Uuid;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers::any};

use crate::checkout_api::{Customer, checkout, customer, payment, tariff, wait_for_status};
use crate::helpers::{TestApp, spawn_clocked};
use crate::lifecycle_api::{move_to, subscription};

const PUBLIC_ID: &str = "pk_kinobill_test";
pub(crate) const SECRET: &str = "cp_test_api_secret_0123456789";

#[derive(Default)]
pub(crate) struct Site {
    /// Orders by id: (our payment id, amount, JsonData).
    pub orders: HashMap<String, (String, Value, Value)>,
    /// Transactions by id.
    transactions: HashMap<i64, Value>,
    next_tx: i64,
    answers: HashMap<String, Value>,
    pub refunds: Vec<Value>,
    pub fail_next: Vec<u16>,
    /// The next POST is answered only after this long (it has acted by then).
    pub slow_next: Option<std::time::Duration>,
}

#[derive(Clone, Default)]
pub(crate) struct FakeCloudPayments(pub Arc<Mutex<Site>>);

fn ok(model: Value) -> Value {
    json!({"Success": true, "Message": null, "Model": model})
}

impl FakeCloudPayments {
    /// The customer paid the order of `invoice` with a card (declined: `reason_code`).
    pub fn attempt(&self, invoice: &str, declined: Option<i64>) -> Value {
        let mut site = self.0.lock().unwrap();
        let (_, (_, amount, data)) = site
            .orders
            .iter()
            .find(|(_, (inv, _, _))| inv == invoice)
            .map(|(k, v)| (k.clone(), v.clone()))
            .expect("an order for the invoice");
        site.next_tx += 1;
        let id = 1000 + site.next_tx;
        let mut tx = json!({
            "TransactionId": id, "Amount": amount, "Currency": "RUB", "InvoiceId": invoice,
            "AccountId": "x", "Status": "Completed", "StatusCode": 3, "Reason": "Approved",
            "ReasonCode": 0, "CardFirstSix": "424242", "CardLastFour": "4242",
            "CardType": "Visa", "Token": format!("tk-{}", Uuid::new_v4()), "JsonData": data,
            "TestMode": true
        });
        if let Some(code) = declined {
            tx["Status"] = json!("Declined");
            tx["Reason"] = json!("InsufficientFunds");
            tx["ReasonCode"] = json!(code);
            tx["CardHolderMessage"] = json!("Недостаточно средств на карте");
            tx["Token"] = Value::Null;
        }
        site.transactions.insert(id, tx.clone());
        tx
    }

    fn answer(&self, req: &Request) -> (u16, Value) {
        let auth = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{PUBLIC_ID}:{SECRET}"))
        );
        if auth != expected {
            return (401, json!({"Success": false, "Message": "Unauthorized"}));
        }
        let mut site = self.0.lock().unwrap();
        if !site.fail_next.is_empty() {
            let code = site.fail_next.remove(0);
            return (code, json!({"Success": false, "Message": "Internal error"}));
        }
        let key = req
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(|k| format!("{}|{k}", req.url.path()));
        if let Some(same) = key.as_ref().and_then(|k| site.answers.get(k)) {
            return (200, same.clone());
        }
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let answer = match req.url.path() {
            "/orders/create" => {
                let id = Uuid::new_v4().simple().to_string()[..16].to_string();
                let invoice = body["InvoiceId"].as_str().unwrap_or_default().to_string();
                site.orders.insert(
                    id.clone(),
                    (invoice, body["Amount"].clone(), body["JsonData"].clone()),
                );
                ok(
                    json!({"Id": id, "Number": site.orders.len(), "Amount": body["Amount"],
                    "Currency": "RUB", "Description": body["Description"], "Status": "Created",
                    "Url": format!("https://orders.cloudpayments.ru/d/{id}")}),
                )
            }
            "/orders/cancel" => ok(Value::Null),
            "/payments/find" => {
                let invoice = body["InvoiceId"].as_str().unwrap_or_default();
                let latest = site
                    .transactions
                    .values()
                    .filter(|t| t["InvoiceId"] == invoice)
                    .max_by_key(|t| t["TransactionId"].as_i64())
                    .cloned();
                match latest {
                    Some(t) if t["Status"] == "Declined" => {
                        json!({"Success": false, "Message": "Declined", "Model": t})
                    }
                    Some(t) => ok(t),
                    None => json!({"Success": false, "Message": "Not found"}),
                }
            }
            "/payments/get" => match site
                .transactions
                .get(&body["TransactionId"].as_i64().unwrap_or(0))
            {
                Some(t) => ok(t.clone()),
                None => json!({"Success": false, "Message": "Not found"}),
            },
            "/payments/tokens/charge" => {
                site.next_tx += 1;
                let id = 1000 + site.next_tx;
                let declined = body["Token"] == "tk-declined";
                let tx = json!({
                    "TransactionId": id, "Amount": body["Amount"], "Currency": "RUB",
                    "InvoiceId": body["InvoiceId"], "AccountId": body["AccountId"],
                    "Status": if declined { "Declined" } else { "Completed" },
                    "ReasonCode": if declined { 5051 } else { 0 },
                    "CardHolderMessage": if declined { "Недостаточно средств на карте" } else { "Оплата успешно проведена" },
                    "CardLastFour": "4242", "CardType": "Visa", "Token": body["Token"]
                });
                site.transactions.insert(id, tx.clone());
                if declined {
                    json!({"Success": false, "Message": null, "Model": tx})
                } else {
                    ok(tx)
                }
            }
            "/payments/refund" => {
                site.next_tx += 1;
                let id = 1000 + site.next_tx;
                site.refunds.push(body.clone());
                ok(json!({"TransactionId": id}))
            }
            _ => json!({"Success": false, "Message": "Unknown method"}),
        };
        if let Some(k) = key {
            site.answers.insert(k, answer.clone());
        }
        (200, answer)
    }
}

impl Respond for FakeCloudPayments {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let (status, body) = self.answer(req);
        let t = ResponseTemplate::new(status).set_body_json(body);
        match self.0.lock().unwrap().slow_next.take() {
            Some(d) => t.set_delay(d),
            None => t,
        }
    }
}

pub(crate) struct CpApp {
    pub app: TestApp,
    pub fake: FakeCloudPayments,
    pub server: MockServer,
}

pub(crate) async fn cloudpayments_app() -> CpApp {
    let server = MockServer::start().await;
    let fake = FakeCloudPayments::default();
    Mock::given(any())
        .respond_with(fake.clone())
        .mount(&server)
        .await;
    let uri = server.uri();
    let app = spawn_clocked(&[
        ("KINOBILL__PAYMENTS__PROVIDER", "cloudpayments"),
        ("KINOBILL__CLOUDPAYMENTS__PUBLIC_ID", PUBLIC_ID),
        ("KINOBILL__CLOUDPAYMENTS__API_SECRET", SECRET),
        ("KINOBILL__CLOUDPAYMENTS__API_URL", uri.as_str()),
        ("KINOBILL__CLOUDPAYMENTS__TIMEOUT", "PT2S"),
    ])
    .await;
    CpApp { app, fake, server }
}

pub(crate) fn sign(body: &str, secret: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The notification's form fields for a transaction, as CloudPayments sends them.
pub(crate) fn form(tx: &Value) -> String {
    let mut fields: Vec<(String, String)> = Vec::new();
    for key in [
        "TransactionId",
        "Amount",
        "Currency",
        "InvoiceId",
        "AccountId",
        "Status",
        "Reason",
        "ReasonCode",
        "CardHolderMessage",
        "CardFirstSix",
        "CardLastFour",
        "CardType",
        "Token",
        "PaymentTransactionId",
    ] {
        match &tx[key] {
            Value::Null => {}
            Value::String(s) => fields.push((key.into(), s.clone())),
            other => fields.push((key.into(), other.to_string())),
        }
    }
    if !tx["JsonData"].is_null() {
        fields.push(("Data".into(), tx["JsonData"].to_string()));
    }
    fields.push(("OperationType".into(), "Payment".into()));
    fields.push(("DateTime".into(), "2026-12-05 10:00:00".into()));
    fields.push(("TestMode".into(), "1".into()));
    serde_urlencoded_string(&fields)
}

fn serde_urlencoded_string(fields: &[(String, String)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                crate::helpers::urlencode(k),
                crate::helpers::urlencode(v)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

pub(crate) async fn notify(
    app: &TestApp,
    kind: &str,
    body: &str,
    secret: &str,
) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/webhooks/cloudpayments/{kind}")))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Content-HMAC", sign(body, secret))
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

async fn calls(server: &MockServer, path: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == path)
        .collect()
}

async fn start(cp: &CpApp, c: &Customer, save: bool) -> String {
    let t = tariff(&cp.app, "classic").await;
    let res = checkout(
        &cp.app,
        c,
        &Uuid::new_v4().to_string(),
        &json!({"tariff_id": t.id, "months": 1, "save_payment_method": save}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.unwrap();
    let url = body["payment"]["confirmation_url"].as_str().unwrap();
    assert!(
        url.starts_with("https://orders.cloudpayments.ru/d/"),
        "{url}"
    );
    body["payment"]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_purchase_goes_through_an_order_link_and_a_signed_pay_notification() {
    let cp = cloudpayments_app().await;
    let c = customer(&cp.app);
    let ours = start(&cp, &c, true).await;
    let created = calls(&cp.server, "/orders/create").await;
    assert_eq!(created.len(), 1);
    assert!(created[0].headers.get("x-request-id").is_some());
    let body: Value = serde_json::from_slice(&created[0].body).unwrap();
    assert_eq!(body["Amount"], json!(299.0));
    assert_eq!(body["Currency"], "RUB");
    assert_eq!(body["InvoiceId"], ours.as_str());
    assert_eq!(body["AccountId"], c.id.to_string());
    assert_eq!(body["RequireConfirmation"], false);

    // Before anyone paid, support sees the order; after, the transaction.
    let id = Uuid::parse_str(&ours).unwrap();
    let before = app::ssr::services::support::provider_object(&cp.app.state, id)
        .await
        .unwrap();
    assert!(before.raw.unwrap().contains("\"Created\""));

    // Check before the attempt: the right amount passes, a wrong one is refused (12),
    // an unknown invoice too (10).
    let tx = cp.fake.attempt(&ours, None);
    let res = notify(&cp.app, "check", &form(&tx), SECRET).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"code": 0}));
    let mut wrong = tx.clone();
    wrong["Amount"] = json!(1.0);
    let res = notify(&cp.app, "check", &form(&wrong), SECRET).await;
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"code": 12}));
    let mut unknown = tx.clone();
    unknown["InvoiceId"] = json!(Uuid::new_v4().to_string());
    let res = notify(&cp.app, "check", &form(&unknown), SECRET).await;
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"code": 10}));

    // A forged signature changes nothing.
    let res = notify(&cp.app, "pay", &form(&tx), "not-the-secret").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(payment(&cp.app, &c, &ours).await["status"], "pending");

    let res = notify(&cp.app, "pay", &form(&tx), SECRET).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"code": 0}));
    wait_for_status(&cp.app, &c, &ours, "succeeded").await;
    let sub = subscription(&cp.app, c.id).await;
    assert_eq!(sub.status, "active");
    assert!(
        sub.auto_renew && sub.payment_method_id.is_some(),
        "the saved card renews"
    );
    let after = app::ssr::services::support::provider_object(&cp.app.state, id)
        .await
        .unwrap();
    let raw: Value = serde_json::from_str(after.raw.as_deref().unwrap()).unwrap();
    assert_eq!(raw["TransactionId"], tx["TransactionId"]);

    // Paid: a further attempt on the same link is refused at Check (13), and the repeat
    // of Pay is a duplicate.
    let res = notify(&cp.app, "check", &form(&tx), SECRET).await;
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"code": 13}));
    let res = notify(&cp.app, "pay", &form(&tx), SECRET).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        subscription(&cp.app, c.id).await.current_period_end,
        sub.current_period_end
    );
}

#[tokio::test]
async fn a_card_token_is_kept_only_when_the_customer_asked() {
    let cp = cloudpayments_app().await;
    let c = customer(&cp.app);
    let ours = start(&cp, &c, false).await;
    let tx = cp.fake.attempt(&ours, None);
    notify(&cp.app, "pay", &form(&tx), SECRET).await;
    wait_for_status(&cp.app, &c, &ours, "succeeded").await;
    let sub = subscription(&cp.app, c.id).await;
    assert!(
        !sub.auto_renew && sub.payment_method_id.is_none(),
        "{sub:?}"
    );
}

#[tokio::test]
async fn a_decline_is_reported_with_our_code_and_the_banks_message() {
    let cp = cloudpayments_app().await;
    let c = customer(&cp.app);
    let ours = start(&cp, &c, false).await;
    let tx = cp.fake.attempt(&ours, Some(5051));
    let res = notify(&cp.app, "fail", &form(&tx), SECRET).await;
    let status = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(text, json!({"code": 0}).to_string(), "{status}");
    let p = wait_for_status(&cp.app, &c, &ours, "failed").await;
    assert_eq!(p["failure_code"], "insufficient_funds", "{p}");
    assert_eq!(p["failure_message"], "Недостаточно средств на карте");
}

#[tokio::test]
async fn reconciliation_finds_a_paid_order_by_its_invoice_id() {
    let cp = cloudpayments_app().await;
    let c = customer(&cp.app);
    let ours = start(&cp, &c, false).await;
    // Not paid yet: the poll finds nothing and the payment stays pending.
    let now = cp.app.state.clock.now();
    move_to(&cp.app, now + TimeDelta::minutes(11));
    let first = jobs::reconcile_pending(&cp.app.state, TimeDelta::minutes(10), 10)
        .await
        .unwrap();
    assert_eq!((first.checked, first.still_pending), (1, 1), "{first:?}");
    // Paid, but the Pay notification never came: the next poll settles it.
    cp.fake.attempt(&ours, None);
    move_to(&cp.app, now + TimeDelta::minutes(22));
    let second = jobs::reconcile_pending(&cp.app.state, TimeDelta::minutes(10), 10)
        .await
        .unwrap();
    assert_eq!(second.settled, 1, "{second:?}");
    wait_for_status(&cp.app, &c, &ours, "succeeded").await;
    let found = calls(&cp.server, "/payments/find").await;
    let body: Value = serde_json::from_slice(&found[0].body).unwrap();
    assert_eq!(body["InvoiceId"], ours.as_str());
}

#[tokio::test]
async fn an_order_nobody_pays_for_a_day_is_canceled_at_cloudpayments() {
    let cp = cloudpayments_app().await;
    let c = customer(&cp.app);
    let ours = start(&cp, &c, false).await;
    let now = cp.app.state.clock.now();
    move_to(&cp.app, now + TimeDelta::hours(2));
    let early = jobs::reconcile_pending(&cp.app.state, TimeDelta::minutes(10), 10)
        .await
        .unwrap();
    assert_eq!(early.still_pending, 1, "{early:?}");
    assert!(
        calls(&cp.server, "/orders/cancel").await.is_empty(),
        "not yet"
    );
    // A CloudPayments order link never expires by itself: after a day it is canceled,
    // so it stops taking money, and the payment stops being polled.
    move_to(&cp.app, now + TimeDelta::hours(25));
    let late = jobs::reconcile_pending(&cp.app.state, TimeDelta::minutes(10), 10)
        .await
        .unwrap();
    assert_eq!(late.settled, 1, "{late:?}");
    assert_eq!(calls(&cp.server, "/orders/cancel").await.len(), 1);
    wait_for_status(&cp.app, &c, &ours, "canceled").await;
}

#[tokio::test]
async fn server_errors_are_retried_under_the_same_request_id() {
    let cp = cloudpayments_app().await;
    cp.fake.0.lock().unwrap().fail_next = vec![500, 503];
    start(&cp, &customer(&cp.app), false).await;
    let created = calls(&cp.server, "/orders/create").await;
    assert_eq!(created.len(), 3);
    let ids: Vec<_> = created
        .iter()
        .map(|r| {
            r.headers
                .get("x-request-id")
                .unwrap()
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
    assert_eq!(cp.fake.0.lock().unwrap().orders.len(), 1);
}

#[tokio::test]
async fn a_refund_goes_to_the_transaction_once() {
    let cp = cloudpayments_app().await;
    let c = customer(&cp.app);
    let ours = start(&cp, &c, false).await;
    let tx = cp.fake.attempt(&ours, None);
    notify(&cp.app, "pay", &form(&tx), SECRET).await;
    wait_for_status(&cp.app, &c, &ours, "succeeded").await;
    for _ in 0..2 {
        let res = cp
            .app
            .client
            .post(cp.app.url(&format!("/api/v1/payments/{ours}/refund")))
            .bearer_auth(&c.token)
            .header("Idempotency-Key", "cp-refund")
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    }
    let refunds = cp.fake.0.lock().unwrap().refunds.clone();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0]["TransactionId"], tx["TransactionId"]);
    assert_eq!(refunds[0]["Amount"], json!(299.0));
    wait_for_status(&cp.app, &c, &ours, "refunded").await;

    // CloudPayments' Refund notification: acknowledged, stored once.
    let refund_tx = json!({"TransactionId": 9001, "Amount": 299.0, "Currency": "RUB",
        "InvoiceId": ours, "PaymentTransactionId": tx["TransactionId"]});
    let res = notify(&cp.app, "refund", &form(&refund_tx), SECRET).await;
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"code": 0}));
}

#[tokio::test]
async fn a_renewal_charges_the_token_merchant_initiated_after_looking_first() {
    let cp = cloudpayments_app().await;
    let c = customer(&cp.app);
    let ours = start(&cp, &c, true).await;
    let tx = cp.fake.attempt(&ours, None);
    notify(&cp.app, "pay", &form(&tx), SECRET).await;
    wait_for_status(&cp.app, &c, &ours, "succeeded").await;
    let sub = subscription(&cp.app, c.id).await;

    move_to(&cp.app, sub.current_period_end - TimeDelta::hours(23));
    let pass = jobs::renew_due(&cp.app.state, 10).await.unwrap();
    assert_eq!((pass.leased, pass.renewed), (1, 1), "{pass:?}");
    let charges = calls(&cp.server, "/payments/tokens/charge").await;
    assert_eq!(charges.len(), 1);
    let body: Value = serde_json::from_slice(&charges[0].body).unwrap();
    assert_eq!(body["Token"], tx["Token"]);
    assert_eq!(body["AccountId"], c.id.to_string());
    assert_eq!(body["TrInitiatorCode"], 1);
    // It looked for an earlier charge of the same payment first (the request id
    // window is one hour; a later retry must not charge twice).
    let finds = calls(&cp.server, "/payments/find").await;
    let looked: Value = serde_json::from_slice(&finds.last().unwrap().body).unwrap();
    assert_eq!(looked["InvoiceId"], body["InvoiceId"]);
    assert_eq!(
        subscription(&cp.app, c.id).await.current_period_end,
        app::domain::subscription::add_months(sub.current_period_end, 1)
    );
}

#[tokio::test]
async fn a_half_configured_cloudpayments_refuses_to_start() {
    let err = server::config::Settings::from_sources(
        None,
        "",
        vec![
            (
                "KINOBILL__PAYMENTS__PROVIDER".to_string(),
                "cloudpayments".to_string(),
            ),
            (
                "KINOBILL__CLOUDPAYMENTS__PUBLIC_ID".to_string(),
                PUBLIC_ID.to_string(),
            ),
        ],
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("KINOBILL__CLOUDPAYMENTS__API_SECRET"), "{err}");
    let cp = cloudpayments_app().await;
    let shown = format!("{:?}", cp.app.state.provider);
    assert!(
        shown.contains(PUBLIC_ID) && !shown.contains(SECRET),
        "{shown}"
    );
}

#[tokio::test]
async fn a_newer_checkout_cancels_the_older_order_link() {
    let cp = cloudpayments_app().await;
    let c = customer(&cp.app);
    let first = start(&cp, &c, false).await;
    let second = start(&cp, &c, false).await;
    let canceled = calls(&cp.server, "/orders/cancel").await;
    assert_eq!(
        canceled.len(),
        1,
        "the replaced order's link stops taking money"
    );
    wait_for_status(&cp.app, &c, &first, "canceled").await;
    assert_eq!(payment(&cp.app, &c, &second).await["status"], "pending");
}

/// Found by the `cloudpayments_notification` fuzz target: a signed JSON notification
/// that is not an object (`190`) made the handler panic writing `Status` into it.
#[tokio::test]
async fn a_signed_json_notification_that_is_not_an_object_is_refused_not_a_panic() {
    let cp = cloudpayments_app().await;
    for (kind, body) in [
        ("cancel", "190"),
        ("pay", "[1,2]"),
        ("check", "\"x\""),
        ("fail", "null"),
    ] {
        let res = cp
            .app
            .client
            .post(
                cp.app
                    .url(&format!("/api/v1/webhooks/cloudpayments/{kind}")),
            )
            .header("Content-Type", "application/json")
            .header("Content-HMAC", sign(body, SECRET))
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert!(
            res.status().is_client_error(),
            "{kind} {body}: {}",
            res.status()
        );
    }
}
