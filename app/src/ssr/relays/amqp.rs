//! Billing events to RabbitMQ: a durable topic exchange, persistent messages, publisher
//! confirms, `message_id` = outbox id, routing key = event kind. A row counts as
//! delivered only when the broker confirmed it; a broken connection is dropped and the
//! next batch connects again, so a broker restart loses nothing (unconfirmed rows retry).

use entity::outbox;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions};
use lapin::types::FieldTable;
use lapin::{
    BasicProperties, Channel, Confirmation, Connection, ConnectionProperties, ExchangeKind,
};
use tokio::sync::Mutex;

use super::{Delivery, DeliveryError, Relay, event_envelope};

pub const DEFAULT_EXCHANGE: &str = "billing.events";
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// How long a confirm may take; a silent broker counts as a lost connection.
const CONFIRM_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

struct Live {
    // Kept so the connection lives as long as its channel.
    _connection: Connection,
    channel: Channel,
}

pub struct AmqpRelay {
    url: String,
    exchange: String,
    /// Shown by `rabbitmqctl list_connections client_properties`.
    connection_name: String,
    live: Mutex<Option<Live>>,
}

impl std::fmt::Debug for AmqpRelay {
    // The URL may carry a password: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmqpRelay")
            .field("exchange", &self.exchange)
            .field("connection_name", &self.connection_name)
            .finish_non_exhaustive()
    }
}

impl AmqpRelay {
    pub fn new(url: &str, exchange: &str, connection_name: &str) -> AmqpRelay {
        AmqpRelay {
            url: url.to_string(),
            exchange: exchange.to_string(),
            connection_name: connection_name.to_string(),
            live: Mutex::new(None),
        }
    }

    async fn connect(&self) -> Result<Live, lapin::Error> {
        let props = ConnectionProperties::default()
            .with_connection_name(self.connection_name.clone().into());
        let connection = Connection::connect(&self.url, props).await?;
        let channel = connection.create_channel().await?;
        channel
            .exchange_declare(
                self.exchange.clone().into(),
                ExchangeKind::Topic,
                ExchangeDeclareOptions {
                    durable: true,
                    ..ExchangeDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        tracing::info!(exchange = %self.exchange, "connected to RabbitMQ");
        Ok(Live {
            _connection: connection,
            channel,
        })
    }

    /// The live channel, connecting (again) when there is none or it broke.
    async fn channel(&self, live: &mut Option<Live>) -> Result<Channel, DeliveryError> {
        if let Some(l) = live.as_ref()
            && l.channel.status().connected()
        {
            return Ok(l.channel.clone());
        }
        *live = None;
        // A broker that accepts the socket but never answers must not stall the worker.
        let fresh = tokio::time::timeout(CONNECT_TIMEOUT, self.connect())
            .await
            .map_err(|_| DeliveryError::Retry("connecting to RabbitMQ timed out".into()))?
            .map_err(|e| DeliveryError::Retry(format!("cannot connect to RabbitMQ: {e}")))?;
        let channel = fresh.channel.clone();
        *live = Some(fresh);
        Ok(channel)
    }
}

#[async_trait::async_trait]
impl Relay for AmqpRelay {
    fn describe(&self) -> &'static str {
        "rabbitmq"
    }

    async fn deliver(&self, batch: &[outbox::Model]) -> Vec<Delivery> {
        let mut live = self.live.lock().await;
        let channel = match self.channel(&mut live).await {
            Ok(c) => c,
            Err(e) => return batch.iter().map(|_| Err(e.clone())).collect(),
        };
        let mut broken = false;
        // Publish the whole batch first, then collect the confirms: one round trip's
        // worth of waiting per batch instead of per message. The publishes run together:
        // each one queues its frames (and takes its delivery tag) in order on its first
        // poll and then only waits for the socket write, so awaiting them one by one
        // would cost an I/O-loop round trip per message.
        let bodies: Vec<Vec<u8>> = batch
            .iter()
            .map(|row| serde_json::to_vec(&event_envelope(row)).unwrap_or_default())
            .collect();
        let publishes = batch.iter().zip(&bodies).map(|(row, body)| {
            let props = BasicProperties::default()
                .with_message_id(row.id.to_string().into())
                .with_delivery_mode(2)
                .with_content_type("application/json".into())
                .with_timestamp(u64::try_from(row.created_at.timestamp()).unwrap_or(0));
            channel.basic_publish(
                self.exchange.clone().into(),
                row.kind.clone().into(),
                BasicPublishOptions::default(),
                body,
                props,
            )
        });
        let mut pending = Vec::with_capacity(batch.len());
        for published in futures_util::future::join_all(publishes).await {
            match published {
                Ok(confirm) => pending.push(Ok(confirm)),
                Err(e) => {
                    broken = true;
                    pending.push(Err(DeliveryError::Retry(format!("publish failed: {e}"))));
                }
            }
        }
        // One deadline for the whole batch: a dead connection must not cost a timeout
        // per message (the batch's lease would run out and another worker resend it).
        let deadline = tokio::time::Instant::now() + CONFIRM_TIMEOUT;
        let mut out = Vec::with_capacity(batch.len());
        for p in pending {
            out.push(match p {
                Err(e) => Err(e),
                Ok(confirm) => match tokio::time::timeout_at(deadline, confirm).await {
                    Ok(Ok(Confirmation::Ack(_) | Confirmation::NotRequested)) => Ok(()),
                    Ok(Ok(Confirmation::Nack(_))) => {
                        Err(DeliveryError::Retry("the broker refused (nack)".into()))
                    }
                    Ok(Err(e)) => {
                        broken = true;
                        Err(DeliveryError::Retry(format!("not confirmed: {e}")))
                    }
                    Err(_) => {
                        broken = true;
                        Err(DeliveryError::Retry("no confirm in time".into()))
                    }
                },
            });
        }
        if broken {
            tracing::warn!("RabbitMQ connection lost; reconnecting on the next batch");
            *live = None;
        }
        out
    }
}
