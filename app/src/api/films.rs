//! Server functions of the films page.

use leptos::prelude::*;
use uuid::Uuid;

use crate::dto::{AdminFilmDto, FilmPageDto, FilmUpsertReportDto};
use crate::error::AppError;

#[server(prefix = "/rpc", endpoint = "admin_films")]
pub async fn admin_films(
    q: String,
    status: String,
    cursor: String,
) -> Result<FilmPageDto, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::services::films::{self, FilmFilter};

    let (state, _) = require_staff(StaffRole::can_view_catalog)
        .await
        .map_err(super::respond_err)?;
    let active = match status.as_str() {
        "active" => Some(true),
        "archived" => Some(false),
        _ => None,
    };
    let filter = FilmFilter { q: Some(q), active };
    let cursor = Some(cursor.trim()).filter(|c| !c.is_empty());
    films::list(&state.db, &filter, super::console::CONSOLE_PAGE, cursor)
        .await
        .map_err(super::respond_err)
}

#[server(prefix = "/rpc", endpoint = "admin_create_film")]
pub async fn admin_create_film(
    external_id: String,
    title: String,
    year: String,
) -> Result<AdminFilmDto, AppError> {
    use crate::domain::StaffRole;
    use crate::domain::film::FilmInput;
    use crate::ssr::auth::require_staff;
    use crate::ssr::repo::audit::Actor;
    use crate::ssr::services::films;

    let (state, staff) = require_staff(StaffRole::can_edit_catalog)
        .await
        .map_err(super::respond_err)?;
    let input = FilmInput {
        external_id,
        title,
        year,
        active: Some(true),
    };
    films::create(
        &state.db,
        &state.clock,
        &Actor::staff(staff.id, &staff.email),
        &input,
    )
    .await
    .map_err(super::respond_err)
}

/// Edits a film; empty text fields are left as they are.
#[server(prefix = "/rpc", endpoint = "admin_update_film")]
pub async fn admin_update_film(
    id: Uuid,
    external_id: String,
    title: String,
    year: String,
    active: Option<bool>,
) -> Result<AdminFilmDto, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::repo::audit::Actor;
    use crate::ssr::services::films::{self, FilmPatch};

    let (state, staff) = require_staff(StaffRole::can_edit_catalog)
        .await
        .map_err(super::respond_err)?;
    let given = |v: String| Some(v).filter(|v| !v.trim().is_empty());
    let patch = FilmPatch {
        external_id: given(external_id),
        title: given(title),
        year: given(year),
        active,
    };
    films::update(
        &state.db,
        &state.clock,
        &Actor::staff(staff.id, &staff.email),
        id,
        &patch,
    )
    .await
    .map_err(super::respond_err)
}

/// The Movies DB export as CSV text (pasted, or read from the chosen file by the page).
#[server(prefix = "/rpc", endpoint = "admin_upload_films")]
pub async fn admin_upload_films(csv: String) -> Result<FilmUpsertReportDto, AppError> {
    use crate::domain::StaffRole;
    use crate::domain::film::parse_csv;
    use crate::ssr::ServiceError;
    use crate::ssr::auth::require_staff;
    use crate::ssr::repo::audit::Actor;
    use crate::ssr::services::films;

    let (state, staff) = require_staff(StaffRole::can_edit_catalog)
        .await
        .map_err(super::respond_err)?;
    let rows = parse_csv(&csv).map_err(|e| super::respond_err(ServiceError::Invalid(e)))?;
    films::upsert(
        &state.db,
        &state.clock,
        &Actor::staff(staff.id, &staff.email),
        &rows,
    )
    .await
    .map_err(super::respond_err)
}
