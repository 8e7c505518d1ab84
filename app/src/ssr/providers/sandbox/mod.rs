//! The sandbox payment provider: part of the product and the default. It behaves like a
//! separate payment company: its own tables (`sandbox_*`, never a billing table), a
//! hosted payment page (`/sandbox/pay/{id}`, served by `server::http::sandbox_pages`),
//! test cards (API.md), idempotency keys, saved card tokens, HMAC-signed webhooks sent
//! over HTTP with its own retries, and settable latency and faults for tests.

pub mod cloudpayments_copy;
pub mod signature;
pub mod yookassa_copy;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use entity::{sandbox_cards, sandbox_payments, sandbox_refunds, sandbox_webhooks};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    ChargeSaved, CreatePayment, PaymentProvider, PaymentStatus, ProviderError, ProviderPayment,
    ProviderRefund, RefundRequest, RefundStatus, SavedMethod, WebhookEvent, WebhookRequest,
};
use crate::domain::{Currency, Money};
use crate::ssr::clock::SharedClock;
use crate::ssr::repo::is_unique_violation;

/// How long the hosted page takes a card. A payment nobody paid by then is canceled
/// (failure code `expired`), as real providers cancel a confirmation nobody finished;
/// reconciliation then learns it from the provider like any other outcome.
pub const PAGE_EXPIRES_AFTER: TimeDelta = TimeDelta::hours(1);

/// Test cards and what they do (API.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestCard {
    Succeeds,
    Declined,
    InsufficientFunds,
    /// Succeeds, but no webhook is ever sent: only a poll finds out.
    SucceedsSilently,
    /// Succeeds; the webhook arrives three times, with a late `pending` in between.
    SucceedsNoisily,
}

impl TestCard {
    /// Any other number that passes the Luhn check succeeds, like at real test gateways.
    /// The payment status the card leads to, with the failure code when it fails.
    pub fn outcome(self) -> (&'static str, Option<&'static str>) {
        match self {
            TestCard::Declined => ("failed", Some("card_declined")),
            TestCard::InsufficientFunds => ("failed", Some("insufficient_funds")),
            TestCard::Succeeds | TestCard::SucceedsSilently | TestCard::SucceedsNoisily => {
                ("succeeded", None)
            }
        }
    }

    pub fn for_number(number: &str) -> Option<TestCard> {
        match number {
            "4000000000000002" => Some(TestCard::Declined),
            "4000000000009995" => Some(TestCard::InsufficientFunds),
            "4000000000000341" => Some(TestCard::SucceedsSilently),
            "4000000000000259" => Some(TestCard::SucceedsNoisily),
            n if luhn_ok(n) => Some(TestCard::Succeeds),
            _ => None,
        }
    }
}

/// Digits only (spaces and dashes as people type them are dropped), 12 to 19 of them.
pub fn normalise_card_number(input: &str) -> Option<String> {
    let digits: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    (digits.len() >= 12 && digits.len() <= 19 && digits.chars().all(|c| c.is_ascii_digit()))
        .then_some(digits)
}

fn luhn_ok(digits: &str) -> bool {
    let mut sum = 0;
    for (i, c) in digits.chars().rev().enumerate() {
        let Some(mut d) = c.to_digit(10) else {
            return false;
        };
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum % 10 == 0
}

/// Faults a test can inject; each counter is used up one call at a time.
#[derive(Debug, Default, Clone)]
pub struct Faults {
    /// Added to every API call.
    pub latency: Duration,
    /// The next N `create_payment` calls create the payment, then report a timeout.
    pub timeout_after_create: u32,
    /// The next N API calls fail with a 5xx before doing anything.
    pub unavailable: u32,
    /// The next N `refund` calls make the refund, then report a timeout.
    pub timeout_after_refund: u32,
    /// Payments go through but no webhook is ever sent (only a poll can find out).
    pub suppress_webhooks: bool,
    /// Chaos (`KINOBILL__SANDBOX__CHAOS`, per mille): each API call fails with a 5xx
    /// before acting, and each payment or refund made is answered with a timeout, at
    /// this rate, for as long as the process runs.
    pub chaos_per_mille: u32,
}

impl Faults {
    fn chaos(&self) -> bool {
        self.chaos_per_mille > 0 && rand::random_range(0..1000) < self.chaos_per_mille
    }
}

/// Whose API a sandbox payment was made through: its notifications are sent the way
/// that provider sends them. Told by the payment's idempotency key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Personality {
    /// The sandbox's own API (and its signed webhooks).
    #[default]
    Sandbox,
    YooKassa,
    CloudPayments,
}

impl Personality {
    pub fn of_key(key: &str) -> Personality {
        if key.starts_with(yookassa_copy::KEY_PREFIX) {
            Personality::YooKassa
        } else if key.starts_with(cloudpayments_copy::KEY_PREFIX) {
            Personality::CloudPayments
        } else {
            Personality::Sandbox
        }
    }

    pub fn of(p: &sandbox_payments::Model) -> Personality {
        Personality::of_key(&p.idempotency_key)
    }

    fn is_sandbox(&self) -> bool {
        *self == Personality::Sandbox
    }

    /// A new payment or refund id in this personality's form.
    fn new_id(self, prefix: &str) -> String {
        match self {
            Personality::CloudPayments => cloudpayments_copy::new_id(),
            // Time-ordered: new rows go to the end of every index on this id (ours and
            // the sandbox's) instead of a random page of it.
            _ => format!("{prefix}_{}", Uuid::now_v7().simple()),
        }
    }
}

/// The webhook payload the sandbox sends.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SandboxEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub created: DateTime<Utc>,
    pub data: SandboxEventData,
    /// Recorded when the event is queued, so that delivery knows how to send it
    /// without reading the payment again (absent: the sandbox's own).
    #[serde(default, skip_serializing_if = "Personality::is_sandbox")]
    pub personality: Personality,
}

