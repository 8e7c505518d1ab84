//! The billing state machine under random use: sequences of checkouts, payments,
//! declines, abandoned payments, refunds (in and out of the window), duplicated and
//! replayed webhooks, renewals, failing cards, provider faults, clock moves and tariff
//! switches for two customers, with `integrity::audit` run after every step. Any
//! broken invariant, any 500 and any panic fails the case, and proptest shrinks the
//! sequence to the shortest one that still fails.
//!
//! Each case runs on its own copy of one migrated, seeded database. Cases:
//! `BILLING_MACHINE_CASES` (2,000 on SQLite and 25 on PostgreSQL by default; `make soak`
//! runs many more on PostgreSQL).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use app::ssr::jobs;
use app::ssr::outbox::Destination;
use app::ssr::providers::sandbox::signature;
use app::ssr::providers::sandbox::{Faults, Sandbox};
use chrono::TimeDelta;
use entity::{payment_methods, sandbox_webhooks, subscriptions, tariffs};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::checkout_api::{Customer, customer};
use crate::helpers::{Backend, TestApp, TestDb, backend, spawn_on, test_settings_with};
use crate::lifecycle_api::{CARD_DECLINED, CARD_OK};

const CUSTOMERS: usize = 2;
const TARIFFS: [&str; 3] = ["classic", "premium", "family"];
const PROMOS: [&str; 2] = ["ONCE", "LASTONE"];

// Where the time goes (printed at the end with what the sequences reached).
static SPAWN_US: AtomicU64 = AtomicU64::new(0);
static OPS_US: AtomicU64 = AtomicU64::new(0);
static AUDIT_US: AtomicU64 = AtomicU64::new(0);
/// What the sequences reached (printed at the end, so a run shows it was not vacuous).
static REACHED: std::sync::Mutex<std::collections::BTreeMap<String, u64>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

fn reached(what: impl Into<String>, n: u64) {
    *REACHED.lock().unwrap().entry(what.into()).or_default() += n;
}

static PER_OP: std::sync::Mutex<std::collections::BTreeMap<String, (u64, u64)>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

#[derive(Debug, Clone, Copy)]
enum Card {
    Ok,
    Declined,
}

#[derive(Debug, Clone)]
enum Op {
    Checkout {
        customer: usize,
        tariff: usize,
        months: u32,
        promo: Option<usize>,
        save_card: bool,
    },
    /// The customer enters a card on the hosted page of one of their payments.
    Pay {
        customer: usize,
        nth: usize,
        card: Card,
    },
    /// The customer leaves the hosted page with "Cancel".
    Abandon {
        customer: usize,
        nth: usize,
    },
    /// The customer's browser comes back and asks about a payment (a poll).
    Poll {
        customer: usize,
        nth: usize,
    },
    Refund {
        customer: usize,
        nth: usize,
    },
    /// One of the webhooks already sent arrives again (a duplicate, out of order).
    Replay {
        nth: usize,
    },
    AutoRenew {
        customer: usize,
        on: bool,
    },
    /// A switch from the next period (`None` cancels a scheduled one).
    Switch {
        customer: usize,
        tariff: Option<usize>,
    },
    /// The customer's saved card starts declining.
    CardFails {
        customer: usize,
    },
    /// The provider's next call fails in one of the ways it can.
    Fault(FaultKind),
    /// Time passes and the worker runs every job once.
    Tick {
        minutes: i64,
    },
    /// Time runs to `hours` around the end of the customer's period (renewal window,
    /// grace, expiry), and the worker runs every job once.
    ToPeriodEnd {
        customer: usize,
        hours: i64,
    },
}

#[derive(Debug, Clone, Copy)]
enum FaultKind {
    Unavailable,
    TimeoutAfterCreate,
    TimeoutAfterRefund,
}

