//! The retry loop the HTTP adapters share. A provider that answers "busy" (429), "try
//! again" (5xx, YooKassa's 202) or not at all before the request was sent is asked
//! again with the same idempotency key, a doubling wait apart; only the adapter knows
//! which of its answers mean which, so it classifies each attempt.

use std::future::Future;
use std::time::Duration;

use super::ProviderError;

/// What one attempt came to.
pub enum Attempt<T> {
    /// An answer (or a failure no repetition can mend): the call is over.
    Done(Result<T, ProviderError>),
    /// Worth repeating with the same key; `wait`, when the provider named one, replaces
    /// the next wait (and the doubling goes on from it).
    Again {
        why: ProviderError,
        wait: Option<Duration>,
    },
}

/// Sends one attempt's request to `provider`. No answer in time may mean the provider
/// acted: the call ends as a timeout, for the caller to find out with the same key. No
/// connection at all is worth repeating.
pub async fn send<T>(
    req: reqwest::RequestBuilder,
    provider: &str,
) -> Result<reqwest::Response, Attempt<T>> {
    match req.send().await {
        Ok(answer) => Ok(answer),
        Err(e) if e.is_timeout() => Err(Attempt::Done(Err(ProviderError::Timeout))),
        Err(e) => Err(Attempt::Again {
            why: ProviderError::Unavailable(format!("{provider} unreachable: {e}")),
            wait: None,
        }),
    }
}

/// Runs `attempt` up to `attempts` times (at least once), `base` apart and doubling,
/// until one is [`Attempt::Done`]; the last reason to repeat is the error otherwise.
pub async fn with_retries<T, F, Fut>(
    attempts: u32,
    base: Duration,
    mut attempt: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Attempt<T>>,
{
    let mut wait = base;
    let mut last = ProviderError::Unavailable("no attempt was made".into());
    for n in 1..=attempts.max(1) {
        if n > 1 {
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
        match attempt().await {
            Attempt::Done(result) => return result,
            Attempt::Again { why, wait: asked } => {
                last = why;
                if let Some(asked) = asked {
                    wait = asked;
                }
            }
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn repeats_until_done_and_gives_the_last_reason_otherwise() {
        let calls = AtomicU32::new(0);
        let done = with_retries(3, Duration::from_millis(1), || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                if n < 2 {
                    Attempt::Again {
                        why: ProviderError::Unavailable(format!("busy {n}")),
                        wait: None,
                    }
                } else {
                    Attempt::Done(Ok(n))
                }
            }
        })
        .await;
        assert_eq!(done, Ok(2));
        let gave_up: Result<(), _> = with_retries(2, Duration::from_millis(1), || async {
            Attempt::Again {
                why: ProviderError::Unavailable("still busy".into()),
                wait: Some(Duration::from_millis(1)),
            }
        })
        .await;
        assert_eq!(
            gave_up,
            Err(ProviderError::Unavailable("still busy".into()))
        );
    }
}
