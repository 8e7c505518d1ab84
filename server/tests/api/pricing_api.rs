use app::ssr::services::pricing;
use chrono::{TimeDelta, Utc};
use entity::{audit_log, promo_code_tariffs, promo_codes, promo_redemptions, tariffs};
use reqwest::StatusCode;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, TransactionTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{MARKETING, SUPPORT, TestApp, spawn_app};

async fn tariff_id(db: &DatabaseConnection, code: &str) -> Uuid {
    tariffs::Entity::find()
        .filter(tariffs::Column::Code.eq(code))
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .id
}

struct Promo<'a> {
    code: &'a str,
    percent_bp: Option<i32>,
    amount_minor: Option<i64>,
    active: bool,
    valid_from: Option<chrono::DateTime<Utc>>,
    valid_until: Option<chrono::DateTime<Utc>>,
    max_redemptions: Option<i32>,
    redemption_count: i32,
    scope: Vec<Uuid>,
}

impl Default for Promo<'_> {
    fn default() -> Self {
        Promo {
            code: "TEST-10",
            percent_bp: Some(1_000),
            amount_minor: None,
            active: true,
            valid_from: None,
            valid_until: None,
            max_redemptions: None,
            redemption_count: 0,
            scope: vec![],
        }
    }
}

async fn insert_promo(db: &DatabaseConnection, p: Promo<'_>) -> Uuid {
    let id = Uuid::now_v7();
    promo_codes::ActiveModel {
        id: Set(id),
        code: Set(p.code.to_string()),
        percent_bp: Set(p.percent_bp),
        amount_minor: Set(p.amount_minor),
        currency: Set("RUB".into()),
        valid_from: Set(p.valid_from),
        valid_until: Set(p.valid_until),
        max_redemptions: Set(p.max_redemptions),
        once_per_customer: Set(true),
        active: Set(p.active),
        created_by: Set(None),
        redemption_count: Set(p.redemption_count),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .unwrap();
    for tariff_id in p.scope {
        promo_code_tariffs::ActiveModel {
            promo_code_id: Set(id),
            tariff_id: Set(tariff_id),
        }
        .insert(db)
        .await
        .unwrap();
    }
    id
}

async fn quote(app: &TestApp, body: Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/quotes"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_long_purchase_gets_the_month_discount() {
    let app = spawn_app().await;
    let premium = tariff_id(&app.db, "premium").await;
    let res = quote(&app, json!({"tariff_id": premium, "months": 12})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let q: Value = res.json().await.unwrap();
    assert_eq!(
        q["list_price"],
        json!({"amount": "5988.00", "currency": "RUB"})
    );
    assert_eq!(q["total"]["amount"], "4790.40");
    assert_eq!(q["applied_discount"]["kind"], "months");
    assert_eq!(q["applied_discount"]["percent"], "20");
    assert_eq!(q["applied_discount"]["amount"]["amount"], "1197.60");
    assert_eq!(q["rejected_discounts"], json!([]));

    let one: Value = quote(&app, json!({"tariff_id": premium, "months": 1}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["total"]["amount"], "499.00");
    assert_eq!(one["applied_discount"], Value::Null);
}

#[tokio::test]
async fn a_promo_code_applies_alone_and_loses_to_a_bigger_discount() {
    let app = spawn_app().await;
    let classic = tariff_id(&app.db, "classic").await;
    let q: Value = quote(
        &app,
        json!({"tariff_id": classic, "months": 1, "promo_code": "kino150"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(q["total"]["amount"], "149.00");
    assert_eq!(q["applied_discount"]["kind"], "promo");
    assert_eq!(q["applied_discount"]["amount"]["amount"], "150.00");

    // 12 months: 20 % off 3588 = 717.60 beats the promo's 10 % (358.80) — no stacking.
    let q: Value = quote(
        &app,
        json!({"tariff_id": classic, "months": 12, "promo_code": "WELCOME10"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(q["total"]["amount"], "2870.40");
    assert_eq!(q["applied_discount"]["kind"], "months");
    assert_eq!(q["rejected_discounts"][0]["kind"], "promo");
    assert_eq!(q["rejected_discounts"][0]["amount"]["amount"], "358.80");
    assert!(
        q["rejected_discounts"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("do not combine")
    );
}

#[tokio::test]
async fn every_refused_promo_code_has_its_own_error_code() {
    let app = spawn_app().await;
    let premium = tariff_id(&app.db, "premium").await;
    let family = tariff_id(&app.db, "family").await;
    let now = Utc::now();
    insert_promo(
        &app.db,
        Promo {
            code: "OFF-NOW",
            active: false,
            ..Default::default()
        },
    )
    .await;
    insert_promo(
        &app.db,
        Promo {
            code: "OLD-ONE",
            valid_until: Some(now - TimeDelta::days(1)),
            ..Default::default()
        },
    )
    .await;
    insert_promo(
        &app.db,
        Promo {
            code: "SOON-ONE",
            valid_from: Some(now + TimeDelta::days(1)),
            ..Default::default()
        },
    )
    .await;
    insert_promo(
        &app.db,
        Promo {
            code: "ALL-GONE",
            max_redemptions: Some(5),
            redemption_count: 5,
            ..Default::default()
        },
    )
    .await;
    insert_promo(
        &app.db,
        Promo {
            code: "FAMILY-ONLY",
            scope: vec![family],
            ..Default::default()
        },
    )
    .await;

    for (code, expected) in [
        ("NOPE-NOPE", "promo_not_found"),
        ("x", "promo_not_found"),
        ("OFF-NOW", "promo_inactive"),
        ("OLD-ONE", "promo_expired"),
        ("SOON-ONE", "promo_expired"),
        ("ALL-GONE", "promo_exhausted"),
        ("FAMILY-ONLY", "promo_not_applicable"),
    ] {
        let res = quote(
            &app,
            json!({"tariff_id": premium, "months": 1, "promo_code": code}),
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{code}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], expected, "{code}: {body}");
        assert!(
            body["error"]["fields"]["promo_code"][0].is_string(),
            "{code}"
        );
    }
    let ok: Value = quote(
        &app,
        json!({"tariff_id": family, "months": 1, "promo_code": "family-only"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(ok["applied_discount"]["kind"], "promo");
}

#[tokio::test]
async fn a_customer_cannot_use_a_once_per_customer_code_twice() {
    let app = spawn_app().await;
    let promo = insert_promo(
        &app.db,
        Promo {
            code: "ONCE-ONLY",
            ..Default::default()
        },
    )
    .await;
    let customer = Uuid::now_v7();
    let now = Utc::now();
    assert!(
        pricing::check_promo(&app.db, now, "ONCE-ONLY", Some(customer))
            .await
            .is_ok()
    );
    // Reserved at checkout, confirmed when the invoice was paid.
    let invoice = Uuid::now_v7();
    pricing::reserve(&app.db, promo, customer, invoice, now)
        .await
        .unwrap();
    pricing::confirm_redemptions(&app.db, &[invoice], now)
        .await
        .unwrap();
    let err = pricing::check_promo(&app.db, now, "ONCE-ONLY", Some(customer))
        .await
        .err()
        .unwrap();
    assert_eq!(err.code(), "promo_already_used");
    assert!(
        pricing::check_promo(&app.db, now, "ONCE-ONLY", Some(Uuid::now_v7()))
            .await
            .is_ok(),
        "others still can"
    );
}

#[tokio::test]
async fn concurrent_redemptions_never_exceed_max_redemptions() {
    let app = spawn_app().await;
    let promo = insert_promo(
        &app.db,
        Promo {
            code: "LAST-FIVE",
            max_redemptions: Some(25),
            redemption_count: 20,
            ..Default::default()
        },
    )
    .await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let db = app.db.clone();
        tasks.push(tokio::spawn(async move {
            let txn = db.begin().await.unwrap();
            let res =
                pricing::reserve(&txn, promo, Uuid::now_v7(), Uuid::now_v7(), Utc::now()).await;
            match res {
                Ok(()) => {
                    txn.commit().await.unwrap();
                    true
                }
                Err(e) => {
                    assert_eq!(e.code(), "promo_exhausted", "{e:?}");
                    txn.rollback().await.unwrap();
                    false
                }
            }
        }));
    }
    let mut won = 0;
    for t in tasks {
        if t.await.unwrap() {
            won += 1;
        }
    }
    assert_eq!(won, 5);
    let row = promo_codes::Entity::find_by_id(promo)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.redemption_count, 25);
    let rows = promo_redemptions::Entity::find()
        .filter(promo_redemptions::Column::PromoCodeId.eq(promo))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(rows, 5);
}

#[tokio::test]
async fn bad_quote_requests_get_precise_errors() {
    let app = spawn_app().await;
    let premium = tariff_id(&app.db, "premium").await;
    for months in [0, 37] {
        let res = quote(&app, json!({"tariff_id": premium, "months": months})).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "validation_failed");
        assert!(body["error"]["fields"]["months"].is_array());
    }
    let res = quote(&app, json!({"tariff_id": Uuid::now_v7(), "months": 1})).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Archived through the console API, which also clears this instance's quote cache.
    let marketing = app.staff_token(MARKETING.0).await;
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/admin/tariffs/{premium}")))
        .bearer_auth(&marketing)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = quote(&app, json!({"tariff_id": premium, "months": 1})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "tariff_archived"
    );

    let res = app
        .client
        .post(app.url("/api/v1/quotes"))
        .header("content-type", "application/json")
        .body("{\"tariff_id\":")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn marketing_edits_the_month_discount_table_support_only_reads_it() {
    let app = spawn_app().await;
    let support = app.staff_token(SUPPORT.0).await;
    let marketing = app.staff_token(MARKETING.0).await;

    let table: Value = app
        .client
        .get(app.url("/api/v1/admin/month-discounts"))
        .bearer_auth(&support)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        table,
        json!([{"months": 3, "percent": "5"}, {"months": 6, "percent": "10"}, {"months": 12, "percent": "20"}])
    );

    let new_table = json!([{"months": 2, "percent": 3}, {"months": "24", "percent": "25.5"}]);
    let res = app
        .client
        .put(app.url("/api/v1/admin/month-discounts"))
        .bearer_auth(&support)
        .json(&new_table)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let res = app
        .client
        .put(app.url("/api/v1/admin/month-discounts"))
        .bearer_auth(&marketing)
        .json(&new_table)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!([{"months": 2, "percent": "3"}, {"months": 24, "percent": "25.5"}])
    );

    let premium = tariff_id(&app.db, "premium").await;
    let q: Value = quote(&app, json!({"tariff_id": premium, "months": 12}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        q["applied_discount"]["percent"], "3",
        "12 months now falls under the 2-month row"
    );

    let audit = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("month_discounts.replaced"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(audit.actor, MARKETING.0);
    assert_eq!(audit.before.unwrap()[2]["months"], 12);

    let bad = json!([{"months": 3, "percent": 5}, {"months": 3, "percent": 150}, {"months": 40, "percent": 1}]);
    let res = app
        .client
        .put(app.url("/api/v1/admin/month-discounts"))
        .bearer_auth(&marketing)
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["error"]["fields"]["rows[1].percent"].is_array(),
        "{body}"
    );
    assert!(
        body["error"]["fields"]["rows[2].months"].is_array(),
        "{body}"
    );
    let after: Value = app
        .client
        .get(app.url("/api/v1/admin/month-discounts"))
        .bearer_auth(&marketing)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        after.as_array().unwrap().len(),
        2,
        "a refused table changes nothing"
    );
}
