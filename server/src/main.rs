//! `server`: the one Kinobill binary.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use app::domain::StaffRole;
use app::ssr::clock::SharedClock;
use app::ssr::repo::audit::Actor;
use app::ssr::services;
use app::ssr::services::staff_admin;
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
    /// Invite a member without a password: prints a one-time setup link (72 hours).
    Invite {
        #[arg(long)]
        email: String,
        /// admin, marketing or support.
        #[arg(long)]
        role: String,
        #[arg(long, default_value = "")]
        name: String,
    },
    /// List staff accounts (tab-separated: e-mail, role, status, name, id).
    List,
    /// Change a member's role.
    SetRole {
        #[arg(long)]
        email: String,
        #[arg(long)]
        role: String,
    },
    /// Deactivate a member: sessions and API tokens stop at once.
    Deactivate {
        #[arg(long)]
        email: String,
    },
    /// Reactivate a deactivated member (their old tokens stay revoked).
    Activate {
        #[arg(long)]
        email: String,
    },
    /// Set a member's password (read from standard input), e.g. after they forgot it.
    Password {
        #[arg(long)]
        email: String,
    },
    /// Lift a sign-in lock left by too many failed attempts.
    Unlock {
        #[arg(long)]
        email: String,
    },
    /// Mint a staff API token and print it once (only its hash is stored).
    Token {
        #[arg(long)]
        email: String,
    },
    /// List a member's API tokens (tab-separated: id, created, last used, revoked).
    Tokens {
        #[arg(long)]
        email: String,
    },
    /// Revoke one API token of a member.
    RevokeToken {
        #[arg(long)]
        email: String,
        #[arg(long, value_name = "TOKEN_ID")]
        id: uuid::Uuid,
    },
}

fn read_password(email: &str) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        eprint!("Password for {email}: ");
    }
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("reading the password from stdin")?;
    Ok(password.trim_end_matches(['\r', '\n']).to_string())
}

async fn set_active(
    db: &sea_orm::DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    email: &str,
    active: bool,
) -> anyhow::Result<app::dto::StaffMemberDto> {
    let id = staff_id(db, email).await?;
    let patch = staff_admin::MemberPatch {
        active: Some(active),
        ..Default::default()
    };
    staff_admin::update(db, clock, actor, id, patch)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.public_message()))
}

/// The id of the member with this e-mail, or an error naming it.
async fn staff_id(db: &sea_orm::DatabaseConnection, email: &str) -> anyhow::Result<uuid::Uuid> {
    let wanted = email.trim().to_lowercase();
    app::ssr::repo::staff::find_by_email(db, &wanted)
        .await?
        .map(|s| s.id)
        .ok_or_else(|| anyhow::anyhow!("no staff member with e-mail {email}"))
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
    let fail = |e: app::ssr::ServiceError| anyhow::anyhow!("{}", e.public_message());
    match command {
        StaffCommand::Create { email, role, name } => {
            let role: StaffRole = role
                .parse()
                .map_err(|e: app::domain::DomainError| anyhow::anyhow!("{}", e.message()))?;
            let password = read_password(&email)?;
            let staff =
                services::staff::create(&db, &clock, &actor, &email, &name, role, &password)
                    .await
                    .map_err(fail)?;
            writeln!(out, "created {} ({})", staff.email, staff.role)?;
        }
        StaffCommand::Invite { email, role, name } => {
            let invite = staff_admin::invite(
                &db,
                &clock,
                &actor,
                &settings.server.public_url,
                staff_admin::NewMember {
                    email: &email,
                    name: &name,
                    role: &role,
                    password: None,
                },
            )
            .await
            .map_err(fail)?;
            writeln!(
                out,
                "invited {} ({}); setup link, valid until {}:\n{}",
                invite.staff.email,
                invite.staff.role,
                invite.setup_expires_at.unwrap_or_default(),
                invite.setup_url.unwrap_or_default()
            )?;
        }
        StaffCommand::List => {
            for m in staff_admin::list(&db, &clock, "").await.map_err(fail)? {
                let status = match (m.active, &m.locked_until, m.setup_pending) {
                    (false, ..) => "deactivated".to_string(),
                    (true, Some(until), _) => format!("locked until {until}"),
                    (true, None, true) => "invited".to_string(),
                    (true, None, false) => "active".to_string(),
                };
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}",
                    m.email, m.role, status, m.name, m.id
                )?;
            }
        }
        StaffCommand::SetRole { email, role } => {
            let id = staff_id(&db, &email).await?;
            let patch = staff_admin::MemberPatch {
                role: Some(role),
                ..Default::default()
            };
            let m = staff_admin::update(&db, &clock, &actor, id, patch)
                .await
                .map_err(fail)?;
            writeln!(out, "{} is now {}", m.email, m.role)?;
        }
        StaffCommand::Deactivate { email } => {
            let m = set_active(&db, &clock, &actor, &email, false).await?;
            writeln!(out, "{} is deactivated", m.email)?;
        }
        StaffCommand::Activate { email } => {
            let m = set_active(&db, &clock, &actor, &email, true).await?;
            writeln!(out, "{} is active", m.email)?;
        }
        StaffCommand::Password { email } => {
            let password = read_password(&email)?;
            let m = staff_admin::set_password(&db, &clock, &actor, &email, &password)
                .await
                .map_err(fail)?;
            writeln!(out, "password of {} set", m.email)?;
        }
        StaffCommand::Unlock { email } => {
            let id = staff_id(&db, &email).await?;
            let m = staff_admin::unlock(&db, &clock, &actor, id)
                .await
                .map_err(fail)?;
            writeln!(out, "{} can sign in again", m.email)?;
        }
        StaffCommand::Tokens { email } => {
            let id = staff_id(&db, &email).await?;
            for t in staff_admin::tokens(&db, id).await.map_err(fail)? {
                let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".to_string());
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    t.id,
                    t.created_at,
                    or_dash(t.last_used_at),
                    or_dash(t.revoked_at)
                )?;
            }
        }
        StaffCommand::RevokeToken {
            email,
            id: token_id,
        } => {
            let id = staff_id(&db, &email).await?;
            let t = staff_admin::revoke_token(&db, &clock, &actor, id, token_id)
                .await
                .map_err(fail)?;
            writeln!(out, "token {} revoked", t.id)?;
        }
        StaffCommand::Token { email } => {
            let token = services::staff::mint_token(&db, &clock, &actor, &email)
                .await
                .map_err(fail)?;
            writeln!(out, "{token}")?;
        }
    }
    Ok(())
}
