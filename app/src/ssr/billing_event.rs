//! What billing tells the world, as one typed enum: each event names the line it adds to
//! the payment's timeline and the outbox messages it sends (events for other services,
//! notices for the customer, role changes for the auth service). Services say *what*
//! happened; the wire shape of every message is written here once, so the timeline
//! and the outbox can never tell two different stories.

use chrono::{DateTime, Utc};
use entity::{invoices, payments, refunds, subscriptions, tariffs};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::Money;
use crate::domain::billing::InvoiceKind;
use crate::domain::subscription::access_until;
use crate::ssr::ServiceError;
use crate::ssr::outbox::{self, Destination};
use crate::ssr::providers::PaymentStatus as ProviderStatus;
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
    /// An invoice and the pending payment that will pay it were issued.
    InvoiceIssued {
        invoice: &'a invoices::Model,
        payment: &'a payments::Model,
        total: Money,
        /// The last digits of the saved card a renewal charges.
        card_last4: Option<&'a str>,
    },
    /// A newer checkout replaced the invoice this pending payment was for.
    InvoiceReplaced { payment_id: Uuid },
    /// Support voided the invoice this pending payment was for.
    InvoiceVoided {
        payment_id: Uuid,
        by: &'a str,
        reason: &'a str,
    },
    /// The provider created its payment; the customer pays on its page.
    ProviderPaymentCreated {
        payment_id: Uuid,
        provider_id: &'a str,
    },
    /// A call to the provider about the payment failed (no answer, or an error): the
    /// payment stays pending, and the same provider key finds it on the next try.
    ProviderCallFailed { payment_id: Uuid, error: String },
    /// Reconciliation asked the provider about a pending payment and got a final answer
    /// (settled by the same path as a webhook, which adds its own line).
    Polled {
        payment_id: Uuid,
        found: &'a ProviderStatus,
    },
    /// A refund of the payment was claimed (`by`: who asked).
    RefundRequested {
        payment_id: Uuid,
        by: String,
        reason: Option<&'a str>,
    },
    /// The provider's answer to a refund was lost: it stays pending and is asked again.
    RefundUnanswered { payment_id: Uuid, error: String },
    /// The provider refused the refund for good.
    RefundRefused { payment_id: Uuid, message: &'a str },
    /// "Your subscription ends soon", once per period.
    SubscriptionEnding {
        sub: &'a subscriptions::Model,
        tariff: &'a tariffs::Model,
    },
    /// The period ended without a renewal: grace begins, and the customer hears that the
    /// period ended (access continues through grace).
    SubscriptionLapsed {
        sub: &'a subscriptions::Model,
        tariff: &'a tariffs::Model,
    },
    /// Grace ran out: the entitlement is gone and `role` (if any) is revoked.
    /// `notify_ended` when the customer never got the "ended" notice (the worker missed
    /// the end of the period).
    SubscriptionExpired {
        sub: &'a subscriptions::Model,
        tariff: &'a tariffs::Model,
        role: Option<String>,
        notify_ended: bool,
    },
    /// Support moved the current period to another tariff; access follows at once.
    TariffChanged {
        sub: &'a subscriptions::Model,
        from: Option<&'a tariffs::Model>,
        to: &'a tariffs::Model,
    },
    /// Support gave a complimentary period: access runs to `ends_at` with no payment.
    ComplimentaryGranted {
        customer_id: Uuid,
        subscription_id: Uuid,
        tariff: &'a tariffs::Model,
        ends_at: DateTime<Utc>,
        reason: &'a str,
    },
}

