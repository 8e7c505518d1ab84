//! The Kinobill server as a library: `Application::build` wires configuration, database,
//! migrations and HTTP; `main.rs` is only the CLI around it, and tests start it directly.

pub mod config;
pub mod db;
pub mod http;
pub mod telemetry;

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use app::ssr::clock::{SharedClock, TestClock};
use app::ssr::{AppState, services};
use leptos::config::LeptosOptions;
use migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::config::{ClockMode, Settings};

/// The Leptos project name (site files are `/pkg/kinobill.*`).
pub const LEPTOS_OUTPUT_NAME: &str = "kinobill";

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    state: AppState,
    test_clock: Option<Arc<TestClock>>,
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

        let (clock, test_clock) = match settings.clock {
            ClockMode::System => (SharedClock::system(), None),
            ClockMode::Test => {
                tracing::warn!(
                    "TEST CLOCK ENABLED: time can be moved by staff; never use this in production"
                );
                let tc = Arc::new(TestClock::default());
                (SharedClock::new(tc.clone()), Some(tc))
            }
        };

        if settings.demo_seed && services::seed::is_empty(&db).await? {
            services::seed::seed_demo_data(&db, &clock)
                .await
                .context("seeding demo data")?;
        }

        let listener = TcpListener::bind(settings.server.addr)
            .await
            .with_context(|| format!("binding {}", settings.server.addr))?;
        let leptos_options = LeptosOptions::builder()
            .output_name(LEPTOS_OUTPUT_NAME)
            .site_root(settings.server.site_root.as_str())
            .site_pkg_dir("pkg")
            .site_addr(listener.local_addr()?)
            .build();
        let state = AppState {
            leptos_options,
            db,
            clock,
        };
        let router = http::router(state.clone(), settings.secure_cookies());
        Ok(Application {
            listener,
            router,
            state,
            test_clock,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn db(&self) -> DatabaseConnection {
        self.state.db.clone()
    }

    pub fn test_clock(&self) -> Option<Arc<TestClock>> {
        self.test_clock.clone()
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
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
