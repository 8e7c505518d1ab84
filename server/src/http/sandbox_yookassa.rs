//! The sandbox's YooKassa personality: `/sandbox/yookassa/v3`, a local copy of YooKassa's
//! API v3 (HTTP Basic `shop_id:secret_key`, `Idempotence-Key`, its JSON objects, statuses
//! and error objects) over the sandbox's payments, hosted page and test cards. It accepts
//! exactly the shop configured for YooKassa (`KINOBILL__YOOKASSA__SHOP_ID` /
//! `__SECRET_KEY`) and refuses other credentials as YooKassa does.

use std::sync::Arc;

use app::domain::{Currency, Money};
use app::ssr::providers::sandbox::{Sandbox, yookassa_copy};
use app::ssr::providers::{
    ChargeSaved, CreatePayment, PaymentProvider, ProviderError, RefundRequest,
};
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
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
        .route("/payments", post(create_payment))
        .route("/payments/{id}", get(get_payment))
        .route("/payments/{id}/capture", post(capture))
        .route("/payments/{id}/cancel", post(cancel))
        .route("/refunds", post(create_refund))
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
    let created = if let Some(method) = body["payment_method_id"].as_str() {
        p.sandbox
            .charge_saved(&ChargeSaved {
                idempotency_key: sandbox_key,
                customer_id: Uuid::nil(),
                amount,
                description,
                payment_method_token: method.to_string(),
                reference: metadata.to_string(),
            })
            .await
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
            .create_payment(&CreatePayment {
                idempotency_key: sandbox_key,
                customer_id: Uuid::nil(),
                amount,
                description,
                return_url: return_url.to_string(),
                save_payment_method: body["save_payment_method"].as_bool().unwrap_or(false),
                reference: metadata.to_string(),
            })
            .await
    };
    match created {
        Ok(pp) => render(&p, &pp.id).await,
        // A saved card the sandbox does not know: YooKassa's answer for a bad method id.
        Err(ProviderError::Rejected { message, .. }) => Err(invalid(message, "payment_method_id")),
        Err(e) => Err(e.into()),
    }
}

async fn get_payment(State(p): Shared, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    authorized(&p, &headers)?;
    render(&p, &id).await
}

/// Payments are one-stage here: capturing returns the payment as it is.
async fn capture(State(p): Shared, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    authorized(&p, &headers)?;
    idempotence_key(&headers)?;
    render(&p, &id).await
}

async fn cancel(State(p): Shared, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    authorized(&p, &headers)?;
    idempotence_key(&headers)?;
    match p.sandbox.payment_row(&id).await? {
        // As at YooKassa: only a payment waiting for capture can be canceled, and
        // one-stage payments never wait.
        Some(row) if yookassa_copy::is_personality(&row) => Err(YkError {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_request",
            description: format!("Payment in status {} can't be canceled", row.status),
            parameter: None,
        }),
        _ => Err(not_found()),
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
