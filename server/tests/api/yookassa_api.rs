//! The YooKassa adapter, black-box: the real app and the real HTTP client against a fake
//! YooKassa (wiremock) that answers as YooKassa's API v3 reference documents: Basic
//! auth, `Idempotence-Key`, payment and refund objects, error objects, `202
//! processing`. Notifications are posted to our webhook as YooKassa posts them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::ssr::jobs;
use base64::Engine;
use chrono::TimeDelta;
use entity::{payment_events, payments};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers::any};

use crate::checkout_api::{Customer, checkout, customer, payment, tariff, wait_for_status};
use crate::helpers::{TestApp, spawn_clocked};
use crate::lifecycle_api::{move_to, subscription};

const SHOP: &str = "506751";
const SECRET: &str = "test_kinobill_secret_key";

/// A shop at the fake YooKassa: its payments and refunds, by id and by idempotence key.
#[derive(Default)]
pub(crate) struct Shop {
    pub payments: HashMap<String, Value>,
    pub refunds: HashMap<String, Value>,
    answers: HashMap<String, Value>,
    /// Status codes to answer the next calls with (before doing anything).
    pub fail_next: Vec<u16>,
    /// The next POST is done, then answered only after this long (the client gives up).
    pub slow_next: Option<Duration>,
}

#[derive(Clone, Default)]
pub(crate) struct FakeYooKassa(pub Arc<Mutex<Shop>>);

pub(crate) fn error(code: &str, description: &str) -> Value {
    json!({"type": "error", "id": Uuid::new_v4(), "code": code, "description": description})
}

impl FakeYooKassa {
    fn set(&self, id: &str, change: impl FnOnce(&mut Value)) {
        let mut shop = self.0.lock().unwrap();
        change(shop.payments.get_mut(id).expect("a payment at the fake"));
    }

    /// The customer paid on YooKassa's page (and asked to save the card).
    pub fn paid(&self, id: &str) {
        self.set(id, |p| {
            let save = p["_save"].as_bool().unwrap_or(false);
            p["status"] = json!("succeeded");
            p["paid"] = json!(true);
            p["payment_method"] = json!({
                "type": "bank_card", "id": format!("pm-{}", Uuid::new_v4()), "saved": save,
                "title": "Bank card *4444",
                "card": {"first6": "555555", "last4": "4444", "expiry_month": "07",
                         "expiry_year": "2030", "card_type": "MasterCard"}
            });
        });
    }

    pub fn declined(&self, id: &str, reason: &str) {
        self.set(id, |p| {
            p["status"] = json!("canceled");
            p["cancellation_details"] = json!({"party": "payment_network", "reason": reason});
        });
    }

    pub fn payment_count(&self) -> usize {
        self.0.lock().unwrap().payments.len()
    }

    /// A day has passed: YooKassa no longer knows the idempotence keys it was sent.
    pub fn forget_keys(&self) {
        self.0.lock().unwrap().answers.clear();
    }

