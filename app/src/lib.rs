#![recursion_limit = "512"]
//! Kinobill's pages, server functions and (with `ssr`) services.

pub mod api;
pub mod components;
pub mod domain;
pub mod dto;
pub mod error;
pub mod pages;
mod root;
#[cfg(feature = "ssr")]
pub mod ssr;

pub use root::{App, shell};
