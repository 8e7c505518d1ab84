//! Serde types that cross the wire (server functions and REST). SeaORM models never do.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{Currency, Money, StaffRole};

mod console;
pub use console::*;

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

    /// `1 234,50 ₽`; negative amounts (credits on a statement) as `−1 234,50 ₽`.
    /// The amount in minor units (kopecks), for sums and chart geometry; `None` if the
    /// text is not money.
    pub fn minor(&self) -> Option<i64> {
        let currency: Currency = self.currency.parse().ok()?;
        let (sign, magnitude) = match self.amount.strip_prefix('-') {
            Some(rest) => (-1, rest),
            None => (1, self.amount.as_str()),
        };
        Money::parse(magnitude, currency, "amount")
            .ok()
            .map(|m| sign * m.minor())
    }

    pub fn display(&self) -> String {
        let (sign, magnitude) = match self.amount.strip_prefix('-') {
            Some(rest) => ("−", rest),
            None => ("", self.amount.as_str()),
        };
        let currency: Option<Currency> = self.currency.parse().ok();
        currency
            .and_then(|c| Money::parse(magnitude, c, "amount").ok())
            .map(|m| format!("{sign}{}", m.display()))
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

/// A console page's data with the idempotency key its money form sends: issued with
/// every load, so a double submit of one form is one refund, correction or change.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WithFormKey<T> {
    pub data: T,
    pub form_key: String,
}

/// A staff account as the staff page and `GET /api/v1/admin/staff` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StaffMemberDto {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: StaffRole,
    pub active: bool,
    pub created_at: String,
    pub updated_at: String,
    /// Sign-in refused until then after too many failed attempts (an admin can lift it).
    pub locked_until: Option<String>,
    /// Invited and has not yet set a password through the setup link.
    pub setup_pending: bool,
}

/// An invited or created staff account; `setup_url` is shown once when no password was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StaffInviteDto {
    pub staff: StaffMemberDto,
    pub setup_url: Option<String>,
    pub setup_expires_at: Option<String>,
}

/// A staff API token (never the token itself: only its hash is stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StaffTokenDto {
    pub id: Uuid,
    pub staff_id: Uuid,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// A token just minted: the secret is in `token`, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewStaffTokenDto {
    pub token: String,
    pub details: StaffTokenDto,
}

/// A customer as the customer pages and support see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerDto {
    pub id: Uuid,
    pub email: Option<String>,
    pub name: Option<String>,
}

impl CustomerDto {
    /// What to call them: the name, else the e-mail, else a short id.
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.email.clone())
            .unwrap_or_else(|| format!("customer {}", &self.id.simple().to_string()[..8]))
    }
}

/// What the pricing page needs to price any quote in the browser: the month-discount
/// table and the signed-in customer's personal discount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricingContextDto {
    pub month_discounts: Vec<MonthDiscountDto>,
    pub customer: Option<CustomerDto>,
    /// Percent as a decimal string, e.g. `"15"`.
    pub personal_percent: Option<String>,
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
        let credit = MoneyDto::from(Money::from_minor(-49_900, Currency::Rub));
        assert_eq!(credit.amount, "-499.00");
        assert_eq!(credit.display(), "−499,00\u{a0}₽");
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
    /// Active (or in grace) subscriptions of this tariff: the ones a reprice reaches at renewal.
    pub active_subscriptions: u64,
}

/// An invoice: the frozen quote it was issued with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InvoiceDto {
    pub id: Uuid,
    /// Human number, e.g. `KB-2026-000123`.
    pub number: String,
    pub tariff_id: Uuid,
    pub tariff_name: String,
    pub months: u32,
    pub list_price: MoneyDto,
    pub discount: Option<DiscountDto>,
    pub total: MoneyDto,
    /// `open`, `paid` or `void`.
    pub status: String,
    pub created_at: String,
    pub paid_at: Option<String>,
}

