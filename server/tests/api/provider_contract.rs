//! The provider contract: the same scenarios, run against every adapter through the
//! real app (the sandbox in-process; YooKassa and CloudPayments through their real HTTP
//! clients against fakes of their APIs, and YooKassa also against this server's own
//! YooKassa personality). A harness knows only what the provider's side
//! does: the customer paying on its page, its notifications, its failures. What the
//! scenarios check is ours: access is granted once, money moves once, retries never
//! make a second charge or refund.

use std::marker::PhantomData;

use chrono::TimeDelta;
use entity::{sandbox_payments, sandbox_refunds};
use reqwest::StatusCode;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::checkout_api::{self, Customer, checkout, customer, tariff, wait_for_status};
use crate::cloudpayments_api::{self as cp, CpApp, cloudpayments_app};
use crate::helpers::{TestApp, spawn_clocked};
use crate::lifecycle_api::{move_to, subscription};
use crate::yookassa_api::{self as yk, YooKassaApp, yookassa_app};

/// What happens on the provider's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Paid; the notification comes once.
    Paid,
    /// Paid; notifications come duplicated and out of order.
    PaidNoisily,
    /// The bank declines the card.
    Declined,
}

/// One provider under test.
pub trait Harness: Sized {
    async fn spawn() -> Self;
    fn app(&self) -> &TestApp;
    /// The customer settles the checkout `answer` on the provider's page.
    async fn pay(&self, answer: &Value, outcome: Outcome);
    /// The provider's next `n` API calls fail (429 or 5xx; the sandbox's are 5xx).
    fn fail_next(&self, n: u32);
    /// The provider's next payment is created, but its answer comes after our timeout.
    fn answer_next_too_late(&self);
    /// Payments (orders) and refunds made at the provider.
    async fn provider_payments(&self) -> usize;
    async fn provider_refunds(&self) -> usize;
}

