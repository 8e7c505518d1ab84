//! Server functions of the console's dashboard, lists and invoice page. Each checks the
//! staff role itself; filters arrive as the page's query-string text.

use leptos::prelude::*;
use uuid::Uuid;

use crate::dto::{
    AdminInvoiceDto, AuditPageDto, CustomerPageDto, DashboardDto, InvoicePageDto,
    SubscriptionPageDto,
};
use crate::error::AppError;

/// Rows per console page.
pub const CONSOLE_PAGE: u64 = 25;

#[cfg(feature = "ssr")]
fn cursor(c: &str) -> Option<&str> {
    Some(c.trim()).filter(|c| !c.is_empty())
}

#[cfg(feature = "ssr")]
fn text(v: String) -> Option<String> {
    Some(v.trim().to_string()).filter(|v| !v.is_empty() && v != "all")
}

/// A date typed into a filter; `to` dates include that whole day.
#[cfg(feature = "ssr")]
pub(super) fn day(
    v: &str,
    field: &'static str,
    inclusive_end: bool,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, AppError> {
    let parsed = crate::domain::promo::parse_instant(v, field).map_err(super::respond_err)?;
    Ok(parsed.map(|t| {
        if inclusive_end {
            t + chrono::TimeDelta::days(1)
        } else {
            t
        }
    }))
}

#[server(prefix = "/rpc", endpoint = "admin_dashboard")]
pub async fn admin_dashboard(from: String, to: String) -> Result<DashboardDto, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::services::dashboard::{self, Range};

    let (state, staff) = require_staff(StaffRole::can_view_catalog)
        .await
        .map_err(super::respond_err)?;
    let date = |v: &str, field: &'static str| -> Result<Option<chrono::NaiveDate>, AppError> {
        let v = v.trim();
        if v.is_empty() {
            return Ok(None);
        }
        v.parse().map(Some).map_err(|_| {
            super::respond_err(crate::ssr::ServiceError::rule(
                "validation_failed",
                field,
                format!("{field} must be a date such as 2026-11-01."),
            ))
        })
    };
    let range = Range::parse(
        date(&from, "from")?,
        date(&to, "to")?,
        state.clock.now().date_naive(),
    )
    .map_err(super::respond_err)?;
    dashboard::dashboard(&state.db, range, staff.role.can_see_money())
        .await
        .map_err(super::respond_err)
}

#[server(prefix = "/rpc", endpoint = "admin_customers")]
pub async fn admin_customers(q: String, cursor: String) -> Result<CustomerPageDto, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::services::customer_search;

    let (state, _) = require_staff(StaffRole::can_support)
        .await
        .map_err(super::respond_err)?;
    customer_search::search(&state.db, Some(&q), CONSOLE_PAGE, self::cursor(&cursor))
        .await
        .map_err(super::respond_err)
}

#[server(prefix = "/rpc", endpoint = "admin_subscriptions")]
pub async fn admin_subscriptions(
    status: String,
    tariff_id: String,
    cursor: String,
) -> Result<SubscriptionPageDto, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::services::subscription_list::{self, SubscriptionFilter};

    let (state, _) = require_staff(StaffRole::can_support)
        .await
        .map_err(super::respond_err)?;
    let filter = SubscriptionFilter {
        status: text(status),
        tariff_id: Uuid::parse_str(tariff_id.trim()).ok(),
    };
    subscription_list::list(&state.db, &filter, CONSOLE_PAGE, self::cursor(&cursor))
        .await
        .map_err(super::respond_err)
}

#[server(prefix = "/rpc", endpoint = "admin_invoices")]
pub async fn admin_invoices(
    status: String,
    customer: String,
    from: String,
    to: String,
    cursor: String,
) -> Result<InvoicePageDto, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::services::invoice_admin::{self, InvoiceFilter};

    let (state, _) = require_staff(StaffRole::can_support)
        .await
        .map_err(super::respond_err)?;
    let Some(customer_id) =
        crate::ssr::services::discounts::customer_filter(&state.db, Some(&customer))
            .await
            .map_err(super::respond_err)?
    else {
        return Ok(InvoicePageDto {
            data: Vec::new(),
            next_cursor: None,
        });
    };
    let filter = InvoiceFilter {
        status: text(status),
        customer_id,
        from: day(&from, "from", false)?,
        to: day(&to, "to", true)?,
    };
    invoice_admin::list(&state.db, &filter, CONSOLE_PAGE, self::cursor(&cursor))
        .await
        .map_err(super::respond_err)
}

#[server(prefix = "/rpc", endpoint = "admin_invoice")]
pub async fn admin_invoice(id: Uuid) -> Result<crate::dto::WithFormKey<AdminInvoiceDto>, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::services::invoice_admin;

    let (state, _) = require_staff(StaffRole::can_support)
        .await
        .map_err(super::respond_err)?;
    let data = invoice_admin::get(&state.db, id)
        .await
        .map_err(super::respond_err)?;
    Ok(crate::dto::WithFormKey {
        data,
        form_key: uuid::Uuid::new_v4().to_string(),
    })
}

/// Voids an open invoice, once per form key (a double submit voids once).
#[server(prefix = "/rpc", endpoint = "admin_void_invoice")]
pub async fn admin_void_invoice(
    id: Uuid,
    reason: String,
    key: String,
) -> Result<AdminInvoiceDto, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::repo::audit::Actor;
    use crate::ssr::services::invoice_void;

    let (state, staff) = require_staff(StaffRole::can_support)
        .await
        .map_err(super::respond_err)?;
    let scope = format!("staff:{}", staff.id);
    let request = format!(
        "admin_void_invoice {}",
        serde_json::json!({"id": id, "reason": reason})
    );
    let actor = Actor::staff(staff.id, &staff.email);
    crate::ssr::idempotency::once(&state.db, state.clock.now(), &scope, &key, &request, || {
        invoice_void::void(&state, &actor, id, &reason)
    })
    .await
    .map_err(super::respond_err)
}

#[server(prefix = "/rpc", endpoint = "admin_audit")]
pub async fn admin_audit(
    actor: String,
    action: String,
    entity_type: String,
    entity_id: String,
    from: String,
    to: String,
    cursor: String,
) -> Result<AuditPageDto, AppError> {
    use crate::domain::StaffRole;
    use crate::ssr::auth::require_staff;
    use crate::ssr::services::audit_log::{self, AuditFilter};

    let (state, _) = require_staff(StaffRole::can_read_audit)
        .await
        .map_err(super::respond_err)?;
    let filter = AuditFilter {
        actor: text(actor),
        action: text(action),
        entity_type: text(entity_type),
        entity_id: text(entity_id),
        from: day(&from, "from", false)?,
        to: day(&to, "to", true)?,
    };
    audit_log::list(&state.db, &filter, CONSOLE_PAGE, self::cursor(&cursor))
        .await
        .map_err(super::respond_err)
}
