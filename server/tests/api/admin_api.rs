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

async fn patch_tariff(app: &TestApp, token: &str, id: &str, body: Value) -> reqwest::Response {
    app.client
        .patch(app.url(&format!("/api/v1/admin/tariffs/{id}")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn repricing_is_recorded_in_the_price_history() {
    use entity::tariff_price_history;

    let app = spawn_app().await;
    let marketing = app.staff_token(MARKETING.0).await;
    let list: Value = app.get("/api/v1/tariffs").await.json().await.unwrap();
    let premium = list["data"][1]["id"].as_str().unwrap().to_string();

    let support = app.staff_token(SUPPORT.0).await;
    assert_eq!(
        patch_tariff(&app, &support, &premium, json!({"monthly_price": "549"}))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    let res = patch_tariff(
        &app,
        &marketing,
        &premium,
        json!({"monthly_price": 549, "name": "Premium+"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let dto: Value = res.json().await.unwrap();
    assert_eq!(dto["monthly_price"]["amount"], "549.00");
    assert_eq!(dto["name"], "Premium+");

    let history = tariff_price_history::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0].old_price_minor, history[0].new_price_minor),
        (49_900, 54_900)
    );
    assert_eq!(history[0].changed_by_label, MARKETING.0);
    let audit = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("tariff.repriced"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(audit.before.unwrap()["monthly_price"]["amount"], "499.00");

    let bad = patch_tariff(
        &app,
        &marketing,
        &premium,
        json!({"monthly_price": "-1", "role": "Bad Role"}),
    )
    .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = bad.json().await.unwrap();
    assert!(
        body["error"]["fields"]["monthly_price"].is_array()
            && body["error"]["fields"]["role"].is_array()
    );
    let unknown = patch_tariff(
        &app,
        &marketing,
        &uuid::Uuid::now_v7().to_string(),
        json!({"active": false}),
    )
    .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn archiving_takes_a_tariff_off_sale_and_restoring_brings_it_back() {
    let app = spawn_app().await;
    let admin = app.staff_token(ADMIN.0).await;
    let list: Value = app.get("/api/v1/tariffs").await.json().await.unwrap();
    let classic = list["data"][0]["id"].as_str().unwrap().to_string();
    let films: Vec<String> = list["data"][2]["films"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();

    assert_eq!(
        patch_tariff(&app, &admin, &classic, json!({"active": false}))
            .await
            .status(),
        StatusCode::OK
    );
    let public: Value = app.get("/api/v1/tariffs").await.json().await.unwrap();
    assert_eq!(public["data"].as_array().unwrap().len(), 2);
    let quote = app
        .client
        .post(app.url("/api/v1/quotes"))
        .json(&json!({"tariff_id": classic, "months": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        quote.json::<Value>().await.unwrap()["error"]["code"],
        "tariff_archived"
    );

    let res = patch_tariff(
        &app,
        &admin,
        &classic,
        json!({"active": true, "film_ids": [films[1], films[0]]}),
    )
    .await;
    let dto: Value = res.json().await.unwrap();
    assert_eq!(dto["active"], true);
    let titles: Vec<&str> = dto["films"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Stalker", "Solaris"]);
    let actions: Vec<String> = audit_log::Entity::find()
        .filter(audit_log::Column::EntityType.eq("tariff"))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert!(
        actions.contains(&"tariff.archived".to_string())
            && actions.contains(&"tariff.restored".to_string()),
        "{actions:?}"
    );
}
