//! CloudPayments over HTTP: Basic `public_id:api_secret`, `X-Request-ID` for
//! idempotency (CloudPayments remembers a request id for one hour), payments through an
//! order's payment link (`/orders/create`, the customer pays on CloudPayments' page),
//! renewals by the saved card's token (`/payments/tokens/charge`, merchant-initiated),
//! refunds, and `/payments/find` by our invoice id to learn what happened to a payment.
//! Notifications (Check, Pay, Fail, Refund, Recurrent, Cancel) are signed: `Content-HMAC`
//! is the base64 HMAC-SHA256 of the raw body with the API secret.
//!
//! Our provider id of a payment is the order (`order:{order id}:{our payment id}`) until
//! it is paid, then the transaction id, which settlement stores and refunds use.

mod wire;

use std::fmt;
use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::retry::{Attempt, send, with_retries};
use super::{
    ChargeSaved, CheckRefusal, CreatePayment, PaymentProvider, PaymentStatus, ProviderError,
    ProviderPayment, ProviderRefund, RefundRequest, RefundStatus, WebhookEvent, WebhookReply,
    WebhookRequest,
};
use crate::domain::Money;
use wire::{amount_value, money, saved_card, text};

/// The production API.
pub const DEFAULT_API_URL: &str = "https://api.cloudpayments.ru";

/// The header that carries the notification's signature.
pub const SIGNATURE_HEADER: &str = "content-hmac";

#[derive(Clone)]
pub struct CloudPaymentsConfig {
    pub public_id: String,
    pub api_secret: String,
    pub api_url: String,
    /// One HTTP call's limit; no answer by then is a [`ProviderError::Timeout`].
    pub timeout: Duration,
    /// Calls answered 5xx or 429 are repeated with the same request id, up to this many
    /// times in all, `retry_base` apart (doubling).
    pub attempts: u32,
    pub retry_base: Duration,
}

/// Never prints the API secret.
impl fmt::Debug for CloudPaymentsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudPaymentsConfig")
            .field("public_id", &self.public_id)
            .field("api_secret", &"***")
            .field("api_url", &self.api_url)
            .finish_non_exhaustive()
    }
}

impl CloudPaymentsConfig {
    pub fn new(public_id: impl Into<String>, api_secret: impl Into<String>) -> Self {
        CloudPaymentsConfig {
            public_id: public_id.into(),
            api_secret: api_secret.into(),
            api_url: DEFAULT_API_URL.into(),
            timeout: Duration::from_secs(10),
            attempts: 3,
            retry_base: Duration::from_millis(300),
        }
    }
}

#[derive(Debug)]
pub struct CloudPayments {
    config: CloudPaymentsConfig,
    http: reqwest::Client,
}

/// A payment's provider id: the unpaid order, or the transaction.
enum ProviderId<'a> {
    Order { order: &'a str, invoice: &'a str },
    Transaction(i64),
}

fn parse_id(id: &str) -> Result<ProviderId<'_>, ProviderError> {
    if let Some(rest) = id.strip_prefix("order:") {
        let (order, invoice) = rest.split_once(':').ok_or(ProviderError::NotFound)?;
        return Ok(ProviderId::Order { order, invoice });
    }
    id.parse()
        .map(ProviderId::Transaction)
        .map_err(|_| ProviderError::NotFound)
}

/// What an API call answered.
enum Called {
    /// `Success: true`, with its model.
    Done(Value),
    /// `Success: false`: with a model (a declined transaction) or only a message.
    Refused {
        message: String,
        model: Option<Value>,
    },
}

