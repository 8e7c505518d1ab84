//! The error a person sees, returned by every server function. Services map their own
//! errors into it in one place (`ssr::error`), so pages only ever match on these variants.

use std::collections::BTreeMap;

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::domain::DomainError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Error)]
pub enum AppError {
    /// Input that breaks a rule; `fields` maps a form field to its messages.
    #[error("{message}")]
    Validation {
        message: String,
        fields: BTreeMap<String, Vec<String>>,
    },
    #[error("{0}")]
    Unauthorized(String),
    #[error("You do not have permission to do this.")]
    Forbidden,
    #[error("Not found.")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooManyRequests(String),
    /// Something we depend on (the payment provider) did not answer; retrying is safe.
    #[error("{0}")]
    Unavailable(String),
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The call itself failed (network, serialization): the browser could not reach us.
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

impl AppError {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut fields = BTreeMap::new();
        fields.insert(field.to_string(), vec![message.clone()]);
        AppError::Validation { message, fields }
    }

    /// The message to show next to `field`, if this error concerns it.
    pub fn field_error(&self, field: &str) -> Option<String> {
        match self {
            AppError::Validation { fields, .. } => fields.get(field).map(|m| m.join(" ")),
            _ => None,
        }
    }

    /// Every message of the error, field messages first, in field order (a bulk upload
    /// lists each bad line).
    pub fn messages(&self) -> Vec<String> {
        match self {
            AppError::Validation { fields, message } if !fields.is_empty() => {
                let mut out: Vec<String> = fields.values().flatten().cloned().collect();
                if out.is_empty() {
                    out.push(message.clone());
                }
                out
            }
            other => vec![other.to_string()],
        }
    }

    /// HTTP status used when the error travels back from a server function.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Validation { .. } => 422,
            AppError::Unauthorized(_) => 401,
            AppError::Forbidden => 403,
            AppError::NotFound => 404,
            AppError::Conflict(_) => 409,
            AppError::TooManyRequests(_) => 429,
            AppError::Unavailable(_) => 503,
            AppError::Internal | AppError::Transport(_) => 500,
        }
    }
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        AppError::validation(e.field(), e.message())
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Bad arguments are a caller mistake, not a transport failure.
            ServerFnErrorErr::Args(msg) => AppError::Validation {
                message: format!("Invalid request: {msg}"),
                fields: BTreeMap::new(),
            },
            other => AppError::Transport(other.to_string()),
        }
    }
}
