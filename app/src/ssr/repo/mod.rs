//! Persistence: SeaORM queries, mapping rows to domain/DTO types. Models stop here.

pub mod audit;
pub mod catalog;
pub mod staff;
