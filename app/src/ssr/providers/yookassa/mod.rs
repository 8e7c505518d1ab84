//! YooKassa (API v3) over HTTP: Basic `shop_id:secret_key`, `Idempotence-Key` on every
//! POST (YooKassa keeps a key's answer for 24 hours), one-stage payments
//! (`capture: true`) with a redirect confirmation, saved cards charged by
//! `payment_method_id`, refunds. YooKassa signs no notification: one is accepted only
//! from its published addresses, and then only as a hint: the object is read back from
//! the API and that answer, never the notification's body, is what gets settled.

mod wire;

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use uuid::Uuid;

use super::net::{self, Cidr};
use super::retry::{Attempt, send, with_retries};
use super::{
    ChargeSaved, CreatePayment, PaymentProvider, ProviderError, ProviderPayment, ProviderRefund,
    RefundRequest, SavedMethod, WebhookEvent, WebhookRequest,
};
use crate::domain::Money;
use wire::{Amount, ApiError};
pub use wire::{Notification, NotificationObject};

/// The production API.
pub const DEFAULT_API_URL: &str = "https://api.yookassa.ru/v3";

/// The addresses YooKassa sends notifications from, as it publishes them.
pub const PUBLISHED_RANGES: &str = "185.71.76.0/27,185.71.77.0/27,77.75.153.0/25,77.75.156.11,\
77.75.156.35,77.75.154.128/25,2a02:5180::/32";

/// The `metadata` key that carries our payment id.
const METADATA_PAYMENT: &str = "kinobill_payment_id";

/// YooKassa limits a description to 128 characters.
const DESCRIPTION_MAX: usize = 128;

/// YooKassa keeps an `Idempotence-Key`'s answer for 24 hours. A charge retried later
/// than this after its first try looks for the first try's payment before it charges
/// (an hour's margin for the two clocks).
const KEY_TRUSTED_FOR: chrono::TimeDelta = chrono::TimeDelta::hours(23);

/// How many pages of `GET /payments` that look-up reads at most (100 payments each).
const LOOKUP_PAGES: usize = 20;

#[derive(Clone)]
pub struct YooKassaConfig {
    pub shop_id: String,
    pub secret_key: String,
    /// `https://api.yookassa.ru/v3`, or the sandbox's copy of it.
    pub api_url: String,
    /// Where notifications may come from.
    pub allow: Vec<Cidr>,
    /// Our proxies, whose `X-Forwarded-For` names the real sender.
    pub trusted_proxies: Vec<Cidr>,
    /// One HTTP call's limit; no answer by then is a [`ProviderError::Timeout`].
    pub timeout: Duration,
    /// Calls answered 5xx, 429 or "processing" are repeated with the same key, up to
    /// this many times in all, `retry_base` apart (doubling).
    pub attempts: u32,
    pub retry_base: Duration,
}

/// Never prints the secret key.
impl fmt::Debug for YooKassaConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("YooKassaConfig")
            .field("shop_id", &self.shop_id)
            .field("secret_key", &"***")
            .field("api_url", &self.api_url)
            .field("allow", &self.allow)
            .field("trusted_proxies", &self.trusted_proxies)
            .finish_non_exhaustive()
    }
}

impl YooKassaConfig {
    /// The settings for a shop, with the published addresses and default limits.
    pub fn new(shop_id: impl Into<String>, secret_key: impl Into<String>) -> Self {
        YooKassaConfig {
            shop_id: shop_id.into(),
            secret_key: secret_key.into(),
            api_url: DEFAULT_API_URL.into(),
            allow: net::parse_list(PUBLISHED_RANGES).expect("the published ranges parse"),
            trusted_proxies: Vec::new(),
            timeout: Duration::from_secs(10),
            attempts: 3,
            retry_base: Duration::from_millis(300),
        }
    }
}

#[derive(Debug)]
pub struct YooKassa {
    config: YooKassaConfig,
    http: reqwest::Client,
}

