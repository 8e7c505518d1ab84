//! The sandbox as YooKassa: its payments and refunds rendered as YooKassa API v3 objects
//! and its notifications as YooKassa sends them, so the real YooKassa adapter (and any
//! YooKassa client) can run end to end against this server. Payments made through this
//! personality are the sandbox's own, told apart by their idempotency key's prefix.

use entity::{sandbox_payments, sandbox_refunds};
use serde_json::{Value, json};

use super::{Currency, Money, SandboxEvent};

/// The prefix of the sandbox idempotency key of a payment made through this
/// personality (followed by the shop id and the client's `Idempotence-Key`).
pub const KEY_PREFIX: &str = "yookassa:";

/// The sandbox key of a client's `Idempotence-Key`: keys are per shop, as at YooKassa.
pub fn key(shop_id: &str, idempotence_key: &str) -> String {
    format!("{KEY_PREFIX}{shop_id}:{idempotence_key}")
}

pub fn is_personality(p: &sandbox_payments::Model) -> bool {
    p.idempotency_key.starts_with(KEY_PREFIX)
}

fn amount(minor: i64, currency: &str) -> Value {
    let money = currency
        .parse::<Currency>()
        .map(|c| Money::from_minor(minor, c).to_wire())
        .unwrap_or_else(|_| format!("{}.{:02}", minor / 100, minor % 100));
    json!({"value": money, "currency": currency})
}

/// YooKassa's `cancellation_details.reason` for a sandbox failure code.
fn reason(failure: Option<&str>) -> (&'static str, &'static str) {
    match failure {
        Some("insufficient_funds") => ("payment_network", "insufficient_funds"),
        Some("canceled") | Some("expired") => ("yoo_money", "expired_on_confirmation"),
        Some("voided") => ("merchant", "canceled_by_merchant"),
        _ => ("payment_network", "general_decline"),
    }
}

/// A payment object as `GET /payments/{id}` returns it.
pub fn payment(p: &sandbox_payments::Model, base_url: &str) -> Value {
    let status = match p.status.as_str() {
        "pending" => "pending",
        "succeeded" => "succeeded",
        _ => "canceled",
    };
    let metadata: Value = serde_json::from_str(&p.metadata).unwrap_or_else(|_| json!({}));
    let mut o = json!({
        "id": p.id,
        "status": status,
        "paid": status == "succeeded",
        "amount": amount(p.amount_minor, &p.currency),
        "created_at": p.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "description": p.description,
        "metadata": metadata,
        "recipient": {"account_id": "sandbox", "gateway_id": "sandbox"},
        "refundable": status == "succeeded" && p.refunded_minor < p.amount_minor,
        "refunded_amount": amount(p.refunded_minor, &p.currency),
        "test": true,
    });
    if status == "pending" && !p.return_url.is_empty() {
        o["confirmation"] = json!({
            "type": "redirect",
            "return_url": p.return_url,
            "confirmation_url": format!("{base_url}/sandbox/pay/{}", p.id),
        });
    }
    if let Some(last4) = &p.card_last4 {
        o["payment_method"] = json!({
            "type": "bank_card",
            "id": p.card_token.clone().unwrap_or_else(|| format!("pm_{}", p.id)),
            "saved": p.card_token.is_some(),
            "title": format!("Bank card *{last4}"),
            "card": {"last4": last4, "card_type": "Visa", "expiry_month": "12", "expiry_year": "2030"},
        });
    }
    if status == "canceled" {
        let (party, reason) = reason(p.failure_code.as_deref());
        o["cancellation_details"] = json!({"party": party, "reason": reason});
    }
    o
}

/// A refund object as `GET /refunds/{id}` returns it.
pub fn refund(r: &sandbox_refunds::Model, currency: &str) -> Value {
    json!({
        "id": r.id,
        "payment_id": r.payment_id,
        "status": if r.status == "succeeded" { "succeeded" } else { "canceled" },
        "amount": amount(r.amount_minor, currency),
        "created_at": r.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    })
}

/// The notification YooKassa would send for a sandbox event, or `None` for events
/// YooKassa has no notification for (a payment still pending).
pub fn notification(
    event: &SandboxEvent,
    p: &sandbox_payments::Model,
    r: Option<&sandbox_refunds::Model>,
    base_url: &str,
) -> Option<Value> {
    let (name, object) = match event.kind.as_str() {
        "payment.succeeded" => ("payment.succeeded", payment(p, base_url)),
        "payment.failed" | "payment.canceled" => ("payment.canceled", payment(p, base_url)),
        "refund.succeeded" => ("refund.succeeded", refund(r?, &p.currency)),
        _ => return None,
    };
    Some(json!({"type": "notification", "event": name, "object": object}))
}
