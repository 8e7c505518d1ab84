//! Support voids an open invoice: it can no longer be paid, its promo reservation is
//! released, and its pending payment is canceled at the provider. A customer who pays
//! the old page a moment before the cancel gets their money back the way a replaced
//! checkout does (settled as superseded and refunded).

use entity::status::{InvoiceKind, InvoiceStatus, PaymentStatus};
use entity::{customers, invoices, payments};
use sea_orm::EntityTrait;
use serde_json::json;
use uuid::Uuid;

use crate::dto::AdminInvoiceDto;
use crate::ssr::billing_event::{self, BillingEvent};
use crate::ssr::repo::audit::{self, Actor, AuditEntry};
use crate::ssr::repo::{
    begin_write, for_no_key_update, invoices as invoice_repo, payments as payment_repo,
};
use crate::ssr::services::{checkout, invoice_admin, pricing};
use crate::ssr::{AppState, ServiceError};

pub async fn void(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    reason: &str,
) -> Result<AdminInvoiceDto, ServiceError> {
    let reason = crate::domain::validation::required_reason(reason)?;
    let now = state.clock.now();
    let txn = begin_write(&state.db).await?;
    let invoice = invoices::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound { entity: "invoice" })?;
    // The customer's checkouts and this void take turns, as two checkouts do.
    for_no_key_update(customers::Entity::find_by_id(invoice.customer_id), &txn)
        .one(&txn)
        .await?;
    // Payments first, in id order: the order settlement locks them in.
    let locked: Vec<payments::Model> = payment_repo::lock_of_invoices(&txn, &[id]).await?;
    let invoice = invoice_repo::find(&txn, id)
        .await?
        .ok_or(ServiceError::NotFound { entity: "invoice" })?;
    if invoice.status != InvoiceStatus::Open {
        return Err(ServiceError::Conflict {
            code: "invoice_not_open",
            message: format!(
                "Invoice {} is {}; only an open invoice can be voided.",
                invoice.number, invoice.status
            ),
        });
    }
    if invoice.kind == InvoiceKind::Renewal {
        return Err(ServiceError::rule(
            "renewal_invoice",
            "id",
            "A renewal invoice belongs to the renewal in progress; turn off auto-renew instead.",
        ));
    }
    let pending: Vec<payments::Model> = locked
        .into_iter()
        .filter(|p| p.status == PaymentStatus::Pending)
        .collect();
    invoice_repo::void_open(&txn, &[id]).await?;
    pricing::release_redemptions(&txn, &[id]).await?;
    let events: Vec<BillingEvent> = pending
        .iter()
        .map(|p| BillingEvent::InvoiceVoided {
            payment_id: p.id,
            by: &actor.label,
            reason: &reason,
        })
        .collect();
    billing_event::record(&txn, &events, "staff", now).await?;
    audit::record(
        &txn,
        AuditEntry {
            actor,
            action: "invoice.voided",
            entity_type: "invoice",
            entity_id: id.to_string(),
            before: Some(json!({"number": invoice.number, "status": "open"})),
            after: Some(json!({"number": invoice.number, "status": "void", "reason": reason})),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    checkout::cancel_at_provider(state, pending).await;
    invoice_admin::get(&state.db, id).await
}
