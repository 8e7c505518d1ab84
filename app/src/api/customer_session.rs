use leptos::prelude::*;
use uuid::Uuid;

use crate::dto::CustomerDto;
use crate::error::AppError;

/// Where a customer goes after signing in: a page of this site, never the console or
/// another site.
pub fn safe_customer_next(next: Option<&str>) -> String {
    match next.and_then(super::local_path::local_path) {
        Some(n) if !n.starts_with("/admin") && !n.starts_with("/sign-in") => n.to_string(),
        _ => "/".to_string(),
    }
}

/// The signed-in customer, or `None`.
#[server(prefix = "/rpc", endpoint = "current_customer")]
pub async fn current_customer() -> Result<Option<CustomerDto>, AppError> {
    use crate::ssr::auth::{request_context, session_customer};

    let (state, session) = request_context().await.map_err(super::respond_err)?;
    session_customer(&state, &session)
        .await
        .map_err(super::respond_err)
}

/// Ends the customer's sign-in (a staff sign-in in the same browser stays).
#[server(prefix = "/rpc", endpoint = "customer_sign_out")]
pub async fn customer_sign_out() -> Result<(), AppError> {
    use crate::ssr::auth::{CUSTOMER_SESSION_KEY, request_context};

    let (_, session) = request_context().await.map_err(super::respond_err)?;
    if let Err(e) = session.remove::<Uuid>(CUSTOMER_SESSION_KEY).await {
        tracing::error!(error = %e, "ending the customer session");
        return Err(super::respond_err(AppError::Internal));
    }
    leptos_axum::redirect("/");
    Ok(())
}

/// Demo customers to sign in as; empty unless the development JWT secret is in use.
/// Whether the auth service's sign-in page is configured (`/auth/sign-in` leads there).
#[server(prefix = "/rpc", endpoint = "auth_sign_in_available")]
pub async fn auth_sign_in_available() -> Result<bool, AppError> {
    use crate::ssr::auth::request_context;
    let (state, _) = request_context().await.map_err(super::respond_err)?;
    Ok(state.auth_sign_in_url.is_some())
}

#[server(prefix = "/rpc", endpoint = "demo_customers")]
pub async fn demo_customers() -> Result<Vec<CustomerDto>, AppError> {
    use crate::ssr::{AppState, services::customers};

    let state = expect_context::<AppState>();
    if !state.demo_sign_in {
        return Ok(Vec::new());
    }
    customers::demo_customers(&state.db, 6)
        .await
        .map_err(super::respond_err)
}

/// Signs in as a demo customer, the way the auth service would: a token is minted with
/// the development secret and goes through the same verification as a real one. Refused
/// (404) unless the development secret is in use.
#[server(prefix = "/rpc", endpoint = "demo_sign_in")]
pub async fn demo_sign_in(customer_id: Uuid, next: Option<String>) -> Result<(), AppError> {
    use crate::ssr::auth::{request_context, start_customer_session};
    use crate::ssr::customer_token::CustomerClaims;
    use crate::ssr::{ServiceError, services::customers};

    let (state, session) = request_context().await.map_err(super::respond_err)?;
    if !state.demo_sign_in {
        return Err(super::respond_err(ServiceError::NotFound {
            entity: "demo sign-in",
        }));
    }
    // Only the seeded demo customers: demo sign-in must not become a way into any
    // real customer's account by their id.
    let customer = customers::find(&state.db, customer_id)
        .await
        .map_err(super::respond_err)?
        .filter(|c| c.email.as_deref().is_some_and(customers::is_demo_email))
        .ok_or_else(|| super::respond_err(ServiceError::NotFound { entity: "customer" }))?;
    let now = state.clock.now();
    // Token lifetimes are wall-clock time, whatever the billing clock says.
    let wall = chrono::Utc::now();
    let token = state.customer_tokens.issue(&CustomerClaims {
        id: customer.id,
        email: customer.email,
        name: customer.name,
        expires_at: wall + chrono::TimeDelta::hours(1),
    });
    let claims = state.customer_tokens.verify(&token, wall).map_err(|e| {
        tracing::error!(error = %e, "a freshly minted demo token did not verify");
        super::respond_err(AppError::Internal)
    })?;
    let customer = customers::upsert_from_claims(&state.db, &claims, now)
        .await
        .map_err(super::respond_err)?;
    if let Err(e) = start_customer_session(&session, customer.id).await {
        tracing::error!(error = %e, "starting the customer session");
        return Err(super::respond_err(AppError::Internal));
    }
    leptos_axum::redirect(&safe_customer_next(next.as_deref()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::safe_customer_next;

    #[test]
    fn next_stays_on_the_customer_pages() {
        assert_eq!(safe_customer_next(Some("/account")), "/account");
        assert_eq!(safe_customer_next(Some("//evil.example")), "/");
        assert_eq!(safe_customer_next(Some("https://evil.example")), "/");
        assert_eq!(safe_customer_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_customer_next(Some("/\t/evil.example")), "/");
        assert_eq!(safe_customer_next(Some("/admin/tariffs")), "/");
        assert_eq!(safe_customer_next(None), "/");
    }
}
