//! Schema migrations, one file per change. A landed migration is never edited: add a new one.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_create_staff_and_sessions;
mod m20261123_000002_create_customers;
mod m20261123_000003_create_catalog;
mod m20261123_000004_create_pricing;
mod m20261123_000005_create_reliability;
mod m20261123_000006_pricing_details;
mod m20261123_000007_create_billing;
mod m20261123_000008_create_sandbox;
mod m20261123_000009_lifecycle;
mod m20261201_000010_payment_polls;
mod m20261203_000011_renewal_window;
mod m20261204_000012_renewal_lease_index;
mod m20261205_000013_billing_rules;
mod m20261205_000014_status_checks;
mod m20261205_000015_sandbox_personalities;
mod m20261205_000016_staff_lifecycle;
mod m20261205_000017_console;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_staff_and_sessions::Migration),
            Box::new(m20261123_000002_create_customers::Migration),
            Box::new(m20261123_000003_create_catalog::Migration),
            Box::new(m20261123_000004_create_pricing::Migration),
            Box::new(m20261123_000005_create_reliability::Migration),
            Box::new(m20261123_000006_pricing_details::Migration),
            Box::new(m20261123_000007_create_billing::Migration),
            Box::new(m20261123_000008_create_sandbox::Migration),
            Box::new(m20261123_000009_lifecycle::Migration),
            Box::new(m20261201_000010_payment_polls::Migration),
            Box::new(m20261203_000011_renewal_window::Migration),
            Box::new(m20261204_000012_renewal_lease_index::Migration),
            Box::new(m20261205_000013_billing_rules::Migration),
            Box::new(m20261205_000014_status_checks::Migration),
            Box::new(m20261205_000015_sandbox_personalities::Migration),
            Box::new(m20261205_000016_staff_lifecycle::Migration),
            Box::new(m20261205_000017_console::Migration),
        ]
    }
}
