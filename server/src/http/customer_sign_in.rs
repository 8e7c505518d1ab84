//! The customer's way in: the auth service posts its JWT here (a form field, never a
//! query string, so the token cannot end up in access logs or `Referer` headers); we
//! verify it, create the customer on first sight and start a browser session.

use app::api::customer_session::safe_customer_next;
use app::ssr::AppState;
use app::ssr::auth::start_customer_session;
use app::ssr::services::customers;
use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

#[derive(Deserialize)]
pub struct CallbackForm {
    #[serde(default)]
    token: String,
    next: Option<String>,
}

pub async fn callback(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<CallbackForm>,
) -> Response {
    let now = state.clock.now();
    // Token lifetimes are wall-clock time, whatever the billing clock says.
    let claims = match state
        .customer_tokens
        .verify(&form.token, chrono::Utc::now())
    {
        Ok(claims) => claims,
        Err(e) => {
            tracing::info!(reason = %e, "customer sign-in token refused");
            return Redirect::to("/sign-in?error=invalid_token").into_response();
        }
    };
    let signed_in = async {
        let customer = customers::upsert_from_claims(&state.db, &claims, now).await?;
        start_customer_session(&session, customer.id).await?;
        anyhow::Ok(())
    };
    match signed_in.await {
        Ok(()) => Redirect::to(&safe_customer_next(form.next.as_deref())).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "customer sign-in failed");
            Redirect::to("/sign-in?error=unavailable").into_response()
        }
    }
}