impl CloudPayments {
    pub fn new(config: CloudPaymentsConfig) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| format!("building the CloudPayments HTTP client: {e}"))?;
        Ok(CloudPayments { config, http })
    }

    /// One API call (all are POSTs with JSON), repeated with the same `X-Request-ID`
    /// while CloudPayments answers 5xx or 429.
    async fn call(
        &self,
        path: &str,
        request_id: Option<&str>,
        body: &Value,
    ) -> Result<Called, ProviderError> {
        let url = format!("{}{path}", self.config.api_url.trim_end_matches('/'));
        with_retries(self.config.attempts, self.config.retry_base, || {
            let mut req = self
                .http
                .post(&url)
                .basic_auth(&self.config.public_id, Some(&self.config.api_secret))
                .json(body);
            if let Some(id) = request_id {
                req = req.header("X-Request-ID", id);
            }
            async move {
                let answer = match send(req, "CloudPayments").await {
                    Ok(a) => a,
                    Err(stop) => return stop,
                };
                let status = answer.status();
                if status.is_server_error() || status.as_u16() == 429 {
                    return Attempt::Again {
                        why: ProviderError::Unavailable(format!(
                            "CloudPayments answered HTTP {status}"
                        )),
                        wait: None,
                    };
                }
                Attempt::Done(Self::read(status, answer).await)
            }
        })
        .await
    }

    /// A final answer: refused credentials, or `{"Success", "Message", "Model"}`.
    async fn read(
        status: reqwest::StatusCode,
        answer: reqwest::Response,
    ) -> Result<Called, ProviderError> {
        if status.as_u16() == 401 || status.as_u16() == 403 {
            return Err(ProviderError::Rejected {
                code: "invalid_credentials".into(),
                message: "CloudPayments refused the public id and API secret".into(),
            });
        }
        let bytes = answer.bytes().await.map_err(|e| {
            ProviderError::Unavailable(format!("reading CloudPayments' answer: {e}"))
        })?;
        let parsed: wire::Answer = serde_json::from_slice(&bytes).map_err(|e| {
            ProviderError::Unavailable(format!(
                "CloudPayments answered HTTP {status} with something unreadable: {e}"
            ))
        })?;
        Ok(if parsed.success {
            Called::Done(parsed.model.unwrap_or(Value::Null))
        } else {
            Called::Refused {
                message: parsed.message.unwrap_or_default(),
                model: parsed.model.filter(|m| m.is_object()),
            }
        })
    }

    /// The latest transaction of our payment (`InvoiceId`), if there is one yet.
    async fn find(&self, invoice: &str) -> Result<Option<Value>, ProviderError> {
        match self
            .call("/payments/find", None, &json!({"InvoiceId": invoice}))
            .await?
        {
            Called::Done(tx) => Ok(Some(tx)),
            // A declined attempt is found as a refusal that carries its transaction.
            Called::Refused {
                model: Some(tx), ..
            } => Ok(Some(tx)),
            Called::Refused { .. } => Ok(None),
        }
    }

    fn signed(&self, body: &[u8], header: &str) -> bool {
        // A SHA-256 MAC is 44 characters of base64: anything much longer is not one,
        // and is refused before it is decoded.
        if header.len() > 128 {
            return false;
        }
        let Ok(given) = base64::engine::general_purpose::STANDARD.decode(header.trim()) else {
            return false;
        };
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(self.config.api_secret.as_bytes()) else {
            return false;
        };
        mac.update(body);
        mac.verify_slice(&given).is_ok()
    }
}

fn to_provider(tx: &Value, reference: Option<&str>) -> Result<ProviderPayment, ProviderError> {
    let status = wire::status(tx)?;
    Ok(ProviderPayment {
        id: text(tx, "TransactionId").ok_or_else(|| {
            ProviderError::MalformedWebhook("a transaction without TransactionId".into())
        })?,
        amount: money(&tx["Amount"], &tx["Currency"])?,
        saved_method: (status == PaymentStatus::Succeeded && wants_card_saved(tx))
            .then(|| saved_card(tx))
            .flatten(),
        status,
        confirmation_url: None,
        reference: text(tx, "InvoiceId")
            .or_else(|| reference.map(str::to_string))
            .unwrap_or_default(),
    })
}

