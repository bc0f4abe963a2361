//! The test harness: a fresh database per test (SQLite file or PostgreSQL database), one token
//! per role, the real server on a free port, and small HTTP helpers.

use diesel::{Connection, PgConnection, RunQueryDsl};
use procura::app::Application;
use procura::auth::Role;
use procura::config::Settings;
use procura::db::{DatabaseUrl, Db, Engine};
use reqwest::header::{HeaderMap, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::collections::HashMap;

/// Where the PostgreSQL tests create their databases (a role allowed to `CREATE DATABASE`).
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Runs each named `async fn name(app: TestApp)` of the calling module once per engine, as
/// `sqlite::name` and `postgres::name`.
macro_rules! both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::helpers::TestApp::spawn(procura::db::Engine::Sqlite).await {
                        super::$name(app).await
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::helpers::TestApp::spawn(procura::db::Engine::Postgres).await {
                        super::$name(app).await
                    }
                }
            )*
        }
    };
}

/// Guards that drop a test database when the test ends.
enum Cleanup {
    /// The SQLite file lives in this folder, removed on drop.
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    /// The PostgreSQL database `name`, dropped through `admin_url` on drop.
    Postgres { admin_url: String, name: String },
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = self {
            if let Ok(mut conn) = PgConnection::establish(admin_url) {
                let _ =
                    diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                        .execute(&mut conn);
            }
        }
    }
}

/// A fresh, migrated database of one engine.
pub struct TestDb {
    /// The `DATABASE_URL` of this database.
    pub url: String,
    /// What a plain Diesel connection opens: the SQLite file path or the PostgreSQL URL.
    pub target: String,
    /// Procura's pool over it.
    pub db: Db,
    /// The migrations that ran when it was created.
    pub migrations_run: Vec<String>,
    // Declared last: dropped after the pool above.
    _cleanup: Cleanup,
}

impl TestDb {
    /// A fresh migrated database; `None` (with a note on stderr) when PostgreSQL is not
    /// reachable and `PROCURA_REQUIRE_POSTGRES` is not `1`.
    pub async fn create(engine: Engine) -> Option<TestDb> {
        tokio::task::spawn_blocking(move || Self::create_blocking(engine))
            .await
            .expect("database setup panicked")
    }

    fn create_blocking(engine: Engine) -> Option<TestDb> {
        let (url, cleanup) = match engine {
            Engine::Sqlite => {
                let dir = tempfile::TempDir::new().expect("temporary folder");
                let path = dir.path().join("test.db");
                let path = path.to_str().expect("temporary path is UTF-8").to_string();
                (format!("sqlite://{path}"), Cleanup::Sqlite(dir))
            }
            Engine::Postgres => {
                let admin_url = std::env::var("PROCURA_TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_string());
                procura::db::prepare_postgres_client();
                let mut admin = match PgConnection::establish(&admin_url) {
                    Ok(conn) => conn,
                    Err(error) => {
                        if std::env::var("PROCURA_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                            panic!("PostgreSQL at {admin_url} is required (PROCURA_REQUIRE_POSTGRES=1) but: {error}");
                        }
                        eprintln!(
                            "skipping PostgreSQL test: cannot connect to {admin_url}: {}",
                            error.to_string().trim()
                        );
                        return None;
                    }
                };
                let mut random = [0u8; 8];
                getrandom::fill(&mut random).expect("OS randomness");
                let name = format!("procura_test_{}", hex::encode(random));
                diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
                    .execute(&mut admin)
                    .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
                let mut parsed =
                    url::Url::parse(&admin_url).expect("PROCURA_TEST_POSTGRES_URL is a URL");
                parsed.set_path(&format!("/{name}"));
                (parsed.to_string(), Cleanup::Postgres { admin_url, name })
            }
        };
        let parsed = DatabaseUrl::parse(&url).unwrap_or_else(|e| panic!("{url}: {e}"));
        let target = parsed.target.clone();
        let db = Db::connect(parsed, 4).unwrap_or_else(|e| panic!("connect {url}: {e}"));
        let migrations_run = db
            .migrate()
            .unwrap_or_else(|e| panic!("migrate {url}: {e}"));
        Some(TestDb {
            url,
            target,
            db,
            migrations_run,
            _cleanup: cleanup,
        })
    }
}

/// A running Procura on a fresh database, with one live token per role.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// A client without default headers.
    pub client: reqwest::Client,
    /// The token of `test-<role>`, per role.
    pub tokens: HashMap<Role, String>,
    /// The application's database pool (for direct inspection and tampering).
    pub db: Db,
    /// The engine under test.
    pub engine: Engine,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _db: Option<TestDb>,
}

