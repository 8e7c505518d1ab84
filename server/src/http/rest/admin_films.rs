//! The film catalogue over REST: list and search [any staff], create, edit and archive
//! [marketing], and the bulk upsert of the Movies DB's export.

use app::domain::StaffRole;
use app::domain::film::FilmInput;
use app::dto::{AdminFilmDto, FilmPageDto, FilmUpsertReportDto};
use app::ssr::AppState;
use app::ssr::repo::audit::Actor;
use app::ssr::services::films::{self, FilmFilter, FilmPatch};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::csv_export::{export, wants_csv};
use super::me::limit;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, StaffCaller};

/// The largest bulk upsert body: a Movies DB export part of 5 000 films.
pub const UPSERT_BODY_LIMIT: usize = 2 * 1024 * 1024;

#[derive(Debug, Deserialize, IntoParams)]
pub struct FilmsQuery {
    /// Part of the title, or an exact external id.
    pub q: Option<String>,
    /// `all` (default), `active` or `archived`.
    pub status: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// A film as sent: the year is a number or text.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilmBody {
    #[schema(example = "tt0079944")]
    pub external_id: String,
    pub title: String,
    #[serde(deserialize_with = "super::json::text_or_number")]
    #[schema(value_type = i32, example = 1979)]
    pub year: String,
    /// Default `true`; `false` adds it archived.
    #[serde(default)]
    pub active: Option<bool>,
}

impl From<FilmBody> for FilmInput {
    fn from(b: FilmBody) -> Self {
        FilmInput {
            external_id: b.external_id,
            title: b.title,
            year: b.year,
            active: b.active,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilmPatchBody {
    pub external_id: Option<String>,
    pub title: Option<String>,
    #[serde(default, deserialize_with = "opt_year")]
    #[schema(value_type = Option<i32>)]
    pub year: Option<String>,
    /// `false` archives, `true` restores.
    pub active: Option<bool>,
}

fn opt_year<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    super::json::opt_text_or_number(d).map(|t| Some(t).filter(|t| !t.is_empty()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilmUpsertBody {
    pub films: Vec<FilmBody>,
}

fn parse_active(s: Option<&str>) -> Result<Option<bool>, ApiError> {
    match s.unwrap_or("all") {
        "all" | "" => Ok(None),
        "active" => Ok(Some(true)),
        "archived" => Ok(Some(false)),
        _ => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "status must be all, active or archived.",
        )),
    }
}

/// The catalogue, newest first [any staff].
#[utoipa::path(get, path = "/api/v1/admin/films", tag = "admin", params(FilmsQuery),
    security(("staff_token" = [])),
    responses((status = 200, body = FilmPageDto, content_type = "application/json"),
        (status = 200, content_type = "text/csv", description = "every matching row"),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    staff: StaffCaller,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<FilmsQuery>,
) -> Result<Response, ApiError> {
    staff.require(StaffRole::can_view_catalog)?;
    films_list(&state, wants_csv(&headers), q).await
}

/// Films as JSON or (`csv`) every matching row; the caller checked the role.
pub async fn films_list(state: &AppState, csv: bool, q: FilmsQuery) -> Result<Response, ApiError> {
    let filter = FilmFilter {
        q: q.q,
        active: parse_active(q.status.as_deref())?,
    };
    if csv {
        let (db, filter) = (&state.db, &filter);
        return export("films", |n, c| async move {
            let p = films::list(db, filter, n, c.as_deref()).await?;
            Ok((p.data, p.next_cursor))
        })
        .await;
    }
    let page = films::list(&state.db, &filter, limit(q.limit)?, q.cursor.as_deref()).await?;
    Ok(Json(page).into_response())
}

/// Adds a film [marketing].
#[utoipa::path(post, path = "/api/v1/admin/films", tag = "admin", request_body = FilmBody,
    security(("staff_token" = [])),
    responses((status = 201, body = AdminFilmDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    staff: StaffCaller,
    ApiJson(body): ApiJson<FilmBody>,
) -> Result<(StatusCode, Json<AdminFilmDto>), ApiError> {
    let me = staff.require(StaffRole::can_edit_catalog)?;
    let actor = Actor::staff(me.id, &me.email);
    let film = films::create(&state.db, &state.clock, &actor, &body.into()).await?;
    Ok((StatusCode::CREATED, Json(film)))
}

/// Edits, archives (`active: false`) or restores a film [marketing].
#[utoipa::path(patch, path = "/api/v1/admin/films/{id}", tag = "admin", params(("id" = Uuid, Path)),
    request_body = FilmPatchBody, security(("staff_token" = [])),
    responses((status = 200, body = AdminFilmDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn patch(
    State(state): State<AppState>,
    staff: StaffCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<FilmPatchBody>,
) -> Result<Json<AdminFilmDto>, ApiError> {
    let me = staff.require(StaffRole::can_edit_catalog)?;
    let actor = Actor::staff(me.id, &me.email);
    let patch = FilmPatch {
        external_id: body.external_id,
        title: body.title,
        year: body.year,
        active: body.active,
    };
    Ok(Json(
        films::update(&state.db, &state.clock, &actor, id, &patch).await?,
    ))
}

/// Bulk upsert by `external_id` (the Movies DB export) [marketing]: creates, updates or
/// leaves each film, all or nothing; a bad row is refused with its line and nothing
/// changes. Sending the same export again reports everything unchanged.
#[utoipa::path(put, path = "/api/v1/admin/films", tag = "admin", request_body = FilmUpsertBody,
    security(("staff_token" = [])),
    responses((status = 200, body = FilmUpsertReportDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upsert(
    State(state): State<AppState>,
    staff: StaffCaller,
    ApiJson(body): ApiJson<FilmUpsertBody>,
) -> Result<Json<FilmUpsertReportDto>, ApiError> {
    let me = staff.require(StaffRole::can_edit_catalog)?;
    let actor = Actor::staff(me.id, &me.email);
    let rows: Vec<(usize, FilmInput)> = body
        .films
        .into_iter()
        .enumerate()
        .map(|(i, f)| (i + 1, FilmInput::from(f)))
        .collect();
    Ok(Json(
        films::upsert(&state.db, &state.clock, &actor, &rows).await?,
    ))
}
