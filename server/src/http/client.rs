//! Identifies the client of every request once ([`ClientInfo`]) for the rate limiter,
//! the sign-in throttle and the cookies. Behind our own TLS-terminating proxies
//! (`KINOBILL__SERVER__TRUSTED_PROXIES`) the address is the one they forwarded and the
//! scheme the one they name in `X-Forwarded-Proto`; from anyone else both headers are
//! ignored, since a client could write them itself.

use std::net::SocketAddr;
use std::sync::Arc;

use app::ssr::client::ClientInfo;
use app::ssr::providers::net::{Cidr, forwarded_client};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

#[derive(Debug, Clone)]
pub struct ClientPolicy {
    pub trusted_proxies: Arc<Vec<Cidr>>,
    /// The public URL is `https://`: cookies are always `Secure`.
    pub always_secure: bool,
}

pub async fn identify(
    State(policy): State<ClientPolicy>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let info = {
        let trusted = peer.is_some_and(|ip| policy.trusted_proxies.iter().any(|c| c.contains(ip)));
        let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
        let addr =
            peer.map(|ip| forwarded_client(ip, header("x-forwarded-for"), &policy.trusted_proxies));
        // The proxy nearest to us appended the last value.
        let forwarded_https = trusted
            && header("x-forwarded-proto")
                .and_then(|v| v.rsplit(',').next())
                .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
        ClientInfo {
            addr,
            https: forwarded_https,
        }
    };
    req.extensions_mut().insert(info);
    let mut res = next.run(req).await;
    if policy.always_secure || info.https {
        mark_cookies_secure(res.headers_mut());
    }
    res
}

/// Adds `Secure` to every cookie the response sets that lacks it: a browser that came
/// over TLS must never send them back over plain HTTP.
fn mark_cookies_secure(headers: &mut axum::http::HeaderMap) {
    let cookies: Vec<HeaderValue> = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .cloned()
        .collect();
    if cookies.is_empty() {
        return;
    }
    headers.remove(header::SET_COOKIE);
    for cookie in cookies {
        let secured = match cookie.to_str() {
            Ok(text) if !has_secure(text) => {
                HeaderValue::from_str(&format!("{text}; Secure")).unwrap_or(cookie)
            }
            _ => cookie,
        };
        headers.append(header::SET_COOKIE, secured);
    }
}

fn has_secure(cookie: &str) -> bool {
    cookie
        .split(';')
        .skip(1)
        .any(|attr| attr.trim().eq_ignore_ascii_case("secure"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secure_is_added_once() {
        let mut headers = axum::http::HeaderMap::new();
        headers.append(
            header::SET_COOKIE,
            HeaderValue::from_static("a=1; Path=/; HttpOnly"),
        );
        headers.append(
            header::SET_COOKIE,
            HeaderValue::from_static("b=2; Secure; Path=/"),
        );
        mark_cookies_secure(&mut headers);
        let all: Vec<_> = headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        assert_eq!(
            all,
            ["a=1; Path=/; HttpOnly; Secure", "b=2; Secure; Path=/"]
        );
        // A cookie whose *value* says "secure" is not mistaken for the attribute.
        assert!(!has_secure("secure=1; Path=/"));
    }
}
