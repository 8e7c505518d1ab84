use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_app_boots_and_reports_healthy_and_ready() {
    let app = spawn_app().await;
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(health.json::<Value>().await.unwrap()["status"], "ok");
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(ready.json::<Value>().await.unwrap()["status"], "ready");
    app.stop().await;
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.db.clone().close().await.unwrap();
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        ready.json::<Value>().await.unwrap()["status"],
        "unavailable"
    );
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_keeps_the_callers() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    let generated = res
        .headers()
        .get("x-request-id")
        .expect("request id")
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(generated.len(), 36, "a uuid: {generated}");
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "trace-me-123");
}

#[tokio::test]
async fn unknown_api_paths_get_a_json_404() {
    let app = spawn_app().await;
    for path in [
        "/api/v1/nope",
        "/api/v2/tariffs",
        "/api/whatever",
        "/api/v1/admin/nothing/here",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{path}"
        );
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{path}");
        assert!(body["error"]["message"].as_str().unwrap().len() > 5);
    }
}

#[tokio::test]
async fn a_malformed_path_or_query_gets_the_contracts_json_error() {
    let app = spawn_app().await;
    let c = crate::checkout_api::customer(&app);
    let admin = app.staff_token(crate::helpers::ADMIN.0).await;
    // An id that is not a UUID, a page size that is not a number: 400 with the error
    // body every other refusal has, never axum's plain text.
    let cases = [
        (
            app.client
                .delete(app.url("/api/v1/admin/promo-codes/not-a-uuid"))
                .bearer_auth(&admin),
            "invalid_path",
        ),
        (
            app.client
                .get(app.url("/api/v1/admin/promo-codes?page=many"))
                .bearer_auth(&admin),
            "invalid_query",
        ),
        (
            app.client
                .get(app.url("/api/v1/me/payments?limit=many"))
                .bearer_auth(&c.token),
            "invalid_query",
        ),
    ];
    for (req, code) in cases {
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{code}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{code}"
        );
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{body}");
    }
}

