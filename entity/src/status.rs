//! The statuses of the billing records, as stored: text columns (one value per variant,
//! held to these values by CHECK constraints) read into enums, so a row with a status
//! nobody knows fails to load instead of flowing on as a string. Which moves between
//! them are allowed is a business rule: `app::domain::billing` states it.

use std::fmt;
use std::str::FromStr;

use sea_orm::entity::prelude::*;

/// A status text that is none of the known values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownStatus {
    pub kind: &'static str,
    pub value: String,
}

impl fmt::Display for UnknownStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} status {:?}", self.kind, self.value)
    }
}

impl std::error::Error for UnknownStatus {}

macro_rules! status_enum {
    ($(#[$doc:meta])* $name:ident, $kind:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
        pub enum $name {
            $(#[sea_orm(string_value = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored value, also the one shown on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// `col IN (…)`: the CHECK constraint's list of values.
            pub fn sql_values() -> String {
                [$(concat!("'", $text, "'")),+].join(", ")
            }
        }

        impl FromStr for $name {
            type Err = UnknownStatus;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(UnknownStatus { kind: $kind, value: other.to_string() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// Lets tests and filters compare with the stored text: `status == "paid"`.
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }
    };
}

status_enum!(
    /// A customer's one subscription. `none` is the absence of a row.
    SubscriptionStatus, "subscription", {
        Active => "active",
        Grace => "grace",
        Expired => "expired",
        Canceled => "canceled",
    }
);

status_enum!(
    /// An invoice: `open` until paid, or `void` when it can no longer be paid (a newer
    /// checkout replaced it, its payment failed, or support voided it).
    InvoiceStatus, "invoice", {
        Open => "open",
        Paid => "paid",
        Void => "void",
    }
);

status_enum!(
    /// One attempt to pay an invoice.
    PaymentStatus, "payment", {
        Pending => "pending",
        Succeeded => "succeeded",
        Failed => "failed",
        Canceled => "canceled",
        Refunded => "refunded",
    }
);

status_enum!(
    /// A refund of one payment: `pending` until the provider's answer is known (a lost
    /// answer keeps it pending and the worker asks again).
    RefundStatus, "refund", {
        Pending => "pending",
        Succeeded => "succeeded",
        Failed => "failed",
    }
);

status_enum!(
    /// A line of the customer's ledger: what they owe (`charge`; `adjustment` either
    /// way), what they paid (`payment`), and a refund's pair: the money back (`refund`)
    /// and the charge it cancels (`charge_reversal`).
    LedgerKind, "ledger", {
        Charge => "charge",
        Payment => "payment",
        Refund => "refund",
        ChargeReversal => "charge_reversal",
        Adjustment => "adjustment",
    }
);

status_enum!(
    /// What an invoice bills: a tariff chosen at checkout, or the next period of a
    /// subscription charged to its saved card.
    InvoiceKind, "invoice kind", {
        Purchase => "purchase",
        Renewal => "renewal",
    }
);

status_enum!(
    /// Which discount an invoice's quote applied (one at most: the best one wins).
    DiscountKind, "discount kind", {
        Personal => "personal",
        Promo => "promo",
        Months => "months",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_reads_back_from_its_stored_text() {
        for s in PaymentStatus::ALL {
            assert_eq!(s.as_str().parse::<PaymentStatus>(), Ok(*s));
            assert_eq!(s.to_value(), s.as_str());
        }
        assert_eq!(InvoiceStatus::Void, "void");
        assert_eq!(
            "settled".parse::<RefundStatus>().unwrap_err().to_string(),
            "unknown refund status \"settled\""
        );
        assert_eq!(
            SubscriptionStatus::sql_values(),
            "'active', 'grace', 'expired', 'canceled'"
        );
    }
}
