//! The roles the auth service knows, so a tariff can only grant a role that exists there
//! (a typo would otherwise sell access that never opens). Fetched from
//! `GET {KINOBILL__AUTH_SERVICE__URL}/v1/roles`, kept for five minutes, and refreshed on
//! the next use after that; if the auth service does not answer, the last list known is
//! used, and with none there is nothing to check against, so the change is refused.
//!
//! The answer may be `["viewer-premium", …]`, `{"roles": ["…"]}` or
//! `{"roles": [{"name": "…"}]}`.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::Mutex;

use crate::domain::DomainError;
use crate::ssr::ServiceError;

/// How long a fetched list is trusted before it is fetched again.
pub const TTL: Duration = Duration::from_secs(300);

#[derive(Debug)]
pub struct RoleCatalog {
    client: reqwest::Client,
    url: String,
    cache: Mutex<Option<(Instant, Vec<String>)>>,
}

fn names(body: &Value) -> Option<Vec<String>> {
    let list = match body {
        Value::Array(items) => items,
        Value::Object(o) => o.get("roles")?.as_array()?,
        _ => return None,
    };
    list.iter()
        .map(|item| match item {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => o.get("name")?.as_str().map(str::to_string),
            _ => None,
        })
        .collect()
}

impl RoleCatalog {
    pub fn new(base_url: &str) -> RoleCatalog {
        RoleCatalog {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap_or_default(),
            url: format!("{}/v1/roles", base_url.trim_end_matches('/')),
            cache: Mutex::new(None),
        }
    }

    async fn fetch(&self) -> Result<Vec<String>, String> {
        let res = self
            .client
            .get(&self.url)
            .send()
            .await
            .map_err(|e| e.without_url().to_string())?;
        if !res.status().is_success() {
            return Err(format!("answered {}", res.status()));
        }
        let body: Value = res.json().await.map_err(|e| e.without_url().to_string())?;
        let mut list = names(&body).ok_or("answered something that is not a list of roles")?;
        list.sort();
        list.dedup();
        Ok(list)
    }

    /// The roles, from the cache while it is fresh.
    pub async fn roles(&self) -> Result<Vec<String>, ServiceError> {
        let mut cache = self.cache.lock().await;
        if let Some((at, list)) = cache.as_ref()
            && at.elapsed() < TTL
        {
            return Ok(list.clone());
        }
        match self.fetch().await {
            Ok(list) => {
                *cache = Some((Instant::now(), list.clone()));
                Ok(list)
            }
            Err(e) => {
                tracing::warn!(error = %e, "the auth service's roles could not be fetched");
                match cache.as_ref() {
                    Some((_, stale)) => Ok(stale.clone()),
                    None => Err(ServiceError::rule(
                        "auth_service_unavailable",
                        "role",
                        "The auth service did not answer, so the role cannot be checked; try again.",
                    )),
                }
            }
        }
    }

    /// Refuses a role the auth service does not have, naming the ones it does.
    pub async fn check(&self, role: &str) -> Result<(), ServiceError> {
        let roles = self.roles().await?;
        if roles.iter().any(|r| r == role) {
            Ok(())
        } else {
            Err(ServiceError::Invalid(vec![DomainError::invalid(
                "role",
                format!(
                    "the auth service has no role {role}; it has {}",
                    roles.join(", ")
                ),
            )]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn three_shapes_of_answer_are_read() {
        assert_eq!(
            names(&json!(["a", "b"])),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(names(&json!({"roles": ["a"]})), Some(vec!["a".into()]));
        assert_eq!(
            names(&json!({"roles": [{"name": "a", "title": "A"}]})),
            Some(vec!["a".into()])
        );
        assert_eq!(names(&json!({"roles": [1]})), None);
        assert_eq!(names(&json!("a")), None);
    }
}
