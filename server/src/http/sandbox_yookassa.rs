//! The sandbox's YooKassa personality: `/sandbox/yookassa/v3`, a local copy of YooKassa's
//! API v3 (HTTP Basic `shop_id:secret_key`, `Idempotence-Key`, its JSON objects, statuses
//! and error objects) over the sandbox's payments, hosted page and test cards. It accepts
//! exactly the shop configured for YooKassa (`KINOBILL__YOOKASSA__SHOP_ID` /
//! `__SECRET_KEY`) and refuses other credentials as YooKassa does.

use std::sync::Arc;

use app::domain::{Currency, Money};
use app::ssr::providers::sandbox::{NewPayment, Sandbox, yookassa_copy};
use app::ssr::providers::{PaymentProvider, ProviderError, RefundRequest};
use axum::Json;
use axum::Router;
use std::collections::HashMap;

use app::ssr::providers::sandbox::CreatedRange;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

/// The shop this personality answers for.
#[derive(Clone)]
pub struct Personality {
    pub sandbox: Arc<Sandbox>,
    pub shop_id: String,
    pub secret_key: String,
}

pub fn router(personality: Personality) -> Router {
    Router::new()
        .route("/payments", post(create_payment).get(list_payments))
        .route("/payments/{id}", get(get_payment))
        .route("/payments/{id}/capture", post(capture))
        .route("/payments/{id}/cancel", post(cancel))
        .route("/refunds", post(create_refund).get(list_refunds))
        .route("/refunds/{id}", get(get_refund))
        .with_state(Arc::new(personality))
}

type Shared = State<Arc<Personality>>;

/// YooKassa's error object with its HTTP status: every refusal of this API is one.
#[derive(Debug)]
struct YkError {
    status: StatusCode,
    code: &'static str,
    description: String,
    parameter: Option<String>,
}

impl IntoResponse for YkError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "type": "error",
            "id": Uuid::new_v4(),
            "code": self.code,
            "description": self.description,
        });
        if let Some(p) = self.parameter {
            body["parameter"] = json!(p);
        }
        (self.status, Json(body)).into_response()
    }
}

type Answer = Result<Response, YkError>;

fn invalid(description: impl Into<String>, parameter: impl Into<String>) -> YkError {
    YkError {
        status: StatusCode::BAD_REQUEST,
        code: "invalid_request",
        description: description.into(),
        parameter: Some(parameter.into()),
    }
}

fn not_found() -> YkError {
    YkError {
        status: StatusCode::NOT_FOUND,
        code: "not_found",
        description: "Object doesn't exist or access denied".into(),
        parameter: None,
    }
}

impl From<ProviderError> for YkError {
    fn from(e: ProviderError) -> Self {
        match e {
            ProviderError::NotFound => not_found(),
            ProviderError::Rejected { code, message } => invalid(message, code),
            // The sandbox's injected faults and its storage: YooKassa's "result unknown".
            _ => YkError {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                code: "internal_server_error",
                description: "Internal server error".into(),
                parameter: None,
            },
        }
    }
}

/// HTTP Basic with the configured shop, as YooKassa checks it.
fn authorized(p: &Personality, headers: &HeaderMap) -> Result<(), YkError> {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", p.shop_id, p.secret_key))
    );
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if given == expected {
        Ok(())
    } else {
        Err(YkError {
            status: StatusCode::UNAUTHORIZED,
            code: "invalid_credentials",
            description: "Authentication by given credentials failed".into(),
            parameter: None,
        })
    }
}

/// Every POST needs an `Idempotence-Key` (at most 64 characters).
fn idempotence_key(headers: &HeaderMap) -> Result<String, YkError> {
    let key = headers
        .get("idempotence-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or_default();
    if key.is_empty() || key.len() > 64 {
        return Err(invalid(
            "Idempotence key must be present and at most 64 characters long",
            "Idempotence-Key",
        ));
    }
    Ok(key.to_string())
}

/// `{"value": "499.00", "currency": "RUB"}`, as YooKassa validates it.
fn amount(v: &Value, parameter: &str) -> Result<Money, YkError> {
    let currency: Currency = v["currency"]
        .as_str()
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| invalid("Currency is not supported", format!("{parameter}.currency")))?;
    let value = v["value"].as_str().ok_or_else(|| {
        invalid(
            "Amount value must be a string",
            format!("{parameter}.value"),
        )
    })?;
    let money = Money::parse(value, currency, "amount")
        .map_err(|_| invalid("Invalid amount value", format!("{parameter}.value")))?;
    if money.minor() <= 0 {
        return Err(invalid(
            "Amount must be greater than zero",
            format!("{parameter}.value"),
        ));
    }
    Ok(money)
}

fn body_json(bytes: &[u8]) -> Result<Value, YkError> {
    serde_json::from_slice(bytes).map_err(|_| invalid("Request body is not valid JSON", "body"))
}