impl Drop for TestApp {
    /// Stops the server (dropping it stops its workers) before the database goes away.
    fn drop(&mut self) {
        if let Some(server) = &self.server {
            server.abort();
        }
    }
}

/// A `test-<role>` token of every role, created in `db`.
pub async fn issue_tokens(db: &Db) -> HashMap<Role, String> {
    let db = db.clone();
    tokio::task::spawn_blocking(move || {
        db.write_blocking(|tx| {
            let mut tokens = HashMap::new();
            for role in Role::ALL {
                let issued = procura::auth::service::create_token(
                    tx,
                    "test-harness",
                    &format!("test-{role}"),
                    role,
                )?;
                tokens.insert(role, issued.secret);
            }
            Ok(tokens)
        })
    })
    .await
    .expect("token setup panicked")
    .unwrap_or_else(|e| panic!("creating tokens: {e}"))
}

/// With `PROCURA_TEST_LOG` set (an `EnvFilter` such as `procura=warn`), the servers' logs go to
/// the test's output: how to see the cause behind a 500 a test met.
fn init_test_log() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    if let Ok(filter) = std::env::var("PROCURA_TEST_LOG") {
        ONCE.call_once(|| {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        });
    }
}

/// One HTTP answer, with the body parsed as JSON when it is JSON.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The JSON body; a string holding the text when the body is not JSON; null when empty.
    pub body: Value,
    pub text: String,
}

impl Resp {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The Content-Type, or "".
    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }

    /// The problem `code`, or "".
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    /// The `field` of every entry of `errors`.
    pub fn fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|all| {
                all.iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The message for `field` in `errors`.
    pub fn field_message(&self, field: &str) -> Option<String> {
        self.body["errors"].as_array().and_then(|all| {
            all.iter()
                .find(|e| e["field"] == field)
                .and_then(|e| e["message"].as_str().map(str::to_string))
        })
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Resp {
        assert_eq!(
            self.status.as_u16(),
            status,
            "expected HTTP {status}, got {}: {}",
            self.status,
            self.text
        );
        self
    }

    /// Asserts a problem document: status, `code`, content type and `status` field.
    #[track_caller]
    pub fn expect_problem(self, status: u16, code: &str) -> Resp {
        let this = self.expect(status);
        assert_eq!(this.code(), code, "problem code: {}", this.text);
        assert!(
            this.content_type().starts_with("application/problem+json"),
            "content type {:?} for {}",
            this.content_type(),
            this.text
        );
        assert_eq!(
            this.body["status"].as_u64(),
            Some(u64::from(status)),
            "{}",
            this.text
        );
        assert!(
            this.body["type"].is_string()
                && this.body["title"].is_string()
                && this.body["detail"].is_string(),
            "{}",
            this.text
        );
        this
    }

    /// Asserts a 422 `validation_failed` naming `field`.
    #[track_caller]
    pub fn expect_invalid(self, field: &str) -> Resp {
        let this = self.expect_problem(422, "validation_failed");
        assert!(
            this.fields().iter().any(|f| f == field),
            "expected field `{field}` in {}",
            this.text
        );
        this
    }
}

/// The numeric `id` of a resource.
#[track_caller]
pub fn id_of(resource: &Value) -> i64 {
    resource["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no numeric id in {resource}"))
}

