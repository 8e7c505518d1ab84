//! HTTP relays: the notification service and the auth service. Both get the outbox id as
//! `Idempotency-Key`, so a delivery repeated after a lost answer changes nothing there.

use std::collections::HashMap;
use std::time::Duration;

use entity::outbox;
use serde_json::{Value, json};
use uuid::Uuid;

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
        // Without the URL: a base URL may carry credentials, and this text lands in the
        // log, the outbox row and the admin's Outbox page.
        Err(e) => Err(DeliveryError::Retry(format!(
            "request failed: {}",
            e.without_url()
        ))),
    }
}

/// Customers whose messages one relay sends at once: a batch of 100 must not take 100
/// round trips one after the other.
const IN_FLIGHT: usize = 8;

/// One message of a batch: the customer it is about (messages of one customer keep
/// their order), and where it goes and what is sent (`Err`: refused before sending).
type Request = (Option<Uuid>, Result<(String, String, Value), DeliveryError>);

/// Posts every request with its outbox id as `Idempotency-Key`: one customer's messages
/// one after another in outbox order, up to [`IN_FLIGHT`] customers at once. The
/// answers come back in the order of the requests.
async fn post_all(client: &reqwest::Client, requests: Vec<Request>) -> Vec<Delivery> {
    let mut out: Vec<Option<Delivery>> = Vec::with_capacity(requests.len());
    let mut groups: Vec<Vec<(usize, String, String, Value)>> = Vec::new();
    let mut group_of: HashMap<Uuid, usize> = HashMap::new();
    for (i, (customer, request)) in requests.into_iter().enumerate() {
        match request {
            Err(e) => out.push(Some(Err(e))),
            Ok((url, id, body)) => {
                out.push(None);
                // A message about no customer is a group of its own.
                let key = customer.unwrap_or_else(Uuid::new_v4);
                let g = *group_of.entry(key).or_insert_with(|| {
                    groups.push(Vec::new());
                    groups.len() - 1
                });
                groups[g].push((i, url, id, body));
            }
        }
    }
    let mut running = tokio::task::JoinSet::new();
    let mut record = |joined: Option<Result<Vec<(usize, Delivery)>, tokio::task::JoinError>>| {
        for (i, r) in joined.and_then(Result::ok).unwrap_or_default() {
            out[i] = Some(r);
        }
    };
    for group in groups {
        if running.len() >= IN_FLIGHT {
            record(running.join_next().await);
        }
        let client = client.clone();
        running.spawn(async move {
            let mut answers = Vec::with_capacity(group.len());
            for (i, url, id, body) in group {
                let sent = client
                    .post(url)
                    .header("Idempotency-Key", id)
                    .json(&body)
                    .send()
                    .await;
                answers.push((i, outcome(sent)));
            }
            answers
        });
    }
    while !running.is_empty() {
        record(running.join_next().await);
    }
    out.into_iter()
        .map(|r| r.unwrap_or_else(|| Err(DeliveryError::Retry("delivery task failed".into()))))
        .collect()
}

/// `POST {base}/v1/notifications` with `{id, kind, user_id, data, idempotency_key}`.
pub struct NotifyHttp {
    client: reqwest::Client,
    url: String,
}

// Without the URL: it may carry credentials.
impl std::fmt::Debug for NotifyHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NotifyHttp")
    }
}

impl std::fmt::Debug for AuthHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthHttp")
    }
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
        let requests = batch
            .iter()
            .map(|row| {
                let id = row.id.to_string();
                let customer = customer_of(&row.payload);
                let body = json!({
                    "id": id,
                    "kind": row.kind,
                    "user_id": customer,
                    "data": row.payload,
                    "idempotency_key": id,
                });
                (customer, Ok((self.url.clone(), id, body)))
            })
            .collect();
        post_all(&self.client, requests).await
    }
}

/// `POST {base}/v1/roles/grant` `{user_id, role, valid_until}` and
/// `POST {base}/v1/roles/revoke` `{user_id, role}`.
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
        let requests = batch
            .iter()
            .map(|row| {
                let customer = customer_of(&row.payload);
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
                        let refused = format!("unknown auth message kind {other}");
                        return (customer, Err(DeliveryError::Permanent(refused)));
                    }
                };
                let url = format!("{}/v1/roles/{path}", self.base);
                (customer, Ok((url, row.id.to_string(), body)))
            })
            .collect();
        post_all(&self.client, requests).await
    }
}
