//! Customers are known by the auth service's JWT: over REST (Bearer) and in the browser
//! (POST /auth/callback starts a session).

use app::ssr::services::pricing;
use chrono::{TimeDelta, Utc};
use entity::{customers, promo_codes, tariffs};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{MARKETING, TEST_JWT_SECRET, TestApp, customer_token_with, spawn_app};

async fn tariff_id(db: &DatabaseConnection, code: &str) -> Uuid {
    tariffs::Entity::find()
        .filter(tariffs::Column::Code.eq(code))
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn quote(app: &TestApp, token: Option<&str>, body: Value) -> reqwest::Response {
    let mut req = app.client.post(app.url("/api/v1/quotes")).json(&body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn a_signed_in_customer_gets_their_personal_discount_in_quotes() {
    let app = spawn_app().await;
    let marketing = app.staff_token(MARKETING.0).await;
    let premium = tariff_id(&app.db, "premium").await;
    let customer = Uuid::now_v7();
    let token = app.customer_token(customer, "new.viewer@example.com");

    // First sight creates the customer.
    let res = quote(
        &app,
        Some(&token),
        json!({"tariff_id": premium, "months": 1}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let row = customers::Entity::find_by_id(customer)
        .one(&app.db)
        .await
        .unwrap()
        .expect("customer created on first sight");
    assert_eq!(row.email.as_deref(), Some("new.viewer@example.com"));

    let res = app
        .client
        .put(app.url(&format!("/api/v1/admin/customers/{customer}/discount")))
        .bearer_auth(&marketing)
        .json(&json!({"percent": 30, "reason": "Long-time viewer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // 30 % personal beats the 20 % twelve-month discount; anonymous gets the months one.
    let mine: Value = quote(
        &app,
        Some(&token),
        json!({"tariff_id": premium, "months": 12}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(mine["applied_discount"]["kind"], "personal", "{mine}");
    assert_eq!(mine["applied_discount"]["percent"], "30");
    let anonymous: Value = quote(&app, None, json!({"tariff_id": premium, "months": 12}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        anonymous["applied_discount"]["kind"], "months",
        "{anonymous}"
    );
    assert_ne!(mine["total"], anonymous["total"]);
}

#[tokio::test]
async fn bad_customer_tokens_are_refused_with_401() {
    let app = spawn_app().await;
    let premium = tariff_id(&app.db, "premium").await;
    let id = Uuid::now_v7();
    let body = json!({"tariff_id": premium, "months": 1});
    let expired = customer_token_with(TEST_JWT_SECRET, id, None, Utc::now() - TimeDelta::hours(1));
    let forged = customer_token_with(
        "some-other-secret-some-other-secret-00",
        id,
        None,
        Utc::now() + TimeDelta::hours(1),
    );
    for (what, token) in [
        ("expired", expired.as_str()),
        ("wrong secret", forged.as_str()),
        ("garbage", "not-a-jwt"),
    ] {
        let res = quote(&app, Some(token), body.clone()).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{what}");
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], "unauthorized", "{what}");
    }
    let res = app
        .client
        .post(app.url("/api/v1/quotes"))
        .header("Authorization", "Basic dXNlcjpwYXNz")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(
        customers::Entity::find_by_id(id)
            .one(&app.db)
            .await
            .unwrap()
            .is_none(),
        "a refused token creates nobody"
    );
}

#[tokio::test]
async fn a_used_once_per_customer_code_is_refused_over_rest() {
    let app = spawn_app().await;
    let premium = tariff_id(&app.db, "premium").await;
    let customer = Uuid::now_v7();
    let token = app.customer_token(customer, "once@example.com");
    let body = json!({"tariff_id": premium, "months": 1, "promo_code": "welcome10"});
    let first = quote(&app, Some(&token), body.clone()).await;
    assert_eq!(first.status(), StatusCode::OK);

    let welcome = promo_codes::Entity::find()
        .filter(promo_codes::Column::Code.eq("WELCOME10"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    // A paid invoice redeemed it (reserved at checkout, confirmed at settlement).
    let invoice = Uuid::now_v7();
    pricing::reserve(&app.db, welcome.id, customer, invoice, Utc::now())
        .await
        .unwrap();
    pricing::confirm_redemptions(&app.db, &[invoice], Utc::now())
        .await
        .unwrap();

    let again = quote(&app, Some(&token), body.clone()).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let err: Value = again.json().await.unwrap();
    assert_eq!(err["error"]["code"], "promo_already_used", "{err}");
    assert!(err["error"]["fields"]["promo_code"][0].is_string());

    let other = app.customer_token(Uuid::now_v7(), "someone.else@example.com");
    assert_eq!(
        quote(&app, Some(&other), body).await.status(),
        StatusCode::OK,
        "other customers still can"
    );
}

#[tokio::test]
async fn a_repriced_tariff_is_quoted_at_once() {
    let app = spawn_app().await;
    let marketing = app.staff_token(MARKETING.0).await;
    let premium = tariff_id(&app.db, "premium").await;
    let body = json!({"tariff_id": premium, "months": 1});
    let before: Value = quote(&app, None, body.clone()).await.json().await.unwrap();
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/admin/tariffs/{premium}")))
        .bearer_auth(&marketing)
        .json(&json!({"monthly_price": "777.70"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let after: Value = quote(&app, None, body).await.json().await.unwrap();
    assert_ne!(before["total"], after["total"]);
    assert_eq!(after["total"]["amount"], "777.70", "{after}");
}

#[tokio::test]
async fn the_auth_callback_starts_a_browser_session() {
    let app = spawn_app().await;
    let customer = Uuid::now_v7();
    let token = app.customer_token(customer, "browser@example.com");

    // The sign-in starts here: off to the auth service with a state, remembered in a
    // short-lived cookie.
    let start = app
        .client
        .get(app.url("/auth/sign-in?next=%2Faccount"))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), StatusCode::SEE_OTHER);
    let location = start.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with("http://auth.invalid/sign-in?return_to=http%3A%2F%2F127.0.0.1%3A"),
        "{location}"
    );
    assert!(
        location.contains("%2Fauth%2Fcallback&state=") && location.ends_with("&next=%2Faccount"),
        "{location}"
    );
    let cookie = start.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
            && cookie.contains("Path=/auth"),
        "{cookie}"
    );

    let res = app
        .browser_sign_in(&app.client, &token, "//evil.example")
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/", "next never leaves the site");

    let me: Value = app
        .client
        .post(app.url("/rpc/current_customer"))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], customer.to_string(), "{me}");
    assert_eq!(me["email"], "browser@example.com");

    // Signing out ends it.
    let res = app
        .client
        .post(app.url("/rpc/customer_sign_out"))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success() || res.status().is_redirection());
    let me: Value = app
        .client
        .post(app.url("/rpc/current_customer"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(me.is_null(), "{me}");

    // A bad token is sent back to the sign-in page and signs nobody in.
    let fresh = crate::helpers::new_client();
    let res = app.browser_sign_in(&fresh, "forged.token.here", "/").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/sign-in?error=invalid_token");
}

async fn signed_in_customer(client: &reqwest::Client, app: &crate::helpers::TestApp) -> Value {
    client
        .post(app.url("/rpc/current_customer"))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_callback_the_browser_did_not_start_signs_nobody_in() {
    let app = spawn_app().await;
    // The attacker's own, perfectly valid token: login CSRF would sign the victim into it.
    let attacker = app.customer_token(Uuid::now_v7(), "attacker@example.com");

    // No state at all, or a state of the attacker's own sign-in: refused.
    let victim = crate::helpers::new_client();
    let res = victim
        .post(app.url("/auth/callback"))
        .form(&[("token", attacker.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/sign-in?error=invalid_state");
    let res = victim
        .post(app.url("/auth/callback"))
        .header("sec-fetch-site", "same-origin")
        .form(&[
            ("token", attacker.as_str()),
            ("state", "the-attackers-state"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/sign-in?error=invalid_state");
    assert!(signed_in_customer(&victim, &app).await.is_null());

    // The victim's own sign-in in progress: the attacker cannot know its state.
    victim.get(app.url("/auth/sign-in")).send().await.unwrap();
    let res = victim
        .post(app.url("/auth/callback"))
        .form(&[("token", attacker.as_str()), ("state", "guessed")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/sign-in?error=invalid_state");
    assert!(signed_in_customer(&victim, &app).await.is_null());

    // A state works once: the cookie is cleared when it is used.
    let real = app.customer_token(Uuid::now_v7(), "victim@example.com");
    let ok = app.browser_sign_in(&victim, &real, "/account").await;
    assert_eq!(ok.headers()["location"], "/account");
    let cleared = ok.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cleared.starts_with("kinobill_auth_state=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
}

#[tokio::test]
async fn the_auth_services_cross_site_post_is_relayed_from_our_own_origin() {
    let app = spawn_app().await;
    let token = app.customer_token(Uuid::now_v7(), "relay@example.com");
    // A browser does not send our Lax cookie on the auth service's cross-site post.
    let cookieless = crate::helpers::new_client();
    let res = cookieless
        .post(app.url("/auth/callback"))
        .header("sec-fetch-site", "cross-site")
        .form(&[
            ("token", token.as_str()),
            ("state", "abc\"><x"),
            ("next", "/account"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("script-src 'nonce-") && csp.contains("form-action 'self'"),
        "{csp}"
    );
    let html = res.text().await.unwrap();
    assert!(
        html.contains(r#"<form id="relay" method="post" action="/auth/callback">"#),
        "{html}"
    );
    assert!(
        html.contains(r#"value="abc&quot;&gt;&lt;x""#),
        "escaped: {html}"
    );
    assert!(
        signed_in_customer(&cookieless, &app).await.is_null(),
        "the relay itself signs nobody in"
    );
}

#[tokio::test]
async fn the_demo_sign_in_is_off_without_the_development_secret() {
    let app = spawn_app().await;
    let anna = customers::Entity::find()
        .filter(customers::Column::Email.eq("customer01@example.com"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let res = app
        .client
        .post(app.url("/rpc/demo_sign_in"))
        .form(&[("customer_id", anna.id.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let list: Value = app
        .client
        .post(app.url("/rpc/demo_customers"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn the_demo_sign_in_acts_only_as_the_seeded_demo_customers() {
    if crate::helpers::backend() == crate::helpers::Backend::Postgres {
        // The development secret (and with it demo sign-in) is refused with PostgreSQL.
        return;
    }
    let app = crate::helpers::spawn_clocked(&[(
        "KINOBILL__AUTH__JWT_SECRET",
        server::config::DEV_JWT_SECRET,
    )])
    .await;
    let anna = customers::Entity::find()
        .filter(customers::Column::Email.eq("customer01@example.com"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    // A real customer (signed in once through the auth service's token).
    let real_id = uuid::Uuid::now_v7();
    let token = crate::helpers::customer_token_with(
        server::config::DEV_JWT_SECRET,
        real_id,
        Some("real.person@example.com"),
        chrono::Utc::now() + chrono::TimeDelta::hours(1),
    );
    let me = app
        .client
        .get(app.url("/api/v1/me/subscription"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(me.status().is_success() || me.status() == StatusCode::NOT_FOUND);
    assert!(
        customers::Entity::find_by_id(real_id)
            .one(&app.db)
            .await
            .unwrap()
            .is_some(),
        "the real customer exists"
    );
    let sign_in = |id: uuid::Uuid| {
        crate::helpers::new_client()
            .post(app.url("/rpc/demo_sign_in"))
            .form(&[("customer_id", id.to_string())])
            .send()
    };
    let refused = sign_in(real_id).await.unwrap();
    assert_eq!(
        refused.status(),
        StatusCode::NOT_FOUND,
        "not by a real customer's id"
    );
    let demo = sign_in(anna.id).await.unwrap();
    assert!(
        demo.status().is_success() || demo.status().is_redirection(),
        "{}",
        demo.status()
    );
    let list: Value = app
        .client
        .post(app.url("/rpc/demo_customers"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let emails: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["email"].as_str().unwrap())
        .collect();
    assert!(
        !emails.is_empty()
            && emails
                .iter()
                .all(|e| e.starts_with("customer") && e.ends_with("@example.com")),
        "{emails:?}"
    );
    assert!(!emails.contains(&"real.person@example.com"));
}

#[tokio::test]
async fn the_auth_callback_never_sends_the_browser_to_another_site() {
    let app = spawn_app().await;
    for next in [
        "//evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "/\r\n/evil.example",
        "/%2F%2Fevil.example",
        "https://evil.example/account",
    ] {
        let token = app.customer_token(Uuid::now_v7(), "redirect@example.com");
        let res = app
            .browser_sign_in(&crate::helpers::new_client(), &token, next)
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(res.headers()["location"], "/", "{next:?}");
    }
    let token = app.customer_token(Uuid::now_v7(), "redirect@example.com");
    let res = app
        .browser_sign_in(&crate::helpers::new_client(), &token, "/account")
        .await;
    assert_eq!(res.headers()["location"], "/account");
}
