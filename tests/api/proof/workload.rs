//! The mixed workload: clients raise purchase orders against shared budget lines and move
//! them (and their receipts and invoices) along, each request as the role that may make it.

use super::Summary;
use crate::helpers::{id_of, s, TestApp};
use procura::auth::Role::{self, Admin, Finance, Procurement, Viewer};
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Budget lines every client competes for, with their budgets (whole euros).
pub const BUDGETS: [u32; 4] = [20_000, 12_000, 8_000, 5_000];

/// What the clients share.
pub struct World {
    pub vendor: i64,
    pub project: i64,
    pub budget_lines: Vec<i64>,
    /// Purchase orders raised so far.
    pub orders: Mutex<Vec<i64>>,
    /// The clients' HTTP client: idle connections are dropped after 2 s, before the server's
    /// keep-alive (5 s) closes them under a request in flight.
    pub http: reqwest::Client,
}

impl World {
    /// A vendor, a project whose budget policy blocks overruns, and its budget lines.
    pub async fn seed(app: &TestApp) -> World {
        let vendor = id_of(&app.create_vendor(json!({"name": "Load Vendor"})).await);
        let project = id_of(
            &app.create_project(json!({
                "code": "PROOF", "name": "Proof under load", "currency": "EUR",
                "start_date": "2026-01-01", "end_date": "2026-12-31", "budget_policy": "block",
                "pm_name": "Pat Proof", "pm_email": "pm@procura.test",
                "finance_owner_email": "finance@procura.test"
            }))
            .await,
        );
        let mut budget_lines = Vec::new();
        for (i, budget) in BUDGETS.iter().enumerate() {
            budget_lines.push(id_of(
                &app.create_budget_line(json!({
                    "project_id": project, "category": "capex",
                    "cost_center": format!("CC-{i}"), "amount": format!("{budget}.00")
                }))
                .await,
            ));
        }
        World {
            vendor,
            project,
            budget_lines,
            orders: Mutex::new(Vec::new()),
            http: reqwest::Client::builder()
                .pool_idle_timeout(Duration::from_secs(2))
                .build()
                .expect("an HTTP client"),
        }
    }
}

/// A small deterministic generator (xorshift64*), one per client.
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Self {
        Dice(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

/// One client's view of the server.
struct Client<'a> {
    app: &'a TestApp,
    world: &'a World,
    summary: &'a Summary,
    dice: Dice,
    id: usize,
    invoices: u64,
}

/// Runs `clients` clients until `seconds` have passed, spread over the `servers` (client `i`
/// talks to server `i mod n`).
pub async fn run(
    servers: &[&TestApp],
    world: &World,
    clients: usize,
    seconds: u64,
    summary: &Summary,
) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let tasks = (0..clients).map(|id| {
        let mut client = Client {
            app: servers[id % servers.len()],
            world,
            summary,
            dice: Dice::new(id as u64 + 1),
            id,
            invoices: 0,
        };
        async move {
            while Instant::now() < deadline {
                client.step().await;
            }
        }
    });
    futures_util::future::join_all(tasks).await;
}

