//! YooKassa API v3 objects as the API documents them (only the fields we read; serde
//! ignores the rest, so a field YooKassa adds tomorrow breaks nothing).

use serde::Deserialize;

use crate::domain::{Currency, Money};
use crate::ssr::providers::{PaymentStatus, ProviderError, RefundStatus};

/// `{"value": "499.00", "currency": "RUB"}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Amount {
    pub value: String,
    pub currency: String,
}

impl Amount {
    pub fn of(m: Money) -> serde_json::Value {
        serde_json::json!({"value": m.to_wire(), "currency": m.currency().code()})
    }

    pub fn money(&self) -> Result<Money, ProviderError> {
        let currency: Currency = self.currency.parse().map_err(|_| {
            ProviderError::MalformedWebhook(format!("unknown currency {:?}", self.currency))
        })?;
        Money::parse(&self.value, currency, "amount").map_err(|_| {
            ProviderError::MalformedWebhook(format!("unreadable amount {:?}", self.value))
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Confirmation {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub confirmation_url: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Card {
    pub last4: String,
    #[serde(default)]
    pub card_type: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PaymentMethod {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    #[serde(default)]
    pub saved: bool,
    #[serde(default)]
    pub card: Option<Card>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CancellationDetails {
    pub reason: String,
}

/// A payment object (`POST /payments`, `GET /payments/{id}`, notifications).
#[derive(Debug, Clone, Deserialize)]
pub struct Payment {
    pub id: String,
    pub status: String,
    pub amount: Amount,
    #[serde(default)]
    pub confirmation: Option<Confirmation>,
    #[serde(default)]
    pub payment_method: Option<PaymentMethod>,
    #[serde(default)]
    pub cancellation_details: Option<CancellationDetails>,
    #[serde(default)]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A page of `GET /payments`.
#[derive(Debug, Clone, Deserialize)]
pub struct PaymentList {
    pub items: Vec<Payment>,
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// A refund object (`POST /refunds`, `GET /refunds/{id}`, notifications).
#[derive(Debug, Clone, Deserialize)]
pub struct Refund {
    pub id: String,
    pub payment_id: String,
    pub status: String,
    #[serde(default)]
    pub cancellation_details: Option<CancellationDetails>,
}

/// The error object of every non-2xx answer, and the `processing` answer (HTTP 202)
/// that asks to repeat the request after `retry_after` milliseconds.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ApiError {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub parameter: Option<String>,
    #[serde(default)]
    pub retry_after: Option<u64>,
}

/// An HTTP notification: `{"type": "notification", "event": "payment.succeeded", "object": {…}}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Notification {
    #[serde(rename = "type")]
    pub kind: String,
    pub event: String,
    pub object: NotificationObject,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NotificationObject {
    pub id: String,
}

/// Our failure code for YooKassa's `cancellation_details.reason`, or `None` when nobody
/// declined anything (the customer left the page, or we canceled it): a cancellation.
pub fn failure_code(reason: &str) -> Option<&'static str> {
    Some(match reason {
        "expired_on_confirmation" | "expired_on_capture" | "canceled_by_merchant" => {
            return None;
        }
        "insufficient_funds" => "insufficient_funds",
        "card_expired" => "card_expired",
        "3d_secure_failed" => "authentication_failed",
        "fraud_suspected" => "fraud_suspected",
        "invalid_card_number" | "invalid_csc" => "invalid_card",
        "payment_method_limit_exceeded" => "limit_exceeded",
        "issuer_unavailable" | "internal_timeout" | "unsupported_mobile_operator" => {
            "processing_error"
        }
        // general_decline, call_issuer, country_forbidden, payment_method_restricted,
        // permission_revoked, identification_required and reasons added later.
        _ => "card_declined",
    })
}

/// What the customer reads about a decline.
fn failure_message(reason: &str) -> String {
    match reason {
        "insufficient_funds" => "There is not enough money on the card.".into(),
        "card_expired" => "The card has expired.".into(),
        "3d_secure_failed" => "The card holder did not pass 3-D Secure.".into(),
        "fraud_suspected" => "The payment was blocked as suspicious.".into(),
        "invalid_card_number" => "The card number is wrong.".into(),
        "invalid_csc" => "The card's security code is wrong.".into(),
        "payment_method_limit_exceeded" => "The card's limit is exceeded.".into(),
        "call_issuer" => "The bank declined the payment: call the bank.".into(),
        other => format!("The bank declined the payment ({other})."),
    }
}

impl Payment {
    /// Our status for YooKassa's. We always ask for `capture: true`, so a payment
    /// `waiting_for_capture` is not final yet (the adapter captures it).
    pub fn status(&self) -> Result<PaymentStatus, ProviderError> {
        Ok(match self.status.as_str() {
            "pending" | "waiting_for_capture" => PaymentStatus::Pending,
            "succeeded" => PaymentStatus::Succeeded,
            "canceled" => {
                let reason = self
                    .cancellation_details
                    .as_ref()
                    .map_or("general_decline", |d| d.reason.as_str());
                match failure_code(reason) {
                    None => PaymentStatus::Canceled,
                    Some(code) => PaymentStatus::Failed {
                        code: code.into(),
                        message: failure_message(reason),
                    },
                }
            }
            other => {
                return Err(ProviderError::MalformedWebhook(format!(
                    "unknown payment status {other:?}"
                )));
            }
        })
    }

    /// Our payment id, as we put it in `metadata`.
    pub fn reference(&self) -> String {
        self.metadata
            .as_ref()
            .and_then(|m| m.get(super::METADATA_PAYMENT))
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    }
}

impl Refund {
    pub fn status(&self) -> Result<RefundStatus, ProviderError> {
        Ok(match self.status.as_str() {
            "pending" => RefundStatus::Pending,
            "succeeded" => RefundStatus::Succeeded,
            "canceled" => RefundStatus::Failed {
                message: format!(
                    "YooKassa canceled the refund ({})",
                    self.cancellation_details
                        .as_ref()
                        .map_or("no reason given", |d| d.reason.as_str())
                ),
            },
            other => {
                return Err(ProviderError::MalformedWebhook(format!(
                    "unknown refund status {other:?}"
                )));
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payment(json: serde_json::Value) -> Payment {
        serde_json::from_value(json).unwrap()
    }

    // Shapes from YooKassa's published API reference.
    #[test]
    fn a_pending_payment_reads_with_its_confirmation_url() {
        let p = payment(serde_json::json!({
            "id": "22e12f66-000f-5000-8000-18db351245c7",
            "status": "pending",
            "paid": false,
            "amount": {"value": "2.00", "currency": "RUB"},
            "confirmation": {"type": "redirect", "confirmation_url": "https://yoomoney.ru/api/checkout/payments/v2/contract?orderId=22e12f66-000f-5000-8000-18db351245c7"},
            "created_at": "2018-07-18T10:51:18.139Z",
            "description": "Заказ №72",
            "metadata": {"kinobill_payment_id": "0190f1d2-0000-7000-8000-000000000001"},
            "recipient": {"account_id": "100500", "gateway_id": "100700"},
            "refundable": false,
            "test": false
        }));
        assert_eq!(p.status().unwrap(), PaymentStatus::Pending);
        assert_eq!(p.reference(), "0190f1d2-0000-7000-8000-000000000001");
        assert_eq!(p.amount.money().unwrap().minor(), 200);
        assert!(
            p.confirmation
                .unwrap()
                .confirmation_url
                .unwrap()
                .starts_with("https://yoomoney.ru/")
        );
    }

    #[test]
    fn cancellation_reasons_map_to_our_codes() {
        let canceled = |reason: &str| {
            payment(serde_json::json!({
                "id": "x", "status": "canceled",
                "amount": {"value": "1.00", "currency": "RUB"},
                "cancellation_details": {"party": "payment_network", "reason": reason}
            }))
            .status()
            .unwrap()
        };
        assert!(
            matches!(canceled("insufficient_funds"), PaymentStatus::Failed { code, .. } if code == "insufficient_funds")
        );
        assert!(
            matches!(canceled("general_decline"), PaymentStatus::Failed { code, .. } if code == "card_declined")
        );
        assert!(
            matches!(canceled("3d_secure_failed"), PaymentStatus::Failed { code, .. } if code == "authentication_failed")
        );
        assert!(
            matches!(canceled("something_new"), PaymentStatus::Failed { code, .. } if code == "card_declined")
        );
        assert_eq!(canceled("expired_on_confirmation"), PaymentStatus::Canceled);
        assert_eq!(canceled("canceled_by_merchant"), PaymentStatus::Canceled);
    }

    #[test]
    fn an_unknown_status_is_an_error_not_a_guess() {
        let p = payment(serde_json::json!({
            "id": "x", "status": "paused", "amount": {"value": "1.00", "currency": "RUB"}
        }));
        assert!(p.status().is_err());
    }
}
