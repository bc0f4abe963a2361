//! Purchase-to-pay over HTTP after the order: receipts and returns, assets from receipts and
//! their lifecycle, invoices matched within tolerances, duplicates, approval posting actuals and
//! releasing commitments, payments, credit memos and the overdue report.

use crate::helpers::{id_of, s, Resp, TestApp};
use crate::p2p_fixtures::{
    act, approve_invoice, approved, asset_line, bill, decide, fixture, invoice, issued, line,
    order, po_url, raise, receive, received, record, simple, strings, submitted, submitted_by,
    INVOICES, POS,
};
use procura::auth::Role::{Admin, Evaluator, Finance, Pm, Procurement, Viewer};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{json, Value};

const ASSETS: &str = "/api/v1/assets";
const TOLERANCES: &str = "/api/v1/match-tolerances";

fn d(text: &str) -> Decimal {
    text.parse()
        .unwrap_or_else(|e| panic!("{text:?} is not a decimal: {e}"))
}

/// A decimal with two places, as Procura shows EUR amounts.
fn eur(amount: Decimal) -> String {
    format!("{:.2}", amount)
}

fn described(mut line: Value, description: &str) -> Value {
    line["description"] = json!(description);
    line
}

fn promised(mut line: Value, date: &str) -> Value {
    line["promised_date"] = json!(date);
    line
}

fn line_ids(po: &Value) -> Vec<i64> {
    po["lines"]
        .as_array()
        .unwrap_or_else(|| panic!("no lines in {po}"))
        .iter()
        .map(id_of)
        .collect()
}

fn column(items: &Value, field: &str) -> Vec<String> {
    items
        .as_array()
        .unwrap_or_else(|| panic!("expected an array, found {items}"))
        .iter()
        .map(|item| s(&item[field]).to_string())
        .collect()
}

async fn read_po(app: &TestApp, id: i64) -> Value {
    app.get(&po_url(id), Viewer).await.expect(200).body
}

async fn return_receipt(app: &TestApp, receipt_id: i64, reason: &str, on: &str) -> Resp {
    app.post(
        &format!("/api/v1/receipts/{receipt_id}/return"),
        Procurement,
        &json!({"reason": reason, "returned_on": on}),
    )
    .await
}

fn credit_memo(vendor: i64, original: i64, number: &str, date: &str, lines: Vec<Value>) -> Value {
    let mut body = invoice(vendor, number, date, lines);
    body["kind"] = json!("credit_memo");
    body["original_invoice_id"] = json!(original);
    body
}

async fn pay(app: &TestApp, invoice: &Value, amount: &str, on: &str, reference: &str) -> Resp {
    app.post(
        &format!("{INVOICES}/{}/payments", id_of(invoice)),
        Finance,
        &json!({"amount": amount, "paid_on": on, "reference": reference}),
    )
    .await
}

fn hold_codes(invoice: &Value) -> Vec<String> {
    column(&invoice["hold_reasons"], "code")
}

async fn assets(app: &TestApp, query: &str) -> Vec<Value> {
    app.list_all(&format!("{ASSETS}?{query}"), Viewer).await
}

async fn asset(app: &TestApp, id: i64) -> Value {
    app.get(&format!("{ASSETS}/{id}"), Viewer)
        .await
        .expect(200)
        .body
}

async fn register(app: &TestApp, asset: &Value, changes: Value) -> Resp {
    let mut body = json!({"version": asset["version"]});
    if let Value::Object(fields) = changes {
        for (k, v) in fields {
            body[k.as_str()] = v;
        }
    }
    app.patch(&format!("{ASSETS}/{}", id_of(asset)), Procurement, &body)
        .await
}

async fn transition(app: &TestApp, asset: &Value, to: &str, extra: Value) -> Resp {
    let mut body = json!({"version": asset["version"], "to": to});
    if let Value::Object(fields) = extra {
        for (k, v) in fields {
            body[k.as_str()] = v;
        }
    }
    app.post(
        &format!("{ASSETS}/{}/transition", id_of(asset)),
        Procurement,
        &body,
    )
    .await
}

/// Registers serial and location and puts an asset into service on `date`.
async fn into_service(app: &TestApp, asset: &Value, serial: &str, date: &str) -> Value {
    let registered = register(
        app,
        asset,
        json!({"serial_number": serial, "site": "DC-North", "room": "R101"}),
    )
    .await
    .expect(200)
    .body;
    let live = transition(app, &registered, "in_service", json!({"date": date}))
        .await
        .expect(200)
        .body;
    assert_eq!(s(&live["status"]), "in_service", "{live}");
    live
}

/// The actual posted on a budget line (approved invoice lines net of credit memos), read from
/// the database, as a two-place amount.
async fn actual(app: &TestApp, budget_line: i64) -> String {
    let units = app
        .db
        .read(move |conn| procura::invoices::repo::actual_on_budget_line(conn, budget_line))
        .await
        .unwrap_or_else(|e| panic!("reading the actual: {e}"));
    eur(Decimal::new(units, 4))
}

async fn audit_actions(app: &TestApp, entity: &str, id: i64) -> Vec<String> {
    app.list_all(&format!("/api/v1/audit?entity={entity}&id={id}"), Finance)
        .await
        .iter()
        .map(|row| s(&row["action"]).to_string())
        .collect()
}

