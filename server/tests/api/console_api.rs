//! The console's wave-2 REST endpoints: films (CRUD, bulk upsert, archive), customer
//! search, subscriptions, invoices (list, page, void), the audit log, the dashboard,
//! CSV exports, keyset pages and the role matrix over all of them.

use entity::films;
use reqwest::StatusCode;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::checkout_api::{buy, checkout, customer, tariff, wait_for_status};
use crate::helpers::{ADMIN, MARKETING, SUPPORT, TEST_SERVICE_TOKEN, TestApp, spawn_app};

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app
        .client
        .request(method, app.url(path))
        .bearer_auth(token)
        .header("Idempotency-Key", Uuid::new_v4().to_string());
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

async fn get_json(app: &TestApp, token: &str, path: &str) -> Value {
    let res = send(app, reqwest::Method::GET, token, path, None).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.json().await.unwrap()
}

async fn csv(app: &TestApp, token: &str, path: &str) -> String {
    let res = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv"),
        "{path}"
    );
    res.text().await.unwrap()
}

#[tokio::test]
async fn films_are_added_edited_archived_and_upserted_from_the_movies_db_export() {
    let app = spawn_app().await;
    let marketing = app.staff_token(MARKETING.0).await;
    let support = app.staff_token(SUPPORT.0).await;
    let post = reqwest::Method::POST;

    let res = send(
        &app,
        post.clone(),
        &marketing,
        "/api/v1/admin/films",
        Some(json!({"external_id": "tt0120737", "title": "  The   Mirror ", "year": 1975})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let film: Value = res.json().await.unwrap();
    assert_eq!(film["title"], "The Mirror");
    assert_eq!(film["active"], true);
    let id = film["id"].as_str().unwrap().to_string();

    // A second film under the same external id, and bad fields, are refused by field.
    let res = send(
        &app,
        post.clone(),
        &marketing,
        "/api/v1/admin/films",
        Some(json!({"external_id": "tt0120737", "title": "Copy", "year": "1975"})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let err: Value = res.json().await.unwrap();
    assert!(err["error"]["fields"]["external_id"].is_array(), "{err}");
    let res = send(
        &app,
        post.clone(),
        &marketing,
        "/api/v1/admin/films",
        Some(json!({"external_id": "", "title": "", "year": 1700})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let err: Value = res.json().await.unwrap();
    for f in ["external_id", "title", "year"] {
        assert!(err["error"]["fields"][f].is_array(), "{f}: {err}");
    }

    // Support reads the catalogue but cannot change it; nobody without a token reads it.
    assert_eq!(
        send(
            &app,
            post.clone(),
            &support,
            "/api/v1/admin/films",
            Some(json!({"external_id": "x1", "title": "X", "year": 2000}))
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    get_json(&app, &support, "/api/v1/admin/films?q=mirror").await;
    assert_eq!(
        app.client
            .get(app.url("/api/v1/admin/films"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );

    // Edit, then archive: an archived film is offered to no tariff.
    let res = send(
        &app,
        reqwest::Method::PATCH,
        &marketing,
        &format!("/api/v1/admin/films/{id}"),
        Some(json!({"title": "Mirror", "year": "1975"})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = send(
        &app,
        reqwest::Method::PATCH,
        &marketing,
        &format!("/api/v1/admin/films/{id}"),
        Some(json!({"active": false})),
    )
    .await;
    let archived: Value = res.json().await.unwrap();
    assert_eq!(archived["active"], false);
    let classic = tariff(&app, "classic").await;
    let res = send(
        &app,
        reqwest::Method::PATCH,
        &marketing,
        &format!("/api/v1/admin/tariffs/{}", classic.id),
        Some(json!({"film_ids": [id]})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let listed = get_json(&app, &marketing, "/api/v1/admin/films?status=archived").await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert_eq!(listed["data"][0]["title"], "Mirror");

    // The bulk upsert: two new, one changed; the same export again changes nothing.
    let export = json!({"films": [
        {"external_id": "tt0120737", "title": "Mirror", "year": 1975, "active": true},
        {"external_id": "tt0069293", "title": "Solaris", "year": 1972},
        {"external_id": "mdb-9001", "title": "Brother", "year": 1997},
        {"external_id": "mdb-9002", "title": "Brother 2", "year": "2000"},
    ]});
    let put = reqwest::Method::PUT;
    let res = send(
        &app,
        put.clone(),
        &marketing,
        "/api/v1/admin/films",
        Some(export.clone()),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let report: Value = res.json().await.unwrap();
    assert_eq!(report, json!({"created": 2, "updated": 1, "unchanged": 1}));
    let res = send(
        &app,
        put.clone(),
        &marketing,
        "/api/v1/admin/films",
        Some(export),
    )
    .await;
    let report: Value = res.json().await.unwrap();
    assert_eq!(report, json!({"created": 0, "updated": 0, "unchanged": 4}));

    // A bad row stops the whole upload, with its line, and nothing changes.
    let before = films::Entity::find().count(&app.db).await.unwrap();
    let res = send(
        &app,
        put.clone(),
        &marketing,
        "/api/v1/admin/films",
        Some(json!({"films": [
            {"external_id": "mdb-9100", "title": "Fine", "year": 2001},
            {"external_id": "mdb-9101", "title": "Bad year", "year": 3000},
            {"external_id": "mdb-9100", "title": "Repeated", "year": 2002},
        ]})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let err: Value = res.json().await.unwrap();
    let fields = &err["error"]["fields"];
    assert!(
        fields["films[1].year"][0]
            .as_str()
            .unwrap()
            .starts_with("line 2:"),
        "{err}"
    );
    assert!(
        fields["films[2].external_id"][0]
            .as_str()
            .unwrap()
            .contains("also on line 1"),
        "{err}"
    );
    assert_eq!(films::Entity::find().count(&app.db).await.unwrap(), before);
    assert_eq!(
        send(
            &app,
            put,
            &support,
            "/api/v1/admin/films",
            Some(json!({"films": []}))
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );

    // Search by title part or exact external id; CSV of the same rows.
    let found = get_json(&app, &support, "/api/v1/admin/films?q=broth").await;
    assert_eq!(found["data"].as_array().unwrap().len(), 2);
    let found = get_json(&app, &support, "/api/v1/admin/films?q=mdb-9002").await;
    assert_eq!(found["data"][0]["title"], "Brother 2");
    let text = csv(&app, &support, "/api/v1/admin/films?q=broth").await;
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("external_id,title,year,active"),
        "{text}"
    );
    assert_eq!(lines.len(), 3, "{text}");

    // Every change is in the audit log.
    let admin = app.staff_token(ADMIN.0).await;
    let audit = get_json(&app, &admin, "/api/v1/admin/audit?entity_type=film").await;
    let actions: Vec<&str> = audit["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "film.created",
        "film.updated",
        "film.archived",
        "film.bulk_upserted",
    ] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}

#[tokio::test]
async fn entitlements_name_films_by_their_movies_db_id() {
    let app = spawn_app().await;
    let c = customer(&app);
    let body = buy(&app, &c, "classic", 1, "4242424242424242").await;
    wait_for_status(
        &app,
        &c,
        body["payment"]["id"].as_str().unwrap(),
        "succeeded",
    )
    .await;
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
    let ids: Vec<&str> = ent["film_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(ids, ["tt0050634", "tt0056111", "tt0060107"]);
}

#[tokio::test]
async fn support_finds_customers_subscriptions_and_invoices_page_by_page() {
    let app = spawn_app().await;
    let support = app.staff_token(SUPPORT.0).await;
    let marketing = app.staff_token(MARKETING.0).await;
    let (a, b) = (customer(&app), customer(&app));
    for c in [&a, &b] {
        let body = buy(&app, c, "premium", 1, "4242424242424242").await;
        wait_for_status(
            &app,
            c,
            body["payment"]["id"].as_str().unwrap(),
            "succeeded",
        )
        .await;
    }

    // By part of the e-mail (any case), by id, and nobody.
    // The random tail of the id (a v7 id's head is its time, shared by both).
    let part = a.id.simple().to_string()[20..].to_uppercase();
    let found = get_json(&app, &support, &format!("/api/v1/admin/customers?q={part}")).await;
    assert_eq!(found["data"].as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found["data"][0]["id"], a.id.to_string());
    assert_eq!(found["data"][0]["subscription_status"], "active");
    assert_eq!(found["data"][0]["tariff_name"], "Premium");
    let found = get_json(
        &app,
        &support,
        &format!("/api/v1/admin/customers?q={}", b.id),
    )
    .await;
    assert_eq!(found["data"][0]["id"], b.id.to_string());
    let found = get_json(&app, &support, "/api/v1/admin/customers?q=nobody-like-this").await;
    assert!(found["data"].as_array().unwrap().is_empty());

    // Keyset pages: one row each, no row twice, and a forged cursor is refused.
    let first = get_json(&app, &support, "/api/v1/admin/customers?limit=1").await;
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a second page")
        .to_string();
    let second = get_json(
        &app,
        &support,
        &format!("/api/v1/admin/customers?limit=1&cursor={cursor}"),
    )
    .await;
    assert_ne!(first["data"][0]["id"], second["data"][0]["id"]);
    let res = send(
        &app,
        reqwest::Method::GET,
        &support,
        "/api/v1/admin/customers?cursor=nope",
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"]["code"], "invalid_cursor");

    // Subscriptions by status and tariff.
    let premium = tariff(&app, "premium").await;
    let subs = get_json(
        &app,
        &support,
        &format!(
            "/api/v1/admin/subscriptions?status=active&tariff_id={}",
            premium.id
        ),
    )
    .await;
    assert_eq!(subs["data"].as_array().unwrap().len(), 2);
    assert_eq!(subs["data"][0]["auto_renew"], true);
    let subs = get_json(&app, &support, "/api/v1/admin/subscriptions?status=expired").await;
    assert!(subs["data"].as_array().unwrap().is_empty());
    let res = send(
        &app,
        reqwest::Method::GET,
        &support,
        "/api/v1/admin/subscriptions?status=lapsed",
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Invoices of one customer, and one invoice with its frozen quote and payment.
    let invs = get_json(
        &app,
        &support,
        &format!("/api/v1/admin/invoices?user_id={}&status=paid", a.id),
    )
    .await;
    assert_eq!(invs["data"].as_array().unwrap().len(), 1);
    let inv_id = invs["data"][0]["id"].as_str().unwrap();
    let inv = get_json(&app, &support, &format!("/api/v1/admin/invoices/{inv_id}")).await;
    assert_eq!(inv["invoice"]["status"], "paid");
    assert_eq!(inv["list_price"]["amount"], "499.00");
    assert_eq!(inv["quote"]["months"], 1);
    assert_eq!(inv["payments"].as_array().unwrap().len(), 1);
    assert_eq!(inv["payments"][0]["status"], "succeeded");
    assert_eq!(
        send(
            &app,
            reqwest::Method::GET,
            &support,
            &format!("/api/v1/admin/invoices/{}", Uuid::now_v7()),
            None
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );

    // CSV: every matching row (not one page), header first.
    let all = get_json(&app, &support, "/api/v1/admin/customers?limit=200").await;
    let all = all["data"].as_array().unwrap().len();
    assert!(all > 2, "the demo customers and ours");
    let text = csv(&app, &support, "/api/v1/admin/customers?limit=1").await;
    assert_eq!(text.lines().count(), 1 + all, "{text}");
    let text = csv(&app, &support, "/api/v1/admin/invoices?status=paid").await;
    assert!(text.starts_with("number,id,customer_id"), "{text}");
    assert_eq!(text.lines().count(), 3, "{text}");
    let text = csv(&app, &support, "/api/v1/admin/payments").await;
    assert_eq!(text.lines().count(), 3, "{text}");
    let text = csv(&app, &support, "/api/v1/admin/subscriptions").await;
    assert_eq!(text.lines().count(), 3, "{text}");

    // The role matrix: marketing runs no support lists; only an admin reads the audit.
    for path in [
        "/api/v1/admin/customers",
        "/api/v1/admin/subscriptions",
        "/api/v1/admin/invoices",
        &format!("/api/v1/admin/invoices/{inv_id}"),
        "/api/v1/admin/audit",
    ] {
        assert_eq!(
            send(&app, reqwest::Method::GET, &marketing, path, None)
                .await
                .status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    assert_eq!(
        send(
            &app,
            reqwest::Method::GET,
            &support,
            "/api/v1/admin/audit",
            None
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    for path in [
        "/api/v1/admin/customers",
        "/api/v1/admin/dashboard",
        "/api/v1/admin/audit",
    ] {
        assert_eq!(
            app.client.get(app.url(path)).send().await.unwrap().status(),
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
    }
}

#[tokio::test]
async fn support_voids_an_open_invoice_once_and_its_payment_is_canceled() {
    let app = spawn_app().await;
    let support = app.staff_token(SUPPORT.0).await;
    let c = customer(&app);
    let premium = tariff(&app, "premium").await;
    let res = checkout(
        &app,
        &c,
        "open-1",
        &json!({"tariff_id": premium.id, "months": 1}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.unwrap();
    let pid = body["payment"]["id"].as_str().unwrap().to_string();
    let invs = get_json(
        &app,
        &support,
        &format!("/api/v1/admin/invoices?user_id={}", c.id),
    )
    .await;
    let inv_id = invs["data"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(invs["data"][0]["status"], "open");
    let path = format!("/api/v1/admin/invoices/{inv_id}/void");
    let void = |key: &'static str, body: Value| {
        let (app, support, path) = (&app, &support, &path);
        async move {
            app.client
                .post(app.url(path))
                .bearer_auth(support)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };

    // No reason: refused, nothing changes.
    let res = void("v0", json!({"reason": "  "})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let inv = get_json(&app, &support, &format!("/api/v1/admin/invoices/{inv_id}")).await;
    assert_eq!(inv["invoice"]["status"], "open");

    let res = void("v1", json!({"reason": "Customer asked to start over"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let voided: Value = res.json().await.unwrap();
    assert_eq!(voided["invoice"]["status"], "void");
    assert_eq!(voided["void_reason"], "Customer asked to start over");
    // The pending payment was canceled at the provider.
    wait_for_status(&app, &c, &pid, "canceled").await;
    // The same request again is the same answer; a new one finds nothing open.
    let again = void("v1", json!({"reason": "Customer asked to start over"})).await;
    assert_eq!(again.status(), StatusCode::OK);
    let res = void("v2", json!({"reason": "again"})).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"]["code"], "invoice_not_open");

    let detail = get_json(&app, &support, &format!("/api/v1/admin/payments/{pid}")).await;
    let notes: Vec<String> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "invoice_voided")
        .map(|e| e["note"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(notes.len(), 1, "{detail}");
    assert!(notes[0].contains("Customer asked to start over"));
    let admin = app.staff_token(ADMIN.0).await;
    let audit = get_json(
        &app,
        &admin,
        &format!("/api/v1/admin/audit?entity_type=invoice&entity_id={inv_id}"),
    )
    .await;
    assert_eq!(audit["data"].as_array().unwrap().len(), 1);
    assert_eq!(audit["data"][0]["action"], "invoice.voided");
    let changes = audit["data"][0]["changes"].as_array().unwrap();
    assert!(
        changes.iter().any(|c| c["field"] == "status"
            && c["before"] == "\"open\""
            && c["after"] == "\"void\""),
        "{changes:?}"
    );

    // Marketing may not void.
    let marketing = app.staff_token(MARKETING.0).await;
    assert_eq!(
        send(
            &app,
            reqwest::Method::POST,
            &marketing,
            &path,
            Some(json!({"reason": "x"}))
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_dashboard_counts_the_period_and_hides_money_from_marketing() {
    let app = spawn_app().await;
    let c = customer(&app);
    let body = buy(&app, &c, "premium", 1, "4242424242424242").await;
    let pid = body["payment"]["id"].as_str().unwrap().to_string();
    wait_for_status(&app, &c, &pid, "succeeded").await;
    let c2 = customer(&app);
    let body = buy(&app, &c2, "classic", 1, "4242424242424242").await;
    let pid2 = body["payment"]["id"].as_str().unwrap().to_string();
    wait_for_status(&app, &c2, &pid2, "succeeded").await;
    let res = app
        .client
        .post(app.url(&format!("/api/v1/payments/{pid2}/refund")))
        .bearer_auth(&c2.token)
        .header("Idempotency-Key", "r1")
        .json(&json!({"reason": "changed my mind"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    wait_for_status(&app, &c2, &pid2, "refunded").await;

    let support = app.staff_token(SUPPORT.0).await;
    let d = get_json(&app, &support, "/api/v1/admin/dashboard").await;
    assert_eq!(d["mrr"]["amount"], "499.00", "{d}");
    assert_eq!(d["active_subscribers"].as_array().unwrap().len(), 1, "{d}");
    assert_eq!(d["active_subscribers"][0]["tariff_name"], "Premium");
    assert_eq!(d["new_subscribers"], 2);
    assert_eq!(d["churned_subscribers"], 1);
    assert_eq!(d["refunds"]["count"], 1);
    assert_eq!(d["refunds"]["amount"]["amount"], "299.00");
    let revenue = d["revenue"].as_array().unwrap();
    assert_eq!(revenue.len(), 30);
    assert_eq!(revenue.last().unwrap()["amount"]["amount"], "798.00", "{d}");
    assert_eq!(d["previous"]["new_subscribers"], 0);

    let marketing = app.staff_token(MARKETING.0).await;
    let d = get_json(&app, &marketing, "/api/v1/admin/dashboard").await;
    assert!(
        d["mrr"].is_null() && d["revenue"].is_null() && d["refunds"]["amount"].is_null(),
        "{d}"
    );
    assert_eq!(d["refunds"]["count"], 1);
    assert_eq!(d["new_subscribers"], 2);

    // A given range, and ranges that make no sense.
    let d = get_json(
        &app,
        &support,
        "/api/v1/admin/dashboard?from=2020-01-01&to=2020-01-07",
    )
    .await;
    assert_eq!(d["revenue"].as_array().unwrap().len(), 7);
    assert_eq!(d["new_subscribers"], 0);
    assert_eq!(d["previous"]["to"], "2019-12-31");
    for q in [
        "from=2020-02-01&to=2020-01-01",
        "from=2019-01-01&to=2020-06-01",
        "from=yesterday",
    ] {
        let res = send(
            &app,
            reqwest::Method::GET,
            &support,
            &format!("/api/v1/admin/dashboard?{q}"),
            None,
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{q}");
    }
}

#[tokio::test]
async fn the_audit_log_shows_who_changed_what_field_by_field() {
    let app = spawn_app().await;
    let admin = app.staff_token(ADMIN.0).await;
    let marketing = app.staff_token(MARKETING.0).await;
    let classic = tariff(&app, "classic").await;
    let res = send(
        &app,
        reqwest::Method::PATCH,
        &marketing,
        &format!("/api/v1/admin/tariffs/{}", classic.id),
        Some(json!({"name": "Classic+", "monthly_price": "349.00"})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let log = get_json(
        &app,
        &admin,
        &format!(
            "/api/v1/admin/audit?action=tariff&actor=MARKETING&entity_id={}",
            classic.id
        ),
    )
    .await;
    let entry = &log["data"][0];
    assert_eq!(entry["actor"], MARKETING.0);
    // A price change is a repricing (the price history has it too).
    assert_eq!(entry["action"], "tariff.repriced");
    let changed: Vec<&str> = entry["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert!(changed.contains(&"name"), "{changed:?}");
    assert!(
        changed.iter().any(|f| f.starts_with("monthly_price")),
        "{changed:?}"
    );
    assert!(
        !changed.contains(&"code"),
        "unchanged fields are not listed: {changed:?}"
    );
    // Date filters: nothing before the log began.
    let old = get_json(&app, &admin, "/api/v1/admin/audit?to=2000-01-01").await;
    assert!(old["data"].as_array().unwrap().is_empty());
    let text = csv(&app, &admin, "/api/v1/admin/audit?action=tariff.repriced").await;
    assert!(
        text.lines().nth(1).unwrap().contains("tariff.repriced"),
        "{text}"
    );
    assert!(
        text.contains("name: \"\"Classic\"\" -> \"\"Classic+\"\""),
        "{text}"
    );
}

#[tokio::test]
async fn support_grants_a_complimentary_period_with_or_without_a_subscription() {
    let app = spawn_app().await;
    let support = app.staff_token(SUPPORT.0).await;
    let premium = tariff(&app, "premium").await;
    let classic = tariff(&app, "classic").await;

    // A customer who never paid: the customer row exists once they signed in (checkout).
    let newcomer = customer(&app);
    let res = checkout(
        &app,
        &newcomer,
        "n-1",
        &json!({"tariff_id": premium.id, "months": 1}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let path = format!("/api/v1/admin/customers/{}/grants", newcomer.id);
    let post = |key: &'static str, body: Value| {
        let (app, support, path) = (&app, &support, path.clone());
        async move {
            app.client
                .post(app.url(&path))
                .bearer_auth(support)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };

    // Bad input changes nothing: no reason, no length, both lengths, too long.
    for (key, body) in [
        (
            "g-bad-1",
            json!({"tariff_id": premium.id, "days": 14, "reason": ""}),
        ),
        (
            "g-bad-2",
            json!({"tariff_id": premium.id, "reason": "gift"}),
        ),
        (
            "g-bad-3",
            json!({"tariff_id": premium.id, "days": 3, "until": "2099-01-01", "reason": "gift"}),
        ),
        (
            "g-bad-4",
            json!({"tariff_id": premium.id, "days": 400, "reason": "gift"}),
        ),
    ] {
        assert_eq!(
            post(key, body).await.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{key}"
        );
    }
    let me: Value = app
        .client
        .get(app.url("/api/v1/me/subscription"))
        .bearer_auth(&newcomer.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["status"], "none");

    let res = post(
        "g-1",
        json!({"tariff_id": premium.id, "days": 14, "reason": "Apology for the outage"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let granted: Value = res.json().await.unwrap();
    assert_eq!(granted["subscription"]["status"], "active");
    assert_eq!(granted["subscription"]["auto_renew"], false);
    assert_eq!(granted["grant"]["granted_by"], SUPPORT.0);
    let first_end = granted["grant"]["ends_at"].as_str().unwrap().to_string();
    // The same request again is the same grant, not a second one.
    let again: Value = post(
        "g-1",
        json!({"tariff_id": premium.id, "days": 14, "reason": "Apology for the outage"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(again["grant"]["id"], granted["grant"]["id"]);

    // Access follows: the entitlement names the role; the auth service and the customer
    // are told through the outbox.
    let ent: Value = app
        .client
        .get(app.url(&format!("/api/v1/entitlements/{}", newcomer.id)))
        .bearer_auth(TEST_SERVICE_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ent["roles"][0]["role"], premium.role, "{ent}");
    let kinds: Vec<String> = entity::outbox::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.kind)
        .collect();
    for k in [
        "role.grant",
        "subscription.granted",
        "complimentary_granted",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k} in {kinds:?}");
    }

    // A second grant runs the same subscription longer; another tariff is refused.
    let res = post(
        "g-2",
        json!({"tariff_id": premium.id, "days": 7, "reason": "Birthday"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let longer: Value = res.json().await.unwrap();
    let first = chrono::DateTime::parse_from_rfc3339(&first_end).unwrap();
    let second =
        chrono::DateTime::parse_from_rfc3339(longer["grant"]["ends_at"].as_str().unwrap()).unwrap();
    assert_eq!((second - first).num_days(), 7);
    let res = post(
        "g-3",
        json!({"tariff_id": classic.id, "days": 7, "reason": "Wrong tariff"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"]["code"], "grant_other_tariff");

    // The money invariants still hold: a complimentary period covers the access.
    let admin = app.staff_token(ADMIN.0).await;
    let integrity = get_json(&app, &admin, "/api/v1/admin/integrity").await;
    assert_eq!(integrity["ok"], true, "{integrity}");
    let audit = get_json(
        &app,
        &admin,
        &format!(
            "/api/v1/admin/audit?action=subscription.granted&entity_id={}",
            newcomer.id
        ),
    )
    .await;
    assert_eq!(audit["data"].as_array().unwrap().len(), 2);

    // A paying subscriber's gift starts where their paid period ends.
    let payer = customer(&app);
    let body = buy(&app, &payer, "premium", 1, "4242424242424242").await;
    wait_for_status(
        &app,
        &payer,
        body["payment"]["id"].as_str().unwrap(),
        "succeeded",
    )
    .await;
    let sub_before = get_json(
        &app,
        &support,
        &format!("/api/v1/admin/customers/{}", payer.id),
    )
    .await;
    let paid_end = chrono::DateTime::parse_from_rfc3339(
        sub_before["subscription"]["current_period_end"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let res = app
        .client
        .post(app.url(&format!("/api/v1/admin/customers/{}/grants", payer.id)))
        .bearer_auth(&support)
        .header("Idempotency-Key", "p-1")
        .json(&json!({"tariff_id": premium.id, "days": 10, "reason": "Loyalty"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let r: Value = res.json().await.unwrap();
    let new_end = chrono::DateTime::parse_from_rfc3339(
        r["subscription"]["current_period_end"].as_str().unwrap(),
    )
    .unwrap();
    assert_eq!((new_end - paid_end).num_days(), 10);
    assert_eq!(
        r["subscription"]["auto_renew"], true,
        "a paying subscriber keeps renewing"
    );

    // Marketing may not give access away; an unknown customer is a 404.
    let marketing = app.staff_token(MARKETING.0).await;
    assert_eq!(
        send(
            &app,
            reqwest::Method::POST,
            &marketing,
            &path,
            Some(json!({"tariff_id": premium.id, "days": 1, "reason": "x"}))
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(
            &app,
            reqwest::Method::POST,
            &support,
            &format!("/api/v1/admin/customers/{}/grants", Uuid::now_v7()),
            Some(json!({"tariff_id": premium.id, "days": 1, "reason": "x"}))
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_tariff_may_only_grant_a_role_the_auth_service_knows() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let auth = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/roles"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"roles": [
            {"name": "viewer-classic"}, {"name": "viewer-premium"}, {"name": "viewer-family"}, {"name": "viewer-4k"}
        ]})))
        // Fetched once, then cached: three checks below, one request.
        .expect(1)
        .mount(&auth)
        .await;
    let app = crate::helpers::spawn_app_custom(
        true,
        &[
            ("KINOBILL__WORKER__ENABLED", "false"),
            ("KINOBILL__AUTH_SERVICE__URL", &auth.uri()),
        ],
    )
    .await;
    let marketing = app.staff_token(MARKETING.0).await;
    let body = |role: &str| json!({"code": format!("t-{role}"), "name": "Ultra", "role": role, "monthly_price": "999.00"});
    let res = send(
        &app,
        reqwest::Method::POST,
        &marketing,
        "/api/v1/admin/tariffs",
        Some(body("viewer-4k")),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = send(
        &app,
        reqwest::Method::POST,
        &marketing,
        "/api/v1/admin/tariffs",
        Some(body("viewer-8k")),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let err: Value = res.json().await.unwrap();
    let msg = err["error"]["fields"]["role"][0].as_str().unwrap();
    assert!(
        msg.contains("no role viewer-8k") && msg.contains("viewer-4k"),
        "{msg}"
    );
    let classic = tariff(&app, "classic").await;
    let res = send(
        &app,
        reqwest::Method::PATCH,
        &marketing,
        &format!("/api/v1/admin/tariffs/{}", classic.id),
        Some(json!({"role": "viewer-typo"})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        tariff(&app, "classic").await.role,
        "viewer-classic",
        "nothing changed"
    );
}

#[tokio::test]
async fn with_the_auth_service_down_and_no_list_known_a_role_change_is_refused() {
    let app = crate::helpers::spawn_app_custom(
        true,
        &[
            ("KINOBILL__WORKER__ENABLED", "false"),
            // Nothing listens there.
            ("KINOBILL__AUTH_SERVICE__URL", "http://127.0.0.1:9"),
        ],
    )
    .await;
    let marketing = app.staff_token(MARKETING.0).await;
    let res = send(
        &app,
        reqwest::Method::POST,
        &marketing,
        "/api/v1/admin/tariffs",
        Some(json!({"code": "ultra", "name": "Ultra", "role": "viewer-ultra", "monthly_price": "999.00"})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"]["code"], "auth_service_unavailable");
}

#[tokio::test]
async fn an_admin_refunds_part_of_a_payment_and_chooses_what_happens_to_the_period() {
    let app = spawn_app().await;
    let admin = app.staff_token(ADMIN.0).await;
    let support = app.staff_token(SUPPORT.0).await;
    let refund = |token: &str, pid: &str, key: &str, body: Value| {
        let req = app
            .client
            .post(app.url(&format!("/api/v1/admin/payments/{pid}/refund")))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(&body);
        async move { req.send().await.unwrap() }
    };
    let period_of = |c: Uuid| {
        let (app, support) = (&app, &support);
        async move {
            let v = get_json(app, support, &format!("/api/v1/admin/customers/{c}")).await;
            let at = |k: &str| {
                chrono::DateTime::parse_from_rfc3339(v["subscription"][k].as_str().unwrap())
                    .unwrap()
            };
            (at("current_period_start"), at("current_period_end"), v)
        }
    };

    let c = customer(&app);
    let body = buy(&app, &c, "premium", 1, "4242424242424242").await;
    let pid = body["payment"]["id"].as_str().unwrap().to_string();
    wait_for_status(&app, &c, &pid, "succeeded").await;
    let (start, end, _) = period_of(c.id).await;

    // Refused, and nothing changes: no override, too much, nothing, no period, support.
    let res = refund(
        &admin,
        &pid,
        "p0",
        json!({"reason": "x", "amount": "150.00", "period": "shorten"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"]["code"], "partial_refund_needs_override");
    for (key, amount, period) in [
        ("p1", "600.00", "shorten"),
        ("p2", "0", "shorten"),
        ("p3", "150.00", ""),
    ] {
        let res = refund(
            &admin,
            &pid,
            key,
            json!({"reason": "x", "override_reason": "outage", "amount": amount, "period": period}),
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{key}");
    }
    let res = refund(&support, &pid, "p4", json!({"reason": "x", "override_reason": "outage", "amount": "150.00", "period": "shorten"})).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(period_of(c.id).await.1, end, "nothing changed");

    // 150 of 499 back, the period shortened in proportion.
    let res = refund(&admin, &pid, "p5", json!({"reason": "Outage on 12.11", "override_reason": "Goodwill", "amount": "150.00", "period": "shorten"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["refund"]["amount"]["amount"], "150.00");
    wait_for_status(&app, &c, &pid, "refunded").await;
    let (_, new_end, view) = period_of(c.id).await;
    let whole = (end - start).num_seconds();
    assert_eq!(
        (end - new_end).num_seconds(),
        whole * 150 / 499,
        "shortened by 150/499 of the period"
    );
    assert_eq!(view["subscription"]["status"], "active");
    let ledger: Vec<(String, String)> = view["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["kind"].as_str().unwrap().to_string(),
                l["amount"]["amount"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        ledger.contains(&("refund".into(), "150.00".into())),
        "{ledger:?}"
    );
    // A second refund of the same payment is refused: one refund per payment.
    let res = refund(
        &admin,
        &pid,
        "p6",
        json!({"reason": "more", "override_reason": "again", "amount": "10.00", "period": "keep"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Keep: money back, access as paid for.
    let k = customer(&app);
    let body = buy(&app, &k, "classic", 1, "4242424242424242").await;
    let kid = body["payment"]["id"].as_str().unwrap().to_string();
    wait_for_status(&app, &k, &kid, "succeeded").await;
    let (_, before, _) = period_of(k.id).await;
    let res = refund(
        &admin,
        &kid,
        "k1",
        json!({"reason": "Sorry", "override_reason": "Goodwill", "amount": 100, "period": "keep"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    wait_for_status(&app, &k, &kid, "refunded").await;
    let (_, after, view) = period_of(k.id).await;
    assert_eq!(after, before);
    assert_eq!(view["entitlement"]["roles"].as_array().unwrap().len(), 1);

    let integrity = get_json(&app, &admin, "/api/v1/admin/integrity").await;
    assert_eq!(integrity["ok"], true, "{integrity}");
}
