use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::films::{AdminCreateFilm, AdminUpdateFilm, AdminUploadFilms, admin_films};
use crate::api::staff_session::current_staff;
use crate::components::{
    CursorPager, EmptyState, ErrorState, FormErrors, LoadingRows, SelectFilter, TextField,
    input_value, with_query,
};
use crate::domain::film::FilmInput;
use crate::dto::AdminFilmDto;

const STATUSES: [(&str, &str); 3] = [
    ("all", "All"),
    ("active", "Active"),
    ("archived", "Archived"),
];

/// The film catalogue: search, add, edit, archive, and upload the Movies DB export.
/// Tariffs pick their films from here; entitlements name them by external id.
#[component]
pub fn AdminFilms() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &'static str| query.with(|m| m.get(k).unwrap_or_default());
    let me = Resource::new(|| (), |_| current_staff());
    let create = ServerAction::<AdminCreateFilm>::new();
    let update = ServerAction::<AdminUpdateFilm>::new();
    let upload = ServerAction::<AdminUploadFilms>::new();
    let list = Resource::new(
        move || {
            (
                get("q"),
                get("status"),
                get("cursor"),
                create.version().get(),
                update.version().get(),
                upload.version().get(),
            )
        },
        |(q, s, c, ..)| admin_films(q, s, c),
    );
    let filters = move || vec![("q", get("q")), ("status", get("status"))];
    let row_error = move || {
        update
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string())
    };
    view! {
        <Title text="Films" />
        <div class="page-head">
            <h1>"Films"</h1>
            <p class="page-lead">"The catalogue tariffs are built from. Each film carries its id in the Movies DB, which is how other services know it."</p>
        </div>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let can_edit = matches!(me.await, Ok(Some(s)) if s.role.can_edit_catalog());
                can_edit.then(|| view! {
                    <div class="form-grid">
                        <CreateFilmForm action=create />
                        <UploadFilmsForm action=upload />
                    </div>
                })
            })}
        </Suspense>
        <h2 class="section-title">"Catalogue"</h2>
        <Form method="GET" action="" attr:class="filters" attr:role="search">
            <div class="field inline grow">
                <label for="film-q">"Title or external id"</label>
                <input id="film-q" type="search" name="q" prop:value=move || get("q") />
            </div>
            <SelectFilter id="film-status" label="Status" name="status" options=&STATUSES current=Signal::derive(move || get("status")) />
            <button type="submit" class="button">"Search"</button>
        </Form>
        {move || row_error().map(|e| view! { <p class="alert" role="alert">{e}</p> })}
        <Transition fallback=|| view! { <LoadingRows rows=5 label="Loading films…" /> }>
            {move || Suspend::new(async move {
                let can_edit = matches!(me.await, Ok(Some(s)) if s.role.can_edit_catalog());
                match list.await {
                    Ok(page) if page.data.is_empty() => view! {
                        <EmptyState title="No films match".to_string() hint="Clear the search, or add films above." />
                    }.into_any(),
                    Ok(page) => view! {
                        <div class="table-wrap"><table class="data-table">
                            <caption class="visually-hidden">"Films"</caption>
                            <thead><tr>
                                <th scope="col">"Title"</th>
                                <th scope="col">"Year"</th>
                                <th scope="col">"External id"</th>
                                <th scope="col" class="num">"Tariffs"</th>
                                <th scope="col">"Status"</th>
                                {can_edit.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}
                            </tr></thead>
                            <tbody>
                                {page.data.into_iter().map(|f| view! { <FilmRow film=f can_edit update /> }).collect_view()}
                            </tbody>
                        </table></div>
                        <CursorPager
                            base=with_query("/admin/films", &filters())
                            next_cursor=page.next_cursor
                            deep=!get("cursor").is_empty()
                            older="More films"
                            csv=with_query("/admin/export/films.csv", &filters())
                        />
                    }.into_any(),
                    Err(error) => view! { <ErrorState error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn FilmRow(
    film: AdminFilmDto,
    can_edit: bool,
    update: ServerAction<AdminUpdateFilm>,
) -> impl IntoView {
    let id = film.id;
    let active = film.active;
    let (title, external_id) = (film.title.clone(), film.external_id.clone());
    let (edit_title, edit_external_id) = (film.title.clone(), film.external_id.clone());
    view! {
        <tr data-external-id=external_id.clone()>
            <td data-label="Title">{film.title.clone()}</td>
            <td data-label="Year">{film.year}</td>
            <td data-label="External id"><code>{film.external_id.clone()}</code></td>
            <td data-label="Tariffs" class="num">{film.tariffs}</td>
            <td data-label="Status">
                <span class=if active { "badge ok" } else { "badge muted" }>{if active { "Active" } else { "Archived" }}</span>
            </td>
            {can_edit.then(|| view! {
                <td data-label="Actions" class="actions">
                    <details class="row-edit">
                        <summary class="button ghost small" aria-label=format!("Edit {title}")>"Edit"</summary>
                        <ActionForm action=update attr:class="inline-form">
                            <input type="hidden" name="id" value=id.to_string() />
                            <label class="visually-hidden" for=format!("f-title-{id}")>"Title"</label>
                            <input id=format!("f-title-{id}") name="title" value=edit_title.clone() />
                            <label class="visually-hidden" for=format!("f-year-{id}")>"Year"</label>
                            <input id=format!("f-year-{id}") name="year" value=film.year.to_string() inputmode="numeric" size="5" />
                            <label class="visually-hidden" for=format!("f-ext-{id}")>"External id"</label>
                            <input id=format!("f-ext-{id}") name="external_id" value=edit_external_id.clone() size="12" />
                            <button type="submit" class="button small">"Save"</button>
                        </ActionForm>
                    </details>
                    <button type="button" class="button ghost small"
                        aria-label=format!("{} {}", if active { "Archive" } else { "Restore" }, title)
                        on:click=move |_| {
                            update.dispatch(AdminUpdateFilm {
                                id,
                                external_id: String::new(),
                                title: String::new(),
                                year: String::new(),
                                active: Some(!active),
                            });
                        }>
                        {if active { "Archive" } else { "Restore" }}
                    </button>
                </td>
            })}
        </tr>
    }
}

#[component]
fn CreateFilmForm(action: ServerAction<AdminCreateFilm>) -> impl IntoView {
    let server_error = Signal::derive(move || {
        if action.pending().get() {
            None
        } else {
            action.value().get().and_then(|r| r.err())
        }
    });
    let errors = FormErrors::new(server_error);
    let (external_id, title, year) = (NodeRef::new(), NodeRef::new(), NodeRef::new());
    let created = move || action.value().get().and_then(|r| r.ok()).map(|f| f.title);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = FilmInput {
            external_id: input_value(&external_id),
            title: input_value(&title),
            year: input_value(&year),
            active: Some(true),
        };
        let problems = input.parse().err().unwrap_or_default();
        if errors.check(&problems) {
            action.dispatch(AdminCreateFilm {
                external_id: input.external_id,
                title: input.title,
                year: input.year,
            });
        }
    };
    view! {
        <form class="card form-card" on:submit=on_submit novalidate aria-labelledby="film-create-title">
            <h2 id="film-create-title">"Add a film"</h2>
            {move || errors.general().map(|e| view! { <p class="alert" role="alert">{e}</p> })}
            {move || created().map(|t| view! { <p class="notice" role="status">{format!("Added {t}.")}</p> })}
            <TextField id="film-external-id" label="External id (Movies DB)" name="external_id" errors node_ref=external_id placeholder="tt0079944" />
            <TextField id="film-title" label="Title" name="title" errors node_ref=title placeholder="Stalker" />
            <TextField id="film-year" label="Year" name="year" errors node_ref=year inputmode="numeric" placeholder="1979" />
            <button type="submit" class="button primary" disabled=move || action.pending().get()>"Add film"</button>
        </form>
    }
}

/// Reads the chosen file into the text area (in the browser; the server gets the text).
#[cfg(feature = "hydrate")]
fn load_file(ev: leptos::ev::Event, target: NodeRef<leptos::html::Textarea>) {
    use leptos::wasm_bindgen::JsCast;
    let Some(input) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return;
    };
    let Some(file) = input.files().and_then(|f| f.get(0)) else {
        return;
    };
    leptos::task::spawn_local(async move {
        if let Ok(text) = wasm_bindgen_futures::JsFuture::from(file.text()).await
            && let (Some(text), Some(area)) = (text.as_string(), target.get_untracked())
        {
            area.set_value(&text);
        }
    });
}

#[cfg(not(feature = "hydrate"))]
fn load_file(_: leptos::ev::Event, _: NodeRef<leptos::html::Textarea>) {}

#[component]
fn UploadFilmsForm(action: ServerAction<AdminUploadFilms>) -> impl IntoView {
    let area = NodeRef::<leptos::html::Textarea>::new();
    let result = move || action.value().get();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let csv = area.get_untracked().map(|a| a.value()).unwrap_or_default();
        action.dispatch(AdminUploadFilms { csv });
    };
    view! {
        <form class="card form-card" on:submit=on_submit novalidate aria-labelledby="film-upload-title">
            <h2 id="film-upload-title">"Upload the Movies DB export"</h2>
            <p class="muted small">"CSV with the columns external_id, title, year and optionally active. Films are matched by external id: new ones are added, changed ones updated. A bad line stops the whole upload."</p>
            <div class="field">
                <label for="film-file">"CSV file"</label>
                <input id="film-file" type="file" accept=".csv,text/csv" on:change=move |ev| load_file(ev, area) />
            </div>
            <div class="field">
                <label for="film-csv">"…or paste it"</label>
                <textarea id="film-csv" name="csv" rows="4" node_ref=area placeholder="external_id,title,year"></textarea>
            </div>
            {move || match result() {
                Some(Ok(r)) => Some(view! {
                    <p class="notice" role="status">{format!("{} added, {} updated, {} unchanged.", r.created, r.updated, r.unchanged)}</p>
                }.into_any()),
                Some(Err(e)) => Some(view! {
                    <div class="alert" role="alert">
                        <p>"Nothing was changed:"</p>
                        <ul>{e.messages().into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}</ul>
                    </div>
                }.into_any()),
                None => None,
            }}
            <button type="submit" class="button" disabled=move || action.pending().get()>"Upload"</button>
        </form>
    }
}
