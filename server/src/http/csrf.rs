//! Cross-site request forgery: a browser sends our session cookie with any site's form
//! or script request, so a request that changes state on the strength of that cookie
//! must come from a page of this site. Browsers say where a request comes from
//! (`Origin`, `Sec-Fetch-Site`), and no page can forge those headers; a request with
//! neither is not a browser's (an API client with a bearer token, a provider's webhook)
//! and carries no ambient cookie worth forging.
//!
//! `/auth/callback` is exempt: the auth service's page posts it from its own site, and
//! the token it carries is the proof.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// The site's own origin as configured (`KINOBILL__SERVER__PUBLIC_URL`).
#[derive(Clone)]
pub struct PublicOrigin(pub String);

/// Whether a request that arrived with these headers may change state: it comes from
/// a page of this site (its `Origin` is ours or names the host it was sent to), or it
/// is not a browser's cross-site request at all.
pub fn same_site(headers: &HeaderMap, public_origin: &str) -> bool {
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    match origin {
        Some(origin) => {
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
            let origin_host = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            origin.trim_end_matches('/') == public_origin.trim_end_matches('/')
                || (origin_host.is_some() && origin_host == host)
        }
        // No Origin: only a browser that says the request is its own site's (or typed
        // by the user) is let through; cross-site and same-site (a sibling subdomain)
        // are not.
        None => matches!(fetch_site, None | Some("same-origin") | Some("none")),
    }
}

/// The middleware: cookie-carrying requests that change state must be same-site.
pub async fn refuse_cross_site(
    State(origin): State<PublicOrigin>,
    req: Request,
    next: Next,
) -> Response {
    let unsafe_method = !matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    let with_cookie = req.headers().contains_key(header::COOKIE);
    let exempt = req.uri().path() == "/auth/callback";
    if unsafe_method && with_cookie && !exempt && !same_site(req.headers(), &origin.0) {
        tracing::warn!(path = %req.uri().path(), "cross-site request refused");
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_site_request",
            "This request came from another site and was refused.",
        )
        .into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn only_this_sites_pages_may_post_with_its_cookie() {
        let public = "https://kino.example";
        assert!(same_site(
            &headers(&[("origin", "https://kino.example")]),
            public
        ));
        assert!(same_site(
            &headers(&[
                ("origin", "http://127.0.0.1:3000"),
                ("host", "127.0.0.1:3000")
            ]),
            public
        ));
        assert!(!same_site(
            &headers(&[("origin", "https://evil.example"), ("host", "kino.example")]),
            public
        ));
        assert!(!same_site(&headers(&[("origin", "null")]), public));
        assert!(!same_site(
            &headers(&[("sec-fetch-site", "cross-site")]),
            public
        ));
        assert!(!same_site(
            &headers(&[("sec-fetch-site", "same-site")]),
            public
        ));
        assert!(same_site(
            &headers(&[("sec-fetch-site", "same-origin")]),
            public
        ));
        assert!(same_site(&headers(&[]), public), "not a browser");
    }
}
