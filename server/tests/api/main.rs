//! Black-box tests: each starts the real `Application` on port 0 with a fresh database
//! (SQLite, or PostgreSQL with TEST_DATABASE=postgres) and talks HTTP to it.

mod admin_api;
mod billing_machine;
mod billing_rules;
mod checkout_api;
mod cli;
mod cloudpayments_api;
mod cloudpayments_personality;
mod console_api;
mod customer_auth;
mod discounts_api;
mod helpers;
mod jobs_api;
mod lifecycle_api;
mod metrics_api;
mod migrations;
mod pages;
mod platform;
mod pricing_api;
mod promo_admin_api;
mod provider_contract;
mod relays_api;
mod sdk_clients;
mod settlement_batch;
mod staff_admin;
mod staff_login;
mod support_api;
mod tariffs_api;
mod workers_pg;
mod yookassa_api;
