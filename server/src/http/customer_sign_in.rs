//! The customer's way in. `GET /auth/sign-in` sends the browser to the auth service's
//! sign-in page with a fresh `state`, remembered in a short-lived cookie; the auth
//! service posts its JWT back to `POST /auth/callback` with that `state` (a form field,
//! never a query string, so the token cannot end up in access logs or `Referer`
//! headers). We verify both, create the customer on first sight and start a session.
//!
//! The `state` is what stops login CSRF: a page elsewhere could post *its own* valid
//! token here and sign the victim into the attacker's account, but it cannot know the
//! state in the victim's cookie. A browser does not send our (SameSite=Lax) cookie on
//! the auth service's cross-site post, so that first post gets a tiny page that posts
//! the same fields again from our own origin, and the cookie comes with it.

use app::api::customer_session::safe_customer_next;
use app::ssr::AppState;
use app::ssr::auth::{constant_time_eq, random_hex, start_customer_session};
use app::ssr::services::customers;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

const STATE_COOKIE: &str = "kinobill_auth_state";
/// How long a sign-in may take at the auth service.
const STATE_MAX_AGE_SECS: u32 = 600;

#[derive(Deserialize)]
pub struct SignInQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct CallbackForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    state: String,
    next: Option<String>,
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn state_cookie(value: &str, max_age: u32) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{STATE_COOKIE}={value}; Path=/auth; HttpOnly; SameSite=Lax; Max-Age={max_age}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("kinobill_auth_state=; Path=/auth; Max-Age=0"))
}

fn cookie_state(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == STATE_COOKIE && !value.is_empty()).then(|| value.to_string())
        })
}

/// Starts a sign-in at the auth service.
pub async fn start(State(state): State<AppState>, Query(q): Query<SignInQuery>) -> Response {
    let Some(sign_in_url) = state.auth_sign_in_url.as_deref() else {
        return Redirect::to("/sign-in?error=unavailable").into_response();
    };
    let nonce = random_hex(24);
    let next = safe_customer_next(q.next.as_deref());
    let return_to = format!(
        "{}/auth/callback",
        state.billing.public_url.trim_end_matches('/')
    );
    let separator = if sign_in_url.contains('?') { '&' } else { '?' };
    let target = format!(
        "{sign_in_url}{separator}return_to={}&state={nonce}&next={}",
        encode(&return_to),
        encode(&next)
    );
    let mut res = Redirect::to(&target).into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, state_cookie(&nonce, STATE_MAX_AGE_SECS));
    res
}

/// The auth service's cross-site post arrives without our cookie: post the same fields
/// again from this origin. The script runs under the page's own nonce; without
/// JavaScript the button does the same.
fn relay(form: &CallbackForm) -> Response {
    let nonce = random_hex(16);
    let field = |name: &str, value: &str| {
        format!(
            r#"<input type="hidden" name="{name}" value="{}">"#,
            html_escape(value)
        )
    };
    let body = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signing in · Kinobill</title></head>
<body><form id="relay" method="post" action="/auth/callback">{}{}{}
<p>Finishing your sign-in… <button type="submit">Continue</button></p></form>
<script nonce="{nonce}">document.getElementById("relay").submit();</script></body></html>"#,
        field("token", &form.token),
        field("state", &form.state),
        field("next", form.next.as_deref().unwrap_or("/")),
    );
    let mut res = Html(body).into_response();
    let csp = format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn refuse(reason: &str) -> Response {
    let mut res = Redirect::to(&format!("/sign-in?error={reason}")).into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, state_cookie("", 0));
    res
}

pub async fn callback(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<CallbackForm>,
) -> Response {
    let expected = cookie_state(&headers);
    let from_elsewhere = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v != "same-origin");
    match expected {
        None if from_elsewhere && !form.state.is_empty() => return relay(&form),
        Some(expected) if constant_time_eq(expected.as_bytes(), form.state.as_bytes()) => {}
        _ => {
            tracing::info!("customer sign-in refused: state missing or not this browser's");
            return refuse("invalid_state");
        }
    }

    let now = state.clock.now();
    // Token lifetimes are wall-clock time, whatever the billing clock says.
    let claims = match state
        .customer_tokens
        .verify(&form.token, chrono::Utc::now())
    {
        Ok(claims) => claims,
        Err(e) => {
            tracing::info!(reason = %e, "customer sign-in token refused");
            return refuse("invalid_token");
        }
    };
    let signed_in = async {
        let customer = customers::upsert_from_claims(&state.db, &claims, now).await?;
        start_customer_session(&session, customer.id).await?;
        anyhow::Ok(())
    };
    match signed_in.await {
        Ok(()) => {
            let mut res = Redirect::to(&safe_customer_next(form.next.as_deref())).into_response();
            // The state is used up: the same post cannot sign anyone in again.
            res.headers_mut()
                .append(header::SET_COOKIE, state_cookie("", 0));
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "customer sign-in failed");
            refuse("unavailable")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_cookie_is_read_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; kinobill_auth_state=abc; b=2"),
        );
        assert_eq!(cookie_state(&headers).as_deref(), Some("abc"));
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("kinobill_auth_state="),
        );
        assert_eq!(cookie_state(&headers), None);
    }

    #[test]
    fn relay_fields_are_escaped() {
        assert_eq!(html_escape(r#""><script>"#), "&quot;&gt;&lt;script&gt;");
    }
}
