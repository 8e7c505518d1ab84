//! The Content Security Policy of the pages the app renders. Every inline script Leptos
//! writes (hydration, streamed resources) carries the response's nonce, so scripts run
//! only from this origin or with that nonce: an injected `<script>` does not run.

use leptos::prelude::*;

/// The policy for a page whose inline scripts carry `nonce`. Styles allow inline
/// attributes (components set `style=`), images `data:` (the favicon), WebAssembly its
/// compilation; nothing may frame the console.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
         object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
    )
}

/// The policy for everything else (JSON, the sandbox's plain pages, files): no script
/// but this origin's, never framed.
pub const DEFAULT_POLICY: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

/// Sends the page's policy with this render's nonce (called while the shell renders,
/// before the response's headers go out).
pub fn send_page_policy() {
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    if let Ok(value) = axum::http::HeaderValue::from_str(&page_policy(&nonce)) {
        response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_policy_names_its_nonce_and_forbids_framing() {
        let p = page_policy("abc123");
        assert!(p.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval'"));
        assert!(p.contains("frame-ancestors 'none'"));
        let scripts = p
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .unwrap();
        assert!(
            !scripts.contains("unsafe-inline"),
            "inline scripts need the nonce"
        );
    }
}
