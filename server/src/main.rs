//! `server`: the one Kinobill binary.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use app::domain::StaffRole;
use app::ssr::clock::SharedClock;
use app::ssr::repo::audit::Actor;
use app::ssr::services;
use clap::{Parser, Subcommand};
use migration::{Migrator, MigratorTrait};
use server::config::Settings;
use server::{Application, db, shutdown_signal, telemetry};

#[derive(Parser)]
#[command(
    name = "server",
    version,
    about = "Kinobill — subscription billing for an online cinema"
)]
struct Cli {
    /// Configuration file (default: ./kinobill.toml when it exists). Environment
    /// variables (`DATABASE_URL`, `KINOBILL__SECTION__KEY`) override it.
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web pages, the API and the background worker (the default).
    Serve,
    /// Apply pending database migrations (or roll back with --down).
    Migrate {
        /// Roll back this many migrations instead of applying.
        #[arg(long, value_name = "N")]
        down: Option<u32>,
    },
    /// Run only the background worker (reconciliation), no HTTP; stops on SIGTERM.
    Worker,
    /// Insert the demo data (idempotent: existing rows are kept).
    Seed,
    /// Check the money invariants on the database; exits 1 and lists any violation.
    Audit,
    /// Manage staff accounts.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Create a staff account; the password is read from standard input.
    Create {
        #[arg(long)]
        email: String,
        /// admin, marketing or support.
        #[arg(long)]
        role: String,
        /// Display name (default: the e-mail's local part).
        #[arg(long, default_value = "")]
        name: String,
    },
    /// Mint a staff API token and print it once (only its hash is stored).
    Token {
        #[arg(long)]
        email: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            // Logging is not set up yet, and this must reach a person: stderr, plainly.
            eprintln!("kinobill: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(settings.log_format, &settings.log_level);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kinobill: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command.unwrap_or(Command::Serve), settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "command failed");
            eprintln!("kinobill: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve => {
            let app = Application::build(&settings).await?;
            tracing::info!(url = %settings.server.public_url, port = app.port(), "Kinobill is listening");
            app.run_until_stopped(shutdown_signal()).await?;
            tracing::info!("stopped");
            Ok(())
        }
        Command::Worker => server::run_worker(&settings, shutdown_signal()).await,
        Command::Migrate { down } => {
            let db = db::connect(&settings.database).await?;
            match down {
                Some(n) => Migrator::down(&db, Some(n))
                    .await
                    .context("rolling back migrations")?,
                None => Migrator::up(&db, None)
                    .await
                    .context("applying migrations")?,
            }
            tracing::info!("migrations done");
            Ok(())
        }
        Command::Seed => {
            let db = db::connect(&settings.database).await?;
            Migrator::up(&db, None)
                .await
                .context("applying migrations")?;
            let report = services::seed::seed_demo_data(&db, &SharedClock::system()).await?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "seeded: {report:?}")?;
            for (email, _, role, password) in services::seed::DEMO_STAFF {
                writeln!(out, "demo staff: {email} / {password} ({role})")?;
            }
            Ok(())
        }
        Command::Staff { command } => staff(command, settings).await,
        Command::Audit => {
            let db = db::connect(&settings.database).await?;
            let report = services::integrity::audit(&db, chrono::Utc::now()).await?;
            let mut out = std::io::stdout().lock();
            for v in &report.violations {
                writeln!(out, "{}\t{} {}\t{}", v.rule, v.entity, v.id, v.detail)?;
            }
            if report.ok {
                writeln!(out, "audit ok: no violations")?;
                Ok(())
            } else {
                anyhow::bail!("audit found {} violation(s)", report.violations.len())
            }
        }
    }
}

async fn staff(command: StaffCommand, settings: Settings) -> anyhow::Result<()> {
    let db = db::connect(&settings.database).await?;
    Migrator::up(&db, None)
        .await
        .context("applying migrations")?;
    let clock = SharedClock::system();
    let actor = Actor::system("cli");
    let mut out = std::io::stdout().lock();
    match command {
        StaffCommand::Create { email, role, name } => {
            let role: StaffRole = role
                .parse()
                .map_err(|e: app::domain::DomainError| anyhow::anyhow!("{}", e.message()))?;
            if std::io::stdin().is_terminal() {
                eprint!("Password for {email}: ");
            }
            let mut password = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut password)
                .context("reading the password from stdin")?;
            let password = password.trim_end_matches(['\r', '\n']);
            let staff = services::staff::create(&db, &clock, &actor, &email, &name, role, password)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.public_message()))?;
            writeln!(out, "created {} ({})", staff.email, staff.role)?;
        }
        StaffCommand::Token { email } => {
            let token = services::staff::mint_token(&db, &clock, &actor, &email)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.public_message()))?;
            writeln!(out, "{token}")?;
        }
    }
    Ok(())
}
