//! Layered configuration: built-in defaults -> optional `kinobill.toml` -> environment.
//! Every value is parsed into a typed field at start-up; a bad one stops the process with
//! a message naming the key and where it came from.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::Path;

use app::domain::duration::parse_iso8601_duration;
use app::ssr::providers::net::{self as providers_net, Cidr};
use chrono::TimeDelta;

/// A secret value: never printed by `Debug`, so it cannot leak into logs by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    Sandbox,
    YooKassa,
    CloudPayments,
}

#[derive(Debug, Clone)]
pub struct YooKassaSettings {
    pub shop_id: String,
    pub secret_key: Secret,
    pub api_url: String,
    /// Where notifications may come from (default: YooKassa's published ranges).
    pub webhook_allow: Vec<Cidr>,
    /// Our proxies, whose `X-Forwarded-For` names the real sender.
    pub trusted_proxies: Vec<Cidr>,
    /// One API call's limit.
    pub timeout: TimeDelta,
}

#[derive(Debug, Clone)]
pub struct CloudPaymentsSettings {
    pub public_id: String,
    pub api_secret: Secret,
    pub api_url: String,
    /// One API call's limit.
    pub timeout: TimeDelta,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockMode {
    System,
    Test,
}

#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub addr: SocketAddr,
    /// The address people use; `https://` turns on `Secure` cookies.
    pub public_url: String,
    /// Where `cargo leptos build` put the site (`/pkg/kinobill.*`).
    pub site_root: String,
    /// Our own reverse proxies: their `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<Cidr>,
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    /// May carry a password, hence secret.
    pub url: Secret,
    pub max_connections: u32,
}

impl DatabaseSettings {
    pub fn is_sqlite(&self) -> bool {
        self.url.expose().starts_with("sqlite:")
    }
}

/// The background worker inside `serve`.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub enabled: bool,
    /// Pause between passes.
    pub interval: TimeDelta,
    /// A payment pending this long is looked up at the provider.
    pub reconcile_after: TimeDelta,
    pub batch: u64,
}

/// When the lifecycle worker reminds, renews and retries (see ARCHITECTURE.md).
#[derive(Debug, Clone)]
pub struct LifecycleSettings {
    /// "Ends in 3 days": how long before the period end the reminder goes out.
    pub remind_before: TimeDelta,
    /// The saved card is first charged this long before the period end.
    pub renew_before: TimeDelta,
    /// After a failed renewal charge, the next try waits this long.
    pub renewal_retry: TimeDelta,
}

/// How outbox relays retry.
#[derive(Debug, Clone)]
pub struct OutboxSettings {
    /// A message failing this many times is dead (shown on the Outbox page).
    pub max_attempts: i32,
    /// First retry delay; doubles per attempt (with jitter), capped at one hour.
    pub retry_base: TimeDelta,
    /// Delivered rows move to the archive after this long.
    pub archive_after: TimeDelta,
}

/// `KINOBILL__ENV`: what the server may be started with (ARCHITECTURE "Deployment
/// modes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deployment {
    /// Public defaults allowed: the dev secrets, demo data and sign-in, the sandbox.
    Development,
    /// Refuses every public default, naming the key to set.
    Production,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub deployment: Deployment,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub log_format: LogFormat,
    pub log_level: String,
    pub jwt_secret: Secret,
    pub service_token: Option<Secret>,
    pub provider: ProviderKind,
    pub refund_window: TimeDelta,
    /// HMAC secret of the sandbox's webhooks (shared by the sandbox and our endpoint).
    pub sandbox_webhook_secret: Secret,
    /// Per mille of sandbox calls that fail (5xx) or time out after acting (`make chaos`).
    pub sandbox_chaos: u32,
    /// The YooKassa shop; required (both credentials) when it is the provider.
    pub yookassa: Option<YooKassaSettings>,
    /// The CloudPayments site; required (both credentials) when it is the provider.
    pub cloudpayments: Option<CloudPaymentsSettings>,
    /// How stale a quote may be (see `app::ssr::pricing_cache`); zero turns the cache off.
    pub quote_cache_ttl: TimeDelta,
    pub rabbitmq_url: Option<Secret>,
    /// The topic exchange events are published to.
    pub rabbitmq_exchange: String,
    /// Base URLs of the notification and auth services; may carry credentials.
    pub notify_url: Option<Secret>,
    pub auth_service_url: Option<Secret>,
    /// The auth service's page customers sign in on (it posts back to `/auth/callback`).
    pub auth_sign_in_url: Option<String>,
    pub clock: ClockMode,
    pub worker: WorkerSettings,
    pub lifecycle: LifecycleSettings,
    pub outbox: OutboxSettings,
    pub demo_seed: bool,
    /// Requests per second per client address on public and customer endpoints (0: no
    /// limit), and the burst allowed above that rate.
    pub rate_limit: RateLimitSettings,
    pub metrics: MetricsSettings,
}

/// `/metrics`: off by default; on the main address with `enabled`, or only on its own
/// `addr` (an address the internet does not reach).
#[derive(Debug, Clone, Copy, Default)]
pub struct MetricsSettings {
    pub enabled: bool,
    pub addr: Option<SocketAddr>,
}

