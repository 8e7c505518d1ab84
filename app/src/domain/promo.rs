//! What a promo code may promise. Checked in the browser before submit and again on the
//! server, with the same messages.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::pricing::{DiscountValue, Percent, PromoCode};
use super::{Currency, DomainError, Money};

/// Promo terms as typed into a form or sent over REST.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromoTermsInput {
    #[serde(default)]
    pub percent: String,
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub valid_from: String,
    #[serde(default)]
    pub valid_until: String,
    #[serde(default)]
    pub max_redemptions: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromoTerms {
    pub value: DiscountValue,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    pub max_redemptions: Option<i32>,
}

/// `2026-12-31` (start of that day, UTC) or a full RFC 3339 time.
pub fn parse_instant(
    input: &str,
    field: &'static str,
) -> Result<Option<DateTime<Utc>>, DomainError> {
    let s = input.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Some(t.and_utc()))
        .ok_or_else(|| DomainError::invalid(field, "enter a date like 2026-12-31"))
}

/// Every problem at once, keyed by field.
pub fn validate_promo_terms(input: &PromoTermsInput) -> Result<PromoTerms, Vec<DomainError>> {
    let mut errors = Vec::new();
    let value = match (input.percent.trim(), input.amount.trim()) {
        ("", "") => {
            errors.push(DomainError::invalid(
                "percent",
                "give a percent or a fixed amount",
            ));
            None
        }
        (p, "") => Percent::parse(p, "percent")
            .map(DiscountValue::Percent)
            .map_err(|e| errors.push(e))
            .ok(),
        ("", a) => match Money::parse(a, Currency::Rub, "amount") {
            Ok(m) if m.minor() > 0 => Some(DiscountValue::Amount(m)),
            Ok(_) => {
                errors.push(DomainError::invalid(
                    "amount",
                    "the amount must be above zero",
                ));
                None
            }
            Err(e) => {
                errors.push(e);
                None
            }
        },
        (_, _) => {
            errors.push(DomainError::invalid(
                "amount",
                "give either a percent or an amount, not both",
            ));
            None
        }
    };
    let valid_from = parse_instant(&input.valid_from, "valid_from")
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let valid_until = parse_instant(&input.valid_until, "valid_until")
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    if let (Some(from), Some(until)) = (valid_from, valid_until)
        && until <= from
    {
        errors.push(DomainError::invalid(
            "valid_until",
            "the end must be after the start",
        ));
    }
    let max_redemptions = match input.max_redemptions.trim() {
        "" => None,
        s => match s.parse::<i32>() {
            Ok(n) if n >= 1 => Some(n),
            _ => {
                errors.push(DomainError::invalid(
                    "max_redemptions",
                    "enter a whole number of at least 1, or leave empty",
                ));
                None
            }
        },
    };
    match value {
        Some(value) if errors.is_empty() => Ok(PromoTerms {
            value,
            valid_from,
            valid_until,
            max_redemptions,
        }),
        _ => Err(errors),
    }
}

/// A prefix for generated codes: the code rules, but short enough to leave room.
pub fn validate_batch_prefix(input: &str) -> Result<String, DomainError> {
    let prefix = input.trim().to_ascii_uppercase();
    let ok = (1..=20).contains(&prefix.len())
        && prefix
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(prefix)
    } else {
        Err(DomainError::invalid(
            "prefix",
            "use 1–20 letters, digits or '-'",
        ))
    }
}

pub const MAX_BATCH: u32 = 10_000;

pub fn validate_batch_count(input: &str) -> Result<u32, DomainError> {
    match input.trim().parse::<u32>() {
        Ok(n) if (1..=MAX_BATCH).contains(&n) => Ok(n),
        _ => Err(DomainError::invalid(
            "count",
            "generate from 1 to 10000 codes at once",
        )),
    }
}

pub fn validate_promo_code(input: &str) -> Result<PromoCode, DomainError> {
    PromoCode::parse(input).map_err(|e| DomainError::invalid("code", e.message().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(percent: &str, amount: &str) -> PromoTermsInput {
        PromoTermsInput {
            percent: percent.into(),
            amount: amount.into(),
            ..Default::default()
        }
    }

    #[test]
    fn exactly_one_kind_of_discount() {
        assert!(matches!(
            validate_promo_terms(&terms("10", "")).unwrap().value,
            DiscountValue::Percent(_)
        ));
        assert!(matches!(
            validate_promo_terms(&terms("", "150")).unwrap().value,
            DiscountValue::Amount(_)
        ));
        assert_eq!(
            validate_promo_terms(&terms("", "")).unwrap_err()[0].field(),
            "percent"
        );
        assert_eq!(
            validate_promo_terms(&terms("10", "150")).unwrap_err()[0].field(),
            "amount"
        );
        assert_eq!(
            validate_promo_terms(&terms("150", "")).unwrap_err()[0].field(),
            "percent"
        );
    }

    #[test]
    fn dates_and_limits() {
        let mut t = terms("10", "");
        t.valid_from = "2026-12-31".into();
        t.valid_until = "2026-12-01".into();
        t.max_redemptions = "0".into();
        let fields: Vec<String> = validate_promo_terms(&t)
            .unwrap_err()
            .iter()
            .map(|e| e.field().to_string())
            .collect();
        assert_eq!(fields, ["valid_until", "max_redemptions"]);
        assert!(
            parse_instant("2026-11-23T10:00:00Z", "x")
                .unwrap()
                .is_some()
        );
        assert!(parse_instant("tomorrow", "x").is_err());
    }

    #[test]
    fn batch_limits() {
        assert_eq!(validate_batch_prefix("xmas-").unwrap(), "XMAS-");
        assert!(validate_batch_prefix("bad prefix").is_err());
        assert_eq!(validate_batch_count("10000").unwrap(), 10_000);
        assert!(validate_batch_count("10001").is_err());
        assert!(validate_batch_count("0").is_err());
    }
}
