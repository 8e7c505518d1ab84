//! The sandbox's hosted payment page. It belongs to the "payment company", not to the
//! shop, so it is plain server-rendered HTML with its own look, no Leptos and no shop
//! session: exactly what a customer meets at a real provider.

use app::ssr::AppState;
use app::ssr::providers::sandbox::{HostedPayment, PayOutcome, Sandbox};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>{title} · Sandbox Pay</title><style>
body{{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#eef1f6;margin:0;color:#1c2230}}
.card{{max-width:420px;margin:48px auto;background:#fff;border-radius:14px;box-shadow:0 6px 24px rgba(20,30,60,.12);padding:28px}}
.brand{{font-weight:700;color:#3b5bdb;letter-spacing:.02em}} .badge{{background:#fff3bf;color:#7a5b00;border-radius:6px;padding:2px 8px;font-size:12px;margin-left:8px}}
h1{{font-size:20px;margin:18px 0 4px}} .amount{{font-size:32px;font-weight:700;margin:6px 0 18px}}
label{{display:block;font-weight:600;margin-bottom:6px}} input{{width:100%;box-sizing:border-box;font-size:18px;padding:12px;border:1px solid #b8c0d0;border-radius:8px;letter-spacing:.08em}}
input:focus{{outline:3px solid #a5b4fc;border-color:#3b5bdb}} .error{{color:#c92a2a;margin:8px 0 0}}
.actions{{display:flex;gap:12px;margin-top:18px}} button{{font-size:16px;padding:12px 18px;border-radius:8px;border:0;cursor:pointer}}
.pay{{background:#3b5bdb;color:#fff;flex:1}} .cancel{{background:#e9ecef;color:#1c2230}}
.hint{{font-size:13px;color:#5c667a;margin-top:18px;line-height:1.5}} code{{background:#f1f3f5;padding:1px 4px;border-radius:4px}}
</style></head><body><main class="card">{body}</main></body></html>"#
    )
}

fn payment_form(p: &HostedPayment, error: Option<&str>) -> String {
    let error_html = error
        .map(|e| {
            format!(
                r#"<p class="error" id="card-error" role="alert">{}</p>"#,
                escape(e)
            )
        })
        .unwrap_or_default();
    let described = if error.is_some() {
        r#" aria-describedby="card-error" aria-invalid="true""#
    } else {
        ""
    };
    let save = if p.save_card {
        "<p class=\"hint\">The shop asked to save this card for renewals.</p>"
    } else {
        ""
    };
    page(
        "Pay",
        &format!(
            r#"<div class="brand">Sandbox Pay<span class="badge">TEST MODE</span></div>
<h1>{desc}</h1><div class="amount" data-testid="amount">{amount}</div>
<form method="post" action="/sandbox/pay/{id}">
<label for="card_number">Card number</label>
<input id="card_number" name="card_number" inputmode="numeric" autocomplete="cc-number" placeholder="4242 4242 4242 4242" required autofocus{described}>
{error_html}
<div class="actions"><button class="pay" type="submit">Pay {amount}</button>
<button class="cancel" type="submit" name="action" value="cancel" formnovalidate>Cancel</button></div>
</form>{save}
<p class="hint">Test cards: <code>4242 4242 4242 4242</code> succeeds, <code>4000 0000 0000 0002</code> is declined,
<code>4000 0000 0000 9995</code> has insufficient funds, <code>4000 0000 0000 0341</code> succeeds without a webhook,
<code>4000 0000 0000 0259</code> sends duplicated, out-of-order webhooks.</p>"#,
            desc = escape(&p.description),
            amount = escape(&p.amount.display()),
            id = escape(&p.id),
        ),
    )
}

fn sandbox(state: &AppState) -> Option<&Sandbox> {
    state.sandbox.as_deref()
}

fn sandbox_off() -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(page("Not found", "<h1>The sandbox is not enabled.</h1>")),
    )
        .into_response()
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(page(
            "Not found",
            "<h1>No such payment</h1><p>Check the link from the shop.</p>",
        )),
    )
        .into_response()
}

fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Html(page(
            "Unavailable",
            "<h1>Sandbox Pay is unavailable</h1><p>Please try again in a moment.</p>",
        )),
    )
        .into_response()
}

pub async fn show(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Some(sandbox) = sandbox(&state) else {
        return sandbox_off();
    };
    match sandbox.hosted(&id).await {
        Ok(Some(p)) if p.status == "pending" => Html(payment_form(&p, None)).into_response(),
        Ok(Some(p)) => {
            // Already paid or closed: the form is gone, the way back stays.
            let headline = if p.failure_code.as_deref() == Some("expired") {
                "This payment page has expired".to_string()
            } else {
                format!("This payment is {}", escape(&p.status))
            };
            Html(page(
                "Done",
                &format!(
                    r#"<div class="brand">Sandbox Pay</div><h1>{headline}</h1><p><a href="{}">Back to the shop</a></p>"#,
                    escape(&p.return_url)
                ),
            ))
            .into_response()
        }
        Ok(None) => not_found(),
        Err(_) => unavailable(),
    }
}

#[derive(Deserialize)]
pub struct PayForm {
    #[serde(default)]
    card_number: String,
    action: Option<String>,
}

pub async fn submit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<PayForm>,
) -> Response {
    let Some(sandbox) = sandbox(&state) else {
        return sandbox_off();
    };
    let outcome = if form.action.as_deref() == Some("cancel") {
        sandbox.cancel(&id).await
    } else {
        sandbox.pay(&id, &form.card_number).await
    };
    match outcome {
        Ok(PayOutcome::Finished { return_url }) => {
            // Deliver right away rather than at the next tick of the loop.
            if let Some(sb) = state.sandbox.clone() {
                tokio::spawn(async move {
                    if let Err(e) = sb.deliver_due(20).await {
                        tracing::warn!(error = %e, "sandbox webhook delivery");
                    }
                });
            }
            Redirect::to(&return_url).into_response()
        }
        Ok(PayOutcome::InvalidCard(message)) => match sandbox.hosted(&id).await {
            Ok(Some(p)) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Html(payment_form(&p, Some(&message))),
            )
                .into_response(),
            _ => not_found(),
        },
        Ok(PayOutcome::NotFound) => not_found(),
        Err(_) => unavailable(),
    }
}

/// The sandbox's saved cards: what a real provider's test dashboard offers, so a tester
/// can make a saved card start failing before a renewal.
pub async fn cards(State(state): State<AppState>) -> Response {
    let Some(sandbox) = sandbox(&state) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let cards = match sandbox.saved_cards().await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "sandbox cards");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let rows: String = cards
        .iter()
        .map(|c| {
            let last4 = c.card_number.get(c.card_number.len().saturating_sub(4)..).unwrap_or("");
            format!(
                r#"<li class="saved"><form method="post" action="/sandbox/cards/{token}">
<p><strong>Card ···· {last4}</strong> <code>{token}</code></p>
<label for="n-{token}">Behave like test card</label>
<input id="n-{token}" name="card_number" value="{number}" inputmode="numeric">
<div class="actions"><button class="pay" type="submit">Save card behaviour</button></div></form></li>"#,
                token = escape(&c.token),
                last4 = escape(last4),
                number = escape(&c.card_number),
            )
        })
        .collect();
    let list = if rows.is_empty() {
        "<p>No saved cards yet: pay with “save the card” ticked first.</p>".to_string()
    } else {
        format!(r#"<ul style="list-style:none;padding:0">{rows}</ul>"#)
    };
    Html(page(
        "Saved cards",
        &format!(
            r#"<div class="brand">Sandbox Pay<span class="badge">TEST MODE</span></div>
<h1>Saved cards</h1>{list}
<p class="hint">Renewals charge the saved card. Enter <code>4000 0000 0000 0002</code> to make the next charge be declined.</p>"#
        ),
    ))
    .into_response()
}

#[derive(Deserialize)]
pub struct CardForm {
    card_number: String,
}

pub async fn set_card(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<CardForm>,
) -> Response {
    let Some(sandbox) = sandbox(&state) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match sandbox.set_card_number(&token, &form.card_number).await {
        Ok(true) => Redirect::to("/sandbox/cards").into_response(),
        Ok(false) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Html(page(
                "Saved cards",
                r#"<h1>Not changed</h1><p class="error" role="alert">Unknown card, or not a card number (12–19 digits).</p><p><a href="/sandbox/cards">Back to saved cards</a></p>"#,
            )),
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "sandbox set card");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
