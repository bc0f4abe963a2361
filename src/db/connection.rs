use super::{DatabaseUrl, DbSetupError, Engine};
use diesel::connection::SimpleConnection;
use diesel::r2d2::R2D2Connection;
use diesel::{Connection, PgConnection, SqliteConnection};

/// One connection to either engine; every query in Procura is written once against this.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// A PostgreSQL connection.
    Postgresql(PgConnection),
    /// A SQLite connection.
    Sqlite(SqliteConnection),
}

/// Per-connection SQLite settings: write-ahead logging (readers never block the writer),
/// enforced foreign keys, and a busy timeout so a writer from another process is waited for.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 15000; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;";

/// Initialises OpenSSL (used by libpq for TLS) without its exit-time cleanup. Call it before the
/// first PostgreSQL connection of a process. By default OpenSSL frees its state in an `atexit`
/// handler; when a pool thread is still inside libpq (a connection being opened in the
/// background) as the process exits, that handler frees memory the thread is using, and the
/// process dies with a segmentation fault after its work is done (seen on about one `procura
/// token create` in ten). The operating system reclaims the memory anyway.
pub fn prepare_postgres_client() {
    openssl_sys::init();
}

/// An r2d2 manager that picks the engine from the URL scheme and reports the driver's real
/// error (Diesel's own multi-engine `establish` tries each engine and hides the cause).
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl ConnectionManager {
    /// A manager for `url`.
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }

    /// Opens one connection, creating the SQLite file (and its folder) when missing.
    pub fn establish(&self) -> Result<DbConnection, DbSetupError> {
        let fail = |cause: String| DbSetupError::Connect {
            engine: self.url.engine,
            target: self.url.redacted(),
            cause,
        };
        match self.url.engine {
            Engine::Sqlite => {
                let path = std::path::Path::new(&self.url.target);
                if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(folder).map_err(|e| {
                        fail(format!("cannot create folder {}: {e}", folder.display()))
                    })?;
                }
                let mut conn = SqliteConnection::establish(&self.url.target)
                    .map_err(|e| fail(e.to_string()))?;
                conn.batch_execute(SQLITE_PRAGMAS)
                    .map_err(|e| fail(e.to_string()))?;
                tracing::debug!(path = %self.url.target, "opened a SQLite connection");
                Ok(DbConnection::Sqlite(conn))
            }
            Engine::Postgres => {
                prepare_postgres_client();
                PgConnection::establish(&self.url.target)
                .inspect(|_| tracing::debug!(url = %self.url.redacted(), "opened a PostgreSQL connection"))
                .map(DbConnection::Postgresql)
                .map_err(|e| fail(e.to_string().trim().to_string()))
            }
        }
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = DbSetupError;

    fn connect(&self) -> Result<DbConnection, DbSetupError> {
        self.establish()
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), DbSetupError> {
        conn.ping().map_err(|e| DbSetupError::Connect {
            engine: self.url.engine,
            target: self.url.redacted(),
            cause: e.to_string(),
        })
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}
