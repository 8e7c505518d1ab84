//! What the console's lists, dashboard and audit log exchange with the server (and REST
//! callers: these are also the bodies of API.md's wave-2 admin endpoints).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{AdminPaymentRowDto, DiscountDto, MoneyDto, RefundDto};

/// A keyset page: `next_cursor` fetches the rows after the last one, `None` at the end.
macro_rules! cursor_page {
    ($(#[$doc:meta])* $name:ident, $row:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
        pub struct $name {
            pub data: Vec<$row>,
            pub next_cursor: Option<String>,
        }
    };
}

/// A film of the catalogue, as the console and `GET /api/v1/admin/films` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AdminFilmDto {
    pub id: Uuid,
    /// The Movies DB's id.
    pub external_id: String,
    pub title: String,
    pub year: i32,
    pub active: bool,
    /// How many tariffs include it.
    pub tariffs: u32,
    pub created_at: String,
    pub updated_at: Option<String>,
}

cursor_page!(
    /// Films, newest first.
    FilmPageDto,
    AdminFilmDto
);

/// What a bulk upsert did: `PUT /api/v1/admin/films`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FilmUpsertReportDto {
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
}

/// One customer in the search results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AdminCustomerRowDto {
    pub id: Uuid,
    pub email: Option<String>,
    pub name: Option<String>,
    pub created_at: String,
    /// `none`, `active`, `grace`, `expired` or `canceled`.
    pub subscription_status: String,
    pub tariff_name: Option<String>,
    pub current_period_end: Option<String>,
}

cursor_page!(
    /// Customers, newest first.
    CustomerPageDto,
    AdminCustomerRowDto
);

/// One subscription in the subscriptions list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AdminSubscriptionRowDto {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub customer_email: Option<String>,
    pub tariff_id: Uuid,
    pub tariff_name: String,
    /// `active`, `grace`, `expired` or `canceled`.
    pub status: String,
    pub current_period_start: String,
    pub current_period_end: String,
    pub auto_renew: bool,
    /// The tariff it switches to at the next renewal, if one is scheduled.
    pub next_tariff_name: Option<String>,
    pub created_at: String,
}

cursor_page!(
    /// Subscriptions, newest first.
    SubscriptionPageDto,
    AdminSubscriptionRowDto
);

/// One invoice in the invoices list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AdminInvoiceRowDto {
    pub id: Uuid,
    /// Human number, e.g. `KB-2026-000123`.
    pub number: String,
    pub customer_id: Uuid,
    pub customer_email: Option<String>,
    pub tariff_id: Uuid,
    pub tariff_name: String,
    /// `purchase` or `renewal`.
    pub kind: String,
    pub months: u32,
    pub total: MoneyDto,
    /// `open`, `paid` or `void`.
    pub status: String,
    pub created_at: String,
    pub paid_at: Option<String>,
}

cursor_page!(
    /// Invoices, newest first.
    InvoicePageDto,
    AdminInvoiceRowDto
);

/// One invoice with the quote frozen on it, its payments and refunds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AdminInvoiceDto {
    pub invoice: AdminInvoiceRowDto,
    pub list_price: MoneyDto,
    /// The discount the quote applied (one at most: the best wins).
    pub applied_discount: Option<DiscountDto>,
    /// The discounts that lost to it, with why.
    pub rejected_discounts: Vec<DiscountDto>,
    pub promo_code: Option<String>,
    /// The quote exactly as frozen at checkout.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub quote: serde_json::Value,
    pub payments: Vec<AdminPaymentRowDto>,
    pub refunds: Vec<RefundDto>,
    /// Why support voided it, when they did.
    pub void_reason: Option<String>,
}

/// One field that an audited change changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditChangeDto {
    /// A dotted path into the entity, e.g. `monthly_price.amount`.
    pub field: String,
    /// The value before, as JSON text; `None` when the field was added.
    pub before: Option<String>,
    /// The value after, as JSON text; `None` when the field was removed.
    pub after: Option<String>,
}

/// One row of the audit log: who did what, when, and the readable difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditEntryDto {
    pub id: Uuid,
    pub at: String,
    /// The staff member's e-mail, or the system part that acted (`cli`, `seed`, …).
    pub actor: String,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub before: Option<serde_json::Value>,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub after: Option<serde_json::Value>,
    pub changes: Vec<AuditChangeDto>,
}

cursor_page!(
    /// The audit log, newest first.
    AuditPageDto,
    AuditEntryDto
);

/// Active subscribers of one tariff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TariffCountDto {
    pub tariff_id: Uuid,
    pub tariff_name: String,
    pub count: u64,
}

/// Money taken on one day (payments that succeeded, less refunds made that day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DailyAmountDto {
    pub date: String,
    pub amount: MoneyDto,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RefundTotalsDto {
    pub count: u64,
    /// Left out for a role that may not see money.
    pub amount: Option<MoneyDto>,
}

/// The figures of one range, used for the range asked about and the one before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DashboardTotalsDto {
    pub from: String,
    pub to: String,
    /// Left out for a role that may not see money.
    pub revenue: Option<MoneyDto>,
    pub refunds: RefundTotalsDto,
    pub new_subscribers: u64,
    pub churned_subscribers: u64,
    pub promo_redemptions: u64,
}

/// `GET /api/v1/admin/dashboard`: the business at a glance for a range of days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DashboardDto {
    /// First day of the range (inclusive), `YYYY-MM-DD`.
    pub from: String,
    /// Last day of the range (inclusive).
    pub to: String,
    /// Monthly recurring revenue now: each active or grace subscription's tariff price.
    /// Left out for a role that may not see money.
    pub mrr: Option<MoneyDto>,
    pub active_subscribers: Vec<TariffCountDto>,
    /// One entry per day of the range; left out for a role that may not see money.
    pub revenue: Option<Vec<DailyAmountDto>>,
    pub refunds: RefundTotalsDto,
    pub new_subscribers: u64,
    pub churned_subscribers: u64,
    pub promo_redemptions: u64,
    /// The same figures for the range of equal length just before.
    pub previous: DashboardTotalsDto,
}

/// A complimentary period support gave (`POST /api/v1/admin/customers/{id}/grants`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GrantDto {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub tariff_id: Uuid,
    pub starts_at: String,
    /// Where access now ends (before the grace days every period has).
    pub ends_at: String,
    pub reason: String,
    pub granted_by: String,
    pub created_at: String,
}

/// The grant and the subscription it left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GrantResultDto {
    pub grant: GrantDto,
    pub subscription: super::SubscriptionDto,
}
