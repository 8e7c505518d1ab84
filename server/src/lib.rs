//! The Kinobill server as a library: `Application::build` wires configuration, database,
//! migrations and HTTP; `main.rs` is only the CLI around it, and tests start it directly.

pub mod config;
pub mod db;
pub mod http;
pub mod telemetry;
pub mod testkit;
pub mod worker;

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use app::ssr::clock::{SharedClock, TestClock};
use app::ssr::customer_token::CustomerTokens;
use app::ssr::pricing_cache::PricingCache;
use app::ssr::providers::SharedProvider;
use app::ssr::providers::cloudpayments::{CloudPayments, CloudPaymentsConfig};
use app::ssr::providers::sandbox::{CloudPaymentsSite, Sandbox};
use app::ssr::providers::yookassa::{YooKassa, YooKassaConfig};
use app::ssr::relays::Relays;
use app::ssr::relays::amqp::AmqpRelay;
use app::ssr::relays::http::{AuthHttp, NotifyHttp};
use app::ssr::role_catalog::RoleCatalog;
use app::ssr::state::{BillingSettings, OutboxPolicy};
use app::ssr::{AppState, services};
use leptos::config::LeptosOptions;
use migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::config::{ClockMode, ProviderKind, Settings};

/// The Leptos project name (site files are `/pkg/kinobill.*`).
pub const LEPTOS_OUTPUT_NAME: &str = "kinobill";

pub struct Application {
    worker: Option<crate::config::WorkerSettings>,
    listener: TcpListener,
    /// `/metrics` on an address of its own (`KINOBILL__METRICS__ADDR`).
    metrics_listener: Option<TcpListener>,
    router: axum::Router,
    state: AppState,
    test_clock: Option<Arc<TestClock>>,
}

fn clock(settings: &Settings) -> (SharedClock, Option<Arc<TestClock>>) {
    match settings.clock {
        ClockMode::System => (SharedClock::system(), None),
        ClockMode::Test => {
            tracing::warn!(
                "TEST CLOCK ENABLED: time can be moved by staff; never use this in production"
            );
            let tc = Arc::new(TestClock::default());
            (SharedClock::new(tc.clone()), Some(tc))
        }
    }
}

/// Where each destination's outbox rows go: the configured systems, else the log.
fn relays(settings: &Settings) -> Relays {
    let mut relays = Relays::log_only();
    if let Some(url) = &settings.rabbitmq_url {
        relays.events = Box::new(AmqpRelay::new(
            url.expose(),
            &settings.rabbitmq_exchange,
            &format!("kinobill-{}", std::process::id()),
        ));
    }
    if let Some(url) = &settings.notify_url {
        relays.notify = Box::new(NotifyHttp::new(url.expose()));
    }
    if let Some(url) = &settings.auth_service_url {
        relays.auth = Box::new(AuthHttp::new(url.expose()));
    }
    relays
}

