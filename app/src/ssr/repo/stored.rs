//! Values read back from our own rows. A row that holds a currency code we do not know
//! is a broken invariant, not a customer's mistake: the operation stops with an error
//! naming the row (logged with its chain as a 500), instead of guessing a default and
//! moving money in the wrong currency.

use crate::domain::{Currency, Money};
use crate::ssr::ServiceError;

/// The currency stored in the row `id` of `table` (e.g. `"payment"`, its id).
pub fn currency(
    code: &str,
    table: &'static str,
    id: impl std::fmt::Display,
) -> Result<Currency, ServiceError> {
    code.parse().map_err(|e| {
        tracing::error!(table, %id, code, "stored currency code is unknown");
        ServiceError::Unexpected(anyhow::anyhow!(
            "{table} {id} holds the unknown currency code {code:?}: {e}"
        ))
    })
}

/// `minor` units of the currency stored in the row `id` of `table`.
pub fn money(
    minor: i64,
    code: &str,
    table: &'static str,
    id: impl std::fmt::Display,
) -> Result<Money, ServiceError> {
    Ok(Money::from_minor(minor, currency(code, table, id)?))
}

/// The money a billing row holds, in its own currency: records are read as `Money`, so
/// no caller pairs an amount with a currency by hand (or with the wrong row's).
pub trait Amount {
    /// The row's amount (an invoice's total, a ledger line's signed amount).
    fn amount(&self) -> Result<Money, ServiceError>;
}

impl Amount for entity::payments::Model {
    fn amount(&self) -> Result<Money, ServiceError> {
        money(self.amount_minor, &self.currency, "payment", self.id)
    }
}

impl Amount for entity::refunds::Model {
    fn amount(&self) -> Result<Money, ServiceError> {
        money(self.amount_minor, &self.currency, "refund", self.id)
    }
}

impl Amount for entity::invoices::Model {
    fn amount(&self) -> Result<Money, ServiceError> {
        money(self.total_minor, &self.currency, "invoice", self.id)
    }
}

impl Amount for entity::ledger_entries::Model {
    fn amount(&self) -> Result<Money, ServiceError> {
        money(self.amount_minor, &self.currency, "ledger entry", self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_code_reads_back_and_an_unknown_one_is_an_error() {
        assert_eq!(
            money(49_900, "RUB", "payment", 1).unwrap(),
            Money::from_minor(49_900, Currency::Rub)
        );
        let err = money(100, "XXX", "payment", 2).unwrap_err();
        assert!(matches!(err, ServiceError::Unexpected(_)));
        assert!(format!("{err:#}").contains("payment 2"), "{err:#}");
    }
}