fn op() -> impl Strategy<Value = Op> {
    let c = 0..CUSTOMERS;
    let nth = 0usize..4;
    prop_oneof![
        4 => (c.clone(), 0..TARIFFS.len(), prop::sample::select(vec![1u32, 3, 12]),
              prop::option::weighted(0.3, 0..PROMOS.len()), prop::bool::weighted(0.75))
            .prop_map(|(customer, tariff, months, promo, save_card)| Op::Checkout {
                customer, tariff, months, promo, save_card,
            }),
        // Mostly the latest checkout (the one a customer would pay), sometimes an older page.
        5 => (c.clone(), prop_oneof![3 => Just(0usize), 1 => nth.clone()],
              prop_oneof![4 => Just(Card::Ok), 1 => Just(Card::Declined)])
            .prop_map(|(customer, nth, card)| Op::Pay { customer, nth, card }),
        1 => (c.clone(), nth.clone()).prop_map(|(customer, nth)| Op::Abandon { customer, nth }),
        1 => (c.clone(), nth.clone()).prop_map(|(customer, nth)| Op::Poll { customer, nth }),
        2 => (c.clone(), nth.clone()).prop_map(|(customer, nth)| Op::Refund { customer, nth }),
        2 => (0usize..8).prop_map(|nth| Op::Replay { nth }),
        1 => (c.clone(), any::<bool>()).prop_map(|(customer, on)| Op::AutoRenew { customer, on }),
        1 => (c.clone(), prop::option::of(0..TARIFFS.len()))
            .prop_map(|(customer, tariff)| Op::Switch { customer, tariff }),
        1 => c.clone().prop_map(|customer| Op::CardFails { customer }),
        1 => prop_oneof![
            Just(FaultKind::Unavailable),
            Just(FaultKind::TimeoutAfterCreate),
            Just(FaultKind::TimeoutAfterRefund),
        ].prop_map(Op::Fault),
        3 => prop_oneof![
            // Minutes (webhook retries, polls), a day or two (refund window, grace),
            // a month (renewals, expiry).
            2 => 1i64..120,
            2 => 60 * 20..60 * 72i64,
            1 => 60 * 24 * 25..60 * 24 * 40i64,
        ].prop_map(|minutes| Op::Tick { minutes }),
        2 => (c.clone(), -30i64..80).prop_map(|(customer, hours)| Op::ToPeriodEnd { customer, hours }),
    ]
}

/// What the sequence has created so far, to aim later steps at it.
struct World {
    app: TestApp,
    sandbox: Arc<Sandbox>,
    customers: Vec<Customer>,
    /// Every checkout's payment: (customer, payment id, provider payment id).
    payments: Vec<(usize, String, Option<String>)>,
    tariffs: Vec<Uuid>,
}

type Step = Result<(), TestCaseError>;

fn fail(msg: String) -> TestCaseError {
    TestCaseError::fail(msg)
}

impl World {
    fn nth_payment(&self, customer: usize, nth: usize) -> Option<(String, Option<String>)> {
        let mine: Vec<_> = self
            .payments
            .iter()
            .filter(|(c, _, _)| *c == customer)
            .collect();
        // Counted from the newest: 0 is the latest checkout.
        let (_, id, provider_id) = mine.iter().rev().nth(nth % mine.len().max(1))?;
        Some((id.clone(), provider_id.clone()))
    }

    /// Sends `request` as `customer` (with a fresh idempotency key) and checks the answer.
    async fn send(
        &self,
        what: &str,
        customer: usize,
        request: reqwest::RequestBuilder,
    ) -> Result<Value, TestCaseError> {
        let res = request
            .bearer_auth(&self.customers[customer].token)
            .header("Idempotency-Key", Uuid::new_v4().to_string())
            .send()
            .await
            .map_err(|e| fail(format!("{what}: {e}")))?;
        self.answered(what, res).await
    }

