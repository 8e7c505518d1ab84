//! Outbox relays: deliver a leased batch of outbox rows to one outside system. The job
//! step (`jobs::outbox_relay`) leases, retries and buries rows; a relay only says, per
//! row, whether this attempt delivered it. Every message carries the outbox row id, so
//! consumers deduplicate the at-least-once deliveries.

pub mod amqp;
pub mod http;

use std::fmt;

use entity::outbox;
use serde_json::{Value, json};

use super::outbox::Destination;
use super::time::rfc3339;

/// Why one row was not delivered this time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryError {
    /// Worth another try later (5xx, timeout, broker gone).
    Retry(String),
    /// The receiver refused the message itself (4xx): retrying cannot help.
    Permanent(String),
}

impl fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeliveryError::Retry(m) => f.write_str(m),
            DeliveryError::Permanent(m) => write!(f, "permanent: {m}"),
        }
    }
}

pub type Delivery = Result<(), DeliveryError>;

#[async_trait::async_trait]
pub trait Relay: Send + Sync + fmt::Debug {
    /// For logs and the Outbox page: `rabbitmq`, `http`, `log`.
    fn describe(&self) -> &'static str;
    /// One result per row, in order.
    async fn deliver(&self, batch: &[outbox::Model]) -> Vec<Delivery>;
}

/// Where a destination's messages go when nothing is configured: the log (the
/// customer's in-app list is written for every notification anyway).
#[derive(Debug)]
pub struct LogRelay {
    pub destination: Destination,
}

#[async_trait::async_trait]
impl Relay for LogRelay {
    fn describe(&self) -> &'static str {
        "log"
    }

    async fn deliver(&self, batch: &[outbox::Model]) -> Vec<Delivery> {
        batch
            .iter()
            .map(|row| {
                tracing::info!(
                    destination = self.destination.as_str(),
                    message_id = %row.id,
                    kind = %row.kind,
                    "outbox message (no relay configured)"
                );
                Ok(())
            })
            .collect()
    }
}

/// One relay per destination.
#[derive(Debug)]
pub struct Relays {
    pub events: Box<dyn Relay>,
    pub notify: Box<dyn Relay>,
    pub auth: Box<dyn Relay>,
}

impl Relays {
    pub fn log_only() -> Relays {
        Relays {
            events: Box::new(LogRelay {
                destination: Destination::Events,
            }),
            notify: Box::new(LogRelay {
                destination: Destination::Notify,
            }),
            auth: Box::new(LogRelay {
                destination: Destination::Auth,
            }),
        }
    }

    pub fn get(&self, destination: Destination) -> &dyn Relay {
        match destination {
            Destination::Events => self.events.as_ref(),
            Destination::Notify => self.notify.as_ref(),
            Destination::Auth => self.auth.as_ref(),
        }
    }
}

/// The event envelope other services receive (RabbitMQ body).
pub fn event_envelope(row: &outbox::Model) -> Value {
    json!({
        "id": row.id,
        "type": row.kind,
        "occurred_at": rfc3339(row.created_at),
        "data": row.payload,
    })
}

/// The customer a message is about (`customer_id`, or `user_id` for role changes).
pub fn customer_of(payload: &Value) -> Option<uuid::Uuid> {
    ["customer_id", "user_id"]
        .iter()
        .find_map(|k| payload.get(*k)?.as_str()?.parse().ok())
}
