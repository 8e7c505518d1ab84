use std::sync::Once;

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use server::Application;
use server::config::Settings;
use tokio::sync::oneshot;
use uuid::Uuid;

pub const TEST_JWT_SECRET: &str = "test-secret-that-is-long-enough-0123456789";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// `TEST_DATABASE=postgres` runs the suite on PostgreSQL; anything else on SQLite.
pub fn backend() -> Backend {
    match std::env::var("TEST_DATABASE")
        .unwrap_or_default()
        .to_ascii_lowercase()
        .as_str()
    {
        "postgres" | "postgresql" | "pg" => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

fn postgres_base_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

fn init_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var("TEST_LOG").is_ok() {
            server::telemetry::init(server::config::LogFormat::Pretty, "debug");
        }
    });
}

/// A database that exists for one test: a temp SQLite file, or a uniquely named
/// PostgreSQL database dropped when this value is dropped.
pub struct TestDb {
    pub url: String,
    pg_name: Option<String>,
    sqlite_file: Option<std::path::PathBuf>,
    _dir: Option<tempfile::TempDir>,
}

/// A new uniquely named PostgreSQL database (`CREATE DATABASE … {options}`).
async fn pg_database(options: &str) -> TestDb {
    let base = postgres_base_url();
    let name = format!("kinobill_test_{}", Uuid::new_v4().simple());
    let admin = Database::connect(&base)
        .await
        .expect("connect to TEST_POSTGRES_URL");
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\"{options}"))
        .await
        .expect("create test database");
    admin.close().await.ok();
    let url = match base.rsplit_once('/') {
        Some((prefix, _)) => format!("{prefix}/{name}"),
        None => panic!("TEST_POSTGRES_URL must end with /<database>"),
    };
    TestDb {
        url,
        pg_name: Some(name),
        sqlite_file: None,
        _dir: None,
    }
}

/// A directory for a test's SQLite file: in memory (`/dev/shm`) where there is one, so
/// the suite does not wait for the disk on every commit; the code under test is the same.
fn sqlite_dir() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(dir) = tempfile::tempdir_in(shm)
    {
        return dir;
    }
    tempfile::tempdir().expect("temp dir")
}

