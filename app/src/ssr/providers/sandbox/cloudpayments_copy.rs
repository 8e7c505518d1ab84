//! The sandbox as CloudPayments: its payments rendered as CloudPayments orders and
//! transactions (every field of the API reference's transaction model), its
//! notifications as CloudPayments sends them (form-encoded, `Content-HMAC` signed with
//! the site's API secret), so the real CloudPayments adapter (and any CloudPayments
//! client) runs end to end against this server. Payments made through this personality
//! are the sandbox's own, told apart by their idempotency key's prefix; their ids are
//! `cp_{TransactionId}`, because CloudPayments' transaction ids are numbers.

use base64::Engine;
use chrono::{DateTime, Utc};
use entity::{sandbox_payments, sandbox_refunds};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;

use super::SandboxEvent;

/// The prefix of the sandbox idempotency key of a payment made through this
/// personality (followed by the public id and the client's `X-Request-ID`).
pub const KEY_PREFIX: &str = "cloudpayments:";

/// The prefix of this personality's payment and refund ids.
const ID_PREFIX: &str = "cp_";

/// The sandbox key of a client's `X-Request-ID`: request ids are per site.
pub fn key(public_id: &str, request_id: &str) -> String {
    format!("{KEY_PREFIX}{public_id}:{request_id}")
}

pub fn is_personality(p: &sandbox_payments::Model) -> bool {
    p.idempotency_key.starts_with(KEY_PREFIX)
}

/// A new payment or refund id: a transaction number of CloudPayments' size, below
/// 2^53 so that JavaScript clients read it exactly.
pub fn new_id() -> String {
    let n = rand::random_range(1_000_000_000_u64..(1 << 53));
    format!("{ID_PREFIX}{n}")
}

/// The `TransactionId` of a payment or refund of this personality.
pub fn transaction_id(id: &str) -> Option<i64> {
    id.strip_prefix(ID_PREFIX)?.parse().ok()
}

/// The sandbox id of a `TransactionId` (or an order's `Id`, which is that id).
pub fn sandbox_id(transaction_id: i64) -> String {
    format!("{ID_PREFIX}{transaction_id}")
}

/// What the merchant sent with an order or a charge, kept with the payment and echoed
/// in every transaction and notification.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Merchant {
    #[serde(rename = "InvoiceId", default)]
    pub invoice_id: Option<String>,
    #[serde(rename = "AccountId", default)]
    pub account_id: Option<String>,
    #[serde(rename = "Email", default)]
    pub email: Option<String>,
    #[serde(rename = "JsonData", default)]
    pub json_data: Option<Value>,
    #[serde(rename = "FailRedirectUrl", default)]
    pub fail_redirect_url: Option<String>,
}

impl Merchant {
    pub fn of(p: &sandbox_payments::Model) -> Merchant {
        serde_json::from_str(&p.metadata).unwrap_or_default()
    }

    /// `JsonData` as notifications carry it (`Data`): a JSON string.
    fn data(&self) -> String {
        self.json_data
            .as_ref()
            .filter(|v| !v.is_null())
            .map(Value::to_string)
            .unwrap_or_default()
    }
}

/// CloudPayments' decline reason for a sandbox failure code: (`ReasonCode`, `Reason`,
/// `CardHolderMessage`), from its published table of codes.
pub fn reason(failure: Option<&str>) -> (i64, &'static str, &'static str) {
    match failure {
        None => (0, "Approved", "Оплата успешно проведена"),
        Some("insufficient_funds") => (5051, "Insufficient Funds", "Недостаточно средств на карте"),
        Some("refused_by_merchant") => {
            (5057, "Transaction Not Permitted", "Магазин отклонил платёж")
        }
        Some(_) => (
            5005,
            "Do Not Honor",
            "Свяжитесь с вашим банком или воспользуйтесь другой картой",
        ),
    }
}

/// Whether the payment has a transaction: a card was entered (paid or declined), or it
/// was charged by token. An order nobody paid has none.
pub fn has_transaction(p: &sandbox_payments::Model) -> bool {
    p.card_last4.is_some() && matches!(p.status.as_str(), "succeeded" | "failed")
}

fn amount(minor: i64) -> Value {
    // RUB has two decimals; the API writes amounts as numbers.
    let text = format!("{}.{:02}", minor / 100, minor % 100);
    Value::Number(text.parse().unwrap_or_else(|_| 0.into()))
}

