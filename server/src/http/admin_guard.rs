//! Sends people without a staff session from console pages to the sign-in page.
//! Convenience only: every admin server function checks the role itself.

use app::ssr::AppState;
use app::ssr::auth::session_staff;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

fn is_console_page(path: &str) -> bool {
    (path == "/admin" || path.starts_with("/admin/")) && !is_setup_page(path)
}

/// An invited member's password setup: reached with the link's token, before any session.
fn is_setup_page(path: &str) -> bool {
    path == "/admin/setup-password"
}

fn is_login_page(path: &str) -> bool {
    path == "/admin/login"
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub async fn require_staff_session(
    State(state): State<AppState>,
    session: Session,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    let is_page_view = matches!(*req.method(), Method::GET | Method::HEAD);
    if !is_page_view || !is_console_page(&path) {
        return next.run(req).await;
    }
    let staff = match session_staff(&state, &session).await {
        Ok(staff) => staff,
        Err(e) => {
            e.log_if_internal();
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "The console is temporarily unavailable.",
            )
                .into_response();
        }
    };
    match (staff, is_login_page(&path)) {
        (Some(_), true) => Redirect::to("/admin").into_response(),
        (Some(_), false) | (None, true) => next.run(req).await,
        (None, false) => {
            let target = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/admin");
            Redirect::to(&format!("/admin/login?next={}", encode(target))).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_console_pages_but_not_the_login_or_lookalikes() {
        assert!(is_console_page("/admin"));
        assert!(is_console_page("/admin/tariffs"));
        assert!(!is_console_page("/administrator"));
        assert!(is_login_page("/admin/login"));
        assert!(!is_console_page("/admin/setup-password"));
        assert_eq!(encode("/admin/tariffs?q=a b"), "/admin/tariffs%3Fq%3Da%20b");
    }
}
