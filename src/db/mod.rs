//! Storage: one Diesel code path over SQLite (the embedded default) and PostgreSQL.
//!
//! Rules owned here:
//! - the engine is chosen by the `DATABASE_URL` scheme ([`DatabaseUrl`]); connection failures
//!   name the engine and the real cause;
//! - every blocking database call runs on actix's blocking pool through [`Db::read`] or
//!   [`Db::write`];
//! - every change runs in one transaction handed out as a [`Tx`]: services that mutate take a
//!   `Tx`, so a multi-row change cannot happen outside a transaction. On SQLite the transaction
//!   starts with `BEGIN IMMEDIATE` and writers queue on one in-process lock, so concurrent
//!   writers wait their turn instead of failing with "database is locked";
//! - migrations are embedded and run at start-up ([`migrations`]);
//! - lookups by a unique key use `get_result`, not `first`: `first` binds `LIMIT ?`, and SQLite
//!   then re-prepares the cached statement on every call (its LIMIT optimisation reads the
//!   bound value), which made a keyed read cost several times its query.

pub mod bulk;
mod connection;
pub mod migrations;
pub mod schema;
pub mod sequences;
pub mod sql;
mod url;

pub use connection::{prepare_postgres_client, ConnectionManager, DbConnection, MultiBackend};
pub use url::{DatabaseUrl, Engine};

use crate::error::{AppError, AppResult};
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::Connection;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};

/// Why the database could not be set up. Each message names the engine and the real cause.
#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    /// The URL names no engine Procura knows.
    #[error("DATABASE_URL `{0}` has an unknown scheme: use sqlite://PATH (for example sqlite://data/procura.db) or postgres://USER:PASSWORD@HOST:PORT/DB")]
    UnknownScheme(String),
    /// The URL is malformed.
    #[error("DATABASE_URL is not valid: {0}")]
    InvalidUrl(String),
    /// The first connection failed.
    #[error("{engine}: cannot connect to {target}: {cause}")]
    Connect {
        /// The engine.
        engine: Engine,
        /// Where, with any password hidden.
        target: String,
        /// The driver's own message.
        cause: String,
    },
    /// Migrations failed.
    #[error("{engine}: migrations failed: {cause}")]
    Migrate {
        /// The engine.
        engine: Engine,
        /// What failed.
        cause: String,
    },
    /// The connection pool could not be built.
    #[error("{engine}: connection pool: {cause}")]
    Pool {
        /// The engine.
        engine: Engine,
        /// What failed.
        cause: String,
    },
}

/// The database: a connection pool plus what it takes to write safely on each engine.
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<ConnectionManager>,
    url: Arc<DatabaseUrl>,
    /// SQLite has one writer at a time; writers in this process queue here rather than spin on
    /// the busy timeout. Unused on PostgreSQL.
    sqlite_writer: Arc<Mutex<()>>,
}

impl Db {
    /// Connects (the first connection is made directly so a failure reports its real cause)
    /// and builds a pool of up to `pool_size` connections.
    pub fn connect(url: DatabaseUrl, pool_size: u32) -> Result<Self, DbSetupError> {
        let manager = ConnectionManager::new(url.clone());
        let first = manager.establish()?;
        drop(first);
        let pool = r2d2::Pool::builder()
            .max_size(pool_size.max(1))
            .min_idle(Some(1))
            .connection_timeout(std::time::Duration::from_secs(10))
            // No `SELECT 1` before every checkout (a round trip per request on PostgreSQL): a
            // dead connection fails its query (503, retryable) and the pool then drops it.
            .test_on_check_out(false)
            .build(manager)
            .map_err(|e| DbSetupError::Pool {
                engine: url.engine,
                cause: e.to_string(),
            })?;
        Ok(Self {
            pool,
            url: Arc::new(url),
            sqlite_writer: Arc::new(Mutex::new(())),
        })
    }

    /// The engine behind this pool.
    pub fn engine(&self) -> Engine {
        self.url.engine
    }

