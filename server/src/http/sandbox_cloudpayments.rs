//! The sandbox's CloudPayments personality: `/sandbox/cloudpayments`, a local copy of
//! CloudPayments' API (HTTP Basic `public_id:api_secret`, `X-Request-ID`, answers
//! `{"Success", "Message", "Model"}` with its transaction and order models) over the
//! sandbox's payments, hosted page and test cards. The hosted page asks the merchant
//! (Check) before taking a card and the sandbox notifies Pay, Fail and Refund signed
//! with `Content-HMAC`, as CloudPayments does. It accepts exactly the site configured
//! for CloudPayments (`KINOBILL__CLOUDPAYMENTS__PUBLIC_ID` / `__API_SECRET`).

use std::sync::Arc;

use app::domain::{Currency, Money};
use app::ssr::providers::sandbox::cloudpayments_copy::{self as copy, Merchant};
use app::ssr::providers::sandbox::{NewPayment, Sandbox};
use app::ssr::providers::{PaymentProvider, ProviderError, RefundRequest};
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use entity::sandbox_payments;
use serde_json::{Value, json};
use uuid::Uuid;

/// The site this personality answers for.
#[derive(Clone)]
pub struct Personality {
    pub sandbox: Arc<Sandbox>,
    pub public_id: String,
    pub api_secret: String,
}

pub fn router(personality: Personality) -> Router {
    Router::new()
        .route("/test", post(test))
        .route("/orders/create", post(create_order))
        .route("/orders/cancel", post(cancel_order))
        .route("/payments/find", post(find))
        .route("/payments/get", post(get))
        .route("/payments/tokens/charge", post(charge_token))
        .route("/payments/refund", post(refund))
        .route("/payments/void", post(void))
        .with_state(Arc::new(personality))
}

type Shared = State<Arc<Personality>>;

/// A refusal before the request is read: wrong credentials (401, no body, as
/// CloudPayments answers them) or the sandbox's injected outage (500).
#[derive(Debug)]
enum Refusal {
    Unauthorized,
    Unavailable,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Unauthorized => StatusCode::UNAUTHORIZED.into_response(),
            Refusal::Unavailable => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        }
    }
}

impl From<ProviderError> for Refusal {
    fn from(_: ProviderError) -> Self {
        Refusal::Unavailable
    }
}

type Answer = Result<Json<Value>, Refusal>;

/// `Success: true` with its model.
fn done(model: Value) -> Answer {
    Ok(Json(
        json!({"Success": true, "Message": null, "Model": model}),
    ))
}

/// `Success: false` with only a message: the request itself was refused.
fn refused(message: &str) -> Answer {
    Ok(Json(json!({"Success": false, "Message": message})))
}

/// `Success: false` with the transaction: a declined payment.
fn declined(model: Value) -> Answer {
    Ok(Json(
        json!({"Success": false, "Message": null, "Model": model}),
    ))
}

/// HTTP Basic with the configured site, then the sandbox's injected faults.
async fn admitted(p: &Personality, headers: &HeaderMap) -> Result<(), Refusal> {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", p.public_id, p.api_secret))
    );
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if given != expected {
        return Err(Refusal::Unauthorized);
    }
    p.sandbox.before_call().await?;
    Ok(())
}

/// The sandbox key of this request: its `X-Request-ID` (CloudPayments' idempotency),
/// or a fresh one when the client sent none.
fn request_key(p: &Personality, headers: &HeaderMap) -> String {
    let id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| Uuid::new_v4().to_string());
    copy::key(&p.public_id, &id)
}

/// The request's fields: JSON, as the clients send them (an empty body is no fields).
fn fields(body: &[u8]) -> Result<Value, &'static str> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(v) if v.is_object() => Ok(v),
        _ => Err("Request body is not a JSON object"),
    }
}

