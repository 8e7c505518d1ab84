//! Business operations. Server functions and REST handlers call these and nothing below.

pub mod account;
pub mod audit_log;
pub mod catalog;
pub mod checkout;
pub mod customer_search;
pub mod customers;
pub mod dashboard;
pub mod discounts;
pub mod films;
pub mod integrity;
pub mod invoice_admin;
pub mod invoice_void;
pub mod invoicing;
pub mod notifications;
pub mod outbox_admin;
pub mod payments;
pub mod pricing;
pub mod promos;
pub mod refunds;
pub mod seed;
pub mod settlement;
pub mod staff;
pub mod staff_admin;
pub mod subscription_list;
pub mod support;
pub mod test_clock;
