//! Published client libraries against the sandbox's provider personalities: YooKassa's
//! own Python SDK (PyPI `yookassa`, in the venv `make test` builds) creates a payment,
//! reads it, pays it on the hosted page, refunds it, and parses the notifications the
//! personality sent. A field the SDK expects and the copy lacks fails here.

use std::io::Write;
use std::process::{Command, Stdio};

use app::ssr::providers::sandbox::{SandboxEvent, yookassa_copy};
use entity::{sandbox_payments, sandbox_refunds, sandbox_webhooks};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::Value;

use crate::provider_contract::{PERSONALITY_SECRET, PERSONALITY_SHOP, personality_app};

/// The venv's Python (`make test` sets it; see scripts/test.sh).
fn python() -> String {
    std::env::var("KINOBILL_SDK_PYTHON").unwrap_or_else(|_| {
        panic!("KINOBILL_SDK_PYTHON is not set: run `make test`, which builds the SDK venv")
    })
}

fn script() -> String {
    format!(
        "{}/../scripts/sdk/yookassa_check.py",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn run(args: &[&str], stdin: Option<&str>) -> Value {
    let mut child = Command::new(python())
        .arg(script())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the SDK's Python runs");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the SDK check failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the check prints JSON")
}

#[tokio::test]
async fn yookassas_python_sdk_works_against_the_yookassa_personality() {
    let app = personality_app().await;
    let address = app.address.clone();
    // The SDK blocks: run it off the runtime that serves it.
    let done = tokio::task::spawn_blocking(move || {
        run(
            &["pay", &address, PERSONALITY_SHOP, PERSONALITY_SECRET],
            None,
        )
    })
    .await
    .unwrap();
    let payment_id = done["payment_id"].as_str().unwrap();
    let refund_id = done["refund_id"].as_str().unwrap();

    // The notifications the personality sent for that payment, as it sent them.
    let payment = sandbox_payments::Entity::find_by_id(payment_id.to_string())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let refund = sandbox_refunds::Entity::find_by_id(refund_id.to_string())
        .one(&app.db)
        .await
        .unwrap();
    let queued = sandbox_webhooks::Entity::find()
        .filter(sandbox_webhooks::Column::PaymentId.eq(payment_id))
        .order_by_asc(sandbox_webhooks::Column::CreatedAt)
        .all(&app.db)
        .await
        .unwrap();
    let mut parsed = Vec::new();
    for w in queued {
        let event: SandboxEvent = serde_json::from_str(&w.payload).unwrap();
        let Some(note) =
            yookassa_copy::notification(&event, &payment, refund.as_ref(), &app.address)
        else {
            continue;
        };
        let body = note.to_string();
        parsed.push(
            tokio::task::spawn_blocking(move || run(&["parse"], Some(&body)))
                .await
                .unwrap(),
        );
    }
    let events: Vec<(&str, &str)> = parsed
        .iter()
        .map(|p| {
            (
                p["event"].as_str().unwrap(),
                p["object_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        events.contains(&("payment.succeeded", payment_id)),
        "{parsed:?}"
    );
    assert!(
        events.contains(&("refund.succeeded", refund_id)),
        "{parsed:?}"
    );
}
