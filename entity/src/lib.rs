//! SeaORM entities, one file per table. Only `app::ssr::repo` touches these.

pub mod audit_log;
pub mod customers;
pub mod films;
pub mod idempotency_keys;
pub mod login_attempts;
pub mod month_discounts;
pub mod outbox;
pub mod personal_discounts;
pub mod promo_code_tariffs;
pub mod promo_codes;
pub mod promo_redemptions;
pub mod sessions;
pub mod staff_tokens;
pub mod staff_users;
pub mod tariff_films;
pub mod tariff_price_history;
pub mod tariffs;