#[derive(Debug, Clone, Copy)]
pub struct RateLimitSettings {
    pub per_second: u32,
    pub burst: u32,
}

/// The sandbox's default webhook secret (the sandbox is a test provider by nature).
pub const DEV_SANDBOX_SECRET: &str = "kinobill-sandbox-webhook-secret";

/// The development JWT secret. Fine on a laptop; refused with PostgreSQL (production).
pub const DEV_JWT_SECRET: &str = "kinobill-dev-secret-change-me-in-production";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("invalid configuration: {env} ({key}) {shown}: {message}")]
    Invalid {
        key: String,
        env: String,
        shown: String,
        message: String,
    },
    #[error("unknown configuration key {key} (from {origin}); known keys: {known}")]
    Unknown {
        key: String,
        origin: String,
        known: String,
    },
    #[error("cannot use configuration file {path}: {message}")]
    File { path: String, message: String },
}

/// (dotted key, secret?) — every key we understand. Env name: `KINOBILL__` + key with
/// `.` -> `__`, upper case.
const KEYS: &[(&str, bool)] = &[
    ("env", false),
    ("server.addr", false),
    ("server.public_url", false),
    ("server.site_root", false),
    ("server.trusted_proxies", false),
    ("database.url", true),
    ("database.max_connections", false),
    ("log.format", false),
    ("log.level", false),
    ("auth.jwt_secret", true),
    ("auth.sign_in_url", false),
    ("service_token", true),
    ("payments.provider", false),
    ("payments.refund_window", false),
    ("payments.sandbox_webhook_secret", true),
    ("sandbox.chaos", false),
    ("yookassa.shop_id", false),
    ("yookassa.secret_key", true),
    ("yookassa.api_url", false),
    ("yookassa.webhook_allow", false),
    ("yookassa.trusted_proxies", false),
    ("yookassa.timeout", false),
    ("cloudpayments.public_id", false),
    ("cloudpayments.api_secret", true),
    ("cloudpayments.api_url", false),
    ("cloudpayments.timeout", false),
    ("pricing.quote_cache_ttl", false),
    ("rabbitmq.url", true),
    ("rabbitmq.exchange", false),
    ("notify.url", true),
    ("auth_service.url", true),
    ("clock", false),
    ("clock_allow_postgres", false),
    ("lifecycle.remind_before", false),
    ("lifecycle.renew_before", false),
    ("lifecycle.renewal_retry", false),
    ("outbox.max_attempts", false),
    ("outbox.retry_base", false),
    ("outbox.archive_after", false),
    ("worker.enabled", false),
    ("worker.interval", false),
    ("worker.reconcile_after", false),
    ("worker.batch", false),
    ("demo.seed", false),
    ("rate_limit.per_second", false),
    ("rate_limit.burst", false),
    ("metrics.enabled", false),
    ("metrics.addr", false),
];

/// Conventional variables that other tools set (lower precedence than `KINOBILL__*`).
const ALIASES: &[(&str, &str)] = &[
    ("DATABASE_URL", "database.url"),
    ("LEPTOS_SITE_ADDR", "server.addr"),
    ("LEPTOS_SITE_ROOT", "server.site_root"),
];

pub fn env_name(key: &str) -> String {
    format!("KINOBILL__{}", key.replace('.', "__").to_ascii_uppercase())
}

#[derive(Debug, Clone)]
struct Raw {
    value: String,
    origin: String,
}

struct Sources {
    values: BTreeMap<&'static str, Raw>,
}

impl Sources {
    fn get(&self, key: &str) -> Option<&Raw> {
        self.values.get(key)
    }

    fn invalid(&self, key: &str, message: impl Into<String>) -> ConfigError {
        let secret = KEYS.iter().any(|(k, s)| *k == key && *s);
        let (origin, shown) = match self.values.get(key) {
            Some(raw) if secret => (raw.origin.clone(), "= (hidden)".to_string()),
            Some(raw) => (raw.origin.clone(), format!("= {:?}", raw.value)),
            None => (env_name(key), "is missing".to_string()),
        };
        let env = if origin.starts_with("env ") {
            origin.trim_start_matches("env ").to_string()
        } else {
            format!("{} [from {origin}]", env_name(key))
        };
        ConfigError::Invalid {
            key: key.to_string(),
            env,
            shown,
            message: message.into(),
        }
    }

    fn string(&self, key: &str) -> Option<String> {
        self.get(key)
            .map(|r| r.value.trim().to_string())
            .filter(|s| !s.is_empty())
    }

    fn parse<T>(
        &self,
        key: &str,
        default: T,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        match self.string(key) {
            None => Ok(default),
            Some(v) => parse(&v).map_err(|m| self.invalid(key, m)),
        }
    }
}

fn known_keys() -> String {
    KEYS.iter()
        .map(|(k, _)| env_name(k))
        .collect::<Vec<_>>()
        .join(", ")
}

fn key_static(key: &str) -> Option<&'static str> {
    KEYS.iter().map(|(k, _)| *k).find(|k| *k == key)
}