    /// No answer of ours is a 500: a user's mistake is a 4xx, a provider's outage a 502/503.
    async fn answered(&self, what: &str, res: reqwest::Response) -> Result<Value, TestCaseError> {
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            return Err(fail(format!("{what}: 500 {body}")));
        }
        match body["error"]["code"].as_str() {
            Some(code) => reached(format!("{what} refused: {code}"), 1),
            None => reached(format!("{what} {}", status.as_u16()), 1),
        }
        if status.is_client_error() && body["error"]["code"].as_str().is_none() {
            return Err(fail(format!(
                "{what}: {status} without an error code: {body}"
            )));
        }
        Ok(if status.is_success() {
            body
        } else {
            Value::Null
        })
    }

    async fn apply(&mut self, op: &Op) -> Step {
        let app = &self.app;
        match *op {
            Op::Checkout {
                customer,
                tariff,
                months,
                promo,
                save_card,
            } => {
                let mut body = json!({
                    "tariff_id": self.tariffs[tariff],
                    "months": months,
                    "save_payment_method": save_card,
                });
                if let Some(p) = promo {
                    body["promo_code"] = json!(PROMOS[p]);
                }
                let request = app.client.post(app.url("/api/v1/checkout")).json(&body);
                let answer = self.send("checkout", customer, request).await?;
                if let Some(id) = answer["payment"]["id"].as_str() {
                    let provider_id = answer["payment"]["confirmation_url"]
                        .as_str()
                        .and_then(|u| u.rsplit_once("/sandbox/pay/"))
                        .map(|(_, id)| id.to_string());
                    self.payments.push((customer, id.to_string(), provider_id));
                }
            }
            Op::Pay {
                customer,
                nth,
                card,
            } => {
                if let Some((_, Some(provider_id))) = self.nth_payment(customer, nth) {
                    let number = match card {
                        Card::Ok => CARD_OK,
                        Card::Declined => CARD_DECLINED,
                    };
                    self.sandbox
                        .pay(&provider_id, number)
                        .await
                        .map_err(|e| fail(format!("sandbox pay: {e}")))?;
                    self.deliver().await?;
                }
            }
            Op::Abandon { customer, nth } => {
                if let Some((_, Some(provider_id))) = self.nth_payment(customer, nth) {
                    self.sandbox
                        .cancel(&provider_id)
                        .await
                        .map_err(|e| fail(format!("sandbox cancel: {e}")))?;
                    self.deliver().await?;
                }
            }
            Op::Poll { customer, nth } => {
                if let Some((id, _)) = self.nth_payment(customer, nth) {
                    let request = app.client.get(app.url(&format!("/api/v1/payments/{id}")));
                    self.send("poll", customer, request).await?;
                }
            }
            Op::Refund { customer, nth } => {
                if let Some((id, _)) = self.nth_payment(customer, nth) {
                    let request = app
                        .client
                        .post(app.url(&format!("/api/v1/payments/{id}/refund")))
                        .json(&json!({}));
                    self.send("refund", customer, request).await?;
                    self.deliver().await?;
                }
            }
            Op::Replay { nth } => {
                let sent = sandbox_webhooks::Entity::find()
                    .filter(sandbox_webhooks::Column::DeliveredAt.is_not_null())
                    .order_by_asc(sandbox_webhooks::Column::CreatedAt)
                    .all(&app.db)
                    .await
                    .map_err(|e| fail(e.to_string()))?;
                if !sent.is_empty() {
                    let w = &sent[nth % sent.len()];
                    let header = signature::sign(
                        self.sandbox.secret(),
                        w.payload.as_bytes(),
                        app.state.clock.now(),
                    );
                    let res = app
                        .client
                        .post(app.url("/api/v1/webhooks/sandbox"))
                        .header("content-type", "application/json")
                        .header(signature::HEADER, header)
                        .body(w.payload.clone())
                        .send()
                        .await
                        .map_err(|e| fail(e.to_string()))?;
                    if !res.status().is_success() {
                        return Err(fail(format!("replayed webhook: {}", res.status())));
                    }
                }
            }
            Op::AutoRenew { customer, on } => {
                self.patch_subscription(customer, json!({ "auto_renew": on }))
                    .await?;
            }
            Op::Switch { customer, tariff } => {
                let next = tariff.map(|t| self.tariffs[t]);
                self.patch_subscription(customer, json!({ "next_tariff_id": next }))
                    .await?;
            }
            Op::CardFails { customer } => {
                let sub = subscriptions::Entity::find()
                    .filter(subscriptions::Column::CustomerId.eq(self.customers[customer].id))
                    .one(&app.db)
                    .await
                    .map_err(|e| fail(e.to_string()))?;
                if let Some(method_id) = sub.and_then(|s| s.payment_method_id) {
                    let method = payment_methods::Entity::find_by_id(method_id)
                        .one(&app.db)
                        .await
                        .map_err(|e| fail(e.to_string()))?
                        .ok_or_else(|| fail("a saved card without its row".into()))?;
                    self.sandbox
                        .set_card_number(&method.provider_token, CARD_DECLINED)
                        .await
                        .map_err(|e| fail(e.to_string()))?;
                }
            }
            Op::Fault(kind) => {
                let mut faults = Faults::default();
                match kind {
                    FaultKind::Unavailable => faults.unavailable = 1,
                    FaultKind::TimeoutAfterCreate => faults.timeout_after_create = 1,
                    FaultKind::TimeoutAfterRefund => faults.timeout_after_refund = 1,
                }
                self.sandbox.set_faults(faults);
            }
            Op::Tick { minutes } => {
                let clock = app.test_clock.clone().expect("the test clock");
                clock.advance(TimeDelta::minutes(minutes));
                self.run_jobs().await?;
            }
            Op::ToPeriodEnd { customer, hours } => {
                let sub = subscriptions::Entity::find()
                    .filter(subscriptions::Column::CustomerId.eq(self.customers[customer].id))
                    .one(&app.db)
                    .await
                    .map_err(|e| fail(e.to_string()))?;
                if let Some(sub) = sub {
                    let to = sub.current_period_end + TimeDelta::hours(hours);
                    let by = to - app.state.clock.now();
                    if by > TimeDelta::zero() {
                        app.test_clock.clone().expect("the test clock").advance(by);
                    }
                    self.run_jobs().await?;
                }
            }
        }
        Ok(())
    }

    async fn patch_subscription(&self, customer: usize, body: Value) -> Step {
        let app = &self.app;
        let request = app
            .client
            .patch(app.url("/api/v1/me/subscription"))
            .json(&body);
        self.send("subscription change", customer, request)
            .await
            .map(drop)
    }

    /// The sandbox sends what is due (our webhook endpoint settles it).
    async fn deliver(&self) -> Step {
        self.sandbox
            .deliver_due(100)
            .await
            .map(drop)
            .map_err(|e| fail(format!("webhook delivery: {e}")))
    }

    /// One pass of the worker: every job once, in the worker's order.
    async fn run_jobs(&self) -> Step {
        let state = &self.app.state;
        let job =
            |name: &'static str| move |e: app::ssr::ServiceError| fail(format!("{name}: {e:#}"));
        jobs::reconcile_pending(state, TimeDelta::minutes(15), 100)
            .await
            .map_err(job("reconcile"))?;
        jobs::reconcile_pending_refunds(state, 100)
            .await
            .map_err(job("refund reconciliation"))?;
        jobs::send_reminders(state, 100)
            .await
            .map_err(job("reminders"))?;
        let renewals = jobs::renew_due(state, 100).await.map_err(job("renewals"))?;
        reached("renewal renewed", renewals.renewed as u64);
        reached("renewal failed", renewals.failed as u64);
        self.deliver().await?;
        jobs::advance_periods(state, 100)
            .await
            .map_err(job("lifecycle"))?;
        for destination in [Destination::Notify, Destination::Events, Destination::Auth] {
            jobs::relay_outbox(state, destination, 500)
                .await
                .map_err(job("relay"))?;
        }
        Ok(())
    }

    /// Counts where the case left its payments, refunds and subscriptions.
    async fn tally(&self) {
        use sea_orm::EntityTrait;
        let db = &self.app.db;
        let customers: Vec<Uuid> = self.customers.iter().map(|c| c.id).collect();
        for p in entity::payments::Entity::find()
            .filter(entity::payments::Column::CustomerId.is_in(customers.clone()))
            .all(db)
            .await
            .unwrap_or_default()
        {
            reached(format!("payment {}", p.status), 1);
        }
        for r in entity::refunds::Entity::find()
            .all(db)
            .await
            .unwrap_or_default()
        {
            let why = r.reason.unwrap_or_default();
            reached(format!("refund {} {why}", r.status), 1);
        }
        for s in subscriptions::Entity::find()
            .filter(subscriptions::Column::CustomerId.is_in(customers))
            .all(db)
            .await
            .unwrap_or_default()
        {
            reached(format!("subscription {}", s.status), 1);
        }
    }

    async fn audit(&self, step: usize, op: &Op) -> Step {
        let report = app::ssr::services::integrity::audit(&self.app.db, self.app.state.clock.now())
            .await
            .map_err(|e| fail(format!("audit: {e:#}")))?;
        if !report.ok {
            return Err(fail(format!(
                "after step {step} ({op:?}): {:#?}",
                report.violations
            )));
        }
        Ok(())
    }
}