/// Everything a request or a job needs, wired from the settings.
fn app_state(
    settings: &Settings,
    db: DatabaseConnection,
    (clock, test_clock): (SharedClock, Option<Arc<TestClock>>),
    public_url: String,
    site_addr: std::net::SocketAddr,
) -> anyhow::Result<AppState> {
    let new_sandbox = || {
        let sandbox = Sandbox::new(
            db.clone(),
            clock.clone(),
            settings.sandbox_webhook_secret.expose(),
            &public_url,
            &format!("{public_url}/api/v1/webhooks/sandbox"),
        );
        let sandbox = Arc::new(match &settings.cloudpayments {
            Some(cp) => sandbox.with_cloudpayments(CloudPaymentsSite {
                public_id: cp.public_id.clone(),
                api_secret: cp.api_secret.expose().to_string(),
                // The site notifies this server when this server takes its payments.
                notify_url: (settings.provider == ProviderKind::CloudPayments)
                    .then(|| format!("{public_url}/api/v1/webhooks/cloudpayments")),
            }),
            None => sandbox,
        });
        if settings.sandbox_chaos > 0 {
            tracing::warn!(
                per_mille = settings.sandbox_chaos,
                "SANDBOX CHAOS: provider calls fail or time out at random"
            );
            sandbox.set_faults(app::ssr::providers::sandbox::Faults {
                chaos_per_mille: settings.sandbox_chaos,
                ..Default::default()
            });
        }
        sandbox
    };
    let (provider, sandbox): (SharedProvider, Option<Arc<Sandbox>>) = match settings.provider {
        ProviderKind::Sandbox => {
            let sandbox = new_sandbox();
            (sandbox.clone(), Some(sandbox))
        }
        ProviderKind::YooKassa => {
            let yk = settings
                .yookassa
                .as_ref()
                .context("YooKassa is the provider but its settings are missing")?;
            // An API URL that is a path is this server's own YooKassa personality: the
            // sandbox runs behind it, and its notifications come from this machine.
            let own = yk.api_url.starts_with('/');
            let (api_url, mut allow) = if own {
                (
                    format!("{public_url}{}", yk.api_url),
                    yk.webhook_allow.clone(),
                )
            } else {
                (yk.api_url.clone(), yk.webhook_allow.clone())
            };
            if own {
                allow.extend(["127.0.0.1/32", "::1"].map(|c| {
                    c.parse::<app::ssr::providers::net::Cidr>()
                        .expect("loopback")
                }));
            }
            let config = YooKassaConfig {
                api_url,
                allow,
                trusted_proxies: yk.trusted_proxies.clone(),
                timeout: yk
                    .timeout
                    .to_std()
                    .unwrap_or(std::time::Duration::from_secs(10)),
                ..YooKassaConfig::new(&yk.shop_id, yk.secret_key.expose())
            };
            let provider = YooKassa::new(config).map_err(anyhow::Error::msg)?;
            (Arc::new(provider), own.then(new_sandbox))
        }
        ProviderKind::CloudPayments => {
            let cp = settings
                .cloudpayments
                .as_ref()
                .context("CloudPayments is the provider but its settings are missing")?;
            // A path (`/sandbox/cloudpayments`) is this server's own CloudPayments
            // personality: the sandbox runs behind it.
            let own = cp.api_url.starts_with('/');
            let config = CloudPaymentsConfig {
                api_url: if own {
                    format!("{public_url}{}", cp.api_url)
                } else {
                    cp.api_url.clone()
                },
                timeout: cp
                    .timeout
                    .to_std()
                    .unwrap_or(std::time::Duration::from_secs(10)),
                ..CloudPaymentsConfig::new(&cp.public_id, cp.api_secret.expose())
            };
            let provider = CloudPayments::new(config).map_err(anyhow::Error::msg)?;
            (Arc::new(provider), own.then(new_sandbox))
        }
    };
    let leptos_options = LeptosOptions::builder()
        .output_name(LEPTOS_OUTPUT_NAME)
        .site_root(settings.server.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(site_addr)
        .build();
    Ok(AppState {
        leptos_options,
        db,
        clock,
        customer_tokens: CustomerTokens::new(settings.jwt_secret.expose()),
        demo_sign_in: settings.demo_sign_in(),
        auth_sign_in_url: settings.auth_sign_in_url.as_deref().map(Into::into),
        pricing_cache: Arc::new(PricingCache::new(
            settings.quote_cache_ttl.to_std().unwrap_or_default(),
        )),
        provider,
        sandbox,
        billing: BillingSettings {
            public_url,
            refund_window: settings.refund_window,
            remind_before: settings.lifecycle.remind_before,
            renew_before: settings.lifecycle.renew_before,
            renewal_retry: settings.lifecycle.renewal_retry,
        },
        service_token: settings
            .service_token
            .as_ref()
            .map(|t| Arc::from(t.expose())),
        relays: Arc::new(relays(settings)),
        outbox_policy: OutboxPolicy {
            max_attempts: settings.outbox.max_attempts,
            retry_base: settings.outbox.retry_base,
            archive_after: settings.outbox.archive_after,
        },
        test_clock,
        worker_wake: Arc::new(tokio::sync::Notify::new()),
        roles: settings
            .auth_service_url
            .as_ref()
            .map(|url| Arc::new(RoleCatalog::new(url.expose()))),
    })
}

/// `server worker`: the job loop alone, without HTTP, until `shutdown` resolves. Any
/// number may run beside any number of `serve` instances (every job step is idempotent).
pub async fn run_worker(
    settings: &Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let db = db::connect(&settings.database).await?;
    Migrator::up(&db, None)
        .await
        .context("running migrations")?;
    let state = app_state(
        settings,
        db,
        clock(settings),
        settings.server.public_url.clone(),
        settings.server.addr,
    )?;
    services::test_clock::sync(&state).await?;
    tracing::info!("worker started");
    tokio::select! {
        () = worker::run(state, settings.worker.clone()) => {},
        () = shutdown => {},
    }
    tracing::info!("worker stopped");
    Ok(())
}

impl Application {
    /// Connects, migrates, seeds demo data into an empty database when configured, and
    /// binds the listener (port 0 picks a free port: tests read it back with [`port`]).
    ///
    /// [`port`]: Application::port
    pub async fn build(settings: &Settings) -> anyhow::Result<Application> {
        let db = db::connect(&settings.database).await?;
        Migrator::up(&db, None)
            .await
            .context("running migrations")?;
        let (clock, test_clock) = clock(settings);

        if settings.demo_seed && services::seed::is_empty(&db).await? {
            services::seed::seed_demo_data(&db, &clock)
                .await
                .context("seeding demo data")?;
        }

        let listener = TcpListener::bind(settings.server.addr)
            .await
            .with_context(|| format!("binding {}", settings.server.addr))?;
        let bound = listener.local_addr()?;
        // With port 0 (tests) the configured URL cannot know the port: use the bound one.
        let public_url = if settings.server.addr.port() == 0
            && settings.server.public_url == format!("http://{}", settings.server.addr)
        {
            format!("http://{bound}")
        } else {
            settings.server.public_url.clone()
        };
        let state = app_state(settings, db, (clock, test_clock.clone()), public_url, bound)?;
        services::test_clock::sync(&state).await?;
        // The sandbox's personalities serve the configured YooKassa shop and CloudPayments
        // site when the sandbox runs (as the provider, or behind an own-server API URL).
        let personalities = http::Personalities {
            yookassa: match (&state.sandbox, &settings.yookassa) {
                (Some(sandbox), Some(yk)) => Some(http::sandbox_yookassa::Personality {
                    sandbox: sandbox.clone(),
                    shop_id: yk.shop_id.clone(),
                    secret_key: yk.secret_key.expose().to_string(),
                }),
                _ => None,
            },
            cloudpayments: match (&state.sandbox, &settings.cloudpayments) {
                (Some(sandbox), Some(cp)) => Some(http::sandbox_cloudpayments::Personality {
                    sandbox: sandbox.clone(),
                    public_id: cp.public_id.clone(),
                    api_secret: cp.api_secret.expose().to_string(),
                }),
                _ => None,
            },
        };
        let metrics_listener = match settings.metrics.addr {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("binding the metrics address {addr}"))?,
            ),
            None => None,
        };
        let edge = http::Edge {
            metrics: if settings.metrics.enabled && settings.metrics.addr.is_none() {
                http::MetricsMode::OnMainAddress
            } else if settings.metrics.addr.is_some() {
                http::MetricsMode::OwnAddress
            } else {
                http::MetricsMode::Off
            },
            clients: http::client::ClientPolicy {
                trusted_proxies: Arc::new(settings.server.trusted_proxies.clone()),
                always_secure: settings.secure_cookies(),
            },
            rate_limiter: http::rate_limit::RateLimiter::new(
                settings.rate_limit.per_second,
                settings.rate_limit.burst,
            ),
        };
        let router = http::router(state.clone(), personalities, edge);
        Ok(Application {
            worker: settings.worker.enabled.then(|| settings.worker.clone()),
            listener,
            metrics_listener,
            router,
            state,
            test_clock,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The port of `/metrics`' own address, when it has one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
            .map(|a| a.port())
    }

    pub fn db(&self) -> DatabaseConnection {
        self.state.db.clone()
    }

    pub fn test_clock(&self) -> Option<Arc<TestClock>> {
        self.test_clock.clone()
    }

    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let webhooks = self.state.sandbox.clone().map(|sandbox| {
            tokio::spawn(async move {
                // The sandbox's own delivery loop: due webhooks, retried with backoff.
                let mut tick = tokio::time::interval(std::time::Duration::from_millis(250));
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    if let Err(e) = sandbox.deliver_due(50).await {
                        tracing::warn!(error = %e, "sandbox webhook delivery");
                    }
                }
            })
        });
        let worker = self
            .worker
            .clone()
            .map(|w| tokio::spawn(worker::run(self.state.clone(), w)));
        // Another instance may move the shared test clock: follow it (the worker does
        // this on every pass; an instance without one would stay in the past).
        let clock_follower = self.state.test_clock.as_ref().map(|_| {
            let state = self.state.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
                loop {
                    tick.tick().await;
                    if let Err(e) = services::test_clock::sync(&state).await {
                        tracing::warn!(error = %e, "following the test clock");
                    }
                }
            })
        });
        let metrics = self.metrics_listener.map(|listener| {
            let router = axum::Router::new()
                .route("/metrics", axum::routing::get(http::metrics::render))
                .with_state(self.state.clone());
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, router).await {
                    tracing::error!(error = %e, "the metrics listener stopped");
                }
            })
        });
        let served = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        for task in [webhooks, worker, metrics, clock_follower]
            .into_iter()
            .flatten()
        {
            task.abort();
        }
        served
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
