//! `Accept: text/csv` on the admin lists: every row the filters match (not one page),
//! read page by page over the same keyset the JSON uses.

use std::future::Future;

use app::ssr::ServiceError;
use app::ssr::csv::{self, CsvRow};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::http::error::ApiError;

/// The most rows one export holds; a larger one says so in `X-Kinobill-Truncated`.
pub const MAX_ROWS: usize = 100_000;
const PAGE: u64 = 1_000;

/// Whether the caller asked for CSV rather than JSON.
pub fn wants_csv(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|part| {
            part.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("text/csv"))
        })
}

/// Reads every page through `fetch(limit, cursor)` and answers a CSV download.
pub async fn export<R, F, Fut>(name: &str, mut fetch: F) -> Result<Response, ApiError>
where
    R: CsvRow,
    F: FnMut(u64, Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<R>, Option<String>), ServiceError>>,
{
    let mut rows = Vec::new();
    let mut cursor = None;
    let mut truncated = false;
    loop {
        let (page, next) = fetch(PAGE, cursor.take()).await?;
        rows.extend(page);
        if rows.len() >= MAX_ROWS {
            truncated = next.is_some() || rows.len() > MAX_ROWS;
            rows.truncate(MAX_ROWS);
            break;
        }
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    Ok(response(name, csv::write(&rows), truncated))
}

pub fn response(name: &str, body: String, truncated: bool) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"kinobill-{name}.csv\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if truncated {
        h.insert("x-kinobill-truncated", HeaderValue::from_static("true"));
    }
    res
}
