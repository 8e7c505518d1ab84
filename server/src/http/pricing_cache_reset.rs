//! Clears the quote cache after any staff write handled by this instance, so marketing
//! sees its own change in the next quote at once (other instances catch up within the
//! cache's TTL; see `app::ssr::pricing_cache`). One rule at the edge instead of a call in
//! every admin handler that could be forgotten.

use app::ssr::AppState;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

fn is_staff_write(method: &Method, path: &str) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
        && (path.starts_with("/api/v1/admin/") || path.starts_with("/rpc/admin_"))
}

pub async fn clear_after_staff_writes(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let write = is_staff_write(req.method(), req.uri().path());
    let response = next.run(req).await;
    if write {
        state.pricing_cache.clear();
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_staff_writes_clear_the_cache() {
        assert!(is_staff_write(&Method::PATCH, "/api/v1/admin/tariffs/1"));
        assert!(is_staff_write(&Method::POST, "/rpc/admin_set_promo_active"));
        assert!(!is_staff_write(&Method::GET, "/api/v1/admin/tariffs"));
        assert!(!is_staff_write(&Method::POST, "/api/v1/quotes"));
        assert!(!is_staff_write(&Method::POST, "/rpc/check_promo_code"));
    }
}
