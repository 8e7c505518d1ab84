use entity::sessions;
use reqwest::StatusCode;
use reqwest::header::{LOCATION, SET_COOKIE};
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::helpers::{ADMIN, SUPPORT, new_client, spawn_app};

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("kinobill_session="))
        .map(str::to_string)
}

#[tokio::test]
async fn the_right_password_opens_the_console() {
    let app = spawn_app().await;
    let res = app.login_form(ADMIN.0, ADMIN.1).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(location(&res), "/admin");
    let cookie = session_cookie(&res).expect("session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http in tests: {cookie}");

    let page = app.get("/admin/tariffs").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(
        page.url().path(),
        "/admin/tariffs",
        "not sent to the login page"
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("Alexandra Admin"), "shows who is signed in");
    assert!(html.contains("Administrator"), "shows the role");
    assert!(
        html.contains("Premium") && html.contains("viewer-family"),
        "lists the tariffs"
    );
}

#[tokio::test]
async fn the_hydrated_form_gets_a_redirect_instruction_not_a_page() {
    let app = spawn_app().await;
    let res = app.login_js(SUPPORT.0, SUPPORT.1).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().contains_key("serverfnredirect"));
    assert_eq!(location(&res), "/admin");
    assert_eq!(app.get("/admin/tariffs").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_wrong_password_shows_an_error_and_creates_no_session() {
    let app = spawn_app().await;
    let res = app.login_form(ADMIN.0, "not-the-password").await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(location(&res), "/admin/login?error=invalid_credentials");
    assert!(session_cookie(&res).is_none());
    assert_eq!(sessions::Entity::find().count(&app.db).await.unwrap(), 0);

    let page = app.get("/admin/login?error=invalid_credentials").await;
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Wrong e-mail or password.")
    );

    let js = app.login_js(ADMIN.0, "not-the-password").await;
    assert_eq!(js.status(), StatusCode::UNAUTHORIZED);
    let body = js.text().await.unwrap();
    assert!(body.contains("Wrong e-mail or password."), "{body}");
    assert_eq!(
        app.get("/admin/tariffs").await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn an_unknown_email_fails_the_same_way_as_a_wrong_password() {
    let app = spawn_app().await;
    let res = app
        .login_js("nobody@kinobill.local", "whatever-it-is")
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Wrong e-mail or password.")
    );
}

#[tokio::test]
async fn a_malformed_email_is_a_field_error_not_a_server_error() {
    let app = spawn_app().await;
    let res = app.login_js("not-an-email", "x").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["Validation"]["fields"]["email"][0]
            .as_str()
            .unwrap()
            .contains("e-mail"),
        "{body}"
    );
}

#[tokio::test]
async fn the_sixth_failure_in_a_row_is_throttled_even_with_the_right_password() {
    let app = spawn_app().await;
    for attempt in 1..=5 {
        let res = app.login_js(ADMIN.0, "wrong-password").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let res = app.login_js(ADMIN.0, ADMIN.1).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Too many sign-in attempts")
    );

    let form = app.login_form(ADMIN.0, ADMIN.1).await;
    assert_eq!(location(&form), "/admin/login?error=too_many_attempts");
    let page = app
        .get("/admin/login?error=too_many_attempts")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Too many sign-in attempts"));

    // The throttle is per e-mail: other staff are unaffected.
    assert_eq!(
        app.login_js(SUPPORT.0, SUPPORT.1).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn console_pages_without_a_session_redirect_to_the_login() {
    let app = spawn_app().await;
    for (path, next) in [
        ("/admin/tariffs", "/admin/tariffs"),
        ("/admin", "/admin"),
        ("/admin/tariffs?q=pre", "/admin/tariffs%3Fq%3Dpre"),
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(
            location(&res),
            format!("/admin/login?next={next}"),
            "{path}"
        );
    }
    assert_eq!(app.get("/admin/login").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn admin_server_functions_refuse_callers_without_a_session() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/rpc/admin_list_tariffs"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("query=&status=all&page=1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.text().await.unwrap().contains("Unauthorized"));
}

#[tokio::test]
async fn logout_ends_the_session_for_good() {
    let app = spawn_app().await;
    let res = app.login_form(ADMIN.0, ADMIN.1).await;
    let cookie = session_cookie(&res).expect("cookie");
    let cookie_pair = cookie.split(';').next().unwrap().to_string();
    assert_eq!(app.get("/admin/tariffs").await.status(), StatusCode::OK);

    let out = app
        .client
        .post(app.url("/rpc/staff_logout"))
        .header("accept", "text/html")
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::FOUND);
    assert_eq!(location(&out), "/admin/login?signed_out=1");
    assert_eq!(
        app.get("/admin/tariffs").await.status(),
        StatusCode::SEE_OTHER
    );

    // Replaying the old cookie does not bring the session back.
    let replay = new_client()
        .get(app.url("/admin/tariffs"))
        .header("cookie", cookie_pair)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::SEE_OTHER);
    assert_eq!(sessions::Entity::find().count(&app.db).await.unwrap(), 0);
}