/// A JSON field as a string (panics when it is not one).
#[track_caller]
pub fn s(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string, found {value}"))
}

impl TestApp {
    /// A server on a fresh database of `engine`; `None` when PostgreSQL is unavailable and
    /// not required.
    pub async fn spawn(engine: Engine) -> Option<TestApp> {
        Self::spawn_with(engine, |_| {}).await
    }

    /// Like [`TestApp::spawn`], with the server's settings adjusted first.
    pub async fn spawn_with(
        engine: Engine,
        configure: impl FnOnce(&mut Settings),
    ) -> Option<TestApp> {
        init_test_log();
        let test_db = TestDb::create(engine).await?;
        let db = test_db.db.clone();
        let tokens = issue_tokens(&db).await;
        let mut settings = Settings {
            bind: "127.0.0.1:0".into(),
            workers: 1,
            database_url: test_db.url.clone(),
            ..Settings::default()
        };
        configure(&mut settings);
        let app = Application::build(settings, db.clone()).expect("server builds");
        let base_url = format!("http://127.0.0.1:{}", app.port());
        let server = tokio::spawn(app.run_until_stopped());
        Some(TestApp {
            base_url,
            client: reqwest::Client::new(),
            tokens,
            db,
            engine,
            server: Some(server),
            _db: Some(test_db),
        })
    }

    /// A client of a server running elsewhere (a `procura serve` process) on `db`, with the
    /// `test-<role>` tokens of [`issue_tokens`].
    pub fn attach(
        base_url: String,
        tokens: HashMap<Role, String>,
        db: Db,
        engine: Engine,
    ) -> TestApp {
        TestApp {
            base_url,
            client: reqwest::Client::new(),
            tokens,
            db,
            engine,
            server: None,
            _db: None,
        }
    }

    /// The secret of the `test-<role>` token.
    pub fn token(&self, role: Role) -> &str {
        &self.tokens[&role]
    }

    /// The admin token.
    pub fn admin(&self) -> &str {
        self.token(Role::Admin)
    }

