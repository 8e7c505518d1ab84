//! The price rule (ARCHITECTURE.md, "Money and pricing"): list price = monthly price x
//! months; candidates are the customer's personal discount, the month discount with the
//! largest threshold <= months, and a valid promo code. Discounts never stack: the single
//! candidate giving the lowest total applies (ties: personal, then promo, then months).
//! Pure and allocation-light: the browser runs the same code for its live preview.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use super::{DomainError, Money};

/// A percentage, 0 < p <= 100, with at most two decimals (stored as basis points).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Percent(u16);

impl Percent {
    pub const MAX_BP: u16 = 10_000;

    pub fn parse(input: &str, field: &'static str) -> Result<Percent, DomainError> {
        let cleaned = input.trim().trim_end_matches('%').trim().replace(',', ".");
        let value = Decimal::from_str(&cleaned)
            .map_err(|_| DomainError::invalid(field, "enter a percent such as 10 or 12.5"))?;
        if value <= Decimal::ZERO || value > Decimal::ONE_HUNDRED {
            return Err(DomainError::invalid(
                field,
                "the percent must be above 0 and at most 100",
            ));
        }
        if value.normalize().scale() > 2 {
            return Err(DomainError::invalid(field, "use at most 2 decimal places"));
        }
        (value * Decimal::ONE_HUNDRED)
            .to_u16()
            .map(Percent)
            .ok_or_else(|| DomainError::invalid(field, "the percent is out of range"))
    }

    /// From stored basis points (5 % = 500).
    pub fn from_bp(bp: i64) -> Option<Percent> {
        u16::try_from(bp)
            .ok()
            .filter(|b| *b > 0 && *b <= Self::MAX_BP)
            .map(Percent)
    }

    pub fn bp(self) -> u16 {
        self.0
    }

    pub fn value(self) -> Decimal {
        Decimal::new(i64::from(self.0), 2)
    }

    /// The share of `amount` this percent takes, rounded half-up to the minor unit.
    pub fn of(self, amount: Money) -> Money {
        Money::new(
            amount.amount() * Decimal::from(self.0) / Decimal::from(Self::MAX_BP),
            amount.currency(),
        )
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.value().normalize())
    }
}

impl TryFrom<String> for Percent {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Percent::parse(&s, "percent").map_err(|e| e.message().to_string())
    }
}

impl From<Percent> for String {
    fn from(p: Percent) -> String {
        p.to_string()
    }
}

/// How many months are bought at once: 1 to 36.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Months(u8);

impl Months {
    pub const MAX: u8 = 36;