async fn purchase_to_pay_end_to_end(app: TestApp) {
    let f = fixture(&app, "P2P", None, "100000.00").await;
    let mut servers = asset_line("3", "333.333333", "server", &f);
    servers["description"] = json!("Rack server");
    servers["tax_percent"] = json!("20");
    let cables = described(
        line("10", "12.50", Some("20"), f.budget_line),
        "Patch cable",
    );
    let po = issued(&app, &order(&f, "EUR", "2026-03-15", vec![servers, cables])).await;
    let po_id = id_of(&po);
    let [server_line, cable_line] = line_ids(&po)[..] else {
        panic!("two lines expected: {po}")
    };
    assert_eq!(
        (
            s(&po["lines"][0]["net_amount"]),
            s(&po["net_total"]),
            s(&po["total"]),
            s(&po["committed"])
        ),
        ("1000.00", "1125.00", "1350.00", "1125.00")
    );

    // First delivery: two servers and four cables.
    let first = receive(
        &app,
        Procurement,
        po_id,
        "2026-04-01",
        &[(server_line, "2"), (cable_line, "4")],
    )
    .await
    .expect(201);
    let r1 = first.body.clone();
    let r1_id = id_of(&r1);
    assert_eq!(
        first.header("location"),
        Some(format!("/api/v1/receipts/{r1_id}").as_str())
    );
    assert_eq!(s(&r1["number"]), "GR-2026-000001");
    assert_eq!(
        (
            s(&r1["kind"]),
            s(&r1["received_on"]),
            s(&r1["received_by"]),
            s(&r1["note"])
        ),
        ("receipt", "2026-04-01", "test-procurement", "Delivery note")
    );
    assert_eq!(r1["po_id"], json!(po_id));
    assert!(r1["reverses_receipt_id"].is_null() && r1["returned_by_receipt_id"].is_null());
    assert_eq!(
        r1["lines"],
        json!([{"po_line_id": server_line, "quantity": "2"}, {"po_line_id": cable_line, "quantity": "4"}])
    );
    assert_eq!(
        strings(&r1["asset_tags"]),
        ["AST-2026-000001", "AST-2026-000002"]
    );
    let now = read_po(&app, po_id).await;
    assert_eq!(s(&now["status"]), "partially_received");
    assert_eq!(column(&now["lines"], "quantity_received"), ["2", "4"]);
    assert_eq!(
        s(&now["committed"]),
        "1125.00",
        "receiving commits nothing more"
    );
    assert_eq!(
        strings(&now["allowed_actions"]),
        ["receive", "revise", "close"]
    );

    // Second delivery completes the order.
    let r2 = received(
        &app,
        po_id,
        "2026-04-08",
        &[(server_line, "1"), (cable_line, "6")],
    )
    .await;
    assert_eq!(s(&r2["number"]), "GR-2026-000002");
    assert_eq!(strings(&r2["asset_tags"]), ["AST-2026-000003"]);
    let now = read_po(&app, po_id).await;
    assert_eq!(s(&now["status"]), "received");
    assert_eq!(column(&now["lines"], "quantity_received"), ["3", "10"]);
    assert_eq!(column(&now["lines"], "quantity_invoiced"), ["0", "0"]);

    let listed = app
        .get(&format!("{POS}/{po_id}/receipts"), Viewer)
        .await
        .expect(200)
        .body;
    assert_eq!(listed, json!([r1.clone(), r2.clone()]));
    let read = app
        .get(&format!("/api/v1/receipts/{r1_id}"), Viewer)
        .await
        .expect(200)
        .body;
    assert_eq!(read, r1);

    // Each server is a pending asset with its lineage.
    let items = assets(&app, &format!("po_id={po_id}")).await;
    assert_eq!(
        items.iter().map(|a| s(&a["tag"])).collect::<Vec<_>>(),
        ["AST-2026-000001", "AST-2026-000002", "AST-2026-000003"]
    );
    for (a, receipt) in items.iter().zip([r1_id, r1_id, id_of(&r2)]) {
        assert_eq!(
            (
                s(&a["status"]),
                s(&a["category"]),
                s(&a["description"]),
                s(&a["cost_currency"])
            ),
            ("pending", "server", "Rack server", "EUR"),
            "{a}"
        );
        assert_eq!(strings(&a["allowed_statuses"]), ["in_service"]);
        assert_eq!(
            (
                &a["po_id"],
                &a["po_line_id"],
                &a["receipt_id"],
                &a["vendor_id"],
                &a["project_id"]
            ),
            (
                &json!(po_id),
                &json!(server_line),
                &json!(receipt),
                &json!(f.vendor),
                &json!(f.project)
            )
        );
        assert!(a["cost"].is_null() && a["invoice_line_id"].is_null(), "{a}");
    }
    let of_r2 = assets(&app, &format!("receipt_id={}", id_of(&r2))).await;
    assert_eq!(of_r2.len(), 1);
    assert_eq!(s(&of_r2[0]["tag"]), "AST-2026-000003");
    assert!(assets(&app, &format!("po_id={po_id}&status=in_service"))
        .await
        .is_empty());
    let a1 = items[0].clone();
    let a1_id = id_of(&a1);

    app.get(
        &format!("{ASSETS}/{a1_id}/depreciation?life_years=3"),
        Viewer,
    )
    .await
    .expect_problem(409, "asset_cost_unknown");

    // Into service only once registered.
    transition(&app, &a1, "in_service", json!({}))
        .await
        .expect_problem(409, "asset_not_registered");
    let a1 = register(
        &app,
        &a1,
        json!({"serial_number": "SN-0001", "site": "DC-North"}),
    )
    .await
    .expect(200)
    .body;
    transition(&app, &a1, "in_service", json!({}))
        .await
        .expect_problem(409, "asset_not_registered");
    let a1 = register(&app, &a1, json!({"room": "R101", "rack": "A01"}))
        .await
        .expect(200)
        .body;
    let live = transition(
        &app,
        &a1,
        "in_service",
        json!({"date": "2026-04-10", "note": "Racked"}),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(
        (s(&live["status"]), s(&live["in_service_date"])),
        ("in_service", "2026-04-10")
    );
    assert_eq!(strings(&live["allowed_statuses"]), ["in_repair", "retired"]);

    // The invoice matches three-way.
    let body = json!({
        "vendor_id": f.vendor, "number": "INV-2026-0001", "invoice_date": "2026-04-15",
        "due_date": "2026-05-15", "currency": "EUR",
        "lines": [
            {"po_line_id": server_line, "quantity": "3", "unit_price": "333.333333", "tax_percent": "20"},
            {"po_line_id": cable_line, "quantity": "10", "unit_price": "12.50", "tax_percent": "20"}
        ]
    });
    let created = app.post(INVOICES, Finance, &body).await.expect(201);
    let inv = created.body.clone();
    assert_eq!(
        created.header("location"),
        Some(format!("{INVOICES}/{}", id_of(&inv)).as_str())
    );
    assert_eq!(
        (
            s(&inv["status"]),
            s(&inv["kind"]),
            s(&inv["normalised_number"]),
            s(&inv["created_by"])
        ),
        ("matched", "invoice", "inv20261", "test-finance"),
        "{inv}"
    );
    assert_eq!(inv["hold_reasons"], json!([]));
    assert_eq!(
        (
            s(&inv["net_total"]),
            s(&inv["tax_total"]),
            s(&inv["total"]),
            s(&inv["paid_total"])
        ),
        ("1125.00", "225.00", "1350.00", "0.00")
    );
    assert_eq!(strings(&inv["allowed_actions"]), ["approve", "reject"]);
    let l0 = &inv["lines"][0];
    assert_eq!(
        (
            s(&l0["description"]),
            s(&l0["net_amount"]),
            s(&l0["tax_amount"]),
            s(&l0["fx_rate"]),
            s(&l0["net_amount_budget"])
        ),
        ("Rack server", "1000.00", "200.00", "1", "1000.00")
    );
    assert_eq!(l0["budget_line_id"], json!(f.budget_line));
    let clean = json!({
        "basis": "three_way", "tolerance_level": "global", "price_variance": "0",
        "quantity_variance": "0", "total_variance": "0", "holds": []
    });
    assert_eq!(l0["match"], clean);
    assert_eq!(inv["lines"][1]["match"], clean);
    assert_eq!(s(&inv["lines"][1]["net_amount_budget"]), "125.00");

    pay(&app, &inv, "1.00", "2026-04-16", "EARLY")
        .await
        .expect_problem(409, "invalid_transition");
    app.post(
        &format!("{INVOICES}/{}/approve", id_of(&inv)),
        Admin,
        &json!({"version": 7}),
    )
    .await
    .expect_problem(409, "version_conflict");

    // Approval: never by its recorder; posts the actual and releases the commitment.
    decide(&app, Finance, &inv, "approve", json!({}))
        .await
        .expect_problem(403, "segregation_of_duties");
    assert_eq!(actual(&app, f.budget_line).await, "0.00");
    let inv = approve_invoice(&app, &inv).await;
    assert_eq!(s(&inv["approved_by"]), "test-admin");
    assert!(inv["approved_at"].is_string(), "{inv}");
    assert_eq!(strings(&inv["allowed_actions"]), ["pay"]);
    let now = read_po(&app, po_id).await;
    assert_eq!(s(&now["committed"]), "0.00");
    assert_eq!(column(&now["lines"], "committed"), ["0.00", "0.00"]);
    assert_eq!(column(&now["lines"], "quantity_invoiced"), ["3", "10"]);
    assert_eq!(actual(&app, f.budget_line).await, "1125.00");

    // Each server's cost is its share of the invoice line: 1000.00 over 3 units.
    let items = assets(&app, &format!("po_id={po_id}")).await;
    let costs: Vec<&str> = items.iter().map(|a| s(&a["cost"])).collect();
    assert_eq!(costs, ["333.34", "333.33", "333.33"]);
    let invoice_line = inv["lines"][0]["id"].clone();
    assert!(items.iter().all(|a| a["invoice_line_id"] == invoice_line));

    // Depreciation schedules add up to the cost exactly.
    let schedule = app
        .get(
            &format!("{ASSETS}/{a1_id}/depreciation?method=straight_line&life_years=3"),
            Viewer,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        (
            s(&schedule["tag"]),
            s(&schedule["cost"]),
            s(&schedule["currency"]),
            s(&schedule["in_service_date"]),
            s(&schedule["method"])
        ),
        (
            "AST-2026-000001",
            "333.34",
            "EUR",
            "2026-04-10",
            "straight_line"
        )
    );
    let periods = &schedule["periods"];
    assert_eq!(column(periods, "charge"), ["111.11", "111.11", "111.12"]);
    assert_eq!(
        column(periods, "closing_book_value"),
        ["222.23", "111.12", "0.00"]
    );
    assert_eq!(column(periods, "accumulated").last().unwrap(), "333.34");
    let total: Decimal = column(periods, "charge").iter().map(|c| d(c)).sum();
    assert_eq!(total, d("333.34"));

    let a2 = id_of(&items[1]);
    let declining = app
        .get(
            &format!("{ASSETS}/{a2}/depreciation?method=declining_balance&life_years=3"),
            Viewer,
        )
        .await
        .expect(200)
        .body;
    let periods = &declining["periods"];
    // 333.33 × 2/3 = 222.22; 111.11 × 2/3 = 74.07; the last year takes the rest.
    assert_eq!(column(periods, "charge"), ["222.22", "74.07", "37.04"]);
    let flags: Vec<bool> = periods
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["straight_line"].as_bool().unwrap())
        .collect();
    assert_eq!(flags, [false, false, true]);
    let total: Decimal = column(periods, "charge").iter().map(|c| d(c)).sum();
    assert_eq!(total, d("333.33"));

    let a3 = id_of(&items[2]);
    let salvaged = app
        .get(
            &format!("{ASSETS}/{a3}/depreciation?life_years=3&salvage=33.33"),
            Viewer,
        )
        .await
        .expect(200)
        .body;
    let periods = &salvaged["periods"];
    assert_eq!(column(periods, "charge"), ["100.00", "100.00", "100.00"]);
    assert_eq!(
        column(periods, "closing_book_value"),
        ["233.33", "133.33", "33.33"]
    );
    app.get(
        &format!("{ASSETS}/{a3}/depreciation?life_years=3&salvage=333.34"),
        Viewer,
    )
    .await
    .expect_problem(400, "invalid_query");
    app.get(&format!("{ASSETS}/{a3}/depreciation?life_years=0"), Viewer)
        .await
        .expect_problem(400, "invalid_query");
    // Payments: partial, refused beyond the total, then the rest.
    let paid = pay(&app, &inv, "1000.00", "2026-05-01", "BANK-1")
        .await
        .expect(201)
        .body;
    assert_eq!(
        (s(&paid["status"]), s(&paid["paid_total"])),
        ("approved", "1000.00")
    );
    assert_eq!(
        paid["payments"],
        json!([{"amount": "1000.00", "paid_on": "2026-05-01", "reference": "BANK-1", "recorded_by": "test-finance"}])
    );
    let over = pay(&app, &inv, "350.01", "2026-05-02", "BANK-2")
        .await
        .expect_problem(409, "overpayment");
    assert!(s(&over.body["detail"]).contains("350.00"), "{}", over.text);
    pay(&app, &inv, "0", "2026-05-02", "BANK-2")
        .await
        .expect_invalid("amount");
    let done = pay(&app, &inv, "350.00", "2026-05-15", "BANK-2")
        .await
        .expect(201)
        .body;
    assert_eq!(
        (s(&done["status"]), s(&done["paid_total"])),
        ("paid", "1350.00")
    );
    assert_eq!(done["allowed_actions"], json!([]));
    assert_eq!(column(&done["payments"], "amount"), ["1000.00", "350.00"]);
    pay(&app, &done, "0.01", "2026-05-16", "BANK-3")
        .await
        .expect_problem(409, "invalid_transition");

    assert_eq!(
        audit_actions(&app, "invoice", id_of(&inv)).await,
        [
            "invoice.create",
            "invoice.approve",
            "invoice.pay",
            "invoice.pay"
        ]
    );
    assert_eq!(
        audit_actions(&app, "receipt", r1_id).await,
        ["receipt.create"]
    );
    let verdict = app
        .get("/api/v1/audit/verify", Admin)
        .await
        .expect(200)
        .body;
    assert_eq!(verdict["valid"], json!(true), "{verdict}");

    // A bad declining-balance factor is refused, naming `factor`.
    let bad_factor = app
        .get(
            &format!("{ASSETS}/{a3}/depreciation?method=declining_balance&life_years=3&factor=0"),
            Viewer,
        )
        .await
        .expect_problem(400, "invalid_query");
    assert_eq!(
        bad_factor.fields(),
        ["factor"],
        "the error names the parameter at fault: {}",
        bad_factor.text
    );
}