    /// Runs the embedded migrations that have not run yet; returns their versions.
    pub fn migrate(&self) -> Result<Vec<String>, DbSetupError> {
        let mut conn = self.pool.get().map_err(|e| DbSetupError::Connect {
            engine: self.engine(),
            target: self.url.redacted(),
            cause: e.to_string(),
        })?;
        let ran = migrations::run_pending(&mut conn)?;
        if ran.iter().any(|v| v == migrations::ACCRUALS_STORED) {
            use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
            // The accrual column is computed by the ledger's rounding rule, which SQL cannot
            // apply to decimal-text quantities: fill it for lines received before it existed.
            conn.transaction(|tx| {
                let lines: Vec<i64> = schema::purchase_order_lines::table
                    .filter(
                        schema::purchase_order_lines::quantity_received
                            .ne(schema::purchase_order_lines::quantity_invoiced),
                    )
                    .select(schema::purchase_order_lines::id)
                    .load(tx)?;
                for chunk in lines.chunks(500) {
                    crate::purchase_orders::repo::refresh_accruals(tx, chunk)?;
                }
                Ok::<_, crate::error::AppError>(())
            })
            .map_err(|e| DbSetupError::Migrate {
                engine: self.engine(),
                cause: format!("filling PO line accruals: {e}"),
            })?;
        }
        Ok(ran)
    }

    /// Runs a read on the blocking pool with a pooled connection.
    pub async fn read<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get()?;
            work(&mut conn)
        })
        .await
        .map_err(AppError::internal)?
    }

    /// Runs a keyed read of a row or two (by id, by token). On SQLite, when a pooled connection is
    /// free at once, it runs right here on the calling thread: under WAL such a read takes
    /// microseconds and never waits for a writer, and skipping the hop to the blocking pool is
    /// most of the cost of a small request. Otherwise, and always on PostgreSQL (a network
    /// round trip), it runs on the blocking pool like [`Db::read`]. Never use it for reads whose
    /// size depends on the data (lists, reports, verification).
    pub async fn lookup<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        if self.engine() == Engine::Sqlite {
            if let Some(mut conn) = self.pool.try_get() {
                return work(&mut conn);
            }
        }
        self.read(work).await
    }

    /// Runs a change in one transaction on the blocking pool: committed when `work` returns
    /// `Ok`, rolled back on `Err` (and on a panic, which also discards the connection).
    pub async fn write<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut Tx<'_>) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        actix_web::web::block(move || db.write_blocking(work))
            .await
            .map_err(AppError::internal)?
    }

    /// [`Db::write`] for callers that are already on a blocking thread (the command line).
    pub fn write_blocking<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut Tx<'_>) -> AppResult<T>,
    {
        let mut conn = self.pool.get()?;
        let _turn = match self.engine() {
            // A poisoned lock only means another writer panicked; its transaction was rolled
            // back with its connection, so the turn is still ours to take.
            Engine::Sqlite => Some(self.sqlite_writer.lock().unwrap_or_else(|p| p.into_inner())),
            Engine::Postgres => None,
        };
        in_transaction(&mut conn, Turn::Take, work)
    }

    /// [`Db::write_blocking`] for bookkeeping rows no business rule reads and no audit row
    /// records (the alert outbox's claims and delivery outcomes): on PostgreSQL it does not wait
    /// for the writers' turn, so a long write (a large import) cannot hold back the record that
    /// a mail went out; the longer that record waits, the wider the window in which a crash
    /// makes the mail go out again. SQLite still has one writer at a time.
    pub fn bookkeeping_blocking<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut Tx<'_>) -> AppResult<T>,
    {
        let mut conn = self.pool.get()?;
        let _turn = match self.engine() {
            Engine::Sqlite => Some(self.sqlite_writer.lock().unwrap_or_else(|p| p.into_inner())),
            Engine::Postgres => None,
        };
        in_transaction(&mut conn, Turn::Skip, work)
    }

    /// Runs a change in one transaction from a blocking thread, and lets the work decide at the
    /// end whether to keep it: [`Decision::Keep`] commits, [`Decision::Discard`] rolls back
    /// and still returns the value (a dry run, or an import with bad rows, reports what it
    /// found and leaves nothing behind). An `Err` rolls back as in [`Db::write`].
    pub fn write_or_discard_blocking<T, F>(&self, work: F) -> AppResult<Decision<T>>
    where
        F: FnOnce(&mut Tx<'_>) -> AppResult<Decision<T>>,
    {
        let mut conn = self.pool.get()?;
        let _turn = match self.engine() {
            Engine::Sqlite => Some(self.sqlite_writer.lock().unwrap_or_else(|p| p.into_inner())),
            Engine::Postgres => None,
        };
        in_transaction_deciding(&mut conn, Turn::Take, work)
    }

    /// Runs a read from a blocking thread (the command line).
    pub fn read_blocking<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> AppResult<T>,
    {
        let mut conn = self.pool.get()?;
        work(&mut conn)
    }
}

