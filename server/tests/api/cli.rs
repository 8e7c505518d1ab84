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
    for sub in ["serve", "migrate", "seed", "staff"] {
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
        .args(["migrate", "--down", "5"])
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