/// CloudPayments returns a card token with every paid transaction; the card is kept
/// only when the customer asked, which we told it in the order's `JsonData` (echoed
/// back as `JsonData` by the API and as `Data` in notifications, an object or a JSON
/// string).
fn wants_card_saved(tx: &Value) -> bool {
    ["JsonData", "Data"].iter().any(|field| {
        let data = match tx.get(*field) {
            Some(Value::String(s)) => serde_json::from_str(s).unwrap_or(Value::Null),
            Some(v) => v.clone(),
            None => Value::Null,
        };
        data.get("save_card").and_then(Value::as_bool) == Some(true)
    })
}

/// An order nobody paid yet: pending, with its page. Its amount is known when we
/// created it; later look-ups do not return one (zero: a pending report moves no money).
fn unpaid_order(
    id: String,
    amount: Option<Money>,
    url: Option<String>,
    reference: &str,
) -> ProviderPayment {
    ProviderPayment {
        id,
        status: PaymentStatus::Pending,
        amount: amount.unwrap_or(Money::zero(crate::domain::Currency::Rub)),
        confirmation_url: url,
        saved_method: None,
        reference: reference.to_string(),
    }
}

#[async_trait::async_trait]
impl PaymentProvider for CloudPayments {
    fn name(&self) -> &'static str {
        "cloudpayments"
    }

    async fn create_payment(&self, req: &CreatePayment) -> Result<ProviderPayment, ProviderError> {
        let body = json!({
            "Amount": amount_value(req.amount),
            "Currency": req.amount.currency().code(),
            "Description": req.description,
            "RequireConfirmation": false,
            "SendEmail": false,
            "InvoiceId": req.reference,
            "AccountId": req.customer_id.to_string(),
            "SuccessRedirectUrl": req.return_url,
            "FailRedirectUrl": req.return_url,
            "JsonData": {"save_card": req.save_payment_method},
        });
        match self
            .call("/orders/create", Some(&req.idempotency_key), &body)
            .await?
        {
            Called::Done(order) => {
                let id = text(&order, "Id").ok_or_else(|| {
                    ProviderError::Unavailable(
                        "CloudPayments created an order without an id".into(),
                    )
                })?;
                Ok(unpaid_order(
                    format!("order:{id}:{}", req.reference),
                    Some(req.amount),
                    text(&order, "Url"),
                    &req.reference.to_string(),
                ))
            }
            Called::Refused { message, .. } => Err(ProviderError::Rejected {
                code: "order_refused".into(),
                message,
            }),
        }
    }

    async fn get_payment(&self, id: &str) -> Result<ProviderPayment, ProviderError> {
        match parse_id(id)? {
            ProviderId::Order { invoice, .. } => match self.find(invoice).await? {
                Some(tx) => to_provider(&tx, Some(invoice)),
                // No attempt yet: still pending. CloudPayments does not say an order's
                // amount here, and a pending report moves no money, so none is claimed.
                None => Ok(unpaid_order(id.to_string(), None, None, invoice)),
            },
            ProviderId::Transaction(tx) => {
                match self
                    .call("/payments/get", None, &json!({"TransactionId": tx}))
                    .await?
                {
                    Called::Done(model) => to_provider(&model, None),
                    Called::Refused {
                        model: Some(model), ..
                    } => to_provider(&model, None),
                    Called::Refused { .. } => Err(ProviderError::NotFound),
                }
            }
        }
    }

    /// The order's latest transaction (or the order, while nobody paid), or the
    /// transaction itself.
    async fn raw_payment(&self, id: &str) -> Result<Value, ProviderError> {
        match parse_id(id)? {
            ProviderId::Order { order, invoice } => Ok(self.find(invoice).await?.unwrap_or_else(
                || json!({"OrderId": order, "InvoiceId": invoice, "Status": "Created"}),
            )),
            ProviderId::Transaction(tx) => {
                match self
                    .call("/payments/get", None, &json!({"TransactionId": tx}))
                    .await?
                {
                    Called::Done(model)
                    | Called::Refused {
                        model: Some(model), ..
                    } => Ok(model),
                    Called::Refused { .. } => Err(ProviderError::NotFound),
                }
            }
        }
    }

    /// Looks first: CloudPayments remembers a request id for one hour only, and a retry
    /// after that (a worker down for a while) must find the charge, not make another.
    async fn charge_saved(&self, req: &ChargeSaved) -> Result<ProviderPayment, ProviderError> {
        let reference = req.reference.to_string();
        if let Some(tx) = self.find(&reference).await? {
            return to_provider(&tx, Some(&reference));
        }
        let body = json!({
            "Amount": amount_value(req.amount),
            "Currency": req.amount.currency().code(),
            "AccountId": req.customer_id.to_string(),
            "Token": req.payment_method_token,
            "InvoiceId": req.reference,
            "Description": req.description,
            // Merchant-initiated, scheduled: the customer is not there to confirm.
            "TrInitiatorCode": 1,
            "PaymentScheduled": 1,
        });
        match self
            .call("/payments/tokens/charge", Some(&req.idempotency_key), &body)
            .await?
        {
            Called::Done(tx)
            | Called::Refused {
                model: Some(tx), ..
            } => {
                if tx.get("AcsUrl").is_some_and(|v| !v.is_null()) {
                    // A bank that wants 3-D Secure for a charge nobody is there to confirm.
                    return Ok(ProviderPayment {
                        id: text(&tx, "TransactionId").unwrap_or_default(),
                        status: PaymentStatus::Failed {
                            code: "authentication_required".into(),
                            message: "The bank asks the card holder to confirm the payment.".into(),
                        },
                        amount: req.amount,
                        confirmation_url: None,
                        saved_method: None,
                        reference: reference.clone(),
                    });
                }
                to_provider(&tx, Some(&reference))
            }
            Called::Refused {
                message,
                model: None,
            } => Err(ProviderError::Rejected {
                code: "charge_refused".into(),
                message,
            }),
        }
    }

    async fn refund(&self, req: &RefundRequest) -> Result<ProviderRefund, ProviderError> {
        let ProviderId::Transaction(tx) = parse_id(&req.provider_payment_id)? else {
            return Err(ProviderError::Rejected {
                code: "not_paid".into(),
                message: "An order nobody paid has nothing to refund.".into(),
            });
        };
        let body = json!({"TransactionId": tx, "Amount": amount_value(req.amount)});
        match self
            .call("/payments/refund", Some(&req.idempotency_key), &body)
            .await?
        {
            Called::Done(model) => Ok(ProviderRefund {
                id: text(&model, "TransactionId").unwrap_or_else(|| format!("refund-of-{tx}")),
                status: RefundStatus::Succeeded,
            }),
            Called::Refused { message, .. } => Ok(ProviderRefund {
                id: String::new(),
                status: RefundStatus::Failed { message },
            }),
        }
    }

    /// An unpaid order is canceled, so its link stops taking money; what is returned is
    /// the payment as it is after that (paid, if the customer was quicker).
    async fn cancel_payment(&self, id: &str) -> Result<ProviderPayment, ProviderError> {
        let ProviderId::Order { order, invoice } = parse_id(id)? else {
            return self.get_payment(id).await;
        };
        if self.find(invoice).await?.is_none() {
            self.call(
                "/orders/cancel",
                Some(&format!("cancel-{order}")),
                &json!({"Id": order}),
            )
            .await?;
            if self.find(invoice).await?.is_none() {
                return Ok(ProviderPayment {
                    status: PaymentStatus::Canceled,
                    ..unpaid_order(id.to_string(), None, None, invoice)
                });
            }
        }
        self.get_payment(id).await
    }

    /// An order's transactions are reported with their own ids; they are the order's
    /// when they carry its invoice id (our payment id).
    fn is_same_payment(&self, stored_id: &str, reported: &ProviderPayment) -> bool {
        match parse_id(stored_id) {
            Ok(ProviderId::Order { invoice, .. }) => invoice == reported.reference,
            _ => stored_id == reported.id,
        }
    }

    fn reply(&self, reply: WebhookReply<'_>) -> Value {
        // CloudPayments reads only `code`: 0 accepts; Check's refusals have their codes.
        let code = match reply {
            WebhookReply::Accepted { .. } | WebhookReply::CheckPassed => 0,
            WebhookReply::CheckRefused(CheckRefusal::UnknownPayment) => 10,
            WebhookReply::CheckRefused(CheckRefusal::WrongAmount) => 12,
            WebhookReply::CheckRefused(CheckRefusal::NotPayable) => 13,
        };
        json!({"code": code})
    }

    async fn receive_webhook(
        &self,
        req: &WebhookRequest<'_>,
        now: DateTime<Utc>,
    ) -> Result<WebhookEvent, ProviderError> {
        let header = req
            .headers
            .get(SIGNATURE_HEADER)
            .ok_or(ProviderError::InvalidSignature)?;
        if !self.signed(req.body, header) {
            return Err(ProviderError::InvalidSignature);
        }
        let fields = notification_fields(req)?;
        let kind = req.kind.unwrap_or_default().to_ascii_lowercase();
        let tx_id = text(&fields, "TransactionId").unwrap_or_default();
        let event_id = format!("{kind}:{tx_id}");
        let reference = text(&fields, "InvoiceId");
        Ok(match kind.as_str() {
            "check" => WebhookEvent::Check {
                event_id,
                reference: reference.unwrap_or_default(),
                amount: money(&fields["Amount"], &fields["Currency"])?,
            },
            "pay" => {
                let mut tx = fields.clone();
                tx["Status"] = json!("Completed");
                WebhookEvent::Payment {
                    event_id,
                    occurred_at: now,
                    payment: to_provider(&tx, reference.as_deref())?,
                }
            }
            "fail" => {
                let mut tx = fields.clone();
                tx["Status"] = json!("Declined");
                WebhookEvent::Payment {
                    event_id,
                    occurred_at: now,
                    payment: to_provider(&tx, reference.as_deref())?,
                }
            }
            "cancel" => {
                let mut tx = fields.clone();
                tx["Status"] = json!("Cancelled");
                WebhookEvent::Payment {
                    event_id,
                    occurred_at: now,
                    payment: to_provider(&tx, reference.as_deref())?,
                }
            }
            "refund" => WebhookEvent::Refund {
                event_id,
                occurred_at: now,
                provider_payment_id: text(&fields, "PaymentTransactionId").ok_or_else(|| {
                    ProviderError::MalformedWebhook("a refund without PaymentTransactionId".into())
                })?,
                refund: ProviderRefund {
                    id: tx_id,
                    status: RefundStatus::Succeeded,
                },
            },
            // CloudPayments' own subscriptions: we renew by token ourselves.
            "recurrent" => WebhookEvent::Ignored {
                event_id: format!("recurrent:{}", text(&fields, "Id").unwrap_or_default()),
                what: "recurrent".into(),
            },
            other => {
                return Err(ProviderError::MalformedWebhook(format!(
                    "unknown notification {other:?}"
                )));
            }
        })
    }
}

/// The notification's fields: form-encoded (CloudPayments' default) or JSON.
fn notification_fields(req: &WebhookRequest<'_>) -> Result<Value, ProviderError> {
    let json = req
        .headers
        .get("content-type")
        .is_some_and(|t| t.contains("json"));
    if json {
        // An object, or nothing: the fields are read (and written) by name below, which
        // on any other JSON value would panic. Found by the fuzz target.
        return match serde_json::from_slice(req.body) {
            Ok(fields @ Value::Object(_)) => Ok(fields),
            Ok(_) => Err(ProviderError::MalformedWebhook(
                "a JSON notification must be an object".into(),
            )),
            Err(e) => Err(ProviderError::MalformedWebhook(e.to_string())),
        };
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(req.body)
        .map_err(|e| ProviderError::MalformedWebhook(e.to_string()))?;
    Ok(Value::Object(
        pairs
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    ))
}
