//! Configuration, read from the command line and the environment (see the README for the
//! full list). Nothing here touches the network or the disk.

/// Default `DATABASE_URL`: an embedded SQLite file created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/procura.db";
/// Default bind address.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// Default request-body limit: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// The running configuration of the server.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the database is (`sqlite://PATH` or `postgres://…`).
    pub database_url: String,
    /// Connections in the pool.
    pub pool_size: u32,
    /// Address and port to listen on.
    pub bind: String,
    /// HTTP worker threads (0 = one per CPU core).
    pub workers: usize,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Seconds to finish in-flight requests on shutdown.
    pub shutdown_timeout_secs: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: DEFAULT_DATABASE_URL.to_string(),
            pool_size: 8,
            bind: DEFAULT_BIND.to_string(),
            workers: 0,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            shutdown_timeout_secs: 30,
        }
    }
}