#[tokio::test]
async fn signing_in_renews_the_session_id() {
    let app = spawn_app().await;
    let first = session_cookie(&app.login_form(ADMIN.0, ADMIN.1).await).expect("first cookie");
    let second =
        session_cookie(&app.login_form(SUPPORT.0, SUPPORT.1).await).expect("second cookie");
    let id = |c: &str| c.split(';').next().unwrap().to_string();
    assert_ne!(id(&first), id(&second));
    let html = app.get("/admin/tariffs").await.text().await.unwrap();
    assert!(html.contains("Sofia Support"));
}

#[tokio::test]
async fn a_signed_in_staff_member_skips_the_login_page() {
    let app = spawn_app().await;
    app.login_form(ADMIN.0, ADMIN.1).await;
    let res = app.get("/admin/login").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/admin");
}

#[tokio::test]
async fn next_brings_the_staff_member_back_but_never_off_site() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/rpc/staff_login"))
        .header("accept", "text/html")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "email={}&password={}&next=%2Fadmin%2Ftariffs%3Fq%3Dfam",
            crate::helpers::urlencode(ADMIN.0),
            ADMIN.1
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/admin/tariffs?q=fam");
    let evil = crate::helpers::spawn_app().await;
    let res = evil
        .client
        .post(evil.url("/rpc/staff_login"))
        .header("accept", "text/html")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "email={}&password={}&next=https%3A%2F%2Fevil.example",
            crate::helpers::urlencode(ADMIN.0),
            ADMIN.1
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/admin");
}

