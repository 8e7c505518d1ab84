//! Customer credentials: the auth service's JWTs (HS256 with a shared secret, per
//! API.md). Hand-rolled on `hmac` + `sha2` because the rule is small and strict: exactly
//! one algorithm is accepted, so `alg: none` / RS256-confusion attacks cannot apply.

use std::fmt;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

/// Clock skew tolerated between the auth service and us.
const LEEWAY: TimeDelta = TimeDelta::seconds(30);

/// The customer a valid token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerClaims {
    pub id: Uuid,
    pub email: Option<String>,
    pub name: Option<String>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is not a JWT")]
    Malformed,
    #[error("only HS256 tokens are accepted")]
    Algorithm,
    #[error("the token's signature is wrong")]
    Signature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token's claims are incomplete: {0}")]
    Claims(&'static str),
}

#[derive(Deserialize)]
struct Header {
    alg: String,
}

#[derive(Serialize, Deserialize)]
struct Claims {
    sub: String,
    exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nbf: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

/// Verifies (and, for the demo sign-in and tests, issues) customer tokens.
#[derive(Clone)]
pub struct CustomerTokens {
    secret: Arc<[u8]>,
}

impl fmt::Debug for CustomerTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CustomerTokens(***)")
    }
}

fn mac(secret: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this never fails.
    <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes any key length")
}

impl CustomerTokens {
    pub fn new(secret: &str) -> Self {
        CustomerTokens {
            secret: Arc::from(secret.as_bytes()),
        }
    }

    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<CustomerClaims, TokenError> {
        let token = token.trim();
        let mut parts = token.split('.');
        let (Some(header_b64), Some(payload_b64), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header: Header = decode_json(header_b64)?;
        if header.alg != "HS256" {
            return Err(TokenError::Algorithm);
        }
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        let signing_input = &token[..header_b64.len() + 1 + payload_b64.len()];
        let mut mac = mac(&self.secret);
        mac.update(signing_input.as_bytes());
        // `verify_slice` compares in constant time.
        mac.verify_slice(&signature)
            .map_err(|_| TokenError::Signature)?;

        let claims: Claims = decode_json(payload_b64)?;
        let expires_at =
            DateTime::from_timestamp(claims.exp, 0).ok_or(TokenError::Claims("exp"))?;
        if now >= expires_at + LEEWAY {
            return Err(TokenError::Expired);
        }
        if let Some(nbf) = claims.nbf {
            let not_before = DateTime::from_timestamp(nbf, 0).ok_or(TokenError::Claims("nbf"))?;
            if now + LEEWAY < not_before {
                return Err(TokenError::NotYetValid);
            }
        }
        let id = Uuid::parse_str(&claims.sub).map_err(|_| TokenError::Claims("sub"))?;
        Ok(CustomerClaims {
            id,
            email: claims
                .email
                .map(|e| e.trim().to_ascii_lowercase())
                .filter(|e| e.contains('@') && e.len() <= 254),
            name: claims
                .name
                .map(|n| n.trim().chars().take(200).collect::<String>())
                .filter(|n| !n.is_empty()),
            expires_at,
        })
    }

    /// Issues a token the way the auth service does. Used by the demo sign-in (only with
    /// the development secret) and by tests.
    pub fn issue(&self, claims: &CustomerClaims) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let body = Claims {
            sub: claims.id.to_string(),
            exp: claims.expires_at.timestamp(),
            nbf: None,
            email: claims.email.clone(),
            name: claims.name.clone(),
        };
        let payload =
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec()));
        let signing_input = format!("{header}.{payload}");
        let mut mac = mac(&self.secret);
        mac.update(signing_input.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{signing_input}.{signature}")
    }
}

fn decode_json<T: serde::de::DeserializeOwned>(part: &str) -> Result<T, TokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    fn claims(exp: DateTime<Utc>) -> CustomerClaims {
        CustomerClaims {
            id: Uuid::from_u128(7),
            email: Some("ann@example.com".into()),
            name: Some("Ann".into()),
            expires_at: exp,
        }
    }

    #[test]
    fn issued_tokens_verify() {
        let tokens = CustomerTokens::new("s3cret-s3cret-s3cret-s3cret-s3cret");
        let c = claims(now() + TimeDelta::hours(1));
        let token = tokens.issue(&c);
        assert_eq!(tokens.verify(&token, now()), Ok(c));
    }

    #[test]
    fn another_secret_is_refused() {
        let token = CustomerTokens::new("one-secret-one-secret")
            .issue(&claims(now() + TimeDelta::hours(1)));
        let other = CustomerTokens::new("another-secret-another");
        assert_eq!(other.verify(&token, now()), Err(TokenError::Signature));
    }

    #[test]
    fn expired_and_tampered_tokens_are_refused() {
        let tokens = CustomerTokens::new("k");
        let expired = tokens.issue(&claims(now() - TimeDelta::minutes(5)));
        assert_eq!(tokens.verify(&expired, now()), Err(TokenError::Expired));

        let good = tokens.issue(&claims(now() + TimeDelta::hours(1)));
        let mut parts: Vec<&str> = good.split('.').collect();
        let forged = URL_SAFE_NO_PAD
            .encode(br#"{"sub":"00000000-0000-0000-0000-000000000008","exp":1900000000}"#);
        parts[1] = &forged;
        assert_eq!(
            tokens.verify(&parts.join("."), now()),
            Err(TokenError::Signature)
        );
    }

    #[test]
    fn alg_none_and_garbage_are_refused() {
        let tokens = CustomerTokens::new("k");
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
        let payload = URL_SAFE_NO_PAD
            .encode(br#"{"sub":"00000000-0000-0000-0000-000000000007","exp":1900000000}"#);
        assert_eq!(
            tokens.verify(&format!("{header}.{payload}."), now()),
            Err(TokenError::Algorithm)
        );
        assert_eq!(tokens.verify("abc", now()), Err(TokenError::Malformed));
        assert_eq!(tokens.verify("a.b.c.d", now()), Err(TokenError::Malformed));
    }

    #[test]
    fn sub_must_be_a_uuid() {
        let tokens = CustomerTokens::new("k");
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#);
        let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"ann","exp":1900000000}"#);
        let input = format!("{header}.{payload}");
        let mut m = mac(b"k");
        m.update(input.as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(m.finalize().into_bytes());
        assert_eq!(
            tokens.verify(&format!("{input}.{sig}"), now()),
            Err(TokenError::Claims("sub"))
        );
    }
}
