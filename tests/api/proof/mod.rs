//! The proof suite: Procura under concurrent load, checked afterwards against invariants
//! recomputed from the documents. Every test prints a summary (operations done, faults
//! injected, invariants checked, violations found) and fails on any violation.
//!
//! CI runs the short version inside `cargo test` (a few seconds per engine). The long version:
//! `PROCURA_PROOF_SECONDS=120 PROCURA_PROOF_CLIENTS=64 cargo test --release --test api proof -- --nocapture`.

mod hostile;
mod invariants;
mod processes;
mod workload;

use crate::helpers::TestApp;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;

both_engines!(
    concurrent_clients_keep_the_books_exact,
    every_endpoint_keeps_the_permission_table,
    hostile_text_in_every_field_breaks_nothing,
    a_server_killed_mid_work_loses_nothing,
);

/// A knob from the environment, or its default.
pub fn knob(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What a run did and found.
#[derive(Debug, Default)]
pub struct Summary {
    /// Requests by operation and outcome (`approve 200`, `approve 409 budget_exceeded`).
    pub operations: Mutex<BTreeMap<String, u64>>,
    /// Faults injected (server kills), by kind.
    pub faults: Mutex<BTreeMap<String, u64>>,
    /// Invariants checked.
    pub checks: Mutex<u64>,
    /// What went wrong: any 5xx, a "database is locked", an invariant that does not hold.
    pub violations: Mutex<Vec<String>>,
    /// While set, a request without an answer was cut by an injected fault, not a violation.
    pub faulting: AtomicBool,
}

impl Summary {
    /// Counts one request of `operation` ending with `outcome`.
    pub fn count(&self, operation: &str, outcome: &str) {
        *self
            .operations
            .lock()
            .unwrap()
            .entry(format!("{operation} {outcome}"))
            .or_default() += 1;
    }

    /// Counts one injected fault of `kind`.
    pub fn fault(&self, kind: &str) {
        *self
            .faults
            .lock()
            .unwrap()
            .entry(kind.to_string())
            .or_default() += 1;
    }

    /// Records a violation.
    pub fn violation(&self, what: String) {
        self.violations.lock().unwrap().push(what);
    }

    /// Checks one invariant: `holds`, or a violation described by `what`.
    pub fn check(&self, holds: bool, what: impl FnOnce() -> String) {
        *self.checks.lock().unwrap() += 1;
        if !holds {
            self.violation(what());
        }
    }

    /// Operations done.
    pub fn total_operations(&self) -> u64 {
        self.operations.lock().unwrap().values().sum()
    }

    /// Fails the test when anything was violated.
    pub fn assert_clean(&self, title: &str) {
        println!("{title}\n{self}");
        let violations = self.violations.lock().unwrap();
        assert!(
            violations.is_empty(),
            "{title}: {} violation(s):\n{}",
            violations.len(),
            violations.join("\n")
        );
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let operations = self.operations.lock().unwrap();
        writeln!(f, "  operations: {}", operations.values().sum::<u64>())?;
        for (what, n) in operations.iter() {
            writeln!(f, "    {what}: {n}")?;
        }
        let faults = self.faults.lock().unwrap();
        writeln!(f, "  faults injected: {}", faults.values().sum::<u64>())?;
        for (what, n) in faults.iter() {
            writeln!(f, "    {what}: {n}")?;
        }
        writeln!(f, "  invariants checked: {}", self.checks.lock().unwrap())?;
        let violations = self.violations.lock().unwrap();
        write!(f, "  violations: {}", violations.len())?;
        for v in violations.iter().take(20) {
            write!(f, "\n    {v}")?;
        }
        Ok(())
    }
}

/// 32 clients (or `PROCURA_PROOF_CLIENTS`) for a few seconds (`PROCURA_PROOF_SECONDS`) raise,
/// approve, issue, receive and invoice purchase orders against the same four blocking budget
/// lines and read forecasts; then every invariant is checked.
async fn concurrent_clients_keep_the_books_exact(app: TestApp) {
    let clients = knob("PROCURA_PROOF_CLIENTS", 32) as usize;
    let seconds = knob("PROCURA_PROOF_SECONDS", 4);
    let summary = Summary::default();
    let world = workload::World::seed(&app).await;
    workload::run(&[&app], &world, clients, seconds, &summary).await;
    invariants::check(&app, &world, &summary).await;
    let engine = format!("{:?}", app.engine).to_lowercase();
    assert!(
        summary.total_operations() > clients as u64,
        "the workload did almost nothing: {summary}"
    );
    summary.assert_clean(&format!(
        "proof [{engine}] concurrency: {clients} clients for {seconds} s"
    ));
}

/// Every operation of the OpenAPI document with a token of each role, none, and a revoked one;
/// then each segregation-of-duties rule with the token it must stop.
async fn every_endpoint_keeps_the_permission_table(app: TestApp) {
    let summary = Summary::default();
    hostile::permissions_on_every_endpoint(&app, &summary).await;
    hostile::segregation_of_duties(&app, &summary).await;
    let engine = format!("{:?}", app.engine).to_lowercase();
    summary.assert_clean(&format!("proof [{engine}] permissions on every endpoint"));
}

/// Every operation with a JSON body, with hostile text in every string field.
async fn hostile_text_in_every_field_breaks_nothing(app: TestApp) {
    let summary = Summary::default();
    hostile::hostile_text_in_every_field(&app, &summary).await;
    let engine = format!("{:?}", app.engine).to_lowercase();
    summary.assert_clean(&format!("proof [{engine}] hostile text in every field"));
}

/// `PROCURA_PROOF_CRASHES` rounds (default 2) of SIGKILL during approvals, an import and alert
/// delivery, each followed by a restart and every check.
async fn a_server_killed_mid_work_loses_nothing(app: TestApp) {
    let engine = app.engine;
    drop(app);
    let rounds = knob("PROCURA_PROOF_CRASHES", 2);
    let summary = Summary::default();
    if !processes::crash_rounds(engine, rounds, &summary).await {
        return;
    }
    let engine = format!("{engine:?}").to_lowercase();
    summary.assert_clean(&format!("proof [{engine}] crash safety: {rounds} kills"));
}

/// Two `procura serve` processes on one PostgreSQL database, the clients spread over both.
/// PostgreSQL only (several instances on one database is a PostgreSQL deployment), so its path
/// names neither engine module.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_out_two_postgres_instances() {
    let clients = knob("PROCURA_PROOF_CLIENTS", 32) as usize;
    let seconds = knob("PROCURA_PROOF_SECONDS", 4);
    let summary = Summary::default();
    if !processes::two_instances(clients, seconds, &summary).await {
        return;
    }
    summary.assert_clean(&format!(
        "proof [postgres] scale-out: two instances, {clients} clients for {seconds} s"
    ));
}