/// What a personality asks the sandbox to create: a payment for its hosted page, or
/// (with a card token) a charge decided at once.
#[derive(Debug, Clone)]
pub struct NewPayment<'a> {
    /// The sandbox's idempotency key (a personality's keys carry its prefix).
    pub key: &'a str,
    pub amount: Money,
    pub description: &'a str,
    pub return_url: &'a str,
    pub save_card: bool,
    /// Stored as given and echoed back (our reference, or a personality's metadata).
    pub metadata: &'a str,
    /// The merchant's reference to find the payment by (CloudPayments' `InvoiceId`).
    pub merchant_ref: Option<&'a str>,
}

/// A `created_at` window of a personality's list request (each bound optional).
#[derive(Debug, Clone, Default)]
pub struct CreatedRange {
    pub gte: Option<DateTime<Utc>>,
    pub gt: Option<DateTime<Utc>>,
    pub lte: Option<DateTime<Utc>>,
    pub lt: Option<DateTime<Utc>>,
}

/// Rows created strictly before `(at, id)` in the order (created_at, id) descending: a
/// keyset page's continuation.
fn before<C: ColumnTrait>(
    created_at: C,
    id: C,
    (at, last): (DateTime<Utc>, &str),
) -> sea_orm::Condition {
    sea_orm::Condition::any().add(created_at.lt(at)).add(
        sea_orm::Condition::all()
            .add(created_at.eq(at))
            .add(id.lt(last)),
    )
}

/// A CloudPayments site served by the sandbox's personality: its notifications are
/// signed with the API secret, which `Debug` never prints.
#[derive(Clone)]
pub struct CloudPaymentsSite {
    pub public_id: String,
    pub api_secret: String,
    /// Where the site's notifications go (`…/api/v1/webhooks/cloudpayments`, the kind
    /// appended), as set in CloudPayments' site settings; `None`: none are set, so no
    /// Check is asked and nothing is notified (a site whose merchant is not this server).
    pub notify_url: Option<String>,
}

impl std::fmt::Debug for CloudPaymentsSite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudPaymentsSite")
            .field("public_id", &self.public_id)
            .field("api_secret", &"***")
            .finish()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SandboxEventData {
    pub payment: SandboxPaymentView,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund: Option<SandboxRefundView>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SandboxPaymentView {
    pub id: String,
    pub status: String,
    pub amount_minor: i64,
    pub currency: String,
    pub reference: String,
    #[serde(default)]
    pub failure_code: Option<String>,
    #[serde(default)]
    pub card_last4: Option<String>,
    #[serde(default)]
    pub card_token: Option<String>,
    #[serde(default)]
    pub confirmation_url: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SandboxRefundView {
    pub id: String,
    pub status: String,
    pub amount_minor: i64,
}

/// What the hosted page shows.
#[derive(Debug, Clone)]
pub struct HostedPayment {
    pub id: String,
    pub amount: Money,
    pub description: String,
    pub status: String,
    pub failure_code: Option<String>,
    pub return_url: String,
    pub save_card: bool,
}

/// What happened when a card was entered on the hosted page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayOutcome {
    /// Done (or was already done): go back to the merchant.
    Finished {
        return_url: String,
    },
    /// Not a card number: show the page again with this message.
    InvalidCard(String),
    NotFound,
}

#[derive(Debug)]
pub struct Sandbox {
    db: DatabaseConnection,
    clock: SharedClock,
    secret: Arc<[u8]>,
    /// Where the hosted page lives, e.g. `http://127.0.0.1:3000`.
    base_url: String,
    /// Where webhooks go (our `/api/v1/webhooks/sandbox`).
    webhook_url: String,
    http: reqwest::Client,
    faults: Mutex<Faults>,
    /// The CloudPayments site its personality answers for, when configured.
    cloudpayments: Option<CloudPaymentsSite>,
}

fn failure_message(code: &str) -> &'static str {
    match code {
        "card_declined" => "The card was declined by the bank.",
        "insufficient_funds" => "There is not enough money on the card.",
        "canceled" => "The payment was canceled on the payment page.",
        "expired" => "The payment page expired before a card was entered.",
        "voided" => "The merchant canceled the payment before it was paid.",
        _ => "The payment failed.",
    }
}