type Message = (Destination, &'static str, Value);

impl BillingEvent<'_> {
    /// The payment whose timeline gets the line, the line's kind and its note (events
    /// about a subscription as a whole have none).
    pub fn timeline(&self) -> Option<(Uuid, &'static str, String)> {
        Some(match self {
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
            BillingEvent::InvoiceIssued {
                invoice,
                payment,
                card_last4,
                ..
            } => (
                payment.id,
                "created",
                match (invoice.kind, card_last4) {
                    (InvoiceKind::Renewal, Some(last4)) => {
                        format!("Renewal invoice {}, card ···· {last4}", invoice.number)
                    }
                    (InvoiceKind::Renewal, None) => format!("Renewal invoice {}", invoice.number),
                    (InvoiceKind::Purchase, _) => format!("Invoice {}", invoice.number),
                },
            ),
            BillingEvent::InvoiceReplaced { payment_id } => (
                *payment_id,
                "invoice_voided",
                "A newer checkout replaced this invoice".into(),
            ),
            BillingEvent::InvoiceVoided {
                payment_id,
                by,
                reason,
            } => (
                *payment_id,
                "invoice_voided",
                format!("Voided by {by}: {reason}"),
            ),
            BillingEvent::ProviderPaymentCreated {
                payment_id,
                provider_id,
            } => (
                *payment_id,
                "provider_payment_created",
                format!("Provider payment {provider_id}"),
            ),
            BillingEvent::ProviderCallFailed { payment_id, error } => {
                (*payment_id, "provider_error", error.clone())
            }
            BillingEvent::Polled { payment_id, found } => (
                *payment_id,
                "poll",
                match found {
                    ProviderStatus::Succeeded => "The poll found the payment succeeded".into(),
                    ProviderStatus::Failed { message, .. } => {
                        format!("The poll found the payment failed: {message}")
                    }
                    ProviderStatus::Canceled => "The poll found the payment canceled".into(),
                    ProviderStatus::Pending => "The poll found the payment still pending".into(),
                },
            ),
            BillingEvent::RefundRequested {
                payment_id,
                by,
                reason,
            } => (
                *payment_id,
                "refund_requested",
                match reason {
                    Some(r) => format!("Requested by {by}: {r}"),
                    None => format!("Requested by {by}"),
                },
            ),
            BillingEvent::RefundUnanswered { payment_id, error } => (
                *payment_id,
                "refund_error",
                format!("{error}; the refund stays pending and is checked again"),
            ),
            BillingEvent::RefundRefused {
                payment_id,
                message,
            } => (*payment_id, "refund_failed", message.to_string()),
            BillingEvent::SubscriptionEnding { .. }
            | BillingEvent::SubscriptionLapsed { .. }
            | BillingEvent::SubscriptionExpired { .. }
            | BillingEvent::TariffChanged { .. }
            | BillingEvent::ComplimentaryGranted { .. } => return None,
        })
    }

    /// Who reported it, when the event knows better than the caller: an invoice is
    /// issued by checkout (`api`) or by the renewal worker.
    fn source<'s>(&self, reported_by: &'s str) -> &'s str {
        match self {
            BillingEvent::InvoiceIssued { invoice, .. } => match invoice.kind {
                InvoiceKind::Purchase => "api",
                InvoiceKind::Renewal => "renewal",
            },
            _ => reported_by,
        }
    }

    /// The outbox messages, in the order consumers should see them.
    pub fn messages(&self, now: DateTime<Utc>) -> Vec<Message> {
        match self {
            BillingEvent::InvoiceIssued { invoice, total, .. } => vec![(
                Destination::Events,
                "invoice.issued",
                json!({
                    "invoice_id": invoice.id,
                    "number": invoice.number,
                    "customer_id": invoice.customer_id,
                    "tariff_id": invoice.tariff_id,
                    "months": invoice.months,
                    "kind": invoice.kind.as_str(),
                    "total": money(*total),
                    "issued_at": rfc3339(now),
                }),
            )],
            // Notes on the payment's way, for support: nothing another service acts on.
            BillingEvent::InvoiceReplaced { .. }
            | BillingEvent::InvoiceVoided { .. }
            | BillingEvent::ProviderPaymentCreated { .. }
            | BillingEvent::ProviderCallFailed { .. }
            | BillingEvent::Polled { .. }
            | BillingEvent::RefundRequested { .. }
            | BillingEvent::RefundUnanswered { .. }
            | BillingEvent::RefundRefused { .. } => Vec::new(),
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
                if invoice.kind == InvoiceKind::Renewal {
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
                    AccessChange::Revoked { role } => {
                        messages.push(revoke(payment.customer_id, role));
                    }
                }
                messages
            }
            BillingEvent::SubscriptionEnding { sub, tariff } => {
                vec![(
                    Destination::Notify,
                    "subscription_ending",
                    notice(sub, tariff),
                )]
            }
            BillingEvent::SubscriptionLapsed { sub, tariff } => {
                let data = notice(sub, tariff);
                vec![
                    (Destination::Events, "subscription.grace", data.clone()),
                    (Destination::Notify, "subscription_ended", data),
                ]
            }
            BillingEvent::SubscriptionExpired {
                sub,
                tariff,
                role,
                notify_ended,
            } => {
                let data = notice(sub, tariff);
                let mut messages =
                    vec![(Destination::Events, "subscription.expired", data.clone())];
                if *notify_ended {
                    messages.push((Destination::Notify, "subscription_ended", data));
                }
                if let Some(role) = role {
                    messages.push(revoke(sub.customer_id, role));
                }
                messages
            }
            BillingEvent::TariffChanged { sub, from, to } => {
                let mut messages = Vec::with_capacity(3);
                if let Some(from) = from
                    && from.role != to.role
                {
                    messages.push(revoke(sub.customer_id, &from.role));
                }
                messages.push(grant(
                    sub.customer_id,
                    &to.role,
                    access_until(sub.current_period_end),
                ));
                messages.push((
                    Destination::Events,
                    "subscription.changed",
                    json!({
                        "customer_id": sub.customer_id,
                        "subscription_id": sub.id,
                        "from_tariff": from.map(|t| t.code.clone()),
                        "to_tariff": to.code,
                    }),
                ));
                messages
            }
            BillingEvent::ComplimentaryGranted {
                customer_id,
                subscription_id,
                tariff,
                ends_at,
                reason,
            } => {
                let data = json!({
                    "customer_id": customer_id,
                    "subscription_id": subscription_id,
                    "tariff_id": tariff.id,
                    "tariff": tariff.code,
                    "tariff_name": tariff.name,
                    "period_end": rfc3339(*ends_at),
                    "reason": reason,
                });
                vec![
                    grant(*customer_id, &tariff.role, access_until(*ends_at)),
                    (Destination::Events, "subscription.granted", data.clone()),
                    (Destination::Notify, "complimentary_granted", data),
                ]
            }
        }
    }
}