async fn render(p: &Personality, id: &str) -> Answer {
    match p.sandbox.payment_row(id).await? {
        Some(row) if yookassa_copy::is_personality(&row) => {
            Ok(Json(yookassa_copy::payment(&row, p.sandbox.base_url())).into_response())
        }
        _ => Err(not_found()),
    }
}

async fn create_payment(State(p): Shared, headers: HeaderMap, body: axum::body::Bytes) -> Answer {
    authorized(&p, &headers)?;
    let key = idempotence_key(&headers)?;
    let body = body_json(&body)?;
    let amount = amount(&body["amount"], "amount")?;
    let description = body["description"].as_str().unwrap_or_default().to_string();
    if description.chars().count() > 128 {
        return Err(invalid(
            "Description is too long (128 characters at most)",
            "description",
        ));
    }
    let metadata = body.get("metadata").cloned().unwrap_or_else(|| json!({}));
    if !metadata.is_object() {
        return Err(invalid("Metadata must be an object", "metadata"));
    }
    let sandbox_key = yookassa_copy::key(&p.shop_id, &key);
    let metadata = metadata.to_string();
    p.sandbox.before_call().await?;
    let created = if let Some(method) = body["payment_method_id"].as_str() {
        let new = NewPayment {
            key: &sandbox_key,
            amount,
            description: &description,
            return_url: "",
            save_card: false,
            metadata: &metadata,
            merchant_ref: None,
        };
        p.sandbox.charge_token(&new, method, None).await
    } else {
        let confirmation = &body["confirmation"];
        if confirmation["type"] != "redirect" {
            return Err(invalid(
                "Only the redirect confirmation is supported",
                "confirmation.type",
            ));
        }
        let Some(return_url) = confirmation["return_url"].as_str() else {
            return Err(invalid(
                "Return URL is required for the redirect",
                "confirmation.return_url",
            ));
        };
        p.sandbox
            .open(&NewPayment {
                key: &sandbox_key,
                amount,
                description: &description,
                return_url,
                save_card: body["save_payment_method"].as_bool().unwrap_or(false),
                metadata: &metadata,
                merchant_ref: None,
            })
            .await
    };
    if created.is_ok() {
        p.sandbox.stall_after_create().await;
    }
    match created {
        Ok(row) => Ok(Json(yookassa_copy::payment(&row, p.sandbox.base_url())).into_response()),
        // A saved card the sandbox does not know: YooKassa's answer for a bad method id.
        Err(ProviderError::Rejected { message, .. }) => Err(invalid(message, "payment_method_id")),
        Err(e) => Err(e.into()),
    }
}

async fn get_payment(State(p): Shared, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    authorized(&p, &headers)?;
    render(&p, &id).await
}

/// As at YooKassa: only a payment waiting for capture can be captured or canceled, and
/// the payments made here are one-stage (`capture: true`), so none ever waits.
async fn not_waiting(p: &Personality, id: &str, action: &str) -> Answer {
    match p.sandbox.payment_row(id).await? {
        Some(row) if yookassa_copy::is_personality(&row) => {
            let status = yookassa_copy::payment(&row, p.sandbox.base_url())["status"].clone();
            Err(YkError {
                status: StatusCode::BAD_REQUEST,
                code: "invalid_request",
                description: format!(
                    "Payment in status {} can't be {action}",
                    status.as_str().unwrap_or_default()
                ),
                parameter: None,
            })
        }
        _ => Err(not_found()),
    }
}

async fn capture(State(p): Shared, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    authorized(&p, &headers)?;
    idempotence_key(&headers)?;
    not_waiting(&p, &id, "captured").await
}

async fn cancel(State(p): Shared, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    authorized(&p, &headers)?;
    idempotence_key(&headers)?;
    not_waiting(&p, &id, "canceled").await
}

/// `limit` (1 to 100, default 10) and the opaque `cursor` of a list request.
fn page_of(q: &HashMap<String, String>) -> Result<(u64, Option<Cursor>), YkError> {
    let limit = match q.get("limit") {
        None => 10,
        Some(l) => match l.parse::<u64>() {
            Ok(n @ 1..=100) => n,
            _ => return Err(invalid("Limit must be between 1 and 100", "limit")),
        },
    };
    let cursor = match q.get("cursor") {
        None => None,
        Some(c) => Some(Cursor::decode(c).ok_or_else(|| invalid("Invalid cursor", "cursor"))?),
    };
    Ok((limit, cursor))
}

fn list(items: Vec<Value>, next: Option<Cursor>) -> Response {
    let mut body = json!({"type": "list", "items": items});
    if let Some(c) = next {
        body["next_cursor"] = json!(c.encode());
    }
    Json(body).into_response()
}

