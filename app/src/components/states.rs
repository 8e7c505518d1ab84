use leptos::prelude::*;

use crate::error::AppError;

/// Placeholder rows while a table loads, so the layout does not jump.
#[component]
pub fn LoadingRows(
    #[prop(default = 3)] rows: usize,
    #[prop(default = "Loading…")] label: &'static str,
) -> impl IntoView {
    view! {
        <div class="loading" role="status" aria-live="polite">
            <span class="visually-hidden">{label}</span>
            {(0..rows).map(|_| view! { <div class="skeleton-row" aria-hidden="true"></div> }).collect_view()}
        </div>
    }
}

#[component]
pub fn EmptyState(
    title: String,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="empty-state">
            <p class="empty-title">{title}</p>
            {hint.map(|h| view! { <p class="empty-hint">{h}</p> })}
            {children.map(|c| c())}
        </div>
    }
}

/// A failed load, worded for a person; a lost session gets a way back in.
#[component]
pub fn ErrorState(error: AppError) -> impl IntoView {
    let (title, action) = match &error {
        AppError::Unauthorized(_) => (
            "Your session has ended.",
            Some(("/admin/login", "Sign in again")),
        ),
        AppError::Forbidden => ("You do not have access to this section.", None),
        AppError::NotFound => ("Nothing here.", None),
        AppError::Transport(_) => (
            "Could not reach the server. Check your connection and reload.",
            None,
        ),
        _ => ("Something went wrong while loading.", None),
    };
    let detail = match &error {
        AppError::Validation { message, .. }
        | AppError::Conflict(message)
        | AppError::TooManyRequests(message) => Some(message.clone()),
        _ => None,
    };
    view! {
        <div class="error-state" role="alert">
            <p class="error-title">{title}</p>
            {detail.map(|d| view! { <p>{d}</p> })}
            {action.map(|(href, label)| view! { <a class="button" href=href>{label}</a> })}
        </div>
    }
}
