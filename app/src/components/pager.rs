use leptos::prelude::*;

/// "21–40 of 57" and previous/next links. `href_for(page)` builds the link for a page,
/// keeping the table's filters in the URL so every view is shareable and bookmarkable.
#[component]
pub fn Pager(
    page: u32,
    page_count: u32,
    first: u64,
    last: u64,
    total: u64,
    href_for: impl Fn(u32) -> String + 'static,
) -> impl IntoView {
    let prev = (page > 1).then(|| href_for(page - 1));
    let next = (page < page_count).then(|| href_for(page + 1));
    view! {
        <nav class="pager" aria-label="Pages">
            <span class="pager-range">
                {if total == 0 { "No results".to_string() } else { format!("{first}–{last} of {total}") }}
            </span>
            <span class="pager-links">
                {match prev {
                    Some(href) => view! { <a class="button ghost" href=href rel="prev">"← Previous"</a> }.into_any(),
                    None => view! { <span class="button ghost disabled" aria-disabled="true">"← Previous"</span> }.into_any(),
                }}
                <span class="pager-page">{format!("Page {page} of {page_count}")}</span>
                {match next {
                    Some(href) => view! { <a class="button ghost" href=href rel="next">"Next →"</a> }.into_any(),
                    None => view! { <span class="button ghost disabled" aria-disabled="true">"Next →"</span> }.into_any(),
                }}
            </span>
        </nav>
    }
}

/// Keyset pages: "Newest" back to the start and "Older …" to the next page. `base` is
/// the list's URL with its filters; the cursor is appended to it.
#[component]
pub fn CursorPager(
    base: String,
    next_cursor: Option<String>,
    /// Whether this page is past the first.
    deep: bool,
    /// "Older payments", "More films"…
    older: &'static str,
    /// Where the same rows download as CSV, if they do.
    #[prop(optional)]
    csv: Option<String>,
) -> impl IntoView {
    let sep = if base.contains('?') { '&' } else { '?' };
    let next = next_cursor.map(|c| format!("{base}{sep}cursor={}", super::encode_query_value(&c)));
    view! {
        <nav class="pager" aria-label="Pages">
            <span class="pager-range">
                {csv.map(|href| view! { <a class="button ghost small" href=href download="">"Export CSV"</a> })}
            </span>
            <div class="pager-links">
                {deep.then(|| view! { <a class="button small" href=base.clone()>"Newest"</a> })}
                {match next {
                    Some(href) => view! { <a class="button small" href=href rel="next">{older}</a> }.into_any(),
                    None => view! { <span class="muted">"End of list"</span> }.into_any(),
                }}
            </div>
        </nav>
    }
}
