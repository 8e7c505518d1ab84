//! Rules for a complimentary period support gives: how long it runs.

use chrono::{DateTime, TimeDelta, Utc};

use super::DomainError;

/// The longest complimentary period one grant gives.
pub const MAX_DAYS: i64 = 366;

/// How long the gift runs: a number of days, or to a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantLength {
    Days(i64),
    Until(DateTime<Utc>),
}

impl GrantLength {
    /// Exactly one of `days` and `until` (text as typed; empty is "not given"), each
    /// within a year of `now`.
    pub fn parse(days: &str, until: &str, now: DateTime<Utc>) -> Result<GrantLength, DomainError> {
        match (days.trim(), until.trim()) {
            ("", "") => Err(DomainError::invalid(
                "days",
                "give the number of days, or the date it runs to",
            )),
            (d, u) if !d.is_empty() && !u.is_empty() => Err(DomainError::invalid(
                "days",
                "give either days or a date, not both",
            )),
            (d, "") => match d.parse::<i64>() {
                Ok(n) if (1..=MAX_DAYS).contains(&n) => Ok(GrantLength::Days(n)),
                _ => Err(DomainError::invalid(
                    "days",
                    format!("enter a whole number of days from 1 to {MAX_DAYS}"),
                )),
            },
            (_, u) => {
                let at = super::promo::parse_instant(u, "until")?
                    .ok_or_else(|| DomainError::invalid("until", "enter a date like 2026-12-31"))?;
                if at <= now {
                    Err(DomainError::invalid("until", "choose a date in the future"))
                } else if at > now + TimeDelta::days(MAX_DAYS) {
                    Err(DomainError::invalid(
                        "until",
                        format!("choose a date within {MAX_DAYS} days"),
                    ))
                } else {
                    Ok(GrantLength::Until(at))
                }
            }
        }
    }

    /// Where access ends after the gift, given where paid access ends now (`None`: no
    /// access): days are added after what the customer already has; a date must lie
    /// beyond it.
    pub fn end(
        self,
        current_end: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, DomainError> {
        let from = current_end.filter(|e| *e > now).unwrap_or(now);
        match self {
            GrantLength::Days(n) => Ok(from + TimeDelta::days(n)),
            GrantLength::Until(at) if at > from => Ok(at),
            GrantLength::Until(_) => Err(DomainError::invalid(
                "until",
                "the customer already has access past that date",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 5, 12, 0, 0).unwrap()
    }

    #[test]
    fn days_or_a_date_but_not_both_nor_neither() {
        assert_eq!(
            GrantLength::parse("14", "", now()),
            Ok(GrantLength::Days(14))
        );
        assert!(GrantLength::parse("", "", now()).is_err());
        assert!(GrantLength::parse("14", "2027-01-01", now()).is_err());
        assert!(GrantLength::parse("0", "", now()).is_err());
        assert!(GrantLength::parse("367", "", now()).is_err());
        assert!(GrantLength::parse("", "2026-12-01", now()).is_err());
        assert!(GrantLength::parse("", "2028-01-01", now()).is_err());
        assert!(matches!(
            GrantLength::parse("", "2027-01-01", now()),
            Ok(GrantLength::Until(_))
        ));
    }

    #[test]
    fn days_add_after_paid_access_and_a_date_must_pass_it() {
        let paid_to = now() + TimeDelta::days(10);
        assert_eq!(
            GrantLength::Days(7).end(Some(paid_to), now()).unwrap(),
            paid_to + TimeDelta::days(7)
        );
        assert_eq!(
            GrantLength::Days(7).end(None, now()).unwrap(),
            now() + TimeDelta::days(7)
        );
        // Access that already ended does not count.
        let ended = now() - TimeDelta::days(3);
        assert_eq!(
            GrantLength::Days(7).end(Some(ended), now()).unwrap(),
            now() + TimeDelta::days(7)
        );
        let soon = now() + TimeDelta::days(5);
        assert!(GrantLength::Until(soon).end(Some(paid_to), now()).is_err());
        assert_eq!(GrantLength::Until(soon).end(None, now()).unwrap(), soon);
    }
}
