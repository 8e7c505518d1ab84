//! What billing tells the world, as one typed enum: each event names the line it adds to
//! the payment's timeline and the outbox messages it sends (events for other services,
//! notices for the customer, role changes for the auth service). Services say *what*
//! happened; the wire shape of every message is written here once, so the timeline
//! and the outbox can never tell two different stories.

use chrono::{DateTime, Utc};
use entity::{invoices, payments, refunds, tariffs};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::Money;
use crate::domain::subscription::access_until;
use crate::ssr::ServiceError;
use crate::ssr::outbox::{self, Destination};
use crate::ssr::repo::timeline;
use crate::ssr::time::rfc3339;

/// A renewal that failed and will be tried again.
#[derive(Debug, Clone, Copy)]
pub struct RetryPlan {
    /// The attempt that comes next (1-based).
    pub attempt: i32,
    pub next_attempt_at: DateTime<Utc>,
    /// The end of the period the customer has paid for.
    pub period_end: DateTime<Utc>,
}

/// What a refund did to the customer's access.
#[derive(Debug, Clone)]
pub enum AccessChange {
    /// The payment bought no period (a superseded payment), or it was revoked before.
    Unchanged,
    Until {
        role: String,
        until: DateTime<Utc>,
    },
    Revoked {
        role: String,
    },
}

#[derive(Debug, Clone)]
pub enum BillingEvent<'a> {
    /// The provider confirmed a payment and it bought `[starts_at, ends_at)`.
    PaymentSucceeded {
        payment: &'a payments::Model,
        invoice: &'a invoices::Model,
        tariff: &'a tariffs::Model,
        amount: Money,
        subscription_id: Uuid,
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
    },
    /// The provider confirmed a payment that buys nothing any more: refunded at once.
    PaymentSuperseded {
        payment: &'a payments::Model,
        invoice: &'a invoices::Model,
        amount: Money,
    },
    /// The bank said no (`canceled == false`), or nobody finished the payment.
    PaymentFailed {
        payment: &'a payments::Model,
        canceled: bool,
        code: &'a str,
        message: &'a str,
        /// Purchases tell the customer; renewals tell them only with a retry plan.
        renewal: bool,
        retry: Option<RetryPlan>,
    },
    RefundSucceeded {
        refund: &'a refunds::Model,
        payment: &'a payments::Model,
        amount: Money,
        access: AccessChange,
    },
}

