//! Reusable widgets: page states, pager, form fields.

mod chart;
mod field;
mod filter;
mod pager;
mod states;
mod url;
mod when;

pub use chart::{Bar, BarChart, HBars};
pub use field::{FormErrors, TextField, input_value};
pub use filter::SelectFilter;
pub use pager::{CursorPager, Pager};
pub use states::{EmptyState, ErrorState, LoadingRows};
pub use url::{encode_query_value, with_query};
pub use when::when;