/// The database every case starts from: migrated, seeded, plus two limited promo codes.
struct Template {
    db: TestDb,
    tariffs: Vec<Uuid>,
}

fn machine_settings() -> [(&'static str, &'static str); 2] {
    [
        ("KINOBILL__CLOCK", "test"),
        ("KINOBILL__WORKER__ENABLED", "false"),
    ]
}

async fn template() -> Template {
    let db = TestDb::new().await;
    let settings = test_settings_with(&db.url, true, &machine_settings());
    let built = server::Application::build(&settings).await.expect("build");
    let conn = built.db();
    let mut tariffs = Vec::new();
    for code in TARIFFS {
        let t = tariffs::Entity::find()
            .filter(tariffs::Column::Code.eq(code))
            .one(&conn)
            .await
            .unwrap()
            .expect("a demo tariff");
        tariffs.push(t.id);
    }
    let actor = app::ssr::repo::audit::Actor::system("test");
    // Every code is once per customer; the second has a single use: the two promo holes.
    for (code, max) in [(PROMOS[0], ""), (PROMOS[1], "1")] {
        let terms = app::domain::promo::PromoTermsInput {
            percent: "20".into(),
            max_redemptions: max.into(),
            ..Default::default()
        };
        app::ssr::services::promos::create(&conn, &built.state().clock, &actor, code, &terms, &[])
            .await
            .expect("a promo code");
    }
    conn.close().await.ok();
    drop(built);
    Template { db, tariffs }
}

