//! `GET /account/statement.csv`: the statement download of the account page, for the
//! customer signed in to this browser session.

use app::dto::StatementLineDto;
use app::ssr::AppState;
use app::ssr::auth::session_customer;
use app::ssr::services::account;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

pub async fn statement_csv(State(state): State<AppState>, session: Session) -> Response {
    let customer = match session_customer(&state, &session).await {
        Ok(Some(c)) => c,
        Ok(None) => return Redirect::to("/sign-in?next=/account").into_response(),
        Err(e) => {
            e.log_if_internal();
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    match account::statement(&state.db, customer.id, None, None).await {
        Ok(lines) => statement_csv_response(&lines),
        Err(e) => {
            e.log_if_internal();
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// A statement as a CSV download; also the REST statement's `format=csv`.
pub fn statement_csv_response(lines: &[StatementLineDto]) -> Response {
    let mut res = account::statement_csv(lines).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"kinobill-statement.csv\""),
    );
    res
}
