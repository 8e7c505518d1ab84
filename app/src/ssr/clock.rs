//! All "now" comes from here, so tests (and the demo's test clock) can move time.

use std::fmt;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};

pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The real time shifted by an offset that only ever grows: time moved forward stays
/// forward, so nothing observes a clock going backwards.
#[derive(Debug, Default)]
pub struct TestClock {
    offset: Mutex<TimeDelta>,
}

impl TestClock {
    /// How far the clock has been moved so far.
    pub fn offset(&self) -> TimeDelta {
        *self.offset.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Moves the clock to `offset` unless it is already further (another instance moved
    /// the shared clock: catch up, never go back).
    pub fn catch_up(&self, offset: TimeDelta) {
        let mut current = self.offset.lock().unwrap_or_else(|p| p.into_inner());
        if offset > *current {
            *current = offset;
        }
    }

    pub fn advance(&self, by: TimeDelta) {
        if by <= TimeDelta::zero() {
            return;
        }
        let mut offset = self.offset.lock().unwrap_or_else(|p| p.into_inner());
        *offset += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        let offset = *self.offset.lock().unwrap_or_else(|p| p.into_inner());
        Utc::now() + offset
    }
}

/// Cheap to clone; what services receive.
#[derive(Debug, Clone)]
pub struct SharedClock(Arc<dyn Clock>);

impl SharedClock {
    pub fn system() -> Self {
        SharedClock(Arc::new(SystemClock))
    }

    pub fn new(clock: Arc<dyn Clock>) -> Self {
        SharedClock(clock)
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.0.now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_clock_moves_forward_only() {
        let clock = TestClock::default();
        let before = clock.now();
        clock.advance(TimeDelta::days(3));
        clock.advance(TimeDelta::days(-10));
        let after = clock.now();
        assert!(after - before >= TimeDelta::days(3));
        assert!(after - before < TimeDelta::days(3) + TimeDelta::minutes(1));
    }
}
