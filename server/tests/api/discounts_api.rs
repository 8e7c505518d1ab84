use app::ssr::clock::SharedClock;
use app::ssr::services::pricing::{self, QuoteRequest};
use entity::{audit_log, customers, tariffs};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{MARKETING, SUPPORT, spawn_app};

#[tokio::test]
async fn marketing_sets_replaces_and_removes_a_personal_discount() {
    let app = spawn_app().await;
    let marketing = app.staff_token(MARKETING.0).await;
    let support = app.staff_token(SUPPORT.0).await;
    let anna = customers::Entity::find()
        .filter(customers::Column::Email.eq("customer01@example.com"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let url = app.url(&format!("/api/v1/admin/customers/{}/discount", anna.id));

    let res = app
        .client
        .put(&url)
        .bearer_auth(&support)
        .json(&json!({"percent": 15, "reason": "loyal"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let bad = app
        .client
        .put(&url)
        .bearer_auth(&marketing)
        .json(&json!({"percent": 0, "reason": "", "valid_until": "2001-01-01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = bad.json().await.unwrap();
    for f in ["percent", "reason", "valid_until"] {
        assert!(body["error"]["fields"][f].is_array(), "{f}: {body}");
    }

    let res = app.client.put(&url).bearer_auth(&marketing).json(&json!({"percent": "25", "reason": "Complained about buffering", "valid_until": "2099-01-01"})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let dto: Value = res.json().await.unwrap();
    assert_eq!(dto["percent"], "25");
    assert_eq!(dto["customer_email"], "customer01@example.com");

    // 25 % beats the 20 % twelve-month discount for this customer only.
    let premium = tariffs::Entity::find()
        .filter(tariffs::Column::Code.eq("premium"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let req = QuoteRequest {
        tariff_id: premium,
        months: 12,
        promo_code: None,
        customer_id: Some(anna.id),
    };
    let q = pricing::quote(
        &app.db,
        &app.state.pricing_cache,
        &SharedClock::system(),
        &req,
    )
    .await
    .unwrap();
    assert_eq!(q.applied_discount.as_ref().unwrap().kind, "personal");
    assert_eq!(q.total.amount, "4491.00");
    let anonymous = pricing::quote(
        &app.db,
        &app.state.pricing_cache,
        &SharedClock::system(),
        &QuoteRequest {
            customer_id: None,
            ..req.clone()
        },
    )
    .await
    .unwrap();
    assert_eq!(anonymous.applied_discount.unwrap().kind, "months");

    // Replacing keeps one active discount.
    app.client
        .put(&url)
        .bearer_auth(&marketing)
        .json(&json!({"percent": 5, "reason": "Adjusted"}))
        .send()
        .await
        .unwrap();
    let list: Value = app
        .client
        .get(app.url("/api/v1/admin/personal-discounts?q=customer01"))
        .bearer_auth(&support)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["data"][0]["percent"], "5");

    let res = app
        .client
        .delete(&url)
        .bearer_auth(&marketing)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .client
        .delete(&url)
        .bearer_auth(&marketing)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let after = pricing::quote(
        &app.db,
        &app.state.pricing_cache,
        &SharedClock::system(),
        &req,
    )
    .await
    .unwrap();
    assert_eq!(after.applied_discount.unwrap().kind, "months");

    let actions: Vec<String> = audit_log::Entity::find()
        .filter(audit_log::Column::EntityId.eq(anna.id.to_string()))
        .order_by_asc(audit_log::Column::CreatedAt)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(
        actions,
        [
            "personal_discount.set",
            "personal_discount.set",
            "personal_discount.removed"
        ]
    );

    let unknown = app
        .client
        .put(app.url(&format!(
            "/api/v1/admin/customers/{}/discount",
            Uuid::now_v7()
        )))
        .bearer_auth(&marketing)
        .json(&json!({"percent": 5, "reason": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}
