//! Serde types that cross the wire (server functions and REST). SeaORM models never do.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{Currency, Money, StaffRole};

/// `{"amount": "499.00", "currency": "RUB"}` — the contract's money shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MoneyDto {
    /// Decimal string with exactly the currency's minor digits.
    #[cfg_attr(feature = "ssr", schema(example = "499.00"))]
    pub amount: String,
    #[cfg_attr(feature = "ssr", schema(example = "RUB"))]
    pub currency: String,
}

impl From<Money> for MoneyDto {
    fn from(m: Money) -> Self {
        MoneyDto {
            amount: m.to_wire(),
            currency: m.currency().code().to_string(),
        }
    }
}

impl MoneyDto {
    /// Back to the domain type (for formatting in the browser). `None` only if the server
    /// sent something that is not money, which the page shows as a dash.
    pub fn to_money(&self) -> Option<Money> {
        let currency: Currency = self.currency.parse().ok()?;
        Money::parse(&self.amount, currency, "amount").ok()
    }

    pub fn display(&self) -> String {
        self.to_money()
            .map(|m| m.display())
            .unwrap_or_else(|| "—".to_string())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FilmDto {
    pub id: Uuid,
    pub title: String,
    pub year: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TariffDto {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub description: String,
    /// Role granted in the auth service while the subscription is active.
    pub role: String,
    pub monthly_price: MoneyDto,
    pub active: bool,
    pub films: Vec<FilmDto>,
}

/// The signed-in staff member, as the admin shell shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffDto {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: StaffRole,
}

/// One page of a list, with enough to draw "21–40 of 57" and the pager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageDto<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
}

impl<T> PageDto<T> {
    pub fn page_count(&self) -> u32 {
        let per = u64::from(self.per_page.max(1));
        u32::try_from(self.total.div_ceil(per))
            .unwrap_or(u32::MAX)
            .max(1)
    }

    /// 1-based index of the first and last item shown, `(0, 0)` when empty.
    pub fn shown_range(&self) -> (u64, u64) {
        if self.items.is_empty() {
            return (0, 0);
        }
        let first = u64::from(self.page.saturating_sub(1)) * u64::from(self.per_page) + 1;
        (first, first + self.items.len() as u64 - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_math() {
        let p = PageDto {
            items: vec![1, 2],
            page: 2,
            per_page: 2,
            total: 5,
        };
        assert_eq!(p.page_count(), 3);
        assert_eq!(p.shown_range(), (3, 4));
        let empty: PageDto<i32> = PageDto {
            items: vec![],
            page: 1,
            per_page: 20,
            total: 0,
        };
        assert_eq!(empty.page_count(), 1);
        assert_eq!(empty.shown_range(), (0, 0));
    }

    #[test]
    fn money_dto_round_trips_for_display() {
        let dto = MoneyDto::from(Money::from_minor(123_450, Currency::Rub));
        assert_eq!(dto.amount, "1234.50");
        assert_eq!(dto.display(), "1\u{a0}234,50\u{a0}₽");
    }
}

/// One discount as the contract shows it: `{"kind", "percent"?, "amount"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DiscountDto {
    /// `personal`, `months` or `promo`.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent: Option<String>,
    pub amount: MoneyDto,
    /// For a rejected discount: why it lost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct QuoteDto {
    pub tariff_id: Uuid,
    pub months: u32,
    pub list_price: MoneyDto,
    pub total: MoneyDto,
    pub applied_discount: Option<DiscountDto>,
    pub rejected_discounts: Vec<DiscountDto>,
}

impl QuoteDto {
    pub fn from_quote(tariff_id: Uuid, months: u32, q: &crate::domain::pricing::Quote) -> QuoteDto {
        use crate::domain::pricing::{Discount, DiscountKind};
        let kind_name = |k: DiscountKind| match k {
            DiscountKind::Personal => "personal",
            DiscountKind::Promo => "promo",
            DiscountKind::Months => "months",
        };
        let to_dto = |d: &Discount, reason: Option<String>| DiscountDto {
            kind: kind_name(d.kind).to_string(),
            percent: d.percent.map(|p| p.to_string()),
            amount: MoneyDto::from(d.amount),
            reason,
        };
        let rejected = q
            .rejected
            .iter()
            .map(|r| {
                let reason = match q.applied {
                    Some(a) if a.amount == r.amount => format!(
                        "ties with the {} discount, which takes precedence",
                        kind_name(a.kind)
                    ),
                    Some(a) => format!(
                        "smaller than the {} discount; discounts do not combine",
                        kind_name(a.kind)
                    ),
                    None => "not applicable".to_string(),
                };
                to_dto(r, Some(reason))
            })
            .collect();
        QuoteDto {
            tariff_id,
            months,
            list_price: MoneyDto::from(q.list_price),
            total: MoneyDto::from(q.total),
            applied_discount: q.applied.as_ref().map(|a| to_dto(a, None)),
            rejected_discounts: rejected,
        }
    }
}

/// A row of the month-discount table: at least `months` months -> `percent` off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MonthDiscountDto {
    pub months: u32,
    pub percent: String,
}

/// A promo code that passed the checks that do not depend on the tariff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromoCheckDto {
    pub code: String,
    pub percent: Option<String>,
    pub amount: Option<MoneyDto>,
    /// The tariffs it is limited to; empty means every tariff.
    pub tariff_ids: Vec<Uuid>,
}

impl PromoCheckDto {
    pub fn applies_to(&self, tariff_id: Uuid) -> bool {
        self.tariff_ids.is_empty() || self.tariff_ids.contains(&tariff_id)
    }

    pub fn value(&self) -> Option<crate::domain::pricing::DiscountValue> {
        use crate::domain::pricing::{DiscountValue, Percent};
        match (&self.percent, &self.amount) {
            (Some(p), _) => Percent::parse(p, "percent")
                .ok()
                .map(DiscountValue::Percent),
            (None, Some(a)) => a.to_money().map(DiscountValue::Amount),
            (None, None) => None,
        }
    }
}

/// A promo code as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PromoDto {
    pub id: Uuid,
    pub code: String,
    pub percent: Option<String>,
    pub amount: Option<MoneyDto>,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub max_redemptions: Option<i32>,
    pub redemption_count: i32,
    pub once_per_customer: bool,
    pub active: bool,
    /// `active`, `inactive`, `scheduled`, `expired` or `exhausted`, as of now.
    pub status: String,
    pub tariff_ids: Vec<Uuid>,
    pub created_at: String,
}

/// The codes a bulk generation produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PromoBatchDto {
    pub prefix: String,
    pub count: u32,
    pub codes: Vec<String>,
}

impl PromoBatchDto {
    /// `code` header then one code per line.
    pub fn to_csv(&self) -> String {
        let mut out = String::with_capacity(self.codes.len() * 24 + 8);
        out.push_str("code\n");
        for c in &self.codes {
            out.push_str(c);
            out.push('\n');
        }
        out
    }
}

/// A customer's personal discount as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PersonalDiscountDto {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub customer_email: Option<String>,
    pub customer_name: Option<String>,
    pub percent: String,
    pub valid_from: String,
    pub valid_until: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceChangeDto {
    pub old_price: MoneyDto,
    pub new_price: MoneyDto,
    pub changed_by: String,
    pub changed_at: String,
}

/// Everything the tariff editor needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TariffEditDto {
    pub tariff: TariffDto,
    pub all_films: Vec<FilmDto>,
    pub history: Vec<PriceChangeDto>,
}
