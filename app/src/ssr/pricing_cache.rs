//! A short-lived read cache of what every quote reads: the tariffs, the month-discount
//! table and promo-code rows.
//!
//! Why: a quote is the hottest read of the shop (every months/promo change on a landing
//! page), and without the cache it costs four database round trips. Quotes are advisory:
//! checkout re-reads everything inside its own transaction and `redeem` enforces
//! `max_redemptions` with a conditional UPDATE, so a quote that is at most `ttl` stale
//! never lets anyone pay a wrong price. Writes made through this instance clear the cache
//! at once (see `server::http::pricing_cache_reset`); other instances see them within `ttl`.
//! Rules are still evaluated at call time against the caller's clock (validity windows,
//! archived tariffs), only the rows are cached.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use entity::{promo_code_tariffs, promo_codes, tariffs};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::ServiceError;
use super::services::pricing::month_table;
use crate::domain::pricing::MonthDiscount;

/// Promo codes kept at most; the map is emptied when full (simple and bounded).
const MAX_PROMOS: usize = 10_000;

pub struct CatalogSnapshot {
    pub tariffs: HashMap<Uuid, tariffs::Model>,
    pub month_table: Vec<MonthDiscount>,
}

/// A promo-code row with its tariff scope (empty = every tariff).
pub struct PromoRow {
    pub model: promo_codes::Model,
    pub tariff_ids: Vec<Uuid>,
}

type PromoEntry = (Instant, Option<Arc<PromoRow>>);

pub struct PricingCache {
    ttl: Duration,
    catalog: RwLock<Option<(Instant, Arc<CatalogSnapshot>)>>,
    promos: Mutex<HashMap<String, PromoEntry>>,
}

impl fmt::Debug for PricingCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PricingCache")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl PricingCache {
    /// `ttl` zero turns caching off (every call reads the database).
    pub fn new(ttl: Duration) -> Self {
        PricingCache {
            ttl,
            catalog: RwLock::new(None),
            promos: Mutex::new(HashMap::new()),
        }
    }

    fn fresh(&self, loaded: Instant) -> bool {
        loaded.elapsed() < self.ttl
    }

    /// Forgets everything; the next read goes to the database.
    pub fn clear(&self) {
        *self.catalog.write().unwrap_or_else(|p| p.into_inner()) = None;
        self.promos
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    pub async fn catalog<C: ConnectionTrait>(
        &self,
        db: &C,
    ) -> Result<Arc<CatalogSnapshot>, ServiceError> {
        if let Some((loaded, snap)) = &*self.catalog.read().unwrap_or_else(|p| p.into_inner())
            && self.fresh(*loaded)
        {
            return Ok(snap.clone());
        }
        let tariffs = tariffs::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|t| (t.id, t))
            .collect();
        let snap = Arc::new(CatalogSnapshot {
            tariffs,
            month_table: month_table(db).await?,
        });
        *self.catalog.write().unwrap_or_else(|p| p.into_inner()) =
            Some((Instant::now(), snap.clone()));
        Ok(snap)
    }

    /// The promo code `code` (already normalised), or `None` when there is no such code.
    pub async fn promo<C: ConnectionTrait>(
        &self,
        db: &C,
        code: &str,
    ) -> Result<Option<Arc<PromoRow>>, ServiceError> {
        if let Some((loaded, row)) = self
            .promos
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(code)
            && self.fresh(*loaded)
        {
            return Ok(row.clone());
        }
        let row = load_promo(db, code).await?.map(Arc::new);
        let mut promos = self.promos.lock().unwrap_or_else(|p| p.into_inner());
        if promos.len() >= MAX_PROMOS {
            promos.clear();
        }
        if !self.ttl.is_zero() {
            promos.insert(code.to_string(), (Instant::now(), row.clone()));
        }
        Ok(row)
    }
}

/// Reads a promo code and its tariff scope straight from the database.
pub async fn load_promo<C: ConnectionTrait>(
    db: &C,
    code: &str,
) -> Result<Option<PromoRow>, ServiceError> {
    let Some(model) = promo_codes::Entity::find()
        .filter(promo_codes::Column::Code.eq(code))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let tariff_ids = promo_code_tariffs::Entity::find()
        .filter(promo_code_tariffs::Column::PromoCodeId.eq(model.id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.tariff_id)
        .collect();
    Ok(Some(PromoRow { model, tariff_ids }))
}
