//! The invariants, recomputed from the documents (every purchase order and invoice read back
//! one by one) and compared with the ledger the server sums in SQL.

use super::workload::{World, BUDGETS};
use super::Summary;
use crate::helpers::{id_of, s, TestApp};
use procura::auth::Role::{Admin, Viewer};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// PO statuses whose open value is committed.
const COMMITTED: [&str; 4] = ["approved", "issued", "partially_received", "received"];

fn dec(value: &Value) -> Decimal {
    s(value)
        .parse()
        .unwrap_or_else(|e| panic!("not a decimal: {value}: {e}"))
}

/// Per budget line: what the documents say is committed, accrued and actual.
#[derive(Debug, Default, Clone, Copy)]
struct Recomputed {
    committed: Decimal,
    accrued: Decimal,
    actual: Decimal,
}

pub async fn check(app: &TestApp, world: &World, summary: &Summary) {
    let orders = app
        .list_all(
            &format!("/api/v1/purchase-orders?project_id={}", world.project),
            Viewer,
        )
        .await;
    let mut per_line: BTreeMap<i64, Recomputed> = BTreeMap::new();
    let mut invoiced_by_po_line: BTreeMap<i64, Decimal> = BTreeMap::new();
    for listed in &orders {
        let po = app
            .get(
                &format!("/api/v1/purchase-orders/{}", id_of(listed)),
                Viewer,
            )
            .await
            .expect(200)
            .body;
        let committed_status = COMMITTED.contains(&s(&po["status"]));
        for line in po["lines"].as_array().into_iter().flatten() {
            let (ordered, received, invoiced, price) = (
                dec(&line["quantity"]),
                dec(&line["quantity_received"]),
                dec(&line["quantity_invoiced"]),
                dec(&line["unit_price"]),
            );
            invoiced_by_po_line.insert(id_of(line), invoiced);
            let number = s(&po["number"]);
            summary.check(received <= ordered, || {
                format!(
                    "{number} line {}: received {received} of {ordered}",
                    line["line_no"]
                )
            });
            let open = if committed_status {
                (ordered - invoiced).max(Decimal::ZERO) * price
            } else {
                Decimal::ZERO
            };
            summary.check(dec(&line["committed"]) == open, || {
                format!(
                    "{number} line {}: shows {} committed, the documents {open}",
                    line["line_no"], line["committed"]
                )
            });
            let entry = per_line
                .entry(line["budget_line_id"].as_i64().unwrap())
                .or_default();
            entry.committed += open;
            if committed_status {
                entry.accrued += (received - invoiced).max(Decimal::ZERO) * price;
            }
        }
    }

    let invoices = app
        .list_all(
            &format!("/api/v1/invoices?vendor_id={}", world.vendor),
            Viewer,
        )
        .await;
    let numbers: BTreeSet<&str> = invoices.iter().map(|i| s(&i["number"])).collect();
    summary.check(numbers.len() == invoices.len(), || {
        format!(
            "{} invoices carry {} distinct numbers",
            invoices.len(),
            numbers.len()
        )
    });
    let mut posted_by_po_line: BTreeMap<i64, Decimal> = BTreeMap::new();
    for listed in &invoices {
        let invoice = app
            .get(&format!("/api/v1/invoices/{}", id_of(listed)), Viewer)
            .await
            .expect(200)
            .body;
        if !["approved", "paid"].contains(&s(&invoice["status"])) {
            continue;
        }
        for line in invoice["lines"].as_array().into_iter().flatten() {
            per_line
                .entry(line["budget_line_id"].as_i64().unwrap())
                .or_default()
                .actual += dec(&line["net_amount_budget"]);
            *posted_by_po_line
                .entry(line["po_line_id"].as_i64().unwrap())
                .or_default() += dec(&line["quantity"]);
        }
    }
    for (po_line, invoiced) in &invoiced_by_po_line {
        let posted = posted_by_po_line.get(po_line).copied().unwrap_or_default();
        summary.check(*invoiced == posted, || {
            format!("PO line {po_line}: {invoiced} invoiced, {posted} on approved invoices")
        });
    }

    let ledger = app
        .get(
            &format!("/api/v1/projects/{}/ledger", world.project),
            Viewer,
        )
        .await
        .expect(200)
        .body;
    for (line, budget) in world.budget_lines.iter().zip(BUDGETS) {
        let shown = ledger["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["budget_line_id"].as_i64() == Some(*line))
            .unwrap_or_else(|| panic!("budget line {line} missing from {ledger}"));
        let docs = per_line.get(line).copied().unwrap_or_default();
        for (figure, recomputed) in [
            ("committed", docs.committed),
            ("accrued", docs.accrued),
            ("actual", docs.actual),
        ] {
            summary.check(dec(&shown[figure]) == recomputed, || {
                format!(
                    "budget line {line}: the ledger's {figure} is {}, the documents add up to {recomputed}",
                    shown[figure]
                )
            });
        }
        let used = docs.actual + docs.committed;
        summary.check(used <= Decimal::from(budget), || {
            format!("budget line {line}: {used} used of a blocking budget of {budget}")
        });
    }

    let verify = app
        .get("/api/v1/audit/verify", Admin)
        .await
        .expect(200)
        .body;
    summary.check(verify["valid"] == Value::Bool(true), || {
        format!("the audit chain does not verify: {verify}")
    });
}
