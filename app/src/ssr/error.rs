//! The service layer's error. Mapped to `AppError` (server functions) here and to the
//! REST error body in `server::http::error` — exactly one place each.

use crate::domain::DomainError;
use crate::error::AppError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("invalid input")]
    Invalid(Vec<DomainError>),
    #[error("wrong e-mail or password")]
    InvalidCredentials,
    #[error("too many sign-in attempts; retry in {retry_after_secs} s")]
    Throttled { retry_after_secs: i64 },
    #[error("authentication required")]
    Unauthenticated,
    #[error("forbidden")]
    Forbidden,
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// A business rule refused the input (HTTP 422 with this `code`), e.g. `promo_expired`.
    #[error("{message}")]
    Rule {
        code: &'static str,
        field: &'static str,
        message: String,
    },
    /// The payment provider failed or timed out; the same request may be retried.
    #[error("payment provider unavailable: {0}")]
    ProviderUnavailable(String),
    #[error("database error")]
    Db(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<DomainError> for ServiceError {
    fn from(e: DomainError) -> Self {
        ServiceError::Invalid(vec![e])
    }
}

impl ServiceError {
    /// A business rule refused the input on `field` (HTTP 422 with `code`).
    pub fn rule(code: &'static str, field: &'static str, message: impl Into<String>) -> Self {
        ServiceError::Rule {
            code,
            field,
            message: message.into(),
        }
    }

    /// The stable machine code of the REST contract.
    pub fn code(&self) -> &'static str {
        match self {
            ServiceError::Invalid(_) => "validation_failed",
            ServiceError::InvalidCredentials => "invalid_credentials",
            ServiceError::Throttled { .. } => "too_many_attempts",
            ServiceError::Unauthenticated => "unauthorized",
            ServiceError::Forbidden => "forbidden",
            ServiceError::NotFound { .. } => "not_found",
            ServiceError::Conflict { code, .. } | ServiceError::Rule { code, .. } => code,
            ServiceError::ProviderUnavailable(_) => "provider_unavailable",
            ServiceError::Db(_) | ServiceError::Unexpected(_) => "internal_error",
        }
    }

    pub fn is_internal(&self) -> bool {
        matches!(self, ServiceError::Db(_) | ServiceError::Unexpected(_))
    }

    /// A message safe to show to the caller (internal details are logged, never shown).
    pub fn public_message(&self) -> String {
        match self {
            ServiceError::Invalid(errors) => match errors.as_slice() {
                [one] => one.message().to_string(),
                _ => "Some fields are invalid.".to_string(),
            },
            ServiceError::InvalidCredentials => "Wrong e-mail or password.".to_string(),
            ServiceError::Throttled { retry_after_secs } => {
                let minutes = (retry_after_secs + 59) / 60;
                format!(
                    "Too many sign-in attempts. Try again in {} minute{}.",
                    minutes.max(1),
                    if minutes == 1 { "" } else { "s" }
                )
            }
            ServiceError::Unauthenticated => "Please sign in.".to_string(),
            ServiceError::Forbidden => "You do not have permission to do this.".to_string(),
            ServiceError::NotFound { entity } => format!("The {entity} was not found."),
            ServiceError::Conflict { message, .. } | ServiceError::Rule { message, .. } => {
                message.clone()
            }
            ServiceError::ProviderUnavailable(_) => {
                "The payment service did not answer. Nothing was charged twice: please try again."
                    .to_string()
            }
            ServiceError::Db(_) | ServiceError::Unexpected(_) => {
                "Something went wrong on our side. Please try again.".to_string()
            }
        }
    }

    /// Messages per input field, for validation failures (`None` for every other error).
    pub fn field_errors(&self) -> Option<std::collections::BTreeMap<String, Vec<String>>> {
        let mut map = std::collections::BTreeMap::<String, Vec<String>>::new();
        match self {
            ServiceError::Invalid(errors) => {
                for err in errors {
                    map.entry(err.field().to_string())
                        .or_default()
                        .push(err.message().to_string());
                }
            }
            ServiceError::Rule { field, message, .. } => {
                map.insert(field.to_string(), vec![message.clone()]);
            }
            _ => return None,
        }
        Some(map)
    }

    /// Logs the whole cause chain of an internal failure; callers see a generic message.
    pub fn log_if_internal(&self) {
        if self.is_internal() {
            let chain = match self {
                ServiceError::Unexpected(e) => format!("{e:#}"),
                other => {
                    let mut s = other.to_string();
                    let mut src = std::error::Error::source(other);
                    while let Some(e) = src {
                        s.push_str(": ");
                        s.push_str(&e.to_string());
                        src = e.source();
                    }
                    s
                }
            };
            tracing::error!(error = %chain, "internal error");
        }
    }
}

impl From<ServiceError> for AppError {
    fn from(e: ServiceError) -> Self {
        e.log_if_internal();
        let message = e.public_message();
        match e {
            ServiceError::Invalid(_) => AppError::Validation {
                message,
                fields: e.field_errors().unwrap_or_default(),
            },
            ServiceError::InvalidCredentials | ServiceError::Unauthenticated => {
                AppError::Unauthorized(message)
            }
            ServiceError::Throttled { .. } => AppError::TooManyRequests(message),
            ServiceError::Forbidden => AppError::Forbidden,
            ServiceError::NotFound { .. } => AppError::NotFound,
            ServiceError::Conflict { .. } => AppError::Conflict(message),
            ServiceError::Rule { field, .. } => AppError::validation(field, message),
            ServiceError::ProviderUnavailable(_) => AppError::Unavailable(message),
            ServiceError::Db(_) | ServiceError::Unexpected(_) => AppError::Internal,
        }
    }
}
