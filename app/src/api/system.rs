//! The admin's machinery over server functions: the outbox and the test clock. Each
//! checks the admin role itself.

use leptos::prelude::*;
use uuid::Uuid;

use crate::dto::{OutboxMessageDto, OutboxPageDto, TestClockDto};
use crate::error::AppError;

/// Outbox messages of one status, newest first; `destination` and `q` narrow them.
#[server(prefix = "/rpc", endpoint = "admin_outbox")]
pub async fn admin_outbox(
    status: Option<String>,
    destination: Option<String>,
    q: Option<String>,
    cursor: Option<String>,
) -> Result<OutboxPageDto, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::services::outbox_admin::{self, OutboxQuery, OutboxStatus};

    let (state, _) = require_staff(StaffRole::can_operate)
        .await
        .map_err(super::respond_err)?;
    let status = OutboxStatus::parse(
        status
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or("pending"),
    )
    .map_err(super::respond_err)?;
    let destination = destination
        .as_deref()
        .filter(|d| !d.is_empty())
        .map(outbox_admin::parse_destination)
        .transpose()
        .map_err(super::respond_err)?;
    outbox_admin::list(
        &state,
        &OutboxQuery {
            status,
            destination,
            search: q.as_deref(),
            limit: 25,
            cursor: cursor.as_deref().filter(|c| !c.is_empty()),
        },
    )
    .await
    .map_err(super::respond_err)
}

#[server(prefix = "/rpc", endpoint = "admin_retry_outbox")]
pub async fn admin_retry_outbox(id: Uuid) -> Result<OutboxMessageDto, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::services::outbox_admin;

    let (state, _) = require_staff(StaffRole::can_operate)
        .await
        .map_err(super::respond_err)?;
    outbox_admin::retry(&state, id)
        .await
        .map_err(super::respond_err)
}

/// The server's time; `None` for staff who may not operate the machinery.
#[server(prefix = "/rpc", endpoint = "admin_clock")]
pub async fn admin_clock() -> Result<Option<TestClockDto>, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::services::test_clock;

    match require_staff(StaffRole::can_operate).await {
        Ok((state, _)) => Ok(Some(test_clock::status(&state))),
        Err(AppError::Forbidden) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Moves the test clock forward by an ISO 8601 duration (`P1D`, `PT12H`).
#[server(prefix = "/rpc", endpoint = "admin_advance_clock")]
pub async fn admin_advance_clock(advance: String) -> Result<TestClockDto, AppError> {
    use crate::domain::StaffRole;
    use crate::domain::duration::parse_iso8601_duration;
    use crate::ssr::auth::require_staff;
    use crate::ssr::services::test_clock;

    let (state, _) = require_staff(StaffRole::can_operate)
        .await
        .map_err(super::respond_err)?;
    let by = parse_iso8601_duration(advance.trim(), "advance")
        .map_err(|e| super::respond_err(crate::ssr::ServiceError::from(e)))?;
    test_clock::advance(&state, by)
        .await
        .map_err(super::respond_err)
}

/// The money invariants checked on the live database (the `server audit` report).
#[server(prefix = "/rpc", endpoint = "admin_integrity")]
pub async fn admin_integrity() -> Result<crate::dto::IntegrityReportDto, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::services::integrity;

    let (state, _) = require_staff(StaffRole::can_operate)
        .await
        .map_err(super::respond_err)?;
    integrity::audit(&state.db, chrono::Utc::now())
        .await
        .map_err(super::respond_err)
}