    /// The full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Sends any request. `token` `None` sends no Authorization header.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut request = self.client.request(method.clone(), self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some((content_type, bytes)) = body {
            request = request.header(CONTENT_TYPE, content_type).body(bytes);
        }
        Self::read_response(&method, path, request).await
    }

    /// POST a `multipart/form-data` body as `role` (the spreadsheet imports).
    pub async fn post_multipart(
        &self,
        path: &str,
        role: Role,
        form: reqwest::multipart::Form,
    ) -> Resp {
        let request = self
            .client
            .post(self.url(path))
            .bearer_auth(self.token(role))
            .multipart(form);
        Self::read_response(&Method::POST, path, request).await
    }

    /// Sends `request` and reads its answer into a [`Resp`].
    async fn read_response(method: &Method, path: &str, request: reqwest::RequestBuilder) -> Resp {
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: request failed: {e}"));
        let status = response.status();
        let headers = response.headers().clone();
        let text = response
            .text()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: reading the body: {e}"));
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()))
        };
        Resp {
            status,
            headers,
            body,
            text,
        }
    }

    fn json_bytes(body: &Value) -> Option<(&'static str, Vec<u8>)> {
        Some(("application/json", serde_json::to_vec(body).expect("JSON")))
    }

    /// GET as `role`.
    pub async fn get(&self, path: &str, role: Role) -> Resp {
        self.send(Method::GET, path, Some(self.token(role)), None, &[])
            .await
    }

    /// GET without a token.
    pub async fn get_anon(&self, path: &str) -> Resp {
        self.send(Method::GET, path, None, None, &[]).await
    }

    /// POST a JSON body as `role`.
    pub async fn post(&self, path: &str, role: Role, body: &Value) -> Resp {
        self.send(
            Method::POST,
            path,
            Some(self.token(role)),
            Self::json_bytes(body),
            &[],
        )
        .await
    }

    /// POST a JSON body as `role` with extra headers.
    pub async fn post_with_headers(
        &self,
        path: &str,
        role: Role,
        body: &Value,
        headers: &[(&str, &str)],
    ) -> Resp {
        self.send(
            Method::POST,
            path,
            Some(self.token(role)),
            Self::json_bytes(body),
            headers,
        )
        .await
    }

    /// POST raw bytes with a content type as `role`.
    pub async fn post_raw(
        &self,
        path: &str,
        role: Role,
        content_type: &str,
        bytes: impl Into<Vec<u8>>,
    ) -> Resp {
        self.send(
            Method::POST,
            path,
            Some(self.token(role)),
            Some((content_type, bytes.into())),
            &[],
        )
        .await
    }

    /// PATCH a JSON body as `role`.
    pub async fn patch(&self, path: &str, role: Role, body: &Value) -> Resp {
        self.send(
            Method::PATCH,
            path,
            Some(self.token(role)),
            Self::json_bytes(body),
            &[],
        )
        .await
    }

    /// PATCH a JSON body as `role` with extra headers.
    pub async fn patch_with_headers(
        &self,
        path: &str,
        role: Role,
        body: &Value,
        headers: &[(&str, &str)],
    ) -> Resp {
        self.send(
            Method::PATCH,
            path,
            Some(self.token(role)),
            Self::json_bytes(body),
            headers,
        )
        .await
    }

    /// Creates a resource as admin at `path`, asserting 201; returns its body.
    pub async fn create(&self, path: &str, body: Value) -> Value {
        let resp = self.post(path, Role::Admin, &body).await;
        assert_eq!(
            resp.status.as_u16(),
            201,
            "POST {path} {body}: {}",
            resp.text
        );
        resp.body
    }

    /// Creates a vendor as admin.
    pub async fn create_vendor(&self, body: Value) -> Value {
        self.create("/api/v1/vendors", body).await
    }

    /// Creates a project as admin.
    pub async fn create_project(&self, body: Value) -> Value {
        self.create("/api/v1/projects", body).await
    }

    /// Creates a budget line as admin.
    pub async fn create_budget_line(&self, body: Value) -> Value {
        self.create("/api/v1/budget-lines", body).await
    }

    /// Creates an FX rate as admin.
    pub async fn create_fx_rate(&self, body: Value) -> Value {
        self.create("/api/v1/fx-rates", body).await
    }

    /// Every item of a list, following `next_cursor` (asserting each page is a 200 page).
    pub async fn list_all(&self, path: &str, role: Role) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        let separator = if path.contains('?') { '&' } else { '?' };
        for _ in 0..1_000 {
            let url = match &cursor {
                Some(c) => format!("{path}{separator}cursor={c}"),
                None => path.to_string(),
            };
            let page = self.get(&url, role).await.expect(200);
            items.extend(page.body["items"].as_array().cloned().unwrap_or_default());
            match page.body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => return items,
            }
        }
        panic!("{path}: more than 1,000 pages");
    }

    /// Runs raw SQL in a write transaction through the application's own pool.
    pub async fn exec_sql(&self, sql: &str) -> usize {
        let db = self.db.clone();
        let sql = sql.to_string();
        tokio::task::spawn_blocking(move || {
            db.write_blocking(move |tx| Ok(diesel::sql_query(sql).execute(&mut **tx)?))
        })
        .await
        .expect("SQL task panicked")
        .unwrap_or_else(|e| panic!("SQL failed: {e}"))
    }
}

impl TestApp {
    /// Issues one more token named `name` with `role`, as `spawn` does; returns its secret.
    pub async fn create_token(&self, name: &str, role: Role) -> String {
        let db = self.db.clone();
        let name = name.to_string();
        tokio::task::spawn_blocking(move || {
            db.write_blocking(|tx| {
                procura::auth::service::create_token(tx, "test-harness", &name, role)
            })
        })
        .await
        .expect("token setup panicked")
        .unwrap_or_else(|e| panic!("creating a token: {e}"))
        .secret
    }