impl TestDb {
    pub async fn new() -> TestDb {
        match backend() {
            Backend::Sqlite => {
                let dir = sqlite_dir();
                let file = dir.path().join("kinobill.db");
                let url = format!("sqlite://{}?mode=rwc", file.display());
                TestDb {
                    url,
                    pg_name: None,
                    sqlite_file: Some(file),
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => pg_database("").await,
        }
    }

    /// A new database holding what `template` holds (migrated and seeded once, then
    /// copied: a file copy on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL).
    /// Nothing may be connected to `template` while it is copied.
    pub async fn copy_of(template: &TestDb) -> TestDb {
        match (&template.sqlite_file, &template.pg_name) {
            (Some(src), _) => {
                let dir = sqlite_dir();
                let file = dir.path().join("kinobill.db");
                std::fs::copy(src, &file).expect("copy the template database");
                let wal = src.with_extension("db-wal");
                if wal.exists() {
                    std::fs::copy(&wal, file.with_extension("db-wal")).expect("copy its WAL");
                }
                TestDb {
                    url: format!("sqlite://{}?mode=rwc", file.display()),
                    pg_name: None,
                    sqlite_file: Some(file),
                    _dir: Some(dir),
                }
            }
            (None, Some(tmpl)) => pg_database(&format!(" TEMPLATE \"{tmpl}\"")).await,
            (None, None) => unreachable!("a test database is a file or a PostgreSQL database"),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        // Drop runs outside async context; use a private runtime on a plain thread.
        let base = postgres_base_url();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                if let Ok(admin) = Database::connect(&base).await {
                    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    let _ = admin.execute_unprepared(&sql).await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

pub const TEST_SERVICE_TOKEN: &str = "test-service-token-0123456789";

pub fn test_settings_with(db_url: &str, seed: bool, extra: &[(&str, &str)]) -> Settings {
    let mut env = vec![
        (
            "KINOBILL__SERVICE_TOKEN".to_string(),
            TEST_SERVICE_TOKEN.to_string(),
        ),
        // Tests make requests as fast as they can from one address; the limit has a
        // test of its own.
        (
            "KINOBILL__RATE_LIMIT__PER_SECOND".to_string(),
            "0".to_string(),
        ),
        ("DATABASE_URL".to_string(), db_url.to_string()),
        (
            "KINOBILL__SERVER__ADDR".to_string(),
            "127.0.0.1:0".to_string(),
        ),
        (
            "KINOBILL__AUTH__JWT_SECRET".to_string(),
            TEST_JWT_SECRET.to_string(),
        ),
        ("KINOBILL__DEMO__SEED".to_string(), seed.to_string()),
        // Never followed: tests read the `state` out of the redirect to it.
        (
            "KINOBILL__AUTH__SIGN_IN_URL".to_string(),
            "http://auth.invalid/sign-in".to_string(),
        ),
        (
            "KINOBILL__DATABASE__MAX_CONNECTIONS".to_string(),
            "5".to_string(),
        ),
    ];
    if backend() == Backend::Postgres {
        // Each test database is throw-away: the test clock may run on it.
        env.push((
            "KINOBILL__CLOCK_ALLOW_POSTGRES".to_string(),
            "true".to_string(),
        ));
    }
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Settings::from_sources(None, "", env).expect("test settings")
}

pub struct TestApp {
    pub address: String,
    pub db: DatabaseConnection,
    /// The running app's state: its provider (the sandbox), clock and settings.
    pub state: app::ssr::AppState,
    pub test_clock: Option<std::sync::Arc<app::ssr::clock::TestClock>>,
    /// `/metrics`' own port, with `KINOBILL__METRICS__ADDR`.
    pub metrics_port: Option<u16>,
    /// Keeps cookies, never follows redirects (tests assert on them).
    pub client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    // Dropped last: the database outlives the server using it.
    pub test_db: TestDb,
}

/// The app with demo data (three tariffs, staff for each role, customers).
pub async fn spawn_app() -> TestApp {
    spawn_app_with(true).await
}

pub async fn spawn_app_with(seed: bool) -> TestApp {
    spawn_app_custom(seed, &[]).await
}

/// The app with demo data and the test clock enabled (`app.clock()` moves it).
pub async fn spawn_app_with_test_clock() -> TestApp {
    spawn_app_custom(true, &[("KINOBILL__CLOCK", "test")]).await
}

/// An app on the test clock with the background worker off: tests call the job steps
/// themselves, so nothing moves unless the test says so. `extra` adds settings.
pub async fn spawn_clocked(extra: &[(&str, &str)]) -> TestApp {
    let mut settings = vec![
        ("KINOBILL__CLOCK", "test"),
        ("KINOBILL__WORKER__ENABLED", "false"),
    ];
    settings.extend_from_slice(extra);
    spawn_app_custom(true, &settings).await
}

pub async fn spawn_app_custom(seed: bool, extra: &[(&str, &str)]) -> TestApp {
    spawn_on(TestDb::new().await, seed, extra).await
}

/// The app on `test_db` (which it owns and drops after the server).
pub async fn spawn_on(test_db: TestDb, seed: bool, extra: &[(&str, &str)]) -> TestApp {
    init_logs();
    let settings = test_settings_with(&test_db.url, seed, extra);
    let app = Application::build(&settings)
        .await
        .expect("build application");
    let address = format!("http://127.0.0.1:{}", app.port());
    let db = app.db();
    let state = app.state();
    let test_clock = app.test_clock();
    let metrics_port = app.metrics_port();
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let _ = app
            .run_until_stopped(async move {
                let _ = rx.await;
            })
            .await;
    });
    TestApp {
        address,
        db,
        state,
        test_clock,
        metrics_port,
        client: new_client(),
        shutdown: Some(tx),
        server: Some(server),
        test_db,
    }
}

pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// A sign-in as a browser without JavaScript sends it: a form post expecting HTML.
    pub async fn login_form(&self, email: &str, password: &str) -> reqwest::Response {
        self.client
            .post(self.url("/rpc/staff_login"))
            .header(ACCEPT, "text/html")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(reqwest::header::REFERER, self.url("/admin/login"))
            .body(format!(
                "email={}&password={}",
                urlencode(email),
                urlencode(password)
            ))
            .send()
            .await
            .expect("POST staff_login")
    }

    /// The same sign-in as the hydrated page's server-function client sends it.
    pub async fn login_js(&self, email: &str, password: &str) -> reqwest::Response {
        self.client
            .post(self.url("/rpc/staff_login"))
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!(
                "email={}&password={}",
                urlencode(email),
                urlencode(password)
            ))
            .send()
            .await
            .expect("POST staff_login")
    }

    pub async fn staff_token(&self, email: &str) -> String {
        use app::ssr::clock::SharedClock;
        use app::ssr::repo::audit::Actor;
        app::ssr::services::staff::mint_token(
            &self.db,
            &SharedClock::system(),
            &Actor::system("test"),
            email,
        )
        .await
        .expect("mint token")
    }

    /// A browser sign-in through the auth service: `/auth/sign-in` sets the state
    /// cookie and names the state in its redirect; the service posts the token and that
    /// state back to `/auth/callback`, whose answer is returned.
    pub async fn browser_sign_in(
        &self,
        client: &reqwest::Client,
        token: &str,
        next: &str,
    ) -> reqwest::Response {
        let start = client
            .get(self.url(&format!("/auth/sign-in?next={}", urlencode(next))))
            .send()
            .await
            .expect("GET /auth/sign-in");
        assert_eq!(start.status(), reqwest::StatusCode::SEE_OTHER);
        let location = start.headers()["location"].to_str().unwrap().to_string();
        let state = location
            .split(['?', '&'])
            .find_map(|p| p.strip_prefix("state="))
            .expect("a state in the redirect")
            .to_string();
        client
            .post(self.url("/auth/callback"))
            .form(&[("token", token), ("state", state.as_str()), ("next", next)])
            .send()
            .await
            .expect("POST /auth/callback")
    }

    /// A token as the auth service would issue it for `email`; valid for 90 days, so
    /// tests that move the test clock keep a usable token.
    pub fn customer_token(&self, id: Uuid, email: &str) -> String {
        customer_token_with(
            TEST_JWT_SECRET,
            id,
            Some(email),
            chrono::Utc::now() + chrono::TimeDelta::days(90),
        )
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.db.clone().close().await.ok();
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub const ADMIN: (&str, &str) = ("admin@kinobill.local", "kinobill-admin");
pub const MARKETING: (&str, &str) = ("marketing@kinobill.local", "kinobill-marketing");
pub const SUPPORT: (&str, &str) = ("support@kinobill.local", "kinobill-support");

/// Text with no-break spaces turned into plain ones, for readable assertions on money.
pub fn plain_spaces(s: &str) -> String {
    s.replace(['\u{a0}', '\u{202f}'], " ")
}

pub fn customer_token_with(
    secret: &str,
    id: Uuid,
    email: Option<&str>,
    expires_at: chrono::DateTime<chrono::Utc>,
) -> String {
    use app::ssr::customer_token::{CustomerClaims, CustomerTokens};
    CustomerTokens::new(secret).issue(&CustomerClaims {
        id,
        email: email.map(str::to_string),
        name: None,
        expires_at,
    })
}
