use app::ssr::services::pricing;
use chrono::Utc;
use entity::{audit_log, tariffs};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{ADMIN, MARKETING, SUPPORT, TestApp, spawn_app};

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn marketing_creates_promo_codes_with_checked_terms() {
    let app = spawn_app().await;
    let marketing = app.staff_token(MARKETING.0).await;
    let support = app.staff_token(SUPPORT.0).await;

    let res = post(
        &app,
        &support,
        "/api/v1/admin/promo-codes",
        json!({"code": "SPRING-25", "percent": 25}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let res = post(&app, &marketing, "/api/v1/admin/promo-codes", json!({"code": "spring-25", "percent": 25, "valid_until": "2099-01-01", "max_redemptions": 100})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let dto: Value = res.json().await.unwrap();
    assert_eq!(dto["code"], "SPRING-25");
    assert_eq!(dto["percent"], "25");
    assert_eq!(dto["status"], "active");
    assert_eq!(dto["max_redemptions"], 100);

    let dup = post(
        &app,
        &marketing,
        "/api/v1/admin/promo-codes",
        json!({"code": "Spring-25", "amount": "100"}),
    )
    .await;
    assert_eq!(dup.status(), StatusCode::CONFLICT);
    assert_eq!(
        dup.json::<Value>().await.unwrap()["error"]["code"],
        "promo_code_taken"
    );

    for (body, field) in [
        (json!({"code": "BAD-PCT", "percent": 150}), "percent"),
        (
            json!({"code": "BOTH-KINDS", "percent": 10, "amount": 100}),
            "amount",
        ),
        (json!({"code": "NEITHER"}), "percent"),
        (json!({"code": "x", "percent": 10}), "code"),
        (
            json!({"code": "BAD-DATES", "percent": 10, "valid_from": "2030-01-02", "valid_until": "2030-01-01"}),
            "valid_until",
        ),
        (
            json!({"code": "BAD-MAX", "percent": 10, "max_redemptions": 0}),
            "max_redemptions",
        ),
    ] {
        let res = post(&app, &marketing, "/api/v1/admin/promo-codes", body.clone()).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], "validation_failed");
        assert!(err["error"]["fields"][field].is_array(), "{body} -> {err}");
    }

    // The new code works in a quote right away.
    let premium = tariffs::Entity::find()
        .filter(tariffs::Column::Code.eq("premium"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let q: Value = app
        .client
        .post(app.url("/api/v1/quotes"))
        .json(&json!({"tariff_id": premium, "months": 1, "promo_code": "spring-25"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(q["total"]["amount"], "374.25");
}

#[tokio::test]
async fn bulk_generation_makes_unique_codes_and_a_csv() {
    let app = spawn_app().await;
    let admin = app.staff_token(ADMIN.0).await;
    let res = post(
        &app,
        &admin,
        "/api/v1/admin/promo-codes/batch",
        json!({"prefix": "xmas-", "count": 100, "percent": "15"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let batch: Value = res.json().await.unwrap();
    let codes: Vec<&str> = batch["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), 100);
    assert!(
        codes
            .iter()
            .all(|c| c.starts_with("XMAS-") && c.len() == 13),
        "{codes:?}"
    );
    let unique: std::collections::HashSet<_> = codes.iter().collect();
    assert_eq!(unique.len(), 100);

    let csv = app
        .client
        .post(app.url("/api/v1/admin/promo-codes/batch"))
        .bearer_auth(&admin)
        .header("accept", "text/csv")
        .json(&json!({"prefix": "NY", "count": "50", "amount": 200}))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::CREATED);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        csv.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("promo-codes-NY.csv")
    );
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "code");
    assert_eq!(lines.len(), 51);

    let list: Value = app
        .client
        .get(app.url("/api/v1/admin/promo-codes?q=xmas&status=active&limit=10"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 100);
    assert_eq!(list["data"].as_array().unwrap().len(), 10);

    let too_many = post(
        &app,
        &admin,
        "/api/v1/admin/promo-codes/batch",
        json!({"prefix": "BIG", "count": 10001, "percent": 5}),
    )
    .await;
    assert_eq!(too_many.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(too_many.json::<Value>().await.unwrap()["error"]["fields"]["count"].is_array());
}

#[tokio::test]
async fn codes_are_deactivated_and_only_unused_ones_deleted() {
    let app = spawn_app().await;
    let marketing = app.staff_token(MARKETING.0).await;
    let used: Value = post(
        &app,
        &marketing,
        "/api/v1/admin/promo-codes",
        json!({"code": "USED-ONE", "percent": 5}),
    )
    .await
    .json()
    .await
    .unwrap();
    let unused: Value = post(
        &app,
        &marketing,
        "/api/v1/admin/promo-codes",
        json!({"code": "UNUSED-ONE", "percent": 5}),
    )
    .await
    .json()
    .await
    .unwrap();
    let used_id: Uuid = used["id"].as_str().unwrap().parse().unwrap();
    pricing::reserve(&app.db, used_id, Uuid::now_v7(), Uuid::now_v7(), Utc::now())
        .await
        .unwrap();

    let res = app
        .client
        .delete(app.url(&format!("/api/v1/admin/promo-codes/{used_id}")))
        .bearer_auth(&marketing)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "promo_in_use"
    );

    let res = app
        .client
        .patch(app.url(&format!("/api/v1/admin/promo-codes/{used_id}")))
        .bearer_auth(&marketing)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "inactive");
    let err = pricing::check_promo(&app.db, Utc::now(), "USED-ONE", None)
        .await
        .err()
        .unwrap();
    assert_eq!(err.code(), "promo_inactive");

    let res = app
        .client
        .delete(app.url(&format!(
            "/api/v1/admin/promo-codes/{}",
            unused["id"].as_str().unwrap()
        )))
        .bearer_auth(&marketing)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .client
        .delete(app.url(&format!(
            "/api/v1/admin/promo-codes/{}",
            unused["id"].as_str().unwrap()
        )))
        .bearer_auth(&marketing)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let actions: Vec<String> = audit_log::Entity::find()
        .filter(audit_log::Column::EntityType.eq("promo_code"))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    for expected in ["promo.created", "promo.deactivated", "promo.deleted"] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} in {actions:?}"
        );
    }
}
