//! The billing state machine (ARCHITECTURE.md, "Subscription and entitlement rules"):
//! which moves between the statuses of subscriptions, invoices, payments and refunds are
//! allowed, and what a paid or refunded period does to a subscription. Pure functions
//! of `(state, event, now)`, so the rules are tested without a database and every
//! service asks the same questions in the same words. The status enums themselves are
//! the entities' (`entity::status`): the stored values, read into types at the edge.

use chrono::{DateTime, Utc};

pub use entity::status::{
    InvoiceKind, InvoiceStatus, PaymentStatus, RefundStatus, SubscriptionStatus, UnknownStatus,
};

/// The stored name of the discount a quote applied.
impl From<super::pricing::DiscountKind> for entity::status::DiscountKind {
    fn from(k: super::pricing::DiscountKind) -> Self {
        use super::pricing::DiscountKind as Applied;
        match k {
            Applied::Personal => Self::Personal,
            Applied::Promo => Self::Promo,
            Applied::Months => Self::Months,
        }
    }
}

use super::subscription::{GRACE, next_period_start};

/// The moves a status may make.
pub trait Transition: Copy {
    fn can_become(self, next: Self) -> bool;
}

/// The customer may watch (the period, or its grace, has not run out).
pub fn has_access(status: SubscriptionStatus) -> bool {
    matches!(
        status,
        SubscriptionStatus::Active | SubscriptionStatus::Grace
    )
}

/// The provider's word is final: later or repeated news never moves it back.
pub fn is_final(status: PaymentStatus) -> bool {
    !matches!(status, PaymentStatus::Pending)
}

impl Transition for PaymentStatus {
    fn can_become(self, next: PaymentStatus) -> bool {
        use PaymentStatus::*;
        matches!(
            (self, next),
            (Pending, Succeeded | Failed | Canceled) | (Succeeded, Refunded)
        )
    }
}

impl Transition for InvoiceStatus {
    fn can_become(self, next: InvoiceStatus) -> bool {
        use InvoiceStatus::*;
        matches!((self, next), (Open, Paid | Void))
    }
}

impl Transition for RefundStatus {
    fn can_become(self, next: RefundStatus) -> bool {
        use RefundStatus::*;
        matches!((self, next), (Pending, Succeeded | Failed))
    }
}

/// The subscription as the rules see it: its status, tariff and period end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscriptionState<T> {
    pub status: SubscriptionStatus,
    pub tariff: T,
    /// A switch the customer scheduled for the next period.
    pub next_tariff: Option<T>,
    pub period_end: DateTime<Utc>,
}

/// What a confirmed payment for `tariff` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaidPeriod {
    /// It buys the period `[starts, starts + months)`: a new subscription, one after a
    /// lapse (from now), or the same tariff (or the scheduled next one) from its end.
    Extend { starts: DateTime<Utc> },
    /// The money arrived for something we no longer sell to this customer: another
    /// tariff while one is active or in grace (access never stacks), or an invoice that
    /// was voided meanwhile. It is refunded automatically (`superseded`).
    Superseded,
}

/// The rule for a payment that succeeded: extend, start anew, or refund.
pub fn on_payment_succeeded<T: PartialEq>(
    current: Option<&SubscriptionState<T>>,
    invoice: InvoiceStatus,
    tariff: &T,
    now: DateTime<Utc>,
) -> PaidPeriod {
    if invoice != InvoiceStatus::Open {
        return PaidPeriod::Superseded;
    }
    match current {
        Some(s)
            if has_access(s.status)
                && s.tariff != *tariff
                && s.next_tariff.as_ref() != Some(tariff) =>
        {
            PaidPeriod::Superseded
        }
        Some(s) if has_access(s.status) => PaidPeriod::Extend {
            starts: next_period_start(Some(s.period_end), now),
        },
        _ => PaidPeriod::Extend { starts: now },
    }
}