#[tokio::test]
async fn a_wrong_method_on_an_api_path_gets_a_json_405() {
    let app = spawn_app().await;
    let res = app
        .client
        .delete(app.url("/api/v1/tariffs"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
}

#[tokio::test]
async fn the_openapi_document_describes_the_routes_in_the_code() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/openapi.json").await;
    assert_eq!(res.status(), StatusCode::OK);
    let doc: Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/tariffs",
        "/api/v1/admin/tariffs",
        "/healthz",
        "/readyz",
    ] {
        assert!(doc["paths"][path].is_object(), "missing {path}");
    }
    assert!(doc["components"]["schemas"]["TariffDto"].is_object());
    for scheme in ["staff_token", "customer_jwt", "service_token"] {
        assert_eq!(
            doc["components"]["securitySchemes"][scheme]["scheme"], "bearer",
            "{scheme}"
        );
    }
    // Every endpoint `rest::router` serves, with the credentials it takes.
    let endpoints: &[(&str, &str, Option<&str>)] = &[
        ("get", "/api/v1/tariffs", None),
        ("post", "/api/v1/quotes", Some("customer_jwt")),
        ("post", "/api/v1/checkout", Some("customer_jwt")),
        ("get", "/api/v1/payments/{id}", Some("customer_jwt")),
        ("post", "/api/v1/payments/{id}/refund", Some("customer_jwt")),
        ("get", "/api/v1/me/subscription", Some("customer_jwt")),
        ("patch", "/api/v1/me/subscription", Some("customer_jwt")),
        ("get", "/api/v1/me/payments", Some("customer_jwt")),
        ("get", "/api/v1/me/statement", Some("customer_jwt")),
        ("get", "/api/v1/me/notifications", Some("customer_jwt")),
        (
            "get",
            "/api/v1/entitlements/{user_id}",
            Some("service_token"),
        ),
        ("post", "/api/v1/webhooks/{provider}", None),
        ("post", "/api/v1/webhooks/{provider}/{kind}", None),
        ("get", "/api/v1/admin/tariffs", Some("staff_token")),
        ("post", "/api/v1/admin/tariffs", Some("staff_token")),
        ("patch", "/api/v1/admin/tariffs/{id}", Some("staff_token")),
        ("get", "/api/v1/admin/month-discounts", Some("staff_token")),
        ("put", "/api/v1/admin/month-discounts", Some("staff_token")),
        (
            "put",
            "/api/v1/admin/customers/{user_id}/discount",
            Some("staff_token"),
        ),
        (
            "delete",
            "/api/v1/admin/customers/{user_id}/discount",
            Some("staff_token"),
        ),
        (
            "get",
            "/api/v1/admin/personal-discounts",
            Some("staff_token"),
        ),
        ("get", "/api/v1/admin/promo-codes", Some("staff_token")),
        ("post", "/api/v1/admin/promo-codes", Some("staff_token")),
        (
            "post",
            "/api/v1/admin/promo-codes/batch",
            Some("staff_token"),
        ),
        (
            "patch",
            "/api/v1/admin/promo-codes/{id}",
            Some("staff_token"),
        ),
        (
            "delete",
            "/api/v1/admin/promo-codes/{id}",
            Some("staff_token"),
        ),
        ("get", "/api/v1/admin/payments", Some("staff_token")),
        ("get", "/api/v1/admin/payments/{id}", Some("staff_token")),
        (
            "post",
            "/api/v1/admin/payments/{id}/refund",
            Some("staff_token"),
        ),
        (
            "get",
            "/api/v1/admin/customers/{user_id}",
            Some("staff_token"),
        ),
        (
            "put",
            "/api/v1/admin/customers/{user_id}/subscription",
            Some("staff_token"),
        ),
        (
            "post",
            "/api/v1/admin/customers/{user_id}/adjustments",
            Some("staff_token"),
        ),
        ("get", "/api/v1/admin/outbox", Some("staff_token")),
        (
            "post",
            "/api/v1/admin/outbox/{id}/retry",
            Some("staff_token"),
        ),
        ("get", "/api/v1/admin/clock", Some("staff_token")),
        ("post", "/api/v1/admin/clock", Some("staff_token")),
        ("get", "/api/v1/admin/integrity", Some("staff_token")),
        ("get", "/api/v1/admin/staff", Some("staff_token")),
        ("post", "/api/v1/admin/staff", Some("staff_token")),
        ("patch", "/api/v1/admin/staff/{id}", Some("staff_token")),
        (
            "post",
            "/api/v1/admin/staff/{id}/unlock",
            Some("staff_token"),
        ),
        (
            "get",
            "/api/v1/admin/staff/{id}/tokens",
            Some("staff_token"),
        ),
        (
            "delete",
            "/api/v1/admin/staff/{id}/tokens/{token_id}",
            Some("staff_token"),
        ),
        ("get", "/api/v1/admin/dashboard", Some("staff_token")),
        ("get", "/api/v1/admin/customers", Some("staff_token")),
        ("get", "/api/v1/admin/subscriptions", Some("staff_token")),
        ("get", "/api/v1/admin/invoices", Some("staff_token")),
        ("get", "/api/v1/admin/invoices/{id}", Some("staff_token")),
        (
            "post",
            "/api/v1/admin/invoices/{id}/void",
            Some("staff_token"),
        ),
        (
            "post",
            "/api/v1/admin/customers/{user_id}/grants",
            Some("staff_token"),
        ),
        ("get", "/api/v1/admin/audit", Some("staff_token")),
        ("get", "/api/v1/admin/films", Some("staff_token")),
        ("post", "/api/v1/admin/films", Some("staff_token")),
        ("put", "/api/v1/admin/films", Some("staff_token")),
        ("patch", "/api/v1/admin/films/{id}", Some("staff_token")),
    ];
    for (method, path, scheme) in endpoints {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is not in the document");
        let security = op["security"]
            .as_array()
            .expect("security is always stated");
        match scheme {
            Some(s) => assert!(
                security.iter().any(|r| r.get(s).is_some()),
                "{method} {path} takes {s}: {security:?}"
            ),
            None => assert!(security.is_empty(), "{method} {path} is public"),
        }
    }
    let documented: usize = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(p, _)| p.starts_with("/api/"))
        .map(|(_, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|k| ["get", "post", "put", "patch", "delete"].contains(&k.as_str()))
                .count()
        })
        .sum();
    assert_eq!(
        documented,
        endpoints.len(),
        "no undocumented extra, none missing"
    );
}