    fn answer(&self, req: &Request) -> (u16, Value) {
        let auth = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{SHOP}:{SECRET}"))
        );
        if auth != expected {
            return (
                401,
                error(
                    "invalid_credentials",
                    "Authentication by given credentials failed",
                ),
            );
        }
        let mut shop = self.0.lock().unwrap();
        if let Some(code) = (!shop.fail_next.is_empty()).then(|| shop.fail_next.remove(0)) {
            return match code {
                202 => (
                    202,
                    json!({"type": "processing", "description": "Request accepted", "id": Uuid::new_v4(), "retry_after": 50}),
                ),
                429 => (429, error("too_many_requests", "Too many requests")),
                c => (c, error("internal_server_error", "Internal server error")),
            };
        }
        let path = req.url.path().trim_start_matches("/v3").to_string();
        let post = req.method.as_str() == "POST";
        let key = req
            .headers
            .get("idempotence-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if post {
            let Some(key) = &key else {
                return (400, error("invalid_request", "Idempotence key is missing"));
            };
            if let Some(same) = shop.answers.get(&format!("{path}|{key}")) {
                return (200, same.clone());
            }
        }
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let (status, answer) = match (req.method.as_str(), path.as_str()) {
            ("POST", "/payments") => {
                let id = format!("{}", Uuid::new_v4());
                let mut p = json!({
                    "id": id, "status": "pending", "paid": false, "amount": body["amount"],
                    "created_at": "2026-12-05T10:00:00.000Z", "description": body["description"],
                    "metadata": body["metadata"], "recipient": {"account_id": SHOP, "gateway_id": "100700"},
                    "refundable": false, "test": true, "_save": body["save_payment_method"]
                });
                if let Some(method) = body["payment_method_id"].as_str() {
                    // A charge of a saved card: decided at once.
                    p["paid"] = json!(method != "pm-declined");
                    if method == "pm-declined" {
                        p["status"] = json!("canceled");
                        p["cancellation_details"] =
                            json!({"party": "payment_network", "reason": "insufficient_funds"});
                    } else {
                        p["status"] = json!("succeeded");
                        p["payment_method"] = json!({"type": "bank_card", "id": method, "saved": true,
                            "card": {"last4": "4444", "card_type": "MasterCard"}});
                    }
                } else {
                    p["confirmation"] = json!({"type": "redirect",
                        "return_url": body["confirmation"]["return_url"],
                        "confirmation_url": format!("https://yoomoney.ru/api/checkout/payments/v2/contract?orderId={id}")});
                }
                shop.payments.insert(id, p.clone());
                (200, p)
            }
            // The shop's payments (filters and paging are YooKassa's; one page here).
            ("GET", "/payments") => (
                200,
                json!({"type": "list", "items": shop.payments.values().cloned().collect::<Vec<_>>()}),
            ),
            ("GET", p) if p.starts_with("/payments/") => {
                match shop.payments.get(p.trim_start_matches("/payments/")) {
                    Some(found) => (200, found.clone()),
                    None => (
                        404,
                        error("not_found", "Payment doesn't exist or access denied"),
                    ),
                }
            }
            ("POST", "/refunds") => {
                let pid = body["payment_id"].as_str().unwrap_or_default().to_string();
                match shop.payments.get(&pid) {
                    Some(p) if p["status"] == "succeeded" => {
                        let id = format!("{}", Uuid::new_v4());
                        let r = json!({"id": id, "payment_id": pid, "status": "succeeded",
                            "amount": body["amount"], "created_at": "2026-12-05T10:05:00.000Z"});
                        shop.refunds.insert(id, r.clone());
                        (200, r)
                    }
                    _ => (400, error("invalid_request", "Payment can't be refunded")),
                }
            }
            ("GET", p) if p.starts_with("/refunds/") => {
                match shop.refunds.get(p.trim_start_matches("/refunds/")) {
                    Some(found) => (200, found.clone()),
                    None => (404, error("not_found", "Refund doesn't exist")),
                }
            }
            _ => (404, error("not_found", "Unknown method")),
        };
        if post && status == 200 {
            shop.answers
                .insert(format!("{path}|{}", key.unwrap()), answer.clone());
        }
        (status, answer)
    }
}

impl Respond for FakeYooKassa {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let (status, body) = self.answer(req);
        let slow = (req.method.as_str() == "POST")
            .then(|| self.0.lock().unwrap().slow_next.take())
            .flatten();
        let t = ResponseTemplate::new(status).set_body_json(body);
        match slow {
            Some(d) => t.set_delay(d),
            None => t,
        }
    }
}

pub(crate) struct YooKassaApp {
    pub app: TestApp,
    pub fake: FakeYooKassa,
    pub server: MockServer,
}

pub(crate) async fn yookassa_app(extra: &[(&str, &str)]) -> YooKassaApp {
    let server = MockServer::start().await;
    let fake = FakeYooKassa::default();
    Mock::given(any())
        .respond_with(fake.clone())
        .mount(&server)
        .await;
    let api = format!("{}/v3", server.uri());
    let mut settings = vec![
        ("KINOBILL__PAYMENTS__PROVIDER", "yookassa"),
        ("KINOBILL__YOOKASSA__SHOP_ID", SHOP),
        ("KINOBILL__YOOKASSA__SECRET_KEY", SECRET),
        ("KINOBILL__YOOKASSA__API_URL", api.as_str()),
        ("KINOBILL__YOOKASSA__TIMEOUT", "PT1S"),
        // The tests post notifications from this machine.
        ("KINOBILL__YOOKASSA__WEBHOOK_ALLOW", "127.0.0.1/32,::1"),
    ];
    settings.extend_from_slice(extra);
    let app = spawn_clocked(&settings).await;
    YooKassaApp { app, fake, server }
}