impl YooKassa {
    pub fn new(config: YooKassaConfig) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| format!("building the YooKassa HTTP client: {e}"))?;
        Ok(YooKassa { config, http })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.api_url.trim_end_matches('/'))
    }

    /// One API call, repeated with the same idempotence key while YooKassa answers
    /// "processing" (202), "too many requests" (429) or a server error (5xx, whose
    /// outcome YooKassa calls unknown: only the same key can find it out).
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> Result<T, ProviderError> {
        let url = self.url(path);
        with_retries(self.config.attempts, self.config.retry_base, || {
            let mut req = self
                .http
                .request(method.clone(), &url)
                .basic_auth(&self.config.shop_id, Some(&self.config.secret_key));
            if let Some(key) = key {
                req = req.header("Idempotence-Key", key);
            }
            if let Some(body) = body {
                req = req.json(body);
            }
            async move {
                // A timeout may mean YooKassa acted: the caller keeps the payment pending
                // and asks again with the same key.
                let answer = match send(req, "YooKassa").await {
                    Ok(a) => a,
                    Err(stop) => return stop,
                };
                let status = answer.status();
                let bytes = match answer.bytes().await {
                    Ok(b) => b,
                    Err(e) => {
                        return Attempt::Done(Err(ProviderError::Unavailable(format!(
                            "reading YooKassa's answer: {e}"
                        ))));
                    }
                };
                Self::classify(status, &bytes)
            }
        })
        .await
    }

    /// What one answer of YooKassa means for the call.
    fn classify<T: DeserializeOwned>(status: StatusCode, bytes: &[u8]) -> Attempt<T> {
        if status == StatusCode::OK {
            return Attempt::Done(serde_json::from_slice(bytes).map_err(|e| {
                ProviderError::Unavailable(format!("YooKassa answered something unreadable: {e}"))
            }));
        }
        let error: Option<ApiError> = serde_json::from_slice(bytes).ok();
        match status {
            // "processing": repeat after the delay it asks for (bounded).
            StatusCode::ACCEPTED => Attempt::Again {
                why: ProviderError::Timeout,
                wait: error
                    .as_ref()
                    .and_then(|e| e.retry_after)
                    .map(|ms| Duration::from_millis(ms).min(Duration::from_secs(5))),
            },
            StatusCode::TOO_MANY_REQUESTS => Attempt::Again {
                why: ProviderError::Unavailable("YooKassa: too many requests".into()),
                wait: None,
            },
            s if s.is_server_error() => Attempt::Again {
                why: ProviderError::Unavailable(format!("YooKassa answered HTTP {s}")),
                wait: None,
            },
            StatusCode::NOT_FOUND => Attempt::Done(Err(ProviderError::NotFound)),
            s => {
                let e = error.unwrap_or_default();
                let code = e.code.unwrap_or_else(|| format!("http_{}", s.as_u16()));
                let mut message = e
                    .description
                    .unwrap_or_else(|| format!("YooKassa answered HTTP {s}"));
                if let Some(p) = e.parameter {
                    message = format!("{message} (parameter {p})");
                }
                Attempt::Done(Err(ProviderError::Rejected { code, message }))
            }
        }
    }

    /// The payment we created for `reference` since `since`, found by its metadata in
    /// `GET /payments` (YooKassa has no look-up by metadata).
    async fn find_by_reference(
        &self,
        reference: Uuid,
        since: DateTime<Utc>,
    ) -> Result<Option<wire::Payment>, ProviderError> {
        let reference = reference.to_string();
        let since = since.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let mut cursor: Option<String> = None;
        for _ in 0..LOOKUP_PAGES {
            let mut path = format!("/payments?limit=100&created_at.gte={since}");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let page: wire::PaymentList = self.call(Method::GET, &path, None, None).await?;
            if let Some(found) = page.items.into_iter().find(|p| p.reference() == reference) {
                return Ok(Some(found));
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => return Ok(None),
            }
        }
        Err(ProviderError::Unavailable(
            "YooKassa's payment list is too long to look through".into(),
        ))
    }

    async fn payment(&self, id: &str) -> Result<wire::Payment, ProviderError> {
        check_id(id)?;
        self.call(Method::GET, &format!("/payments/{id}"), None, None)
            .await
    }

    /// One-stage payments should never wait for capture; if one does (a shop set to
    /// two stages), it is captured in full, once (the key is derived from its id).
    async fn captured(&self, p: wire::Payment) -> Result<wire::Payment, ProviderError> {
        if p.status != "waiting_for_capture" {
            return Ok(p);
        }
        let body = json!({"amount": {"value": p.amount.value, "currency": p.amount.currency}});
        self.call(
            Method::POST,
            &format!("/payments/{}/capture", p.id),
            Some(&format!("capture-{}", p.id)),
            Some(&body),
        )
        .await
    }

    fn allowed(&self, req: &WebhookRequest<'_>) -> Result<(), ProviderError> {
        let from = net::client_address(req, &self.config.trusted_proxies);
        match from {
            Some(ip) if self.config.allow.iter().any(|c| c.contains(ip)) => Ok(()),
            Some(ip) => Err(ProviderError::ForbiddenSource(ip.to_string())),
            None => Err(ProviderError::ForbiddenSource("an unknown address".into())),
        }
    }
}