async fn run_case(template: &Template, ops: &[Op]) -> Step {
    let started = std::time::Instant::now();
    let app = spawn_on(
        TestDb::copy_of(&template.db).await,
        false,
        &machine_settings(),
    )
    .await;
    SPAWN_US.fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
    let sandbox = app.state.sandbox.clone().expect("the sandbox provider");
    let customers = (0..CUSTOMERS).map(|_| customer(&app)).collect();
    let mut world = World {
        app,
        sandbox,
        customers,
        payments: Vec::new(),
        tariffs: template.tariffs.clone(),
    };
    let mut outcome = Ok(());
    for (step, op) in ops.iter().enumerate() {
        let t = std::time::Instant::now();
        outcome = world.apply(op).await;
        OPS_US.fetch_add(t.elapsed().as_micros() as u64, Ordering::Relaxed);
        {
            let name = format!("{op:?}");
            let name = name.split([' ', '(']).next().unwrap_or("").to_string();
            let mut m = PER_OP.lock().unwrap();
            let e = m.entry(name).or_insert((0, 0));
            e.0 += 1;
            e.1 += t.elapsed().as_micros() as u64;
        }
        if outcome.is_ok() {
            let t = std::time::Instant::now();
            outcome = world.audit(step, op).await;
            AUDIT_US.fetch_add(t.elapsed().as_micros() as u64, Ordering::Relaxed);
        }
        if outcome.is_err() {
            break;
        }
    }
    if outcome.is_ok() {
        world.tally().await;
    }
    world.app.stop().await;
    outcome
}

fn cases() -> u32 {
    std::env::var("BILLING_MACHINE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(match backend() {
            Backend::Sqlite => 2_000,
            Backend::Postgres => 25,
        })
}

#[test]
fn random_billing_sequences_keep_every_money_invariant() {
    // Two runners side by side (each case waits on its server half the time), each with
    // its own runtime and random seed, sharing the template database.
    const RUNNERS: u32 = 2;
    let template = {
        let rt = tokio::runtime::Runtime::new().unwrap();
        Arc::new(rt.block_on(template()))
    };
    let started = std::time::Instant::now();
    let runners: Vec<_> = (0..RUNNERS)
        .map(|i| {
            let template = template.clone();
            let cases = cases() / RUNNERS + u32::from(i < cases() % RUNNERS);
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .unwrap();
                let mut runner = TestRunner::new(Config {
                    cases,
                    failure_persistence: None,
                    max_shrink_iters: 200,
                    ..Config::default()
                });
                runner
                    .run(&prop::collection::vec(op(), 1..24), |ops| {
                        rt.block_on(run_case(&template, &ops))
                    })
                    .map_err(|e| e.to_string())
            })
        })
        .collect();
    let result: Result<Vec<()>, String> = runners
        .into_iter()
        .map(|r| r.join().expect("a runner thread"))
        .collect();
    eprintln!(
        "billing machine: {} cases in {:.1} s (spawn {} ms, ops {} ms, audit {} ms)",
        cases(),
        started.elapsed().as_secs_f64(),
        SPAWN_US.load(Ordering::Relaxed) / 1000,
        OPS_US.load(Ordering::Relaxed) / 1000,
        AUDIT_US.load(Ordering::Relaxed) / 1000,
    );
    eprintln!(
        "time per operation (count, µs): {:?}",
        PER_OP.lock().unwrap()
    );
    eprintln!("reached: {:#?}", REACHED.lock().unwrap());
    if let Err(e) = result {
        panic!("{e}");
    }
}
