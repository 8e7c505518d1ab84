//! HTTP relays: the notification service and the auth service. Both get the outbox id as
//! `Idempotency-Key`, so a delivery repeated after a lost answer changes nothing there.

use std::time::Duration;

use entity::outbox;
use serde_json::{Value, json};

use super::{Delivery, DeliveryError, Relay, customer_of};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_default()
}

/// 2xx delivered; 409 means the receiver already has this idempotency key; 408, 429 and
/// 5xx are worth a retry; any other 4xx is the receiver refusing the message for good.
fn outcome(result: Result<reqwest::Response, reqwest::Error>) -> Delivery {
    match result {
        Ok(res) if res.status().is_success() || res.status().as_u16() == 409 => Ok(()),
        Ok(res) => {
            let status = res.status();
            let msg = format!("HTTP {status}");
            if status.is_server_error() || matches!(status.as_u16(), 408 | 429) {
                Err(DeliveryError::Retry(msg))
            } else {
                Err(DeliveryError::Permanent(msg))
            }
        }
        Err(e) if e.is_timeout() => Err(DeliveryError::Retry("timed out".into())),
        Err(e) => Err(DeliveryError::Retry(format!("request failed: {e}"))),
    }
}

async fn post(client: &reqwest::Client, url: &str, id: &str, body: &Value) -> Delivery {
    outcome(
        client
            .post(url)
            .header("Idempotency-Key", id)
            .json(body)
            .send()
            .await,
    )
}

/// `POST {base}/v1/notifications` with `{id, kind, user_id, data, idempotency_key}`.
#[derive(Debug)]
pub struct NotifyHttp {
    client: reqwest::Client,
    url: String,
}

impl NotifyHttp {
    pub fn new(base_url: &str) -> NotifyHttp {
        NotifyHttp {
            client: client(),
            url: format!("{}/v1/notifications", base_url.trim_end_matches('/')),
        }
    }
}

#[async_trait::async_trait]
impl Relay for NotifyHttp {
    fn describe(&self) -> &'static str {
        "http"
    }

    async fn deliver(&self, batch: &[outbox::Model]) -> Vec<Delivery> {
        let mut out = Vec::with_capacity(batch.len());
        for row in batch {
            let id = row.id.to_string();
            let body = json!({
                "id": id,
                "kind": row.kind,
                "user_id": customer_of(&row.payload),
                "data": row.payload,
                "idempotency_key": id,
            });
            out.push(post(&self.client, &self.url, &id, &body).await);
        }
        out
    }
}

/// `POST {base}/v1/roles/grant` `{user_id, role, valid_until}` and
/// `POST {base}/v1/roles/revoke` `{user_id, role}`.
#[derive(Debug)]
pub struct AuthHttp {
    client: reqwest::Client,
    base: String,
}

impl AuthHttp {
    pub fn new(base_url: &str) -> AuthHttp {
        AuthHttp {
            client: client(),
            base: base_url.trim_end_matches('/').to_string(),
        }
    }
}

#[async_trait::async_trait]
impl Relay for AuthHttp {
    fn describe(&self) -> &'static str {
        "http"
    }

    async fn deliver(&self, batch: &[outbox::Model]) -> Vec<Delivery> {
        let mut out = Vec::with_capacity(batch.len());
        for row in batch {
            let id = row.id.to_string();
            let field = |k: &str| row.payload.get(k).cloned().unwrap_or(Value::Null);
            let (path, body) = match row.kind.as_str() {
                "role.grant" => (
                    "grant",
                    json!({"user_id": field("user_id"), "role": field("role"), "valid_until": field("valid_until")}),
                ),
                "role.revoke" => (
                    "revoke",
                    json!({"user_id": field("user_id"), "role": field("role")}),
                ),
                other => {
                    out.push(Err(DeliveryError::Permanent(format!(
                        "unknown auth message kind {other}"
                    ))));
                    continue;
                }
            };
            let url = format!("{}/v1/roles/{path}", self.base);
            out.push(post(&self.client, &url, &id, &body).await);
        }
        out
    }
}