/// A payment as the customer and the API see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PaymentDto {
    pub id: Uuid,
    pub invoice_id: Uuid,
    pub invoice_number: String,
    pub tariff_id: Uuid,
    pub months: u32,
    /// `pending`, `succeeded`, `failed`, `canceled` or `refunded`.
    pub status: String,
    pub amount: MoneyDto,
    pub description: String,
    pub created_at: String,
    pub paid_at: Option<String>,
    /// Until when the customer may ask for a refund (succeeded payments only).
    pub refundable_until: Option<String>,
    /// Where to pay (pending payments only).
    pub confirmation_url: Option<String>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CheckoutDto {
    pub invoice: InvoiceDto,
    pub payment: PaymentDto,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RefundDto {
    pub id: Uuid,
    pub payment_id: Uuid,
    /// `pending`, `succeeded` or `failed`.
    pub status: String,
    pub amount: MoneyDto,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RefundResultDto {
    pub refund: RefundDto,
}

/// `GET /api/v1/me/subscription`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SubscriptionDto {
    /// `none`, `active`, `grace`, `expired` or `canceled`.
    pub status: String,
    pub tariff: Option<TariffSummaryDto>,
    pub current_period_start: Option<String>,
    pub current_period_end: Option<String>,
    pub access_until: Option<String>,
    pub auto_renew: bool,
    /// The tariff the subscription switches to from the next period, if scheduled.
    pub next_tariff: Option<TariffSummaryDto>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TariffSummaryDto {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub role: String,
}

/// One line of the customer's statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StatementLineDto {
    pub id: Uuid,
    pub date: String,
    /// `charge`, `payment`, `refund`, `charge_reversal` or `adjustment`.
    pub kind: String,
    pub description: String,
    /// Positive: owed by the customer; negative: in their favour.
    pub amount: MoneyDto,
    /// Running balance after this line (positive = the customer owes).
    pub balance: MoneyDto,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EntitlementRoleDto {
    pub role: String,
    pub valid_until: String,
}

/// `GET /api/v1/entitlements/{user_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EntitlementDto {
    pub user_id: Uuid,
    pub roles: Vec<EntitlementRoleDto>,
    /// The films the roles open, by the Movies DB's external id.
    pub film_ids: Vec<String>,
}

/// What the checkout page shows before paying.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutPreviewDto {
    pub tariff: TariffSummaryDto,
    pub quote: QuoteDto,
    pub customer: Option<CustomerDto>,
    /// A fresh idempotency key for this checkout form: a double submit pays once.
    pub key: String,
}

/// The customer's account page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountDto {
    pub customer: CustomerDto,
    pub subscription: SubscriptionDto,
    pub payments: Vec<PaymentDto>,
    pub statement: Vec<StatementLineDto>,
    /// The newest notifications.
    pub notifications: Vec<NotificationDto>,
    /// The server's clock, so countdowns in the browser agree with the server.
    pub now: String,
    /// Tariffs on sale, for a switch from the next period.
    pub tariffs: Vec<TariffSummaryDto>,
}

/// One row of the support console's payments list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AdminPaymentRowDto {
    pub id: Uuid,
    pub created_at: String,
    pub customer_id: Uuid,
    pub customer_email: Option<String>,
    pub invoice_number: String,
    pub amount: MoneyDto,
    pub status: String,
    pub provider_payment_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AdminPaymentPageDto {
    pub data: Vec<AdminPaymentRowDto>,
    pub next_cursor: Option<String>,
}

/// One step of a payment's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PaymentEventDto {
    pub at: String,
    pub kind: String,
    pub source: String,
    pub note: Option<String>,
    /// The raw webhook body, as received.
    pub payload: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AdminPaymentDto {
    pub payment: PaymentDto,
    pub customer: CustomerDto,
    pub provider: String,
    pub provider_payment_id: Option<String>,
    pub refund: Option<RefundDto>,
    pub timeline: Vec<PaymentEventDto>,
}

/// A payment as its provider's API shows it now, next to our record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProviderObjectDto {
    pub provider: String,
    /// The provider's object, pretty-printed JSON.
    pub raw: Option<String>,
    /// Why there is none: never sent, another provider, or the provider did not answer.
    pub note: Option<String>,
}

/// Everything support sees about one customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AdminCustomerDto {
    pub customer: CustomerDto,
    pub subscription: SubscriptionDto,
    pub entitlement: EntitlementDto,
    pub invoices: Vec<InvoiceDto>,
    pub payments: Vec<PaymentDto>,
    pub ledger: Vec<StatementLineDto>,
    /// The newest notifications sent to the customer.
    pub notifications: Vec<NotificationDto>,
}