/// A text field (CloudPayments takes ids as strings or numbers).
fn text(v: &Value, field: &str) -> Option<String> {
    match v.get(field)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `Amount` (a number, or a number in a string) in `Currency` (default RUB).
fn amount(v: &Value) -> Result<Money, &'static str> {
    let currency: Currency = match text(v, "Currency") {
        None => Currency::Rub,
        Some(c) => c.parse().map_err(|_| "Currency is not supported")?,
    };
    let value = text(v, "Amount").ok_or("Amount is required")?;
    let money = Money::parse(&value, currency, "Amount").map_err(|_| "Amount is invalid")?;
    if money.minor() <= 0 {
        return Err("Amount must be greater than 0");
    }
    Ok(money)
}

/// The fields of a request that moves money, with its amount.
fn fields_with_amount(body: &[u8]) -> Result<(Value, Money), &'static str> {
    let v = fields(body)?;
    let amount = amount(&v)?;
    Ok((v, amount))
}

fn merchant(v: &Value) -> Merchant {
    Merchant {
        invoice_id: text(v, "InvoiceId"),
        account_id: text(v, "AccountId"),
        email: text(v, "Email"),
        json_data: v.get("JsonData").filter(|d| !d.is_null()).map(|d| match d {
            // Sent as a JSON string by some clients: kept as the object it holds.
            Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| d.clone()),
            other => other.clone(),
        }),
        fail_redirect_url: text(v, "FailRedirectUrl"),
    }
}

/// A payment of this personality by its transaction id (or order id).
async fn payment_of(p: &Personality, id: &str) -> Result<Option<sandbox_payments::Model>, Refusal> {
    let id = match id.parse::<i64>() {
        Ok(n) => copy::sandbox_id(n),
        Err(_) => id.to_string(),
    };
    Ok(p.sandbox
        .payment_row(&id)
        .await?
        .filter(copy::is_personality))
}

/// A transaction as CloudPayments answers it: done when it completed, declined (with
/// its reason code) otherwise.
async fn transaction_answer(p: &Personality, row: &sandbox_payments::Model) -> Answer {
    let card = p.sandbox.card_number(row.card_token.as_deref()).await?;
    let model = copy::transaction(row, &p.public_id, card.as_deref());
    if row.status == "succeeded" {
        done(model)
    } else {
        declined(model)
    }
}

async fn test(State(p): Shared, headers: HeaderMap) -> Answer {
    admitted(&p, &headers).await?;
    let id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| Uuid::new_v4().to_string());
    Ok(Json(json!({"Success": true, "Message": id})))
}

async fn create_order(State(p): Shared, headers: HeaderMap, body: axum::body::Bytes) -> Answer {
    admitted(&p, &headers).await?;
    let (v, amount) = match fields_with_amount(&body) {
        Ok(parsed) => parsed,
        Err(m) => return refused(m),
    };
    let Some(description) = text(&v, "Description") else {
        return refused("Description is required");
    };
    let m = merchant(&v);
    let metadata = serde_json::to_string(&m).unwrap_or_default();
    let key = request_key(&p, &headers);
    let return_url =
        text(&v, "SuccessRedirectUrl").unwrap_or_else(|| format!("{}/", p.sandbox.base_url()));
    let row = p
        .sandbox
        .open(&NewPayment {
            key: &key,
            amount,
            description: &description,
            return_url: &return_url,
            // CloudPayments returns a token with every paid transaction.
            save_card: true,
            metadata: &metadata,
            merchant_ref: m.invoice_id.as_deref(),
        })
        .await?;
    p.sandbox.stall_after_create().await;
    done(copy::order(&row, p.sandbox.base_url()))
}

async fn cancel_order(State(p): Shared, headers: HeaderMap, body: axum::body::Bytes) -> Answer {
    admitted(&p, &headers).await?;
    let v = fields(&body).unwrap_or_default();
    let Some(id) = text(&v, "Id") else {
        return refused("Id is required");
    };
    let Some(row) = payment_of(&p, &id).await? else {
        return refused("Order not found");
    };
    if row.status == "pending" {
        p.sandbox.cancel_payment(&row.id).await?;
    }
    Ok(Json(json!({"Success": true, "Message": null})))
}

