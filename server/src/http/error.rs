//! The REST error body, `{"error": {"code", "message", "fields"?}}`, and the single place
//! where service errors become HTTP statuses.

use std::collections::BTreeMap;

use app::ssr::ServiceError;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable; see API.md for the list.
    #[schema(example = "validation_failed")]
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, Vec<String>>>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub fields: Option<BTreeMap<String, Vec<String>>>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
            fields: None,
        }
    }

    pub fn not_found_route() -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such API endpoint.")
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        e.log_if_internal();
        let status = match &e {
            ServiceError::Invalid(_) | ServiceError::Rule { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ServiceError::InvalidCredentials | ServiceError::Unauthenticated => {
                StatusCode::UNAUTHORIZED
            }
            ServiceError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            ServiceError::Forbidden => StatusCode::FORBIDDEN,
            ServiceError::NotFound { .. } => StatusCode::NOT_FOUND,
            ServiceError::Conflict { .. } => StatusCode::CONFLICT,
            ServiceError::ProviderUnavailable(_) => StatusCode::BAD_GATEWAY,
            ServiceError::Db(_) | ServiceError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let fields = e.field_errors();
        ApiError {
            status,
            code: e.code().to_string(),
            message: e.public_message(),
            fields,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let unauthorized = self.status == StatusCode::UNAUTHORIZED;
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                fields: self.fields,
            },
        };
        let mut res = (self.status, Json(body)).into_response();
        if unauthorized {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"kinobill\""),
            );
        }
        res
    }
}
