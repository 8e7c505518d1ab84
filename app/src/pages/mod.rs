pub mod admin;
pub mod customer;
pub mod not_found;