/// What a [`Db::write_or_discard_blocking`] work decided.
#[derive(Debug)]
pub enum Decision<T> {
    /// Commit the transaction.
    Keep(T),
    /// Roll the transaction back.
    Discard(T),
}

/// A connection inside an open transaction. Only [`Db::write`] makes one.
pub struct Tx<'c> {
    conn: &'c mut DbConnection,
    chain: Option<ChainHead>,
}

/// The audit chain's head as this transaction has advanced it. The head row is locked and read
/// at the transaction's first audit row and written back once, just before commit: updating
/// one row thousands of times in one PostgreSQL transaction (a large import) leaves a chain
/// of versions every later update has to walk, which made such a transaction quadratic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    /// The last sequence number handed out.
    pub seq: i64,
    /// The hash of that row.
    pub hash: String,
}

fn write_chain_head(conn: &mut DbConnection, head: &ChainHead) -> AppResult<()> {
    use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
    diesel::update(schema::audit_head::table.filter(schema::audit_head::id.eq(1)))
        .set((
            schema::audit_head::last_seq.eq(head.seq),
            schema::audit_head::last_hash.eq(&head.hash),
        ))
        .execute(conn)?;
    Ok(())
}

impl Tx<'_> {
    /// Runs `work` in a savepoint: on `Err` only its own changes are undone and the
    /// transaction goes on (on PostgreSQL a failed statement would otherwise abort it whole).
    pub fn savepoint<T>(&mut self, work: impl FnOnce(&mut Tx<'_>) -> AppResult<T>) -> AppResult<T> {
        let mut chain = self.chain.clone();
        let outcome = self.conn.transaction(|conn| {
            let mut inner = Tx {
                conn,
                chain: chain.take(),
            };
            let outcome = work(&mut inner);
            chain = inner.chain.take();
            outcome
        });
        // A rolled-back savepoint takes its audit rows with it, and so its head.
        if outcome.is_ok() {
            self.chain = chain;
        }
        outcome
    }

    /// Runs `work` in a savepoint and lets it decide whether its changes stay:
    /// [`Decision::Discard`] (or an `Err`) undoes them and the transaction goes on.
    pub fn savepoint_deciding<T>(
        &mut self,
        work: impl FnOnce(&mut Tx<'_>) -> AppResult<Decision<T>>,
    ) -> AppResult<Decision<T>> {
        // Inside a transaction Diesel's transaction manager begins a savepoint, and commits
        // and rolls back to it.
        MultiTransactionManager::begin_transaction(self.conn)?;
        let mut inner = Tx {
            conn: self.conn,
            chain: self.chain.clone(),
        };
        let outcome = work(&mut inner);
        let chain = inner.chain.take();
        match outcome {
            Ok(Decision::Keep(value)) => {
                MultiTransactionManager::commit_transaction(self.conn)?;
                self.chain = chain;
                Ok(Decision::Keep(value))
            }
            // A rolled-back savepoint takes its audit rows with it, and so its head.
            Ok(Decision::Discard(value)) => {
                MultiTransactionManager::rollback_transaction(self.conn)?;
                Ok(Decision::Discard(value))
            }
            Err(error) => {
                if let Err(rollback) = MultiTransactionManager::rollback_transaction(self.conn) {
                    tracing::error!("rollback to savepoint failed: {rollback}");
                }
                Err(error)
            }
        }
    }

    /// The audit chain's head as this transaction sees it, once an audit row was written.
    pub fn chain_head(&mut self) -> &mut Option<ChainHead> {
        &mut self.chain
    }
}

impl Deref for Tx<'_> {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        self.conn
    }
}

impl DerefMut for Tx<'_> {
    fn deref_mut(&mut self) -> &mut DbConnection {
        self.conn
    }
}

type MultiTransactionManager = <DbConnection as Connection>::TransactionManager;

/// PostgreSQL writers take their turn at the start of the transaction, as SQLite's do
/// (`BEGIN IMMEDIATE` behind the in-process lock): the row lock of the audit chain's head, held
/// to commit. Every writing transaction appends to the chain, so writers were serialised from
/// their first audit row anyway; taking the turn first means that what a transaction checked
/// before writing (a budget, a contract ceiling, a closeout) still holds when it commits, and
/// that two writers never wait for each other's locks in opposite orders (the deadlocks the
/// proof suite found between concurrent purchase-order approvals). Reads take no turn.
fn take_writer_turn(conn: &mut DbConnection) -> AppResult<()> {
    use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
    if let DbConnection::Postgresql(pg) = conn {
        schema::audit_head::table
            .filter(schema::audit_head::id.eq(1))
            .select(schema::audit_head::id)
            .for_update()
            .load::<i32>(pg)?;
    }
    Ok(())
}

