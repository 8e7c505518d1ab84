//! Who is on the other end of the request, as far as we can vouch for it: set by the
//! server's outermost middleware from the TCP peer and, behind our own proxies only,
//! their `X-Forwarded-For` / `X-Forwarded-Proto`.

use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientInfo {
    /// The client's address (`None` when the server was not given the peer).
    pub addr: Option<IpAddr>,
    /// The browser reached us over TLS (directly or through a trusted proxy).
    pub https: bool,
}

/// The current request's client, inside a server function.
pub fn current() -> Option<ClientInfo> {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<ClientInfo>().copied())
}