/// The customer enters the test card for `outcome` on the sandbox's hosted page (a page
/// that no longer offers the form takes nothing).
async fn pay_on_page(app: &TestApp, answer: &Value, outcome: Outcome) {
    let card = match outcome {
        Outcome::Paid => "4242424242424242",
        Outcome::PaidNoisily => "4000000000000259",
        Outcome::Declined => "4000000000000002",
    };
    let url = answer["payment"]["confirmation_url"].as_str().unwrap();
    let path = format!("/sandbox/{}", url.split_once("/sandbox/").unwrap().1);
    let page = app.client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    if !page.text().await.unwrap().contains("Card number") {
        return;
    }
    let res = app
        .client
        .post(app.url(&path))
        .form(&[("card_number", card)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

/// An app whose provider side is this server's own sandbox: directly, or through
/// one of its personalities with the real adapter in front.
pub trait SandboxSide {
    async fn start() -> TestApp;
}

/// The sandbox as the provider.
pub struct Direct;

impl SandboxSide for Direct {
    async fn start() -> TestApp {
        spawn_clocked(&[]).await
    }
}

/// The real YooKassa adapter against this server's own YooKassa personality: the
/// sandbox's page and cards, its notifications sent as YooKassa sends them.
pub struct YooKassaPersonality;

pub const PERSONALITY_SHOP: &str = "100500";
pub const PERSONALITY_SECRET: &str = "test_personality_secret_key";

pub async fn personality_app() -> TestApp {
    spawn_clocked(&[
        ("KINOBILL__PAYMENTS__PROVIDER", "yookassa"),
        ("KINOBILL__YOOKASSA__SHOP_ID", PERSONALITY_SHOP),
        ("KINOBILL__YOOKASSA__SECRET_KEY", PERSONALITY_SECRET),
        ("KINOBILL__YOOKASSA__API_URL", "/sandbox/yookassa/v3"),
        ("KINOBILL__YOOKASSA__TIMEOUT", "PT2S"),
    ])
    .await
}

impl SandboxSide for YooKassaPersonality {
    async fn start() -> TestApp {
        personality_app().await
    }
}

/// The real CloudPayments adapter against this server's own CloudPayments personality:
/// the hosted page asks our Check URL before taking a card, and Pay, Fail and Refund
/// come signed with `Content-HMAC` from the sandbox.
pub struct CloudPaymentsPersonality;

pub const CP_PERSONALITY_PUBLIC_ID: &str = "pk_personality";
pub const CP_PERSONALITY_SECRET: &str = "cp_personality_api_secret";

pub async fn cloudpayments_personality_app() -> TestApp {
    spawn_clocked(&[
        ("KINOBILL__PAYMENTS__PROVIDER", "cloudpayments"),
        (
            "KINOBILL__CLOUDPAYMENTS__PUBLIC_ID",
            CP_PERSONALITY_PUBLIC_ID,
        ),
        ("KINOBILL__CLOUDPAYMENTS__API_SECRET", CP_PERSONALITY_SECRET),
        ("KINOBILL__CLOUDPAYMENTS__API_URL", "/sandbox/cloudpayments"),
        ("KINOBILL__CLOUDPAYMENTS__TIMEOUT", "PT2S"),
    ])
    .await
}

impl SandboxSide for CloudPaymentsPersonality {
    async fn start() -> TestApp {
        cloudpayments_personality_app().await
    }
}

pub struct SandboxHarness<S>(TestApp, PhantomData<S>);

impl<S: SandboxSide> Harness for SandboxHarness<S> {
    async fn spawn() -> Self {
        SandboxHarness(S::start().await, PhantomData)
    }
    fn app(&self) -> &TestApp {
        &self.0
    }
    async fn pay(&self, answer: &Value, outcome: Outcome) {
        pay_on_page(&self.0, answer, outcome).await
    }
    fn fail_next(&self, n: u32) {
        self.0
            .state
            .sandbox
            .as_ref()
            .unwrap()
            .set_faults(app::ssr::providers::sandbox::Faults {
                unavailable: n,
                ..Default::default()
            });
    }
    fn answer_next_too_late(&self) {
        self.0
            .state
            .sandbox
            .as_ref()
            .unwrap()
            .set_faults(app::ssr::providers::sandbox::Faults {
                timeout_after_create: 1,
                ..Default::default()
            });
    }
    async fn provider_payments(&self) -> usize {
        sandbox_payments::Entity::find()
            .count(&self.0.db)
            .await
            .unwrap() as usize
    }
    async fn provider_refunds(&self) -> usize {
        sandbox_refunds::Entity::find()
            .count(&self.0.db)
            .await
            .unwrap() as usize
    }
}

/// `n` refusals of a provider under strain: "too many requests" and server errors in
/// turn, each of which the adapter must retry under the same key.
fn outage(n: u32) -> Vec<u16> {
    (0..n).map(|i| if i % 2 == 0 { 429 } else { 503 }).collect()
}

pub struct YooKassaHarness(YooKassaApp);

impl Harness for YooKassaHarness {
    async fn spawn() -> Self {
        YooKassaHarness(yookassa_app(&[]).await)
    }
    fn app(&self) -> &TestApp {
        &self.0.app
    }
    async fn pay(&self, answer: &Value, outcome: Outcome) {
        let url = answer["payment"]["confirmation_url"].as_str().unwrap();
        let theirs = url.rsplit_once("orderId=").unwrap().1;
        let object = json!({"id": theirs});
        let notify = |event: &'static str| yk::notify(&self.0.app, event, &object, None);
        match outcome {
            Outcome::Paid => {
                self.0.fake.paid(theirs);
                assert_eq!(notify("payment.succeeded").await.status(), StatusCode::OK);
            }
            Outcome::PaidNoisily => {
                // A notification before YooKassa's API agrees, then the real one twice
                // and a late stage's.
                assert_eq!(notify("payment.succeeded").await.status(), StatusCode::OK);
                self.0.fake.paid(theirs);
                for event in [
                    "payment.succeeded",
                    "payment.succeeded",
                    "payment.waiting_for_capture",
                ] {
                    assert_eq!(notify(event).await.status(), StatusCode::OK);
                }
            }
            Outcome::Declined => {
                self.0.fake.declined(theirs, "general_decline");
                assert_eq!(notify("payment.canceled").await.status(), StatusCode::OK);
            }
        }
    }
    fn fail_next(&self, n: u32) {
        self.0.fake.0.lock().unwrap().fail_next = outage(n);
    }
    fn answer_next_too_late(&self) {
        self.0.fake.0.lock().unwrap().slow_next = Some(std::time::Duration::from_secs(3));
    }
    async fn provider_payments(&self) -> usize {
        self.0.fake.payment_count()
    }
    async fn provider_refunds(&self) -> usize {
        self.0.fake.0.lock().unwrap().refunds.len()
    }
}

pub struct CloudPaymentsHarness(CpApp);

impl Harness for CloudPaymentsHarness {
    async fn spawn() -> Self {
        CloudPaymentsHarness(cloudpayments_app().await)
    }
    fn app(&self) -> &TestApp {
        &self.0.app
    }
    async fn pay(&self, answer: &Value, outcome: Outcome) {
        let ours = answer["payment"]["id"].as_str().unwrap();
        let send = |kind: &'static str, tx: Value| async move {
            let res = cp::notify(&self.0.app, kind, &cp::form(&tx), cp::SECRET).await;
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(res.json::<Value>().await.unwrap()["code"], 0);
        };
        match outcome {
            Outcome::Paid => send("pay", self.0.fake.attempt(ours, None)).await,
            Outcome::PaidNoisily => {
                // A declined first attempt whose Fail arrives after the Pay of the
                // second, and the Pay twice.
                let declined = self.0.fake.attempt(ours, Some(5051));
                let paid = self.0.fake.attempt(ours, None);
                send("pay", paid.clone()).await;
                send("fail", declined).await;
                send("pay", paid).await;
            }
            Outcome::Declined => send("fail", self.0.fake.attempt(ours, Some(5005))).await,
        }
    }
    fn fail_next(&self, n: u32) {
        self.0.fake.0.lock().unwrap().fail_next = outage(n);
    }
    fn answer_next_too_late(&self) {
        self.0.fake.0.lock().unwrap().slow_next = Some(std::time::Duration::from_secs(3));
    }
    async fn provider_payments(&self) -> usize {
        self.0.fake.0.lock().unwrap().orders.len()
    }
    async fn provider_refunds(&self) -> usize {
        self.0.fake.0.lock().unwrap().refunds.len()
    }
}

async fn open_checkout<H: Harness>(h: &H, c: &Customer, save: bool) -> Value {
    let t = tariff(h.app(), "classic").await;
    let res = checkout(
        h.app(),
        c,
        &Uuid::new_v4().to_string(),
        &json!({"tariff_id": t.id, "months": 1, "save_payment_method": save}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

fn id(answer: &Value) -> &str {
    answer["payment"]["id"].as_str().unwrap()
}

pub async fn a_purchase_is_settled_once_whatever_the_notifications_do<H: Harness>() {
    let h = H::spawn().await;
    let c = customer(h.app());
    let answer = open_checkout(&h, &c, false).await;
    h.pay(&answer, Outcome::PaidNoisily).await;
    wait_for_status(h.app(), &c, id(&answer), "succeeded").await;
    let sub = subscription(h.app(), c.id).await;
    assert_eq!(sub.status, "active");
    assert_eq!(
        sub.current_period_end,
        app::domain::subscription::add_months(sub.current_period_start, 1),
        "one month, not one per notification"
    );
    assert_eq!(h.provider_payments().await, 1);
}

pub async fn a_decline_fails_the_payment_with_a_reason<H: Harness>() {
    let h = H::spawn().await;
    let c = customer(h.app());
    let answer = open_checkout(&h, &c, false).await;
    h.pay(&answer, Outcome::Declined).await;
    let p = wait_for_status(h.app(), &c, id(&answer), "failed").await;
    assert!(
        !p["failure_code"].as_str().unwrap_or_default().is_empty(),
        "{p}"
    );
    assert!(
        !p["failure_message"].as_str().unwrap_or_default().is_empty(),
        "{p}"
    );
}

pub async fn a_provider_outage_is_retried_under_the_same_key<H: Harness>() {
    let h = H::spawn().await;
    let c = customer(h.app());
    let t = tariff(h.app(), "classic").await;
    let body = json!({"tariff_id": t.id, "months": 1});
    h.fail_next(2);
    // The customer retries with the same key until it goes through (an adapter that
    // retries by itself gets there on the first try).
    let mut created = None;
    for _ in 0..3 {
        let res = checkout(h.app(), &c, "outage", &body).await;
        if res.status() == StatusCode::CREATED {
            created = Some(res.json::<Value>().await.unwrap());
            break;
        }
        assert_eq!(res.status(), StatusCode::BAD_GATEWAY);
    }
    let answer = created.expect("the checkout went through");
    assert_eq!(
        h.provider_payments().await,
        1,
        "one payment at the provider"
    );
    h.pay(&answer, Outcome::Paid).await;
    wait_for_status(h.app(), &c, id(&answer), "succeeded").await;
}

pub async fn a_timeout_after_the_provider_acted_finds_the_same_payment<H: Harness>() {
    let h = H::spawn().await;
    let c = customer(h.app());
    let t = tariff(h.app(), "classic").await;
    let body = json!({"tariff_id": t.id, "months": 1});
    h.answer_next_too_late();
    let res = checkout(h.app(), &c, "late", &body).await;
    assert_eq!(res.status(), StatusCode::BAD_GATEWAY, "no answer in time");
    assert_eq!(h.provider_payments().await, 1, "the provider acted");
    // The customer's retry with the same key finds that payment, and pays it.
    let retry = checkout(h.app(), &c, "late", &body).await;
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(h.provider_payments().await, 1, "found, not created again");
    let answer: Value = retry.json().await.unwrap();
    h.pay(&answer, Outcome::Paid).await;
    wait_for_status(h.app(), &c, id(&answer), "succeeded").await;
    assert_eq!(subscription(h.app(), c.id).await.status, "active");
}

pub async fn a_replaced_checkout_never_buys_anything<H: Harness>() {
    let h = H::spawn().await;
    let c = customer(h.app());
    let first = open_checkout(&h, &c, false).await;
    let second = open_checkout(&h, &c, false).await;
    // The customer pays the replaced checkout's page anyway (kept open in another tab):
    // the provider refuses it, or takes the money and it is given back.
    h.pay(&first, Outcome::Paid).await;
    let mut old = Value::Null;
    for _ in 0..100 {
        old = checkout_api::payment(h.app(), &c, id(&first)).await;
        if ["canceled", "failed", "refunded"].contains(&old["status"].as_str().unwrap()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let refunded = match old["status"].as_str().unwrap() {
        "refunded" => 1,
        "canceled" | "failed" => 0,
        other => panic!("the replaced payment is {other}: {old}"),
    };
    assert_eq!(h.provider_refunds().await, refunded, "{old}");
    h.pay(&second, Outcome::Paid).await;
    wait_for_status(h.app(), &c, id(&second), "succeeded").await;
    let sub = subscription(h.app(), c.id).await;
    assert_eq!(
        sub.current_period_end,
        app::domain::subscription::add_months(sub.current_period_start, 1),
        "one month bought, once"
    );
}

pub async fn a_refund_is_made_once<H: Harness>() {
    let h = H::spawn().await;
    let c = customer(h.app());
    let answer = open_checkout(&h, &c, false).await;
    h.pay(&answer, Outcome::Paid).await;
    wait_for_status(h.app(), &c, id(&answer), "succeeded").await;
    for _ in 0..3 {
        let res = h
            .app()
            .client
            .post(
                h.app()
                    .url(&format!("/api/v1/payments/{}/refund", id(&answer))),
            )
            .bearer_auth(&c.token)
            .header("Idempotency-Key", "contract-refund")
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{}", res.status());
    }
    wait_for_status(h.app(), &c, id(&answer), "refunded").await;
    assert_eq!(h.provider_refunds().await, 1);
    assert_eq!(subscription(h.app(), c.id).await.status, "canceled");
}

pub async fn a_saved_card_pays_the_next_period<H: Harness>() {
    let h = H::spawn().await;
    let c = customer(h.app());
    let answer = open_checkout(&h, &c, true).await;
    h.pay(&answer, Outcome::Paid).await;
    wait_for_status(h.app(), &c, id(&answer), "succeeded").await;
    let sub = subscription(h.app(), c.id).await;
    assert!(sub.auto_renew && sub.payment_method_id.is_some());
    move_to(h.app(), sub.current_period_end - TimeDelta::hours(23));
    let pass = app::ssr::jobs::renew_due(&h.app().state, 10).await.unwrap();
    assert_eq!((pass.leased, pass.renewed), (1, 1), "{pass:?}");
    let again = app::ssr::jobs::renew_due(&h.app().state, 10).await.unwrap();
    assert_eq!(again.leased, 0, "renewed once");
    assert_eq!(
        subscription(h.app(), c.id).await.current_period_end,
        app::domain::subscription::add_months(sub.current_period_end, 1)
    );
}

macro_rules! contract {
    ($provider:ident, $harness:ty) => {
        mod $provider {
            use super::*;

            #[tokio::test]
            async fn a_purchase_is_settled_once_whatever_the_notifications_do() {
                super::a_purchase_is_settled_once_whatever_the_notifications_do::<$harness>().await
            }

            #[tokio::test]
            async fn a_decline_fails_the_payment_with_a_reason() {
                super::a_decline_fails_the_payment_with_a_reason::<$harness>().await
            }

            #[tokio::test]
            async fn a_provider_outage_is_retried_under_the_same_key() {
                super::a_provider_outage_is_retried_under_the_same_key::<$harness>().await
            }

            #[tokio::test]
            async fn a_timeout_after_the_provider_acted_finds_the_same_payment() {
                super::a_timeout_after_the_provider_acted_finds_the_same_payment::<$harness>().await
            }

            #[tokio::test]
            async fn a_replaced_checkout_never_buys_anything() {
                super::a_replaced_checkout_never_buys_anything::<$harness>().await
            }

            #[tokio::test]
            async fn a_refund_is_made_once() {
                super::a_refund_is_made_once::<$harness>().await
            }

            #[tokio::test]
            async fn a_saved_card_pays_the_next_period() {
                super::a_saved_card_pays_the_next_period::<$harness>().await
            }
        }
    };
}

contract!(sandbox, SandboxHarness<Direct>);
contract!(yookassa, YooKassaHarness);
contract!(yookassa_personality, SandboxHarness<YooKassaPersonality>);
contract!(cloudpayments, CloudPaymentsHarness);
contract!(
    cloudpayments_personality,
    SandboxHarness<CloudPaymentsPersonality>
);
