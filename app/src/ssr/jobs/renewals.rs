//! Auto-renewal: from `E - renew_before` the saved card pays for the next month. The
//! provider key is derived from (subscription, period end, attempt), so a crash between
//! charging and settling, or a second worker, finds the same charge instead of making a
//! new one; the payment row's unique key makes our side equally single.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{payment_methods, payments, subscriptions, tariffs};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::domain::billing::PaymentStatus as BillingStatus;
use crate::domain::pricing::Months;
use crate::domain::subscription::GRACE;
use crate::ssr::billing_event::{self, BillingEvent};
use crate::ssr::providers::{ChargeSaved, ProviderError, ProviderPayment};
use crate::ssr::repo::stored::Amount;
use crate::ssr::repo::subscriptions as subscriptions_repo;
use crate::ssr::repo::{begin_write, is_unique_violation};
use crate::ssr::services::invoicing::price;
use crate::ssr::services::invoicing::{self, Draft, InvoiceKind, PaymentPlan};
use crate::ssr::services::pricing as pricing_svc;
use crate::ssr::services::settlement::{self, Refused, Settled};
use crate::ssr::time::rfc3339;
use crate::ssr::{AppState, ServiceError};

/// How long one worker holds a subscription's renewal (a crashed worker's lease runs out).
const LEASE: chrono::TimeDelta = chrono::TimeDelta::minutes(5);
/// Provider calls one worker has in flight.
const CHARGES_IN_FLIGHT: usize = 16;
/// Payments settled in one transaction: one commit and one statement per table for
/// all of them, while the transaction (and its row locks) stays short.
const SETTLE_CHUNK: usize = 50;
/// Settlement transactions one worker runs at once.
const SETTLEMENTS_IN_FLIGHT: usize = 4;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RenewalReport {
    pub leased: usize,
    pub renewed: usize,
    pub failed: usize,
    /// The provider did not answer: the same key is tried again after the lease.
    pub pending: usize,
    pub skipped: usize,
    pub errors: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenewalOutcome {
    Renewed,
    Failed,
    Pending,
    /// Not due (any more): renewed already, auto-renew off, no card, access over.
    Skipped,
}

/// The provider idempotency key of one renewal charge attempt.
pub fn renewal_key(sub: &subscriptions::Model) -> String {
    format!(
        "renew-{}-{}-{}",
        sub.id.simple(),
        sub.current_period_end.timestamp(),
        sub.renewal_attempts
    )
}

/// The rule [`subscriptions_repo::due_for_renewal`] selects by, re-checked on the row
/// read back (a lease may outlive the rule: renewed, card removed, grace over).
fn due(sub: &subscriptions::Model, state: &AppState, now: DateTime<Utc>) -> bool {
    crate::domain::billing::has_access(sub.status)
        && sub.auto_renew
        && sub.payment_method_id.is_some()
        && sub.current_period_end <= now + state.billing.renew_before
        && sub.current_period_end + GRACE > now
        && sub.next_renewal_at.is_none_or(|t| t <= now)
}

/// One renewal pass: lease due subscriptions and renew them.
pub async fn renew_due(state: &AppState, batch: u64) -> Result<RenewalReport, ServiceError> {
    let now = state.clock.now();
    let renew_before = state.billing.renew_before;
    let ids =
        subscriptions_repo::lease_due_for_renewal(&state.db, now, renew_before, now + LEASE, batch)
            .await?;
    let mut report = RenewalReport {
        leased: ids.len(),
        ..RenewalReport::default()
    };
    for (_, outcome) in renew_many(state, &ids).await? {
        match outcome {
            Ok(RenewalOutcome::Renewed) => report.renewed += 1,
            Ok(RenewalOutcome::Failed) => report.failed += 1,
            Ok(RenewalOutcome::Pending) => report.pending += 1,
            Ok(RenewalOutcome::Skipped) => report.skipped += 1,
            Err(e) => {
                e.log_if_internal();
                report.errors += 1;
            }
        }
    }
    crate::ssr::metrics::renewals(report.renewed, report.failed, report.pending, report.errors);
    Ok(report)
}

/// Renews one subscription if it is due: idempotent, safe to call from several workers.
pub async fn renew_subscription(
    state: &AppState,
    id: Uuid,
) -> Result<RenewalOutcome, ServiceError> {
    renew_many(state, &[id])
        .await?
        .pop()
        .map_or(Ok(RenewalOutcome::Skipped), |(_, outcome)| outcome)
}

/// One renewal on its way: the subscription, its card and the pending payment.
struct Due {
    sub: subscriptions::Model,
    method: payment_methods::Model,
    key: String,
}

type Outcomes = Vec<(Uuid, Result<RenewalOutcome, ServiceError>)>;

/// Renews the given subscriptions where due, in three set-wise steps: read them and
/// create the missing invoices and payments (a few statements for the whole batch),
/// charge the cards (several calls in flight), and settle the answers through
/// `settlement::settle_many_in`, many per transaction. Every step is idempotent by the
/// renewal key, so a crash anywhere is repaired by running it again.
async fn renew_many(state: &AppState, ids: &[Uuid]) -> Result<Outcomes, ServiceError> {
    let now = state.clock.now();
    let mut outcomes: Outcomes = Vec::with_capacity(ids.len());
    let mut released = Vec::new();
    let subs = subscriptions_repo::by_ids(&state.db, ids).await?;
    let (subs, not_due): (Vec<_>, Vec<_>) = subs.into_iter().partition(|s| due(s, state, now));
    released.extend(not_due.iter().map(|s| s.id));
    let method_ids: Vec<Uuid> = subs.iter().filter_map(|s| s.payment_method_id).collect();
    let mut methods: HashMap<Uuid, payment_methods::Model> = if method_ids.is_empty() {
        HashMap::new()
    } else {
        payment_methods::Entity::find()
            .filter(payment_methods::Column::Id.is_in(method_ids))
            .filter(payment_methods::Column::RevokedAt.is_null())
            .all(&state.db)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect()
    };
    let mut due_list = Vec::with_capacity(subs.len());
    for sub in subs {
        match sub.payment_method_id.and_then(|m| methods.get(&m)) {
            Some(method) => due_list.push(Due {
                key: renewal_key(&sub),
                method: method.clone(),
                sub,
            }),
            // The card was removed: nothing to charge; the period simply runs out.
            None => released.push(sub.id),
        }
    }
    methods.clear();

    let payments = payments_for(state, &due_list, now).await?;
    let mut charges = Vec::with_capacity(due_list.len());
    for d in due_list {
        match payments.get(&d.key) {
            Some(p) if p.status == BillingStatus::Pending => charges.push((d, p.clone())),
            // Settled before (a rerun after the settlement committed).
            Some(_) => released.push(d.sub.id),
            None => outcomes.push((d.sub.id, Err(ServiceError::NotFound { entity: "payment" }))),
        }
    }
    subscriptions_repo::release_leases(&state.db, &released).await?;
    outcomes.extend(
        released
            .into_iter()
            .map(|id| (id, Ok(RenewalOutcome::Skipped))),
    );

    charge_and_settle(state, charges, &mut outcomes).await;
    Ok(outcomes)
}

/// The pending renewal payment of each due subscription: the ones a previous run made,
/// and new ones (with their invoices) created together in one transaction.
async fn payments_for(
    state: &AppState,
    due_list: &[Due],
    now: DateTime<Utc>,
) -> Result<HashMap<String, payments::Model>, ServiceError> {
    if due_list.is_empty() {
        return Ok(HashMap::new());
    }
    let mut found =
        crate::ssr::repo::payments::by_keys(&state.db, due_list.iter().map(|d| d.key.clone()))
            .await?;
    let missing: Vec<&Due> = due_list
        .iter()
        .filter(|d| !found.contains_key(&d.key))
        .collect();
    if missing.is_empty() {
        return Ok(found);
    }
    match create_renewals(state, &missing, now).await? {
        Some(created) => found.extend(
            created
                .into_iter()
                .map(|p| (p.provider_idempotency_key.clone(), p)),
        ),
        // Another worker (or a direct call) created one of them meanwhile: take them one
        // at a time, where a taken key simply finds the other's payment.
        None => {
            for d in missing {
                let p = create_renewal(state, d, now).await?;
                found.insert(d.key.clone(), p);
            }
        }
    }
    Ok(found)
}

/// The provider's answer for one renewal, ready to settle.
struct Answer {
    subscription: Uuid,
    report: Report,
}

enum Report {
    /// The provider's payment, whatever became of it.
    Payment(ProviderPayment),
    /// The provider refused the charge itself (say, the card token is gone).
    Refused(Refused),
}

/// Charges every card, several calls in flight (a real provider is a network call), and
/// settles the answers as they come, up to `SETTLE_CHUNK` per transaction and a few
/// transactions at once (their subscriptions differ, so they take no common row lock):
/// the database settles one chunk while the provider answers for the next.
async fn charge_and_settle(
    state: &AppState,
    charges: Vec<(Due, payments::Model)>,
    outcomes: &mut Outcomes,
) {
    let mut charges = charges.into_iter().peekable();
    let mut charging = tokio::task::JoinSet::new();
    let mut settling = tokio::task::JoinSet::new();
    let mut answers: Vec<Answer> = Vec::with_capacity(SETTLE_CHUNK);
    loop {
        while charging.len() < CHARGES_IN_FLIGHT {
            let Some((due, payment)) = charges.next() else {
                break;
            };
            let state = state.clone();
            charging.spawn(async move {
                let id = due.sub.id;
                (id, charge(&state, &due, &payment).await)
            });
        }
        let all_charged = charging.is_empty() && charges.peek().is_none();
        let chunk_ready = answers.len() >= SETTLE_CHUNK || (all_charged && !answers.is_empty());
        if chunk_ready && settling.len() < SETTLEMENTS_IN_FLIGHT {
            let n = answers.len().min(SETTLE_CHUNK);
            let chunk: Vec<Answer> = answers.drain(..n).collect();
            let state = state.clone();
            settling.spawn(async move { settle_chunk(&state, chunk).await });
            continue;
        }
        tokio::select! {
            Some(done) = charging.join_next(), if !charging.is_empty() => match done {
                Ok((subscription, Ok(Some(report)))) => answers.push(Answer {
                    subscription,
                    report,
                }),
                Ok((subscription, Ok(None))) => {
                    outcomes.push((subscription, Ok(RenewalOutcome::Pending)));
                }
                Ok((subscription, Err(e))) => outcomes.push((subscription, Err(e))),
                Err(e) => tracing::error!(error = %e, "renewal charge task failed"),
            },
            Some(done) = settling.join_next(), if !settling.is_empty() => match done {
                Ok(settled) => outcomes.extend(settled),
                Err(e) => tracing::error!(error = %e, "renewal settlement task failed"),
            },
            else => break,
        }
    }
}

/// One charge. `None`: the provider did not answer, so it may or may not have charged;
/// the lease is kept, and once it runs out the same key finds whatever it did.
async fn charge(
    state: &AppState,
    due: &Due,
    payment: &payments::Model,
) -> Result<Option<Report>, ServiceError> {
    let amount = payment.amount()?;
    let charged = state
        .provider
        .charge_saved(&ChargeSaved {
            idempotency_key: due.key.clone(),
            customer_id: payment.customer_id,
            amount,
            description: format!(
                "Kinobill renewal, period ending {}",
                rfc3339(due.sub.current_period_end)
            ),
            payment_method_token: due.method.provider_token.clone(),
            reference: payment.id,
            first_tried_at: payment.created_at,
            now: state.clock.now(),
        })
        .await;
    match charged {
        Ok(pp) => Ok(Some(Report::Payment(pp))),
        // The provider refused the request itself (say, the card token is gone): this
        // attempt failed; the retry schedule decides what comes next.
        Err(ProviderError::Rejected { code, message }) => Ok(Some(Report::Refused(Refused {
            payment_id: payment.id,
            code,
            message,
        }))),
        Err(e) => {
            tracing::warn!(subscription = %due.sub.id, error = %e, "renewal charge did not answer");
            let event = BillingEvent::ProviderCallFailed {
                payment_id: payment.id,
                error: e.to_string(),
            };
            billing_event::record(&state.db, &[event], "renewal", state.clock.now()).await?;
            Ok(None)
        }
    }
}

fn outcome_of(settled: &Settled) -> RenewalOutcome {
    match settled {
        Settled::Moved(BillingStatus::Succeeded) => RenewalOutcome::Renewed,
        Settled::Moved(_) => RenewalOutcome::Failed,
        Settled::StillPending => RenewalOutcome::Pending,
        Settled::Unchanged | Settled::Duplicate | Settled::Superseded => RenewalOutcome::Skipped,
    }
}

/// Settles a chunk in one transaction. A chunk that fails is rolled back and settled one
/// payment at a time, so one bad payment never holds back the others.
async fn settle_chunk(state: &AppState, chunk: Vec<Answer>) -> Outcomes {
    let mut reports = Vec::with_capacity(chunk.len());
    let mut refused = Vec::new();
    for a in &chunk {
        match &a.report {
            Report::Payment(pp) => reports.push(pp.clone()),
            Report::Refused(r) => refused.push(r.clone()),
        }
    }
    let together = async {
        let txn = begin_write(&state.db).await?;
        let paid = settlement::settle_many_in(&txn, state, &reports, "renewal").await?;
        let failed = settlement::fail_refused_in(&txn, state, &refused, "renewal").await?;
        txn.commit().await?;
        Ok::<_, ServiceError>((paid, failed))
    };
    match together.await {
        Ok((paid, failed)) => {
            let (mut paid, mut failed) = (paid.into_iter(), failed.into_iter());
            chunk
                .iter()
                .map(|a| {
                    let s = match a.report {
                        Report::Payment(_) => paid.next(),
                        Report::Refused(_) => failed.next(),
                    };
                    let outcome = s
                        .map(|s| outcome_of(&s))
                        .ok_or(ServiceError::NotFound { entity: "payment" });
                    (a.subscription, outcome)
                })
                .collect()
        }
        Err(e) => {
            if chunk.len() > 1 {
                tracing::warn!(error = %e, "settling renewals together failed; one at a time");
            }
            let mut settled = Vec::with_capacity(chunk.len());
            for a in &chunk {
                let s = match &a.report {
                    Report::Payment(pp) => {
                        settlement::settle_payment(state, pp, "renewal", None).await
                    }
                    Report::Refused(r) => fail_refused(state, r).await,
                };
                settled.push((a.subscription, s.map(|s| outcome_of(&s))));
            }
            settled
        }
    }
}

/// One refused charge in its own transaction.
async fn fail_refused(state: &AppState, r: &Refused) -> Result<Settled, ServiceError> {
    let txn = begin_write(&state.db).await?;
    let settled =
        settlement::fail_refused_in(&txn, state, std::slice::from_ref(r), "renewal").await?;
    txn.commit().await?;
    settled
        .into_iter()
        .next()
        .ok_or(ServiceError::NotFound { entity: "payment" })
}

/// The invoices (one month at today's price for each customer) and pending payments of
/// a batch, issued in one transaction of a few statements. `None`: one of the keys is
/// taken (nothing was written).
async fn create_renewals(
    state: &AppState,
    batch: &[&Due],
    now: DateTime<Utc>,
) -> Result<Option<Vec<payments::Model>>, ServiceError> {
    // A switch the customer scheduled takes effect with the renewal: its tariff, its price.
    let renew_as = |d: &Due| d.sub.next_tariff_id.unwrap_or(d.sub.tariff_id);
    let tariff_ids: Vec<Uuid> = batch.iter().map(|d| renew_as(d)).collect();
    let tariffs: HashMap<Uuid, tariffs::Model> = tariffs::Entity::find()
        .filter(tariffs::Column::Id.is_in(tariff_ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let customers: Vec<Uuid> = batch.iter().map(|d| d.sub.customer_id).collect();
    let personal = pricing_svc::active_personal_discounts(&state.db, &customers, now).await?;
    let table = pricing_svc::month_table(&state.db).await?;
    let months = Months::new(1)?;
    let mut priced = Vec::with_capacity(batch.len());
    for d in batch {
        let tariff = tariffs
            .get(&renew_as(d))
            .ok_or(ServiceError::NotFound { entity: "tariff" })?;
        let quote = price(
            tariff,
            months,
            personal.get(&d.sub.customer_id).copied(),
            None,
            &table,
        )?;
        priced.push((d, tariff, quote));
    }
    let drafts: Vec<Draft<'_>> = priced
        .iter()
        .map(|(d, tariff, quote)| Draft {
            kind: InvoiceKind::Renewal,
            customer_id: d.sub.customer_id,
            tariff,
            months,
            quote,
            promo_code_id: None,
            payment: PaymentPlan {
                provider_key: d.key.clone(),
                save_payment_method: false,
                saved_card: Some((d.method.id, d.method.last4.clone())),
                return_url: None,
            },
        })
        .collect();

    let txn = begin_write(&state.db).await?;
    match invoicing::issue(&txn, state, &drafts, now).await {
        Ok(issued) => {
            txn.commit().await?;
            Ok(Some(issued.into_iter().map(|i| i.payment).collect()))
        }
        Err(ServiceError::Db(e)) if is_unique_violation(&e) => {
            txn.rollback().await?;
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// One renewal's invoice and payment (a batch of one). Two workers racing here: the
/// payment key's unique index keeps one, and the other finds it.
async fn create_renewal(
    state: &AppState,
    due: &Due,
    now: DateTime<Utc>,
) -> Result<payments::Model, ServiceError> {
    if let Some(p) = create_renewals(state, &[due], now)
        .await?
        .and_then(|mut c| c.pop())
    {
        return Ok(p);
    }
    crate::ssr::repo::payments::by_key(&state.db, &due.key)
        .await?
        .ok_or(ServiceError::NotFound { entity: "payment" })
}
