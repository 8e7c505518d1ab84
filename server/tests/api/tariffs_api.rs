use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn tariffs_lists_the_seeded_tariffs_with_films_and_prices() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/tariffs").await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let data = body["data"].as_array().expect("data array");
    let codes: Vec<&str> = data.iter().map(|t| t["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["classic", "premium", "family"], "cheapest first");

    let premium = &data[1];
    assert_eq!(premium["name"], "Premium");
    assert_eq!(premium["role"], "viewer-premium");
    assert_eq!(
        premium["monthly_price"],
        serde_json::json!({"amount": "499.00", "currency": "RUB"})
    );
    assert_eq!(data[2]["monthly_price"]["amount"], "1249.50");
    let films: Vec<&str> = premium["films"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        films,
        ["The Cranes Are Flying", "Solaris", "Stalker", "Leviathan"]
    );
    assert!(
        premium["id"]
            .as_str()
            .unwrap()
            .parse::<uuid::Uuid>()
            .is_ok()
    );
}

#[tokio::test]
async fn archived_tariffs_are_not_for_sale() {
    use entity::tariffs;
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

    let app = spawn_app().await;
    let classic = tariffs::Entity::find()
        .filter(tariffs::Column::Code.eq("classic"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut active: tariffs::ActiveModel = classic.into();
    active.active = Set(false);
    active.update(&app.db).await.unwrap();

    let body: Value = app.get("/api/v1/tariffs").await.json().await.unwrap();
    let codes: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["premium", "family"]);
}

#[tokio::test]
async fn an_empty_catalogue_is_an_empty_list() {
    let app = spawn_app_with(false).await;
    let body: Value = app.get("/api/v1/tariffs").await.json().await.unwrap();
    assert_eq!(body["data"], serde_json::json!([]));
}
