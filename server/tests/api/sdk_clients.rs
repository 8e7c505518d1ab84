//! Published client libraries against the sandbox's provider personalities: YooKassa's
//! own Python SDK (PyPI `yookassa`) and CloudPayments' Python client (PyPI
//! `cloudpayments`), from the venv `make test` builds, create a payment, read it, pay it
//! on the hosted page, refund it, and parse the notifications the personality sent. A
//! field the library expects and the copy lacks fails here.

use std::io::Write;
use std::process::{Command, Stdio};

use app::ssr::providers::sandbox::{SandboxEvent, cloudpayments_copy, yookassa_copy};
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

fn script(name: &str) -> String {
    format!("{}/../scripts/sdk/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str], stdin: Option<&str>) -> Value {
    run_script("yookassa_check.py", args, stdin)
}

fn run_script(name: &str, args: &[&str], stdin: Option<&str>) -> Value {
    let mut child = Command::new(python())
        .arg(script(name))
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

const CP_PUBLIC_ID: &str = "pk_sdk_check";
const CP_SECRET: &str = "sdk_check_api_secret";

#[tokio::test]
async fn cloudpayments_python_client_works_against_the_cloudpayments_personality() {
    // The sandbox takes Kinobill's payments; the site is served beside it for any
    // CloudPayments client (no notification URLs: this server is not its merchant).
    let app = crate::helpers::spawn_clocked(&[
        ("KINOBILL__CLOUDPAYMENTS__PUBLIC_ID", CP_PUBLIC_ID),
        ("KINOBILL__CLOUDPAYMENTS__API_SECRET", CP_SECRET),
    ])
    .await;
    let address = app.address.clone();
    let done = tokio::task::spawn_blocking(move || {
        run_script(
            "cloudpayments_check.py",
            &["pay", &address, CP_PUBLIC_ID, CP_SECRET],
            None,
        )
    })
    .await
    .unwrap();
    let tx = done["transaction_id"].as_i64().unwrap();
    let refund_id = done["refund_id"].as_i64().unwrap();
    let payment_id = cloudpayments_copy::sandbox_id(tx);

    // The notifications the personality would send for that payment, signed as sent.
    let payment = sandbox_payments::Entity::find_by_id(payment_id.clone())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let refund = sandbox_refunds::Entity::find_by_id(cloudpayments_copy::sandbox_id(refund_id))
        .one(&app.db)
        .await
        .unwrap();
    assert!(refund.is_some(), "the refund is the sandbox's");
    let queued = sandbox_webhooks::Entity::find()
        .filter(sandbox_webhooks::Column::PaymentId.eq(payment_id.as_str()))
        .order_by_asc(sandbox_webhooks::Column::CreatedAt)
        .all(&app.db)
        .await
        .unwrap();
    let mut notes: Vec<(&str, Vec<(&str, String)>)> = queued
        .iter()
        .filter_map(|w| {
            let event: SandboxEvent = serde_json::from_str(&w.payload).unwrap();
            cloudpayments_copy::notification(
                &event,
                &payment,
                refund.as_ref(),
                Some("4242424242424242"),
            )
        })
        .collect();
    notes.push((
        "check",
        cloudpayments_copy::check(&payment, "4242424242424242", chrono::Utc::now()),
    ));
    let mut kinds = Vec::new();
    for (kind, fields) in notes {
        let (body, signature) = cloudpayments_copy::signed_form(&fields, CP_SECRET);
        let parsed = tokio::task::spawn_blocking(move || {
            run_script(
                "cloudpayments_check.py",
                &["parse", kind, CP_SECRET, &signature],
                Some(&body),
            )
        })
        .await
        .unwrap();
        let expected_tx = if kind == "refund" { refund_id } else { tx };
        assert_eq!(parsed["TransactionId"], expected_tx.to_string(), "{kind}");
        assert_eq!(parsed["InvoiceId"], done["invoice_id"], "{kind}");
        kinds.push(kind);
    }
    assert_eq!(kinds, ["pay", "refund", "check"]);
}