fn flatten_toml(text: &str, path: &str) -> Result<Vec<(String, String)>, ConfigError> {
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| ConfigError::File {
            path: path.to_string(),
            message: e.message().to_string(),
        })?;
    let scalar = |key: &str, v: &toml::Value| -> Result<String, ConfigError> {
        match v {
            toml::Value::String(s) => Ok(s.clone()),
            toml::Value::Integer(i) => Ok(i.to_string()),
            toml::Value::Float(f) => Ok(f.to_string()),
            toml::Value::Boolean(b) => Ok(b.to_string()),
            _ => Err(ConfigError::File {
                path: path.to_string(),
                message: format!("`{key}` must be a string, number or boolean"),
            }),
        }
    };
    let mut out = Vec::new();
    for (k, v) in &table {
        match v {
            toml::Value::Table(inner) => {
                for (ik, iv) in inner {
                    let key = format!("{k}.{ik}");
                    out.push((key.clone(), scalar(&key, iv)?));
                }
            }
            other => out.push((k.clone(), scalar(k, other)?)),
        }
    }
    Ok(out)
}

/// One provider API call's limit: 1 second to 2 minutes, 10 seconds by default.
fn provider_timeout(src: &Sources, key: &str) -> Result<TimeDelta, ConfigError> {
    src.parse(
        key,
        TimeDelta::seconds(10),
        |v| match parse_iso8601_duration(v, "timeout") {
            Ok(d) if d >= TimeDelta::seconds(1) && d <= TimeDelta::minutes(2) => Ok(d),
            _ => Err("expected an ISO 8601 duration from PT1S to PT2M, such as PT10S".to_string()),
        },
    )
}

/// Whether any key under `prefix` (`yookassa.`) is set.
fn any_set(src: &Sources, prefix: &str) -> bool {
    KEYS.iter()
        .any(|(k, _)| k.starts_with(prefix) && src.string(k).is_some())
}

/// The CloudPayments site, required like YooKassa's shop (see [`yookassa_settings`]).
fn cloudpayments_settings(
    src: &Sources,
    provider: ProviderKind,
) -> Result<Option<CloudPaymentsSettings>, ConfigError> {
    if provider != ProviderKind::CloudPayments && !any_set(src, "cloudpayments.") {
        return Ok(None);
    }
    let needed = "required for CloudPayments (Public ID and API secret from the site's settings)";
    let public_id = src
        .string("cloudpayments.public_id")
        .ok_or_else(|| src.invalid("cloudpayments.public_id", needed))?;
    let api_secret = Secret::new(
        src.string("cloudpayments.api_secret")
            .ok_or_else(|| src.invalid("cloudpayments.api_secret", needed))?,
    );
    // A path (`/sandbox/cloudpayments`) is this server's own CloudPayments personality.
    let api_url = src.parse(
        "cloudpayments.api_url",
        app::ssr::providers::cloudpayments::DEFAULT_API_URL.to_string(),
        |v| {
            if v.starts_with("/sandbox/") {
                return Ok(v.trim_end_matches('/').to_string());
            }
            url_with_scheme(v, &["http://", "https://"])
                .map(|u| u.trim_end_matches('/').to_string())
        },
    )?;
    Ok(Some(CloudPaymentsSettings {
        public_id,
        api_secret,
        api_url,
        timeout: provider_timeout(src, "cloudpayments.timeout")?,
    }))
}

/// The YooKassa shop. Any of its keys set, or YooKassa chosen as the provider, makes
/// both credentials required: a half-configured provider refuses to start, naming what
/// is missing, instead of failing at the first payment.
fn yookassa_settings(
    src: &Sources,
    provider: ProviderKind,
) -> Result<Option<YooKassaSettings>, ConfigError> {
    if provider != ProviderKind::YooKassa && !any_set(src, "yookassa.") {
        return Ok(None);
    }
    let needed = "required for YooKassa (from the shop's settings in its dashboard)";
    let shop_id = src
        .string("yookassa.shop_id")
        .ok_or_else(|| src.invalid("yookassa.shop_id", needed))?;
    let secret_key = Secret::new(
        src.string("yookassa.secret_key")
            .ok_or_else(|| src.invalid("yookassa.secret_key", needed))?,
    );
    // A path (`/sandbox/yookassa/v3`) is this server's own YooKassa personality.
    let api_url = src.parse(
        "yookassa.api_url",
        app::ssr::providers::yookassa::DEFAULT_API_URL.to_string(),
        |v| {
            if v.starts_with("/sandbox/") {
                return Ok(v.trim_end_matches('/').to_string());
            }
            url_with_scheme(v, &["http://", "https://"])
                .map(|u| u.trim_end_matches('/').to_string())
        },
    )?;
    let ranges = |key: &str, default: &str| -> Result<Vec<Cidr>, ConfigError> {
        let text = src.string(key).unwrap_or_else(|| default.to_string());
        providers_net::parse_list(&text).map_err(|m| src.invalid(key, m))
    };
    let webhook_allow = ranges(
        "yookassa.webhook_allow",
        app::ssr::providers::yookassa::PUBLISHED_RANGES,
    )?;
    let trusted_proxies = ranges("yookassa.trusted_proxies", "")?;
    let timeout = provider_timeout(src, "yookassa.timeout")?;
    Ok(Some(YooKassaSettings {
        shop_id,
        secret_key,
        api_url,
        webhook_allow,
        trusted_proxies,
        timeout,
    }))
}