/// What notices about a subscription say.
fn notice(sub: &subscriptions::Model, tariff: &tariffs::Model) -> Value {
    json!({
        "subscription_id": sub.id,
        "customer_id": sub.customer_id,
        "tariff": tariff.code,
        "tariff_name": tariff.name,
        "period_end": rfc3339(sub.current_period_end),
        "access_until": rfc3339(access_until(sub.current_period_end)),
        "auto_renew": sub.auto_renew,
    })
}

fn revoke(customer: Uuid, role: &str) -> Message {
    (
        Destination::Auth,
        "role.revoke",
        json!({"user_id": customer, "role": role}),
    )
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

/// Writes the events' timeline lines and outbox messages in the caller's transaction
/// (`source` names who reported it on the timeline: `webhook`, `poll`, `worker`…):
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
        .filter_map(|e| {
            let (payment, kind, note) = e.timeline()?;
            Some(timeline::line(
                payment,
                kind,
                e.source(source),
                None,
                Some(note),
                now,
            ))
        })
        .collect();
    timeline::insert_many(txn, lines).await?;
    let messages = events.iter().flat_map(|e| e.messages(now)).collect();
    outbox::enqueue_many(txn, messages, now).await
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::Currency;
    use crate::domain::billing::{InvoiceStatus, PaymentStatus, SubscriptionStatus};

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, 12, 0, 0).unwrap()
    }

    fn tariff(code: &str, role: &str) -> tariffs::Model {
        tariffs::Model {
            id: Uuid::now_v7(),
            code: code.into(),
            name: code.to_uppercase(),
            description: String::new(),
            role: role.into(),
            monthly_price_minor: 49_900,
            currency: "RUB".into(),
            active: true,
            created_at: at(1),
            updated_at: at(1),
        }
    }

    fn subscription(status: SubscriptionStatus) -> subscriptions::Model {
        subscriptions::Model {
            id: Uuid::now_v7(),
            customer_id: Uuid::now_v7(),
            tariff_id: Uuid::now_v7(),
            status,
            current_period_start: at(1),
            current_period_end: at(20),
            auto_renew: true,
            payment_method_id: None,
            reminded_for: None,
            renewal_attempts: 0,
            next_renewal_at: None,
            renewal_lease_until: None,
            next_tariff_id: None,
            created_at: at(1),
            updated_at: at(1),
        }
    }

    fn invoice(kind: InvoiceKind) -> invoices::Model {
        invoices::Model {
            id: Uuid::now_v7(),
            number: "KB-2026-000042".into(),
            customer_id: Uuid::now_v7(),
            tariff_id: Uuid::now_v7(),
            kind,
            months: 3,
            list_price_minor: 149_700,
            discount_kind: None,
            discount_percent_bp: None,
            discount_minor: 0,
            total_minor: 149_700,
            currency: "RUB".into(),
            promo_code_id: None,
            quote: json!({}),
            status: InvoiceStatus::Open,
            created_at: at(1),
            paid_at: None,
        }
    }

    fn payment(invoice: &invoices::Model) -> payments::Model {
        payments::Model {
            id: Uuid::now_v7(),
            invoice_id: invoice.id,
            customer_id: invoice.customer_id,
            provider: "sandbox".into(),
            provider_payment_id: None,
            provider_idempotency_key: "key".into(),
            status: PaymentStatus::Pending,
            amount_minor: invoice.total_minor,
            currency: "RUB".into(),
            save_payment_method: false,
            payment_method_id: None,
            confirmation_url: None,
            return_url: None,
            failure_code: None,
            failure_message: None,
            created_at: at(1),
            updated_at: at(1),
            paid_at: None,
            next_poll_at: None,
        }
    }

    fn names(event: &BillingEvent<'_>) -> Vec<(Destination, &'static str)> {
        event
            .messages(at(5))
            .into_iter()
            .map(|(to, name, _)| (to, name))
            .collect()
    }

    #[test]
    fn a_renewal_invoice_is_noted_by_the_worker_with_its_card() {
        let invoice = invoice(InvoiceKind::Renewal);
        let payment = payment(&invoice);
        let event = BillingEvent::InvoiceIssued {
            invoice: &invoice,
            payment: &payment,
            total: Money::from_minor(149_700, Currency::Rub),
            card_last4: Some("4242"),
        };
        let (on, kind, note) = event.timeline().unwrap();
        assert_eq!((on, kind), (payment.id, "created"));
        assert_eq!(note, "Renewal invoice KB-2026-000042, card ···· 4242");
        // Whoever records it, a renewal invoice was issued by the renewal worker.
        assert_eq!(event.source("api"), "renewal");
        let messages = event.messages(at(5));
        assert_eq!(messages.len(), 1);
        let (to, name, data) = &messages[0];
        assert_eq!((*to, *name), (Destination::Events, "invoice.issued"));
        assert_eq!(data["kind"], "renewal");
        assert_eq!(data["months"], 3);
        assert_eq!(
            data["total"],
            json!({"amount": "1497.00", "currency": "RUB"})
        );
    }

    #[test]
    fn a_purchase_invoice_is_noted_by_checkout() {
        let invoice = invoice(InvoiceKind::Purchase);
        let payment = payment(&invoice);
        let event = BillingEvent::InvoiceIssued {
            invoice: &invoice,
            payment: &payment,
            total: Money::from_minor(149_700, Currency::Rub),
            card_last4: None,
        };
        assert_eq!(event.timeline().unwrap().2, "Invoice KB-2026-000042");
        assert_eq!(event.source("renewal"), "api");
    }

    #[test]
    fn an_expiry_revokes_the_role_and_says_ended_only_to_who_missed_it() {
        let t = tariff("premium", "premium_viewer");
        let sub = subscription(SubscriptionStatus::Expired);
        let missed = BillingEvent::SubscriptionExpired {
            sub: &sub,
            tariff: &t,
            role: Some("premium_viewer".into()),
            notify_ended: true,
        };
        assert_eq!(
            names(&missed),
            vec![
                (Destination::Events, "subscription.expired"),
                (Destination::Notify, "subscription_ended"),
                (Destination::Auth, "role.revoke"),
            ]
        );
        let told = BillingEvent::SubscriptionExpired {
            sub: &sub,
            tariff: &t,
            role: None,
            notify_ended: false,
        };
        assert_eq!(
            names(&told),
            vec![(Destination::Events, "subscription.expired")]
        );
        // Subscription events have no payment to put a timeline line on.
        assert!(told.timeline().is_none());
    }

    #[test]
    fn a_notice_names_the_tariff_and_the_end_of_access() {
        let t = tariff("classic", "viewer");
        let sub = subscription(SubscriptionStatus::Active);
        let event = BillingEvent::SubscriptionEnding {
            sub: &sub,
            tariff: &t,
        };
        let messages = event.messages(at(5));
        let (to, name, data) = &messages[0];
        assert_eq!((*to, *name), (Destination::Notify, "subscription_ending"));
        assert_eq!(data["tariff"], "classic");
        assert_eq!(data["tariff_name"], "CLASSIC");
        assert_eq!(data["period_end"], rfc3339(at(20)));
        assert_eq!(data["access_until"], rfc3339(access_until(at(20))));
    }

    #[test]
    fn a_tariff_change_revokes_the_old_role_only_when_it_differs() {
        let classic = tariff("classic", "viewer");
        let family = tariff("family", "viewer");
        let premium = tariff("premium", "premium_viewer");
        let sub = subscription(SubscriptionStatus::Active);
        let up = BillingEvent::TariffChanged {
            sub: &sub,
            from: Some(&classic),
            to: &premium,
        };
        assert_eq!(
            names(&up),
            vec![
                (Destination::Auth, "role.revoke"),
                (Destination::Auth, "role.grant"),
                (Destination::Events, "subscription.changed"),
            ]
        );
        let same_role = BillingEvent::TariffChanged {
            sub: &sub,
            from: Some(&classic),
            to: &family,
        };
        assert_eq!(
            names(&same_role),
            vec![
                (Destination::Auth, "role.grant"),
                (Destination::Events, "subscription.changed"),
            ]
        );
    }

    #[test]
    fn process_notes_go_on_the_timeline_and_nowhere_else() {
        let id = Uuid::now_v7();
        let found = ProviderStatus::Failed {
            code: "card_declined".into(),
            message: "Declined".into(),
        };
        let notes = [
            BillingEvent::InvoiceReplaced { payment_id: id },
            BillingEvent::Polled {
                payment_id: id,
                found: &found,
            },
            BillingEvent::RefundRequested {
                payment_id: id,
                by: "customer:1".into(),
                reason: Some("changed my mind"),
            },
            BillingEvent::RefundUnanswered {
                payment_id: id,
                error: "timeout".into(),
            },
        ];
        let lines: Vec<_> = notes.iter().map(|e| e.timeline().unwrap()).collect();
        assert_eq!(
            lines.iter().map(|l| (l.0, l.1)).collect::<Vec<_>>(),
            vec![
                (id, "invoice_voided"),
                (id, "poll"),
                (id, "refund_requested"),
                (id, "refund_error"),
            ]
        );
        assert_eq!(lines[1].2, "The poll found the payment failed: Declined");
        assert_eq!(lines[2].2, "Requested by customer:1: changed my mind");
        assert_eq!(
            lines[3].2,
            "timeout; the refund stays pending and is checked again"
        );
        assert!(notes.iter().all(|e| e.messages(at(5)).is_empty()));
    }
}