impl Sandbox {
    pub fn new(
        db: DatabaseConnection,
        clock: SharedClock,
        secret: &str,
        base_url: &str,
        webhook_url: &str,
    ) -> Sandbox {
        Sandbox {
            db,
            clock,
            secret: Arc::from(secret.as_bytes()),
            base_url: base_url.trim_end_matches('/').to_string(),
            webhook_url: webhook_url.to_string(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            faults: Mutex::new(Faults::default()),
            cloudpayments: None,
        }
    }

    /// Serves `site` through the CloudPayments personality (its notifications are
    /// signed with the site's API secret).
    pub fn with_cloudpayments(mut self, site: CloudPaymentsSite) -> Sandbox {
        self.cloudpayments = Some(site);
        self
    }

    pub fn cloudpayments_site(&self) -> Option<&CloudPaymentsSite> {
        self.cloudpayments.as_ref()
    }

    /// Replaces the injected faults (tests).
    pub fn set_faults(&self, faults: Faults) {
        *self.faults.lock().unwrap_or_else(|p| p.into_inner()) = faults;
    }

    pub fn secret(&self) -> &[u8] {
        &self.secret
    }

    /// Applies the injected latency and outage to one API call (the personalities'
    /// routes call it too, so their clients see the same faults).
    pub async fn before_call(&self) -> Result<(), ProviderError> {
        let (latency, unavailable) = {
            let mut f = self.faults.lock().unwrap_or_else(|p| p.into_inner());
            let unavailable = f.unavailable > 0;
            if unavailable {
                f.unavailable -= 1;
            }
            (f.latency, unavailable || f.chaos())
        };
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        if unavailable {
            return Err(ProviderError::Unavailable(
                "503 Service Unavailable (injected)".into(),
            ));
        }
        Ok(())
    }

    /// For a personality's route: when `timeout_after_create` is armed, the answer to
    /// a call that has already created its payment is held back past any client's
    /// timeout, as a provider whose answer is lost on the way.
    pub async fn stall_after_create(&self) {
        if self.take_timeout_after_create() {
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    }

    fn take_timeout_after_create(&self) -> bool {
        let mut f = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        Self::take(&mut f.timeout_after_create) || f.chaos()
    }

    fn take_timeout_after_refund(&self) -> bool {
        let mut f = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        Self::take(&mut f.timeout_after_refund) || f.chaos()
    }

    /// Uses up one of a fault's counter.
    fn take(counter: &mut u32) -> bool {
        let armed = *counter > 0;
        *counter = counter.saturating_sub(1);
        armed
    }

    fn view(&self, p: &sandbox_payments::Model) -> SandboxPaymentView {
        SandboxPaymentView {
            id: p.id.clone(),
            status: p.status.clone(),
            amount_minor: p.amount_minor,
            currency: p.currency.clone(),
            reference: p.metadata.clone(),
            failure_code: p.failure_code.clone(),
            card_last4: p.card_last4.clone(),
            card_token: p.card_token.clone(),
            confirmation_url: (p.status == "pending")
                .then(|| format!("{}/sandbox/pay/{}", self.base_url, p.id)),
        }
    }

    async fn find(&self, id: &str) -> Result<Option<sandbox_payments::Model>, ProviderError> {
        sandbox_payments::Entity::find_by_id(id.to_string())
            .one(&self.db)
            .await
            .map_err(internal)
    }

    /// Creates (or, for a known idempotency key, returns) a payment.
    /// `charged`: a saved-card charge is decided at once — (status, failure code, last 4
    /// digits) — and stored in the same insert.
    async fn create(
        &self,
        new: &NewPayment<'_>,
        charged: Option<(&'static str, Option<&'static str>, String)>,
    ) -> Result<sandbox_payments::Model, ProviderError> {
        // Insert first and look up the key only when it is taken: a retry is the rare
        // case, and the renewal sweep makes many of these calls.
        let now = self.clock.now();
        let (status, failure, last4) = match charged {
            Some((status, failure, last4)) => (status, failure, Some(last4)),
            None => ("pending", None, None),
        };
        let key = new.key;
        let row = sandbox_payments::ActiveModel {
            id: Set(Personality::of_key(key).new_id("sbx")),
            idempotency_key: Set(key.to_string()),
            amount_minor: Set(new.amount.minor()),
            currency: Set(new.amount.currency().code().to_string()),
            description: Set(new.description.to_string()),
            return_url: Set(new.return_url.to_string()),
            metadata: Set(new.metadata.to_string()),
            status: Set(status.into()),
            failure_code: Set(failure.map(str::to_string)),
            card_last4: Set(last4),
            save_card: Set(new.save_card),
            card_token: Set(None),
            refunded_minor: Set(0),
            merchant_ref: Set(new.merchant_ref.map(str::to_string)),
            created_at: Set(now),
            updated_at: Set(now),
        };
        match self.insert_unflushed(row).await {
            Ok(m) => Ok(m),
            // A known key (a retry, or two calls racing): that payment is the payment.
            Err(e) if is_unique_violation(&e) => self
                .by_key(key)
                .await?
                .ok_or_else(|| ProviderError::Unavailable("idempotency race".into())),
            Err(e) => Err(internal(e)),
        }
    }

    /// Creates (or, for a known key, returns) a payment for the hosted page.
    pub async fn open(
        &self,
        new: &NewPayment<'_>,
    ) -> Result<sandbox_payments::Model, ProviderError> {
        self.create(new, None).await
    }

    /// Charges the saved card `token` (or returns the charge made with this key before),
    /// decided at once by the card's test number. With `account`, the card must have
    /// been saved for that account (as CloudPayments ties a token to its `AccountId`).
    pub async fn charge_token(
        &self,
        new: &NewPayment<'_>,
        token: &str,
        account: Option<&str>,
    ) -> Result<sandbox_payments::Model, ProviderError> {
        let card = sandbox_cards::Entity::find_by_id(token.to_string())
            .one(&self.db)
            .await
            .map_err(internal)?
            .filter(|c| match (account, c.account_id.as_deref()) {
                (Some(wanted), Some(owner)) => wanted == owner,
                _ => true,
            })
            .ok_or_else(|| ProviderError::Rejected {
                code: "unknown_payment_method".into(),
                message: "No saved card with this token.".into(),
            })?;
        let behaviour = TestCard::for_number(&card.card_number).unwrap_or(TestCard::Succeeds);
        let (status, failure) = behaviour.outcome();
        let last4 = card.card_number[card.card_number.len().saturating_sub(4)..].to_string();
        let p = self
            .create(new, Some((status, failure, last4.clone())))
            .await?;
        // Only a payment first made through the hosted page with this key can still be
        // pending here.
        if p.status != "pending" {
            return Ok(p);
        }
        let now = self.clock.now();
        sandbox_payments::Entity::update_many()
            .col_expr(sandbox_payments::Column::Status, status.into())
            .col_expr(
                sandbox_payments::Column::FailureCode,
                failure.map(str::to_string).into(),
            )
            .col_expr(sandbox_payments::Column::CardLast4, Some(last4).into())
            .col_expr(sandbox_payments::Column::UpdatedAt, now.into())
            .filter(sandbox_payments::Column::Id.eq(p.id.as_str()))
            .filter(sandbox_payments::Column::Status.eq("pending"))
            .exec(&self.db)
            .await
            .map_err(internal)?;
        self.find(&p.id).await?.ok_or(ProviderError::NotFound)
    }

    /// Payments whose key starts with `key_prefix` (one personality's one shop), newest
    /// first, in `statuses` (any when empty), within `range`, after a page's last row.
    pub async fn list_payments(
        &self,
        key_prefix: &str,
        statuses: &[&str],
        range: &CreatedRange,
        after: Option<(DateTime<Utc>, &str)>,
        limit: u64,
    ) -> Result<Vec<sandbox_payments::Model>, ProviderError> {
        use sandbox_payments::Column as C;
        let mut q =
            sandbox_payments::Entity::find().filter(C::IdempotencyKey.starts_with(key_prefix));
        if !statuses.is_empty() {
            q = q.filter(C::Status.is_in(statuses.iter().copied()));
        }
        for (bound, cond) in [
            (range.gte, C::CreatedAt.gte(range.gte)),
            (range.gt, C::CreatedAt.gt(range.gt)),
            (range.lte, C::CreatedAt.lte(range.lte)),
            (range.lt, C::CreatedAt.lt(range.lt)),
        ] {
            if bound.is_some() {
                q = q.filter(cond);
            }
        }
        if let Some(after) = after {
            q = q.filter(before(C::CreatedAt, C::Id, after));
        }
        q.order_by_desc(C::CreatedAt)
            .order_by_desc(C::Id)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(internal)
    }

    /// Refunds whose key starts with `key_prefix`, newest first, of one payment if
    /// given, after a page's last row; each with its payment's currency.
    pub async fn list_refunds(
        &self,
        key_prefix: &str,
        payment_id: Option<&str>,
        after: Option<(DateTime<Utc>, &str)>,
        limit: u64,
    ) -> Result<Vec<(sandbox_refunds::Model, String)>, ProviderError> {
        use sandbox_refunds::Column as C;
        let mut q =
            sandbox_refunds::Entity::find().filter(C::IdempotencyKey.starts_with(key_prefix));
        if let Some(id) = payment_id {
            q = q.filter(C::PaymentId.eq(id));
        }
        if let Some(after) = after {
            q = q.filter(before(C::CreatedAt, C::Id, after));
        }
        let refunds = q
            .order_by_desc(C::CreatedAt)
            .order_by_desc(C::Id)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(internal)?;
        let payments = sandbox_payments::Entity::find()
            .filter(
                sandbox_payments::Column::Id.is_in(refunds.iter().map(|r| r.payment_id.clone())),
            )
            .all(&self.db)
            .await
            .map_err(internal)?;
        Ok(refunds
            .into_iter()
            .map(|r| {
                let currency = payments
                    .iter()
                    .find(|p| p.id == r.payment_id)
                    .map(|p| p.currency.clone())
                    .unwrap_or_else(|| Currency::Rub.code().to_string());
                (r, currency)
            })
            .collect())
    }

    /// The number of a saved card (its first six digits appear in CloudPayments'
    /// transactions).
    pub async fn card_number(&self, token: Option<&str>) -> Result<Option<String>, ProviderError> {
        let Some(token) = token else {
            return Ok(None);
        };
        Ok(sandbox_cards::Entity::find_by_id(token.to_string())
            .one(&self.db)
            .await
            .map_err(internal)?
            .map(|c| c.card_number))
    }

    /// The latest payment with this merchant reference that has a transaction
    /// (CloudPayments' `/payments/find` by `InvoiceId`).
    pub async fn find_by_merchant_ref(
        &self,
        merchant_ref: &str,
    ) -> Result<Option<sandbox_payments::Model>, ProviderError> {
        let rows = sandbox_payments::Entity::find()
            .filter(sandbox_payments::Column::MerchantRef.eq(merchant_ref))
            .order_by_desc(sandbox_payments::Column::UpdatedAt)
            .limit(20)
            .all(&self.db)
            .await
            .map_err(internal)?;
        // As CloudPayments: the latest attempt, whatever its outcome.
        Ok(rows.into_iter().find(cloudpayments_copy::has_transaction))
    }

    /// Stores a new payment without waiting for its own disk flush (PostgreSQL). The
    /// sandbox plays an outside system, and the renewal sweep makes one of these per
    /// charge: a flush each made the disk, not the billing, the limit. It is safe
    /// because PostgreSQL writes its log in order: our settlement's commit, which waits
    /// for the flush and always comes after the charge, makes this record durable too.
    /// A crash before that loses a charge nobody recorded; the retry with the same key
    /// then charges once, as if the first call never arrived.
    async fn insert_unflushed(
        &self,
        row: sandbox_payments::ActiveModel,
    ) -> Result<sandbox_payments::Model, sea_orm::DbErr> {
        if self.db.get_database_backend() != DbBackend::Postgres {
            return row.insert(&self.db).await;
        }
        let txn = self.db.begin().await?;
        txn.execute_unprepared("SET LOCAL synchronous_commit = off")
            .await?;
        let inserted = row.insert(&txn).await?;
        txn.commit().await?;
        Ok(inserted)
    }

    async fn by_key(&self, key: &str) -> Result<Option<sandbox_payments::Model>, ProviderError> {
        sandbox_payments::Entity::find()
            .filter(sandbox_payments::Column::IdempotencyKey.eq(key))
            .one(&self.db)
            .await
            .map_err(internal)
    }

    /// The hosted page's view of a payment.
    pub async fn hosted(&self, id: &str) -> Result<Option<HostedPayment>, ProviderError> {
        let Some(p) = self.find(id).await? else {
            return Ok(None);
        };
        let p = self.expire_if_stale(p).await?;
        // CloudPayments keeps every paid card's token without asking on its page.
        let save_card = p.save_card && Personality::of(&p) != Personality::CloudPayments;
        Ok(Some(HostedPayment {
            amount: Money::from_minor(
                p.amount_minor,
                p.currency
                    .parse()
                    .map_err(|e| internal(format!("payment {}: {e}", p.id)))?,
            ),
            id: p.id,
            description: p.description,
            status: p.status,
            failure_code: p.failure_code,
            return_url: p.return_url,
            save_card,
        }))
    }

    /// The customer entered `card_number` on the hosted page. A payment that is no longer
    /// pending is left as it is (a double-submitted form pays once).
    pub async fn pay(&self, id: &str, card_number: &str) -> Result<PayOutcome, ProviderError> {
        let Some(payment) = self.find(id).await? else {
            return Ok(PayOutcome::NotFound);
        };
        let payment = self.expire_if_stale(payment).await?;
        if payment.status != "pending" {
            return Ok(PayOutcome::Finished {
                return_url: payment.return_url,
            });
        }
        let Some(number) = normalise_card_number(card_number) else {
            return Ok(PayOutcome::InvalidCard(
                "Enter the 16 digits of a test card, e.g. 4242 4242 4242 4242.".into(),
            ));
        };
        let Some(card) = TestCard::for_number(&number) else {
            return Ok(PayOutcome::InvalidCard(
                "This card number is not valid. Check the digits.".into(),
            ));
        };
        let now = self.clock.now();
        let personality = Personality::of(&payment);
        // CloudPayments asks the merchant (Check) before every attempt; a refusal
        // declines the card whatever it is.
        let (card, status, failure) = if personality == Personality::CloudPayments
            && !self.merchant_accepts(&payment, &number, now).await
        {
            (TestCard::Declined, "failed", Some("refused_by_merchant"))
        } else {
            let (status, failure) = card.outcome();
            (card, status, failure)
        };
        let token = if status == "succeeded" && payment.save_card {
            let token = format!("card_{}", Uuid::new_v4().simple());
            sandbox_cards::ActiveModel {
                token: Set(token.clone()),
                card_number: Set(number.clone()),
                account_id: Set(cloudpayments_copy::Merchant::of(&payment).account_id),
                created_at: Set(now),
            }
            .insert(&self.db)
            .await
            .map_err(internal)?;
            Some(token)
        } else {
            None
        };
        // Only a still-pending payment moves: two concurrent submits settle it once.
        let moved = sandbox_payments::Entity::update_many()
            .col_expr(sandbox_payments::Column::Status, status.into())
            .col_expr(
                sandbox_payments::Column::FailureCode,
                failure.map(str::to_string).into(),
            )
            .col_expr(
                sandbox_payments::Column::CardLast4,
                Some(number[number.len() - 4..].to_string()).into(),
            )
            .col_expr(sandbox_payments::Column::CardToken, token.into())
            .col_expr(sandbox_payments::Column::UpdatedAt, now.into())
            .filter(sandbox_payments::Column::Id.eq(id))
            .filter(sandbox_payments::Column::Status.eq("pending"))
            .exec(&self.db)
            .await
            .map_err(internal)?;
        if moved.rows_affected == 1 {
            let paid = self.find(id).await?.ok_or(ProviderError::NotFound)?;
            self.schedule_webhooks(&paid, card, now).await?;
        }
        let fail_url = (personality == Personality::CloudPayments && status == "failed")
            .then(|| cloudpayments_copy::Merchant::of(&payment).fail_redirect_url)
            .flatten();
        Ok(PayOutcome::Finished {
            return_url: fail_url.unwrap_or(payment.return_url),
        })
    }

    /// CloudPayments' Check: the merchant's `/check` URL answers `{"code": 0}` to let the
    /// attempt go on. No answer, or any other code, refuses it.
    async fn merchant_accepts(
        &self,
        p: &sandbox_payments::Model,
        card_number: &str,
        now: DateTime<Utc>,
    ) -> bool {
        let Some(site) = &self.cloudpayments else {
            return false;
        };
        let Some(url) = &site.notify_url else {
            // No Check URL in the site's settings: nobody is asked.
            return true;
        };
        let fields = cloudpayments_copy::check(p, card_number, now);
        self.notify_site(&format!("{url}/check"), &fields, &site.api_secret)
            .await
            .is_ok()
    }

    /// Posts a CloudPayments notification (form-encoded, `Content-HMAC` signed) and
    /// reads the answer: only `{"code": 0}` accepts it.
    async fn notify_site(
        &self,
        url: &str,
        fields: &[(&str, String)],
        api_secret: &str,
    ) -> Result<(), String> {
        let (body, signature) = cloudpayments_copy::signed_form(fields, api_secret);
        let res = self
            .http
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("content-hmac", &signature)
            .header("x-content-hmac", &signature)
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !res.status().is_success() {
            return Err(format!("HTTP {}", res.status()));
        }
        match res.json::<serde_json::Value>().await {
            Ok(v) if v["code"] == 0 => Ok(()),
            Ok(v) => Err(format!("answered {v}")),
            Err(e) => Err(format!("unreadable answer: {e}")),
        }
    }

    /// Saved cards, newest first (the sandbox's card page).
    pub async fn saved_cards(&self) -> Result<Vec<sandbox_cards::Model>, ProviderError> {
        sandbox_cards::Entity::find()
            .order_by_desc(sandbox_cards::Column::CreatedAt)
            .limit(200)
            .all(&self.db)
            .await
            .map_err(internal)
    }

    /// Makes a saved card behave like another test card from now on (say, start
    /// declining), as a real card can expire or run out of money between renewals.
    pub async fn set_card_number(&self, token: &str, number: &str) -> Result<bool, ProviderError> {
        let Some(number) = normalise_card_number(number) else {
            return Ok(false);
        };
        let updated = sandbox_cards::Entity::update_many()
            .col_expr(sandbox_cards::Column::CardNumber, number.into())
            .filter(sandbox_cards::Column::Token.eq(token))
            .exec(&self.db)
            .await
            .map_err(internal)?;
        Ok(updated.rows_affected == 1)
    }

    /// Cancels `p` with failure code `expired` if it is still pending
    /// [`PAGE_EXPIRES_AFTER`] after it was created (and sends the `payment.canceled`
    /// webhook once); returns the payment as it is now.
    async fn expire_if_stale(
        &self,
        p: sandbox_payments::Model,
    ) -> Result<sandbox_payments::Model, ProviderError> {
        let now = self.clock.now();
        if p.status != "pending" || p.created_at + PAGE_EXPIRES_AFTER > now {
            return Ok(p);
        }
        self.cancel_pending(&p.id, Some("expired")).await
    }

    /// Moves a still-pending payment to `canceled` (with `failure_code`) and sends the
    /// `payment.canceled` webhook, once however often it is called; returns the
    /// payment as it is now.
    async fn cancel_pending(
        &self,
        id: &str,
        failure_code: Option<&str>,
    ) -> Result<sandbox_payments::Model, ProviderError> {
        let now = self.clock.now();
        let moved = sandbox_payments::Entity::update_many()
            .col_expr(sandbox_payments::Column::Status, "canceled".into())
            .col_expr(
                sandbox_payments::Column::FailureCode,
                failure_code.map(str::to_string).into(),
            )
            .col_expr(sandbox_payments::Column::UpdatedAt, now.into())
            .filter(sandbox_payments::Column::Id.eq(id))
            .filter(sandbox_payments::Column::Status.eq("pending"))
            .exec(&self.db)
            .await
            .map_err(internal)?;
        let current = self.find(id).await?.ok_or(ProviderError::NotFound)?;
        if moved.rows_affected == 1 {
            self.enqueue("payment.canceled", &current, None, now, now, None)
                .await?;
        }
        Ok(current)
    }

    /// The customer pressed Cancel on the hosted page.
    pub async fn cancel(&self, id: &str) -> Result<PayOutcome, ProviderError> {
        let Some(payment) = self.find(id).await? else {
            return Ok(PayOutcome::NotFound);
        };
        self.cancel_pending(id, None).await?;
        Ok(PayOutcome::Finished {
            return_url: payment.return_url,
        })
    }

    async fn schedule_webhooks(
        &self,
        p: &sandbox_payments::Model,
        card: TestCard,
        now: DateTime<Utc>,
    ) -> Result<(), ProviderError> {
        if self
            .faults
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .suppress_webhooks
        {
            return Ok(());
        }
        let kind = if p.status == "succeeded" {
            "payment.succeeded"
        } else {
            "payment.failed"
        };
        match card {
            TestCard::SucceedsSilently => {}
            TestCard::SucceedsNoisily => {
                // The same `succeeded` event three times, with a `pending` event created
                // earlier but delivered in between: a consumer must dedupe and ignore it.
                let id = format!("evt_{}", Uuid::new_v4().simple());
                let mut pending_view = p.clone();
                pending_view.status = "pending".into();
                let s = TimeDelta::seconds(1);
                self.enqueue(kind, p, None, now, now, Some(id.clone()))
                    .await?;
                self.enqueue(
                    "payment.pending",
                    &pending_view,
                    None,
                    now - s,
                    now + s,
                    None,
                )
                .await?;
                self.enqueue(kind, p, None, now, now + s * 2, Some(id.clone()))
                    .await?;
                self.enqueue(kind, p, None, now, now + s * 3, Some(id))
                    .await?;
            }
            _ => {
                self.enqueue(kind, p, None, now, now, None).await?;
            }
        }
        Ok(())
    }

    /// Stores a webhook to deliver at `due`. Deliveries of one event share its id.
    async fn enqueue(
        &self,
        kind: &str,
        p: &sandbox_payments::Model,
        refund: Option<SandboxRefundView>,
        created: DateTime<Utc>,
        due: DateTime<Utc>,
        event_id: Option<String>,
    ) -> Result<(), ProviderError> {
        let event = SandboxEvent {
            id: event_id.unwrap_or_else(|| format!("evt_{}", Uuid::new_v4().simple())),
            kind: kind.to_string(),
            created,
            data: SandboxEventData {
                payment: self.view(p),
                refund,
            },
            personality: Personality::of(p),
        };
        let payload = serde_json::to_string(&event).map_err(|e| internal(e.to_string()))?;
        sandbox_webhooks::ActiveModel {
            // One row per delivery; the event id inside the payload may repeat.
            id: Set(format!("whd_{}", Uuid::new_v4().simple())),
            payment_id: Set(p.id.clone()),
            event_type: Set(kind.to_string()),
            payload: Set(payload),
            due_at: Set(due),
            attempts: Set(0),
            delivered_at: Set(None),
            last_error: Set(None),
            created_at: Set(self.clock.now()),
        }
        .insert(&self.db)
        .await
        .map_err(internal)?;
        Ok(())
    }

    /// Sends the webhooks that are due, oldest first; failures retry with exponential
    /// backoff (1 s, 2 s, 4 s … capped at 1 h) for up to `MAX_ATTEMPTS`. Returns how
    /// many were delivered. One instance runs this loop (the sandbox is single-tenant).
    pub async fn deliver_due(&self, limit: u64) -> Result<usize, ProviderError> {
        const MAX_ATTEMPTS: i32 = 12;
        let now = self.clock.now();
        let due = sandbox_webhooks::Entity::find()
            .filter(sandbox_webhooks::Column::DeliveredAt.is_null())
            .filter(sandbox_webhooks::Column::DueAt.lte(now))
            .filter(sandbox_webhooks::Column::Attempts.lt(MAX_ATTEMPTS))
            .order_by_asc(sandbox_webhooks::Column::DueAt)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(internal)?;
        let mut delivered = 0;
        for w in due {
            let Some(result) = self.send(&w).await? else {
                // Nothing that provider would send: done.
                let mut row: sandbox_webhooks::ActiveModel = w.into();
                row.delivered_at = Set(Some(self.clock.now()));
                row.update(&self.db).await.map_err(internal)?;
                continue;
            };
            let error = result.err();
            let attempts = w.attempts + 1;
            let mut row: sandbox_webhooks::ActiveModel = w.into();
            row.attempts = Set(attempts);
            match error {
                None => {
                    delivered += 1;
                    row.delivered_at = Set(Some(self.clock.now()));
                    row.last_error = Set(None);
                }
                Some(e) => {
                    let backoff =
                        TimeDelta::seconds(1_i64 << attempts.clamp(0, 12)).min(TimeDelta::hours(1));
                    row.due_at = Set(self.clock.now() + backoff);
                    row.last_error = Set(Some(e));
                }
            }
            row.update(&self.db).await.map_err(internal)?;
        }
        Ok(delivered)
    }

    /// Sends one queued webhook the way its payment's provider sends notifications:
    /// the sandbox's own signed event, YooKassa's unsigned JSON (which the adapter reads
    /// back), or CloudPayments' signed form (answered `{"code": 0}`). `None`: that
    /// provider sends nothing for this event.
    async fn send(
        &self,
        w: &sandbox_webhooks::Model,
    ) -> Result<Option<Result<(), String>>, ProviderError> {
        let event: SandboxEvent = serde_json::from_str(&w.payload).map_err(internal)?;
        let sent = match event.personality {
            Personality::Sandbox => {
                let header = signature::sign(&self.secret, w.payload.as_bytes(), self.clock.now());
                self.http
                    .post(&self.webhook_url)
                    .header("content-type", "application/json")
                    .header(signature::HEADER, header)
                    .body(w.payload.clone())
                    .send()
                    .await
            }
            Personality::YooKassa => {
                let Some((p, refund)) = self.rows_of(&event).await? else {
                    return Ok(None);
                };
                let Some(note) =
                    yookassa_copy::notification(&event, &p, refund.as_ref(), &self.base_url)
                else {
                    return Ok(None);
                };
                self.http
                    .post(format!("{}/api/v1/webhooks/yookassa", self.base_url))
                    .json(&note)
                    .send()
                    .await
            }
            Personality::CloudPayments => {
                let Some((site, url)) = self
                    .cloudpayments
                    .as_ref()
                    .and_then(|s| Some((s, s.notify_url.as_ref()?)))
                else {
                    // No notification URLs in the site's settings: nothing is sent.
                    return Ok(None);
                };
                let Some((p, refund)) = self.rows_of(&event).await? else {
                    return Ok(None);
                };
                let card = self.card_number(p.card_token.as_deref()).await?;
                let Some((kind, fields)) =
                    cloudpayments_copy::notification(&event, &p, refund.as_ref(), card.as_deref())
                else {
                    return Ok(None);
                };
                // CloudPayments repeats a notification until it is answered code 0.
                return Ok(Some(
                    self.notify_site(&format!("{url}/{kind}"), &fields, &site.api_secret)
                        .await,
                ));
            }
        };
        Ok(Some(match sent {
            Ok(res) if res.status().is_success() => Ok(()),
            Ok(res) => Err(format!("HTTP {}", res.status())),
            Err(e) => Err(format!("{e}")),
        }))
    }

    /// The payment (and refund) a personality's notification renders, as they are now.
    async fn rows_of(
        &self,
        event: &SandboxEvent,
    ) -> Result<Option<(sandbox_payments::Model, Option<sandbox_refunds::Model>)>, ProviderError>
    {
        let Some(p) = self.find(&event.data.payment.id).await? else {
            return Ok(None);
        };
        let refund = match &event.data.refund {
            Some(r) => self.refund_row(&r.id).await?,
            None => None,
        };
        Ok(Some((p, refund)))
    }

    /// A payment as it is now (a hosted page nobody finished in time is expired first).
    pub async fn payment_row(
        &self,
        id: &str,
    ) -> Result<Option<sandbox_payments::Model>, ProviderError> {
        match self.find(id).await? {
            Some(p) => Ok(Some(self.expire_if_stale(p).await?)),
            None => Ok(None),
        }
    }

    pub async fn refund_row(
        &self,
        id: &str,
    ) -> Result<Option<sandbox_refunds::Model>, ProviderError> {
        sandbox_refunds::Entity::find_by_id(id.to_string())
            .one(&self.db)
            .await
            .map_err(internal)
    }

    /// Where the hosted page lives (`http://127.0.0.1:3000`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The trait's view of a stored payment: the same mapping webhooks are read with.
    fn to_provider(&self, p: &sandbox_payments::Model) -> Result<ProviderPayment, ProviderError> {
        view_to_provider(&self.view(p))
    }
}

fn internal(e: impl std::fmt::Display) -> ProviderError {
    ProviderError::Unavailable(format!("sandbox storage: {e}"))
}

fn view_to_provider(v: &SandboxPaymentView) -> Result<ProviderPayment, ProviderError> {
    let currency: Currency = v
        .currency
        .parse()
        .map_err(|_| ProviderError::MalformedWebhook("currency".into()))?;
    let status = match v.status.as_str() {
        "pending" => PaymentStatus::Pending,
        "succeeded" => PaymentStatus::Succeeded,
        "canceled" => PaymentStatus::Canceled,
        "failed" => {
            let code = v.failure_code.clone().unwrap_or_else(|| "failed".into());
            PaymentStatus::Failed {
                message: failure_message(&code).to_string(),
                code,
            }
        }
        other => {
            return Err(ProviderError::MalformedWebhook(format!(
                "unknown status {other}"
            )));
        }
    };
    Ok(ProviderPayment {
        id: v.id.clone(),
        status,
        amount: Money::from_minor(v.amount_minor, currency),
        confirmation_url: v.confirmation_url.clone(),
        saved_method: match (&v.card_token, &v.card_last4) {
            (Some(token), Some(last4)) => Some(SavedMethod {
                token: token.clone(),
                brand: "Visa".into(),
                last4: last4.clone(),
            }),
            _ => None,
        },
        reference: v.reference.clone(),
    })
}

#[async_trait::async_trait]
impl PaymentProvider for Sandbox {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    async fn create_payment(&self, req: &CreatePayment) -> Result<ProviderPayment, ProviderError> {
        self.before_call().await?;
        let reference = req.reference.to_string();
        let p = self
            .open(&NewPayment {
                key: &req.idempotency_key,
                amount: req.amount,
                description: &req.description,
                return_url: &req.return_url,
                save_card: req.save_payment_method,
                metadata: &reference,
                merchant_ref: None,
            })
            .await?;
        if self.take_timeout_after_create() {
            return Err(ProviderError::Timeout);
        }
        self.to_provider(&p)
    }

    async fn get_payment(&self, id: &str) -> Result<ProviderPayment, ProviderError> {
        self.before_call().await?;
        let p = self.find(id).await?.ok_or(ProviderError::NotFound)?;
        let p = self.expire_if_stale(p).await?;
        self.to_provider(&p)
    }

    async fn charge_saved(&self, req: &ChargeSaved) -> Result<ProviderPayment, ProviderError> {
        self.before_call().await?;
        let reference = req.reference.to_string();
        let new = NewPayment {
            key: &req.idempotency_key,
            amount: req.amount,
            description: &req.description,
            return_url: "",
            save_card: false,
            metadata: &reference,
            merchant_ref: None,
        };
        let p = self
            .charge_token(&new, &req.payment_method_token, None)
            .await?;
        if self.take_timeout_after_create() {
            // Charged, but the answer is lost: what a crash after charging looks like.
            return Err(ProviderError::Timeout);
        }
        self.to_provider(&p)
    }

    async fn refund(&self, req: &RefundRequest) -> Result<ProviderRefund, ProviderError> {
        self.before_call().await?;
        let view = |r: &sandbox_refunds::Model| ProviderRefund {
            id: r.id.clone(),
            status: RefundStatus::Succeeded,
        };
        if let Some(existing) = sandbox_refunds::Entity::find()
            .filter(sandbox_refunds::Column::IdempotencyKey.eq(req.idempotency_key.as_str()))
            .one(&self.db)
            .await
            .map_err(internal)?
        {
            return Ok(view(&existing));
        }
        let payment = self
            .find(&req.provider_payment_id)
            .await?
            .ok_or(ProviderError::NotFound)?;
        let amount = req.amount.minor();
        if payment.status != "succeeded" || payment.refunded_minor + amount > payment.amount_minor {
            return Err(ProviderError::Rejected {
                code: "refund_not_possible".into(),
                message: "The payment has not succeeded or is already refunded.".into(),
            });
        }
        let now = self.clock.now();
        let refund = sandbox_refunds::ActiveModel {
            id: Set(Personality::of(&payment).new_id("rfd")),
            payment_id: Set(payment.id.clone()),
            idempotency_key: Set(req.idempotency_key.clone()),
            amount_minor: Set(amount),
            status: Set("succeeded".into()),
            created_at: Set(now),
        };
        let refund = match refund.insert(&self.db).await {
            Ok(r) => r,
            Err(e) if is_unique_violation(&e) => sandbox_refunds::Entity::find()
                .filter(sandbox_refunds::Column::IdempotencyKey.eq(req.idempotency_key.as_str()))
                .one(&self.db)
                .await
                .map_err(internal)?
                .ok_or_else(|| ProviderError::Unavailable("idempotency race".into()))?,
            Err(e) => return Err(internal(e)),
        };
        sandbox_payments::Entity::update_many()
            .col_expr(
                sandbox_payments::Column::RefundedMinor,
                sea_orm::sea_query::Expr::col(sandbox_payments::Column::RefundedMinor).add(amount),
            )
            .filter(sandbox_payments::Column::Id.eq(payment.id.as_str()))
            .exec(&self.db)
            .await
            .map_err(internal)?;
        if !Personality::of(&payment).is_sandbox() {
            // YooKassa and CloudPayments notify a refund as well as answering the call.
            let view = SandboxRefundView {
                id: refund.id.clone(),
                status: refund.status.clone(),
                amount_minor: refund.amount_minor,
            };
            self.enqueue("refund.succeeded", &payment, Some(view), now, now, None)
                .await?;
        }
        if self.take_timeout_after_refund() {
            // Refunded, but the answer is lost on the way back.
            return Err(ProviderError::Timeout);
        }
        Ok(view(&refund))
    }

    async fn raw_payment(&self, id: &str) -> Result<serde_json::Value, ProviderError> {
        let p = self.payment_row(id).await?.ok_or(ProviderError::NotFound)?;
        serde_json::to_value(self.view(&p)).map_err(internal)
    }

    async fn cancel_payment(&self, id: &str) -> Result<ProviderPayment, ProviderError> {
        self.before_call().await?;
        self.find(id).await?.ok_or(ProviderError::NotFound)?;
        let p = self.cancel_pending(id, Some("voided")).await?;
        self.to_provider(&p)
    }

    async fn receive_webhook(
        &self,
        req: &WebhookRequest<'_>,
        now: DateTime<Utc>,
    ) -> Result<WebhookEvent, ProviderError> {
        let body = req.body;
        let header = req
            .headers
            .get(signature::HEADER)
            .ok_or(ProviderError::InvalidSignature)?;
        if !signature::verify(&self.secret, header, body, now) {
            return Err(ProviderError::InvalidSignature);
        }
        let event: SandboxEvent = serde_json::from_slice(body)
            .map_err(|e| ProviderError::MalformedWebhook(e.to_string()))?;
        let payment = view_to_provider(&event.data.payment)?;
        Ok(match (event.kind.as_str(), event.data.refund) {
            ("refund.succeeded" | "refund.failed", Some(r)) => WebhookEvent::Refund {
                event_id: event.id,
                occurred_at: event.created,
                provider_payment_id: payment.id,
                refund: ProviderRefund {
                    id: r.id,
                    status: if r.status == "succeeded" {
                        RefundStatus::Succeeded
                    } else {
                        RefundStatus::Failed {
                            message: "The refund failed.".into(),
                        }
                    },
                },
            },
            (k, _) if k.starts_with("payment.") => WebhookEvent::Payment {
                event_id: event.id,
                occurred_at: event.created,
                payment,
            },
            (other, _) => {
                return Err(ProviderError::MalformedWebhook(format!(
                    "unknown event type {other}"
                )));
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_cards_behave_as_documented() {
        assert_eq!(
            TestCard::for_number("4242424242424242"),
            Some(TestCard::Succeeds)
        );
        assert_eq!(
            TestCard::for_number("4000000000000002"),
            Some(TestCard::Declined)
        );
        assert_eq!(
            TestCard::for_number("4000000000009995"),
            Some(TestCard::InsufficientFunds)
        );
        assert_eq!(
            TestCard::for_number("4000000000000341"),
            Some(TestCard::SucceedsSilently)
        );
        assert_eq!(
            TestCard::for_number("4000000000000259"),
            Some(TestCard::SucceedsNoisily)
        );
        assert_eq!(TestCard::for_number("4242424242424241"), None, "Luhn");
    }

    #[test]
    fn card_numbers_are_normalised() {
        assert_eq!(
            normalise_card_number("4242 4242-4242 4242").as_deref(),
            Some("4242424242424242")
        );
        assert_eq!(normalise_card_number("4242"), None);
        assert_eq!(normalise_card_number("4242x424242424242"), None);
    }
}
