//! The OpenAPI document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{error, health, rest};

#[derive(OpenApi)]
#[openapi(
    info(title = "Kinobill API", version = "1", description = "Subscription billing for an online cinema. See API.md for the contract."),
    paths(
        health::healthz,
        health::readyz,
        rest::tariffs::list,
        rest::admin_tariffs::list,
        rest::admin_tariffs::create,
        rest::admin_tariffs::patch,
        rest::admin_discounts::set,
        rest::admin_discounts::remove,
        rest::admin_discounts::list,
        rest::quotes::create,
        rest::admin_month_discounts::list,
        rest::admin_month_discounts::replace,
        rest::admin_promos::list,
        rest::admin_promos::create,
        rest::admin_promos::batch,
        rest::admin_promos::patch,
        rest::admin_promos::delete,
        rest::checkout::create,
        rest::payments::get,
        rest::payments::refund,
        rest::me::subscription,
        rest::me::patch_subscription,
        rest::me::payments,
        rest::me::statement,
        rest::entitlements::get,
        rest::webhooks::receive,
        rest::webhooks::receive_kind,
        rest::admin_support::list,
        rest::admin_support::get,
        rest::admin_support::refund,
        rest::admin_support::customer,
        rest::admin_support::change_tariff,
        rest::admin_support::adjust,
        rest::me::notifications,
        rest::admin_system::outbox,
        rest::admin_system::retry,
        rest::admin_system::clock,
        rest::admin_system::advance_clock,
        rest::admin_system::integrity,
        rest::admin_staff::list,
        rest::admin_staff::create,
        rest::admin_staff::patch,
        rest::admin_staff::unlock,
        rest::admin_staff::tokens,
        rest::admin_staff::revoke_token,
        rest::admin_console::dashboard,
        rest::admin_console::customers,
        rest::admin_console::subscriptions,
        rest::admin_console::invoices,
        rest::admin_console::invoice,
        rest::admin_console::audit,
        rest::admin_support::void_invoice,
        rest::admin_support::grant,
        rest::admin_films::list,
        rest::admin_films::create,
        rest::admin_films::patch,
        rest::admin_films::upsert,
    ),
    components(schemas(
        error::ErrorBody,
        error::ErrorDetail,
        app::dto::NotificationDto,
        app::dto::NotificationPageDto,
        app::dto::OutboxMessageDto,
        app::dto::OutboxCountsDto,
        app::dto::OutboxPageDto,
        app::dto::RelayDto,
        app::dto::TestClockDto,
        rest::admin_system::AdvanceClock,
        app::dto::IntegrityReportDto,
        app::dto::IntegrityViolationDto,
        app::dto::TariffDto,
        app::dto::FilmDto,
        app::dto::MoneyDto,
        rest::tariffs::TariffList,
        rest::admin_tariffs::AdminTariffList,
        rest::admin_tariffs::CreateTariff,
        rest::admin_tariffs::PatchTariff,
        rest::admin_discounts::SetDiscount,
        rest::admin_discounts::DiscountList,
        app::dto::PersonalDiscountDto,
        rest::quotes::QuoteBody,
        rest::admin_month_discounts::MonthDiscountRow,
        rest::admin_promos::PromoList,
        rest::admin_promos::CreatePromo,
        rest::admin_promos::CreateBatch,
        rest::admin_promos::Terms,
        rest::admin_promos::PatchPromo,
        app::dto::PromoDto,
        app::dto::PromoBatchDto,
        app::dto::QuoteDto,
        app::dto::DiscountDto,
        app::dto::MonthDiscountDto,
        rest::checkout::CheckoutBody,
        rest::payments::RefundBody,
        rest::me::SubscriptionPatch,
        rest::me::PaymentPage,
        rest::me::Statement,
        app::dto::CheckoutDto,
        app::dto::InvoiceDto,
        app::dto::PaymentDto,
        app::dto::RefundDto,
        app::dto::RefundResultDto,
        app::dto::SubscriptionDto,
        app::dto::TariffSummaryDto,
        app::dto::StatementLineDto,
        app::dto::EntitlementDto,
        app::dto::EntitlementRoleDto,
        rest::admin_support::StaffRefundBody,
        rest::admin_support::ChangeTariff,
        rest::admin_support::Adjustment,
        app::dto::AdminPaymentRowDto,
        app::dto::AdminPaymentPageDto,
        app::dto::AdminPaymentDto,
        app::dto::PaymentEventDto,
        app::dto::AdminCustomerDto,
        app::dto::CustomerDto,
        app::dto::StaffMemberDto,
        app::dto::StaffInviteDto,
        app::dto::StaffTokenDto,
        app::domain::StaffRole,
        rest::admin_staff::StaffList,
        rest::admin_staff::TokenList,
        rest::admin_staff::CreateStaff,
        rest::admin_staff::PatchStaff,
        app::dto::DashboardDto,
        app::dto::DashboardTotalsDto,
        app::dto::TariffCountDto,
        app::dto::DailyAmountDto,
        app::dto::RefundTotalsDto,
        app::dto::CustomerPageDto,
        app::dto::AdminCustomerRowDto,
        app::dto::SubscriptionPageDto,
        app::dto::AdminSubscriptionRowDto,
        app::dto::InvoicePageDto,
        app::dto::AdminInvoiceRowDto,
        app::dto::AdminInvoiceDto,
        app::dto::AuditPageDto,
        app::dto::AuditEntryDto,
        app::dto::AuditChangeDto,
        app::dto::AdminFilmDto,
        app::dto::FilmPageDto,
        app::dto::FilmUpsertReportDto,
        rest::admin_films::FilmBody,
        rest::admin_films::FilmPatchBody,
        rest::admin_films::FilmUpsertBody,
        rest::admin_support::VoidInvoice,
        rest::admin_support::GrantBody,
        app::dto::GrantDto,
        app::dto::GrantResultDto,
    )),
    modifiers(&Credentials),
)]
pub struct ApiDoc;

