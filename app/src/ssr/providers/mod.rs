//! The payment provider behind one trait. Billing talks only to [`PaymentProvider`]; the
//! sandbox (default) and the real adapters implement it. Every outcome is an exhaustive
//! enum, so a new provider state cannot slip through a catch-all.

pub mod cloudpayments;
pub mod net;
pub mod retry;
pub mod sandbox;
pub mod yookassa;

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::Money;

/// What we ask the provider to charge. `idempotency_key` is ours and reused on every
/// retry of the same attempt, so the provider never creates a second payment for it.
#[derive(Debug, Clone)]
pub struct CreatePayment {
    pub idempotency_key: String,
    /// The customer (providers that keep cards per account, such as CloudPayments).
    pub customer_id: Uuid,
    pub amount: Money,
    pub description: String,
    pub return_url: String,
    pub save_payment_method: bool,
    /// Our payment id, echoed back in webhooks.
    pub reference: Uuid,
}

/// A charge of a saved payment method (renewals), confirmed without the customer.
#[derive(Debug, Clone)]
pub struct ChargeSaved {
    pub idempotency_key: String,
    /// The account the card was saved for.
    pub customer_id: Uuid,
    pub amount: Money,
    pub description: String,
    pub payment_method_token: String,
    /// Our payment id.
    pub reference: Uuid,
    /// When this charge was first tried with this key, and now (our clock): a provider
    /// that forgets idempotency keys after a while (YooKassa: 24 hours) must look for
    /// the first try's payment before charging again once the key may be forgotten.
    pub first_tried_at: DateTime<Utc>,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct RefundRequest {
    pub idempotency_key: String,
    pub provider_payment_id: String,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentStatus {
    Pending,
    Succeeded,
    Failed { code: String, message: String },
    Canceled,
}

/// A card the provider saved for later charges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedMethod {
    pub token: String,
    pub brand: String,
    pub last4: String,
}

/// The provider's view of a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderPayment {
    pub id: String,
    pub status: PaymentStatus,
    pub amount: Money,
    /// Where to send the customer to pay (absent for charges of a saved card).
    pub confirmation_url: Option<String>,
    pub saved_method: Option<SavedMethod>,
    /// Our reference (payment id) as we sent it.
    pub reference: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundStatus {
    Pending,
    Succeeded,
    Failed { message: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRefund {
    pub id: String,
    pub status: RefundStatus,
}

/// A verified webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookEvent {
    Payment {
        event_id: String,
        occurred_at: DateTime<Utc>,
        payment: ProviderPayment,
    },
    Refund {
        event_id: String,
        occurred_at: DateTime<Utc>,
        provider_payment_id: String,
        refund: ProviderRefund,
    },
    /// The provider asks whether it may take this payment (CloudPayments' Check, sent
    /// before every attempt on its page): only a payment still waiting for exactly this
    /// amount may be taken.
    Check {
        event_id: String,
        reference: String,
        amount: Money,
    },
    /// Authentic, but nothing for billing to do (a notification about something we do
    /// not use); acknowledged so the provider stops sending it.
    Ignored { event_id: String, what: String },
}

impl WebhookEvent {
    pub fn event_id(&self) -> &str {
        match self {
            WebhookEvent::Payment { event_id, .. }
            | WebhookEvent::Refund { event_id, .. }
            | WebhookEvent::Check { event_id, .. }
            | WebhookEvent::Ignored { event_id, .. } => event_id,
        }
    }
}

/// Why a Check was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckRefusal {
    /// No payment of ours has this reference.
    UnknownPayment,
    /// The amount is not the payment's.
    WrongAmount,
    /// The payment is settled, or its invoice was replaced: nothing to pay any more.
    NotPayable,
}

/// What we answer a notification, in our words; each provider words it its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookReply<'a> {
    /// Handled (or seen before): `result` says how.
    Accepted {
        result: &'a str,
    },
    CheckPassed,
    CheckRefused(CheckRefusal),
}

/// A webhook's headers, names lower-cased: the provider boundary's own type, so the
/// adapters know nothing of the HTTP framework that received the request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookHeaders(Vec<(String, String)>);

