//! `settle_payment`: the one place a provider's word about a payment becomes billing
//! state. The webhook, the return page, reconciliation and the renewal sweep all come
//! here; it is idempotent and runs in one transaction: payment and invoice status,
//! ledger, subscription period, entitlement, promo redemption and outbox rows land
//! together or not at all.
//!
//! One payment and a batch take the same path: [`settle_many_in`] locks the payments,
//! sorts the reports into "still pending", "already final", "paid" and "failed", and
//! writes each group with one statement per table ([`succeed`], [`fail`]). A single
//! webhook is a batch of one, so the rules exist once.

mod fail;
mod succeed;

use std::collections::{HashMap, HashSet};

use entity::payments;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::domain::billing::{PaymentStatus, is_final};
use crate::ssr::providers::{PaymentProvider, PaymentStatus as ProviderStatus, ProviderPayment};
use crate::ssr::repo::payments as payment_repo;
use crate::ssr::repo::timeline;
use crate::ssr::{AppState, ServiceError};

/// What settling did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// The payment moved to this terminal status now.
    Moved(PaymentStatus),
    /// The payment succeeded but buys nothing (another tariff while one runs, or its
    /// invoice was voided): it is booked and a `superseded` refund is claimed with it.
    Superseded,
    /// Already terminal (a duplicate, or a late `pending`): nothing changed.
    Unchanged,
    /// The provider still says pending.
    StillPending,
    /// This exact provider event was handled before.
    Duplicate,
}

pub use crate::ssr::repo::timeline::EventRecord;

pub async fn settle_payment(
    state: &AppState,
    pp: &ProviderPayment,
    source: &str,
    event: Option<EventRecord<'_>>,
) -> Result<Settled, ServiceError> {
    let txn = crate::ssr::repo::begin_write(&state.db).await?;
    let result = settle_in(&txn, state, pp, source, event).await?;
    if result == Settled::Duplicate {
        // The refused event insert may have poisoned the transaction; nothing to keep.
        txn.rollback().await?;
    } else {
        txn.commit().await?;
    }
    if result == Settled::Superseded {
        refund_superseded(state, pp).await;
    }
    Ok(result)
}

/// Gives a superseded payment's money back now, instead of on the worker's next poll
/// (which remains the safety net if this call fails or its answer is lost).
pub async fn refund_superseded(state: &AppState, pp: &ProviderPayment) {
    use entity::refunds;
    let found = async {
        let payment = match Uuid::parse_str(&pp.reference) {
            Ok(id) => payment_repo::find(&state.db, id).await?,
            Err(_) => None,
        };
        let Some(payment) = payment else {
            return Ok(None);
        };
        let refund = refunds::Entity::find()
            .filter(refunds::Column::PaymentId.eq(payment.id))
            .one(&state.db)
            .await?;
        Ok::<_, ServiceError>(refund.map(|r| (r, payment)))
    };
    match found.await {
        Ok(Some((refund, payment))) => {
            if let Err(e) =
                super::refunds::ask_provider(state, &refund, &payment, "superseded").await
            {
                tracing::warn!(payment = %payment.id, error = %e, "superseded refund not done yet; the worker retries");
            }
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "looking up a superseded refund"),
    }
}

/// `settle_payment` inside the caller's transaction. The caller commits; on any error
/// it must roll back, since on PostgreSQL a failed statement poisons the transaction.
pub async fn settle_in(
    txn: &DatabaseTransaction,
    state: &AppState,
    pp: &ProviderPayment,
    source: &str,
    event: Option<EventRecord<'_>>,
) -> Result<Settled, ServiceError> {
    let mut locked = lock_payments(txn, state.provider.as_ref(), std::slice::from_ref(pp)).await?;
    let payment = locked
        .pop()
        .ok_or(ServiceError::NotFound { entity: "payment" })?;
    if let Some(ev) = &event {
        let first = timeline::record_once(txn, payment.id, ev, source, state.clock.now()).await?;
        if !first {
            return Ok(Settled::Duplicate);
        }
    }
    let mut settled = apply(txn, state, vec![(payment, pp)], source).await?;
    settled
        .pop()
        .ok_or(ServiceError::NotFound { entity: "payment" })
}