/// Whether a writing transaction takes the writers' turn on PostgreSQL ([`take_writer_turn`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Turn {
    Take,
    Skip,
}

fn in_transaction<T, F>(conn: &mut DbConnection, turn: Turn, work: F) -> AppResult<T>
where
    F: FnOnce(&mut Tx<'_>) -> AppResult<T>,
{
    match in_transaction_deciding(conn, turn, |tx| work(tx).map(Decision::Keep))? {
        Decision::Keep(value) | Decision::Discard(value) => Ok(value),
    }
}

fn in_transaction_deciding<T, F>(
    conn: &mut DbConnection,
    turn: Turn,
    work: F,
) -> AppResult<Decision<T>>
where
    F: FnOnce(&mut Tx<'_>) -> AppResult<Decision<T>>,
{
    // Begin through the inner connection's own transaction manager, so Diesel tracks the
    // transaction (nested `transaction` calls become savepoints; a connection left inside a
    // transaction by a panic is reported broken and discarded by the pool).
    match conn {
        // IMMEDIATE takes the write lock up front: a deferred transaction that reads first
        // and writes later fails at once with SQLITE_BUSY instead of waiting.
        DbConnection::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")
        }
        DbConnection::Postgresql(inner) => AnsiTransactionManager::begin_transaction(inner),
    }?;
    if turn == Turn::Take {
        if let Err(error) = take_writer_turn(conn) {
            let _ = MultiTransactionManager::rollback_transaction(conn);
            return Err(error);
        }
    }
    let mut tx = Tx { conn, chain: None };
    let outcome = work(&mut tx);
    let chain = tx.chain.take();
    match outcome {
        Ok(Decision::Keep(value)) => {
            let flushed = match &chain {
                Some(head) => write_chain_head(conn, head),
                None => Ok(()),
            };
            if let Err(error) = flushed {
                let _ = MultiTransactionManager::rollback_transaction(conn);
                return Err(error);
            }
            if let Err(error) = MultiTransactionManager::commit_transaction(conn) {
                let _ = MultiTransactionManager::rollback_transaction(conn);
                return Err(error.into());
            }
            Ok(Decision::Keep(value))
        }
        Ok(Decision::Discard(value)) => {
            MultiTransactionManager::rollback_transaction(conn)?;
            Ok(Decision::Discard(value))
        }
        Err(error) => {
            // The work's error is what the caller needs; a failed rollback leaves Diesel's
            // transaction state broken, and the pool then discards the connection.
            if let Err(rollback) = MultiTransactionManager::rollback_transaction(conn) {
                tracing::error!("rollback failed: {rollback}");
            }
            Err(error)
        }
    }
}

/// Refreshes PostgreSQL's planner statistics of `tables` from inside a long write transaction.
///
/// A bulk load in one transaction (an import of 100,000 invoice lines) grows tables the
/// planner still believes small, and its per-document queries (the quantities other pending
/// invoices bill on a PO line) then scan instead of using their index, which made such an
/// import quadratic. `ANALYZE` inside the transaction counts the transaction's own new rows.
/// SQLite's planner uses the indexes without statistics: nothing to do there.
pub fn refresh_statistics(conn: &mut DbConnection, tables: &[&str]) -> AppResult<()> {
    use diesel::connection::SimpleConnection;
    if let DbConnection::Postgresql(pg) = conn {
        for table in tables {
            // The names come from the code, never from input.
            pg.batch_execute(&format!("ANALYZE {table}"))?;
        }
    }
    Ok(())
}

/// Runs a read of several statements in one read-only transaction, so that they all see one
/// snapshot of the data (a report's figures must not mix states: an invoice approved between
/// two of its queries would otherwise be counted in one figure and not the next). PostgreSQL:
/// REPEATABLE READ, READ ONLY; SQLite: a deferred transaction, whose snapshot under WAL is
/// taken by its first read and held to the end. Not for use inside a write transaction.
pub fn snapshot<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> AppResult<T>,
) -> AppResult<T> {
    use diesel::connection::SimpleConnection;
    conn.transaction(|tx| {
        if let DbConnection::Postgresql(pg) = tx {
            pg.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
        }
        work(tx)
    })
}
