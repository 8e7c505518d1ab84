//! The billing rules that keep access tied to money (ARCHITECTURE.md, "Subscription and
//! entitlement rules"): one open invoice per customer, superseded payments refunded,
//! promo redemptions reserved at checkout, refunds whose answer was lost kept pending,
//! and subscription rows locked by everything that rewrites them.

use app::ssr::jobs;
use app::ssr::outbox::Destination;
use app::ssr::providers::RefundRequest;
use app::ssr::providers::sandbox::Faults;
use app::ssr::services::settlement;
use chrono::TimeDelta;
use entity::{
    invoices, payment_events, promo_codes, promo_redemptions, refunds, sandbox_payments,
    subscriptions,
};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::checkout_api::{Customer, checkout, customer, tariff, wait_for_status};
use crate::helpers::{
    MARKETING, SUPPORT, TEST_JWT_SECRET, TEST_SERVICE_TOKEN, TestApp, customer_token_with,
    spawn_clocked,
};
use crate::lifecycle_api::{CARD_DECLINED, CARD_OK, move_to, outbox_kinds, subscription};
use crate::settlement_batch::reload as stored_payment;

async fn open(app: &TestApp, c: &Customer, code: &str, months: u32, promo: Option<&str>) -> Value {
    let t = tariff(app, code).await;
    let mut body = json!({"tariff_id": t.id, "months": months});
    if let Some(p) = promo {
        body["promo_code"] = json!(p);
    }
    let res = checkout(app, c, &Uuid::new_v4().to_string(), &body).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

/// Enters `card` on the hosted page, whatever state the payment is in.
async fn enter_card(app: &TestApp, checkout: &Value, card: &str) {
    let url = checkout["payment"]["confirmation_url"].as_str().unwrap();
    let path = format!("/sandbox/{}", url.split_once("/sandbox/").unwrap().1);
    let res = app
        .client
        .post(app.url(&path))
        .form(&[("card_number", card)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

fn payment_id(checkout: &Value) -> Uuid {
    checkout["payment"]["id"].as_str().unwrap().parse().unwrap()
}

/// A checkout of `code` paid with the good test card and settled; its payment id.
async fn bought(app: &TestApp, c: &Customer, code: &str) -> Uuid {
    let body = open(app, c, code, 1, None).await;
    enter_card(app, &body, CARD_OK).await;
    let id = payment_id(&body);
    wait_for_status(app, c, &id.to_string(), "succeeded").await;
    id
}

async fn invoice_of(app: &TestApp, checkout: &Value) -> invoices::Model {
    let id: Uuid = checkout["invoice"]["id"].as_str().unwrap().parse().unwrap();
    invoices::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

async fn roles(app: &TestApp, c: &Customer) -> Vec<Value> {
    let ent: Value = app
        .client
        .get(app.url(&format!("/api/v1/entitlements/{}", c.id)))
        .bearer_auth(TEST_SERVICE_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    ent["roles"].as_array().unwrap().clone()
}

async fn refund(app: &TestApp, c: &Customer, payment: Uuid) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/payments/{payment}/refund")))
        .bearer_auth(&c.token)
        .header("Idempotency-Key", Uuid::new_v4().to_string())
        .json(&json!({}))
        .send()
        .await
        .unwrap()
}

/// The audit over the test's database: every money invariant holds.
async fn assert_audit_clean(app: &TestApp) {
    let report = app::ssr::services::integrity::audit(&app.db, chrono::Utc::now())
        .await
        .unwrap();
    assert!(report.ok, "{:#?}", report.violations);
}

#[tokio::test]
async fn a_cheap_invoice_opened_first_cannot_buy_premium_access() {
    let app = spawn_clocked(&[]).await;
    let c = customer(&app);
    let classic = open(&app, &c, "classic", 12, None).await;
    let premium = open(&app, &c, "premium", 1, None).await;

    // The newer checkout voided the older invoice and canceled its payment at the provider.
    assert_eq!(invoice_of(&app, &classic).await.status, "void");
    assert_eq!(
        stored_payment(&app, payment_id(&classic)).await.status,
        "canceled"
    );
    assert_eq!(invoice_of(&app, &premium).await.status, "open");

    // Paying the old page now takes no money.
    enter_card(&app, &classic, CARD_OK).await;
    let at_provider = sandbox_payments::Entity::find_by_id(
        stored_payment(&app, payment_id(&classic))
            .await
            .provider_payment_id
            .unwrap(),
    )
    .one(&app.db)
    .await
    .unwrap()
    .unwrap();
    assert_eq!(at_provider.status, "canceled");

    enter_card(&app, &premium, CARD_OK).await;
    wait_for_status(&app, &c, &payment_id(&premium).to_string(), "succeeded").await;
    let sub = subscription(&app, c.id).await;
    let now = app.state.clock.now();
    assert_eq!(sub.tariff_id, tariff(&app, "premium").await.id);
    assert!(
        sub.current_period_end <= now + TimeDelta::days(31),
        "one month of Premium, not thirteen: {}",
        sub.current_period_end
    );

    // Refunding the Premium month leaves nothing behind.
    let res = refund(&app, &c, payment_id(&premium)).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(subscription(&app, c.id).await.status, "canceled");
    assert!(roles(&app, &c).await.is_empty());
    assert_audit_clean(&app).await;
}

#[tokio::test]
async fn a_replaced_invoice_paid_a_moment_earlier_is_refunded_as_superseded() {
    let app = spawn_clocked(&[]).await;
    let sandbox = app.state.sandbox.clone().unwrap();
    let c = customer(&app);
    let classic = open(&app, &c, "classic", 12, None).await;
    // The customer pays the Classic page, but its webhook has not arrived yet...
    sandbox.set_faults(Faults {
        suppress_webhooks: true,
        ..Faults::default()
    });
    enter_card(&app, &classic, CARD_OK).await;
    sandbox.set_faults(Faults::default());
    assert_eq!(
        stored_payment(&app, payment_id(&classic)).await.status,
        "pending"
    );
    // ...when a Premium checkout replaces that invoice: the provider reports the old
    // payment succeeded, and it is refunded instead of buying twelve months.
    let premium = open(&app, &c, "premium", 1, None).await;
    let old = stored_payment(&app, payment_id(&classic)).await;
    assert_eq!(old.status, "refunded", "{old:?}");
    let r = refunds::Entity::find()
        .filter(refunds::Column::PaymentId.eq(old.id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            r.status.as_str(),
            r.reason.as_deref(),
            r.requested_by.as_str()
        ),
        ("succeeded", Some("superseded"), "system")
    );
    let timeline: Vec<String> = payment_events::Entity::find()
        .filter(payment_events::Column::PaymentId.eq(old.id))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(timeline.contains(&"superseded".to_string()), "{timeline:?}");
    assert!(
        outbox_kinds(&app, Destination::Notify)
            .await
            .contains(&"payment_superseded".to_string())
    );
    assert!(
        subscriptions::Entity::find()
            .filter(subscriptions::Column::CustomerId.eq(c.id))
            .one(&app.db)
            .await
            .unwrap()
            .is_none(),
        "the superseded payment bought no period"
    );

    enter_card(&app, &premium, CARD_OK).await;
    wait_for_status(&app, &c, &payment_id(&premium).to_string(), "succeeded").await;
    assert_eq!(
        subscription(&app, c.id).await.tariff_id,
        tariff(&app, "premium").await.id
    );
    // Charge, payment, refund and reversal of the superseded payment net to zero.
    let statement: Value = app
        .client
        .get(app.url("/api/v1/me/statement"))
        .bearer_auth(&c.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let lines = statement["data"].as_array().unwrap();
    assert_eq!(lines.len(), 6, "{statement}");
    assert_eq!(lines.last().unwrap()["balance"]["amount"], "0.00");
    assert_audit_clean(&app).await;
}

#[tokio::test]
async fn a_late_payment_for_a_tariff_the_customer_no_longer_has_is_refunded() {
    let app = spawn_clocked(&[]).await;
    let c = customer(&app);
    bought(&app, &c, "premium").await;
    // An extension of Premium is opened, then support moves the customer to Family.
    let extension = open(&app, &c, "premium", 1, None).await;
    let family = tariff(&app, "family").await;
    let support = app.staff_token(SUPPORT.0).await;
    let res = app
        .client
        .put(app.url(&format!("/api/v1/admin/customers/{}/subscription", c.id)))
        .bearer_auth(&support)
        .header("Idempotency-Key", "move-to-family")
        .json(&json!({"tariff_id": family.id}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let before = subscription(&app, c.id).await;

    // Paying the Premium extension now would stack Premium on Family: it is refunded.
    enter_card(&app, &extension, CARD_OK).await;
    wait_for_status(&app, &c, &payment_id(&extension).to_string(), "refunded").await;
    let after = subscription(&app, c.id).await;
    assert_eq!(after.tariff_id, family.id);
    assert_eq!(after.current_period_end, before.current_period_end);
    assert_eq!(roles(&app, &c).await[0]["role"], family.role);
    assert_audit_clean(&app).await;
}

async fn promo(app: &TestApp, code: &str, max: i32) -> Uuid {
    let marketing = app.staff_token(MARKETING.0).await;
    let res = app
        .client
        .post(app.url("/api/v1/admin/promo-codes"))
        .bearer_auth(&marketing)
        .json(&json!({"code": code, "percent": 50, "max_redemptions": max}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn promo_row(app: &TestApp, id: Uuid) -> promo_codes::Model {
    promo_codes::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

async fn checkout_error(app: &TestApp, c: &Customer, code: &str, promo: &str) -> String {
    let t = tariff(app, code).await;
    let res = checkout(
        app,
        c,
        &Uuid::new_v4().to_string(),
        &json!({"tariff_id": t.id, "months": 1, "promo_code": promo}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    res.json::<Value>().await.unwrap()["error"]["code"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn the_last_unit_of_a_promo_is_reserved_at_checkout_and_released_by_a_decline() {
    let app = spawn_clocked(&[]).await;
    let id = promo(&app, "LAST-ONE", 1).await;
    let x = customer(&app);
    let y = customer(&app);
    let held = open(&app, &x, "premium", 1, Some("LAST-ONE")).await;
    assert_eq!(promo_row(&app, id).await.redemption_count, 1);
    assert_eq!(
        checkout_error(&app, &y, "premium", "LAST-ONE").await,
        "promo_exhausted"
    );

    // X's card is declined: the reservation goes back and Y may use the code.
    enter_card(&app, &held, CARD_DECLINED).await;
    wait_for_status(&app, &x, &payment_id(&held).to_string(), "failed").await;
    assert_eq!(promo_row(&app, id).await.redemption_count, 0);
    assert_eq!(invoice_of(&app, &held).await.status, "void");
    let ys = open(&app, &y, "premium", 1, Some("LAST-ONE")).await;
    enter_card(&app, &ys, CARD_OK).await;
    wait_for_status(&app, &y, &payment_id(&ys).to_string(), "succeeded").await;
    let row = promo_redemptions::Entity::find()
        .filter(promo_redemptions::Column::PromoCodeId.eq(id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.customer_id, y.id);
    assert!(row.confirmed_at.is_some());
    assert_eq!(promo_row(&app, id).await.redemption_count, 1);
    assert_eq!(
        checkout_error(&app, &x, "premium", "LAST-ONE").await,
        "promo_exhausted"
    );
    assert_audit_clean(&app).await;
}

#[tokio::test]
async fn a_single_use_promo_paid_on_many_pages_is_used_once() {
    let app = spawn_clocked(&[]).await;
    let id = promo(&app, "ONCE-ONLY", 5).await;
    let x = customer(&app);
    let pages = [
        open(&app, &x, "premium", 1, Some("ONCE-ONLY")).await,
        open(&app, &x, "premium", 1, Some("ONCE-ONLY")).await,
        open(&app, &x, "premium", 1, Some("ONCE-ONLY")).await,
    ];
    assert_eq!(
        promo_row(&app, id).await.redemption_count,
        1,
        "each checkout released the one it replaced"
    );
    for page in &pages {
        enter_card(&app, page, CARD_OK).await;
    }
    wait_for_status(&app, &x, &payment_id(&pages[2]).to_string(), "succeeded").await;
    for page in &pages[..2] {
        let p = stored_payment(&app, payment_id(page)).await;
        assert_eq!(p.status, "canceled", "an old page takes no money");
    }
    let charged = sandbox_payments::Entity::find()
        .filter(sandbox_payments::Column::Status.eq("succeeded"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(charged, 1);
    assert_eq!(promo_row(&app, id).await.redemption_count, 1);
    assert_eq!(
        checkout_error(&app, &x, "premium", "ONCE-ONLY").await,
        "promo_already_used"
    );
    assert_audit_clean(&app).await;
}

/// Asks for a refund that the provider makes but whose answer is lost on the way back.
async fn refund_losing_the_answer(app: &TestApp, c: &Customer, payment: Uuid) -> reqwest::Response {
    app.state.sandbox.as_ref().unwrap().set_faults(Faults {
        timeout_after_refund: 1,
        ..Faults::default()
    });
    refund(app, c, payment).await
}

#[tokio::test]
async fn a_refund_whose_answer_was_lost_stays_pending_and_completes_later() {
    let app = spawn_clocked(&[]).await;
    let c = customer(&app);
    let pid = bought(&app, &c, "premium").await;
    let res = refund_losing_the_answer(&app, &c, pid).await;
    assert_eq!(res.status(), StatusCode::CREATED, "not a retryable 502");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["refund"]["status"], "pending");
    // The window closes, but the claim is kept: a retry finds the refund the provider made.
    move_to(&app, app.state.clock.now() + TimeDelta::minutes(90));
    let res = refund(&app, &c, pid).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["refund"]["status"], "succeeded", "{body}");
    assert_eq!(stored_payment(&app, pid).await.status, "refunded");
    assert!(roles(&app, &c).await.is_empty());
    assert_eq!(
        entity::sandbox_refunds::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        1,
        "one refund at the provider"
    );
    assert_audit_clean(&app).await;
}

#[tokio::test]
async fn the_worker_finishes_a_pending_refund_and_a_refusal_is_final() {
    let app = spawn_clocked(&[]).await;
    let c = customer(&app);
    let pid = bought(&app, &c, "premium").await;
    assert_eq!(
        refund_losing_the_answer(&app, &c, pid).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(stored_payment(&app, pid).await.status, "succeeded");
    // The lost answer makes the refund due: the worker's next pass asks again.
    assert_eq!(
        jobs::reconcile_pending_refunds(&app.state, 10)
            .await
            .unwrap(),
        1
    );
    assert_eq!(stored_payment(&app, pid).await.status, "refunded");
    assert_eq!(subscription(&app, c.id).await.status, "canceled");

    // The provider refuses a refund (here: the money was already returned there).
    let d = customer(&app);
    let oid = bought(&app, &d, "premium").await;
    let p = stored_payment(&app, oid).await;
    app.state
        .provider
        .refund(&RefundRequest {
            idempotency_key: "elsewhere".into(),
            provider_payment_id: p.provider_payment_id.clone().unwrap(),
            amount: app::domain::Money::from_minor(p.amount_minor, app::domain::Currency::Rub),
        })
        .await
        .unwrap();
    for _ in 0..2 {
        let res = refund(&app, &d, oid).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "refund_refused", "{body}");
    }
    assert_eq!(stored_payment(&app, oid).await.status, "succeeded");
    assert_audit_clean(&app).await;
}

#[tokio::test]
async fn a_refund_racing_the_settlement_of_another_payment_loses_no_update() {
    // Meaningful on PostgreSQL (row locks); SQLite serialises writers anyway.
    let app = spawn_clocked(&[]).await;
    let sandbox = app.state.sandbox.clone().unwrap();
    for _ in 0..4 {
        let c = customer(&app);
        let first = bought(&app, &c, "premium").await;
        let start = subscription(&app, c.id).await.current_period_end;

        let second = open(&app, &c, "premium", 1, None).await;
        sandbox.set_faults(Faults {
            suppress_webhooks: true,
            ..Faults::default()
        });
        enter_card(&app, &second, CARD_OK).await;
        sandbox.set_faults(Faults::default());
        let provider_id = stored_payment(&app, payment_id(&second))
            .await
            .provider_payment_id
            .unwrap();
        let pp = app.state.provider.get_payment(&provider_id).await.unwrap();

        let (refunded, settled) = tokio::join!(
            refund(&app, &c, first),
            settlement::settle_payment(&app.state, &pp, "test", None)
        );
        assert_eq!(refunded.status(), StatusCode::CREATED);
        settled.unwrap();
        // Either order ends with one month (the second), active: the refund first
        // cancels and the second starts anew; or the second extends and the refund pulls
        // it back. Calendar months differ by up to three days between the two.
        let sub = subscription(&app, c.id).await;
        assert_eq!(sub.status, "active", "{sub:?}");
        let off = (sub.current_period_end - start).num_seconds().abs();
        assert!(
            off <= 3 * 86_400,
            "a lost update: {sub:?}, expected about {start}"
        );
        assert_eq!(roles(&app, &c).await.len(), 1);
    }
    assert_audit_clean(&app).await;
}

#[tokio::test]
async fn customer_tokens_follow_the_wall_clock_not_the_test_clock() {
    let app = spawn_clocked(&[]).await;
    let id = Uuid::now_v7();
    let token = customer_token_with(
        TEST_JWT_SECRET,
        id,
        Some("wall@example.com"),
        chrono::Utc::now() + TimeDelta::hours(1),
    );
    move_to(&app, app.state.clock.now() + TimeDelta::hours(2));
    let res = app
        .client
        .get(app.url("/api/v1/me/subscription"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_tariff_can_be_created_archived_with_the_contracts_active_field() {
    let app = spawn_clocked(&[]).await;
    let marketing = app.staff_token(MARKETING.0).await;
    let res = app
        .client
        .post(app.url("/api/v1/admin/tariffs"))
        .bearer_auth(&marketing)
        .json(&json!({"code": "soon", "name": "Soon", "role": "viewer-soon", "monthly_price": "99.00", "active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["active"], false, "{body}");
    let public: Value = app
        .client
        .get(app.url("/api/v1/tariffs"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        public["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["code"] != "soon")
    );
}

#[tokio::test]
async fn the_integrity_check_reports_a_corrupted_row_to_admins_only() {
    let app = spawn_clocked(&[]).await;
    let c = customer(&app);
    let bought = open(&app, &c, "premium", 1, None).await;
    enter_card(&app, &bought, CARD_OK).await;
    wait_for_status(&app, &c, &payment_id(&bought).to_string(), "succeeded").await;

    let admin = app.staff_token(crate::helpers::ADMIN.0).await;
    let support = app.staff_token(SUPPORT.0).await;
    let get = |token: String| {
        let app = &app;
        async move {
            app.client
                .get(app.url("/api/v1/admin/integrity"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(get(support).await.status(), StatusCode::FORBIDDEN);
    let clean: Value = get(admin.clone()).await.json().await.unwrap();
    assert_eq!(clean["ok"], true, "{clean}");

    // Access beyond what was paid for, and a ledger line without its twin.
    use sea_orm::sea_query::Expr;
    entity::entitlements::Entity::update_many()
        .col_expr(
            entity::entitlements::Column::ValidUntil,
            Expr::value(chrono::Utc::now() + TimeDelta::days(400)),
        )
        .exec(&app.db)
        .await
        .unwrap();
    let res = get(admin).await;
    assert_eq!(res.status(), StatusCode::OK);
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["ok"], false);
    let rules: Vec<&str> = report["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["access_has_paid_period"], "{report}");
    assert_eq!(report["violations"][0]["id"], c.id.to_string());
}

async fn patch_subscription(app: &TestApp, c: &Customer, body: Value) -> reqwest::Response {
    app.client
        .patch(app.url("/api/v1/me/subscription"))
        .bearer_auth(&c.token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_scheduled_switch_renews_at_the_new_tariffs_price_from_the_next_period() {
    let app = spawn_clocked(&[]).await;
    let (c, sub) = crate::lifecycle_api::subscribed(&app, CARD_OK).await;
    let classic = tariff(&app, "classic").await;

    let res = patch_subscription(&app, &c, json!({"next_tariff_id": Uuid::now_v7()})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "tariff_not_found"
    );
    let res = patch_subscription(&app, &c, json!({"next_tariff_id": classic.id})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["next_tariff"]["code"], "classic", "{body}");
    assert_eq!(body["tariff"]["code"], "premium");
    // Leaving the field out changes nothing; `null` cancels, and it can be set again.
    let body: Value = patch_subscription(&app, &c, json!({"auto_renew": true}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["next_tariff"]["code"], "classic");
    let body: Value = patch_subscription(&app, &c, json!({"next_tariff_id": null}))
        .await
        .json()
        .await
        .unwrap();
    assert!(body["next_tariff"].is_null(), "{body}");
    assert_eq!(
        patch_subscription(&app, &c, json!({"next_tariff_id": classic.id}))
            .await
            .status(),
        StatusCode::OK
    );

    // The renewal charges Classic's price and the next period is Classic.
    move_to(&app, sub.current_period_end - TimeDelta::hours(23));
    let renewed = jobs::renew_due(&app.state, 10).await.unwrap();
    assert_eq!(renewed.renewed, 1, "{renewed:?}");
    let after = subscription(&app, c.id).await;
    assert_eq!(after.tariff_id, classic.id);
    assert_eq!(after.next_tariff_id, None, "the switch happened");
    assert_eq!(
        after.current_period_end,
        app::domain::subscription::add_months(sub.current_period_end, 1)
    );
    let renewal = invoices::Entity::find()
        .filter(invoices::Column::CustomerId.eq(c.id))
        .filter(invoices::Column::Kind.eq("renewal"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(renewal.tariff_id, classic.id);
    assert_eq!(renewal.list_price_minor, classic.monthly_price_minor);
    assert_eq!(roles(&app, &c).await[0]["role"], classic.role);
    assert_audit_clean(&app).await;
}

#[tokio::test]
async fn a_new_checkout_while_the_last_payment_settles_never_fails() {
    // On PostgreSQL the webhook settling the old payment and the checkout voiding its
    // invoice lock the same rows: they must take them in one order (no deadlock, no 500).
    let app = spawn_clocked(&[]).await;
    let c = customer(&app);
    let mut body = open(&app, &c, "classic", 1, None).await;
    for _ in 0..12 {
        let (_, next) = tokio::join!(
            enter_card(&app, &body, CARD_DECLINED),
            open(&app, &c, "classic", 1, None)
        );
        body = next;
    }
    let last = body;
    enter_card(&app, &last, CARD_OK).await;
    wait_for_status(&app, &c, &payment_id(&last).to_string(), "succeeded").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_audit_clean(&app).await;
}

#[tokio::test]
async fn the_database_refuses_a_status_nobody_knows() {
    // Typed in the code (entity::status) and checked by the schema (migration 14): a
    // hand edit or a bug cannot store a status the state machine does not have.
    use sea_orm::ConnectionTrait;
    let app = spawn_clocked(&[]).await;
    let c = customer(&app);
    let paid = bought(&app, &c, "classic").await;
    assert!(refund(&app, &c, paid).await.status().is_success());
    // Every row is touched (whatever the backend stores a UUID as): one bad value fails all.
    for sql in [
        "UPDATE payments SET status = 'paid'",
        "UPDATE invoices SET status = 'settled'",
        "UPDATE subscriptions SET status = 'paused'",
        "UPDATE ledger_entries SET kind = 'bonus'",
        "UPDATE invoices SET discount_kind = 'friends'",
        "UPDATE refunds SET status = 'maybe'",
    ] {
        let err = app
            .db
            .execute_unprepared(sql)
            .await
            .expect_err("the database takes only known values");
        assert!(err.to_string().contains("ck_"), "{sql}: {err}");
    }
    // Known values still go through (the constraint is not a blanket refusal).
    app.db
        .execute_unprepared("UPDATE invoices SET discount_kind = 'promo'")
        .await
        .unwrap();
    assert_eq!(stored_payment(&app, paid).await.status, "refunded");
}