    /// POST a JSON body with the token `secret`.
    pub async fn post_with_token(&self, path: &str, secret: &str, body: &Value) -> Resp {
        self.send(
            Method::POST,
            path,
            Some(secret),
            Self::json_bytes(body),
            &[],
        )
        .await
    }

    /// PUT a JSON body as `role`.
    pub async fn put(&self, path: &str, role: Role, body: &Value) -> Resp {
        self.send(
            Method::PUT,
            path,
            Some(self.token(role)),
            Self::json_bytes(body),
            &[],
        )
        .await
    }
}

/// A real SMTP server for the tests: aiosmtpd (from PyPI) writing every message it receives into
/// a Maildir. Its Python comes from `PROCURA_TEST_SMTP_PYTHON` (default: the CI virtualenv's);
/// without it the email tests skip, unless `PROCURA_REQUIRE_SMTP=1`, which CI sets.
pub struct SmtpSink {
    child: std::process::Child,
    /// The port it listens on.
    pub port: u16,
    dir: tempfile::TempDir,
}

impl SmtpSink {
    fn python() -> String {
        std::env::var("PROCURA_TEST_SMTP_PYTHON").unwrap_or_else(|_| {
            format!(
                "{}/.cache/procura-ci-venv/bin/python",
                std::env::var("HOME").unwrap_or_default()
            )
        })
    }

    /// Starts a server on a free port; `None` when aiosmtpd is not available and not required.
    pub async fn start() -> Option<SmtpSink> {
        let python = Self::python();
        let available = std::process::Command::new(&python)
            .args(["-c", "import aiosmtpd"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if !available {
            assert!(
                std::env::var("PROCURA_REQUIRE_SMTP").as_deref() != Ok("1"),
                "PROCURA_REQUIRE_SMTP=1 but {python} cannot import aiosmtpd"
            );
            eprintln!("skipping the SMTP test: {python} cannot import aiosmtpd");
            return None;
        }
        let dir = tempfile::tempdir().expect("a Maildir folder");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = Self::spawn_server(&python, port, dir.path());
        Self::wait_for(port).await;
        Some(SmtpSink { child, port, dir })
    }

    fn spawn_server(python: &str, port: u16, dir: &std::path::Path) -> std::process::Child {
        std::process::Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.join("mail"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("aiosmtpd starts")
    }

    async fn wait_for(port: u16) {
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Stops the server (messages received so far stay readable).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts it again on the same port and Maildir.
    pub async fn restart(&mut self) {
        self.stop();
        self.child = Self::spawn_server(&Self::python(), self.port, self.dir.path());
        Self::wait_for(self.port).await;
    }

    /// Every message received, oldest first, as text.
    pub fn messages(&self) -> Vec<String> {
        let mut files: Vec<_> = ["new", "cur"]
            .iter()
            .filter_map(|sub| std::fs::read_dir(self.dir.path().join("mail").join(sub)).ok())
            .flatten()
            .filter_map(|entry| entry.ok())
            .map(|entry| entry.path())
            .collect();
        files.sort_by_key(|path| {
            std::fs::metadata(path)
                .and_then(|m| m.modified())
                .unwrap_or(std::time::SystemTime::UNIX_EPOCH)
        });
        files
            .iter()
            .filter_map(|path| std::fs::read_to_string(path).ok())
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

/// GETs a file as `role`, asserting 200; returns its content type and bytes.
pub async fn download(app: &TestApp, role: Role, path: &str) -> (String, Vec<u8>) {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(app.token(role))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    assert_eq!(response.status().as_u16(), 200, "GET {path}");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let bytes = response
        .bytes()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: reading the body: {e}"));
    (content_type, bytes.to_vec())
}

/// Opens a downloaded xlsx workbook.
pub fn open_xlsx(bytes: Vec<u8>) -> calamine::Xlsx<std::io::Cursor<Vec<u8>>> {
    calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("an xlsx workbook")
}