impl Client<'_> {
    async fn step(&mut self) {
        match self.dice.below(10) {
            0..=1 => self.raise().await,
            2..=7 => self.advance().await,
            _ => self.read().await,
        }
    }

    /// Sends a request, counting its outcome; a 5xx or a locked database is a violation.
    async fn call(
        &self,
        operation: &str,
        method: reqwest::Method,
        path: &str,
        role: Role,
        body: Option<Value>,
    ) -> Option<Value> {
        let mut request = self
            .world
            .http
            .request(method, self.app.url(path))
            .bearer_auth(self.app.token(role));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                if self.summary.faulting.load(Ordering::SeqCst) {
                    self.summary.count(operation, "lost to the fault");
                    // The server is down: wait a moment instead of spinning.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                } else {
                    let cause = std::error::Error::source(&e)
                        .map(|c| format!(": {c}"))
                        .unwrap_or_default();
                    self.summary
                        .violation(format!("{operation} {path}: no answer: {e}{cause}"));
                }
                return None;
            }
        };
        let status = response.status().as_u16();
        let Ok(text) = response.text().await else {
            self.summary.count(operation, "lost to the fault");
            return None;
        };
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let outcome = match body.get("code").and_then(Value::as_str) {
            Some(code) if status >= 400 => format!("{status} {code}"),
            _ => status.to_string(),
        };
        self.summary.count(operation, &outcome);
        if status >= 500 || text.contains("database is locked") {
            self.summary
                .violation(format!("{operation} {path}: {status} {text}"));
        }
        (200..300).contains(&status).then_some(body)
    }

    async fn post(&self, operation: &str, path: &str, role: Role, body: Value) -> Option<Value> {
        self.call(operation, reqwest::Method::POST, path, role, Some(body))
            .await
    }

    async fn get(&self, operation: &str, path: &str, role: Role) -> Option<Value> {
        self.call(operation, reqwest::Method::GET, path, role, None)
            .await
    }

    /// Raises an order of one or two lines (1 to 5 units at 50.00 to 899.99) and submits it.
    async fn raise(&mut self) {
        let lines: Vec<Value> = (0..=self.dice.below(2))
            .map(|_| {
                let line = self.world.budget_lines[self.dice.below(4) as usize];
                let euros = 50 + self.dice.below(850);
                let cents = self.dice.below(100);
                json!({"description": "Load item", "quantity": (1 + self.dice.below(5)).to_string(),
                       "unit": "each", "unit_price": format!("{euros}.{cents:02}"),
                       "budget_line_id": line})
            })
            .collect();
        let body = json!({"vendor_id": self.world.vendor, "project_id": self.world.project,
                          "currency": "EUR", "order_date": "2026-03-01", "lines": lines});
        let Some(po) = self
            .post("raise", "/api/v1/purchase-orders", Procurement, body)
            .await
        else {
            return;
        };
        let id = id_of(&po);
        self.world.orders.lock().unwrap().push(id);
        self.post(
            "submit",
            &format!("/api/v1/purchase-orders/{id}/submit"),
            Procurement,
            json!({"version": po["version"]}),
        )
        .await;
    }

    /// Moves a random order one step along: approve, issue, receive or invoice.
    async fn advance(&mut self) {
        let id = {
            let orders = self.world.orders.lock().unwrap();
            if orders.is_empty() {
                return;
            }
            orders[self.dice.below(orders.len() as u64) as usize]
        };
        let path = format!("/api/v1/purchase-orders/{id}");
        let Some(po) = self.get("read order", &path, Viewer).await else {
            return;
        };
        let version = json!({"version": po["version"]});
        match s(&po["status"]) {
            "submitted" => {
                self.post("approve", &format!("{path}/approve"), Finance, version)
                    .await;
            }
            "approved" => {
                self.post("issue", &format!("{path}/issue"), Procurement, version)
                    .await;
            }
            "issued" | "partially_received" if self.dice.below(3) > 0 => self.receive(&po).await,
            "partially_received" | "received" => self.invoice(&po).await,
            _ => {}
        }
    }

    /// Receives part or all of what is still outstanding on each line.
    async fn receive(&mut self, po: &Value) {
        let mut lines = Vec::new();
        for line in po["lines"].as_array().into_iter().flatten() {
            let outstanding = whole(&line["quantity"]) - whole(&line["quantity_received"]);
            if outstanding > 0 {
                let quantity = 1 + self.dice.below(outstanding as u64);
                lines.push(json!({"po_line_id": line["id"], "quantity": quantity.to_string()}));
            }
        }
        if lines.is_empty() {
            return;
        }
        self.post(
            "receive",
            &format!("/api/v1/purchase-orders/{}/receipts", id_of(po)),
            Procurement,
            json!({"received_on": "2026-03-10", "lines": lines}),
        )
        .await;
    }

    /// Invoices what was received and not yet invoiced, at the order's prices, and approves it.
    async fn invoice(&mut self, po: &Value) {
        let lines: Vec<Value> = po["lines"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|line| {
                let open = whole(&line["quantity_received"]) - whole(&line["quantity_invoiced"]);
                (open > 0).then(|| {
                    json!({"po_line_id": line["id"], "quantity": open.to_string(),
                           "unit_price": line["unit_price"]})
                })
            })
            .collect();
        if lines.is_empty() {
            return;
        }
        self.invoices += 1;
        let body = json!({"vendor_id": self.world.vendor, "currency": "EUR",
                          "number": format!("L{}-{}", self.id, self.invoices),
                          "invoice_date": "2026-03-20", "lines": lines});
        let Some(invoice) = self
            .post("record invoice", "/api/v1/invoices", Finance, body)
            .await
        else {
            return;
        };
        if s(&invoice["status"]) == "matched" {
            self.post(
                "approve invoice",
                &format!("/api/v1/invoices/{}/approve", id_of(&invoice)),
                Admin,
                json!({"version": invoice["version"]}),
            )
            .await;
        }
    }

    async fn read(&mut self) {
        let project = self.world.project;
        if self.dice.below(2) == 0 {
            self.get(
                "read forecast",
                &format!("/api/v1/projects/{project}/forecast?as_of=2026-06-30"),
                Viewer,
            )
            .await;
        } else {
            self.get(
                "read ledger",
                &format!("/api/v1/projects/{project}/ledger"),
                Viewer,
            )
            .await;
        }
    }
}

/// A whole quantity (the workload orders whole units).
pub fn whole(value: &Value) -> i64 {
    s(value)
        .parse()
        .unwrap_or_else(|_| panic!("not a whole quantity: {value}"))
}