fn url_with_scheme(v: &str, schemes: &[&str]) -> Result<String, String> {
    if schemes.iter().any(|s| v.starts_with(s))
        && v.len() > schemes.iter().map(|s| s.len()).min().unwrap_or(0)
    {
        Ok(v.to_string())
    } else {
        Err(format!(
            "expected a URL starting with {}",
            schemes.join(" or ")
        ))
    }
}

impl Settings {
    /// Reads `kinobill.toml` (or `path`) and the process environment.
    pub fn load(path: Option<&Path>) -> Result<Settings, ConfigError> {
        let (file_text, file_name) = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| ConfigError::File {
                    path: p.display().to_string(),
                    message: e.to_string(),
                })?;
                (Some(text), p.display().to_string())
            }
            None => {
                let default = Path::new("kinobill.toml");
                match std::fs::read_to_string(default) {
                    Ok(text) => (Some(text), "kinobill.toml".to_string()),
                    Err(_) => (None, String::new()),
                }
            }
        };
        Settings::from_sources(file_text.as_deref(), &file_name, std::env::vars())
    }

    /// The pure core of [`Settings::load`], for tests.
    pub fn from_sources(
        file_text: Option<&str>,
        file_name: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, ConfigError> {
        let mut values: BTreeMap<&'static str, Raw> = BTreeMap::new();
        if let Some(text) = file_text {
            for (key, value) in flatten_toml(text, file_name)? {
                let Some(k) = key_static(&key) else {
                    return Err(ConfigError::Unknown {
                        key,
                        origin: file_name.to_string(),
                        known: known_keys(),
                    });
                };
                values.insert(
                    k,
                    Raw {
                        value,
                        origin: format!("{file_name} key {key}"),
                    },
                );
            }
        }
        let env: Vec<(String, String)> = env.into_iter().collect();
        for (alias, key) in ALIASES {
            if let Some((_, v)) = env.iter().find(|(n, _)| n == alias) {
                values.insert(
                    key,
                    Raw {
                        value: v.clone(),
                        origin: format!("env {alias}"),
                    },
                );
            }
        }
        for (name, value) in &env {
            let Some(rest) = name.strip_prefix("KINOBILL__") else {
                continue;
            };
            let key = rest
                .split("__")
                .map(str::to_ascii_lowercase)
                .collect::<Vec<_>>()
                .join(".");
            let Some(k) = key_static(&key) else {
                return Err(ConfigError::Unknown {
                    key: name.clone(),
                    origin: "environment".into(),
                    known: known_keys(),
                });
            };
            values.insert(
                k,
                Raw {
                    value: value.clone(),
                    origin: format!("env {name}"),
                },
            );
        }
        Settings::parse(&Sources { values })
    }

    fn parse(src: &Sources) -> Result<Settings, ConfigError> {
        let deployment = src.parse("env", Deployment::Development, |v| {
            match v.to_ascii_lowercase().as_str() {
                "development" | "dev" => Ok(Deployment::Development),
                "production" | "prod" => Ok(Deployment::Production),
                _ => Err("expected `development` or `production`".to_string()),
            }
        })?;
        let addr: SocketAddr = src.parse(
            "server.addr",
            SocketAddr::from(([127, 0, 0, 1], 3000)),
            |v| {
                v.parse()
                    .map_err(|_| "expected host:port such as 127.0.0.1:3000".to_string())
            },
        )?;
        let public_url = src.parse("server.public_url", format!("http://{addr}"), |v| {
            url_with_scheme(v, &["http://", "https://"])
                .map(|u| u.trim_end_matches('/').to_string())
        })?;
        let site_root = src
            .string("server.site_root")
            .unwrap_or_else(|| "target/site".to_string());
        let trusted_proxies = match src.string("server.trusted_proxies") {
            None => Vec::new(),
            Some(text) => providers_net::parse_list(&text)
                .map_err(|m| src.invalid("server.trusted_proxies", m))?,
        };

        let db_url = src.parse(
            "database.url",
            "sqlite://kinobill.db?mode=rwc".to_string(),
            |v| url_with_scheme(v, &["sqlite:", "postgres://", "postgresql://"]),
        )?;
        let database = DatabaseSettings {
            url: Secret::new(db_url),
            max_connections: src.parse("database.max_connections", 10, |v| {
                match v.parse::<u32>() {
                    Ok(n) if (1..=1000).contains(&n) => Ok(n),
                    _ => Err("expected a whole number from 1 to 1000".to_string()),
                }
            })?,
        };

        let log_format = src.parse("log.format", LogFormat::Pretty, |v| {
            match v.to_ascii_lowercase().as_str() {
                "pretty" | "text" => Ok(LogFormat::Pretty),
                "json" => Ok(LogFormat::Json),
                _ => Err("expected `pretty` or `json`".to_string()),
            }
        })?;
        let log_level = src.parse("log.level", "info".to_string(), |v| {
            match v.to_ascii_lowercase().as_str() {
                l @ ("error" | "warn" | "info" | "debug" | "trace") => Ok(l.to_string()),
                _ => Err("expected one of error, warn, info, debug, trace".to_string()),
            }
        })?;

        let jwt_secret = src.parse("auth.jwt_secret", Secret::new(DEV_JWT_SECRET), |v| {
            if v.len() < 32 {
                Err("use at least 32 characters".to_string())
            } else {
                Ok(Secret::new(v))
            }
        })?;
        if !database.is_sqlite() && jwt_secret.expose() == DEV_JWT_SECRET {
            return Err(src.invalid(
                "auth.jwt_secret",
                "the development secret is refused with PostgreSQL and in production; set a real secret",
            ));
        }
        let service_token = src
            .string("service_token")
            .map(|v| {
                if v.len() < 16 {
                    Err(src.invalid("service_token", "use at least 16 characters"))
                } else {
                    Ok(Secret::new(v))
                }
            })
            .transpose()?;

        let provider = src.parse("payments.provider", ProviderKind::Sandbox, |v| {
            match v.to_ascii_lowercase().as_str() {
                "sandbox" => Ok(ProviderKind::Sandbox),
                "yookassa" => Ok(ProviderKind::YooKassa),
                "cloudpayments" => Ok(ProviderKind::CloudPayments),
                _ => Err("expected sandbox, yookassa or cloudpayments".to_string()),
            }
        })?;
        let refund_window = src.parse("payments.refund_window", TimeDelta::minutes(60), |v| {
            match parse_iso8601_duration(v, "refund_window") {
                Ok(d) if d > TimeDelta::zero() => Ok(d),
                Ok(_) => Err("the window must be longer than zero".to_string()),
                Err(_) => Err("expected an ISO 8601 duration such as PT60M".to_string()),
            }
        })?;

        let sandbox_webhook_secret = src.parse(
            "payments.sandbox_webhook_secret",
            Secret::new(DEV_SANDBOX_SECRET),
            |v| {
                if v.len() < 16 {
                    Err("use at least 16 characters".to_string())
                } else {
                    Ok(Secret::new(v))
                }
            },
        )?;
        let yookassa = yookassa_settings(src, provider)?;
        let cloudpayments = cloudpayments_settings(src, provider)?;
        let quote_cache_ttl = src.parse("pricing.quote_cache_ttl", TimeDelta::seconds(2), |v| {
            match parse_iso8601_duration(v, "quote_cache_ttl") {
                Ok(d) if d >= TimeDelta::zero() && d <= TimeDelta::minutes(5) => Ok(d),
                Ok(_) => Err("expected a duration from PT0S to PT5M".to_string()),
                Err(_) => Err("expected an ISO 8601 duration such as PT2S".to_string()),
            }
        })?;

        let rabbitmq_url = src
            .string("rabbitmq.url")
            .map(|v| {
                url_with_scheme(&v, &["amqp://", "amqps://"])
                    .map(Secret::new)
                    .map_err(|m| src.invalid("rabbitmq.url", m))
            })
            .transpose()?;
        let rabbitmq_exchange = src
            .string("rabbitmq.exchange")
            .unwrap_or_else(|| app::ssr::relays::amqp::DEFAULT_EXCHANGE.to_string());
        let http_url = |key: &str| {
            src.string(key)
                .map(|v| {
                    url_with_scheme(&v, &["http://", "https://"]).map_err(|m| src.invalid(key, m))
                })
                .transpose()
        };
        let notify_url = http_url("notify.url")?.map(Secret::new);
        let auth_service_url = http_url("auth_service.url")?.map(Secret::new);
        let auth_sign_in_url = http_url("auth.sign_in_url")?;

        let clock = src.parse("clock", ClockMode::System, |v| {
            match v.to_ascii_lowercase().as_str() {
                "system" => Ok(ClockMode::System),
                "test" => Ok(ClockMode::Test),
                _ => Err("expected `system` or `test`".to_string()),
            }
        })?;
        let duration = |key: &str, default: TimeDelta| {
            src.parse(key, default, |v| {
                match parse_iso8601_duration(v, "duration") {
                    Ok(d) if d > TimeDelta::zero() => Ok(d),
                    _ => Err(
                        "expected an ISO 8601 duration longer than zero, such as PT5S".to_string(),
                    ),
                }
            })
        };
        let worker = WorkerSettings {
            enabled: src.parse("worker.enabled", true, |v| {
                match v.to_ascii_lowercase().as_str() {
                    "true" | "1" | "yes" | "on" => Ok(true),
                    "false" | "0" | "no" | "off" => Ok(false),
                    _ => Err("expected true or false".to_string()),
                }
            })?,
            interval: duration("worker.interval", TimeDelta::seconds(5))?,
            reconcile_after: duration("worker.reconcile_after", TimeDelta::minutes(10))?,
            batch: src.parse("worker.batch", 100, |v| match v.parse::<u64>() {
                Ok(n) if (1..=10_000).contains(&n) => Ok(n),
                _ => Err("expected a whole number from 1 to 10000".to_string()),
            })?,
        };
        let bool_value = |v: &str| match v.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err("expected true or false".to_string()),
        };
        // The test clock lets staff move time: harmless on a laptop's SQLite, dangerous on
        // the production database, so PostgreSQL needs a second, explicit switch.
        let clock_allow_postgres = src.parse("clock_allow_postgres", false, bool_value)?;
        if clock == ClockMode::Test && !database.is_sqlite() && !clock_allow_postgres {
            return Err(src.invalid(
                "clock",
                "the test clock is refused with PostgreSQL; set KINOBILL__CLOCK_ALLOW_POSTGRES=true only on a test database",
            ));
        }
        let lifecycle = LifecycleSettings {
            remind_before: duration("lifecycle.remind_before", TimeDelta::days(3))?,
            renew_before: duration("lifecycle.renew_before", TimeDelta::hours(24))?,
            renewal_retry: duration("lifecycle.renewal_retry", TimeDelta::days(1))?,
        };
        let outbox = OutboxSettings {
            max_attempts: src.parse("outbox.max_attempts", 12, |v| match v.parse::<i32>() {
                Ok(n) if (1..=100).contains(&n) => Ok(n),
                _ => Err("expected a whole number from 1 to 100".to_string()),
            })?,
            retry_base: duration("outbox.retry_base", TimeDelta::seconds(1))?,
            archive_after: duration("outbox.archive_after", TimeDelta::days(7))?,
        };
        let demo_seed = src.parse("demo.seed", database.is_sqlite(), |v| {
            match v.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok(true),
                "false" | "0" | "no" | "off" => Ok(false),
                _ => Err("expected true or false".to_string()),
            }
        })?;

        let rate_limit = RateLimitSettings {
            per_second: src.parse("rate_limit.per_second", 50, |v| match v.parse::<u32>() {
                Ok(n) if n <= 100_000 => Ok(n),
                _ => Err("expected a whole number from 0 (no limit) to 100000".to_string()),
            })?,
            burst: src.parse("rate_limit.burst", 100, |v| match v.parse::<u32>() {
                Ok(n) if (1..=1_000_000).contains(&n) => Ok(n),
                _ => Err("expected a whole number from 1 to 1000000".to_string()),
            })?,
        };
        let sandbox_chaos = src.parse("sandbox.chaos", 0, |v| match v.parse::<u32>() {
            Ok(n) if n <= 1000 => Ok(n),
            _ => Err("expected per mille, a whole number from 0 to 1000".to_string()),
        })?;
        let metrics = MetricsSettings {
            enabled: src.parse("metrics.enabled", false, |v| {
                match v.to_ascii_lowercase().as_str() {
                    "true" | "1" | "yes" | "on" => Ok(true),
                    "false" | "0" | "no" | "off" => Ok(false),
                    _ => Err("expected true or false".to_string()),
                }
            })?,
            addr: src
                .string("metrics.addr")
                .map(|v| {
                    v.parse::<SocketAddr>().map_err(|_| {
                        src.invalid("metrics.addr", "expected host:port such as 127.0.0.1:9100")
                    })
                })
                .transpose()?,
        };
        let settings = Settings {
            deployment,
            server: ServerSettings {
                addr,
                public_url,
                site_root,
                trusted_proxies,
            },
            database,
            log_format,
            log_level,
            jwt_secret,
            service_token,
            provider,
            refund_window,
            quote_cache_ttl,
            sandbox_webhook_secret,
            sandbox_chaos,
            yookassa,
            cloudpayments,
            rabbitmq_url,
            rabbitmq_exchange,
            notify_url,
            auth_service_url,
            auth_sign_in_url,
            clock,
            worker,
            lifecycle,
            outbox,
            demo_seed,
            rate_limit,
            metrics,
        };
        if deployment == Deployment::Production {
            settings.refuse_public_defaults(src)?;
        }
        Ok(settings)
    }

    /// Production refuses every default that is public (anyone can read it in this
    /// repository) or exists only to try the product, naming the key to set.
    fn refuse_public_defaults(&self, src: &Sources) -> Result<(), ConfigError> {
        if self.jwt_secret.expose() == DEV_JWT_SECRET {
            return Err(src.invalid(
                "auth.jwt_secret",
                "production refuses the development secret (and with it demo sign-in); set the auth service's secret",
            ));
        }
        if self.provider == ProviderKind::Sandbox {
            return Err(src.invalid(
                "payments.provider",
                "production takes real money: set yookassa or cloudpayments (the sandbox, its pages and its card dashboard are for development)",
            ));
        }
        let own_personality = |url: &str| url.starts_with('/');
        if self
            .yookassa
            .as_ref()
            .is_some_and(|y| own_personality(&y.api_url))
        {
            return Err(src.invalid(
                "yookassa.api_url",
                "production refuses the sandbox's YooKassa personality; leave the key unset for YooKassa's own API",
            ));
        }
        if self
            .cloudpayments
            .as_ref()
            .is_some_and(|c| own_personality(&c.api_url))
        {
            return Err(src.invalid(
                "cloudpayments.api_url",
                "production refuses the sandbox's CloudPayments personality; leave the key unset for CloudPayments' own API",
            ));
        }
        // With neither the sandbox nor a personality, nothing checks a webhook with the
        // sandbox's public default secret.
        if self.demo_seed {
            return Err(src.invalid("demo.seed", "production refuses demo data; set it to false"));
        }
        if self.clock == ClockMode::Test {
            return Err(src.invalid(
                "clock",
                "production refuses the test clock (staff could move time); set it to system",
            ));
        }
        Ok(())
    }

    /// Whether the console's demo sign-in (any seeded customer, no auth service) may be
    /// offered: only in development, with the development secret.
    pub fn demo_sign_in(&self) -> bool {
        self.deployment == Deployment::Development && self.jwt_secret.expose() == DEV_JWT_SECRET
    }

    /// Cookies get `Secure` when people reach us over https.
    pub fn secure_cookies(&self) -> bool {
        self.server.public_url.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_the_embedded_setup() {
        let s = Settings::from_sources(None, "", env(&[])).unwrap();
        assert_eq!(s.server.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(s.database.url.expose(), "sqlite://kinobill.db?mode=rwc");
        assert_eq!(s.provider, ProviderKind::Sandbox);
        assert_eq!(s.refund_window, TimeDelta::minutes(60));
        assert!(s.demo_seed);
        assert_eq!(s.clock, ClockMode::System);
        assert!(!s.secure_cookies());
    }

    #[test]
    fn env_overrides_file_overrides_defaults() {
        let file = "[server]\naddr = \"127.0.0.1:4000\"\n[payments]\nrefund_window = \"PT30M\"\n";
        let s = Settings::from_sources(
            Some(file),
            "kinobill.toml",
            env(&[("KINOBILL__SERVER__ADDR", "127.0.0.1:5000")]),
        )
        .unwrap();
        assert_eq!(s.server.addr.port(), 5000);
        assert_eq!(s.refund_window, TimeDelta::minutes(30));
    }

    #[test]
    fn the_test_clock_is_refused_with_postgres_unless_explicitly_allowed() {
        let pg = [
            ("DATABASE_URL", "postgres://db/kinobill"),
            (
                "KINOBILL__AUTH__JWT_SECRET",
                "a-real-secret-that-is-long-enough-0123",
            ),
            ("KINOBILL__CLOCK", "test"),
        ];
        let err = Settings::from_sources(None, "", env(&pg)).unwrap_err();
        assert!(
            err.to_string().contains("KINOBILL__CLOCK_ALLOW_POSTGRES"),
            "{err}"
        );
        let mut allowed = pg.to_vec();
        allowed.push(("KINOBILL__CLOCK_ALLOW_POSTGRES", "true"));
        let s = Settings::from_sources(None, "", env(&allowed)).unwrap();
        assert_eq!(s.clock, ClockMode::Test);
        let sqlite = Settings::from_sources(None, "", env(&[("KINOBILL__CLOCK", "test")])).unwrap();
        assert_eq!(sqlite.clock, ClockMode::Test);
    }

    #[test]
    fn kinobill_env_beats_the_leptos_alias() {
        let s = Settings::from_sources(
            None,
            "",
            env(&[
                ("LEPTOS_SITE_ADDR", "127.0.0.1:4001"),
                ("KINOBILL__SERVER__ADDR", "127.0.0.1:4002"),
            ]),
        )
        .unwrap();
        assert_eq!(s.server.addr.port(), 4002);
        let s = Settings::from_sources(None, "", env(&[("LEPTOS_SITE_ADDR", "127.0.0.1:4001")]))
            .unwrap();
        assert_eq!(s.server.addr.port(), 4001);
    }

    #[test]
    fn a_bad_value_names_the_env_var_and_key() {
        let err = Settings::from_sources(
            None,
            "",
            env(&[("KINOBILL__PAYMENTS__REFUND_WINDOW", "soon")]),
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("KINOBILL__PAYMENTS__REFUND_WINDOW"), "{msg}");
        assert!(msg.contains("payments.refund_window"), "{msg}");
        assert!(msg.contains("\"soon\""), "{msg}");
    }

    #[test]
    fn a_bad_file_value_names_the_file_key_too() {
        let err = Settings::from_sources(
            Some("[server]\naddr = \"nowhere\"\n"),
            "kinobill.toml",
            env(&[]),
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("KINOBILL__SERVER__ADDR") && msg.contains("kinobill.toml key server.addr"),
            "{msg}"
        );
    }

    #[test]
    fn secrets_are_never_echoed() {
        let err =
            Settings::from_sources(None, "", env(&[("KINOBILL__AUTH__JWT_SECRET", "tooshort")]))
                .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("KINOBILL__AUTH__JWT_SECRET") && !msg.contains("tooshort"),
            "{msg}"
        );
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "Secret(***)");
        // Service URLs may carry credentials: a bad one is named, never shown.
        let err = Settings::from_sources(
            None,
            "",
            env(&[("KINOBILL__NOTIFY__URL", "ftp://user:hunter2@notify")]),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("KINOBILL__NOTIFY__URL") && !err.contains("hunter2"),
            "{err}"
        );
        let ok = Settings::from_sources(
            None,
            "",
            env(&[("KINOBILL__AUTH_SERVICE__URL", "https://user:hunter2@auth")]),
        )
        .unwrap();
        assert!(!format!("{ok:?}").contains("hunter2"));
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err =
            Settings::from_sources(None, "", env(&[("KINOBILL__PAYMENT__PROVIDER", "sandbox")]))
                .unwrap_err();
        assert!(matches!(err, ConfigError::Unknown { .. }));
        let err =
            Settings::from_sources(Some("[sever]\naddr = \"x\"\n"), "kinobill.toml", env(&[]))
                .unwrap_err();
        assert!(err.to_string().contains("sever.addr"));
    }

    /// Keys changed, the key the refusal names, keys dropped.
    type Breaks = (
        &'static [(&'static str, &'static str)],
        &'static str,
        &'static [&'static str],
    );

    /// A production configuration that starts; each case below breaks one key of it.
    fn production() -> Vec<(&'static str, &'static str)> {
        vec![
            ("KINOBILL__ENV", "production"),
            ("DATABASE_URL", "postgres://db/kinobill"),
            (
                "KINOBILL__AUTH__JWT_SECRET",
                "a-production-secret-of-32-characters!",
            ),
            ("KINOBILL__PAYMENTS__PROVIDER", "yookassa"),
            ("KINOBILL__YOOKASSA__SHOP_ID", "100500"),
            ("KINOBILL__YOOKASSA__SECRET_KEY", "live_secret"),
        ]
    }

    #[test]
    fn production_refuses_every_public_default_and_names_the_key() {
        let ok = Settings::from_sources(None, "", env(&production())).unwrap();
        assert_eq!(ok.deployment, Deployment::Production);
        assert!(!ok.demo_sign_in() && !ok.demo_seed);
        let cases: &[Breaks] = &[
            (
                &[("KINOBILL__AUTH__JWT_SECRET", DEV_JWT_SECRET)],
                "KINOBILL__AUTH__JWT_SECRET",
                &[],
            ),
            (
                &[("KINOBILL__PAYMENTS__PROVIDER", "sandbox")],
                "KINOBILL__PAYMENTS__PROVIDER",
                &[
                    "KINOBILL__YOOKASSA__SHOP_ID",
                    "KINOBILL__YOOKASSA__SECRET_KEY",
                ],
            ),
            (
                &[("KINOBILL__YOOKASSA__API_URL", "/sandbox/yookassa/v3")],
                "KINOBILL__YOOKASSA__API_URL",
                &[],
            ),
            (
                &[
                    ("KINOBILL__PAYMENTS__PROVIDER", "cloudpayments"),
                    ("KINOBILL__CLOUDPAYMENTS__PUBLIC_ID", "pk"),
                    ("KINOBILL__CLOUDPAYMENTS__API_SECRET", "s"),
                    ("KINOBILL__CLOUDPAYMENTS__API_URL", "/sandbox/cloudpayments"),
                ],
                "KINOBILL__CLOUDPAYMENTS__API_URL",
                &[
                    "KINOBILL__YOOKASSA__SHOP_ID",
                    "KINOBILL__YOOKASSA__SECRET_KEY",
                ],
            ),
            (
                &[("KINOBILL__DEMO__SEED", "true")],
                "KINOBILL__DEMO__SEED",
                &[],
            ),
            (
                &[
                    ("KINOBILL__CLOCK", "test"),
                    ("KINOBILL__CLOCK_ALLOW_POSTGRES", "true"),
                ],
                "KINOBILL__CLOCK",
                &[],
            ),
        ];
        for (change, key, drop) in cases {
            let mut vars: Vec<(&str, &str)> = production()
                .into_iter()
                .filter(|(k, _)| !drop.contains(k) && !change.iter().any(|(c, _)| c == k))
                .collect();
            vars.extend(change.iter().copied());
            let err = Settings::from_sources(None, "", env(&vars))
                .unwrap_err()
                .to_string();
            assert!(err.contains(key), "{key}: {err}");
            assert!(err.contains("production"), "{key}: {err}");
            assert!(!err.contains(DEV_JWT_SECRET), "secrets stay hidden: {err}");
        }
        // Development keeps its defaults: demo sign-in with the development secret.
        let dev = Settings::from_sources(None, "", env(&[])).unwrap();
        assert_eq!(dev.deployment, Deployment::Development);
        assert!(dev.demo_sign_in());
        let bad = Settings::from_sources(None, "", env(&[("KINOBILL__ENV", "staging")]));
        assert!(bad.unwrap_err().to_string().contains("KINOBILL__ENV"));
    }

    #[test]
    fn postgres_refuses_the_dev_jwt_secret() {
        let err = Settings::from_sources(
            None,
            "",
            env(&[("DATABASE_URL", "postgres://localhost/kb")]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("KINOBILL__AUTH__JWT_SECRET"));
        let ok = Settings::from_sources(
            None,
            "",
            env(&[
                ("DATABASE_URL", "postgres://localhost/kb"),
                ("KINOBILL__AUTH__JWT_SECRET", &"s".repeat(40)),
            ]),
        )
        .unwrap();
        assert!(!ok.demo_seed, "no demo data in PostgreSQL unless asked");
    }

    #[test]
    fn https_public_url_makes_cookies_secure() {
        let s = Settings::from_sources(
            None,
            "",
            env(&[("KINOBILL__SERVER__PUBLIC_URL", "https://billing.example")]),
        )
        .unwrap();
        assert!(s.secure_cookies());
    }
}