/// `GET /payments`: this shop's payments, newest first, by `status` and `created_at`.
async fn list_payments(
    State(p): Shared,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    authorized(&p, &headers)?;
    let (limit, cursor) = page_of(&q)?;
    let statuses: &[&str] = match q.get("status").map(String::as_str) {
        None => &[],
        Some("pending") => &["pending"],
        Some("succeeded") => &["succeeded"],
        Some("canceled") => &["failed", "canceled"],
        Some("waiting_for_capture") => &["waiting_for_capture"],
        Some(_) => return Err(invalid("Unknown payment status", "status")),
    };
    let mut range = CreatedRange::default();
    for (name, bound) in [
        ("created_at.gte", &mut range.gte),
        ("created_at.gt", &mut range.gt),
        ("created_at.lte", &mut range.lte),
        ("created_at.lt", &mut range.lt),
    ] {
        if let Some(v) = q.get(name) {
            *bound = Some(
                DateTime::parse_from_rfc3339(v)
                    .map_err(|_| invalid("Date must be in ISO 8601 format", name))?
                    .with_timezone(&Utc),
            );
        }
    }
    let rows = p
        .sandbox
        .list_payments(
            &yookassa_copy::key(&p.shop_id, ""),
            statuses,
            &range,
            cursor.as_ref().map(|c| (c.at, c.id.as_str())),
            limit + 1,
        )
        .await?;
    let next = (rows.len() as u64 > limit).then(|| Cursor::after(&rows[limit as usize - 1]));
    let items = rows
        .iter()
        .take(limit as usize)
        .map(|r| yookassa_copy::payment(r, p.sandbox.base_url()))
        .collect();
    Ok(list(items, next))
}

/// `GET /refunds`: this shop's refunds, newest first, by `payment_id`.
async fn list_refunds(
    State(p): Shared,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    authorized(&p, &headers)?;
    let (limit, cursor) = page_of(&q)?;
    let rows = p
        .sandbox
        .list_refunds(
            &yookassa_copy::key(&p.shop_id, ""),
            q.get("payment_id").map(String::as_str),
            cursor.as_ref().map(|c| (c.at, c.id.as_str())),
            limit + 1,
        )
        .await?;
    let next = (rows.len() as u64 > limit).then(|| {
        let last = &rows[limit as usize - 1].0;
        Cursor {
            at: last.created_at,
            id: last.id.clone(),
        }
    });
    let items = rows
        .iter()
        .take(limit as usize)
        .map(|(r, currency)| yookassa_copy::refund(r, currency))
        .collect();
    Ok(list(items, next))
}

/// Where a list page ends: the last row's creation time and id (keyset, newest first),
/// handed out as an opaque string.
struct Cursor {
    at: DateTime<Utc>,
    id: String,
}

impl Cursor {
    fn after(row: &entity::sandbox_payments::Model) -> Cursor {
        Cursor {
            at: row.created_at,
            id: row.id.clone(),
        }
    }

    fn encode(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
            "{}|{}",
            self.at.timestamp_micros(),
            self.id
        ))
    }

    fn decode(text: &str) -> Option<Cursor> {
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .ok()?;
        let raw = String::from_utf8(raw).ok()?;
        let (micros, id) = raw.split_once('|')?;
        Some(Cursor {
            at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
            id: id.to_string(),
        })
    }
}

async fn create_refund(State(p): Shared, headers: HeaderMap, body: axum::body::Bytes) -> Answer {
    authorized(&p, &headers)?;
    let key = idempotence_key(&headers)?;
    let body = body_json(&body)?;
    let Some(payment_id) = body["payment_id"].as_str() else {
        return Err(invalid("Payment id is required", "payment_id"));
    };
    let amount = amount(&body["amount"], "amount")?;
    match p.sandbox.payment_row(payment_id).await? {
        Some(row) if yookassa_copy::is_personality(&row) => {}
        _ => return Err(invalid("Payment doesn't exist", "payment_id")),
    }
    let refunded = p
        .sandbox
        .refund(&RefundRequest {
            idempotency_key: yookassa_copy::key(&p.shop_id, &key),
            provider_payment_id: payment_id.to_string(),
            amount,
        })
        .await;
    match refunded {
        Ok(r) => refund_answer(&p, &r.id).await,
        Err(ProviderError::Rejected { message, .. }) => Err(invalid(message, "payment_id")),
        Err(e) => Err(e.into()),
    }
}

async fn refund_answer(p: &Personality, id: &str) -> Answer {
    let r = p.sandbox.refund_row(id).await?.ok_or_else(not_found)?;
    match p.sandbox.payment_row(&r.payment_id).await? {
        Some(row) if yookassa_copy::is_personality(&row) => {
            Ok(Json(yookassa_copy::refund(&r, &row.currency)).into_response())
        }
        _ => Err(not_found()),
    }
}

async fn get_refund(State(p): Shared, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    authorized(&p, &headers)?;
    refund_answer(&p, &id).await
}
