use entity::audit_log;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{ADMIN, MARKETING, SUPPORT, TestApp, spawn_app};

fn new_tariff(code: &str) -> Value {
    json!({
        "code": code,
        "name": "Festival pass",
        "description": "Festival winners",
        "role": "viewer-festival",
        "monthly_price": 349.5
    })
}

async fn post_tariff(app: &TestApp, token: &str, body: String) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/admin/tariffs"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn admin_endpoints_need_a_valid_staff_token() {
    let app = spawn_app().await;
    let none = app.get("/api/v1/admin/tariffs").await;
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    assert!(none.headers().contains_key("www-authenticate"));
    assert_eq!(
        none.json::<Value>().await.unwrap()["error"]["code"],
        "unauthorized"
    );

    let forged = app
        .client
        .get(app.url("/api/v1/admin/tariffs"))
        .bearer_auth("kbs_forged")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn every_staff_role_can_read_the_tariffs() {
    let app = spawn_app().await;
    for (email, _) in [ADMIN, MARKETING, SUPPORT] {
        let token = app.staff_token(email).await;
        let res = app
            .client
            .get(app.url("/api/v1/admin/tariffs?status=active&q=PREM"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{email}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["total"], 1, "{email}");
        assert_eq!(body["data"][0]["code"], "premium");
    }
}

#[tokio::test]
async fn marketing_and_admin_create_tariffs_support_cannot() {
    let app = spawn_app().await;
    let support = app.staff_token(SUPPORT.0).await;
    let res = post_tariff(&app, &support, new_tariff("festival").to_string()).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "forbidden"
    );

    for (email, code) in [(MARKETING.0, "festival"), (ADMIN.0, "festival-2")] {
        let token = app.staff_token(email).await;
        let res = post_tariff(&app, &token, new_tariff(code).to_string()).await;
        assert_eq!(res.status(), StatusCode::CREATED, "{email}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["code"], code);
        assert_eq!(
            body["monthly_price"],
            json!({"amount": "349.50", "currency": "RUB"})
        );
    }
    let public: Value = app.get("/api/v1/tariffs").await.json().await.unwrap();
    assert_eq!(public["data"].as_array().unwrap().len(), 5);

    let audit = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("tariff.created"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[0].actor, MARKETING.0);
    assert_eq!(audit[0].after.as_ref().unwrap()["code"], "festival");
}

#[tokio::test]
async fn a_malformed_json_body_is_a_400_json_error_and_changes_nothing() {
    let app = spawn_app().await;
    let token = app.staff_token(MARKETING.0).await;
    for body in ["{", "{\"code\": }", "not json at all", "[1, 2"] {
        let res = post_tariff(&app, &token, body.to_string()).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{body}");
        let json: Value = res.json().await.unwrap();
        assert_eq!(json["error"]["code"], "malformed_json", "{body}");
    }
    let res = app
        .client
        .post(app.url("/api/v1/admin/tariffs"))
        .bearer_auth(&token)
        .body(new_tariff("x1").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "unsupported_media_type"
    );
    let public: Value = app.get("/api/v1/tariffs").await.json().await.unwrap();
    assert_eq!(public["data"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn invalid_fields_are_listed_with_a_422() {
    let app = spawn_app().await;
    let token = app.staff_token(MARKETING.0).await;
    let body = json!({"code": "Bad Code!", "name": "", "role": "r", "monthly_price": "-1"});
    let res = post_tariff(&app, &token, body.to_string()).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let json: Value = res.json().await.unwrap();
    assert_eq!(json["error"]["code"], "validation_failed");
    for field in ["code", "name", "role", "monthly_price"] {
        assert!(json["error"]["fields"][field].is_array(), "{field}: {json}");
    }

    let wrong_shape = post_tariff(&app, &token, json!({"code": 5}).to_string()).await;
    assert_eq!(wrong_shape.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        wrong_shape.json::<Value>().await.unwrap()["error"]["code"],
        "validation_failed"
    );
}

#[tokio::test]
async fn a_taken_code_is_a_conflict() {
    let app = spawn_app().await;
    let token = app.staff_token(ADMIN.0).await;
    let res = post_tariff(&app, &token, new_tariff("premium").to_string()).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "tariff_code_taken"
    );
}
