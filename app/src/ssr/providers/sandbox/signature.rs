//! Webhook signatures of the sandbox: `Sandbox-Signature: t=<unix seconds>,v1=<hex>`
//! where `v1 = HMAC-SHA256(secret, "<t>.<raw body>")` (the scheme Stripe uses). The
//! timestamp is signed too, so an old delivery cannot be replayed after `TOLERANCE`.

use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

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

/// True when `header` signs `body` with `secret` and is recent enough.
pub fn verify(secret: &[u8], header: &str, body: &[u8], now: DateTime<Utc>) -> bool {
    let mut t = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => {
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
    v1.iter().any(|candidate| {
        let mut m = mac(secret);
        m.update(t.to_string().as_bytes());
        m.update(b".");
        m.update(body);
        // Constant-time comparison.
        m.verify_slice(candidate).is_ok()
    })
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
}
