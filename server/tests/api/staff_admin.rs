//! The staff lifecycle (issue 16): invite, set a password from the link, change role,
//! deactivate (sessions and tokens stop at once), tokens listed and revoked, own
//! password, sign-in locks that end and that an admin can lift; audit rows for each.

use entity::audit_log;
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{ADMIN, MARKETING, SUPPORT, new_client, spawn_app, spawn_app_custom};

async fn get_json(app: &crate::helpers::TestApp, token: &str, path: &str) -> Value {
    send(app, Method::GET, token, path, None)
        .await
        .json()
        .await
        .unwrap()
}

async fn send(
    app: &crate::helpers::TestApp,
    method: Method,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let req = app.client.request(method, app.url(path)).bearer_auth(token);
    let req = match body {
        Some(b) => req.json(&b),
        None => req,
    };
    req.send().await.unwrap()
}

async fn audit_actions(app: &crate::helpers::TestApp, entity_id: &str) -> Vec<String> {
    audit_log::Entity::find()
        .filter(audit_log::Column::EntityId.eq(entity_id))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect()
}

async fn rpc(
    client: &reqwest::Client,
    app: &crate::helpers::TestApp,
    path: &str,
    body: &str,
) -> reqwest::Response {
    client
        .post(app.url(path))
        .header("accept", "application/json")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

async fn signed_in(app: &crate::helpers::TestApp, email: &str, password: &str) -> reqwest::Client {
    let client = new_client();
    let res = rpc(
        &client,
        app,
        "/rpc/staff_login",
        &format!(
            "email={}&password={}",
            crate::helpers::urlencode(email),
            crate::helpers::urlencode(password)
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK, "{email} signs in");
    client
}

async fn create_member(app: &crate::helpers::TestApp, admin: &str, body: Value) -> Value {
    let res = send(app, Method::POST, admin, "/api/v1/admin/staff", Some(body)).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

#[tokio::test]
async fn an_invited_member_sets_a_password_from_the_link_once_and_signs_in() {
    let app = spawn_app().await;
    let admin = app.staff_token(ADMIN.0).await;
    let invite = create_member(
        &app,
        &admin,
        json!({"email": "Olga@Kinobill.local", "name": "Olga", "role": "support"}),
    )
    .await;
    assert_eq!(invite["staff"]["email"], "olga@kinobill.local");
    assert_eq!(invite["staff"]["setup_pending"], true);
    let url = invite["setup_url"]
        .as_str()
        .expect("a setup link")
        .to_string();
    let token = url.split("token=").nth(1).unwrap().to_string();
    assert!(
        url.starts_with(&format!("{}/admin/setup-password?token=kbp_", app.address)),
        "{url}"
    );

    // The page opens without a session; the account cannot be used before the setup.
    let page = new_client().get(&url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Set your password"));

    let res = rpc(
        &new_client(),
        &app,
        "/rpc/complete_staff_setup",
        &format!("token={token}&password=short"),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a weak password is refused"
    );
    let res = rpc(
        &new_client(),
        &app,
        "/rpc/complete_staff_setup",
        &format!("token={token}&password=olga-strong-password"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    signed_in(&app, "olga@kinobill.local", "olga-strong-password").await;

    // The link works once.
    let again = rpc(
        &new_client(),
        &app,
        "/rpc/complete_staff_setup",
        &format!("token={token}&password=another-password-1"),
    )
    .await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.text().await.unwrap().contains("not valid any more"));

    let id = invite["staff"]["id"].as_str().unwrap();
    assert_eq!(
        audit_actions(&app, id).await,
        ["staff.invited", "staff.setup_completed"]
    );

    // An e-mail already taken is a conflict, a bad role a field error; nothing is created.
    let dup = send(
        &app,
        Method::POST,
        &admin,
        "/api/v1/admin/staff",
        Some(json!({"email": "olga@kinobill.local", "role": "support"})),
    )
    .await;
    assert_eq!(dup.status(), StatusCode::CONFLICT);
    let bad: Value = send(
        &app,
        Method::POST,
        &admin,
        "/api/v1/admin/staff",
        Some(json!({"email": "x@kinobill.local", "role": "owner", "password": "short"})),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(bad["error"]["code"], "validation_failed");
    assert!(
        bad["error"]["fields"]["role"].is_array() && bad["error"]["fields"]["password"].is_array(),
        "{bad}"
    );
    let list: Value = get_json(&app, &admin, "/api/v1/admin/staff?q=x@kinobill").await;
    assert_eq!(list["data"], json!([]));
}

#[tokio::test]
async fn deactivation_stops_sessions_and_tokens_at_once_and_a_role_change_applies_at_once() {
    let app = spawn_app().await;
    let admin = app.staff_token(ADMIN.0).await;
    let created = create_member(
        &app,
        &admin,
        json!({"email": "pavel@kinobill.local", "role": "support", "password": "pavel-password-1"}),
    )
    .await;
    assert!(created["setup_url"].is_null());
    let id = created["staff"]["id"].as_str().unwrap().to_string();
    let session = signed_in(&app, "pavel@kinobill.local", "pavel-password-1").await;
    let token = app.staff_token("pavel@kinobill.local").await;
    let payments = |bearer: String| {
        let url = app.url("/api/v1/admin/payments");
        async move {
            new_client()
                .get(url)
                .bearer_auth(bearer)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(payments(token.clone()).await, StatusCode::OK);

    // Marketing may not see payments: the new role counts from the next request.
    let patched: Value = send(
        &app,
        Method::PATCH,
        &admin,
        &format!("/api/v1/admin/staff/{id}"),
        Some(json!({"role": "marketing", "name": "Pavel P."})),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(patched["role"], "marketing", "{patched}");
    assert_eq!(patched["name"], "Pavel P.");
    assert_eq!(payments(token.clone()).await, StatusCode::FORBIDDEN);

    let res = send(
        &app,
        Method::PATCH,
        &admin,
        &format!("/api/v1/admin/staff/{id}"),
        Some(json!({"active": false})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(payments(token.clone()).await, StatusCode::UNAUTHORIZED);
    let page = session.get(app.url("/admin/tariffs")).send().await.unwrap();
    assert_eq!(
        page.status(),
        StatusCode::SEE_OTHER,
        "the session no longer opens the console"
    );
    let rpc_call = rpc(
        &session,
        &app,
        "/rpc/admin_list_promos",
        "query=&status=all&page=1",
    )
    .await;
    assert_eq!(rpc_call.status(), StatusCode::UNAUTHORIZED);
    let login = rpc(
        &new_client(),
        &app,
        "/rpc/staff_login",
        "email=pavel%40kinobill.local&password=pavel-password-1",
    )
    .await;
    assert_eq!(login.status(), StatusCode::UNAUTHORIZED);

    // Reactivated, the member signs in again, but old tokens stay revoked.
    let res = send(
        &app,
        Method::PATCH,
        &admin,
        &format!("/api/v1/admin/staff/{id}"),
        Some(json!({"active": true})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(payments(token).await, StatusCode::UNAUTHORIZED);
    signed_in(&app, "pavel@kinobill.local", "pavel-password-1").await;

    assert_eq!(
        audit_actions(&app, &id).await,
        [
            "staff.created",
            "staff.updated",
            "staff.deactivated",
            "staff.updated"
        ]
    );
    let deactivation = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("staff.deactivated"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(deactivation.after.unwrap()["tokens_revoked"], 1);
}

#[tokio::test]
async fn nobody_removes_their_own_admin_access_and_the_last_admin_stays() {
    let app = spawn_app().await;
    let admin = app.staff_token(ADMIN.0).await;
    let list: Value = get_json(&app, &admin, "/api/v1/admin/staff").await;
    let me = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == ADMIN.0)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    for body in [json!({"role": "support"}), json!({"active": false})] {
        let res: Value = send(
            &app,
            Method::PATCH,
            &admin,
            &format!("/api/v1/admin/staff/{me}"),
            Some(body),
        )
        .await
        .json()
        .await
        .unwrap();
        assert_eq!(res["error"]["code"], "cannot_change_own_access", "{res}");
    }
    // The e-mail cannot be changed; the contract's field is accepted with its value.
    let res = send(
        &app,
        Method::PATCH,
        &admin,
        &format!("/api/v1/admin/staff/{me}"),
        Some(json!({"email": "other@kinobill.local"})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // From the command line (no staff actor) the only admin still cannot be demoted.
    let err = app::ssr::services::staff_admin::update(
        &app.db,
        &app.state.clock,
        &app::ssr::repo::audit::Actor::system("test"),
        me.parse().unwrap(),
        app::ssr::services::staff_admin::MemberPatch {
            role: Some("support".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "last_admin");
}

#[tokio::test]
async fn api_tokens_are_listed_without_their_secret_and_revoked_for_good() {
    let app = spawn_app().await;
    let admin = app.staff_token(ADMIN.0).await;
    let support = app.staff_token(SUPPORT.0).await;
    let support_id = app::ssr::repo::staff::find_by_email(&app.db, SUPPORT.0)
        .await
        .unwrap()
        .unwrap()
        .id;
    let tokens: Value = get_json(
        &app,
        &admin,
        &format!("/api/v1/admin/staff/{support_id}/tokens"),
    )
    .await;
    let rows = tokens["data"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{tokens}");
    assert!(
        !tokens.to_string().contains(&support),
        "the secret is never shown again"
    );
    let token_id = rows[0]["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/admin/staff/{support_id}/tokens/{token_id}");
    for _ in 0..2 {
        // Revoking twice answers the same revoked token.
        let res: Value = send(&app, Method::DELETE, &admin, &path, None)
            .await
            .json()
            .await
            .unwrap();
        assert!(res["revoked_at"].is_string(), "{res}");
    }
    let res = app
        .client
        .get(app.url("/api/v1/admin/payments"))
        .bearer_auth(&support)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let unknown = app
        .client
        .delete(app.url(&format!(
            "/api/v1/admin/staff/{support_id}/tokens/{}",
            uuid::Uuid::now_v7()
        )))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let bad_path = app
        .client
        .delete(app.url(&format!(
            "/api/v1/admin/staff/{support_id}/tokens/not-a-uuid"
        )))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(bad_path.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        audit_actions(&app, &token_id).await,
        ["staff.token_created", "staff.token_revoked"]
    );
}

#[tokio::test]
async fn only_admins_manage_staff() {
    let app = spawn_app().await;
    let some_id = uuid::Uuid::now_v7();
    for who in [MARKETING.0, SUPPORT.0] {
        let token = app.staff_token(who).await;
        let calls = [
            app.client.get(app.url("/api/v1/admin/staff")),
            app.client
                .post(app.url("/api/v1/admin/staff"))
                .json(&json!({"email": "z@kinobill.local", "role": "admin"})),
            app.client
                .patch(app.url(&format!("/api/v1/admin/staff/{some_id}")))
                .json(&json!({"active": false})),
            app.client
                .post(app.url(&format!("/api/v1/admin/staff/{some_id}/unlock"))),
            app.client
                .get(app.url(&format!("/api/v1/admin/staff/{some_id}/tokens"))),
            app.client
                .delete(app.url(&format!("/api/v1/admin/staff/{some_id}/tokens/{some_id}"))),
        ];
        for call in calls {
            let res = call.bearer_auth(&token).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{who}");
        }
        let client = signed_in(
            &app,
            who,
            if who == MARKETING.0 {
                MARKETING.1
            } else {
                SUPPORT.1
            },
        )
        .await;
        for (path, body) in [
            ("/rpc/admin_list_staff", "query=".to_string()),
            (
                "/rpc/admin_invite_staff",
                "email=z%40k.local&name=&role=admin&password=".to_string(),
            ),
            (
                "/rpc/admin_update_staff",
                format!("id={some_id}&active=false"),
            ),
            ("/rpc/admin_unlock_staff", format!("id={some_id}")),
            ("/rpc/admin_staff_tokens", format!("id={some_id}")),
            ("/rpc/admin_mint_staff_token", format!("id={some_id}")),
            (
                "/rpc/admin_revoke_staff_token",
                format!("id={some_id}&token_id={some_id}"),
            ),
        ] {
            assert_eq!(
                rpc(&client, &app, path, &body).await.status(),
                StatusCode::FORBIDDEN,
                "{who} {path}"
            );
        }
    }
    let res = app
        .client
        .get(app.url("/api/v1/admin/staff"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_member_changes_their_own_password() {
    let app = spawn_app().await;
    let client = signed_in(&app, SUPPORT.0, SUPPORT.1).await;
    let wrong: Value = rpc(
        &client,
        &app,
        "/rpc/change_own_password",
        "current_password=not-it&new_password=support-new-password",
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(
        wrong.to_string().contains("current password is not right"),
        "{wrong}"
    );
    let res = rpc(
        &client,
        &app,
        "/rpc/change_own_password",
        &format!(
            "current_password={}&new_password=support-new-password",
            crate::helpers::urlencode(SUPPORT.1)
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let old = rpc(
        &new_client(),
        &app,
        "/rpc/staff_login",
        &format!(
            "email={}&password={}",
            crate::helpers::urlencode(SUPPORT.0),
            crate::helpers::urlencode(SUPPORT.1)
        ),
    )
    .await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    signed_in(&app, SUPPORT.0, "support-new-password").await;
    // Nobody signed in: nothing to change.
    let anon = rpc(
        &new_client(),
        &app,
        "/rpc/change_own_password",
        "current_password=a&new_password=bbbbbbbbbbbb",
    )
    .await;
    assert_eq!(anon.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_sign_in_lock_ends_by_itself_or_when_an_admin_lifts_it() {
    let app = crate::helpers::spawn_app_with_test_clock().await;
    let admin = app.staff_token(ADMIN.0).await;
    let login = |password: &'static str| {
        let app = &app;
        async move {
            rpc(
                &new_client(),
                app,
                "/rpc/staff_login",
                &format!(
                    "email={}&password={}",
                    crate::helpers::urlencode(SUPPORT.0),
                    crate::helpers::urlencode(password)
                ),
            )
            .await
            .status()
        }
    };
    let lock = || async {
        for _ in 0..5 {
            assert_eq!(login("wrong-password").await, StatusCode::UNAUTHORIZED);
        }
        assert_eq!(login(SUPPORT.1).await, StatusCode::TOO_MANY_REQUESTS);
    };
    lock().await;
    let support_id = app::ssr::repo::staff::find_by_email(&app.db, SUPPORT.0)
        .await
        .unwrap()
        .unwrap()
        .id;
    let list: Value = get_json(&app, &admin, "/api/v1/admin/staff").await;
    let member = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == SUPPORT.0)
        .unwrap()
        .clone();
    assert!(member["locked_until"].is_string(), "{member}");

    let res: Value = send(
        &app,
        Method::POST,
        &admin,
        &format!("/api/v1/admin/staff/{support_id}/unlock"),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(res["locked_until"].is_null(), "{res}");
    assert_eq!(login(SUPPORT.1).await, StatusCode::OK);
    assert!(
        audit_actions(&app, &support_id.to_string())
            .await
            .contains(&"staff.unlocked".to_string())
    );

    // Locked again, it opens by itself when the window has passed.
    lock().await;
    app.test_clock
        .as_ref()
        .unwrap()
        .advance(chrono::TimeDelta::minutes(16));
    assert_eq!(login(SUPPORT.1).await, StatusCode::OK);
}

#[tokio::test]
async fn one_address_cannot_guess_across_many_accounts() {
    // Behind our proxy the address is the forwarded one: two "clients" from one host.
    let app = spawn_app_custom(
        true,
        &[("KINOBILL__SERVER__TRUSTED_PROXIES", "127.0.0.1/32")],
    )
    .await;
    let from = |addr: &'static str, email: String, password: &'static str| {
        let url = app.url("/rpc/staff_login");
        async move {
            new_client()
                .post(url)
                .header("accept", "application/json")
                .header("x-forwarded-for", addr)
                .form(&[("email", email.as_str()), ("password", password)])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let limit = app::ssr::services::staff::MAX_FAILED_LOGINS_PER_ADDRESS;
    for i in 0..limit {
        let status = from(
            "203.0.113.7",
            format!("nobody{i}@kinobill.local"),
            "guess-password",
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        from("203.0.113.7", ADMIN.0.to_string(), ADMIN.1).await,
        StatusCode::TOO_MANY_REQUESTS,
        "that address is locked out, even for an account it never tried"
    );
    assert_eq!(
        from("198.51.100.9", ADMIN.0.to_string(), ADMIN.1).await,
        StatusCode::OK,
        "other addresses are not"
    );
}

#[tokio::test]
async fn cookies_are_secure_behind_a_tls_terminating_proxy_we_trust() {
    let set_cookie = |res: &reqwest::Response| {
        res.headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("kinobill_session="))
            .expect("a session cookie")
    };
    let login = |app: &crate::helpers::TestApp, proto: Option<&'static str>| {
        let url = app.url("/rpc/staff_login");
        async move {
            let mut req = new_client()
                .post(url)
                .header("accept", "application/json")
                .form(&[("email", ADMIN.0), ("password", ADMIN.1)]);
            if let Some(p) = proto {
                req = req.header("x-forwarded-proto", p);
            }
            req.send().await.unwrap()
        }
    };
    let behind = spawn_app_custom(
        true,
        &[("KINOBILL__SERVER__TRUSTED_PROXIES", "127.0.0.1/32")],
    )
    .await;
    assert!(set_cookie(&login(&behind, Some("https")).await).contains("; Secure"));
    assert!(!set_cookie(&login(&behind, Some("http")).await).contains("Secure"));
    // Without trusted proxies the header is the client's word, and ignored.
    let direct = spawn_app().await;
    assert!(!set_cookie(&login(&direct, Some("https")).await).contains("Secure"));
    // An https public URL makes every cookie Secure.
    let public = spawn_app_custom(
        true,
        &[("KINOBILL__SERVER__PUBLIC_URL", "https://billing.example")],
    )
    .await;
    assert!(set_cookie(&login(&public, None).await).contains("; Secure"));
}