#[tokio::test]
async fn console_server_functions_enforce_the_role_matrix() {
    let app = spawn_app().await;
    let write_calls: [(&str, &str); 4] = [
        (
            "/rpc/admin_create_promo",
            "code=ROLE-TEST&percent=10&amount=&valid_until=&max_redemptions=",
        ),
        (
            "/rpc/admin_generate_promos",
            "prefix=ROLE&count=5&percent=10&amount=&valid_until=&max_redemptions=",
        ),
        (
            "/rpc/admin_create_tariff",
            "code=role-test&name=Role&description=&role=viewer-role&monthly_price=100",
        ),
        (
            "/rpc/admin_set_tariff_active",
            "id=00000000-0000-0000-0000-000000000000&active=false",
        ),
    ];
    let call = |client: reqwest::Client, path: &'static str, body: &'static str| {
        let url = app.url(path);
        async move {
            client
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // Support reads the catalogue but every write is refused inside the server function.
    app.login_form(SUPPORT.0, SUPPORT.1).await;
    assert_eq!(
        call(
            app.client.clone(),
            "/rpc/admin_list_promos",
            "query=&status=all&page=1"
        )
        .await,
        StatusCode::OK
    );
    for (path, body) in write_calls {
        assert_eq!(
            call(app.client.clone(), path, body).await,
            StatusCode::FORBIDDEN,
            "support: {path}"
        );
    }
    // Marketing may write.
    let marketing = new_client();
    let res = marketing
        .post(app.url("/rpc/staff_login"))
        .header("accept", "text/html")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "email={}&password={}",
            crate::helpers::urlencode(crate::helpers::MARKETING.0),
            crate::helpers::MARKETING.1
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(
        call(marketing.clone(), write_calls[0].0, write_calls[0].1).await,
        StatusCode::OK
    );
    assert_eq!(
        call(marketing.clone(), write_calls[2].0, write_calls[2].1).await,
        StatusCode::OK
    );
    // Nobody signed in: 401.
    assert_eq!(
        call(new_client(), write_calls[0].0, write_calls[0].1).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_cross_site_request_with_the_session_cookie_is_refused() {
    let app = crate::helpers::spawn_app().await;
    let res = app
        .login_form(crate::helpers::ADMIN.0, crate::helpers::ADMIN.1)
        .await;
    assert!(res.status().is_redirection() || res.status().is_success());
    let post = |origin: Option<&str>, fetch_site: Option<&str>| {
        let mut req = app.client.post(app.url("/rpc/staff_logout"));
        if let Some(o) = origin {
            req = req.header("Origin", o);
        }
        if let Some(s) = fetch_site {
            req = req.header("Sec-Fetch-Site", s);
        }
        req.send()
    };
    for (origin, site) in [
        (Some("https://evil.example"), Some("cross-site")),
        (Some("null"), None),
        (None, Some("cross-site")),
        (None, Some("same-site")),
    ] {
        let res = post(origin, site).await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{origin:?} {site:?}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "cross_site_request");
    }
    // Still signed in: the forged sign-out did nothing.
    let page = app.get("/admin/tariffs").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(
        page.url().path(),
        "/admin/tariffs",
        "not sent to the login page"
    );
    // The console's own page may.
    let own = post(Some(&app.address), Some("same-origin")).await.unwrap();
    assert!(
        own.status().is_success() || own.status().is_redirection(),
        "{}",
        own.status()
    );
}

#[tokio::test]
async fn parallel_guesses_never_get_more_than_the_allowed_failures() {
    let app = crate::helpers::spawn_app().await;
    let email = crate::helpers::ADMIN.0;
    let guesses = (0..20).map(|i| {
        let client = crate::helpers::new_client();
        let url = app.url("/rpc/staff_login");
        async move {
            client
                .post(url)
                .header("accept", "application/json")
                .form(&[
                    ("email", email.to_string()),
                    ("password", format!("wrong-guess-{i}")),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    let statuses = futures::future::join_all(guesses).await;
    let checked = statuses
        .iter()
        .filter(|s| **s != StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(
        checked <= app::ssr::services::staff::MAX_FAILED_LOGINS as usize,
        "{checked} passwords were checked: {statuses:?}"
    );
    // The lock ends with the window; refused guesses do not prolong it.
    let left = entity::login_attempts::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .len();
    assert!(
        left as u64 <= app::ssr::services::staff::MAX_FAILED_LOGINS,
        "{left}"
    );
}

#[tokio::test]
async fn housekeeping_forgets_sign_in_attempts_after_a_day() {
    let app = crate::helpers::spawn_clocked(&[]).await;
    for _ in 0..3 {
        app.login_js(ADMIN.0, "wrong-password").await;
    }
    let count = || entity::login_attempts::Entity::find().count(&app.db);
    assert_eq!(count().await.unwrap(), 3);
    let kept = app::ssr::jobs::housekeeping(&app.state).await.unwrap();
    assert_eq!(kept.login_attempts_purged, 0, "still inside the day");
    crate::lifecycle_api::move_to(&app, app.state.clock.now() + chrono::TimeDelta::hours(25));
    let purged = app::ssr::jobs::housekeeping(&app.state).await.unwrap();
    assert_eq!(purged.login_attempts_purged, 3);
    assert_eq!(count().await.unwrap(), 0);
}