async fn approvers_never_receive_and_recorders_never_approve(app: TestApp) {
    let f = fixture(&app, "SOD", None, "100000.00").await;
    let body = order(
        &f,
        "EUR",
        "2026-03-15",
        vec![line("2", "250.00", None, f.budget_line)],
    );
    let po = submitted_by(&app, Pm, &body).await;
    let po = act(&app, Procurement, &po, "approve", json!({}))
        .await
        .expect(200)
        .body;
    let po = act(&app, Pm, &po, "issue", json!({}))
        .await
        .expect(200)
        .body;
    let po_id = id_of(&po);
    let po_line = line_ids(&po)[0];

    let refused = receive(&app, Procurement, po_id, "2026-04-01", &[(po_line, "1")])
        .await
        .expect_problem(403, "segregation_of_duties");
    assert!(
        s(&refused.body["detail"]).contains("test-procurement"),
        "{}",
        refused.text
    );
    // Another token of the same person, in a receiving role.
    let alias = app.create_token("test-procurement", Pm).await;
    app.post_with_token(
        &format!("{POS}/{po_id}/receipts"),
        &alias,
        &json!({"lines": [{"po_line_id": po_line, "quantity": "1"}]}),
    )
    .await
    .expect_problem(403, "segregation_of_duties");
    for role in [Finance, Viewer, Evaluator] {
        receive(&app, role, po_id, "2026-04-01", &[(po_line, "1")])
            .await
            .expect_problem(403, "forbidden");
    }
    assert_eq!(
        app.get(&format!("{POS}/{po_id}/receipts"), Viewer)
            .await
            .expect(200)
            .body,
        json!([]),
        "refused receipts leave nothing"
    );
    // The requester receives.
    receive(&app, Pm, po_id, "2026-04-01", &[(po_line, "2")])
        .await
        .expect(201);
    assert_eq!(
        s(&read_po(&app, po_id).await["lines"][0]["quantity_received"]),
        "2"
    );

    let body = invoice(
        f.vendor,
        "SOD-1",
        "2026-04-15",
        vec![bill(po_line, "2", "250.00")],
    );
    for role in [Procurement, Pm, Viewer] {
        app.post(INVOICES, role, &body)
            .await
            .expect_problem(403, "forbidden");
    }
    let inv = record(&app, &body).await;
    assert_eq!(s(&inv["status"]), "matched");
    decide(&app, Finance, &inv, "approve", json!({}))
        .await
        .expect_problem(403, "segregation_of_duties");
    let alias = app.create_token("test-finance", Admin).await;
    app.post_with_token(
        &format!("{INVOICES}/{}/approve", id_of(&inv)),
        &alias,
        &json!({"version": inv["version"]}),
    )
    .await
    .expect_problem(403, "segregation_of_duties");
    for role in [Pm, Procurement] {
        decide(&app, role, &inv, "approve", json!({}))
            .await
            .expect_problem(403, "forbidden");
    }
    let unchanged = app
        .get(&format!("{INVOICES}/{}", id_of(&inv)), Viewer)
        .await
        .expect(200)
        .body;
    assert_eq!(unchanged, inv, "refused approvals change nothing");
    assert_eq!(s(&read_po(&app, po_id).await["committed"]), "500.00");

    let colleague = app.create_token("finance-2", Finance).await;
    let done = app
        .post_with_token(
            &format!("{INVOICES}/{}/approve", id_of(&inv)),
            &colleague,
            &json!({"version": inv["version"]}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        (s(&done["status"]), s(&done["approved_by"])),
        ("approved", "finance-2")
    );
    assert_eq!(s(&read_po(&app, po_id).await["committed"]), "0.00");
}

async fn over_receipts_are_refused_and_returns_reverse_receipts(app: TestApp) {
    let f = fixture(&app, "RET", None, "100000.00").await;
    let laptops = described(asset_line("2", "900.00", "laptop", &f), "Laptop");
    let docks = described(line("5", "4.00", None, f.budget_line), "Dock");
    let po = issued(&app, &order(&f, "EUR", "2026-03-15", vec![laptops, docks])).await;
    let po_id = id_of(&po);
    let [laptop_line, dock_line] = line_ids(&po)[..] else {
        panic!("two lines expected: {po}")
    };

    let over = receive(&app, Procurement, po_id, "2026-04-01", &[(dock_line, "6")])
        .await
        .expect_problem(409, "over_receipt");
    assert_eq!(
        over.body["context"],
        json!({"po_line_id": dock_line, "ordered": "5", "received": "0", "this_receipt": "6", "limit": "5"})
    );
    receive(
        &app,
        Procurement,
        po_id,
        "2026-04-01",
        &[(laptop_line, "1.5")],
    )
    .await
    .expect_invalid("lines[0].quantity");
    receive(&app, Procurement, po_id, "2026-04-01", &[(dock_line, "0")])
        .await
        .expect_invalid("lines[0].quantity");
    receive(
        &app,
        Procurement,
        po_id,
        "2026-04-01",
        &[(dock_line, "1"), (dock_line, "1")],
    )
    .await
    .expect_invalid("lines[1].po_line_id");
    receive(&app, Procurement, po_id, "2026-04-01", &[(999_999, "1")])
        .await
        .expect_invalid("lines[0].po_line_id");
    receive(&app, Procurement, po_id, "2026-04-01", &[])
        .await
        .expect_invalid("lines");
    receive(
        &app,
        Procurement,
        999_999,
        "2026-04-01",
        &[(dock_line, "1")],
    )
    .await
    .expect_problem(404, "not_found");
    assert!(assets(&app, &format!("po_id={po_id}")).await.is_empty());

    let r1 = received(
        &app,
        po_id,
        "2026-04-01",
        &[(laptop_line, "2"), (dock_line, "3")],
    )
    .await;
    let r1_id = id_of(&r1);
    assert_eq!(
        strings(&r1["asset_tags"]),
        ["AST-2026-000001", "AST-2026-000002"]
    );
    let r2 = received(&app, po_id, "2026-04-02", &[(dock_line, "2")]).await;
    assert_eq!(s(&read_po(&app, po_id).await["status"]), "received");
    let over = receive(&app, Procurement, po_id, "2026-04-02", &[(dock_line, "1")])
        .await
        .expect_problem(409, "over_receipt");
    assert_eq!(s(&over.body["context"]["received"]), "5");

    // Returning the first receipt reverses it and disposes of its pending laptops.
    let returned = return_receipt(&app, r1_id, "Damaged in transit", "2026-04-03")
        .await
        .expect(201);
    let ret = returned.body.clone();
    assert_eq!(
        returned.header("location"),
        Some(format!("/api/v1/receipts/{}", id_of(&ret)).as_str())
    );
    assert_eq!(
        (
            s(&ret["number"]),
            s(&ret["kind"]),
            s(&ret["received_on"]),
            s(&ret["note"])
        ),
        (
            "RT-2026-000001",
            "return",
            "2026-04-03",
            "Damaged in transit"
        )
    );
    assert_eq!(ret["reverses_receipt_id"], json!(r1_id));
    assert_eq!(
        ret["lines"],
        json!([{"po_line_id": laptop_line, "quantity": "-2"}, {"po_line_id": dock_line, "quantity": "-3"}])
    );
    let r1_now = app
        .get(&format!("/api/v1/receipts/{r1_id}"), Viewer)
        .await
        .expect(200)
        .body;
    assert_eq!(r1_now["returned_by_receipt_id"], json!(id_of(&ret)));
    let now = read_po(&app, po_id).await;
    assert_eq!(column(&now["lines"], "quantity_received"), ["0", "2"]);
    assert_eq!(s(&now["status"]), "partially_received");
    let gone = assets(&app, &format!("receipt_id={r1_id}")).await;
    assert_eq!(column(&json!(gone), "status"), ["disposed", "disposed"]);
    assert_eq!(gone[0]["allowed_statuses"], json!([]));
    let events = app
        .get(&format!("{ASSETS}/{}/events", id_of(&gone[0])), Viewer)
        .await
        .expect(200)
        .body;
    assert_eq!(column(&events, "kind"), ["created", "status"]);
    assert_eq!(
        (
            s(&events[1]["from_status"]),
            s(&events[1]["to_status"]),
            s(&events[1]["note"])
        ),
        ("pending", "disposed", "returned to the vendor")
    );

    return_receipt(&app, r1_id, "Again", "2026-04-04")
        .await
        .expect_problem(409, "already_returned");
    return_receipt(&app, id_of(&ret), "Undo", "2026-04-04")
        .await
        .expect_problem(409, "invalid_transition");
    return_receipt(&app, id_of(&r2), "  ", "2026-04-04")
        .await
        .expect_invalid("reason");
    return_receipt(&app, 999_999, "Nothing", "2026-04-04")
        .await
        .expect_problem(404, "not_found");

    // A receipt whose laptop went into service is not returned.
    let r3 = received(&app, po_id, "2026-04-05", &[(laptop_line, "1")]).await;
    assert_eq!(strings(&r3["asset_tags"]), ["AST-2026-000003"]);
    let laptop = assets(&app, &format!("receipt_id={}", id_of(&r3))).await[0].clone();
    into_service(&app, &laptop, "LT-1", "2026-04-06").await;
    let refused = return_receipt(&app, id_of(&r3), "Wrong model", "2026-04-07")
        .await
        .expect_problem(409, "asset_in_use");
    assert!(
        s(&refused.body["detail"]).contains("AST-2026-000003"),
        "{}",
        refused.text
    );
    assert_eq!(
        column(&read_po(&app, po_id).await["lines"], "quantity_received"),
        ["1", "2"]
    );
    assert_eq!(
        s(&asset(&app, id_of(&laptop)).await["status"]),
        "in_service"
    );

    // Nor one whose goods are invoiced.
    let inv = record(
        &app,
        &invoice(
            f.vendor,
            "RET-1",
            "2026-04-10",
            vec![bill(dock_line, "2", "4.00")],
        ),
    )
    .await;
    assert_eq!(s(&inv["status"]), "matched", "{inv}");
    approve_invoice(&app, &inv).await;
    return_receipt(&app, id_of(&r2), "Surplus", "2026-04-11")
        .await
        .expect_problem(409, "return_below_invoiced");
    let now = read_po(&app, po_id).await;
    assert_eq!(column(&now["lines"], "quantity_received"), ["1", "2"]);
    assert_eq!(column(&now["lines"], "quantity_invoiced"), ["0", "2"]);
    let all = app
        .get(&format!("{POS}/{po_id}/receipts"), Viewer)
        .await
        .expect(200)
        .body;
    assert_eq!(
        column(&all, "kind"),
        ["receipt", "receipt", "return", "receipt"]
    );
}

async fn invoices_match_within_tolerances(app: TestApp) {
    let f = fixture(&app, "MATCH", None, "100000.00").await;
    let shipped = app.get(TOLERANCES, Viewer).await.expect(200).body;
    assert_eq!(
        shipped,
        json!([{
            "level": "global", "vendor_id": null, "contract_id": null, "price_percent": "2",
            "price_absolute": null, "quantity_percent": null, "quantity_absolute": null,
            "updated_by": null, "updated_at": null
        }])
    );
    let po = issued(
        &app,
        &order(
            &f,
            "EUR",
            "2026-03-15",
            vec![line("10", "100.00", None, f.budget_line)],
        ),
    )
    .await;
    let po_id = id_of(&po);
    let l = line_ids(&po)[0];
    received(&app, po_id, "2026-04-01", &[(l, "4")]).await;

    // Exactly 2 % over the PO price passes; one cent more is held.
    let a = record(
        &app,
        &invoice(f.vendor, "M-1", "2026-05-01", vec![bill(l, "1", "102.00")]),
    )
    .await;
    assert_eq!(s(&a["status"]), "matched", "{a}");
    assert_eq!(
        a["lines"][0]["match"],
        json!({"basis": "three_way", "tolerance_level": "global", "price_variance": "2",
               "quantity_variance": "0", "total_variance": "2", "holds": []})
    );
    let b = record(
        &app,
        &invoice(f.vendor, "M-2", "2026-05-01", vec![bill(l, "1", "102.01")]),
    )
    .await;
    assert_eq!(s(&b["status"]), "on_hold");
    assert_eq!(hold_codes(&b), ["price_over_tolerance"]);
    assert_eq!(b["hold_reasons"][0]["line_no"], json!(1));
    assert_eq!(b["lines"][0]["match"]["holds"], b["hold_reasons"]);
    assert_eq!(s(&b["lines"][0]["match"]["price_variance"]), "2.01");
    assert_eq!(strings(&b["allowed_actions"]), ["release", "reject"]);

    // Four received, two on invoices already (one held): three more are not received.
    let c = record(
        &app,
        &invoice(f.vendor, "M-3", "2026-05-01", vec![bill(l, "3", "100.00")]),
    )
    .await;
    assert_eq!(hold_codes(&c), ["quantity_not_received"], "{c}");
    assert_eq!(
        s(&c["hold_reasons"][0]["message"]),
        "Invoiced quantity 3 is more than the 2 received and not yet invoiced, beyond the quantity tolerance."
    );
    let m = &c["lines"][0]["match"];
    assert_eq!(
        (
            s(&m["price_variance"]),
            s(&m["quantity_variance"]),
            s(&m["total_variance"])
        ),
        ("0", "100", "100")
    );
    decide(&app, Admin, &c, "approve", json!({}))
        .await
        .expect_problem(409, "invalid_transition");
    decide(&app, Admin, &c, "reject", json!({}))
        .await
        .expect_invalid("reason");
    let c = decide(
        &app,
        Admin,
        &c,
        "reject",
        json!({"reason": "Only two delivered"}),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(
        (
            s(&c["status"]),
            s(&c["decided_by"]),
            s(&c["decision_reason"])
        ),
        ("rejected", "test-admin", "Only two delivered")
    );
    assert_eq!(c["allowed_actions"], json!([]));

    // A vendor tolerance replaces the global one as a whole: 5.00 per unit, no percentage.
    for role in [Procurement, Pm, Viewer] {
        app.put(
            TOLERANCES,
            role,
            &json!({"vendor_id": f.vendor, "price_absolute": "5.00"}),
        )
        .await
        .expect_problem(403, "forbidden");
    }
    app.put(TOLERANCES, Finance, &json!({"price_percent": "101"}))
        .await
        .expect_invalid("price_percent");
    app.put(
        TOLERANCES,
        Finance,
        &json!({"quantity_absolute": "-1", "price_absolute": "0.0000001"}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.put(
        TOLERANCES,
        Finance,
        &json!({"vendor_id": f.vendor, "contract_id": 1, "price_percent": "1"}),
    )
    .await
    .expect_invalid("contract_id");
    let list = app
        .put(
            TOLERANCES,
            Finance,
            &json!({"vendor_id": f.vendor, "price_absolute": "5.00"}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
    assert_eq!(list[0]["level"], json!("global"));
    let vendor_level = &list[1];
    assert_eq!(
        (
            s(&vendor_level["level"]),
            vendor_level["vendor_id"].as_i64(),
            s(&vendor_level["price_absolute"]),
            s(&vendor_level["updated_by"])
        ),
        ("vendor", Some(f.vendor), "5", "test-finance")
    );
    assert!(vendor_level["price_percent"].is_null(), "{vendor_level}");
    assert_eq!(app.get(TOLERANCES, Viewer).await.expect(200).body, list);

    let at_limit = record(
        &app,
        &invoice(f.vendor, "M-4", "2026-05-01", vec![bill(l, "1", "105.00")]),
    )
    .await;
    assert_eq!(s(&at_limit["status"]), "matched", "{at_limit}");
    assert_eq!(
        s(&at_limit["lines"][0]["match"]["tolerance_level"]),
        "vendor"
    );
    let beyond = record(
        &app,
        &invoice(f.vendor, "M-5", "2026-05-01", vec![bill(l, "1", "105.01")]),
    )
    .await;
    assert_eq!(hold_codes(&beyond), ["price_over_tolerance"]);

    // A contract tolerance beats the vendor's.
    let contract = app
        .post(
            "/api/v1/contracts",
            Procurement,
            &json!({
                "vendor_id": f.vendor, "title": "Spares", "contract_type": "framework",
                "currency": "EUR", "ceiling": "50000.00", "start_date": "2026-01-01",
                "initial_term_months": 24, "renewal": {"kind": "none"},
                "notice": {"unit": "days", "value": 0}, "project_ids": [f.project]
            }),
        )
        .await
        .expect(201)
        .body;
    let contract_id = id_of(&contract);
    app.post(
        &format!("/api/v1/contracts/{contract_id}/activate"),
        Procurement,
        &json!({"version": 1}),
    )
    .await
    .expect(200);
    let mut under = order(
        &f,
        "EUR",
        "2026-03-20",
        vec![line("5", "100.00", None, f.budget_line)],
    );
    under["contract_id"] = json!(contract_id);
    let contract_po = issued(&app, &under).await;
    let cl = line_ids(&contract_po)[0];
    received(&app, id_of(&contract_po), "2026-04-01", &[(cl, "2")]).await;
    app.put(
        TOLERANCES,
        Admin,
        &json!({"contract_id": contract_id, "price_percent": "10"}),
    )
    .await
    .expect(200);
    let g = record(
        &app,
        &invoice(f.vendor, "M-6", "2026-05-01", vec![bill(cl, "1", "110.00")]),
    )
    .await;
    assert_eq!(s(&g["status"]), "matched", "{g}");
    assert_eq!(s(&g["lines"][0]["match"]["tolerance_level"]), "contract");
    let h = record(
        &app,
        &invoice(f.vendor, "M-7", "2026-05-01", vec![bill(cl, "1", "110.01")]),
    )
    .await;
    assert_eq!(hold_codes(&h), ["price_over_tolerance"]);
    // The vendor's own order still uses the vendor tolerance.
    assert_eq!(
        s(&record(
            &app,
            &invoice(
                f.vendor,
                "M-8",
                "2026-05-01",
                vec![bill(l, "0.5", "104.00")]
            )
        )
        .await["lines"][0]["match"]["tolerance_level"]),
        "vendor"
    );

    // Release a hold with a reason, then approve.
    decide(&app, Finance, &b, "release", json!({}))
        .await
        .expect_invalid("reason");
    let b = decide(
        &app,
        Finance,
        &b,
        "release",
        json!({"reason": "Price rise agreed by phone"}),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(
        (
            s(&b["status"]),
            s(&b["decided_by"]),
            s(&b["decision_reason"])
        ),
        ("matched", "test-finance", "Price rise agreed by phone")
    );
    assert_eq!(
        hold_codes(&b),
        ["price_over_tolerance"],
        "the reasons it was held stay visible"
    );
    decide(&app, Finance, &b, "approve", json!({}))
        .await
        .expect_problem(403, "segregation_of_duties");
    let b = approve_invoice(&app, &b).await;
    approve_invoice(&app, &a).await;
    let now = read_po(&app, po_id).await;
    assert_eq!(s(&now["lines"][0]["quantity_invoiced"]), "2");
    // 1000.00 less 2 × 100.00 at the PO price, whatever the invoices charged.
    assert_eq!(s(&now["committed"]), "800.00");
    assert_eq!(
        actual(&app, f.budget_line).await,
        "204.01",
        "actuals are the invoiced amounts"
    );
    decide(&app, Admin, &b, "release", json!({"reason": "again"}))
        .await
        .expect_problem(409, "invalid_transition");
}

async fn duplicate_numbers_are_refused_and_same_totals_held(app: TestApp) {
    let f = fixture(&app, "DUP", None, "100000.00").await;
    let po = issued(
        &app,
        &order(
            &f,
            "EUR",
            "2026-03-15",
            vec![line("100", "10.00", None, f.budget_line)],
        ),
    )
    .await;
    let l = line_ids(&po)[0];
    received(&app, id_of(&po), "2026-04-01", &[(l, "100")]).await;
    let one = |number: &str, date: &str, quantity: &str| {
        invoice(f.vendor, number, date, vec![bill(l, quantity, "10.00")])
    };

    let first = record(&app, &one("INV-0042", "2026-05-01", "1")).await;
    assert_eq!(s(&first["status"]), "matched", "{first}");
    assert_eq!(s(&first["normalised_number"]), "inv42");
    for spelling in ["inv 42", "Inv.042", "INV 0042", "inv-00042", "INV0042"] {
        let refused = app
            .post(INVOICES, Finance, &one(spelling, "2026-06-30", "2"))
            .await
            .expect_problem(409, "duplicate_invoice");
        assert_eq!(
            refused.body["context"],
            json!({"earlier_invoice_id": id_of(&first), "earlier_number": "INV-0042", "normalised_number": "inv42"}),
            "{spelling}"
        );
        assert!(
            s(&refused.body["detail"]).contains("INV-0042"),
            "{}",
            refused.text
        );
    }
    app.post(INVOICES, Finance, &one("INV-420", "2026-06-30", "2"))
        .await
        .expect(201);
    // Another vendor may use the same number.
    let other = fixture(&app, "DUP2", None, "1000.00").await;
    let theirs = record(
        &app,
        &invoice(
            other.vendor,
            "INV-0042",
            "2026-05-01",
            vec![
                json!({"budget_line_id": other.budget_line, "description": "Consulting",
                        "quantity": "1", "unit_price": "10.00"}),
            ],
        ),
    )
    .await;
    assert_eq!(hold_codes(&theirs), ["no_reference"]);

    // Same vendor and total: 8 days apart is not held, 7 days apart is.
    let later = record(&app, &one("INV-0050", "2026-05-09", "1")).await;
    assert_eq!(s(&later["status"]), "matched", "{later}");
    let between = record(&app, &one("INV-0043", "2026-05-08", "1")).await;
    assert_eq!(s(&between["status"]), "on_hold");
    assert_eq!(
        hold_codes(&between),
        ["suspected_duplicate", "suspected_duplicate"]
    );
    let holds = between["hold_reasons"].as_array().unwrap();
    assert!(holds.iter().all(|h| h["line_no"].is_null()), "{between}");
    assert!(
        s(&holds[0]["message"]).contains("INV-0042")
            && s(&holds[1]["message"]).contains("INV-0050"),
        "{between}"
    );
    // Another total the same day is not a suspect.
    let bigger = record(&app, &one("INV-0044", "2026-05-08", "2")).await;
    assert_eq!(s(&bigger["status"]), "matched", "{bigger}");
    // Rejected invoices are no longer suspects (but keep their number).
    decide(
        &app,
        Admin,
        &between,
        "reject",
        json!({"reason": "Duplicate of INV-0042"}),
    )
    .await
    .expect(200);
    let again = record(&app, &one("INV-0046", "2026-05-08", "1")).await;
    let messages = column(&again["hold_reasons"], "message");
    assert_eq!(messages.len(), 2, "{again}");
    assert!(
        messages.iter().all(|m| !m.contains("INV-0043")),
        "{messages:?}"
    );
    app.post(INVOICES, Finance, &one("inv 43", "2026-05-08", "3"))
        .await
        .expect_problem(409, "duplicate_invoice");
}

async fn pending_invoices_count_against_received_goods(app: TestApp) {
    let f = fixture(&app, "PEND", None, "100000.00").await;
    let po = issued(
        &app,
        &order(
            &f,
            "EUR",
            "2026-03-15",
            vec![line("5", "20.00", None, f.budget_line)],
        ),
    )
    .await;
    let po_id = id_of(&po);
    let l = line_ids(&po)[0];
    let r1 = received(&app, po_id, "2026-04-01", &[(l, "3")]).await;

    let first = record(
        &app,
        &invoice(f.vendor, "P-1", "2026-05-01", vec![bill(l, "3", "20.00")]),
    )
    .await;
    assert_eq!(s(&first["status"]), "matched");
    let second = record(
        &app,
        &invoice(f.vendor, "P-2", "2026-05-20", vec![bill(l, "2", "20.00")]),
    )
    .await;
    assert_eq!(
        second["hold_reasons"],
        json!([{"line_no": 1, "code": "quantity_not_received",
                "message": "Invoiced quantity 2 is more than the 0 received and not yet invoiced, beyond the quantity tolerance."}])
    );
    assert_eq!(
        s(&read_po(&app, po_id).await["lines"][0]["quantity_invoiced"]),
        "0",
        "pending invoices invoice nothing yet"
    );

    // Rejected invoices free the goods.
    for inv in [&first, &second] {
        decide(&app, Admin, inv, "reject", json!({"reason": "Wrong"}))
            .await
            .expect(200);
    }
    let third = record(
        &app,
        &invoice(f.vendor, "P-3", "2026-05-21", vec![bill(l, "3", "20.00")]),
    )
    .await;
    assert_eq!(s(&third["status"]), "matched", "{third}");

    // The match is checked again at approval: goods returned meanwhile are not approved.
    return_receipt(&app, id_of(&r1), "Faulty", "2026-05-22")
        .await
        .expect(201);
    let refused = decide(&app, Admin, &third, "approve", json!({}))
        .await
        .expect_problem(409, "match_failed");
    assert_eq!(
        column(&refused.body["context"]["holds"], "code"),
        ["quantity_not_received"]
    );
    let now = read_po(&app, po_id).await;
    assert_eq!(s(&now["lines"][0]["quantity_invoiced"]), "0");
    assert_eq!(s(&now["committed"]), "100.00");
    assert_eq!(actual(&app, f.budget_line).await, "0.00");

    received(&app, po_id, "2026-05-25", &[(l, "3")]).await;
    approve_invoice(&app, &third).await;
    let now = read_po(&app, po_id).await;
    assert_eq!(s(&now["lines"][0]["quantity_invoiced"]), "3");
    assert_eq!(s(&now["committed"]), "40.00");

    // Lines of one invoice count against each other: two remain received (and ordered), not four.
    received(&app, po_id, "2026-05-26", &[(l, "2")]).await;
    let split = record(
        &app,
        &invoice(
            f.vendor,
            "P-4",
            "2026-06-15",
            vec![bill(l, "2", "20.00"), bill(l, "2", "20.00")],
        ),
    )
    .await;
    assert_eq!(
        (s(&split["status"]), hold_codes(&split)),
        (
            "on_hold",
            vec![
                "quantity_not_received".to_string(),
                "quantity_over_ordered".to_string()
            ]
        ),
        "two lines billing 2 + 2 of the 2 received (and ordered) and not invoiced: {split}"
    );
    assert_eq!(split["hold_reasons"][0]["line_no"], json!(2));
}

async fn credit_memos_reduce_actuals_not_commitments(app: TestApp) {
    let f = fixture(&app, "CRED", None, "100000.00").await;
    let po = issued(
        &app,
        &order(
            &f,
            "EUR",
            "2026-03-15",
            vec![line("4", "250.00", None, f.budget_line)],
        ),
    )
    .await;
    let po_id = id_of(&po);
    let l = line_ids(&po)[0];
    received(&app, po_id, "2026-04-01", &[(l, "4")]).await;
    let original = record(
        &app,
        &invoice(f.vendor, "C-1", "2026-05-01", vec![bill(l, "2", "250.00")]),
    )
    .await;
    let original = approve_invoice(&app, &original).await;
    assert_eq!(s(&read_po(&app, po_id).await["committed"]), "500.00");
    assert_eq!(actual(&app, f.budget_line).await, "500.00");

    // Only an approved invoice of the same vendor is credited.
    let pending = record(
        &app,
        &invoice(f.vendor, "C-2", "2026-05-20", vec![bill(l, "1", "250.00")]),
    )
    .await;
    app.post(
        INVOICES,
        Finance,
        &credit_memo(
            f.vendor,
            id_of(&pending),
            "CM-0",
            "2026-05-21",
            vec![bill(l, "1", "250.00")],
        ),
    )
    .await
    .expect_problem(409, "invoice_not_approved");
    let other = fixture(&app, "CRED2", None, "1000.00").await;
    app.post(
        INVOICES,
        Finance,
        &credit_memo(
            other.vendor,
            id_of(&original),
            "CM-0",
            "2026-05-21",
            vec![
                json!({"budget_line_id": other.budget_line, "description": "Refund",
                        "quantity": "1", "unit_price": "1.00"}),
            ],
        ),
    )
    .await
    .expect_invalid("original_invoice_id");
    let mut not_a_memo = invoice(f.vendor, "CM-0", "2026-05-21", vec![bill(l, "1", "1.00")]);
    not_a_memo["original_invoice_id"] = json!(id_of(&original));
    app.post(INVOICES, Finance, &not_a_memo)
        .await
        .expect_invalid("original_invoice_id");
    app.post(
        INVOICES,
        Finance,
        &credit_memo(
            f.vendor,
            id_of(&original),
            "CM-0",
            "2026-05-21",
            vec![bill(l, "-1", "250.00")],
        ),
    )
    .await
    .expect_invalid("lines[0].quantity");

    // Positive quantities and prices, negative amounts, not matched.
    let memo = record(
        &app,
        &credit_memo(
            f.vendor,
            id_of(&original),
            "CM-1",
            "2026-05-05",
            vec![bill(l, "1", "250.00")],
        ),
    )
    .await;
    assert_eq!(
        (
            s(&memo["kind"]),
            s(&memo["status"]),
            s(&memo["net_total"]),
            s(&memo["tax_total"]),
            s(&memo["total"])
        ),
        ("credit_memo", "matched", "-250.00", "0.00", "-250.00"),
        "{memo}"
    );
    assert_eq!(memo["original_invoice_id"], json!(id_of(&original)));
    let ml = &memo["lines"][0];
    assert_eq!(
        (
            s(&ml["quantity"]),
            s(&ml["unit_price"]),
            s(&ml["net_amount"]),
            s(&ml["net_amount_budget"])
        ),
        ("1", "250", "-250.00", "-250.00")
    );
    assert_eq!(
        ml["match"],
        json!({"basis": "none", "tolerance_level": null, "price_variance": "0",
               "quantity_variance": "0", "total_variance": "0", "holds": []})
    );

    // Not beyond the original, counting the other credits.
    let beyond = app
        .post(
            INVOICES,
            Finance,
            &credit_memo(
                f.vendor,
                id_of(&original),
                "CM-2",
                "2026-05-06",
                vec![bill(l, "1", "250.01")],
            ),
        )
        .await
        .expect_problem(409, "credit_exceeds_invoice");
    assert!(
        s(&beyond.body["detail"]).contains("500.00"),
        "{}",
        beyond.text
    );

    let memo = approve_invoice(&app, &memo).await;
    let now = read_po(&app, po_id).await;
    assert_eq!(
        (
            s(&now["committed"]),
            s(&now["lines"][0]["quantity_invoiced"])
        ),
        ("500.00", "2"),
        "a credit memo leaves the commitment and the invoiced quantity"
    );
    assert_eq!(actual(&app, f.budget_line).await, "250.00");
    pay(&app, &memo, "250.00", "2026-05-10", "REFUND")
        .await
        .expect_problem(409, "invalid_transition");
    pay(&app, &memo, "-250.00", "2026-05-10", "REFUND")
        .await
        .expect_problem(409, "invalid_transition");

    // The rest of the original may be credited, exactly, and no more.
    let rest = record(
        &app,
        &credit_memo(
            f.vendor,
            id_of(&original),
            "CM-3",
            "2026-05-20",
            vec![bill(l, "1", "250.00")],
        ),
    )
    .await;
    assert_eq!(s(&rest["status"]), "matched", "{rest}");
    app.post(
        INVOICES,
        Finance,
        &credit_memo(
            f.vendor,
            id_of(&original),
            "CM-4",
            "2026-06-20",
            vec![bill(l, "1", "0.01")],
        ),
    )
    .await
    .expect_problem(409, "credit_exceeds_invoice");
    let listed = app
        .list_all(
            &format!("{INVOICES}?vendor_id={}&kind=credit_memo", f.vendor),
            Viewer,
        )
        .await;
    assert_eq!(column(&json!(listed), "number"), ["CM-1", "CM-3"]);

    let read = app
        .get(&format!("{INVOICES}/{}", id_of(&memo)), Viewer)
        .await
        .expect(200)
        .body;
    assert_eq!(s(&read["paid_total"]), "0.00");
    assert!(
        !strings(&read["allowed_actions"]).contains(&"pay".to_string()),
        "a credit memo is applied, not paid, so `pay` is not offered: {read}"
    );
    // A credit memo names the approved invoice it credits.
    let mut orphan = credit_memo(
        f.vendor,
        0,
        "CM-ORPHAN",
        "2026-07-21",
        vec![bill(l, "1", "250.00")],
    );
    orphan
        .as_object_mut()
        .unwrap()
        .remove("original_invoice_id");
    let orphan = app.post(INVOICES, Finance, &orphan).await;
    assert_eq!(
        orphan.status.as_u16(),
        422,
        "a credit memo must name the approved invoice it credits: {}",
        orphan.text
    );
}

async fn overdue_lines_per_vendor_as_of_a_day(app: TestApp) {
    let a = fixture(&app, "LATEA", None, "100000.00").await;
    let b = fixture(&app, "LATEB", None, "100000.00").await;
    let po_a = issued(
        &app,
        &order(
            &a,
            "EUR",
            "2026-03-15",
            vec![
                promised(
                    described(line("10", "1.00", None, a.budget_line), "Toner"),
                    "2026-04-10",
                ),
                promised(line("2", "1.00", None, a.budget_line), "2026-04-20"),
                promised(
                    described(line("1", "1.00", None, a.budget_line), "Drum"),
                    "2026-05-01",
                ),
                line("1", "1.00", None, a.budget_line),
            ],
        ),
    )
    .await;
    let ids_a = line_ids(&po_a);
    received(
        &app,
        id_of(&po_a),
        "2026-04-09",
        &[(ids_a[0], "4"), (ids_a[1], "2")],
    )
    .await;
    // Approved, not yet issued: still expected.
    let po_b = approved(
        &app,
        &order(
            &b,
            "EUR",
            "2026-03-15",
            vec![promised(
                described(line("3", "1.00", None, b.budget_line), "Cable"),
                "2026-04-05",
            )],
        ),
    )
    .await;
    // Drafts and closed orders expect nothing.
    raise(
        &app,
        Procurement,
        &order(
            &a,
            "EUR",
            "2026-03-15",
            vec![promised(
                line("1", "1.00", None, a.budget_line),
                "2026-01-01",
            )],
        ),
    )
    .await;
    let closing = issued(
        &app,
        &order(
            &a,
            "EUR",
            "2026-03-15",
            vec![promised(
                line("1", "1.00", None, a.budget_line),
                "2026-01-02",
            )],
        ),
    )
    .await;
    act(&app, Procurement, &closing, "close", json!({}))
        .await
        .expect(200);

    let late = |po: &Value,
                index: usize,
                promised: &str,
                ordered: &str,
                received: &str,
                outstanding: &str,
                days: i64| {
        let l = &po["lines"][index];
        json!({
            "po_id": po["id"], "po_number": po["number"], "po_line_id": l["id"],
            "line_no": l["line_no"], "description": l["description"], "promised_date": promised,
            "ordered": ordered, "received": received, "outstanding": outstanding,
            "days_late": days
        })
    };
    let report = |as_of: &str| {
        let app = &app;
        let path = format!("{POS}/overdue?as_of={as_of}");
        async move { app.get(&path, Viewer).await.expect(200).body }
    };
    assert_eq!(
        report("2026-04-15").await,
        json!([
            {"vendor_id": a.vendor, "lines": [late(&po_a, 0, "2026-04-10", "10", "4", "6", 5)]},
            {"vendor_id": b.vendor, "lines": [late(&po_b, 0, "2026-04-05", "3", "0", "3", 10)]}
        ])
    );
    // Promised on the day itself is not late yet.
    assert_eq!(
        report("2026-04-10").await,
        json!([{"vendor_id": b.vendor, "lines": [late(&po_b, 0, "2026-04-05", "3", "0", "3", 5)]}])
    );
    assert_eq!(report("2026-04-05").await, json!([]));
    assert_eq!(
        report("2026-05-02").await,
        json!([
            {"vendor_id": a.vendor, "lines": [
                late(&po_a, 0, "2026-04-10", "10", "4", "6", 22),
                late(&po_a, 2, "2026-05-01", "1", "0", "1", 1)
            ]},
            {"vendor_id": b.vendor, "lines": [late(&po_b, 0, "2026-04-05", "3", "0", "3", 27)]}
        ])
    );
    received(
        &app,
        id_of(&po_a),
        "2026-05-02",
        &[(ids_a[0], "5.5"), (ids_a[2], "1")],
    )
    .await;
    assert_eq!(
        report("2026-05-02").await[0],
        json!({"vendor_id": a.vendor, "lines": [late(&po_a, 0, "2026-04-10", "10", "9.5", "0.5", 22)]})
    );
    received(&app, id_of(&po_a), "2026-05-03", &[(ids_a[0], "0.5")]).await;
    assert_eq!(
        report("2026-05-02").await,
        json!([{"vendor_id": b.vendor, "lines": [late(&po_b, 0, "2026-04-05", "3", "0", "3", 27)]}])
    );
    app.get(&format!("{POS}/overdue?as_of=soon"), Viewer)
        .await
        .expect(400);
    app.get(&format!("{POS}/overdue"), Evaluator)
        .await
        .expect_problem(403, "forbidden");
}

async fn assets_by_tag_export_and_lifecycle(app: TestApp) {
    let f = fixture(&app, "CMDB", None, "100000.00").await;
    let po = issued(
        &app,
        &order(
            &f,
            "EUR",
            "2026-03-15",
            vec![described(
                asset_line("2", "1500.00", "switch", &f),
                "Switch, 48 \"ports\"",
            )],
        ),
    )
    .await;
    let po_id = id_of(&po);
    let po_line = line_ids(&po)[0];
    let receipt = received(&app, po_id, "2026-04-01", &[(po_line, "2")]).await;
    assert_eq!(
        strings(&receipt["asset_tags"]),
        ["AST-2026-000001", "AST-2026-000002"]
    );

    let by_tag = app
        .get(&format!("{ASSETS}/by-tag/AST-2026-000001"), Viewer)
        .await
        .expect(200);
    let first = by_tag.body.clone();
    assert_eq!(by_tag.header("etag"), Some("\"1\""));
    assert_eq!(asset(&app, id_of(&first)).await, first);
    assert_eq!(s(&first["description"]), "Switch, 48 \"ports\"");
    app.get(&format!("{ASSETS}/by-tag/AST-2026-999999"), Viewer)
        .await
        .expect_problem(404, "not_found");
    app.get(&format!("{ASSETS}/999999"), Viewer)
        .await
        .expect_problem(404, "not_found");

    // Serial alone is no event; a first location is a registration; a new one, a move.
    let a = register(&app, &first, json!({"serial_number": "=SN-1"}))
        .await
        .expect(200)
        .body;
    assert_eq!(a["version"], json!(2));
    let a = register(
        &app,
        &a,
        json!({"site": "DC-1", "room": "Hall A", "note": "Unboxed"}),
    )
    .await
    .expect(200)
    .body;
    let a = register(&app, &a, json!({"rack": "R12", "rack_unit": "U20-21"}))
        .await
        .expect(200)
        .body;
    assert_eq!(
        a["location"],
        json!({"site": "DC-1", "room": "Hall A", "rack": "R12", "rack_unit": "U20-21"})
    );
    register(&app, &first, json!({"room": "Hall B"}))
        .await
        .expect_problem(409, "version_conflict");
    app.patch(
        &format!("{ASSETS}/{}", id_of(&a)),
        Finance,
        &json!({"version": a["version"], "room": "Hall B"}),
    )
    .await
    .expect_problem(403, "forbidden");

    // The lifecycle refuses what it does not allow, naming what it does.
    let refused = transition(&app, &a, "retired", json!({}))
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(
        refused.body["context"],
        json!({"status": "pending", "allowed_statuses": ["in_service"]})
    );
    let mut a = transition(&app, &a, "in_service", json!({"date": "2026-06-01"}))
        .await
        .expect(200)
        .body;
    for to in ["in_repair", "in_service", "retired", "disposed"] {
        a = transition(&app, &a, to, json!({"note": format!("to {to}")}))
            .await
            .expect(200)
            .body;
        assert_eq!(s(&a["status"]), to);
    }
    assert_eq!(
        s(&a["in_service_date"]),
        "2026-06-01",
        "back from repair keeps the date"
    );
    let refused = transition(&app, &a, "in_service", json!({}))
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(refused.body["context"]["allowed_statuses"], json!([]));
    register(&app, &a, json!({"room": "Skip"}))
        .await
        .expect_problem(409, "invalid_transition");

    let events = app
        .get(&format!("{ASSETS}/{}/events", id_of(&a)), Viewer)
        .await
        .expect(200)
        .body;
    assert_eq!(
        column(&events, "kind"),
        [
            "created",
            "registered",
            "moved",
            "status",
            "status",
            "status",
            "status",
            "status"
        ]
    );
    let moves: Vec<(Value, Value)> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["from_status"].clone(), e["to_status"].clone()))
        .collect();
    assert_eq!(
        moves,
        [
            (json!(null), json!("pending")),
            (json!(null), json!(null)),
            (json!(null), json!(null)),
            (json!("pending"), json!("in_service")),
            (json!("in_service"), json!("in_repair")),
            (json!("in_repair"), json!("in_service")),
            (json!("in_service"), json!("retired")),
            (json!("retired"), json!("disposed")),
        ]
    );
    assert_eq!(
        events[1]["location"],
        json!({"site": "DC-1", "room": "Hall A", "rack": null, "rack_unit": null})
    );
    assert_eq!(s(&events[1]["note"]), "Unboxed");
    assert_eq!(s(&events[2]["location"]["rack"]), "R12");
    assert!(events
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["actor"] == "test-procurement"));

    // The CMDB export: a header, one row per asset, RFC 4180 quoting, no formulas.
    let export = app
        .get(&format!("{ASSETS}/export?format=csv"), Viewer)
        .await
        .expect(200);
    assert!(
        export.content_type().starts_with("text/csv"),
        "{}",
        export.content_type()
    );
    let header = "tag,status,category,description,serial_number,site,room,rack,rack_unit,\
                  in_service_date,cost,cost_currency,vendor_id,project_id,contract_id,po_id,\
                  po_line_id,invoice_line_id";
    let row_one = format!(
        "AST-2026-000001,disposed,switch,\"Switch, 48 \"\"ports\"\"\",'=SN-1,DC-1,Hall A,R12,\
         U20-21,2026-06-01,,EUR,{},{},,{po_id},{po_line},",
        f.vendor, f.project
    );
    let row_two = format!(
        "AST-2026-000002,pending,switch,\"Switch, 48 \"\"ports\"\"\",,,,,,,,EUR,{},{},,{po_id},\
         {po_line},",
        f.vendor, f.project
    );
    assert_eq!(
        export.text,
        format!("{header}\r\n{row_one}\r\n{row_two}\r\n")
    );
    let pending = app
        .get(&format!("{ASSETS}/export?status=pending"), Viewer)
        .await
        .expect(200);
    assert_eq!(pending.text, format!("{header}\r\n{row_two}\r\n"));
    // The same register as a workbook: an xlsx file (a zip archive) with the tags in it.
    let workbook = app
        .get(&format!("{ASSETS}/export?format=xlsx"), Viewer)
        .await
        .expect(200);
    assert_eq!(
        workbook.content_type(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(workbook.text.starts_with("PK"), "not a zip archive");
    app.get(&format!("{ASSETS}/export?format=pdf"), Viewer)
        .await
        .expect_problem(400, "invalid_query");
    app.get(&format!("{ASSETS}?format=csv"), Viewer)
        .await
        .expect_problem(400, "invalid_query");
    let paged = app
        .list_all(&format!("{ASSETS}?limit=1&category=switch"), Viewer)
        .await;
    assert_eq!(
        column(&json!(paged), "tag"),
        ["AST-2026-000001", "AST-2026-000002"]
    );

    // Both switches are billed: the one scrapped after use still cost its share.
    let inv = record(
        &app,
        &invoice(
            f.vendor,
            "SW-1",
            "2026-07-01",
            vec![bill(po_line, "2", "1500.00")],
        ),
    )
    .await;
    approve_invoice(&app, &inv).await;
    let costs: Vec<Value> = assets(&app, &format!("po_id={po_id}"))
        .await
        .iter()
        .map(|a| a["cost"].clone())
        .collect();
    assert_eq!(
        costs,
        [json!("1500.00"), json!("1500.00")],
        "an asset disposed of after use (not returned) keeps its acquisition cost"
    );
}

async fn milestone_lines_match_two_way(app: TestApp) {
    let f = fixture(&app, "MS", None, "100000.00").await;
    let elsewhere = fixture(&app, "MS2", None, "1000.00").await;
    let contract = app
        .post(
            "/api/v1/contracts",
            Procurement,
            &json!({
                "vendor_id": f.vendor, "title": "Integration", "contract_type": "framework",
                "currency": "EUR", "ceiling": "50000.00", "start_date": "2026-01-01",
                "initial_term_months": 24, "renewal": {"kind": "none"},
                "notice": {"unit": "days", "value": 0}, "project_ids": [f.project]
            }),
        )
        .await
        .expect(201)
        .body;
    let contract_id = id_of(&contract);
    app.post(
        &format!("/api/v1/contracts/{contract_id}/activate"),
        Procurement,
        &json!({"version": 1}),
    )
    .await
    .expect(200);
    let milestone = |name: &str, amount: &str| {
        json!({"name": name, "amount": amount, "due_date": "2026-09-30",
               "acceptance_criteria": "Signed off"})
    };
    let sow = app
        .post(
            &format!("/api/v1/contracts/{contract_id}/sows"),
            Procurement,
            &json!({"project_id": f.project, "title": "Roll-out", "value": "35000.00",
                    "deliverables": ["Design", "Build", "Support"],
                    "milestones": [milestone("Design", "10000.00"), milestone("Build", "20000.00"),
                                   milestone("Support", "5000.00")]}),
        )
        .await
        .expect(201)
        .body;
    let [design, build, support] = line_ids(&json!({"lines": sow["milestones"]}))[..] else {
        panic!("three milestones expected: {sow}")
    };
    let accept = |id: i64| {
        let app = &app;
        async move {
            app.post(
                &format!("/api/v1/milestones/{id}/submit"),
                Procurement,
                &json!({"version": 1}),
            )
            .await
            .expect(200);
            app.post(
                &format!("/api/v1/milestones/{id}/accept"),
                Pm,
                &json!({"version": 2}),
            )
            .await
            .expect(200);
        }
    };
    let bill_milestone = |id: i64, amount: &str, budget_line: Option<i64>| {
        let mut line = json!({"milestone_id": id, "quantity": "1", "unit_price": amount});
        if let Some(b) = budget_line {
            line["budget_line_id"] = json!(b);
        }
        line
    };
    let ms_invoice =
        |number: &str, line: Value| invoice(f.vendor, number, "2026-06-01", vec![line]);

    // The budget line is named, and is the SOW project's; a line bills one thing.
    app.post(
        INVOICES,
        Finance,
        &ms_invoice("MS-0", bill_milestone(design, "10000.00", None)),
    )
    .await
    .expect_invalid("lines[0].budget_line_id");
    app.post(
        INVOICES,
        Finance,
        &ms_invoice(
            "MS-0",
            bill_milestone(design, "10000.00", Some(elsewhere.budget_line)),
        ),
    )
    .await
    .expect_invalid("lines[0].budget_line_id");
    let mut both = bill_milestone(design, "10000.00", Some(f.budget_line));
    both["po_line_id"] = json!(1);
    app.post(INVOICES, Finance, &ms_invoice("MS-0", both))
        .await
        .expect_invalid("lines[0].milestone_id");

    // Not accepted yet: held.
    let early = record(
        &app,
        &ms_invoice(
            "MS-1",
            bill_milestone(design, "10000.00", Some(f.budget_line)),
        ),
    )
    .await;
    assert_eq!(hold_codes(&early), ["milestone_not_accepted"], "{early}");
    assert_eq!(
        (
            s(&early["lines"][0]["match"]["basis"]),
            s(&early["lines"][0]["description"])
        ),
        ("two_way_milestone", "Design")
    );
    decide(
        &app,
        Admin,
        &early,
        "reject",
        json!({"reason": "Not accepted yet"}),
    )
    .await
    .expect(200);

    accept(design).await;
    let ok = record(
        &app,
        &ms_invoice(
            "MS-2",
            bill_milestone(design, "10000.00", Some(f.budget_line)),
        ),
    )
    .await;
    assert_eq!(s(&ok["status"]), "matched", "{ok}");
    assert_eq!(
        ok["lines"][0]["match"],
        json!({"basis": "two_way_milestone", "tolerance_level": "global", "price_variance": "0",
               "quantity_variance": "0", "total_variance": "0", "holds": []})
    );
    assert!(ok["lines"][0]["po_line_id"].is_null());
    assert_eq!(ok["lines"][0]["milestone_id"], json!(design));
    approve_invoice(&app, &ok).await;
    assert_eq!(actual(&app, f.budget_line).await, "10000.00");
    // Nothing is left on it.
    let again = record(
        &app,
        &ms_invoice("MS-3", bill_milestone(design, "1.00", Some(f.budget_line))),
    )
    .await;
    assert_eq!(hold_codes(&again), ["amount_over_milestone"]);

    // 2 % over the remaining amount passes; a cent more is held.
    accept(build).await;
    let beyond = record(
        &app,
        &ms_invoice(
            "MS-4",
            bill_milestone(build, "20400.01", Some(f.budget_line)),
        ),
    )
    .await;
    assert_eq!(hold_codes(&beyond), ["amount_over_milestone"]);
    assert_eq!(
        s(&beyond["hold_reasons"][0]["message"]),
        "Invoiced amount 20400.01 is 400.01 more than the 20000.00 remaining on the milestone, beyond the tolerance."
    );
    decide(&app, Admin, &beyond, "reject", json!({"reason": "Over"}))
        .await
        .expect(200);
    let at_limit = record(
        &app,
        &ms_invoice(
            "MS-5",
            bill_milestone(build, "20400.00", Some(f.budget_line)),
        ),
    )
    .await;
    assert_eq!(s(&at_limit["status"]), "matched", "{at_limit}");
    assert_eq!(s(&at_limit["lines"][0]["match"]["price_variance"]), "400");

    // A milestone is billed under its contract: the contract's tolerance applies.
    accept(support).await;
    app.put(
        TOLERANCES,
        Finance,
        &json!({"contract_id": contract_id, "price_percent": "10"}),
    )
    .await
    .expect(200);
    let under_contract = record(
        &app,
        &ms_invoice(
            "MS-6",
            bill_milestone(support, "5400.00", Some(f.budget_line)),
        ),
    )
    .await;
    assert_eq!(
        (
            s(&under_contract["status"]),
            s(&under_contract["lines"][0]["match"]["tolerance_level"])
        ),
        ("matched", "contract"),
        "8 % over a milestone of a contract whose tolerance is 10 %: {under_contract}"
    );
}

/// A small deterministic generator for the property-style run.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// The date of the `n`th invoice of the property run: eight days apart, so that no two are
/// suspected duplicates.
fn eight_days_apart(n: i64) -> String {
    (chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Duration::days(8 * n))
        .to_string()
}

/// What the test expects of one PO line.
struct Model {
    /// Ordered, in steps (whole units, or halves for the half-step line).
    ordered: u64,
    step: Decimal,
    price: Decimal,
    net_budget: Decimal,
    received: u64,
    invoiced: u64,
    pending: u64,
    released: Decimal,
}

fn quantity_text(steps: u64, step: Decimal) -> String {
    (Decimal::from(steps) * step).normalize().to_string()
}

/// Checks the PO against the model: quantities, each line's commitment, and that what is still
/// committed plus what was invoiced never exceeds the approved value plus the 2 % tolerance.
async fn check_po(app: &TestApp, po_id: i64, model: &[Model], invoiced: (Decimal, u32), at: &str) {
    let (invoiced_budget, invoices) = invoiced;
    let po = read_po(app, po_id).await;
    let mut sum = Decimal::ZERO;
    for (line, m) in po["lines"].as_array().unwrap().iter().zip(model) {
        assert_eq!(
            d(s(&line["quantity_received"])),
            Decimal::from(m.received) * m.step,
            "{at}: received {line}"
        );
        assert_eq!(
            d(s(&line["quantity_invoiced"])),
            Decimal::from(m.invoiced) * m.step,
            "{at}: invoiced {line}"
        );
        let expected = if m.invoiced >= m.ordered {
            Decimal::ZERO
        } else {
            (m.net_budget - m.released).max(Decimal::ZERO)
        };
        assert_eq!(
            s(&line["committed"]),
            eur(expected),
            "{at}: committed {line}"
        );
        sum += d(s(&line["committed"]));
    }
    assert_eq!(
        s(&po["committed"]),
        eur(sum),
        "{at}: the PO's committed sums its lines"
    );
    let approved_value = d(s(&po["net_total_budget"]));
    // Each invoice line is rounded on its own: a cent of slack per approved invoice.
    let bound = approved_value * d("1.02") + d("0.01") * Decimal::from(invoices);
    assert!(
        sum + invoiced_budget <= bound,
        "{at}: committed {sum} + invoiced {invoiced_budget} exceeds {approved_value} + 2 %"
    );
}

async fn commitments_and_actuals_never_exceed_the_order(app: TestApp) {
    let f = fixture(&app, "PROP", None, "100000.00").await;
    let specs = [
        ("7", "13.37", "1"),
        ("3", "333.333333", "1"),
        ("1.5", "19.99", "0.5"),
        ("12", "0.83", "1"),
    ];
    let mut number = 0;
    for seed in 1..=3u64 {
        let mut rng = Lcg(seed * 7919);
        let lines = specs
            .iter()
            .map(|(q, p, _)| line(q, p, None, f.budget_line))
            .collect();
        let po = issued(&app, &order(&f, "EUR", "2026-03-15", lines)).await;
        let po_id = id_of(&po);
        let ids = line_ids(&po);
        let mut model: Vec<Model> = specs
            .iter()
            .zip(po["lines"].as_array().unwrap())
            .map(|((q, p, step), l)| Model {
                ordered: (d(q) / d(step)).normalize().to_string().parse().unwrap(),
                step: d(step),
                price: d(p),
                net_budget: d(s(&l["net_amount_budget"])),
                received: 0,
                invoiced: 0,
                pending: 0,
                released: Decimal::ZERO,
            })
            .collect();
        let mut pending: Vec<(Value, usize, u64)> = Vec::new();
        let mut invoiced_budget = Decimal::ZERO;
        let mut approved_count: u32 = 0;
        for step in 0..16 {
            let at = format!("seed {seed}, step {step}");
            let i = rng.below(model.len() as u64) as usize;
            match rng.below(4) {
                0 | 1 => {
                    let m = &mut model[i];
                    if m.received == m.ordered {
                        continue;
                    }
                    let q = 1 + rng.below(m.ordered - m.received);
                    received(
                        &app,
                        po_id,
                        "2026-04-01",
                        &[(ids[i], &quantity_text(q, m.step))],
                    )
                    .await;
                    m.received += q;
                }
                2 => {
                    let m = &model[i];
                    let open = m.received - m.invoiced - m.pending;
                    if open == 0 {
                        continue;
                    }
                    let q = 1 + rng.below(open);
                    // At the PO price, 1 % over or exactly at the 2 % tolerance.
                    let uplift = [d("1"), d("1.01"), d("1.02")][rng.below(3) as usize];
                    let price = (m.price * uplift)
                        .round_dp_with_strategy(6, RoundingStrategy::ToZero)
                        .normalize();
                    number += 1;
                    let inv = record(
                        &app,
                        &invoice(
                            f.vendor,
                            &format!("PROP-{number}"),
                            &eight_days_apart(number),
                            vec![bill(ids[i], &quantity_text(q, m.step), &price.to_string())],
                        ),
                    )
                    .await;
                    assert_eq!(s(&inv["status"]), "matched", "{at}: {inv}");
                    model[i].pending += q;
                    pending.push((inv, i, q));
                }
                _ => {
                    if pending.is_empty() {
                        continue;
                    }
                    let (inv, i, q) = pending.remove(rng.below(pending.len() as u64) as usize);
                    let done = approve_invoice(&app, &inv).await;
                    invoiced_budget += d(s(&done["lines"][0]["net_amount_budget"]));
                    approved_count += 1;
                    let m = &mut model[i];
                    m.pending -= q;
                    m.invoiced += q;
                    let share = (m.net_budget * Decimal::from(q) / Decimal::from(m.ordered))
                        .round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven);
                    m.released = (m.released + share).min(m.net_budget);
                }
            }
            check_po(&app, po_id, &model, (invoiced_budget, approved_count), &at).await;
        }
        // Finish: approve what is pending; then either invoice everything or close.
        for (inv, i, q) in std::mem::take(&mut pending) {
            let done = approve_invoice(&app, &inv).await;
            invoiced_budget += d(s(&done["lines"][0]["net_amount_budget"]));
            approved_count += 1;
            let m = &mut model[i];
            m.pending -= q;
            m.invoiced += q;
            let share = (m.net_budget * Decimal::from(q) / Decimal::from(m.ordered))
                .round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven);
            m.released = (m.released + share).min(m.net_budget);
        }
        check_po(
            &app,
            po_id,
            &model,
            (invoiced_budget, approved_count),
            &format!("seed {seed}, pending approved"),
        )
        .await;
        if seed % 2 == 1 {
            for (i, m) in model.iter_mut().enumerate() {
                if m.received < m.ordered {
                    received(
                        &app,
                        po_id,
                        "2026-11-01",
                        &[(ids[i], &quantity_text(m.ordered - m.received, m.step))],
                    )
                    .await;
                    m.received = m.ordered;
                }
                if m.invoiced < m.ordered {
                    number += 1;
                    let inv = record(
                        &app,
                        &invoice(
                            f.vendor,
                            &format!("PROP-{number}"),
                            &eight_days_apart(number),
                            vec![bill(
                                ids[i],
                                &quantity_text(m.ordered - m.invoiced, m.step),
                                &m.price.to_string(),
                            )],
                        ),
                    )
                    .await;
                    assert_eq!(s(&inv["status"]), "matched", "seed {seed}: {inv}");
                    let done = approve_invoice(&app, &inv).await;
                    invoiced_budget += d(s(&done["lines"][0]["net_amount_budget"]));
                    approved_count += 1;
                    m.invoiced = m.ordered;
                }
            }
            check_po(
                &app,
                po_id,
                &model,
                (invoiced_budget, approved_count),
                &format!("seed {seed}, all invoiced"),
            )
            .await;
        } else {
            let po_now = read_po(&app, po_id).await;
            act(
                &app,
                Procurement,
                &po_now,
                "close",
                json!({"reason": "Done"}),
            )
            .await
            .expect(200);
            // A late invoice on the closed order is held.
            let target = model.iter().position(|m| m.received > m.invoiced);
            if let Some(i) = target {
                number += 1;
                let late = record(
                    &app,
                    &invoice(
                        f.vendor,
                        &format!("PROP-{number}"),
                        &eight_days_apart(number),
                        vec![bill(
                            ids[i],
                            &quantity_text(1, model[i].step),
                            &model[i].price.to_string(),
                        )],
                    ),
                )
                .await;
                assert!(
                    hold_codes(&late).contains(&"po_not_open".to_string()),
                    "{late}"
                );
            }
        }
        let po_now = read_po(&app, po_id).await;
        assert_eq!(s(&po_now["committed"]), "0.00", "seed {seed}: {po_now}");
        assert_eq!(
            column(&po_now["lines"], "committed"),
            ["0.00", "0.00", "0.00", "0.00"],
            "seed {seed}"
        );
    }
}

async fn contract_consumption_counts_open_orders_and_invoices(app: TestApp) {
    let f = fixture(&app, "CONS", None, "100000.00").await;
    let contract = app
        .post(
            "/api/v1/contracts",
            Procurement,
            &json!({
                "vendor_id": f.vendor, "title": "Racks", "contract_type": "framework",
                "currency": "EUR", "ceiling": "1000.00", "start_date": "2026-01-01",
                "initial_term_months": 24, "renewal": {"kind": "none"},
                "notice": {"unit": "days", "value": 0}, "project_ids": [f.project]
            }),
        )
        .await
        .expect(201)
        .body;
    let contract_id = id_of(&contract);
    app.post(
        &format!("/api/v1/contracts/{contract_id}/activate"),
        Procurement,
        &json!({"version": 1}),
    )
    .await
    .expect(200);
    let url = format!("/api/v1/contracts/{contract_id}/consumption");
    let fresh = app.get(&url, Viewer).await.expect(200).body;
    assert_eq!(
        (
            s(&fresh["committed"]),
            s(&fresh["invoiced"]),
            s(&fresh["remaining"])
        ),
        ("0.00", "0.00", "1000.00")
    );
    let mut body = order(
        &f,
        "EUR",
        "2026-03-15",
        vec![line("6", "100.00", None, f.budget_line)],
    );
    body["contract_id"] = json!(contract_id);
    let first = approved(&app, &body).await;
    let first_id = id_of(&first);
    let first = act(&app, Procurement, &first, "issue", json!({}))
        .await
        .expect(200)
        .body;
    let l = id_of(&first["lines"][0]);
    received(&app, first_id, "2026-03-20", &[(l, "2")]).await;
    let bill_two = record(
        &app,
        &invoice(f.vendor, "C-1", "2026-03-21", vec![bill(l, "2", "100.00")]),
    )
    .await;
    approve_invoice(&app, &bill_two).await;
    let used = app.get(&url, Viewer).await.expect(200).body;
    assert_eq!(s(&used["committed"]), "400.00", "{used}");
    assert_eq!(s(&used["invoiced"]), "200.00");
    assert_eq!(s(&used["consumed"]), "600.00");
    assert_eq!(s(&used["remaining"]), "400.00");
    assert_eq!(s(&used["consumed_percent"]), "60.00");

    // A second order of 500 would take the contract to 1100: refused with the figures.
    let mut second = order(
        &f,
        "EUR",
        "2026-03-22",
        vec![line("5", "100.00", None, f.budget_line)],
    );
    second["contract_id"] = json!(contract_id);
    let second = submitted(&app, &second).await;
    let refused = act(&app, Finance, &second, "approve", json!({}))
        .await
        .expect_problem(409, "budget_exceeded");
    let overrun = &refused.body["context"]["overruns"][0];
    assert_eq!(s(&overrun["committed"]), "600.00", "{}", refused.body);
    assert_eq!(s(&overrun["this_po"]), "500.00");
    assert_eq!(s(&overrun["over_by"]), "100.00");

    // Closing the first order releases its open 400; what was invoiced stays used.
    let first = read_po(&app, first_id).await;
    act(
        &app,
        Procurement,
        &first,
        "close",
        json!({"reason": "rest not needed"}),
    )
    .await
    .expect(200);
    let after_close = app.get(&url, Viewer).await.expect(200).body;
    assert_eq!(
        (s(&after_close["committed"]), s(&after_close["invoiced"])),
        ("0.00", "200.00")
    );
    let done = act(&app, Finance, &second, "approve", json!({}))
        .await
        .expect(200)
        .body;
    assert_eq!(s(&done["status"]), "approved");
    let end = app.get(&url, Viewer).await.expect(200).body;
    assert_eq!(s(&end["consumed"]), "700.00", "{end}");
    assert_eq!(s(&end["remaining"]), "300.00");
}

async fn the_ledger_adds_up_to_its_documents(app: TestApp) {
    let f = fixture(&app, "LEDG", None, "10000.00").await;
    let po = approved(
        &app,
        &order(
            &f,
            "EUR",
            "2026-03-15",
            vec![
                line("10", "100.00", None, f.budget_line),
                line("4", "250.00", None, f.budget_line),
            ],
        ),
    )
    .await;
    let po_id = id_of(&po);
    act(&app, Procurement, &po, "issue", json!({}))
        .await
        .expect(200);
    let a = id_of(&po["lines"][0]);
    received(&app, po_id, "2026-03-20", &[(a, "3")]).await;
    let bill = record(
        &app,
        &invoice(f.vendor, "L-1", "2026-03-25", vec![bill(a, "1", "100.00")]),
    )
    .await;
    approve_invoice(&app, &bill).await;

    let url = format!("/api/v1/projects/{}/ledger", f.project);
    let ledger = app.get(&url, Viewer).await.expect(200).body;
    let line = &ledger["lines"][0];
    assert_eq!(
        (
            s(&line["budget"]),
            s(&line["committed"]),
            s(&line["accrued"]),
            s(&line["actual"]),
            s(&line["remaining"]),
            s(&line["utilisation_percent"]),
        ),
        ("10000.00", "1900.00", "200.00", "100.00", "8000.00", "20.00"),
        "{ledger}"
    );
    assert_eq!(ledger["totals"], {
        let mut totals = line.clone();
        for key in [
            "budget_line_id",
            "category",
            "cost_center",
            "months",
            "pending_change_requests",
        ] {
            totals.as_object_mut().expect("object").remove(key);
        }
        totals
    });
    // By month: committed and accrued by the order date (no promised date), actual by the
    // invoice date; the months add up to the line.
    assert_eq!(ledger["months"], line["months"]);
    let months = line["months"].as_array().expect("months");
    let march = months
        .iter()
        .find(|m| m["month"] == "2026-03")
        .expect("March");
    assert_eq!(
        (
            s(&march["committed"]),
            s(&march["accrued"]),
            s(&march["actual"])
        ),
        ("1900.00", "200.00", "100.00")
    );
    for figure in ["budget", "committed", "accrued", "actual", "remaining"] {
        let sum: Decimal = months.iter().map(|m| d(s(&m[figure]))).sum();
        assert_eq!(sum, d(s(&line[figure])), "{figure}");
    }
    let drill = |figure: &str| format!("{url}?line={}&figure={figure}", f.budget_line);
    let committed = app.get(&drill("committed"), Viewer).await.expect(200).body;
    let documents = &committed["documents"];
    assert_eq!(s(&documents["total"]), "1900.00", "{committed}");
    let amounts: Vec<&str> = documents["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .map(|d| s(&d["amount"]))
        .collect();
    assert_eq!(amounts, ["900.00", "1000.00"]);
    let actual = app.get(&drill("actual"), Viewer).await.expect(200).body;
    assert_eq!(s(&actual["documents"]["total"]), "100.00");
    assert_eq!(
        s(&actual["documents"]["documents"][0]["kind"]),
        "invoice_line"
    );
    assert_eq!(s(&actual["documents"]["documents"][0]["number"]), "L-1");
    let accrued = app.get(&drill("accrued"), Viewer).await.expect(200).body;
    assert_eq!(s(&accrued["documents"]["documents"][0]["amount"]), "200.00");

    app.get(&format!("{url}?figure=actual"), Viewer)
        .await
        .expect_problem(400, "invalid_query");
    let other = fixture(&app, "LEDG-2", None, "10.00").await;
    app.get(
        &format!("{url}?line={}&figure=actual", other.budget_line),
        Viewer,
    )
    .await
    .expect_problem(400, "invalid_query");
}

async fn budget_thresholds_alert_once_per_crossing_and_re_arm(app: TestApp) {
    let f = fixture(&app, "THR", Some("warn"), "1000.00").await;
    let project_url = format!("/api/v1/projects/{}", f.project);
    let project = app.get(&project_url, Viewer).await.expect(200).body;
    app.patch(
        &project_url,
        Admin,
        &json!({"version": project["version"], "alert_thresholds": ["50", "100"],
                "pm_email": "pm@example.com"}),
    )
    .await
    .expect(200);
    let threshold_alerts = || async {
        let body = app
            .get(
                &format!(
                    "/api/v1/alerts?project_id={}&kind=budget_threshold",
                    f.project
                ),
                Admin,
            )
            .await
            .expect(200)
            .body;
        body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|a| s(&a["dedupe_key"]).to_string())
            .collect::<Vec<_>>()
    };
    // 60 %: the 50 % threshold is crossed, once.
    let first = approved(&app, &simple(&f, "600.00")).await;
    let p = f.project;
    assert_eq!(
        threshold_alerts().await,
        [format!("budget:{p}:actual_plus_committed:50:1")]
    );
    // 70 %: nothing new.
    approved(&app, &simple(&f, "100.00")).await;
    assert_eq!(threshold_alerts().await.len(), 1);
    // Closing the first order brings it to 10 %: re-armed, no alert.
    let first = read_po(&app, id_of(&first)).await;
    act(&app, Procurement, &first, "close", json!({}))
        .await
        .expect(200);
    assert_eq!(threshold_alerts().await.len(), 1);
    // 80 %: crossed again, a second alert; then 120 %: the 100 % threshold (warn policy).
    approved(&app, &simple(&f, "700.00")).await;
    approved(&app, &simple(&f, "400.00")).await;
    let alerts = threshold_alerts().await;
    assert_eq!(
        alerts,
        [
            format!("budget:{p}:actual_plus_committed:50:1"),
            format!("budget:{p}:actual_plus_committed:50:2"),
            format!("budget:{p}:actual_plus_committed:100:1"),
        ]
    );
    let listed = app
        .get(
            &format!("/api/v1/alerts?project_id={p}&kind=budget_threshold"),
            Admin,
        )
        .await
        .expect(200)
        .body;
    let last = &listed["items"][2];
    assert!(
        s(&last["subject"]).contains("has used 120.00% of its budget (threshold 100%)"),
        "{last}"
    );
    assert_eq!(last["recipients"], json!(["pm@example.com"]));
}

both_engines!(
    purchase_to_pay_end_to_end,
    approvers_never_receive_and_recorders_never_approve,
    over_receipts_are_refused_and_returns_reverse_receipts,
    invoices_match_within_tolerances,
    duplicate_numbers_are_refused_and_same_totals_held,
    pending_invoices_count_against_received_goods,
    credit_memos_reduce_actuals_not_commitments,
    overdue_lines_per_vendor_as_of_a_day,
    assets_by_tag_export_and_lifecycle,
    milestone_lines_match_two_way,
    commitments_and_actuals_never_exceed_the_order,
    contract_consumption_counts_open_orders_and_invoices,
    the_ledger_adds_up_to_its_documents,
    budget_thresholds_alert_once_per_crossing_and_re_arm,
);