/// Many provider reports in the caller's transaction (the renewal sweep: one commit for
/// many payments), with the same rules and results as one [`settle_in`] call per report
/// in order. Any error means the caller rolls back and nothing is settled.
pub async fn settle_many_in(
    txn: &DatabaseTransaction,
    state: &AppState,
    reports: &[ProviderPayment],
    source: &str,
) -> Result<Vec<Settled>, ServiceError> {
    let locked = lock_payments(txn, state.provider.as_ref(), reports).await?;
    let mut results: Vec<Option<Settled>> = vec![None; reports.len()];
    let mut waiting: Vec<(usize, payments::Model)> = locked.into_iter().enumerate().collect();
    let mut first_round = true;
    while !waiting.is_empty() {
        // A customer's payments interact (the second extends the period the first made),
        // so each round settles at most one per customer, after the rounds before it.
        let mut customers = HashSet::new();
        let (round, later): (Vec<_>, Vec<_>) = waiting
            .into_iter()
            .partition(|(_, p)| customers.insert(p.customer_id));
        let round = if first_round {
            round
        } else {
            reread(txn, round).await?
        };
        let (indices, batch): (Vec<usize>, Vec<_>) = round
            .into_iter()
            .map(|(i, p)| (i, (p, &reports[i])))
            .unzip();
        for (i, s) in indices
            .into_iter()
            .zip(apply(txn, state, batch, source).await?)
        {
            results[i] = Some(s);
        }
        waiting = later;
        first_round = false;
    }
    results
        .into_iter()
        .map(|s| s.ok_or(ServiceError::NotFound { entity: "payment" }))
        .collect()
}

/// The payments as an earlier round left them (they stay locked by this transaction).
async fn reread(
    txn: &DatabaseTransaction,
    round: Vec<(usize, payments::Model)>,
) -> Result<Vec<(usize, payments::Model)>, ServiceError> {
    let mut fresh = payment_repo::by_ids(txn, round.iter().map(|(_, p)| p.id)).await?;
    round
        .into_iter()
        .map(|(i, p)| {
            fresh
                .remove(&p.id)
                .map(|p| (i, p))
                .ok_or(ServiceError::NotFound { entity: "payment" })
        })
        .collect()
}

/// The payment each report is about, locked (row locks on PostgreSQL, in id order so
/// two batches never deadlock; SQLite has one writer anyway).
///
/// Found by our reference first, which is the payment id every provider echoes back
/// (it also finds a payment whose provider id we never stored: a timeout after the
/// provider created it, or a renewal charge). Only a report whose reference finds
/// nothing is looked up by the provider's id. The primary key comes first for speed,
/// too: PostgreSQL may keep a generic plan for `provider = $1 AND provider_payment_id
/// IN (…)` made while the table was nearly empty, which then scans it whole.
async fn lock_payments(
    txn: &DatabaseTransaction,
    adapter: &dyn PaymentProvider,
    reports: &[ProviderPayment],
) -> Result<Vec<payments::Model>, ServiceError> {
    let provider = adapter.name();
    let reference = |r: &ProviderPayment| Uuid::parse_str(&r.reference).ok();
    let references: Vec<Uuid> = reports.iter().filter_map(reference).collect();
    let ours: HashMap<Uuid, payments::Model> = if references.is_empty() {
        HashMap::new()
    } else {
        payment_repo::lock_by_ids(txn, references)
            .await?
            .into_iter()
            .filter(|p| p.provider == provider)
            .map(|p| (p.id, p))
            .collect()
    };
    // Ours when the provider's id is the one we stored (in the provider's sense: an
    // order's id and its transaction's), or we stored none yet.
    let by_reference = |r: &ProviderPayment| {
        ours.get(&reference(r)?)
            .filter(|p| {
                p.provider_payment_id
                    .as_ref()
                    .is_none_or(|id| adapter.is_same_payment(id, r))
            })
            .cloned()
    };
    let unresolved: Vec<&str> = reports
        .iter()
        .filter(|r| by_reference(r).is_none())
        .map(|r| r.id.as_str())
        .collect();
    let by_provider_id: HashMap<String, payments::Model> = if unresolved.is_empty() {
        HashMap::new()
    } else {
        payment_repo::lock_by_provider_ids(txn, provider, &unresolved)
            .await?
            .into_iter()
            .filter_map(|p| p.provider_payment_id.clone().map(|id| (id, p)))
            .collect()
    };
    reports
        .iter()
        .map(|r| {
            by_reference(r)
                .or_else(|| by_provider_id.get(&r.id).cloned())
                .ok_or(ServiceError::NotFound { entity: "payment" })
        })
        .collect()
}