async fn find(State(p): Shared, headers: HeaderMap, body: axum::body::Bytes) -> Answer {
    admitted(&p, &headers).await?;
    let v = fields(&body).unwrap_or_default();
    let Some(invoice) = text(&v, "InvoiceId") else {
        return refused("InvoiceId is required");
    };
    match p.sandbox.find_by_merchant_ref(&invoice).await? {
        Some(row) if copy::is_personality(&row) => transaction_answer(&p, &row).await,
        _ => refused("Not found"),
    }
}

async fn get(State(p): Shared, headers: HeaderMap, body: axum::body::Bytes) -> Answer {
    admitted(&p, &headers).await?;
    let v = fields(&body).unwrap_or_default();
    let Some(id) = text(&v, "TransactionId") else {
        return refused("TransactionId is required");
    };
    match payment_of(&p, &id).await? {
        Some(row) if copy::has_transaction(&row) => transaction_answer(&p, &row).await,
        _ => refused("Not found"),
    }
}

async fn charge_token(State(p): Shared, headers: HeaderMap, body: axum::body::Bytes) -> Answer {
    admitted(&p, &headers).await?;
    let (v, amount) = match fields_with_amount(&body) {
        Ok(parsed) => parsed,
        Err(m) => return refused(m),
    };
    let (Some(token), Some(account)) = (text(&v, "Token"), text(&v, "AccountId")) else {
        return refused("Token and AccountId are required");
    };
    let m = merchant(&v);
    let metadata = serde_json::to_string(&m).unwrap_or_default();
    let key = request_key(&p, &headers);
    let description = text(&v, "Description").unwrap_or_default();
    let charged = p
        .sandbox
        .charge_token(
            &NewPayment {
                key: &key,
                amount,
                description: &description,
                return_url: "",
                save_card: false,
                metadata: &metadata,
                merchant_ref: m.invoice_id.as_deref(),
            },
            &token,
            Some(&account),
        )
        .await;
    match charged {
        Ok(row) => {
            // The saved card's token goes on; CloudPayments repeats it in the answer.
            let mut row = row;
            row.card_token.get_or_insert(token);
            transaction_answer(&p, &row).await
        }
        Err(ProviderError::Rejected { .. }) => refused("Token not found"),
        Err(e) => Err(e.into()),
    }
}

async fn refund(State(p): Shared, headers: HeaderMap, body: axum::body::Bytes) -> Answer {
    admitted(&p, &headers).await?;
    let v = fields(&body).unwrap_or_default();
    let Some(id) = text(&v, "TransactionId") else {
        return refused("TransactionId is required");
    };
    let amount = match amount(&v) {
        Ok(a) => a,
        Err(m) => return refused(m),
    };
    let Some(row) = payment_of(&p, &id).await? else {
        return refused("Transaction not found");
    };
    let made = p
        .sandbox
        .refund(&RefundRequest {
            idempotency_key: request_key(&p, &headers),
            provider_payment_id: row.id,
            amount,
        })
        .await;
    match made {
        Ok(r) => done(json!({"TransactionId": copy::transaction_id(&r.id)})),
        Err(ProviderError::Rejected { .. }) => {
            refused("Refund is not possible: the amount exceeds what remains of the payment")
        }
        Err(e) => Err(e.into()),
    }
}

/// Only a two-stage payment waiting for confirmation can be voided; every payment here
/// is one-stage, as Kinobill makes them.
async fn void(State(p): Shared, headers: HeaderMap, body: axum::body::Bytes) -> Answer {
    admitted(&p, &headers).await?;
    let v = fields(&body).unwrap_or_default();
    let Some(id) = text(&v, "TransactionId") else {
        return refused("TransactionId is required");
    };
    match payment_of(&p, &id).await? {
        Some(row) if copy::has_transaction(&row) => {
            refused("Transaction is not authorized: only two-stage payments can be voided")
        }
        _ => refused("Not found"),
    }
}
