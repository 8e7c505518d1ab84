//! Reusable widgets: page states, pager, form fields.

mod field;
mod pager;
mod states;
mod url;
mod when;

pub use field::{FormErrors, TextField, input_value};
pub use pager::Pager;
pub use states::{EmptyState, ErrorState, LoadingRows};
pub use url::encode_query_value;
pub use when::when;
