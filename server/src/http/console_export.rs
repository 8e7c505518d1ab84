//! `GET /admin/export/{list}.csv`: the console's "Export CSV" links. The signed-in staff
//! member's session stands in for the API token; the rows, filters and role rules are
//! the REST list's own (each list's `*_list` function), so both exports always agree.

use std::collections::HashMap;

use app::domain::StaffRole;
use app::ssr::AppState;
use app::ssr::auth::session_staff;
use app::ssr::services::discounts::customer_filter;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;
use uuid::Uuid;

use super::error::ApiError;
use super::rest::{admin_console, admin_films, admin_support};

fn take(q: &mut HashMap<String, String>, k: &str) -> Option<String> {
    q.remove(k)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty() && v != "all")
}

/// The console's "to" date includes that day; the API's is exclusive.
fn inclusive_to(q: &mut HashMap<String, String>) -> Option<String> {
    take(q, "to").map(|t| match t.parse::<chrono::NaiveDate>() {
        Ok(d) => (d + chrono::TimeDelta::days(1)).to_string(),
        Err(_) => t,
    })
}

pub async fn export(
    State(state): State<AppState>,
    session: Session,
    Path(list): Path<String>,
    Query(mut q): Query<HashMap<String, String>>,
) -> Response {
    let staff = match session_staff(&state, &session).await {
        Ok(Some(s)) => s,
        Ok(None) => return Redirect::to("/admin/login").into_response(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let allowed = |role: fn(StaffRole) -> bool| {
        if role(staff.role) {
            Ok(())
        } else {
            Err(ApiError::from(app::ssr::ServiceError::Forbidden))
        }
    };
    let list = list.trim_end_matches(".csv").to_string();
    let result = async {
        match list.as_str() {
            "customers" => {
                allowed(StaffRole::can_support)?;
                let query = admin_console::CustomersQuery {
                    q: take(&mut q, "q"),
                    limit: None,
                    cursor: None,
                };
                admin_console::customers_list(&state, true, query).await
            }
            "subscriptions" => {
                allowed(StaffRole::can_support)?;
                let query = admin_console::SubscriptionsQuery {
                    status: take(&mut q, "status"),
                    tariff_id: take(&mut q, "tariff_id").and_then(|t| Uuid::parse_str(&t).ok()),
                    limit: None,
                    cursor: None,
                };
                admin_console::subscriptions_list(&state, true, query).await
            }
            "invoices" | "payments" => {
                allowed(StaffRole::can_support)?;
                let typed = take(&mut q, "customer");
                let Some(user_id) = customer_filter(&state.db, typed.as_deref()).await? else {
                    return Ok(super::rest::csv_export::response(
                        &list,
                        String::new(),
                        false,
                    ));
                };
                let (status, from) = (take(&mut q, "status"), take(&mut q, "from"));
                let to = inclusive_to(&mut q);
                if list == "invoices" {
                    let query = admin_console::InvoicesQuery {
                        status,
                        user_id,
                        from,
                        to,
                        limit: None,
                        cursor: None,
                    };
                    admin_console::invoices_list(&state, true, query).await
                } else {
                    let query = admin_support::PaymentsQuery {
                        status,
                        user_id,
                        from,
                        to,
                        limit: None,
                        cursor: None,
                    };
                    admin_support::payments_list(&state, true, query).await
                }
            }
            "audit" => {
                allowed(StaffRole::can_read_audit)?;
                let to = inclusive_to(&mut q);
                let query = admin_console::AuditQuery {
                    actor: take(&mut q, "actor"),
                    action: take(&mut q, "action"),
                    entity_type: take(&mut q, "entity_type"),
                    entity_id: take(&mut q, "entity_id"),
                    from: take(&mut q, "from"),
                    to,
                    limit: None,
                    cursor: None,
                };
                admin_console::audit_list(&state, true, query).await
            }
            "films" => {
                allowed(StaffRole::can_view_catalog)?;
                let query = admin_films::FilmsQuery {
                    q: take(&mut q, "q"),
                    status: take(&mut q, "status"),
                    limit: None,
                    cursor: None,
                };
                admin_films::films_list(&state, true, query).await
            }
            _ => Err(ApiError::not_found_route()),
        }
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}