/// Posts a notification the way YooKassa does.
pub(crate) async fn notify(
    app: &TestApp,
    event: &str,
    object: &Value,
    forwarded_for: Option<&str>,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url("/api/v1/webhooks/yookassa"))
        .json(&json!({"type": "notification", "event": event, "object": object}));
    if let Some(f) = forwarded_for {
        req = req.header("X-Forwarded-For", f);
    }
    req.send().await.unwrap()
}

async fn provider_requests(server: &MockServer, method: &str, path: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.method.as_str() == method && r.url.path() == format!("/v3{path}"))
        .collect()
}

/// Checkout of one month of Classic; returns (our payment id, YooKassa's payment id).
async fn start(yk: &YooKassaApp, c: &Customer, save: bool) -> (String, String) {
    let t = tariff(&yk.app, "classic").await;
    let res = checkout(
        &yk.app,
        c,
        &Uuid::new_v4().to_string(),
        &json!({"tariff_id": t.id, "months": 1, "save_payment_method": save}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.unwrap();
    let ours = body["payment"]["id"].as_str().unwrap().to_string();
    let url = body["payment"]["confirmation_url"].as_str().unwrap();
    assert!(url.starts_with("https://yoomoney.ru/"), "{url}");
    let theirs = url.rsplit_once("orderId=").unwrap().1.to_string();
    (ours, theirs)
}

#[tokio::test]
async fn a_purchase_is_created_as_yookassa_documents_and_settled_from_its_api() {
    let yk = yookassa_app(&[]).await;
    let c = customer(&yk.app);
    let (ours, theirs) = start(&yk, &c, true).await;

    let created = provider_requests(&yk.server, "POST", "/payments").await;
    assert_eq!(created.len(), 1);
    assert!(created[0].headers.get("idempotence-key").is_some());
    let body: Value = serde_json::from_slice(&created[0].body).unwrap();
    assert_eq!(
        body["amount"],
        json!({"value": "299.00", "currency": "RUB"})
    );
    assert_eq!(body["capture"], true);
    assert_eq!(body["confirmation"]["type"], "redirect");
    assert!(
        body["confirmation"]["return_url"]
            .as_str()
            .unwrap()
            .contains(&ours)
    );
    assert_eq!(body["save_payment_method"], true);
    assert_eq!(body["metadata"]["kinobill_payment_id"], ours.as_str());

    // A notification is only a hint: YooKassa still says pending, so nothing is settled
    // whatever the body claims.
    let forged = json!({"id": theirs, "status": "succeeded", "paid": true,
        "amount": {"value": "299.00", "currency": "RUB"}});
    let res = notify(&yk.app, "payment.succeeded", &forged, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(payment(&yk.app, &c, &ours).await["status"], "pending");

    yk.fake.paid(&theirs);
    let res = notify(&yk.app, "payment.succeeded", &forged, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    wait_for_status(&yk.app, &c, &ours, "succeeded").await;
    let sub = subscription(&yk.app, c.id).await;
    assert_eq!(sub.status, "active");
    assert!(
        sub.auto_renew && sub.payment_method_id.is_some(),
        "the saved card renews"
    );

    // YooKassa repeats a notification until it gets 200: the repeat changes nothing.
    let again = notify(&yk.app, "payment.succeeded", &forged, None).await;
    assert_eq!(again.status(), StatusCode::OK);
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["result"], "duplicate");
    assert_eq!(
        subscription(&yk.app, c.id).await.current_period_end,
        sub.current_period_end
    );

    // Support sees YooKassa's own object next to ours.
    let id = Uuid::parse_str(&ours).unwrap();
    let shown = app::ssr::services::support::provider_object(&yk.app.state, id)
        .await
        .unwrap();
    assert_eq!(shown.provider, "yookassa");
    let raw: Value = serde_json::from_str(shown.raw.as_deref().unwrap()).unwrap();
    assert_eq!(
        (raw["id"].as_str(), raw["status"].as_str()),
        (Some(theirs.as_str()), Some("succeeded"))
    );
    yk.fake.0.lock().unwrap().fail_next = vec![500, 500, 500];
    let down = app::ssr::services::support::provider_object(&yk.app.state, id)
        .await
        .unwrap();
    assert!(down.raw.is_none() && down.note.unwrap().contains("did not show it"));
}

#[tokio::test]
async fn a_decline_is_reported_with_our_code_and_its_reason() {
    let yk = yookassa_app(&[]).await;
    let c = customer(&yk.app);
    let (ours, theirs) = start(&yk, &c, false).await;
    yk.fake.declined(&theirs, "insufficient_funds");
    let res = notify(&yk.app, "payment.canceled", &json!({"id": theirs}), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let p = wait_for_status(&yk.app, &c, &ours, "failed").await;
    assert_eq!(p["failure_code"], "insufficient_funds", "{p}");
    assert!(
        p["failure_message"]
            .as_str()
            .unwrap()
            .contains("not enough money"),
        "{p}"
    );

    // The customer left the page until it expired: canceled, not a bank's "no".
    let c2 = customer(&yk.app);
    let (ours2, theirs2) = start(&yk, &c2, false).await;
    yk.fake.declined(&theirs2, "expired_on_confirmation");
    notify(&yk.app, "payment.canceled", &json!({"id": theirs2}), None).await;
    wait_for_status(&yk.app, &c2, &ours2, "canceled").await;
}

#[tokio::test]
async fn notifications_count_only_from_yookassas_addresses() {
    // The default allow-list: YooKassa's published ranges, which this machine is not in.
    let strict = {
        let server = MockServer::start().await;
        let fake = FakeYooKassa::default();
        Mock::given(any())
            .respond_with(fake.clone())
            .mount(&server)
            .await;
        let api = format!("{}/v3", server.uri());
        let app = spawn_clocked(&[
            ("KINOBILL__PAYMENTS__PROVIDER", "yookassa"),
            ("KINOBILL__YOOKASSA__SHOP_ID", SHOP),
            ("KINOBILL__YOOKASSA__SECRET_KEY", SECRET),
            ("KINOBILL__YOOKASSA__API_URL", api.as_str()),
        ])
        .await;
        YooKassaApp { app, fake, server }
    };
    let c = customer(&strict.app);
    let (ours, theirs) = start(&strict, &c, false).await;
    strict.fake.paid(&theirs);
    let object = json!({"id": theirs});
    let res = notify(&strict.app, "payment.succeeded", &object, None).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"]["code"], "forbidden_source");
    // A header anyone can write proves nothing without a trusted proxy.
    let res = notify(
        &strict.app,
        "payment.succeeded",
        &object,
        Some("185.71.76.5"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(payment(&strict.app, &c, &ours).await["status"], "pending");
    assert!(
        provider_requests(&strict.server, "GET", &format!("/payments/{theirs}"))
            .await
            .is_empty(),
        "a refused notification is not even looked up"
    );

    // Behind our own proxy (this machine), the address it forwards is YooKassa's.
    let proxied = yookassa_app(&[
        ("KINOBILL__YOOKASSA__WEBHOOK_ALLOW", "185.71.76.0/27"),
        ("KINOBILL__YOOKASSA__TRUSTED_PROXIES", "127.0.0.1/32,::1"),
    ])
    .await;
    let c = customer(&proxied.app);
    let (ours, theirs) = start(&proxied, &c, false).await;
    proxied.fake.paid(&theirs);
    let object = json!({"id": theirs});
    let direct = notify(&proxied.app, "payment.succeeded", &object, None).await;
    assert_eq!(
        direct.status(),
        StatusCode::FORBIDDEN,
        "the proxy itself is not YooKassa"
    );
    let forged_first = notify(
        &proxied.app,
        "payment.succeeded",
        &object,
        Some("185.71.76.5, 203.0.113.7"),
    )
    .await;
    assert_eq!(
        forged_first.status(),
        StatusCode::FORBIDDEN,
        "the proxy saw 203.0.113.7"
    );
    let res = notify(
        &proxied.app,
        "payment.succeeded",
        &object,
        Some("185.71.76.5"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    wait_for_status(&proxied.app, &c, &ours, "succeeded").await;
}

/// The idempotence keys of the POSTs to `path` from the `skip`-th on.
async fn keys_of_posts(yk: &YooKassaApp, path: &str, skip: usize) -> Vec<String> {
    provider_requests(&yk.server, "POST", path)
        .await
        .iter()
        .skip(skip)
        .map(|r| {
            r.headers
                .get("idempotence-key")
                .unwrap()
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn server_errors_rate_limits_and_processing_are_retried_under_the_same_key() {
    let yk = yookassa_app(&[]).await;
    yk.fake.0.lock().unwrap().fail_next = vec![500, 429];
    start(&yk, &customer(&yk.app), false).await;
    let keys = keys_of_posts(&yk, "/payments", 0).await;
    assert_eq!(keys.len(), 3, "two refusals, then the payment");
    assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
    assert_eq!(yk.fake.payment_count(), 1);

    // "Processing" (202): asked again after the delay it names.
    yk.fake.0.lock().unwrap().fail_next = vec![202];
    start(&yk, &customer(&yk.app), false).await;
    let keys = keys_of_posts(&yk, "/payments", 3).await;
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0], keys[1]);
    assert_eq!(yk.fake.payment_count(), 2);

    // Still failing after every attempt: the customer is told to retry, and the retry
    // (same idempotency key, so the same provider key) makes exactly one payment.
    yk.fake.0.lock().unwrap().fail_next = vec![503, 503, 503];
    let c = customer(&yk.app);
    let t = tariff(&yk.app, "classic").await;
    let body = json!({"tariff_id": t.id, "months": 1});
    let res = checkout(&yk.app, &c, "down", &body).await;
    assert_eq!(res.status(), StatusCode::BAD_GATEWAY);
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"]["code"], "provider_unavailable");
    assert_eq!(yk.fake.payment_count(), 2);
    let res = checkout(&yk.app, &c, "down", &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let keys = keys_of_posts(&yk, "/payments", 5).await;
    assert_eq!(keys.len(), 4);
    assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
    assert_eq!(yk.fake.payment_count(), 3);
}

#[tokio::test]
async fn a_timeout_after_yookassa_acted_finds_the_same_payment() {
    let yk = yookassa_app(&[]).await;
    let c = customer(&yk.app);
    let t = tariff(&yk.app, "classic").await;
    let body = json!({"tariff_id": t.id, "months": 1});
    yk.fake.0.lock().unwrap().slow_next = Some(Duration::from_secs(3));
    let res = checkout(&yk.app, &c, "slow", &body).await;
    assert_eq!(res.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(
        yk.fake.payment_count(),
        1,
        "YooKassa created it before we gave up"
    );

    let retry = checkout(&yk.app, &c, "slow", &body).await;
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(
        yk.fake.payment_count(),
        1,
        "found by its key, not created again"
    );
    assert_eq!(payments::Entity::find().count(&yk.app.db).await.unwrap(), 1);
}

#[tokio::test]
async fn a_refund_is_made_at_yookassa_once_and_confirmed_by_its_notification() {
    let yk = yookassa_app(&[]).await;
    let c = customer(&yk.app);
    let (ours, theirs) = start(&yk, &c, false).await;
    yk.fake.paid(&theirs);
    notify(&yk.app, "payment.succeeded", &json!({"id": theirs}), None).await;
    wait_for_status(&yk.app, &c, &ours, "succeeded").await;

    let refund = || {
        yk.app
            .client
            .post(yk.app.url(&format!("/api/v1/payments/{ours}/refund")))
            .bearer_auth(&c.token)
            .header("Idempotency-Key", "refund-once")
            .send()
    };
    let first = refund().await.unwrap();
    assert!(
        first.status().is_success(),
        "{}",
        first.text().await.unwrap()
    );
    let second = refund().await.unwrap();
    assert!(second.status().is_success());
    let posts = provider_requests(&yk.server, "POST", "/refunds").await;
    assert_eq!(posts.len(), 1, "one refund at YooKassa");
    let body: Value = serde_json::from_slice(&posts[0].body).unwrap();
    assert_eq!(body["payment_id"], theirs.as_str());
    assert_eq!(
        body["amount"],
        json!({"value": "299.00", "currency": "RUB"})
    );
    wait_for_status(&yk.app, &c, &ours, "refunded").await;

    // YooKassa's refund.succeeded notification, read back, changes nothing more.
    let refund_id = yk
        .fake
        .0
        .lock()
        .unwrap()
        .refunds
        .keys()
        .next()
        .unwrap()
        .clone();
    let res = notify(&yk.app, "refund.succeeded", &json!({"id": refund_id}), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["result"], "refund");
    // Refund notifications are stored and deduplicated like payment notifications.
    let again = notify(&yk.app, "refund.succeeded", &json!({"id": refund_id}), None).await;
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["result"], "duplicate");
    let stored = payment_events::Entity::find()
        .filter(payment_events::Column::Kind.eq("webhook.refund"))
        .all(&yk.app.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert!(stored[0].payload.as_deref().unwrap().contains(&refund_id));
    assert_eq!(subscription(&yk.app, c.id).await.status, "canceled");
}

#[tokio::test]
async fn a_renewal_charges_the_saved_card_by_its_id_without_a_page() {
    let yk = yookassa_app(&[]).await;
    let c = customer(&yk.app);
    let (ours, theirs) = start(&yk, &c, true).await;
    yk.fake.paid(&theirs);
    notify(&yk.app, "payment.succeeded", &json!({"id": theirs}), None).await;
    wait_for_status(&yk.app, &c, &ours, "succeeded").await;
    let sub = subscription(&yk.app, c.id).await;
    let token = yk.fake.0.lock().unwrap().payments[&theirs]["payment_method"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    move_to(&yk.app, sub.current_period_end - TimeDelta::hours(23));
    let pass = jobs::renew_due(&yk.app.state, 10).await.unwrap();
    assert_eq!((pass.leased, pass.renewed), (1, 1), "{pass:?}");
    let posts = provider_requests(&yk.server, "POST", "/payments").await;
    let charge: Value = serde_json::from_slice(&posts.last().unwrap().body).unwrap();
    assert_eq!(charge["payment_method_id"], token.as_str());
    assert!(charge.get("confirmation").is_none(), "{charge}");
    assert_eq!(charge["capture"], true);
    assert_eq!(
        subscription(&yk.app, c.id).await.current_period_end,
        app::domain::subscription::add_months(sub.current_period_end, 1)
    );
}

#[tokio::test]
async fn a_renewal_retried_after_yookassas_key_window_finds_its_first_charge() {
    let yk = yookassa_app(&[]).await;
    let c = customer(&yk.app);
    let (ours, theirs) = start(&yk, &c, true).await;
    yk.fake.paid(&theirs);
    notify(&yk.app, "payment.succeeded", &json!({"id": theirs}), None).await;
    wait_for_status(&yk.app, &c, &ours, "succeeded").await;
    let sub = subscription(&yk.app, c.id).await;

    // YooKassa charges the card but its answer never arrives.
    move_to(&yk.app, sub.current_period_end - TimeDelta::hours(23));
    yk.fake.0.lock().unwrap().slow_next = Some(Duration::from_secs(3));
    let pass = jobs::renew_due(&yk.app.state, 10).await.unwrap();
    assert_eq!(pass.renewed, 0, "{pass:?}");
    assert_eq!(yk.fake.payment_count(), 2, "charged at YooKassa");

    // The workers come back more than a day later: the key is forgotten at YooKassa,
    // so the same key would charge again. The charge is looked up instead.
    yk.fake.forget_keys();
    let posts_before = provider_requests(&yk.server, "POST", "/payments")
        .await
        .len();
    move_to(&yk.app, yk.app.state.clock.now() + TimeDelta::hours(25));
    let pass = jobs::renew_due(&yk.app.state, 10).await.unwrap();
    assert_eq!((pass.leased, pass.renewed), (1, 1), "{pass:?}");
    assert_eq!(yk.fake.payment_count(), 2, "not charged twice");
    assert_eq!(
        provider_requests(&yk.server, "POST", "/payments")
            .await
            .len(),
        posts_before,
        "found by the list, not posted again"
    );
    // One month bought, counted from when it was settled (the old period had ended).
    let renewed = subscription(&yk.app, c.id).await;
    let month_from_now = app::domain::subscription::add_months(yk.app.state.clock.now(), 1);
    assert!(
        (month_from_now - renewed.current_period_end).abs() < TimeDelta::seconds(5),
        "{:?}",
        renewed.current_period_end
    );
}

#[tokio::test]
async fn a_half_configured_yookassa_refuses_to_start_and_never_shows_its_secret() {
    let env = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    };
    let err = server::config::Settings::from_sources(
        None,
        "",
        env(&[
            ("KINOBILL__PAYMENTS__PROVIDER", "yookassa"),
            ("KINOBILL__YOOKASSA__SHOP_ID", SHOP),
        ]),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("KINOBILL__YOOKASSA__SECRET_KEY"), "{err}");
    assert!(err.contains("is missing"), "{err}");

    let err = server::config::Settings::from_sources(
        None,
        "",
        env(&[
            ("KINOBILL__YOOKASSA__SECRET_KEY", SECRET),
            ("KINOBILL__YOOKASSA__WEBHOOK_ALLOW", "185.71.76.0/40"),
            ("KINOBILL__YOOKASSA__SHOP_ID", SHOP),
        ]),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("KINOBILL__YOOKASSA__WEBHOOK_ALLOW"), "{err}");

    let yk = yookassa_app(&[]).await;
    let shown = format!("{:?}", yk.app.state.provider);
    assert!(shown.contains(SHOP) && !shown.contains(SECRET), "{shown}");
    let settings = server::config::Settings::from_sources(
        None,
        "",
        env(&[
            ("KINOBILL__PAYMENTS__PROVIDER", "yookassa"),
            ("KINOBILL__YOOKASSA__SHOP_ID", SHOP),
            ("KINOBILL__YOOKASSA__SECRET_KEY", SECRET),
        ]),
    )
    .unwrap();
    assert!(!format!("{settings:?}").contains(SECRET));
}

/// The sandbox's YooKassa personality as a YooKassa client sees it.
mod personality {
    use super::*;
    use crate::provider_contract::{PERSONALITY_SECRET, PERSONALITY_SHOP, personality_app};

    fn api(app: &TestApp, path: &str) -> String {
        app.url(&format!("/sandbox/yookassa/v3{path}"))
    }

    #[tokio::test]
    async fn it_answers_as_yookassa_documents_and_refuses_what_yookassa_refuses() {
        let app = personality_app().await;
        let body = json!({
            "amount": {"value": "10.00", "currency": "RUB"},
            "capture": true,
            "confirmation": {"type": "redirect", "return_url": "https://shop.example/back"},
            "description": "Order 72",
            "metadata": {"order_id": "72"}
        });
        let post = |key: Option<&str>, auth: (&str, &str), body: Value| {
            let mut req = app
                .client
                .post(api(&app, "/payments"))
                .basic_auth(auth.0, Some(auth.1))
                .json(&body);
            if let Some(k) = key {
                req = req.header("Idempotence-Key", k);
            }
            req.send()
        };
        let good = (PERSONALITY_SHOP, PERSONALITY_SECRET);

        let res = post(Some("k1"), (PERSONALITY_SHOP, "wrong"), body.clone())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let err: Value = res.json().await.unwrap();
        assert_eq!(
            (err["type"].as_str(), err["code"].as_str()),
            (Some("error"), Some("invalid_credentials"))
        );

        let res = post(None, good, body.clone()).await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["parameter"], "Idempotence-Key");

        let mut bad = body.clone();
        bad["amount"]["value"] = json!("ten");
        let res = post(Some("k2"), good, bad).await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            res.json::<Value>().await.unwrap()["parameter"],
            "amount.value"
        );

        let first: Value = post(Some("k3"), good, body.clone())
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(first["status"], "pending");
        assert_eq!(first["paid"], false);
        assert_eq!(
            first["amount"],
            json!({"value": "10.00", "currency": "RUB"})
        );
        assert_eq!(first["metadata"], json!({"order_id": "72"}));
        assert_eq!(first["confirmation"]["type"], "redirect");
        assert!(
            first["confirmation"]["confirmation_url"]
                .as_str()
                .unwrap()
                .contains("/sandbox/pay/")
        );
        let again: Value = post(Some("k3"), good, body.clone())
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(again["id"], first["id"], "the same key is the same payment");

        let read = app
            .client
            .get(api(
                &app,
                &format!("/payments/{}", first["id"].as_str().unwrap()),
            ))
            .basic_auth(good.0, Some(good.1))
            .send()
            .await
            .unwrap();
        assert_eq!(read.json::<Value>().await.unwrap(), first);
        let missing = app
            .client
            .get(api(&app, "/payments/sbx_nothing"))
            .basic_auth(good.0, Some(good.1))
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        assert_eq!(missing.json::<Value>().await.unwrap()["code"], "not_found");
    }

    #[tokio::test]
    async fn a_purchase_settles_from_its_own_notification() {
        let app = personality_app().await;
        let c = customer(&app);
        let t = tariff(&app, "classic").await;
        let res = checkout(&app, &c, "p1", &json!({"tariff_id": t.id, "months": 1})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let answer: Value = res.json().await.unwrap();
        let ours = answer["payment"]["id"].as_str().unwrap();
        let url = answer["payment"]["confirmation_url"].as_str().unwrap();
        assert!(url.contains("/sandbox/pay/"), "{url}");
        let paid = crate::checkout_api::pay(&app, url, "4242424242424242").await;
        assert_eq!(paid.status(), StatusCode::SEE_OTHER);
        wait_for_status(&app, &c, ours, "succeeded").await;
        // Settled by YooKassa's notification, as YooKassa words it.
        let lines = payment_events::Entity::find()
            .filter(payment_events::Column::Kind.eq("webhook.succeeded"))
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(lines.len(), 1);
        let note: Value = serde_json::from_str(lines[0].payload.as_deref().unwrap()).unwrap();
        assert_eq!(
            (note["type"].as_str(), note["event"].as_str()),
            (Some("notification"), Some("payment.succeeded"))
        );
        assert_eq!(note["object"]["metadata"]["kinobill_payment_id"], ours);
    }

    #[tokio::test]
    async fn lists_page_newest_first_and_nothing_waits_for_capture() {
        let app = personality_app().await;
        let good = (PERSONALITY_SHOP, PERSONALITY_SECRET);
        let mut ids = Vec::new();
        for n in 0..3 {
            let created: Value = app
                .client
                .post(api(&app, "/payments"))
                .basic_auth(good.0, Some(good.1))
                .header("Idempotence-Key", format!("list-{n}"))
                .json(&json!({
                    "amount": {"value": "10.00", "currency": "RUB"},
                    "capture": true,
                    "confirmation": {"type": "redirect", "return_url": "https://shop.example/"},
                }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            ids.push(created["id"].as_str().unwrap().to_string());
            // Distinct creation times: the list's order is theirs.
            crate::lifecycle_api::move_to(&app, app.state.clock.now() + TimeDelta::seconds(1));
        }
        let get = |path: String| {
            app.client
                .get(api(&app, &path))
                .basic_auth(good.0, Some(good.1))
                .send()
        };
        let first: Value = get("/payments?limit=2".into())
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(first["type"], "list");
        let page: Vec<&str> = first["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap())
            .collect();
        assert_eq!(page, [ids[2].as_str(), ids[1].as_str()]);
        let cursor = first["next_cursor"].as_str().unwrap();
        let second: Value = get(format!("/payments?limit=2&cursor={cursor}"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(second["items"].as_array().unwrap().len(), 1);
        assert_eq!(second["items"][0]["id"], ids[0].as_str());
        assert!(
            second.get("next_cursor").is_none(),
            "the last page has no cursor"
        );
        let none: Value = get("/payments?status=succeeded".into())
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(none["items"], json!([]));
        for bad in [
            "/payments?limit=0",
            "/payments?cursor=%%%",
            "/payments?status=paid",
            "/payments?created_at.gte=yesterday",
        ] {
            let res = get(bad.into()).await.unwrap();
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
            assert_eq!(
                res.json::<Value>().await.unwrap()["code"],
                "invalid_request",
                "{bad}"
            );
        }

        // Paid, refunded: the refund is listed under its payment.
        let url = format!("{}/sandbox/pay/{}", app.address, ids[0]);
        let paid = crate::checkout_api::pay(&app, &url, "4242424242424242").await;
        assert_eq!(paid.status(), StatusCode::SEE_OTHER);
        let refund: Value = app
            .client
            .post(api(&app, "/refunds"))
            .basic_auth(good.0, Some(good.1))
            .header("Idempotence-Key", "list-refund")
            .json(&json!({"payment_id": ids[0], "amount": {"value": "10.00", "currency": "RUB"}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let refunds: Value = get(format!("/refunds?payment_id={}", ids[0]))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(refunds["items"][0]["id"], refund["id"]);
        assert_eq!(
            refunds["items"][0]["amount"],
            json!({"value": "10.00", "currency": "RUB"})
        );
        let other: Value = get(format!("/refunds?payment_id={}", ids[1]))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(other["items"], json!([]));

        // One-stage payments never wait for capture: capture and cancel are refused.
        for (id, action) in [(&ids[0], "capture"), (&ids[1], "cancel")] {
            let res = app
                .client
                .post(api(&app, &format!("/payments/{id}/{action}")))
                .basic_auth(good.0, Some(good.1))
                .header("Idempotence-Key", format!("{action}-1"))
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{action}");
            let err: Value = res.json().await.unwrap();
            assert!(
                err["description"].as_str().unwrap().contains("can't be"),
                "{err}"
            );
        }
    }
}