/// A notification's body as YooKassa sends it, read but not yet believed: what it
/// reports is then read from the API. Public for the fuzz target.
pub fn read_notification(body: &[u8]) -> Result<Notification, ProviderError> {
    let note: Notification =
        serde_json::from_slice(body).map_err(|e| ProviderError::MalformedWebhook(e.to_string()))?;
    if note.kind != "notification" {
        return Err(ProviderError::MalformedWebhook(format!(
            "not a notification: {:?}",
            note.kind
        )));
    }
    check_id(&note.object.id)?;
    Ok(note)
}

/// A provider id goes into a URL path: anything but YooKassa's id characters is refused
/// rather than sent (`../refunds` must not reach another endpoint).
fn check_id(id: &str) -> Result<(), ProviderError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ProviderError::NotFound)
    }
}

/// What every payment we create says, whichever way it is paid.
struct NewPayment<'a> {
    key: &'a str,
    amount: Money,
    description: &'a str,
    reference: Uuid,
}

impl YooKassa {
    /// `POST /payments`: one-stage, with our payment id in the metadata; `how` adds the
    /// confirmation (a purchase) or the saved card (a renewal).
    async fn pay(&self, p: NewPayment<'_>, how: Value) -> Result<ProviderPayment, ProviderError> {
        let mut body = json!({
            "amount": Amount::of(p.amount),
            "capture": true,
            "description": description(p.description),
            "metadata": {METADATA_PAYMENT: p.reference},
        });
        if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), how) {
            body.extend(extra);
        }
        let created: wire::Payment = self
            .call(Method::POST, "/payments", Some(p.key), Some(&body))
            .await?;
        to_provider(&created)
    }
}

fn description(text: &str) -> String {
    text.chars().take(DESCRIPTION_MAX).collect()
}

fn to_provider(p: &wire::Payment) -> Result<ProviderPayment, ProviderError> {
    Ok(ProviderPayment {
        id: p.id.clone(),
        status: p.status()?,
        amount: p.amount.money()?,
        confirmation_url: p
            .confirmation
            .as_ref()
            .filter(|c| c.kind == "redirect")
            .and_then(|c| c.confirmation_url.clone()),
        saved_method: p
            .payment_method
            .as_ref()
            .filter(|m| m.saved)
            .map(|m| SavedMethod {
                token: m.id.clone(),
                brand: m
                    .card
                    .as_ref()
                    .and_then(|c| c.card_type.clone())
                    .unwrap_or_else(|| m.kind.clone()),
                last4: m.card.as_ref().map(|c| c.last4.clone()).unwrap_or_default(),
            }),
        reference: p.reference(),
    })
}

fn to_refund(r: &wire::Refund) -> Result<ProviderRefund, ProviderError> {
    Ok(ProviderRefund {
        id: r.id.clone(),
        status: r.status()?,
    })
}

