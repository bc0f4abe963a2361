//! Procura's API test suite: one binary, every test on SQLite and on PostgreSQL (but for
//! `outbox_instances`, which is about several server processes on one PostgreSQL database).
//!
//! PostgreSQL tests create a database per test through `PROCURA_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) and are skipped when it is unreachable,
//! unless `PROCURA_REQUIRE_POSTGRES=1`.

#[macro_use]
mod helpers;

mod alerts;
mod audit;
mod auth;
mod budgets;
mod cli;
mod closeout;
mod contracts;
mod dashboard;
mod errors;
mod forecast;
mod fx;
mod idempotency;
mod imports;
mod imports_hostile;
mod money_db;
mod outbox_instances;
mod p2p_fixtures;
mod po_revisions;
mod processes;
mod projects;
mod proof;
mod purchase_orders;
mod purchase_to_pay;
mod reports;
mod rfps;
mod schema;
mod vendors;
