//! Reusable widgets: page states, pager, form fields.

mod pager;
mod states;

pub use pager::Pager;
pub use states::{EmptyState, ErrorState, LoadingRows};