fn amount_text(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

/// `CurrencyCode` of CloudPayments' currency table.
fn currency_code(currency: &str) -> i64 {
    match currency {
        "USD" => 1,
        "EUR" => 2,
        _ => 0,
    }
}

/// The transaction's ISO date (`2014-08-09T11:49:41`, UTC, no zone), as the API writes it.
fn iso(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// The notification's `DateTime` (`2014-08-09 11:49:42`, UTC).
fn notification_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// An order as `/orders/create` returns it.
pub fn order(p: &sandbox_payments::Model, base_url: &str) -> Value {
    let m = Merchant::of(p);
    json!({
        "Id": p.id,
        "Number": transaction_id(&p.id),
        "Amount": amount(p.amount_minor),
        "Currency": p.currency,
        "CurrencyCode": currency_code(&p.currency),
        "Email": m.email,
        "Phone": null,
        "Description": p.description,
        "RequireConfirmation": false,
        "Url": format!("{base_url}/sandbox/pay/{}", p.id),
        "CultureName": "ru-RU",
        "CreatedDate": format!("/Date({})/", p.created_at.timestamp_millis()),
        "CreatedDateIso": iso(p.created_at),
        "PaymentDate": null,
        "PaymentDateIso": null,
        "StatusCode": if p.status == "succeeded" { 2 } else { 0 },
        "Status": if p.status == "succeeded" { "Paid" } else { "Created" },
        "InternalId": transaction_id(&p.id),
    })
}

/// A transaction as `/payments/get`, `/payments/find` and the charge methods return it
/// (`card_number`: the card's full number, when the sandbox knows it, for its first six
/// digits).
pub fn transaction(
    p: &sandbox_payments::Model,
    public_id: &str,
    card_number: Option<&str>,
) -> Value {
    let m = Merchant::of(p);
    let (status, status_code) = match p.status.as_str() {
        "succeeded" => ("Completed", 3),
        "failed" => ("Declined", 5),
        "canceled" => ("Cancelled", 4),
        _ => ("AwaitingAuthentication", 1),
    };
    let (reason_code, reason, message) = reason(p.failure_code.as_deref());
    let paid = p.status == "succeeded";
    let at = |when: bool| when.then(|| iso(p.updated_at));
    json!({
        "PublicId": public_id,
        "TerminalUrl": "https://kinobill.test",
        "TransactionId": transaction_id(&p.id),
        "Amount": amount(p.amount_minor),
        "Currency": p.currency,
        "CurrencyCode": currency_code(&p.currency),
        "PaymentAmount": amount(p.amount_minor),
        "PaymentCurrency": p.currency,
        "PaymentCurrencyCode": currency_code(&p.currency),
        "InvoiceId": m.invoice_id,
        "AccountId": m.account_id,
        "Email": m.email,
        "Description": p.description,
        "JsonData": m.json_data,
        "CreatedDate": format!("/Date({})/", p.created_at.timestamp_millis()),
        "CreatedDateIso": iso(p.created_at),
        "AuthDate": null,
        "AuthDateIso": at(paid),
        "ConfirmDate": null,
        "ConfirmDateIso": at(paid),
        "AuthCode": paid.then_some("A1B2C3"),
        "TestMode": true,
        "Rrn": null,
        "OriginalTransactionId": null,
        "FallBackScenarioDeclinedTransactionId": null,
        "IpAddress": "127.0.0.1",
        "IpCountry": "RU",
        "IpCity": "Москва",
        "IpRegion": "Москва",
        "IpDistrict": "Центральный федеральный округ",
        "IpLatitude": 55.75222,
        "IpLongitude": 37.61556,
        "CardFirstSix": card_number.map(|n| n[..6.min(n.len())].to_string()),
        "CardLastFour": p.card_last4,
        "CardExpDate": "12/30",
        "CardType": "Visa",
        "CardProduct": "C",
        "CardCategory": "Visa Classic",
        "CardTypeCode": 0,
        "Issuer": "Sandbox Bank",
        "IssuerBankCountry": "RU",
        "Status": status,
        "StatusCode": status_code,
        "CultureName": "ru",
        "Reason": reason,
        "CardHolderMessage": message,
        "Type": 0,
        "Refunded": p.refunded_minor > 0,
        "Name": "CARDHOLDER NAME",
        "Token": p.card_token,
        "SubscriptionId": null,
        "GatewayName": "Sandbox",
        "ApplePay": false,
        "AndroidPay": false,
        "WalletType": "",
        "TotalFee": 0,
        "ReasonCode": reason_code,
    })
}

/// The fields every payment notification (Check, Pay, Fail) carries.
fn payment_fields(
    p: &sandbox_payments::Model,
    card_number: Option<&str>,
    at: DateTime<Utc>,
) -> Vec<(&'static str, String)> {
    let m = Merchant::of(p);
    let amount = amount_text(p.amount_minor);
    vec![
        (
            "TransactionId",
            transaction_id(&p.id).unwrap_or_default().to_string(),
        ),
        ("Amount", amount.clone()),
        ("Currency", p.currency.clone()),
        ("PaymentAmount", amount),
        ("PaymentCurrency", p.currency.clone()),
        ("DateTime", notification_time(at)),
        (
            "CardFirstSix",
            card_number
                .map(|n| n[..6.min(n.len())].to_string())
                .unwrap_or_default(),
        ),
        ("CardLastFour", p.card_last4.clone().unwrap_or_default()),
        ("CardType", "Visa".into()),
        ("CardExpDate", "12/30".into()),
        ("TestMode", "1".into()),
        ("InvoiceId", m.invoice_id.clone().unwrap_or_default()),
        ("AccountId", m.account_id.clone().unwrap_or_default()),
        ("SubscriptionId", String::new()),
        ("Name", "CARDHOLDER NAME".into()),
        ("Email", m.email.clone().unwrap_or_default()),
        ("IpAddress", "127.0.0.1".into()),
        ("IpCountry", "RU".into()),
        ("IpCity", "Москва".into()),
        ("IpRegion", "Москва".into()),
        ("IpDistrict", "Центральный федеральный округ".into()),
        ("Issuer", "Sandbox Bank".into()),
        ("IssuerBankCountry", "RU".into()),
        ("Description", p.description.clone()),
        ("OperationType", "Payment".into()),
        ("PaymentMethod", "Card".into()),
        ("CardProduct", "C".into()),
        ("GatewayName", "Sandbox".into()),
        ("TotalFee", "0".into()),
        ("Data", m.data()),
    ]
}

/// The Check notification sent before a card is charged on the hosted page.
pub fn check(
    p: &sandbox_payments::Model,
    card_number: &str,
    at: DateTime<Utc>,
) -> Vec<(&'static str, String)> {
    let mut attempt = p.clone();
    attempt.card_last4 = Some(card_number[card_number.len().saturating_sub(4)..].to_string());
    let mut fields = payment_fields(&attempt, Some(card_number), at);
    fields.push(("Status", "Completed".into()));
    fields
}

/// The notification CloudPayments would send for a sandbox event — its kind (the last
/// segment of the webhook URL) and its form fields — or `None` for events CloudPayments
/// has no notification for (a payment still pending, or an order left unpaid).
pub fn notification(
    event: &SandboxEvent,
    p: &sandbox_payments::Model,
    r: Option<&sandbox_refunds::Model>,
    card_number: Option<&str>,
) -> Option<(&'static str, Vec<(&'static str, String)>)> {
    match event.kind.as_str() {
        "payment.succeeded" => {
            let mut fields = payment_fields(p, card_number, event.created);
            fields.extend([
                ("Status", "Completed".into()),
                ("AuthCode", "A1B2C3".into()),
                ("Token", p.card_token.clone().unwrap_or_default()),
            ]);
            Some(("pay", fields))
        }
        "payment.failed" => {
            let (code, reason, _) = reason(p.failure_code.as_deref());
            let mut fields = payment_fields(p, card_number, event.created);
            fields.extend([("Reason", reason.into()), ("ReasonCode", code.to_string())]);
            Some(("fail", fields))
        }
        "refund.succeeded" => {
            let r = r?;
            let m = Merchant::of(p);
            Some((
                "refund",
                vec![
                    (
                        "TransactionId",
                        transaction_id(&r.id).unwrap_or_default().to_string(),
                    ),
                    (
                        "PaymentTransactionId",
                        transaction_id(&p.id).unwrap_or_default().to_string(),
                    ),
                    ("Amount", amount_text(r.amount_minor)),
                    ("DateTime", notification_time(r.created_at)),
                    ("OperationType", "Refund".into()),
                    ("InvoiceId", m.invoice_id.clone().unwrap_or_default()),
                    ("AccountId", m.account_id.clone().unwrap_or_default()),
                    ("Email", m.email.clone().unwrap_or_default()),
                    ("Data", m.data()),
                ],
            ))
        }
        _ => None,
    }
}

/// A form body and its `Content-HMAC`: base64 HMAC-SHA256 of the body with the API
/// secret, as CloudPayments signs its notifications.
pub fn signed_form(fields: &[(&str, String)], api_secret: &str) -> (String, String) {
    let body = serde_urlencoded::to_string(fields).unwrap_or_default();
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(api_secret.as_bytes())
        .expect("HMAC takes any key length");
    mac.update(body.as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    (body, signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_transaction_numbers_under_two_to_the_53() {
        for _ in 0..100 {
            let id = new_id();
            let n = transaction_id(&id).unwrap();
            assert!((1_000_000_000..(1_i64 << 53)).contains(&n), "{id}");
            assert_eq!(sandbox_id(n), id);
        }
        assert_eq!(transaction_id("sbx_123"), None);
    }

    #[test]
    fn the_signature_is_base64_hmac_sha256_of_the_body() {
        let (body, signature) = signed_form(&[("Amount", "10.00".into())], "secret");
        assert_eq!(body, "Amount=10.00");
        // python3: base64.b64encode(hmac.new(b'secret', b'Amount=10.00', sha256).digest())
        assert_eq!(signature, "ZFHToWeGcgHgM0J5NKSDEFWuiieR9JAscw4OoHl5Jys=");
    }

    #[test]
    fn declines_carry_published_reason_codes() {
        assert_eq!(reason(None).0, 0);
        assert_eq!(reason(Some("insufficient_funds")).0, 5051);
        assert_eq!(reason(Some("card_declined")).0, 5005);
    }
}
