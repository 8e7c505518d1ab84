use reqwest::StatusCode;

use crate::helpers::{plain_spaces, spawn_app, spawn_app_with};

#[tokio::test]
async fn the_landing_page_is_rendered_on_the_server_with_tariffs_films_and_prices() {
    let app = spawn_app().await;
    let res = app.get("/").await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = plain_spaces(&res.text().await.unwrap());
    for expected in [
        "Classic",
        "Premium",
        "Family",
        "299,00 ₽",
        "499,00 ₽",
        "1 249,50 ₽",
        "Solaris",
        "Kin-dza-dza!",
    ] {
        assert!(html.contains(expected), "missing {expected}");
    }
    assert!(
        html.contains("/pkg/kinobill.js"),
        "hydration script is linked"
    );
    assert!(html.contains("/pkg/kinobill.css"), "stylesheet is linked");
}

#[tokio::test]
async fn an_empty_catalogue_says_so() {
    let app = spawn_app_with(false).await;
    let html = app.get("/").await.text().await.unwrap();
    assert!(html.contains("No tariffs on sale right now"));
}

#[tokio::test]
async fn unknown_pages_get_a_real_404_page() {
    let app = spawn_app().await;
    let res = app.get("/no/such/page").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("This page does not exist")
    );
}

#[tokio::test]
async fn the_login_page_has_labelled_fields() {
    let app = spawn_app().await;
    let html = app.get("/admin/login").await.text().await.unwrap();
    assert!(html.contains(r#"<label for="login-email""#));
    assert!(html.contains(r#"<label for="login-password""#));
    assert!(html.contains(r#"action="/rpc/staff_login""#));
}
