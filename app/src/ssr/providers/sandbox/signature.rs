//! Webhook signatures of the sandbox: `Sandbox-Signature: t=<unix seconds>,v1=<hex>`
//! where `v1 = HMAC-SHA256(secret, "<t>.<raw body>")` (the scheme Stripe uses). The
//! timestamp is signed too, so an old delivery cannot be replayed after `TOLERANCE`.

use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::ssr::auth::constant_time_eq;

pub const HEADER: &str = "sandbox-signature";
const TOLERANCE: TimeDelta = TimeDelta::minutes(5);

fn mac(secret: &[u8]) -> Hmac<Sha256> {
    <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes any key length")
}

pub fn sign(secret: &[u8], body: &[u8], at: DateTime<Utc>) -> String {
    let t = at.timestamp();
    let mut m = mac(secret);
    m.update(t.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    format!("t={t},v1={}", hex::encode(m.finalize().into_bytes()))
}

/// The longest header read: a timestamp and a few signatures (several while a secret
/// is being rolled). Anything longer is refused unread.
pub const MAX_HEADER_LEN: usize = 512;

/// How many `v1` signatures are compared at most.
const MAX_SIGNATURES: usize = 4;

/// True when `header` signs `body` with `secret` and is recent enough. The header is
/// parsed once and the MAC computed once, whatever the header holds: one request costs
/// one HMAC of its body, never one per candidate.
pub fn verify(secret: &[u8], header: &str, body: &[u8], now: DateTime<Utc>) -> bool {
    if header.len() > MAX_HEADER_LEN {
        return false;
    }
    let mut t = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) if v1.len() < MAX_SIGNATURES => {
                if let Ok(bytes) = hex::decode(value) {
                    v1.push(bytes);
                }
            }
            _ => {}
        }
    }
    let Some(t) = t else { return false };
    let Some(signed_at) = DateTime::from_timestamp(t, 0) else {
        return false;
    };
    if (now - signed_at).abs() > TOLERANCE {
        return false;
    }
    let mut m = mac(secret);
    m.update(t.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    let expected = m.finalize().into_bytes();
    v1.iter()
        .any(|candidate| constant_time_eq(&expected, candidate))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_body_secret_and_time() {
        let now = Utc::now();
        let header = sign(b"secret", b"{\"a\":1}", now);
        assert!(verify(b"secret", &header, b"{\"a\":1}", now));
        assert!(!verify(b"secret", &header, b"{\"a\":2}", now));
        assert!(!verify(b"other", &header, b"{\"a\":1}", now));
        assert!(!verify(
            b"secret",
            &header,
            b"{\"a\":1}",
            now + TimeDelta::minutes(6)
        ));
        assert!(!verify(b"secret", "t=abc,v1=00", b"{}", now));
        assert!(!verify(b"secret", "", b"{}", now));
    }

    #[test]
    fn a_header_stuffed_with_candidates_is_refused_unread() {
        let now = Utc::now();
        let good = sign(b"secret", b"{}", now);
        // The right signature after 100,000 wrong ones: refused for its length.
        let stuffed = format!("{},{}", "v1=00".repeat(100_000), good);
        assert!(!verify(b"secret", &stuffed, b"{}", now));
        // Within the limits, the right one among a few wrong ones still counts.
        let (t, v1) = good.split_once(',').unwrap();
        let rolled = format!("{t},v1={},{v1}", "ab".repeat(32));
        assert!(verify(b"secret", &rolled, b"{}", now));
        // Only the first four signatures are compared.
        let late = format!("{t},{},{v1}", ["v1=00"; 4].join(","));
        assert!(!verify(b"secret", &late, b"{}", now));
    }
}