#[async_trait::async_trait]
impl PaymentProvider for YooKassa {
    fn name(&self) -> &'static str {
        "yookassa"
    }

    async fn create_payment(&self, req: &CreatePayment) -> Result<ProviderPayment, ProviderError> {
        let how = json!({
            "confirmation": {"type": "redirect", "return_url": req.return_url},
            "save_payment_method": req.save_payment_method,
        });
        let payment = NewPayment {
            key: &req.idempotency_key,
            amount: req.amount,
            description: &req.description,
            reference: req.reference,
        };
        self.pay(payment, how).await
    }

    async fn get_payment(&self, id: &str) -> Result<ProviderPayment, ProviderError> {
        to_provider(&self.payment(id).await?)
    }

    async fn raw_payment(&self, id: &str) -> Result<Value, ProviderError> {
        check_id(id)?;
        self.call(Method::GET, &format!("/payments/{id}"), None, None)
            .await
    }

    async fn charge_saved(&self, req: &ChargeSaved) -> Result<ProviderPayment, ProviderError> {
        if req.now - req.first_tried_at >= KEY_TRUSTED_FOR {
            // The key may be forgotten: a charge it made must be found, not repeated.
            let since = req.first_tried_at - chrono::TimeDelta::minutes(5);
            if let Some(found) = self.find_by_reference(req.reference, since).await? {
                return to_provider(&self.captured(found).await?);
            }
        }
        let payment = NewPayment {
            key: &req.idempotency_key,
            amount: req.amount,
            description: &req.description,
            reference: req.reference,
        };
        // No confirmation: the saved card is charged without the customer.
        self.pay(
            payment,
            json!({"payment_method_id": req.payment_method_token}),
        )
        .await
    }

    async fn refund(&self, req: &RefundRequest) -> Result<ProviderRefund, ProviderError> {
        let body = json!({
            "payment_id": req.provider_payment_id,
            "amount": Amount::of(req.amount),
        });
        let r: wire::Refund = self
            .call(
                Method::POST,
                "/refunds",
                Some(&req.idempotency_key),
                Some(&body),
            )
            .await?;
        to_refund(&r)
    }

    /// A one-stage payment cannot be canceled through the API while it is pending (the
    /// customer may be on the page): YooKassa cancels it itself when its confirmation
    /// expires. So this returns the payment as it is; one that succeeds later is
    /// settled as superseded and refunded.
    async fn cancel_payment(&self, id: &str) -> Result<ProviderPayment, ProviderError> {
        let p = self.payment(id).await?;
        if p.status == "waiting_for_capture" {
            let canceled: wire::Payment = self
                .call(
                    Method::POST,
                    &format!("/payments/{id}/cancel"),
                    Some(&format!("cancel-{id}")),
                    Some(&json!({})),
                )
                .await?;
            return to_provider(&canceled);
        }
        to_provider(&p)
    }

    async fn receive_webhook(
        &self,
        req: &WebhookRequest<'_>,
        now: DateTime<Utc>,
    ) -> Result<WebhookEvent, ProviderError> {
        self.allowed(req)?;
        let note = read_notification(req.body)?;
        // What gets settled is the object as the API states it now, so the event is
        // named by that state: YooKassa's repeats of a notification dedupe on it, and
        // one that arrived before the API agreed (or a forged one) cannot use up the
        // name of the real change.
        match note.event.as_str() {
            "payment.succeeded" | "payment.canceled" | "payment.waiting_for_capture" => {
                let read = self.payment(&note.object.id).await?;
                let read = self.captured(read).await?;
                Ok(WebhookEvent::Payment {
                    event_id: format!("payment:{}:{}", read.id, read.status),
                    occurred_at: now,
                    payment: to_provider(&read)?,
                })
            }
            "refund.succeeded" => {
                check_id(&note.object.id)?;
                let r: wire::Refund = self
                    .call(
                        Method::GET,
                        &format!("/refunds/{}", note.object.id),
                        None,
                        None,
                    )
                    .await?;
                Ok(WebhookEvent::Refund {
                    event_id: format!("refund:{}:{}", r.id, r.status),
                    occurred_at: now,
                    provider_payment_id: r.payment_id.clone(),
                    refund: to_refund(&r)?,
                })
            }
            other => Err(ProviderError::MalformedWebhook(format!(
                "unsupported event {other:?}"
            ))),
        }
    }
}