/// A charge the provider refused outright: no payment exists there, so there is no
/// report to settle, only our payment to fail (a renewal whose saved card is gone).
#[derive(Debug, Clone)]
pub struct Refused {
    pub payment_id: Uuid,
    pub code: String,
    pub message: String,
}

/// Fails refused charges of distinct customers in the caller's transaction, as a
/// decline would (retry plan, notices, timeline). Already final payments are left.
pub async fn fail_refused_in(
    txn: &DatabaseTransaction,
    state: &AppState,
    refused: &[Refused],
    source: &str,
) -> Result<Vec<Settled>, ServiceError> {
    let locked: HashMap<Uuid, payments::Model> =
        payment_repo::lock_by_ids(txn, refused.iter().map(|r| r.payment_id))
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
    let mut losses = Vec::with_capacity(refused.len());
    let mut settled = Vec::with_capacity(refused.len());
    for r in refused {
        let payment = locked
            .get(&r.payment_id)
            .ok_or(ServiceError::NotFound { entity: "payment" })?;
        if is_final(payment.status) {
            settled.push(Settled::Unchanged);
            continue;
        }
        losses.push(Loss {
            payment: payment.clone(),
            status: PaymentStatus::Failed,
            code: &r.code,
            message: &r.message,
        });
        settled.push(Settled::Moved(PaymentStatus::Failed));
    }
    fail::fail_all(txn, state, &losses, source, state.clock.now()).await?;
    Ok(settled)
}

/// A payment that failed now, with the provider's reason.
pub(super) struct Loss<'a> {
    payment: payments::Model,
    status: PaymentStatus,
    code: &'a str,
    message: &'a str,
}

/// Settles reports of distinct customers whose payments are locked.
async fn apply(
    txn: &DatabaseTransaction,
    state: &AppState,
    batch: Vec<(payments::Model, &ProviderPayment)>,
    source: &str,
) -> Result<Vec<Settled>, ServiceError> {
    let now = state.clock.now();
    let mut settled = Vec::with_capacity(batch.len());
    let mut wins = Vec::new();
    let mut win_slots = Vec::new();
    let mut losses = Vec::new();
    for (payment, pp) in batch {
        if is_final(payment.status) {
            // A terminal state never moves back: late or repeated news is only recorded.
            settled.push(Settled::Unchanged);
            continue;
        }
        settled.push(match &pp.status {
            ProviderStatus::Pending => Settled::StillPending,
            ProviderStatus::Succeeded => {
                win_slots.push(settled.len());
                wins.push((payment, pp));
                Settled::Moved(PaymentStatus::Succeeded)
            }
            ProviderStatus::Failed { code, message } => {
                losses.push(Loss {
                    payment,
                    status: PaymentStatus::Failed,
                    code,
                    message,
                });
                Settled::Moved(PaymentStatus::Failed)
            }
            ProviderStatus::Canceled => {
                losses.push(Loss {
                    payment,
                    status: PaymentStatus::Canceled,
                    code: "canceled",
                    message: "The payment was canceled.",
                });
                Settled::Moved(PaymentStatus::Canceled)
            }
        });
    }
    let superseded = succeed::succeed_all(txn, &wins, source, now).await?;
    for (slot, (payment, _)) in win_slots.into_iter().zip(&wins) {
        if superseded.contains(&payment.id) {
            settled[slot] = Settled::Superseded;
        }
    }
    fail::fail_all(txn, state, &losses, source, now).await?;
    for outcome in &settled {
        match outcome {
            Settled::Moved(status) => crate::ssr::metrics::settled(source, status.as_str()),
            Settled::Superseded => crate::ssr::metrics::settled(source, "superseded"),
            _ => {}
        }
    }
    Ok(settled)
}