impl WebhookHeaders {
    pub fn new<N: AsRef<str>, V: Into<String>>(pairs: impl IntoIterator<Item = (N, V)>) -> Self {
        WebhookHeaders(
            pairs
                .into_iter()
                .map(|(n, v)| (n.as_ref().to_ascii_lowercase(), v.into()))
                .collect(),
        )
    }

    /// The first value of `name` (any case).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A webhook as it arrived: the raw body (verified before anything is read from it),
/// the headers and the address of the TCP peer (the provider, or a proxy before us).
#[derive(Debug, Clone, Copy)]
pub struct WebhookRequest<'a> {
    /// The last path segment, for providers with one URL per notification type
    /// (`/api/v1/webhooks/cloudpayments/pay`).
    pub kind: Option<&'a str>,
    pub headers: &'a WebhookHeaders,
    pub body: &'a [u8],
    pub peer: Option<IpAddr>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// No answer in time: the operation may or may not have happened. Retry with the
    /// same idempotency key to find out.
    #[error("the payment provider did not answer in time")]
    Timeout,
    #[error("the payment provider is unavailable: {0}")]
    Unavailable(String),
    /// The provider refused the request itself (not a declined card).
    #[error("the payment provider refused the request: {code}: {message}")]
    Rejected { code: String, message: String },
    #[error("the payment provider does not know this payment")]
    NotFound,
    #[error("the webhook signature is missing or wrong")]
    InvalidSignature,
    /// The webhook came from an address the provider does not send from.
    #[error("the webhook came from an address that is not allowed: {0}")]
    ForbiddenSource(String),
    #[error("the webhook could not be read: {0}")]
    MalformedWebhook(String),
}

#[async_trait::async_trait]
pub trait PaymentProvider: Send + Sync + fmt::Debug {
    /// `sandbox`, `yookassa`, `cloudpayments`: stored with every payment.
    fn name(&self) -> &'static str;

    async fn create_payment(&self, req: &CreatePayment) -> Result<ProviderPayment, ProviderError>;

    async fn get_payment(
        &self,
        provider_payment_id: &str,
    ) -> Result<ProviderPayment, ProviderError>;

    async fn charge_saved(&self, req: &ChargeSaved) -> Result<ProviderPayment, ProviderError>;

    /// Idempotent by `req.idempotency_key`.
    async fn refund(&self, req: &RefundRequest) -> Result<ProviderRefund, ProviderError>;

    /// Cancels a payment nobody has paid yet (its invoice was replaced or voided) and
    /// returns it as it is now: already succeeded if the customer was quicker, which the
    /// caller must settle (and refund) rather than forget.
    async fn cancel_payment(
        &self,
        provider_payment_id: &str,
    ) -> Result<ProviderPayment, ProviderError>;

    /// The payment as the provider's own API shows it, unparsed (the console shows it
    /// to support next to our record).
    async fn raw_payment(
        &self,
        provider_payment_id: &str,
    ) -> Result<serde_json::Value, ProviderError>;

    /// Whether a report is about the payment whose provider id we stored. Usually the
    /// ids are equal; a provider whose payment gets a new id when it is paid (a
    /// CloudPayments order and its transaction) says how the two relate.
    fn is_same_payment(&self, stored_id: &str, reported: &ProviderPayment) -> bool {
        stored_id == reported.id
    }

    /// The body of our 200 answer to a notification.
    fn reply(&self, reply: WebhookReply<'_>) -> serde_json::Value {
        match reply {
            WebhookReply::Accepted { result } => {
                serde_json::json!({"received": true, "result": result})
            }
            WebhookReply::CheckPassed => serde_json::json!({"received": true, "result": "payable"}),
            WebhookReply::CheckRefused(why) => serde_json::json!({
                "received": true,
                "result": "refused",
                "reason": format!("{why:?}"),
            }),
        }
    }

    /// Checks that the webhook is authentic before reading anything from it (a
    /// signature over the raw body, or the sender's address), then returns what it
    /// reports: as the provider's API states it now where the provider signs nothing.
    async fn receive_webhook(
        &self,
        req: &WebhookRequest<'_>,
        now: DateTime<Utc>,
    ) -> Result<WebhookEvent, ProviderError>;
}

pub type SharedProvider = Arc<dyn PaymentProvider>;
