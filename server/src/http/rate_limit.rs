//! Requests per client address on the public and customer endpoints (`/api` except
//! webhooks and the console's, `/rpc`, `/auth/callback`): a token bucket per address,
//! refilled at `per_second` up to `burst`. Over it: 429 with `Retry-After`. In memory,
//! per process: a limit against floods and scripted guessing, not an accounting. Behind
//! our own proxies (`KINOBILL__SERVER__TRUSTED_PROXIES`) the address is the one they
//! forwarded, never one a client wrote into `X-Forwarded-For` itself.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::ssr::client::ClientInfo;

use super::error::ApiError;

/// Buckets kept before full ones (idle addresses) are dropped.
const SWEEP_AT: usize = 10_000;

#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    /// `None` when `per_second` is zero (no limit).
    pub fn new(per_second: u32, burst: u32) -> Option<Arc<RateLimiter>> {
        (per_second > 0).then(|| {
            Arc::new(RateLimiter {
                per_second: f64::from(per_second),
                burst: f64::from(burst.max(1)),
                buckets: Mutex::new(HashMap::new()),
            })
        })
    }

    /// Takes one request's token for `key`, or says in how many whole seconds one
    /// will be there.
    pub fn take(&self, key: IpAddr, now: Instant) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= SWEEP_AT {
            let (rate, burst) = (self.per_second, self.burst);
            buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * rate < burst);
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let refilled = (bucket.tokens
            + now.duration_since(bucket.at).as_secs_f64() * self.per_second)
            .min(self.burst);
        bucket.at = now;
        if refilled >= 1.0 {
            bucket.tokens = refilled - 1.0;
            Ok(())
        } else {
            bucket.tokens = refilled;
            Err(((1.0 - refilled) / self.per_second).ceil().max(1.0) as u64)
        }
    }
}

/// Whether `path` is limited: what customers and the public call, not providers'
/// webhooks (they retry on their own schedule) nor the signed-in staff's API.
fn limited(path: &str) -> bool {
    let api = path.starts_with("/api/")
        && !path.starts_with("/api/v1/webhooks/")
        && !path.starts_with("/api/v1/admin/");
    api || path.starts_with("/rpc/") || path == "/auth/callback"
}

pub async fn limit(State(limiter): State<Arc<RateLimiter>>, req: Request, next: Next) -> Response {
    // Identified once by `client::identify` (trusted proxies honoured there).
    let peer = req.extensions().get::<ClientInfo>().and_then(|c| c.addr);
    if let (Some(peer), true) = (peer, limited(req.uri().path()))
        && let Err(wait) = limiter.take(peer, Instant::now())
    {
        let mut res = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("Too many requests from this address; try again in {wait} s."),
        )
        .into_response();
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        return res;
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_then_the_rate() {
        let l = RateLimiter::new(2, 3).unwrap();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(l.take(ip, t0), Ok(()));
        }
        assert_eq!(l.take(ip, t0), Err(1));
        // Half a second at 2/s refills one.
        assert_eq!(l.take(ip, t0 + Duration::from_millis(500)), Ok(()));
        assert!(l.take(ip, t0 + Duration::from_millis(500)).is_err());
        // Another address has its own bucket.
        assert_eq!(l.take("192.0.2.2".parse().unwrap(), t0), Ok(()));
        assert!(RateLimiter::new(0, 10).is_none(), "zero turns it off");
    }

    #[test]
    fn only_public_and_customer_paths_are_limited() {
        assert!(limited("/api/v1/checkout"));
        assert!(limited("/rpc/demo_sign_in"));
        assert!(limited("/auth/callback"));
        assert!(!limited("/api/v1/webhooks/yookassa"));
        assert!(!limited("/api/v1/admin/payments"));
        assert!(!limited("/healthz"));
        assert!(!limited("/pkg/kinobill.wasm"));
    }
}
