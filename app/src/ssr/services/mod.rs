//! Business operations. Server functions and REST handlers call these and nothing below.

pub mod catalog;
pub mod discounts;
pub mod pricing;
pub mod promos;
pub mod seed;
pub mod staff;