#[tokio::test]
async fn sqlite_runs_with_wal_and_foreign_keys() {
    use crate::helpers::{Backend, backend};
    use sea_orm::{ConnectionTrait, DbBackend, Statement};

    if backend() != Backend::Sqlite {
        return;
    }
    let app = spawn_app().await;
    let pragma = |sql: &'static str| {
        let db = app.db.clone();
        async move {
            let row = db
                .query_one_raw(Statement::from_string(DbBackend::Sqlite, sql))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<String>(0)
                .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
                .unwrap()
        }
    };
    assert_eq!(pragma("PRAGMA journal_mode").await, "wal");
    assert_eq!(pragma("PRAGMA foreign_keys").await, "1");

    // The foreign keys are enforced, not just declared.
    let orphan = app
        .db
        .execute_unprepared(
            "INSERT INTO tariff_films (tariff_id, film_id, position) VALUES (X'00', X'01', 0)",
        )
        .await;
    assert!(orphan.is_err(), "an orphan link must be refused");
}

#[tokio::test]
async fn every_response_carries_security_headers_and_pages_a_nonce_policy() {
    let app = spawn_app().await;
    let api = app.get("/api/v1/tariffs").await;
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "strict-origin-when-cross-origin"),
        ("x-frame-options", "DENY"),
    ] {
        assert_eq!(api.headers()[name], value, "{name}");
    }
    let csp = api.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");

    // A page: its policy names this response's nonce, and every inline script Leptos
    // wrote carries it, so the hydrated app runs and an injected script would not.
    let page = app.get("/").await;
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the page's policy")
        .to_string();
    assert!(nonce.len() >= 16, "{csp}");
    let html = page.text().await.unwrap();
    let scripts: Vec<&str> = html.split("<script").skip(1).collect();
    assert!(!scripts.is_empty());
    for s in scripts {
        let tag = s.split('>').next().unwrap();
        assert!(
            tag.contains(&format!("nonce=\"{nonce}\"")) || tag.contains("src="),
            "an inline script without the nonce: <script{tag}>"
        );
    }
    let again = app.get("/").await;
    assert_ne!(
        again.headers()["content-security-policy"].to_str().unwrap(),
        csp,
        "a fresh nonce per response"
    );
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_the_contracts_json_error() {
    let app = spawn_app().await;
    let c = crate::checkout_api::customer(&app);
    let huge = format!("{{\"tariff_id\": \"{}\"}}", "x".repeat(300 * 1024));
    for path in [
        "/api/v1/quotes",
        "/api/v1/checkout",
        "/api/v1/webhooks/sandbox",
    ] {
        let res = app
            .client
            .post(app.url(path))
            .bearer_auth(&c.token)
            .header("content-type", "application/json")
            .header("Idempotency-Key", "huge")
            .body(huge.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "payload_too_large", "{path}: {body}");
    }
    // Nothing was stored.
    assert_eq!(
        <entity::payments::Entity as sea_orm::EntityTrait>::find()
            .all(&app.db)
            .await
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn an_address_over_its_rate_gets_429_with_retry_after() {
    let app = crate::helpers::spawn_clocked(&[
        ("KINOBILL__RATE_LIMIT__PER_SECOND", "1"),
        ("KINOBILL__RATE_LIMIT__BURST", "3"),
    ])
    .await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(app.get("/api/v1/tariffs").await);
    }
    let codes: Vec<u16> = statuses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(&codes[..3], &[200, 200, 200], "{codes:?}");
    assert!(codes[3..].iter().all(|c| *c == 429), "{codes:?}");
    let refused = statuses.pop().unwrap();
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    // Providers' webhooks and health checks are not limited.
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    let hook = app
        .client
        .post(app.url("/api/v1/webhooks/sandbox"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_ne!(hook.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    let limited = |trusted: bool| async move {
        let mut env = vec![
            ("KINOBILL__RATE_LIMIT__PER_SECOND", "1"),
            ("KINOBILL__RATE_LIMIT__BURST", "1"),
        ];
        if trusted {
            env.push(("KINOBILL__SERVER__TRUSTED_PROXIES", "127.0.0.1/32"));
        }
        let app = crate::helpers::spawn_clocked(&env).await;
        let mut codes = Vec::new();
        for client in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
            let res = app
                .client
                .get(app.url("/api/v1/tariffs"))
                .header("X-Forwarded-For", client)
                .send()
                .await
                .unwrap();
            codes.push(res.status().as_u16());
        }
        codes
    };
    // Our proxy's forwarded clients are told apart...
    assert_eq!(limited(true).await, [200, 200, 200]);
    // ...but a header from anyone else is the client's own word, and ignored.
    assert_eq!(limited(false).await, [200, 429, 429]);
}
