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
