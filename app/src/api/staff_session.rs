use leptos::prelude::*;

use crate::dto::StaffDto;
use crate::error::AppError;

/// Where to go after signing in: only pages of the console, never another site.
pub fn safe_next(next: Option<&str>) -> String {
    match next.and_then(super::local_path::local_path) {
        Some(n)
            if (n == "/admin" || n.starts_with("/admin/"))
                && !n.starts_with("/admin/login")
                && !n.contains("//") =>
        {
            n.to_string()
        }
        _ => "/admin".to_string(),
    }
}

/// Signs a staff member in. The session id is renewed first, so an id planted before
/// sign-in (session fixation) is worthless afterwards.
#[server(prefix = "/rpc", endpoint = "staff_login")]
pub async fn staff_login(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::auth::{STAFF_SESSION_KEY, request_context};
    use crate::ssr::services::staff;

    let (state, session) = request_context().await.map_err(super::respond_err)?;
    let client = crate::ssr::client::current().and_then(|c| c.addr);
    match staff::login(&state.db, &state.clock, &email, &password, client).await {
        Ok(staff) => {
            let stored = async {
                session.cycle_id().await?;
                session.insert(STAFF_SESSION_KEY, staff.id).await
            };
            if let Err(e) = stored.await {
                tracing::error!(error = %e, "storing the staff session");
                return Err(super::respond_err(AppError::Internal));
            }
            leptos_axum::redirect(&safe_next(next.as_deref()));
            Ok(())
        }
        Err(e) => {
            let code = e.code();
            let err = super::respond_err(e);
            if super::is_plain_form_post() {
                // Without JavaScript the browser needs a page: back to the form, with the reason.
                leptos_axum::redirect(&format!("/admin/login?error={code}"));
            }
            Err(err)
        }
    }
}

#[server(prefix = "/rpc", endpoint = "staff_logout")]
pub async fn staff_logout() -> Result<(), AppError> {
    use crate::ssr::auth::request_context;

    let (_, session) = request_context().await.map_err(super::respond_err)?;
    // `flush` deletes the stored session and expires the cookie.
    if let Err(e) = session.flush().await {
        tracing::error!(error = %e, "ending the staff session");
        return Err(super::respond_err(AppError::Internal));
    }
    leptos_axum::redirect("/admin/login?signed_out=1");
    Ok(())
}

/// The signed-in staff member, or `None`.
#[server(prefix = "/rpc", endpoint = "current_staff")]
pub async fn current_staff() -> Result<Option<StaffDto>, AppError> {
    use crate::ssr::auth::{request_context, session_staff};

    let (state, session) = request_context().await.map_err(super::respond_err)?;
    session_staff(&state, &session)
        .await
        .map_err(super::respond_err)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_inside_the_console() {
        assert_eq!(
            safe_next(Some("/admin/tariffs?page=2")),
            "/admin/tariffs?page=2"
        );
        assert_eq!(safe_next(Some("https://evil.example")), "/admin");
        assert_eq!(safe_next(Some("//evil.example")), "/admin");
        assert_eq!(safe_next(Some("/admin//evil")), "/admin");
        assert_eq!(safe_next(Some("/admin/login")), "/admin");
        assert_eq!(safe_next(None), "/admin");
    }
}
