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
    )),
    modifiers(&StaffToken),
)]
pub struct ApiDoc;

struct StaffToken;

impl Modify for StaffToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "staff_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("Staff API token from `server staff token`"))
                    .build(),
            ),
        );
    }
}

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
