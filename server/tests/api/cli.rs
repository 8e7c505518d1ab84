use std::io::Write;
use std::process::{Command, Stdio};

use reqwest::StatusCode;

use crate::helpers::{TEST_JWT_SECRET, TestDb, spawn_app};

fn server_cmd(db_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_server"));
    cmd.env("DATABASE_URL", db_url)
        .env("KINOBILL__AUTH__JWT_SECRET", TEST_JWT_SECRET)
        .env("KINOBILL__LOG__LEVEL", "warn")
        .env_remove("RUST_LOG");
    cmd
}

#[test]
fn help_documents_every_subcommand() {
    let out = Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for sub in ["serve", "worker", "migrate", "seed", "staff", "audit"] {
        assert!(text.contains(sub), "{sub} in {text}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["staff", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("create") && text.contains("token"), "{text}");
}

#[test]
fn a_bad_configuration_value_stops_start_up_naming_the_key() {
    let out = server_cmd("sqlite::memory:")
        .env("KINOBILL__PAYMENTS__REFUND_WINDOW", "an hour")
        .arg("serve")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("KINOBILL__PAYMENTS__REFUND_WINDOW"), "{err}");
    assert!(err.contains("ISO 8601"), "{err}");

    let out = server_cmd("mysql://nope").arg("serve").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DATABASE_URL"));
}

#[tokio::test]
async fn staff_create_and_token_work_from_the_command_line() {
    let app = spawn_app().await;
    let url = app.test_db.url.clone();
    let create = tokio::task::spawn_blocking({
        let url = url.clone();
        move || {
            let mut child = server_cmd(&url)
                .args([
                    "staff",
                    "create",
                    "--email",
                    "Nina@Kinobill.local",
                    "--role",
                    "marketing",
                    "--name",
                    "Nina",
                ])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"a long enough password\n")
                .unwrap();
            child.wait_with_output().unwrap()
        }
    })
    .await
    .unwrap();
    assert!(
        create.status.success(),
        "{}",
        String::from_utf8_lossy(&create.stderr)
    );
    assert!(String::from_utf8_lossy(&create.stdout).contains("nina@kinobill.local"));

    // A second account with the same e-mail is refused with a clear message.
    let dup = tokio::task::spawn_blocking({
        let url = url.clone();
        move || {
            let mut child = server_cmd(&url)
                .args([
                    "staff",
                    "create",
                    "--email",
                    "nina@kinobill.local",
                    "--role",
                    "admin",
                ])
                .stdin(Stdio::piped())
                .stderr(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"another long password\n")
                .unwrap();
            child.wait_with_output().unwrap()
        }
    })
    .await
    .unwrap();
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));

    let token_out = tokio::task::spawn_blocking(move || {
        server_cmd(&url)
            .args(["staff", "token", "--email", "nina@kinobill.local"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        token_out.status.success(),
        "{}",
        String::from_utf8_lossy(&token_out.stderr)
    );
    let token = String::from_utf8_lossy(&token_out.stdout)
        .trim()
        .to_string();
    assert!(token.starts_with("kbs_"));

    let res = app
        .client
        .get(app.url("/api/v1/admin/tariffs"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.login_js("nina@kinobill.local", "a long enough password")
            .await
            .status(),
        StatusCode::OK
    );
}

#[test]
fn seed_is_idempotent_and_migrate_rolls_back() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(TestDb::new());
    let first = server_cmd(&db.url).arg("seed").output().unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let text = String::from_utf8_lossy(&first.stdout);
    assert!(
        text.contains("tariffs: 3") && text.contains("customers: 20") && text.contains("staff: 3"),
        "{text}"
    );
    assert!(
        text.contains("admin@kinobill.local / kinobill-admin"),
        "prints the demo logins"
    );
    let second = server_cmd(&db.url).arg("seed").output().unwrap();
    let text = String::from_utf8_lossy(&second.stdout);
    assert!(
        text.contains("tariffs: 0") && text.contains("customers: 0"),
        "{text}"
    );

    let down = server_cmd(&db.url)
        .args(["migrate", "--down", "6"])
        .output()
        .unwrap();
    assert!(
        down.status.success(),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    let up = server_cmd(&db.url).arg("migrate").output().unwrap();
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    drop(db);
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn serve_logs_json_with_the_request_id_and_stops_cleanly_on_sigterm() {
    let db = TestDb::new().await;
    let port = free_port();
    let mut child = server_cmd(&db.url)
        .env("KINOBILL__SERVER__ADDR", format!("127.0.0.1:{port}"))
        .env("KINOBILL__LOG__FORMAT", "json")
        .env("KINOBILL__LOG__LEVEL", "info")
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/healthz");
    let mut up = false;
    for _ in 0..100 {
        if let Ok(res) = client
            .get(&url)
            .header("x-request-id", "req-json-42")
            .send()
            .await
        {
            up = res.status() == StatusCode::OK;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(up, "server did not come up");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = tokio::task::spawn_blocking(move || {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            if let Some(_status) = child.try_wait().unwrap() {
                return child.wait_with_output().unwrap();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "server ignored SIGTERM"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    })
    .await
    .unwrap();
    assert!(out.status.success(), "exit after SIGTERM: {:?}", out.status);

    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["span"]["request_id"] == "req-json-42" && l["span"]["path"] == "/healthz"),
        "a request log line carries the request id: {stdout}"
    );
    assert!(lines.iter().any(|l| {
        l["fields"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("shutdown signal")
    }));
    drop(db);
}

#[tokio::test]
async fn a_separate_worker_process_settles_a_payment_whose_webhook_never_came() {
    use crate::checkout_api::{buy, customer, wait_for_status};
    let app =
        crate::helpers::spawn_app_custom(true, &[("KINOBILL__WORKER__ENABLED", "false")]).await;
    let c = customer(&app);
    let body = buy(&app, &c, "classic", 1, "4000000000000341").await;
    let mut child = server_cmd(&app.test_db.url)
        .env("KINOBILL__WORKER__INTERVAL", "PT1S")
        .env("KINOBILL__WORKER__RECONCILE_AFTER", "PT1S")
        .arg("worker")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_status(
        &app,
        &c,
        body["payment"]["id"].as_str().unwrap(),
        "succeeded",
    )
    .await;

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = tokio::task::spawn_blocking(move || {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            if child.try_wait().unwrap().is_some() {
                return child.wait_with_output().unwrap();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "worker ignored SIGTERM"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "worker exit: {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn audit_exits_one_and_lists_what_is_broken() {
    use sea_orm::EntityTrait;
    use sea_orm::sea_query::Expr;

    let app = spawn_app().await;
    let url = app.test_db.url.clone();
    let run = |url: String| {
        tokio::task::spawn_blocking(move || server_cmd(&url).arg("audit").output().unwrap())
    };
    let out = run(url.clone()).await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("audit ok"));

    // A promo code whose count no longer matches its redemptions.
    entity::promo_codes::Entity::update_many()
        .col_expr(entity::promo_codes::Column::RedemptionCount, Expr::value(7))
        .exec(&app.db)
        .await
        .unwrap();
    let out = run(url).await.unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("redemption_count_matches"), "{text}");
}
