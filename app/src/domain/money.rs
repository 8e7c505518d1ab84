//! Money: a `Decimal` always rounded to the currency's minor unit (half-up), stored as
//! integer minor units. There is exactly one rounding function, [`Money::new`].

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::DomainError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Currency {
    #[default]
    #[serde(rename = "RUB")]
    Rub,
}

impl Currency {
    /// Number of decimal places of the minor unit (kopecks for RUB).
    pub fn minor_digits(self) -> u32 {
        match self {
            Currency::Rub => 2,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Currency::Rub => "RUB",
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Currency::Rub => "₽",
        }
    }
}

impl FromStr for Currency {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "RUB" => Ok(Currency::Rub),
            other => Err(DomainError::invalid(
                "currency",
                format!("unsupported currency \"{other}\" (supported: RUB)"),
            )),
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An amount of money in one currency. The amount is always rounded to the minor unit,
/// so two `Money` values that print the same are equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

/// Largest amount we accept anywhere: keeps `amount * 10^digits` inside `i64`
/// with a wide margin (a billion roubles is far beyond any tariff).
const MAX_MAJOR: i64 = 1_000_000_000_000;

impl Money {
    /// Rounds half-up (away from zero at .5) to the currency's minor unit.
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        let amount = amount.round_dp_with_strategy(
            currency.minor_digits(),
            RoundingStrategy::MidpointAwayFromZero,
        );
        Money { amount, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Money::new(Decimal::ZERO, currency)
    }

    pub fn from_minor(minor: i64, currency: Currency) -> Self {
        Money::new(Decimal::new(minor, currency.minor_digits()), currency)
    }

    /// Parses a user-entered amount such as `"499"`, `"499.5"` or `"1 234,50"`.
    /// Negative amounts and more precision than the minor unit are refused rather
    /// than silently rounded: a price typed by a person should mean what it says.
    pub fn parse(
        input: &str,
        currency: Currency,
        field: &'static str,
    ) -> Result<Self, DomainError> {
        let cleaned: String = input
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}')
            .map(|c| if c == ',' { '.' } else { c })
            .collect();
        if cleaned.is_empty() {
            return Err(DomainError::invalid(field, "enter an amount"));
        }
        let amount = Decimal::from_str(&cleaned)
            .map_err(|_| DomainError::invalid(field, "enter an amount like 499.00"))?;
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(DomainError::invalid(field, "the amount cannot be negative"));
        }
        if amount.normalize().scale() > currency.minor_digits() {
            return Err(DomainError::invalid(
                field,
                format!("use at most {} decimal places", currency.minor_digits()),
            ));
        }
        if amount > Decimal::from(MAX_MAJOR) {
            return Err(DomainError::invalid(field, "the amount is too large"));
        }
        Ok(Money::new(amount, currency))
    }

    pub fn amount(&self) -> Decimal {
        self.amount
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// Integer minor units (kopecks), the persisted form.
    pub fn minor(&self) -> i64 {
        let scaled = self.amount * Decimal::from(10_i64.pow(self.currency.minor_digits()));
        // `new` rounded to the minor unit and `parse` bounds the size, so this is exact.
        i64::try_from(scaled.trunc()).unwrap_or(i64::MAX)
    }

    /// The wire form: a plain decimal string with exactly the minor digits, e.g. `"499.00"`.
    pub fn to_wire(&self) -> String {
        let mut a = self.amount;
        a.rescale(self.currency.minor_digits());
        a.to_string()
    }

    /// Russian formatting for people: `1 234,50 ₽` (no-break spaces between digit groups
    /// and before the sign, so the amount never wraps across lines).
    pub fn display(&self) -> String {
        let wire = self.to_wire();
        let (sign, digits) = match wire.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", wire.as_str()),
        };
        let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
        let mut grouped = String::with_capacity(int_part.len() + int_part.len() / 3);
        for (i, ch) in int_part.chars().enumerate() {
            if i > 0 && (int_part.len() - i) % 3 == 0 {
                grouped.push('\u{a0}');
            }
            grouped.push(ch);
        }
        let mut out = format!("{sign}{grouped}");
        if !frac_part.is_empty() {
            out.push(',');
            out.push_str(frac_part);
        }
        out.push('\u{a0}');
        out.push_str(self.currency.symbol());
        out
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rub(s: &str) -> Money {
        Money::new(Decimal::from_str(s).unwrap(), Currency::Rub)
    }

    #[test]
    fn rounds_half_up_to_kopecks() {
        assert_eq!(rub("1.005").to_wire(), "1.01");
        assert_eq!(rub("1.004").to_wire(), "1.00");
        assert_eq!(rub("2.675").to_wire(), "2.68");
    }

    #[test]
    fn minor_units_round_trip() {
        for minor in [0_i64, 1, 99, 100, 49_900, 123_456_789] {
            assert_eq!(Money::from_minor(minor, Currency::Rub).minor(), minor);
        }
        assert_eq!(rub("499").minor(), 49_900);
    }

    #[test]
    fn displays_russian_format_with_no_break_spaces() {
        assert_eq!(rub("1234.5").display(), "1\u{a0}234,50\u{a0}₽");
        assert_eq!(rub("499").display(), "499,00\u{a0}₽");
        assert_eq!(rub("1234567").display(), "1\u{a0}234\u{a0}567,00\u{a0}₽");
        assert_eq!(rub("0").display(), "0,00\u{a0}₽");
    }

    #[test]
    fn wire_form_always_has_two_decimals() {
        assert_eq!(rub("499").to_wire(), "499.00");
        assert_eq!(rub("0.1").to_wire(), "0.10");
    }

    #[test]
    fn parse_accepts_people_formats() {
        assert_eq!(
            Money::parse("1 234,50", Currency::Rub, "price").unwrap(),
            rub("1234.50")
        );
        assert_eq!(
            Money::parse(" 499 ", Currency::Rub, "price").unwrap(),
            rub("499")
        );
    }

    #[test]
    fn parse_refuses_bad_amounts_naming_the_field() {
        for bad in ["", "abc", "-1", "1.001", "99999999999999"] {
            let err = Money::parse(bad, Currency::Rub, "price").unwrap_err();
            assert_eq!(err.field(), "price", "input {bad:?}");
        }
    }

    #[test]
    fn currency_parses_case_insensitively() {
        assert_eq!("rub".parse::<Currency>().unwrap(), Currency::Rub);
        assert!("usd".parse::<Currency>().is_err());
    }
}