/// The three credential schemes of API.md, and which one each path takes (decided here,
/// once, by the path's prefix, so a new endpoint cannot forget to say).
struct Credentials;

fn bearer(description: &str, format: Option<&str>) -> SecurityScheme {
    let mut http = HttpBuilder::new()
        .scheme(HttpAuthScheme::Bearer)
        .description(Some(description));
    if let Some(format) = format {
        http = http.bearer_format(format);
    }
    SecurityScheme::Http(http.build())
}

/// The schemes a path accepts; an empty list for public ones. `optional` adds the
/// anonymous alternative (a quote works without a token).
fn credentials_of(path: &str) -> (Vec<&'static str>, bool) {
    if path.starts_with("/api/v1/admin/") {
        (vec!["staff_token"], false)
    } else if path.starts_with("/api/v1/entitlements/") {
        (vec!["service_token"], false)
    } else if path.starts_with("/api/v1/me/")
        || path == "/api/v1/checkout"
        || path.starts_with("/api/v1/payments/")
    {
        (vec!["customer_jwt"], false)
    } else if path == "/api/v1/quotes" {
        (vec!["customer_jwt"], true)
    } else {
        // Health, the public tariff list, and webhooks (each provider's own signature).
        (Vec::new(), false)
    }
}

impl Modify for Credentials {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::SecurityRequirement;
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "staff_token",
            bearer("Staff API token from `server staff token`", None),
        );
        components.add_security_scheme(
            "customer_jwt",
            bearer(
                "The auth service's HS256 JWT: `sub` = customer id, `exp` required",
                Some("JWT"),
            ),
        );
        components.add_security_scheme(
            "service_token",
            bearer(
                "`KINOBILL__SERVICE_TOKEN` of the cinema's other services",
                None,
            ),
        );
        for (path, item) in openapi.paths.paths.iter_mut() {
            let (schemes, optional) = credentials_of(path);
            let mut requirements: Vec<SecurityRequirement> = schemes
                .iter()
                .map(|s| SecurityRequirement::new(*s, Vec::<String>::new()))
                .collect();
            if optional {
                requirements.push(SecurityRequirement::default());
            }
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                op.security = Some(requirements.clone());
            }
        }
    }
}

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
