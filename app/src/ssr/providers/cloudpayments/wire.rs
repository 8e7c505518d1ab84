//! CloudPayments API objects as its reference documents them: every answer is
//! `{"Success", "Message", "Model"}`; a transaction carries `TransactionId`, `Amount`,
//! `Currency`, `InvoiceId`, `AccountId`, `Status`, `ReasonCode`, `CardHolderMessage`
//! and, once a card is known, `Token`, `CardLastFour`, `CardType`.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

use crate::domain::{Currency, Money};
use crate::ssr::providers::{PaymentStatus, ProviderError, SavedMethod};

/// `{"Success": true, "Message": null, "Model": {…}}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Answer {
    #[serde(rename = "Success")]
    pub success: bool,
    #[serde(rename = "Message", default)]
    pub message: Option<String>,
    #[serde(rename = "Model", default)]
    pub model: Option<Value>,
}

/// An amount as a JSON number (CloudPayments' `Amount`): written from the decimal's
/// own digits, read back through its text, never through arithmetic on a float.
pub fn amount_value(m: Money) -> Value {
    Value::Number(
        serde_json::Number::from_str(&m.to_wire()).expect("a decimal amount is a JSON number"),
    )
}

/// `Amount` and `Currency` of a model or a notification (numbers or strings).
pub fn money(amount: &Value, currency: &Value) -> Result<Money, ProviderError> {
    let text = match amount {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => return Err(bad(format!("unreadable amount {other}"))),
    };
    let value =
        Decimal::from_str(text.trim()).map_err(|_| bad(format!("unreadable amount {text:?}")))?;
    let currency: Currency = currency
        .as_str()
        .unwrap_or("RUB")
        .parse()
        .map_err(|_| bad(format!("unknown currency {currency}")))?;
    Ok(Money::new(value, currency))
}

fn bad(message: String) -> ProviderError {
    ProviderError::MalformedWebhook(message)
}

/// A string field of a model or notification (CloudPayments sends ids as numbers or
/// strings depending on the channel).
pub fn text(v: &Value, field: &str) -> Option<String> {
    match v.get(field)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Our failure code for a decline's `ReasonCode`.
pub fn failure_code(reason_code: Option<i64>) -> &'static str {
    match reason_code {
        Some(5051) => "insufficient_funds",
        Some(5033 | 5054) => "card_expired",
        Some(5014 | 5015 | 5082) => "invalid_card",
        Some(5206..=5208) => "authentication_failed",
        Some(5065) => "limit_exceeded",
        Some(5091 | 5092 | 5096) => "processing_error",
        _ => "card_declined",
    }
}

/// Our status for a transaction's `Status`.
pub fn status(tx: &Value) -> Result<PaymentStatus, ProviderError> {
    let status = text(tx, "Status").unwrap_or_default();
    Ok(match status.as_str() {
        "Completed" => PaymentStatus::Succeeded,
        // Two-stage payments are not used; a payment on its way through 3-D Secure is
        // not decided yet.
        "AwaitingAuthentication" | "Authorized" => PaymentStatus::Pending,
        "Cancelled" => PaymentStatus::Canceled,
        "Declined" => {
            // A number from the API, a string from a form-encoded notification.
            let code = text(tx, "ReasonCode").and_then(|c| c.parse().ok());
            PaymentStatus::Failed {
                code: failure_code(code).into(),
                message: text(tx, "CardHolderMessage")
                    .or_else(|| text(tx, "Reason"))
                    .unwrap_or_else(|| "The bank declined the payment.".into()),
            }
        }
        other => return Err(bad(format!("unknown transaction status {other:?}"))),
    })
}

/// The card a transaction saved (`Token`), with what the customer sees of it.
pub fn saved_card(tx: &Value) -> Option<SavedMethod> {
    Some(SavedMethod {
        token: text(tx, "Token")?,
        brand: text(tx, "CardType").unwrap_or_else(|| "card".into()),
        last4: text(tx, "CardLastFour").unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // The transaction model of CloudPayments' API reference (abridged).
    fn completed() -> Value {
        json!({
            "ReasonCode": 0, "PublicId": "pk_test", "TerminalUrl": "https://example.com",
            "TransactionId": 504, "Amount": 10.57, "Currency": "RUB", "CurrencyCode": 0,
            "PaymentAmount": 10.57, "PaymentCurrency": "RUB", "InvoiceId": "1234567",
            "AccountId": "user_x", "Email": null, "Description": "Оплата товаров",
            "CreatedDateIso": "2014-08-09T11:49:41", "TestMode": true, "Status": "Completed",
            "StatusCode": 3, "Reason": "Approved", "CardFirstSix": "411111",
            "CardLastFour": "1111", "CardExpDate": "05/19", "CardType": "Visa",
            "Token": "a4e67841-abb0-42de-a364-d1d8f9f4b3c0"
        })
    }

    #[test]
    fn a_completed_transaction_reads_with_its_card() {
        let tx = completed();
        assert_eq!(status(&tx).unwrap(), PaymentStatus::Succeeded);
        assert_eq!(money(&tx["Amount"], &tx["Currency"]).unwrap().minor(), 1057);
        assert_eq!(text(&tx, "TransactionId").as_deref(), Some("504"));
        let card = saved_card(&tx).unwrap();
        assert_eq!((card.brand.as_str(), card.last4.as_str()), ("Visa", "1111"));
    }

    #[test]
    fn declines_carry_our_code_and_the_card_holder_message() {
        let mut tx = completed();
        tx["Status"] = json!("Declined");
        tx["ReasonCode"] = json!(5051);
        tx["CardHolderMessage"] = json!("Недостаточно средств на карте");
        assert_eq!(
            status(&tx).unwrap(),
            PaymentStatus::Failed {
                code: "insufficient_funds".into(),
                message: "Недостаточно средств на карте".into()
            }
        );
        tx["Status"] = json!("Refunded?");
        assert!(status(&tx).is_err());
    }

    #[test]
    fn amounts_go_out_and_come_back_without_float_error() {
        let m = Money::from_minor(29_999, Currency::Rub);
        let v = amount_value(m);
        assert_eq!(v.to_string(), "299.99");
        assert_eq!(money(&v, &json!("RUB")).unwrap(), m);
        assert_eq!(money(&json!("299.99"), &json!("RUB")).unwrap(), m);
    }
}
