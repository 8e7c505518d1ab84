//! Subscription time rules (ARCHITECTURE.md): calendar months in UTC, two days of grace
//! after the period end, the customer refund window.

use chrono::{DateTime, Months as ChronoMonths, TimeDelta, Utc};

/// Access continues this long after the period end while a renewal is retried.
pub const GRACE: TimeDelta = TimeDelta::days(2);

/// `start` plus `months` calendar months: Jan 31 + 1 month = Feb 28 (29 in leap years).
pub fn add_months(start: DateTime<Utc>, months: u32) -> DateTime<Utc> {
    start
        .checked_add_months(ChronoMonths::new(months))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Where a newly paid period starts: a renewal (or an early purchase) continues from the
/// current period end; after a lapse it starts now.
pub fn next_period_start(current_end: Option<DateTime<Utc>>, now: DateTime<Utc>) -> DateTime<Utc> {
    match current_end {
        Some(end) if end > now => end,
        _ => now,
    }
}

/// Until when the customer may watch, given the period end.
pub fn access_until(period_end: DateTime<Utc>) -> DateTime<Utc> {
    period_end + GRACE
}

/// The last instant a customer may still ask for their money back.
pub fn refundable_until(paid_at: DateTime<Utc>, window: TimeDelta) -> DateTime<Utc> {
    paid_at + window
}

/// True while the refund window is open (the boundary itself is still inside).
pub fn refund_window_open(paid_at: DateTime<Utc>, window: TimeDelta, now: DateTime<Utc>) -> bool {
    now <= refundable_until(paid_at, window)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
    }

    #[test]
    fn months_are_calendar_months() {
        assert_eq!(add_months(at(2026, 1, 31), 1), at(2026, 2, 28));
        assert_eq!(add_months(at(2028, 1, 31), 1), at(2028, 2, 29));
        assert_eq!(add_months(at(2026, 3, 15), 12), at(2027, 3, 15));
    }

    #[test]
    fn a_renewal_continues_from_the_period_end() {
        let now = at(2026, 5, 1);
        assert_eq!(
            next_period_start(Some(at(2026, 5, 10)), now),
            at(2026, 5, 10)
        );
        assert_eq!(next_period_start(Some(at(2026, 4, 10)), now), now);
        assert_eq!(next_period_start(None, now), now);
    }

    #[test]
    fn the_refund_window_includes_its_last_second() {
        let paid = at(2026, 5, 1);
        let w = TimeDelta::minutes(60);
        assert!(refund_window_open(paid, w, paid + TimeDelta::seconds(3599)));
        assert!(refund_window_open(paid, w, paid + TimeDelta::seconds(3600)));
        assert!(!refund_window_open(
            paid,
            w,
            paid + TimeDelta::seconds(3601)
        ));
        assert_eq!(access_until(at(2026, 5, 1)), at(2026, 5, 3));
    }
}