/// Where a subscription stands once a refund took a period away and the end of its
/// current stretch (which began at `stretch_start`) moved back to `period_end`: what was
/// there before the payment, as far as time allows. Nothing paid left in the stretch:
/// canceled (the refund ended the access). Otherwise active while it lasts, in grace
/// for two days after, then expired.
pub fn after_refund(
    stretch_start: DateTime<Utc>,
    period_end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> SubscriptionStatus {
    if period_end <= stretch_start {
        SubscriptionStatus::Canceled
    } else if period_end > now {
        SubscriptionStatus::Active
    } else if period_end + GRACE > now {
        SubscriptionStatus::Grace
    } else {
        SubscriptionStatus::Expired
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeDelta, TimeZone};
    use proptest::prelude::*;

    fn at(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + TimeDelta::hours(h)
    }

    fn sub(status: SubscriptionStatus, tariff: u8, end: i64) -> SubscriptionState<u8> {
        SubscriptionState {
            status,
            tariff,
            next_tariff: None,
            period_end: at(end),
        }
    }

    #[test]
    fn every_status_reads_back_from_its_stored_text() {
        for s in SubscriptionStatus::ALL {
            assert_eq!(s.as_str().parse::<SubscriptionStatus>(), Ok(*s));
        }
        for s in PaymentStatus::ALL {
            assert_eq!(s.as_str().parse::<PaymentStatus>(), Ok(*s));
        }
        for s in InvoiceStatus::ALL {
            assert_eq!(s.as_str().parse::<InvoiceStatus>(), Ok(*s));
        }
        for s in RefundStatus::ALL {
            assert_eq!(s.as_str().parse::<RefundStatus>(), Ok(*s));
        }
        assert_eq!(
            "paid".parse::<PaymentStatus>(),
            Err(UnknownStatus {
                kind: "payment",
                value: "paid".into()
            })
        );
    }

    #[test]
    fn a_payment_moves_only_forward() {
        use PaymentStatus::*;
        assert!(Pending.can_become(Succeeded));
        assert!(Succeeded.can_become(Refunded));
        assert!(!Failed.can_become(Succeeded), "a decline is final");
        assert!(!Refunded.can_become(Succeeded));
        assert!(!Canceled.can_become(Pending));
        assert!(InvoiceStatus::Open.can_become(InvoiceStatus::Void));
        assert!(!InvoiceStatus::Void.can_become(InvoiceStatus::Paid));
        assert!(!RefundStatus::Failed.can_become(RefundStatus::Succeeded));
    }

    #[test]
    fn the_same_tariff_extends_from_the_end_and_another_one_is_superseded() {
        let active = sub(SubscriptionStatus::Active, 1, 100);
        assert_eq!(
            on_payment_succeeded(Some(&active), InvoiceStatus::Open, &1, at(10)),
            PaidPeriod::Extend { starts: at(100) }
        );
        assert_eq!(
            on_payment_succeeded(Some(&active), InvoiceStatus::Open, &2, at(10)),
            PaidPeriod::Superseded
        );
        let grace = sub(SubscriptionStatus::Grace, 1, 100);
        assert_eq!(
            on_payment_succeeded(Some(&grace), InvoiceStatus::Open, &1, at(110)),
            PaidPeriod::Extend { starts: at(110) },
            "in grace the lost hours are not sold again"
        );
        assert_eq!(
            on_payment_succeeded(Some(&grace), InvoiceStatus::Open, &2, at(110)),
            PaidPeriod::Superseded
        );
        let switching = SubscriptionState {
            next_tariff: Some(2),
            ..active
        };
        assert_eq!(
            on_payment_succeeded(Some(&switching), InvoiceStatus::Open, &2, at(10)),
            PaidPeriod::Extend { starts: at(100) },
            "the scheduled tariff starts where the current one ends"
        );
        let expired = sub(SubscriptionStatus::Expired, 1, 100);
        assert_eq!(
            on_payment_succeeded(Some(&expired), InvoiceStatus::Open, &2, at(200)),
            PaidPeriod::Extend { starts: at(200) }
        );
        assert_eq!(
            on_payment_succeeded(
                None::<&SubscriptionState<u8>>,
                InvoiceStatus::Void,
                &1,
                at(0)
            ),
            PaidPeriod::Superseded,
            "a voided invoice never buys access"
        );
    }

    #[test]
    fn a_refund_restores_what_was_there_before() {
        assert_eq!(
            after_refund(at(0), at(10), at(5)),
            SubscriptionStatus::Active
        );
        assert_eq!(
            after_refund(at(0), at(10), at(20)),
            SubscriptionStatus::Grace
        );
        assert_eq!(
            after_refund(at(0), at(10), at(10 + 48)),
            SubscriptionStatus::Expired
        );
        assert_eq!(
            after_refund(at(5), at(5), at(6)),
            SubscriptionStatus::Canceled,
            "the only period refunded: no access, not grace"
        );
    }

    proptest! {
        /// Whatever the state, a paid period never starts in the past, never overlaps
        /// the current one, and another tariff never gets access while one is running.
        #[test]
        fn a_paid_period_never_stacks_access(
            status in 0usize..4, held in 0u8..3, paid in 0u8..3, next in proptest::option::of(0u8..3),
            end in -2000i64..2000, now in -2000i64..2000, open in any::<bool>(),
        ) {
            let current = SubscriptionState { next_tariff: next, ..sub(SubscriptionStatus::ALL[status], held, end) };
            let invoice = if open { InvoiceStatus::Open } else { InvoiceStatus::Void };
            match on_payment_succeeded(Some(&current), invoice, &paid, at(now)) {
                PaidPeriod::Extend { starts } => {
                    prop_assert!(open);
                    prop_assert!(starts >= at(now));
                    if has_access(current.status) {
                        prop_assert!(held == paid || next == Some(paid));
                        prop_assert!(starts >= current.period_end.min(at(now)));
                    }
                }
                PaidPeriod::Superseded => {
                    prop_assert!(
                        !open || (has_access(current.status) && held != paid && next != Some(paid))
                    );
                }
            }
        }

        #[test]
        fn access_after_a_refund_matches_the_remaining_time(
            start in -2000i64..2000, end in -2000i64..2000, now in -2000i64..2000,
        ) {
            let status = after_refund(at(start), at(end), at(now));
            prop_assert_eq!(has_access(status), end > start && at(end) + GRACE > at(now));
        }
    }
}