    pub fn new(n: u32) -> Result<Months, DomainError> {
        u8::try_from(n)
            .ok()
            .filter(|m| (1..=Self::MAX).contains(m))
            .map(Months)
            .ok_or_else(|| DomainError::invalid("months", "choose from 1 to 36 months"))
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u32> for Months {
    type Error = String;

    fn try_from(n: u32) -> Result<Self, Self::Error> {
        Months::new(n).map_err(|e| e.message().to_string())
    }
}

impl From<Months> for u32 {
    fn from(m: Months) -> u32 {
        u32::from(m.0)
    }
}

/// A promo code, normalised to upper case: `[A-Z0-9-]{3,32}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PromoCode(String);

impl PromoCode {
    pub fn parse(input: &str) -> Result<PromoCode, DomainError> {
        let code = input.trim().to_ascii_uppercase();
        let ok = (3..=32).contains(&code.len())
            && code
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(PromoCode(code))
        } else {
            Err(DomainError::invalid(
                "promo_code",
                "a promo code has 3–32 letters, digits or '-'",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PromoCode {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        PromoCode::parse(&s).map_err(|e| e.message().to_string())
    }
}

impl From<PromoCode> for String {
    fn from(p: PromoCode) -> String {
        p.0
    }
}

/// Where a discount comes from. The declaration order is the tie-break order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiscountKind {
    Personal,
    Promo,
    Months,
}

/// What a discount takes off: a share of the list price or a fixed amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscountValue {
    Percent(Percent),
    Amount(Money),
}

/// One row of the month-discount table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthDiscount {
    pub months: Months,
    pub percent: Percent,
}

/// The month discount for `months`: the one with the largest threshold <= `months`.
pub fn month_discount_for(table: &[MonthDiscount], months: Months) -> Option<MonthDiscount> {
    table
        .iter()
        .filter(|d| d.months <= months)
        .max_by_key(|d| d.months)
        .copied()
}

#[derive(Debug, Clone, Copy)]
pub struct QuoteInput<'a> {
    pub monthly_price: Money,
    pub months: Months,
    pub personal: Option<Percent>,
    pub promo: Option<DiscountValue>,
    pub month_discounts: &'a [MonthDiscount],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Discount {
    pub kind: DiscountKind,
    /// `Some` for percentage discounts.
    pub percent: Option<Percent>,
    /// What it takes off this list price (never more than the list price).
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub list_price: Money,
    pub total: Money,
    pub applied: Option<Discount>,
    /// The candidates that lost to `applied`, in tie-break order.
    pub rejected: Vec<Discount>,
}

impl Discount {
    fn new(kind: DiscountKind, value: DiscountValue, list: Money) -> Discount {
        let (percent, raw) = match value {
            DiscountValue::Percent(p) => (Some(p), p.of(list)),
            DiscountValue::Amount(a) => (None, a),
        };
        let amount = if raw.amount() > list.amount() {
            list
        } else {
            raw
        };
        Discount {
            kind,
            percent,
            amount,
        }
    }
}

/// Prices `months` of a tariff for one customer. Never fails: inputs are already valid types.
pub fn quote(input: &QuoteInput<'_>) -> Quote {
    let list_price = Money::new(
        input.monthly_price.amount() * Decimal::from(input.months.get()),
        input.monthly_price.currency(),
    );
    let candidates = [
        input.personal.map(|p| {
            Discount::new(
                DiscountKind::Personal,
                DiscountValue::Percent(p),
                list_price,
            )
        }),
        input
            .promo
            .map(|v| Discount::new(DiscountKind::Promo, v, list_price)),
        month_discount_for(input.month_discounts, input.months).map(|d| {
            Discount::new(
                DiscountKind::Months,
                DiscountValue::Percent(d.percent),
                list_price,
            )
        }),
    ];
    // Strictly greater wins, so on a tie the earlier candidate (personal, promo, months) stays.
    let mut best: Option<Discount> = None;
    for c in candidates.iter().flatten() {
        if best.is_none_or(|b| c.amount.amount() > b.amount.amount()) {
            best = Some(*c);
        }
    }
    let rejected = candidates
        .iter()
        .flatten()
        .filter(|c| Some(**c) != best)
        .copied()
        .collect();
    let total = match best {
        Some(d) => Money::new(
            (list_price.amount() - d.amount.amount()).max(Decimal::ZERO),
            list_price.currency(),
        ),
        None => list_price,
    };
    Quote {
        list_price,
        total,
        applied: best,
        rejected,
    }
}

/// Checks a whole month-discount table as typed: each row valid, thresholds unique.
/// Errors name the cell (`rows[2].percent`) so a form can mark it; the browser and the
/// server run this same function.
pub fn validate_month_table(
    rows: &[(String, String)],
) -> Result<Vec<MonthDiscount>, Vec<DomainError>> {
    let mut errors = Vec::new();
    let mut table: Vec<MonthDiscount> = Vec::new();
    for (i, (months, percent)) in rows.iter().enumerate() {
        let months = months
            .trim()
            .parse::<u32>()
            .ok()
            .and_then(|m| Months::new(m).ok())
            .ok_or_else(|| {
                DomainError::invalid(format!("rows[{i}].months"), "choose from 1 to 36 months")
            });
        let percent = Percent::parse(percent, "percent").map_err(|e| {
            DomainError::invalid(format!("rows[{i}].percent"), e.message().to_string())
        });
        match (months, percent) {
            (Ok(months), Ok(percent)) => {
                if table.iter().any(|d| d.months == months) {
                    errors.push(DomainError::invalid(
                        format!("rows[{i}].months"),
                        "each number of months may appear only once",
                    ));
                } else {
                    table.push(MonthDiscount { months, percent });
                }
            }
            (m, p) => {
                errors.extend(m.err());
                errors.extend(p.err());
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    table.sort_by_key(|d| d.months);
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Currency;
    use proptest::prelude::*;

    fn rub(minor: i64) -> Money {
        Money::from_minor(minor, Currency::Rub)
    }

    fn pct(s: &str) -> Percent {
        Percent::parse(s, "percent").unwrap()
    }

    fn table() -> Vec<MonthDiscount> {
        [(3, "5"), (6, "10"), (12, "20")]
            .iter()
            .map(|(m, p)| MonthDiscount {
                months: Months::new(*m).unwrap(),
                percent: pct(p),
            })
            .collect()
    }

    #[test]
    fn month_tables_are_checked_cell_by_cell() {
        let rows = |r: &[(&str, &str)]| {
            r.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>()
        };
        let ok = validate_month_table(&rows(&[("12", "20"), ("3", "5")])).unwrap();
        assert_eq!(ok[0].months.get(), 3, "sorted by threshold");
        let errors =
            validate_month_table(&rows(&[("3", "5"), ("3", "7"), ("40", "0")])).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field()).collect();
        assert_eq!(
            fields,
            ["rows[1].months", "rows[2].months", "rows[2].percent"]
        );
    }

    #[test]
    fn percent_parsing() {
        assert_eq!(pct("12.5").bp(), 1_250);
        assert_eq!(pct("100").bp(), 10_000);
        assert_eq!(pct("0.01%").bp(), 1);
        for bad in ["0", "-1", "100.01", "1.234", "abc", ""] {
            assert!(Percent::parse(bad, "percent").is_err(), "{bad}");
        }
    }

    #[test]
    fn months_and_promo_codes() {
        assert!(Months::new(0).is_err());
        assert!(Months::new(37).is_err());
        assert_eq!(Months::new(36).unwrap().get(), 36);
        assert_eq!(
            PromoCode::parse(" welcome-10 ").unwrap().as_str(),
            "WELCOME-10"
        );
        for bad in ["ab", "WITH SPACE", "ÜBER10", &"A".repeat(33)] {
            assert!(PromoCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn month_threshold_takes_the_largest_not_above() {
        let t = table();
        let pick = |m| month_discount_for(&t, Months::new(m).unwrap()).map(|d| d.months.get());
        assert_eq!(pick(1), None);
        assert_eq!(pick(3), Some(3));
        assert_eq!(pick(5), Some(3));
        assert_eq!(pick(11), Some(6));
        assert_eq!(pick(36), Some(12));
    }

    #[test]
    fn the_best_single_discount_applies() {
        let t = table();
        let q = quote(&QuoteInput {
            monthly_price: rub(49_900),
            months: Months::new(12).unwrap(),
            personal: Some(pct("15")),
            promo: Some(DiscountValue::Amount(rub(15_000))),
            month_discounts: &t,
        });
        assert_eq!(q.list_price, rub(598_800));
        let applied = q.applied.unwrap();
        assert_eq!(applied.kind, DiscountKind::Months);
        assert_eq!(applied.amount, rub(119_760));
        assert_eq!(q.total, rub(479_040));
        let lost: Vec<_> = q.rejected.iter().map(|d| d.kind).collect();
        assert_eq!(lost, [DiscountKind::Personal, DiscountKind::Promo]);
    }

    #[test]
    fn ties_prefer_personal_then_promo_then_months() {
        let t = table();
        let q = quote(&QuoteInput {
            monthly_price: rub(10_000),
            months: Months::new(6).unwrap(),
            personal: None,
            promo: Some(DiscountValue::Percent(pct("10"))),
            month_discounts: &t,
        });
        assert_eq!(q.applied.unwrap().kind, DiscountKind::Promo);
        let q = quote(&QuoteInput {
            personal: Some(pct("10")),
            ..QuoteInput {
                monthly_price: rub(10_000),
                months: Months::new(6).unwrap(),
                personal: None,
                promo: Some(DiscountValue::Percent(pct("10"))),
                month_discounts: &t,
            }
        });
        assert_eq!(q.applied.unwrap().kind, DiscountKind::Personal);
    }

    #[test]
    fn a_fixed_discount_never_makes_the_total_negative() {
        let q = quote(&QuoteInput {
            monthly_price: rub(10_000),
            months: Months::new(1).unwrap(),
            personal: None,
            promo: Some(DiscountValue::Amount(rub(50_000))),
            month_discounts: &[],
        });
        assert_eq!(q.total, rub(0));
        assert_eq!(q.applied.unwrap().amount, rub(10_000));
    }

    #[test]
    fn percent_discounts_round_half_up_to_kopecks() {
        // 33.33 % of 100.05 = 33.346665 -> 33.35
        let q = quote(&QuoteInput {
            monthly_price: rub(10_005),
            months: Months::new(1).unwrap(),
            personal: Some(pct("33.33")),
            promo: None,
            month_discounts: &[],
        });
        assert_eq!(q.applied.unwrap().amount, rub(3_335));
        assert_eq!(q.total, rub(6_670));
    }

    fn arb_percent() -> impl Strategy<Value = Percent> {
        (1_i64..=10_000).prop_map(|bp| Percent::from_bp(bp).unwrap())
    }

    fn arb_value() -> impl Strategy<Value = DiscountValue> {
        prop_oneof![
            arb_percent().prop_map(DiscountValue::Percent),
            (0_i64..5_000_000)
                .prop_map(|m| DiscountValue::Amount(Money::from_minor(m, Currency::Rub))),
        ]
    }

    fn arb_table() -> impl Strategy<Value = Vec<MonthDiscount>> {
        proptest::collection::btree_map(1_u32..=36, arb_percent(), 0..6).prop_map(|m| {
            m.into_iter()
                .map(|(months, percent)| MonthDiscount {
                    months: Months::new(months).unwrap(),
                    percent,
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn quote_invariants(
            price in 1_i64..10_000_000,
            months in 1_u32..=36,
            personal in proptest::option::of(arb_percent()),
            promo in proptest::option::of(arb_value()),
            table in arb_table(),
        ) {
            let input = QuoteInput {
                monthly_price: Money::from_minor(price, Currency::Rub),
                months: Months::new(months).unwrap(),
                personal,
                promo,
                month_discounts: &table,
            };
            let q = quote(&input);
            // Bounds.
            prop_assert!(q.total.amount() >= Decimal::ZERO);
            prop_assert!(q.total.amount() <= q.list_price.amount());
            prop_assert_eq!(q.list_price.minor(), price * i64::from(months));
            // Exactly one discount is taken off: never a combination.
            let off = q.applied.map_or(Decimal::ZERO, |d| d.amount.amount());
            prop_assert_eq!(q.total.amount(), q.list_price.amount() - off);
            // The applied discount is the best one; every rejected one is no better.
            for r in &q.rejected {
                prop_assert!(r.amount.amount() <= off);
                if r.amount.amount() == off {
                    prop_assert!(q.applied.unwrap().kind < r.kind, "tie broken in order");
                }
            }
            let candidates = usize::from(personal.is_some()) + usize::from(promo.is_some())
                + usize::from(month_discount_for(&table, input.months).is_some());
            prop_assert_eq!(q.rejected.len() + usize::from(q.applied.is_some()), candidates);
            // Results are whole kopecks and the same every time.
            prop_assert_eq!(Money::from_minor(q.total.minor(), Currency::Rub), q.total);
            prop_assert_eq!(quote(&input), q);
        }

        #[test]
        fn threshold_selection_matches_a_linear_scan(table in arb_table(), months in 1_u32..=36) {
            let m = Months::new(months).unwrap();
            let expected = table.iter().filter(|d| u32::from(d.months) <= months).map(|d| d.months).max();
            prop_assert_eq!(month_discount_for(&table, m).map(|d| d.months), expected);
        }
    }
}