type Message = (Destination, &'static str, Value);

impl BillingEvent<'_> {
    /// The payment whose timeline gets the line, the line's kind and its note.
    pub fn timeline(&self) -> (Uuid, &'static str, String) {
        match self {
            BillingEvent::PaymentSucceeded {
                payment,
                amount,
                ends_at,
                ..
            } => (
                payment.id,
                "settled",
                format!(
                    "Paid {}; access until {}",
                    amount.display(),
                    rfc3339(access_until(*ends_at))
                ),
            ),
            BillingEvent::PaymentSuperseded {
                payment,
                invoice,
                amount,
            } => (
                payment.id,
                "superseded",
                format!(
                    "Paid {} for invoice {}, which no longer buys access (another tariff is running or the invoice was replaced); refunded automatically",
                    amount.display(),
                    invoice.number
                ),
            ),
            BillingEvent::PaymentFailed {
                payment,
                canceled,
                message,
                ..
            } => (
                payment.id,
                if *canceled { "canceled" } else { "failed" },
                message.to_string(),
            ),
            BillingEvent::RefundSucceeded {
                payment, amount, ..
            } => (
                payment.id,
                "refunded",
                format!("Refunded {}", amount.display()),
            ),
        }
    }

    /// The outbox messages, in the order consumers should see them.
    pub fn messages(&self, now: DateTime<Utc>) -> Vec<Message> {
        match self {
            BillingEvent::PaymentSucceeded {
                payment,
                invoice,
                tariff,
                amount,
                subscription_id,
                starts_at,
                ends_at,
            } => {
                let mut data = paid(payment, invoice, *amount);
                data["tariff_id"] = json!(tariff.id);
                data["tariff"] = json!(tariff.code);
                data["period_start"] = json!(rfc3339(*starts_at));
                data["period_end"] = json!(rfc3339(*ends_at));
                data["paid_at"] = json!(rfc3339(now));
                let mut messages = vec![(Destination::Events, "payment.succeeded", data.clone())];
                if invoice.kind == "renewal" {
                    messages.push((
                        Destination::Events,
                        "subscription.renewed",
                        json!({
                            "subscription_id": subscription_id,
                            "customer_id": payment.customer_id,
                            "tariff_id": tariff.id,
                            "payment_id": payment.id,
                            "period_start": rfc3339(*starts_at),
                            "period_end": rfc3339(*ends_at),
                        }),
                    ));
                    messages.push((Destination::Notify, "subscription_renewed", data));
                } else {
                    messages.push((Destination::Notify, "payment_succeeded", data));
                }
                messages.push(grant(
                    payment.customer_id,
                    &tariff.role,
                    access_until(*ends_at),
                ));
                messages
            }
            BillingEvent::PaymentSuperseded {
                payment,
                invoice,
                amount,
            } => {
                let mut data = paid(payment, invoice, *amount);
                data["tariff_id"] = json!(invoice.tariff_id);
                data["reason"] = json!("superseded");
                vec![
                    (Destination::Events, "payment.superseded", data.clone()),
                    (Destination::Notify, "payment_superseded", data),
                ]
            }
            BillingEvent::PaymentFailed {
                payment,
                canceled,
                code,
                message,
                renewal,
                retry,
            } => {
                let data = json!({
                    "payment_id": payment.id,
                    "invoice_id": payment.invoice_id,
                    "customer_id": payment.customer_id,
                    "code": code,
                    "message": message,
                });
                // Consumers tell a bank's "no" from a payment nobody finished by the key.
                let event = if *canceled {
                    "payment.canceled"
                } else {
                    "payment.failed"
                };
                let mut messages = vec![(Destination::Events, event, data.clone())];
                match (renewal, retry) {
                    (true, Some(plan)) => {
                        let mut notice = data;
                        notice["attempt"] = json!(plan.attempt);
                        notice["next_attempt_at"] = json!(rfc3339(plan.next_attempt_at));
                        notice["access_until"] = json!(rfc3339(access_until(plan.period_end)));
                        messages.push((Destination::Notify, "renewal_failed", notice));
                    }
                    (false, _) if !canceled => {
                        messages.push((Destination::Notify, "payment_failed", data));
                    }
                    _ => {}
                }
                messages
            }
            BillingEvent::RefundSucceeded {
                refund,
                payment,
                amount,
                access,
            } => {
                let data = json!({
                    "refund_id": refund.id,
                    "payment_id": payment.id,
                    "invoice_id": payment.invoice_id,
                    "customer_id": payment.customer_id,
                    "amount": money(*amount),
                    "reason": refund.reason,
                    "refunded_at": rfc3339(now),
                });
                let mut messages = vec![
                    (Destination::Events, "refund.succeeded", data.clone()),
                    (Destination::Notify, "refund_succeeded", data),
                ];
                match access {
                    AccessChange::Unchanged => {}
                    AccessChange::Until { role, until } => {
                        messages.push(grant(payment.customer_id, role, *until));
                    }
                    AccessChange::Revoked { role } => messages.push((
                        Destination::Auth,
                        "role.revoke",
                        json!({"user_id": payment.customer_id, "role": role}),
                    )),
                }
                messages
            }
        }
    }
}

/// The fields every message about money that arrived shares.
fn paid(payment: &payments::Model, invoice: &invoices::Model, amount: Money) -> Value {
    json!({
        "payment_id": payment.id,
        "invoice_id": invoice.id,
        "invoice_number": invoice.number,
        "customer_id": payment.customer_id,
        "amount": money(amount),
    })
}

fn money(m: Money) -> Value {
    json!({"amount": m.to_wire(), "currency": m.currency().code()})
}

fn grant(customer: Uuid, role: &str, until: DateTime<Utc>) -> Message {
    (
        Destination::Auth,
        "role.grant",
        json!({"user_id": customer, "role": role, "valid_until": rfc3339(until)}),
    )
}

/// Writes the events' timeline lines and outbox messages in the caller's transaction:
/// one statement each, whatever the number of events.
pub async fn record<C: ConnectionTrait>(
    txn: &C,
    events: &[BillingEvent<'_>],
    source: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if events.is_empty() {
        return Ok(());
    }
    let lines = events
        .iter()
        .map(|e| {
            let (payment, kind, note) = e.timeline();
            timeline::line(payment, kind, source, None, Some(note), now)
        })
        .collect();
    timeline::insert_many(txn, lines).await?;
    let messages = events.iter().flat_map(|e| e.messages(now)).collect();
    outbox::enqueue_many(txn, messages, now).await
}