/// One entry of the customer's notification list (`GET /api/v1/me/notifications`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NotificationDto {
    pub id: Uuid,
    /// `payment_succeeded`, `payment_failed`, `refund_succeeded`, `subscription_ending`,
    /// `subscription_renewed`, `renewal_failed`, `subscription_ended`, `payment_superseded`.
    pub kind: String,
    pub created_at: String,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub data: serde_json::Value,
    /// The notice in words, as the account page shows it.
    pub message: String,
}

impl NotificationDto {
    pub fn describe(kind: &str, data: &serde_json::Value) -> String {
        let text = |k: &str| data.get(k).and_then(|v| v.as_str()).unwrap_or("");
        let day = |k: &str| text(k).get(..10).unwrap_or("").to_string();
        let amount = data
            .get("amount")
            .and_then(|a| a.get("amount"))
            .and_then(|v| v.as_str())
            .and_then(|a| a.parse::<rust_decimal::Decimal>().ok())
            .map(|a| crate::domain::Money::new(a, crate::domain::Currency::default()).display())
            .unwrap_or_default();
        match kind {
            "payment_succeeded" => format!(
                "Payment of {amount} received; paid until {}.",
                day("period_end")
            ),
            "payment_failed" => format!("A payment failed: {}", text("message")),
            "complimentary_granted" => format!(
                "A gift from the cinema: {} free until {}.",
                text("tariff_name"),
                day("period_end")
            ),
            "refund_succeeded" => "Your refund was made; the money is on its way back.".to_string(),
            "subscription_ending"
                if data.get("auto_renew").and_then(|v| v.as_bool()) == Some(true) =>
            {
                format!(
                    "Your subscription ends on {}; it renews automatically with your saved card.",
                    day("period_end")
                )
            }
            "subscription_ending" => format!(
                "Your subscription ends in 3 days, on {}. Renew to keep watching.",
                day("period_end")
            ),
            "subscription_renewed" => format!(
                "Subscription renewed: {amount} charged; paid until {}.",
                day("period_end")
            ),
            "renewal_failed" => format!(
                "We could not renew your subscription: {} Access continues until {}; we will try again.",
                text("message"),
                day("access_until")
            ),
            "subscription_ended" => "Your subscription has ended.".to_string(),
            "payment_superseded" => format!(
                "Your payment of {amount} for invoice {} arrived after that invoice was replaced or while another tariff is running, so it buys nothing: we are refunding it in full.",
                text("invoice_number")
            ),
            other => other.replace('_', " "),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NotificationPageDto {
    pub data: Vec<NotificationDto>,
    pub next_cursor: Option<String>,
}

/// One outbox message, as the admin Outbox page and API show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OutboxMessageDto {
    /// Also the message id consumers deduplicate on.
    pub id: Uuid,
    /// `events`, `notify` or `auth`.
    pub destination: String,
    pub kind: String,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    pub attempts: i32,
    pub created_at: String,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<String>,
    pub delivered_at: Option<String>,
    pub dead_at: Option<String>,
    pub last_error: Option<String>,
    pub payload: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OutboxCountsDto {
    pub pending: u64,
    pub dead: u64,
    pub delivered: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OutboxPageDto {
    pub data: Vec<OutboxMessageDto>,
    pub next_cursor: Option<String>,
    pub counts: OutboxCountsDto,
    /// Where each destination delivers.
    pub relays: Vec<RelayDto>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RelayDto {
    pub destination: String,
    /// `rabbitmq`, `http` or `log`.
    pub via: String,
}

/// `GET/POST /api/v1/admin/clock`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TestClockDto {
    pub enabled: bool,
    pub now: String,
    /// How far the test clock has been moved, in seconds.
    pub offset_seconds: i64,
}

/// One broken money invariant found by the audit: which rule, on which row, what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IntegrityViolationDto {
    pub rule: String,
    pub entity: String,
    pub id: String,
    pub detail: String,
}

/// The audit of the live database (`server audit`, `GET /api/v1/admin/integrity`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IntegrityReportDto {
    pub ok: bool,
    pub checked_at: String,
    pub violations: Vec<IntegrityViolationDto>,
}
