//! Fixtures shared by the purchase-order and purchase-to-pay tests: a vendor, a project and a
//! budget line; order bodies; and the moves that take an order to approved.

use crate::helpers::{id_of, s, Resp, TestApp};
use procura::auth::Role::{self, Admin, Finance, Procurement};
use serde_json::{json, Value};

pub const POS: &str = "/api/v1/purchase-orders";
pub const INVOICES: &str = "/api/v1/invoices";

pub fn po_url(id: i64) -> String {
    format!("{POS}/{id}")
}

/// A vendor, a project with `policy` (`None`: the default) and one budget line of `budget`.
pub struct Fixture {
    pub vendor: i64,
    pub project: i64,
    pub budget_line: i64,
}

pub async fn fixture(app: &TestApp, code: &str, policy: Option<&str>, budget: &str) -> Fixture {
    let vendor = id_of(
        &app.create_vendor(json!({"name": format!("Vendor {code}")}))
            .await,
    );
    let mut body = json!({
        "code": code, "name": format!("Project {code}"), "currency": "EUR",
        "start_date": "2026-01-01", "end_date": "2027-12-31"
    });
    if let Some(policy) = policy {
        body["budget_policy"] = json!(policy);
    }
    let project = app.create_project(body).await;
    assert_eq!(
        s(&project["budget_policy"]),
        policy.unwrap_or("block"),
        "{project}"
    );
    let project = id_of(&project);
    let budget_line = id_of(
        &app.create_budget_line(json!({
            "project_id": project, "category": "capex", "cost_center": "CC-1", "amount": budget
        }))
        .await,
    );
    Fixture {
        vendor,
        project,
        budget_line,
    }
}

pub fn line(quantity: &str, unit_price: &str, tax: Option<&str>, budget_line: i64) -> Value {
    let mut line = json!({
        "description": "Item", "quantity": quantity, "unit": "each",
        "unit_price": unit_price, "budget_line_id": budget_line
    });
    if let Some(tax) = tax {
        line["tax_percent"] = json!(tax);
    }
    line
}

/// A line of asset units in `category` on the fixture's budget line.
pub fn asset_line(quantity: &str, unit_price: &str, category: &str, f: &Fixture) -> Value {
    let mut line = line(quantity, unit_price, None, f.budget_line);
    line["is_asset"] = json!(true);
    line["asset_category"] = json!(category);
    line
}

pub fn order(f: &Fixture, currency: &str, date: &str, lines: Vec<Value>) -> Value {
    json!({
        "vendor_id": f.vendor, "project_id": f.project, "currency": currency,
        "order_date": date, "lines": lines
    })
}

/// A one-line EUR order of `amount` on the fixture's budget line, dated 2026-03-15.
pub fn simple(f: &Fixture, amount: &str) -> Value {
    order(
        f,
        "EUR",
        "2026-03-15",
        vec![line("1", amount, None, f.budget_line)],
    )
}

pub async fn raise(app: &TestApp, role: Role, body: &Value) -> Value {
    app.post(POS, role, body).await.expect(201).body
}

pub async fn act(app: &TestApp, role: Role, po: &Value, action: &str, extra: Value) -> Resp {
    let mut body = json!({"version": po["version"]});
    if let Value::Object(fields) = extra {
        for (k, v) in fields {
            body[k.as_str()] = v;
        }
    }
    app.post(&format!("{}/{action}", po_url(id_of(po))), role, &body)
        .await
}

/// Raises (as procurement) and submits an order; returns the submitted PO.
pub async fn submitted(app: &TestApp, body: &Value) -> Value {
    submitted_by(app, Procurement, body).await
}

/// Raises and submits an order as `role`; returns the submitted PO.
pub async fn submitted_by(app: &TestApp, role: Role, body: &Value) -> Value {
    let po = raise(app, role, body).await;
    act(app, role, &po, "submit", json!({}))
        .await
        .expect(200)
        .body
}

/// Raises, submits and approves (as finance) a one-approval order.
pub async fn approved(app: &TestApp, body: &Value) -> Value {
    let po = submitted(app, body).await;
    let done = act(app, Finance, &po, "approve", json!({}))
        .await
        .expect(200)
        .body;
    assert_eq!(s(&done["status"]), "approved", "{done}");
    done
}

pub fn strings(values: &Value) -> Vec<String> {
    values
        .as_array()
        .unwrap_or_else(|| panic!("expected an array, found {values}"))
        .iter()
        .map(|v| s(v).to_string())
        .collect()
}

/// Raises (procurement), approves (finance) and issues (procurement) an order.
pub async fn issued(app: &TestApp, body: &Value) -> Value {
    let po = approved(app, body).await;
    let po = act(app, Procurement, &po, "issue", json!({}))
        .await
        .expect(200)
        .body;
    assert_eq!(s(&po["status"]), "issued", "{po}");
    po
}

pub async fn receive(
    app: &TestApp,
    role: Role,
    po_id: i64,
    received_on: &str,
    lines: &[(i64, &str)],
) -> Resp {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(id, quantity)| json!({"po_line_id": id, "quantity": quantity}))
        .collect();
    app.post(
        &format!("{POS}/{po_id}/receipts"),
        role,
        &json!({"received_on": received_on, "note": "Delivery note", "lines": lines}),
    )
    .await
}

/// Records a receipt as procurement, asserting 201.
pub async fn received(app: &TestApp, po_id: i64, on: &str, lines: &[(i64, &str)]) -> Value {
    receive(app, Procurement, po_id, on, lines)
        .await
        .expect(201)
        .body
}

pub fn bill(po_line: i64, quantity: &str, unit_price: &str) -> Value {
    json!({"po_line_id": po_line, "quantity": quantity, "unit_price": unit_price})
}

pub fn invoice(vendor: i64, number: &str, date: &str, lines: Vec<Value>) -> Value {
    json!({
        "vendor_id": vendor, "number": number, "invoice_date": date, "currency": "EUR",
        "lines": lines
    })
}

/// Records an invoice as finance, asserting 201.
pub async fn record(app: &TestApp, body: &Value) -> Value {
    app.post(INVOICES, Finance, body).await.expect(201).body
}

pub async fn decide(
    app: &TestApp,
    role: Role,
    invoice: &Value,
    action: &str,
    extra: Value,
) -> Resp {
    let mut body = json!({"version": invoice["version"]});
    if let Value::Object(fields) = extra {
        for (k, v) in fields {
            body[k.as_str()] = v;
        }
    }
    app.post(
        &format!("{INVOICES}/{}/{action}", id_of(invoice)),
        role,
        &body,
    )
    .await
}

/// Approves an invoice as admin (never its recorder, finance), asserting 200.
pub async fn approve_invoice(app: &TestApp, invoice: &Value) -> Value {
    let done = decide(app, Admin, invoice, "approve", json!({}))
        .await
        .expect(200)
        .body;
    assert_eq!(s(&done["status"]), "approved", "{done}");
    done
}
