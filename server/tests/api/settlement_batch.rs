//! Settling many provider reports in one transaction (the renewal sweep's path) follows
//! the same rules as settling each on its own: statuses, periods, access, ledger,
//! timeline and outbox messages, in order, and a customer's second payment in the same
//! batch extends the period the first one made.

use app::domain::billing::PaymentStatus as BillingStatus;
use app::domain::subscription::{access_until, add_months};
use app::domain::{Currency, Money};
use app::ssr::jobs;
use app::ssr::providers::sandbox::Faults;
use app::ssr::providers::{PaymentStatus, ProviderPayment, SavedMethod};
use app::ssr::repo::begin_write;
use app::ssr::services::settlement::{self, Settled};
use chrono::{DateTime, TimeDelta, Utc};
use entity::{
    entitlements, invoices, ledger_entries, outbox, payment_events, payment_methods, payments,
    subscription_periods, subscriptions,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::checkout_api::{Customer, customer};
use crate::helpers::TestApp;
use crate::lifecycle_api::{
    CARD_OK, decline_card, lifecycle_app, move_to, subscribed, subscription,
};

/// A checkout nobody has paid yet: its payment is pending at the provider.
async fn unpaid(app: &TestApp, c: &Customer) -> payments::Model {
    let body = crate::jobs_api::unpaid(app, c).await;
    let id = Uuid::parse_str(body["payment"]["id"].as_str().unwrap()).unwrap();
    reload(app, id).await
}

/// Puts a voided checkout back to open with its payment pending.
async fn reopen(app: &TestApp, p: payments::Model) -> payments::Model {
    use sea_orm::sea_query::Expr;
    entity::invoices::Entity::update_many()
        .col_expr(entity::invoices::Column::Status, Expr::value("open"))
        .filter(entity::invoices::Column::Id.eq(p.invoice_id))
        .exec(&app.db)
        .await
        .unwrap();
    payments::Entity::update_many()
        .col_expr(payments::Column::Status, Expr::value("pending"))
        .col_expr(
            payments::Column::FailureCode,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            payments::Column::FailureMessage,
            Expr::value(Option::<String>::None),
        )
        .filter(payments::Column::Id.eq(p.id))
        .exec(&app.db)
        .await
        .unwrap();
    reload(app, p.id).await
}

pub async fn reload(app: &TestApp, id: Uuid) -> payments::Model {
    payments::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

async fn pending_of(app: &TestApp, customer: Uuid) -> payments::Model {
    payments::Entity::find()
        .filter(payments::Column::CustomerId.eq(customer))
        .filter(payments::Column::Status.eq("pending"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("a pending payment")
}

/// What the provider would say about `p`.
fn report(p: &payments::Model, status: PaymentStatus) -> ProviderPayment {
    ProviderPayment {
        id: p
            .provider_payment_id
            .clone()
            .unwrap_or_else(|| format!("sbx_batch_{}", p.id.simple())),
        status,
        amount: Money::from_minor(p.amount_minor, Currency::Rub),
        confirmation_url: None,
        saved_method: None,
        reference: p.id.to_string(),
    }
}

/// The (destination, kind) of the customer's outbox messages after `since`, in order.
async fn messages_since(app: &TestApp, since: Uuid, customer: Uuid) -> Vec<(String, String)> {
    let who = customer.to_string();
    outbox::Entity::find()
        .order_by_asc(outbox::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.id > since)
        .filter(|m| {
            m.payload["customer_id"].as_str() == Some(who.as_str())
                || m.payload["user_id"].as_str() == Some(who.as_str())
        })
        .map(|m| (m.destination, m.kind))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(d, k)| ((*d).to_string(), (*k).to_string()))
        .collect()
}

async fn timeline(app: &TestApp, payment: Uuid) -> Vec<String> {
    payment_events::Entity::find()
        .filter(payment_events::Column::PaymentId.eq(payment))
        .order_by_asc(payment_events::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

async fn periods(app: &TestApp, customer: Uuid) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let sub = subscription(app, customer).await;
    subscription_periods::Entity::find()
        .filter(subscription_periods::Column::SubscriptionId.eq(sub.id))
        .order_by_asc(subscription_periods::Column::StartsAt)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.starts_at, p.ends_at))
        .collect()
}

async fn access(app: &TestApp, customer: Uuid) -> Option<DateTime<Utc>> {
    entitlements::Entity::find_by_id(customer)
        .one(&app.db)
        .await
        .unwrap()
        .map(|e| e.valid_until)
}

async fn ledger_total(app: &TestApp, payment: Uuid) -> (usize, i64) {
    let rows = ledger_entries::Entity::find()
        .filter(ledger_entries::Column::PaymentId.eq(payment))
        .all(&app.db)
        .await
        .unwrap();
    (rows.len(), rows.iter().map(|r| r.amount_minor).sum())
}

#[tokio::test]
async fn a_batch_of_mixed_reports_settles_as_each_would_alone() {
    let app = lifecycle_app().await;
    let sandbox = app.state.sandbox.clone().unwrap();

    // Two renewals whose provider answers were lost (a crash between charging and
    // settling): one card paid, the other was declined.
    let (renewing, renewing_sub) = subscribed(&app, CARD_OK).await;
    let (failing, failing_sub) = subscribed(&app, CARD_OK).await;
    decline_card(&app, &failing_sub).await;
    let due = renewing_sub
        .current_period_end
        .max(failing_sub.current_period_end);
    move_to(&app, due - TimeDelta::hours(23));
    sandbox.set_faults(Faults {
        timeout_after_create: 2,
        ..Faults::default()
    });
    for sub in [&renewing_sub, &failing_sub] {
        assert_eq!(
            jobs::renew_subscription(&app.state, sub.id).await.unwrap(),
            jobs::RenewalOutcome::Pending
        );
    }
    let renewal = pending_of(&app, renewing.id).await;
    let failed_renewal = pending_of(&app, failing.id).await;

    // Checkouts nobody has paid yet; `twice` has two of them.
    let (paying, declined, abandoned, waiting, twice) = (
        customer(&app),
        customer(&app),
        customer(&app),
        customer(&app),
        customer(&app),
    );
    let paying_p = unpaid(&app, &paying).await;
    let declined_p = unpaid(&app, &declined).await;
    let abandoned_p = unpaid(&app, &abandoned).await;
    let waiting_p = unpaid(&app, &waiting).await;
    let twice_first = unpaid(&app, &twice).await;
    let twice_second = unpaid(&app, &twice).await;
    // The second checkout voided the first; open both again, as a checkout and a
    // renewal of one customer can both be in one batch: settlement stacks them in order.
    // (After the sandbox's own "canceled" webhook for it has come and gone.)
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let twice_first = reopen(&app, twice_first).await;
    let since = outbox::Entity::find()
        .order_by_desc(outbox::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;

    let declined_status = || PaymentStatus::Failed {
        code: "card_declined".into(),
        message: "The card was declined.".into(),
    };
    let mut saving = report(&paying_p, PaymentStatus::Succeeded);
    saving.saved_method = Some(SavedMethod {
        token: "card_batch_test".into(),
        brand: "Visa".into(),
        last4: "4242".into(),
    });
    let reports = vec![
        saving.clone(),
        report(&declined_p, declined_status()),
        report(&abandoned_p, PaymentStatus::Canceled),
        report(&waiting_p, PaymentStatus::Pending),
        report(&twice_first, PaymentStatus::Succeeded),
        report(&twice_second, PaymentStatus::Succeeded),
        report(&renewal, PaymentStatus::Succeeded),
        report(&failed_renewal, declined_status()),
        // The same news again, in the same batch.
        saving,
    ];
    let before = app.state.clock.now();
    let txn = begin_write(&app.state.db).await.unwrap();
    let settled = settlement::settle_many_in(&txn, &app.state, &reports, "renewal")
        .await
        .unwrap();
    txn.commit().await.unwrap();
    let after = app.state.clock.now();
    let settled_now = |t: DateTime<Utc>| before <= t && t <= after;
    assert_eq!(
        settled,
        vec![
            Settled::Moved(BillingStatus::Succeeded),
            Settled::Moved(BillingStatus::Failed),
            Settled::Moved(BillingStatus::Canceled),
            Settled::StillPending,
            Settled::Moved(BillingStatus::Succeeded),
            Settled::Moved(BillingStatus::Succeeded),
            Settled::Moved(BillingStatus::Succeeded),
            Settled::Moved(BillingStatus::Failed),
            Settled::Unchanged,
        ]
    );

    // Payments and invoices.
    let expect = [
        (&paying_p, "succeeded", None, "paid"),
        (&declined_p, "failed", Some("card_declined"), "void"),
        (&abandoned_p, "canceled", Some("canceled"), "void"),
        (&waiting_p, "pending", None, "open"),
        (&twice_first, "succeeded", None, "paid"),
        (&twice_second, "succeeded", None, "paid"),
        (&renewal, "succeeded", None, "paid"),
        (&failed_renewal, "failed", Some("card_declined"), "void"),
    ];
    for (before, status, code, invoice_status) in expect {
        let p = reload(&app, before.id).await;
        assert_eq!(
            (p.status.as_str(), p.failure_code.as_deref()),
            (status, code),
            "{p:?}"
        );
        let invoice = invoices::Entity::find_by_id(p.invoice_id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(invoice.status, invoice_status, "{invoice:?}");
        let paid = status == "succeeded";
        assert_eq!(p.paid_at.is_some(), paid, "{p:?}");
        assert_eq!(invoice.paid_at.is_some(), paid, "{invoice:?}");
        let (rows, total) = ledger_total(&app, p.id).await;
        assert_eq!((rows, total), (if paid { 2 } else { 0 }, 0), "{p:?}");
    }
    let paid_renewal = reload(&app, renewal.id).await;
    assert_eq!(
        paid_renewal.provider_payment_id.as_deref(),
        Some(format!("sbx_batch_{}", renewal.id.simple()).as_str()),
        "the provider's id is stored"
    );
    assert_eq!(
        paid_renewal.payment_method_id, renewing_sub.payment_method_id,
        "a renewal keeps the card it was charged to"
    );

    // The card saved once, though it was reported twice.
    let saved = payment_methods::Entity::find()
        .filter(payment_methods::Column::ProviderToken.eq("card_batch_test"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(saved.len(), 1);
    assert_eq!(
        reload(&app, paying_p.id).await.payment_method_id,
        Some(saved[0].id)
    );

    // Subscriptions, periods and access.
    let first = subscription(&app, paying.id).await;
    assert_eq!(first.status, "active");
    assert!(first.auto_renew, "saving a card turns auto-renewal on");
    assert_eq!(first.payment_method_id, Some(saved[0].id));
    assert!(settled_now(first.current_period_start), "{first:?}");
    let first_end = add_months(first.current_period_start, 1);
    assert_eq!(first.current_period_end, first_end);
    assert_eq!(access(&app, paying.id).await, Some(access_until(first_end)));

    let stacked = subscription(&app, twice.id).await;
    assert!(!stacked.auto_renew);
    let start = stacked.current_period_start;
    assert!(settled_now(start), "{stacked:?}");
    let middle = add_months(start, 1);
    assert_eq!(stacked.current_period_end, add_months(middle, 1));
    assert_eq!(
        periods(&app, twice.id).await,
        vec![(start, middle), (middle, add_months(middle, 1))],
        "the second payment starts where the first one ends"
    );
    assert_eq!(
        access(&app, twice.id).await,
        Some(access_until(stacked.current_period_end))
    );

    let renewed = subscription(&app, renewing.id).await;
    let renewed_end = add_months(renewing_sub.current_period_end, 1);
    assert_eq!(
        (
            renewed.status.as_str(),
            renewed.current_period_start,
            renewed.current_period_end,
            renewed.renewal_attempts,
            renewed.next_renewal_at,
            renewed.renewal_lease_until,
        ),
        (
            "active",
            renewing_sub.current_period_start,
            renewed_end,
            0,
            None,
            None
        )
    );
    assert!(renewed.auto_renew);
    assert_eq!(renewed.payment_method_id, renewing_sub.payment_method_id);
    assert_eq!(
        access(&app, renewing.id).await,
        Some(access_until(renewed_end))
    );

    let retrying = subscription(&app, failing.id).await;
    assert_eq!(retrying.current_period_end, failing_sub.current_period_end);
    assert_eq!(retrying.renewal_attempts, 1);
    let next_try = retrying.next_renewal_at.expect("a retry is scheduled");
    assert!(
        settled_now(next_try - app.state.billing.renewal_retry),
        "{retrying:?}"
    );
    assert_eq!(retrying.renewal_lease_until, None);
    for c in [&declined, &abandoned, &waiting] {
        assert!(
            subscriptions::Entity::find()
                .filter(subscriptions::Column::CustomerId.eq(c.id))
                .one(&app.db)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(access(&app, c.id).await, None);
    }

    // Timelines: what settling added after what was there.
    let opened = ["created", "provider_payment_created"];
    for (p, added) in [
        (&paying_p, Some("settled")),
        (&declined_p, Some("failed")),
        (&abandoned_p, Some("canceled")),
        (&waiting_p, None),
    ] {
        let expected: Vec<&str> = opened.iter().copied().chain(added).collect();
        assert_eq!(timeline(&app, p.id).await, expected);
    }
    assert_eq!(
        timeline(&app, renewal.id).await,
        ["created", "provider_error", "settled"]
    );
    assert_eq!(
        timeline(&app, failed_renewal.id).await,
        ["created", "provider_error", "failed"]
    );

    // The outbox, per customer, in the order one-by-one settling writes it.
    let ok_checkout = [
        ("events", "payment.succeeded"),
        ("notify", "payment_succeeded"),
        ("auth", "role.grant"),
    ];
    assert_eq!(
        messages_since(&app, since, paying.id).await,
        pairs(&ok_checkout)
    );
    assert_eq!(
        messages_since(&app, since, declined.id).await,
        pairs(&[("events", "payment.failed"), ("notify", "payment_failed")])
    );
    assert_eq!(
        messages_since(&app, since, abandoned.id).await,
        pairs(&[("events", "payment.canceled")])
    );
    assert_eq!(messages_since(&app, since, waiting.id).await, vec![]);
    assert_eq!(
        messages_since(&app, since, twice.id).await,
        pairs(&[ok_checkout, ok_checkout].concat())
    );
    assert_eq!(
        messages_since(&app, since, renewing.id).await,
        pairs(&[
            ("events", "payment.succeeded"),
            ("events", "subscription.renewed"),
            ("notify", "subscription_renewed"),
            ("auth", "role.grant"),
        ])
    );
    assert_eq!(
        messages_since(&app, since, failing.id).await,
        pairs(&[("events", "payment.failed"), ("notify", "renewal_failed")])
    );
    let notice = outbox::Entity::find()
        .filter(outbox::Column::Kind.eq("renewal_failed"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(notice.payload["attempt"], 1);
    assert_eq!(
        notice.payload["access_until"],
        app::ssr::time::rfc3339(access_until(failing_sub.current_period_end))
    );
}

#[tokio::test]
async fn a_batch_with_one_bad_report_writes_nothing() {
    let app = lifecycle_app().await;
    let (good, bad) = (customer(&app), customer(&app));
    let good_p = unpaid(&app, &good).await;
    let bad_p = unpaid(&app, &bad).await;
    let mut wrong = report(&bad_p, PaymentStatus::Succeeded);
    wrong.amount = Money::from_minor(bad_p.amount_minor + 1, Currency::Rub);
    let reports = [report(&good_p, PaymentStatus::Succeeded), wrong];
    let txn = begin_write(&app.state.db).await.unwrap();
    let result = settlement::settle_many_in(&txn, &app.state, &reports, "renewal").await;
    assert!(
        result.is_err(),
        "an amount we did not ask for is never booked"
    );
    txn.rollback().await.unwrap();
    for p in [&good_p, &bad_p] {
        assert_eq!(reload(&app, p.id).await.status, "pending");
    }
    assert_eq!(access(&app, good.id).await, None);
}
