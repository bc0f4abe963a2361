//! The reports over HTTP: one seeded purchase-to-pay history (a late delivery, an open line past
//! due, an approved invoice, a held one, a suspected duplicate, an SLA credit, a second currency)
//! and every report's figures checked by hand, their totals against their rows, and each
//! workbook read back with calamine against its JSON.

use crate::helpers::{id_of, s, TestApp};
use crate::p2p_fixtures::{
    approve_invoice, bill, fixture, invoice, issued, line, order, received, record, Fixture,
};
use procura::auth::Role::{Evaluator, Procurement, Viewer};
use rust_decimal::Decimal;
use serde_json::{json, Value};

const REPORTS: &str = "/api/v1/reports";

fn d(text: &str) -> Decimal {
    text.parse()
        .unwrap_or_else(|e| panic!("{text:?} is not a decimal: {e}"))
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

/// The sum of one decimal field over a JSON array.
fn sum(items: &Value, field: &str) -> Decimal {
    items
        .as_array()
        .unwrap_or_else(|| panic!("expected an array, found {items}"))
        .iter()
        .map(|item| d(s(&item[field])))
        .sum()
}

/// What the seeded history is made of.
struct Seeded {
    f: Fixture,
    usd_project: i64,
    po_number: String,
    receipts: Vec<String>,
    held: i64,
    duplicate: i64,
    po: i64,
    l2: i64,
    gr2: i64,
    contract: i64,
    contract_number: String,
}

/// PO-1 (EUR) has three lines: L1 10 × 100.00 promised 2026-04-10, received in full on
/// 2026-04-08 (on time); L2 5 × 200.00 promised 2026-04-10, received 2 on 2026-04-08 and 3 on
/// 2026-04-15 (late); L3 2 × 50.00 promised 2026-04-20, 1 received on 2026-04-18 (open past due
/// on 2026-06-30). INV-A bills 4 of L1 at 100.00 (approved: actual 400.00); INV-B bills 1 of L2
/// at 210.00, 5 % over the price (held); INV-C bills 4 of L1 for 400.00 two days after INV-A
/// (held as a suspected duplicate). A USD project orders 1 × 250.00 from the same vendor,
/// received and invoiced (US-1, approved). Contract SLA: April 2026 at 99.5 % earns the 10 %
/// tier of a 12,000.00 fee (1,200.00 receivable); May at 99.995 % is met.
async fn seed(app: &TestApp) -> Seeded {
    let f = fixture(app, "RPT", None, "100000.00").await;
    let po = issued(
        app,
        &order(
            &f,
            "EUR",
            "2026-03-15",
            vec![
                promised(line("10", "100.00", None, f.budget_line), "2026-04-10"),
                promised(line("5", "200.00", None, f.budget_line), "2026-04-10"),
                promised(line("2", "50.00", None, f.budget_line), "2026-04-20"),
            ],
        ),
    )
    .await;
    let po_id = id_of(&po);
    let [l1, l2, l3] = line_ids(&po)[..] else {
        panic!("three lines expected in {po}")
    };
    let gr1 = received(app, po_id, "2026-04-08", &[(l1, "10"), (l2, "2")]).await;
    let gr2 = received(app, po_id, "2026-04-15", &[(l2, "3")]).await;
    let gr3 = received(app, po_id, "2026-04-18", &[(l3, "1")]).await;

    let a = record(
        app,
        &invoice(
            f.vendor,
            "INV-A",
            "2026-05-01",
            vec![bill(l1, "4", "100.00")],
        ),
    )
    .await;
    assert_eq!(s(&a["status"]), "matched", "{a}");
    approve_invoice(app, &a).await;
    let b = record(
        app,
        &invoice(
            f.vendor,
            "INV-B",
            "2026-05-02",
            vec![bill(l2, "1", "210.00")],
        ),
    )
    .await;
    assert_eq!(s(&b["status"]), "on_hold", "{b}");
    let c = record(
        app,
        &invoice(
            f.vendor,
            "INV-C",
            "2026-05-03",
            vec![bill(l1, "4", "100.00")],
        ),
    )
    .await;
    assert_eq!(s(&c["status"]), "on_hold", "{c}");
    assert_eq!(
        s(&c["hold_reasons"][0]["code"]),
        "suspected_duplicate",
        "{c}"
    );

    // The USD project, same vendor.
    let usd_project = id_of(
        &app.create_project(json!({
            "code": "RPTUSD", "name": "US rollout", "currency": "USD",
            "start_date": "2026-01-01", "end_date": "2027-12-31"
        }))
        .await,
    );
    let usd_line = id_of(
        &app.create_budget_line(json!({
            "project_id": usd_project, "category": "opex", "cost_center": "CC-US",
            "amount": "5000.00"
        }))
        .await,
    );
    let usd = Fixture {
        vendor: f.vendor,
        project: usd_project,
        budget_line: usd_line,
    };
    let po_usd = issued(
        app,
        &order(
            &usd,
            "USD",
            "2026-05-20",
            vec![line("1", "250.00", None, usd_line)],
        ),
    )
    .await;
    let lu = line_ids(&po_usd)[0];
    received(app, id_of(&po_usd), "2026-06-01", &[(lu, "1")]).await;
    let mut us1 = invoice(
        f.vendor,
        "US-1",
        "2026-06-10",
        vec![bill(lu, "1", "250.00")],
    );
    us1["currency"] = json!("USD");
    let us1 = record(app, &us1).await;
    approve_invoice(app, &us1).await;

    // The contract and its SLA (tiers of the Amazon Compute SLA, region level).
    let contract = app
        .post(
            "/api/v1/contracts",
            Procurement,
            &json!({
                "vendor_id": f.vendor, "project_ids": [f.project], "title": "Colocation",
                "contract_type": "framework",
                "currency": "EUR", "ceiling": "250000.00", "start_date": "2026-01-01",
                "initial_term_months": 12,
                "renewal": {"kind": "automatic", "term_months": 12, "max_renewals": 2},
                "notice": {"unit": "months", "value": 3}
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
    let sla = app
        .post(
            &format!("/api/v1/contracts/{contract_id}/slas"),
            Procurement,
            &json!({
                "name": "Power availability", "metric": "availability", "target": "99.99",
                "period_fee": "12000.00",
                "tiers": [
                    {"threshold": "99.99", "percent": "10"},
                    {"threshold": "99.0", "percent": "30"},
                    {"threshold": "95.0", "percent": "100"}
                ]
            }),
        )
        .await
        .expect(201)
        .body;
    let measurements = format!("/api/v1/slas/{}/measurements", id_of(&sla));
    let april = app
        .post(
            &measurements,
            Procurement,
            &json!({"period": "2026-04", "value": "99.5"}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(s(&april["credit"]), "1200.00", "{april}");
    app.post(
        &measurements,
        Procurement,
        &json!({"period": "2026-05", "value": "99.995"}),
    )
    .await
    .expect(201);

    Seeded {
        f,
        usd_project,
        po_number: s(&po["number"]).to_string(),
        receipts: [&gr1, &gr2, &gr3]
            .iter()
            .map(|r| s(&r["number"]).to_string())
            .collect(),
        held: id_of(&b),
        duplicate: id_of(&c),
        po: po_id,
        l2,
        gr2: id_of(&gr2),
        contract: contract_id,
        contract_number: s(&contract["number"]).to_string(),
    }
}

/// GETs a workbook as viewer: asserts the media type and the file name, opens it.
async fn workbook(app: &TestApp, path: &str) -> calamine::Xlsx<std::io::Cursor<Vec<u8>>> {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(app.token(Viewer))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    assert_eq!(response.status().as_u16(), 200, "GET {path}");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(
        header("content-type"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let disposition = header("content-disposition");
    assert!(
        disposition.starts_with("attachment; filename=\"") && disposition.ends_with(".xlsx\""),
        "{disposition}"
    );
    let bytes = response
        .bytes()
        .await
        .expect("the workbook's bytes")
        .to_vec();
    calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("an xlsx workbook")
}

fn sheet(
    book: &mut calamine::Xlsx<std::io::Cursor<Vec<u8>>>,
    name: &str,
) -> calamine::Range<calamine::Data> {
    use calamine::Reader;
    book.worksheet_range(name)
        .unwrap_or_else(|e| panic!("sheet {name}: {e}"))
}

/// A numeric cell as the exact decimal its shortest display names.
fn number(range: &calamine::Range<calamine::Data>, row: u32, column: u32) -> Decimal {
    match range.get_value((row, column)) {
        Some(calamine::Data::Float(f)) => d(&f.to_string()),
        Some(calamine::Data::Int(i)) => Decimal::from(*i),
        other => panic!("({row}, {column}) is not a number: {other:?}"),
    }
}

fn cell(range: &calamine::Range<calamine::Data>, row: u32, column: u32) -> String {
    range
        .get_value((row, column))
        .map(|v| v.to_string())
        .unwrap_or_default()
}

async fn get(app: &TestApp, path: &str) -> Value {
    app.get(&format!("{REPORTS}{path}"), Viewer)
        .await
        .expect(200)
        .body
}

async fn budget_vs_actual_accruals_and_commitments(app: TestApp) {
    let seeded = seed(&app).await;
    let project = seeded.f.project;

    // Budget vs actual vs forecast: per line, from the ledger and the forecast.
    let report = get(
        &app,
        &format!("/budget-vs-actual?project_id={project}&as_of=2026-06-30"),
    )
    .await;
    let p = &report["projects"][0];
    assert_eq!(report["projects"].as_array().unwrap().len(), 1, "{report}");
    let l = &p["lines"][0];
    assert_eq!(
        [
            "budget",
            "actual",
            "committed",
            "accrued",
            "remaining",
            "estimate_to_complete",
            "eac",
            "variance",
            "utilisation_percent",
            "eac_percent"
        ]
        .map(|k| s(&l[k]).to_string()),
        [
            "100000.00",
            "400.00",
            "1700.00",
            "1650.00",
            "97900.00",
            "97900.00",
            "100000.00",
            "0.00",
            "2.10",
            "100.00"
        ]
        .map(String::from),
        "{l}"
    );
    assert_eq!(s(&l["estimate_source"]), "default");
    assert_eq!(p["totals"]["committed"], l["committed"]);
    // The same figures as the ledger.
    let ledger = app
        .get(&format!("/api/v1/projects/{project}/ledger"), Viewer)
        .await
        .expect(200)
        .body;
    for k in ["budget", "actual", "committed", "accrued", "remaining"] {
        assert_eq!(ledger["totals"][k], p["totals"][k], "{k}");
    }
    // Every project: totals per currency, never across.
    let all = get(&app, "/budget-vs-actual?as_of=2026-06-30").await;
    let totals = &all["totals"];
    assert_eq!(
        totals
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (s(&t["currency"]), s(&t["actual"]), t["projects"].as_i64()))
            .collect::<Vec<_>>(),
        [("EUR", "400.00", Some(1)), ("USD", "250.00", Some(1))],
        "{all}"
    );
    let mut book = workbook(
        &app,
        &format!("{REPORTS}/budget-vs-actual.xlsx?project_id={project}&as_of=2026-06-30"),
    )
    .await;
    let range = sheet(&mut book, "Budget vs actual");
    assert_eq!(cell(&range, 0, 6), "Budget");
    assert_eq!(cell(&range, 1, 0), "RPT");
    for (column, key) in [
        (6, "budget"),
        (7, "actual"),
        (8, "committed"),
        (9, "accrued"),
        (12, "eac"),
    ] {
        assert_eq!(number(&range, 1, column), d(s(&l[key])), "line {key}");
        // Row 2: the project's total; row 3: the currency's.
        assert_eq!(
            number(&range, 2, column),
            d(s(&p["totals"][key])),
            "total {key}"
        );
        assert_eq!(
            number(&range, 3, column),
            d(s(&p["totals"][key])),
            "EUR {key}"
        );
    }
    assert_eq!(
        number(&range, 1, 14),
        d("0.021"),
        "utilisation as a fraction"
    );

    // Accruals: received and not invoiced, per PO line, with the receipts.
    let accruals = get(&app, &format!("/accruals?project_id={project}")).await;
    let rows = &accruals["rows"];
    assert_eq!(
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| (r["line_no"].as_i64().unwrap(), s(&r["accrued"]).to_string()))
            .collect::<Vec<_>>(),
        [
            (1, "600.00".to_string()),
            (2, "1000.00".into()),
            (3, "50.00".into())
        ],
        "{accruals}"
    );
    assert_eq!(s(&rows[1]["po_number"]), seeded.po_number);
    assert_eq!(s(&rows[1]["last_received_on"]), "2026-04-15");
    assert_eq!(
        rows[1]["receipts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| s(&r["number"]).to_string())
            .collect::<Vec<_>>(),
        seeded.receipts[..2].to_vec()
    );
    assert_eq!(s(&accruals["totals"][0]["accrued"]), "1650.00");
    assert_eq!(
        sum(rows, "accrued"),
        d(s(&accruals["totals"][0]["accrued"]))
    );
    assert_eq!(
        accruals["totals"][0]["accrued"],
        ledger["totals"]["accrued"]
    );
    let mut book = workbook(
        &app,
        &format!("{REPORTS}/accruals.xlsx?project_id={project}"),
    )
    .await;
    let range = sheet(&mut book, "Accruals");
    for i in 0..3u32 {
        assert_eq!(
            number(&range, i + 1, 12),
            d(s(&rows[i as usize]["accrued"]))
        );
    }
    assert_eq!(cell(&range, 2, 10), seeded.receipts[..2].join(", "));
    assert_eq!(cell(&range, 4, 0), "Total EUR");
    assert_eq!(number(&range, 4, 12), d("1650.00"));

    // Open commitments: value, released by invoices, open, accrued.
    let open = get(&app, &format!("/open-commitments?project_id={project}")).await;
    let rows = &open["rows"];
    assert_eq!(
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| ["value", "released", "open", "accrued"].map(|k| s(&r[k]).to_string()))
            .collect::<Vec<_>>(),
        [
            ["1000.00", "400.00", "600.00", "600.00"],
            ["1000.00", "0.00", "1000.00", "1000.00"],
            ["100.00", "0.00", "100.00", "50.00"],
        ]
        .map(|r| r.map(String::from))
        .to_vec(),
        "{open}"
    );
    let t = &open["totals"][0];
    for k in ["value", "released", "open", "accrued"] {
        assert_eq!(sum(rows, k), d(s(&t[k])), "{k}");
    }
    assert_eq!(t["open"], ledger["totals"]["committed"]);
    let mut book = workbook(
        &app,
        &format!("{REPORTS}/open-commitments.xlsx?project_id={project}"),
    )
    .await;
    let range = sheet(&mut book, "Open commitments");
    assert_eq!(number(&range, 4, 15), d("1700.00"));
    assert_eq!(number(&range, 4, 13), d("2100.00"));

    // Every project: the USD order is fully invoiced, so nothing of it is open.
    let everything = get(&app, "/open-commitments").await;
    assert_eq!(everything["rows"].as_array().unwrap().len(), 3);
    assert!(everything["rows"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["project_id"] != json!(seeded.usd_project)));
}

async fn vendor_spend_and_currencies(app: TestApp) {
    let seeded = seed(&app).await;
    let vendor = seeded.f.vendor;
    let spend = get(&app, "/vendor-spend?from=2026-01-01&to=2026-12-31").await;
    assert_eq!(
        spend["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (
                r["vendor_id"].as_i64().unwrap(),
                s(&r["currency"]).to_string(),
                r["invoices"].as_i64().unwrap(),
                s(&r["net"]).to_string()
            ))
            .collect::<Vec<_>>(),
        [
            (vendor, "EUR".to_string(), 1, "400.00".to_string()),
            (vendor, "USD".into(), 1, "250.00".into())
        ],
        "{spend}"
    );
    assert!(spend["converted_total"].is_null());
    assert_eq!(
        spend["totals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (s(&t["currency"]), s(&t["net"])))
            .collect::<Vec<_>>(),
        [("EUR", "400.00"), ("USD", "250.00")]
    );
    // A reporting currency needs a rate for every invoice date: none is a 422, never 1.0.
    app.get(
        &format!("{REPORTS}/vendor-spend?from=2026-01-01&to=2026-12-31&currency=EUR"),
        Viewer,
    )
    .await
    .expect_problem(422, "fx_rate_missing");
    app.create_fx_rate(json!({"from": "USD", "to": "EUR", "date": "2026-06-01", "rate": "0.9"}))
        .await;
    let converted = get(
        &app,
        "/vendor-spend?from=2026-01-01&to=2026-12-31&currency=EUR",
    )
    .await;
    assert_eq!(
        [0, 1].map(|i| s(&converted["rows"][i]["converted"]).to_string()),
        ["400.00", "225.00"]
    );
    assert_eq!(s(&converted["converted_total"]), "625.00");
    let mut book = workbook(
        &app,
        &format!("{REPORTS}/vendor-spend.xlsx?from=2026-01-01&to=2026-12-31&currency=EUR"),
    )
    .await;
    let range = sheet(&mut book, "Vendor spend");
    assert_eq!(cell(&range, 0, 7), "Net in EUR");
    assert_eq!(number(&range, 1, 6), d("400.00"));
    assert_eq!(number(&range, 2, 6), d("250.00"));
    assert_eq!(number(&range, 2, 7), d("225.00"));
    assert_eq!(cell(&range, 5, 0), "Total in EUR");
    assert_eq!(number(&range, 5, 7), d("625.00"));

    // By month, by contract (no order here is under a contract), one vendor, a window.
    let months = get(
        &app,
        "/vendor-spend?from=2026-01-01&to=2026-12-31&group=month",
    )
    .await;
    assert_eq!(
        months["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (s(&r["month"]), s(&r["currency"]), s(&r["net"])))
            .collect::<Vec<_>>(),
        [("2026-05", "EUR", "400.00"), ("2026-06", "USD", "250.00")]
    );
    // An order under the contract, invoiced for 80.00: its own group, before "(no contract)".
    let mut under = order(
        &seeded.f,
        "EUR",
        "2026-06-15",
        vec![line("1", "80.00", None, seeded.f.budget_line)],
    );
    under["contract_id"] = json!(seeded.contract);
    let under = issued(&app, &under).await;
    let l = id_of(&under["lines"][0]);
    received(&app, id_of(&under), "2026-06-16", &[(l, "1")]).await;
    let billed = record(
        &app,
        &invoice(vendor, "CTR-1", "2026-06-20", vec![bill(l, "1", "80.00")]),
    )
    .await;
    approve_invoice(&app, &billed).await;
    let contracts = get(
        &app,
        "/vendor-spend?from=2026-01-01&to=2026-12-31&group=contract",
    )
    .await;
    assert_eq!(
        contracts["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (
                s(&r["group"]).to_string(),
                r["contract_id"].as_i64(),
                s(&r["currency"]).to_string(),
                s(&r["net"]).to_string()
            ))
            .collect::<Vec<_>>(),
        [
            (
                seeded.contract_number.clone(),
                Some(seeded.contract),
                "EUR".to_string(),
                "80.00".to_string()
            ),
            ("(no contract)".into(), None, "EUR".into(), "400.00".into()),
            ("(no contract)".into(), None, "USD".into(), "250.00".into())
        ],
        "{contracts}"
    );
    assert_eq!(s(&contracts["totals"][0]["net"]), "480.00");
    let may = get(
        &app,
        &format!("/vendor-spend?from=2026-05-01&to=2026-05-31&vendor_id={vendor}"),
    )
    .await;
    assert_eq!(may["rows"].as_array().unwrap().len(), 1, "{may}");
    assert_eq!(s(&may["totals"][0]["invoiced"]), "400.00");

    // Bad parameters are 400 invalid_query, never a 500.
    for (query, field) in [
        ("group=supplier", "group"),
        ("from=2026-02-30", "from"),
        ("from=2026-06-01&to=2026-05-01", "from"),
        ("currency=EURO", "currency"),
        ("vendor_id=abc", "vendor_id"),
        ("vendor_id=0", "vendor_id"),
        ("to=0000-01-01", "to"),
        ("colour=red", "colour"),
    ] {
        let refused = app
            .get(&format!("{REPORTS}/vendor-spend?{query}"), Viewer)
            .await
            .expect_problem(400, "invalid_query");
        assert!(
            refused.fields().contains(&field.to_string()),
            "{query}: {}",
            refused.text
        );
    }
    app.get(&format!("{REPORTS}/vendor-spend"), Evaluator)
        .await
        .expect_problem(403, "forbidden");
}

async fn held_invoices_sla_credits_and_the_scorecard(app: TestApp) {
    let seeded = seed(&app).await;
    let vendor = seeded.f.vendor;
    let today = chrono::Utc::now().date_naive();

    // Held since today (recorded today), aged 45 days on today + 45.
    let as_of = today + chrono::Duration::days(45);
    let held = get(&app, &format!("/invoices-on-hold?as_of={as_of}")).await;
    let invoices = held["invoices"].as_array().unwrap();
    assert_eq!(
        invoices
            .iter()
            .map(|i| (
                i["invoice_id"].as_i64().unwrap(),
                s(&i["total"]).to_string(),
                i["age_days"].as_i64().unwrap(),
                s(&i["age_bucket"]).to_string(),
                s(&i["hold_reasons"][0]["code"]).to_string()
            ))
            .collect::<Vec<_>>(),
        [
            (
                seeded.held,
                "210.00".to_string(),
                45,
                "31-60".to_string(),
                "price_over_tolerance".to_string()
            ),
            (
                seeded.duplicate,
                "400.00".into(),
                45,
                "31-60".into(),
                "suspected_duplicate".into()
            )
        ],
        "{held}"
    );
    assert_eq!(s(&invoices[0]["held_since"]), today.to_string());
    assert_eq!(
        (
            s(&held["totals"][0]["total"]),
            held["totals"][0]["invoices"].as_i64()
        ),
        ("610.00", Some(2))
    );
    assert_eq!(
        d(s(&held["totals"][0]["total"])),
        sum(&held["invoices"], "total")
    );
    assert_eq!(
        (
            s(&held["buckets"][0]["bucket"]),
            s(&held["buckets"][0]["total"])
        ),
        ("31-60", "610.00")
    );
    let mut book = workbook(
        &app,
        &format!("{REPORTS}/invoices-on-hold.xlsx?as_of={as_of}"),
    )
    .await;
    let range = sheet(&mut book, "Invoices on hold");
    assert_eq!(cell(&range, 1, 0), "INV-B");
    assert_eq!(number(&range, 1, 6), d("45"));
    assert_eq!(number(&range, 1, 9), d("210.00"));
    assert_eq!(
        number(&range, 4, 9),
        d("610.00"),
        "the EUR total after the bucket's"
    );
    // Ages run to as_of; invoices recorded after it are not listed.
    let now = get(&app, "/invoices-on-hold").await;
    assert_eq!(now["invoices"][0]["age_days"], json!(0));
    assert_eq!(s(&now["invoices"][0]["age_bucket"]), "0-30");
    let before = get(
        &app,
        &format!(
            "/invoices-on-hold?as_of={}",
            today - chrono::Duration::days(1)
        ),
    )
    .await;
    assert!(
        before["invoices"].as_array().unwrap().is_empty(),
        "{before}"
    );

    // SLA credits: April's 10 % of 12,000.00, receivable.
    let credits = get(
        &app,
        &format!("/sla-credits?from=2026-01-01&to=2026-12-31&vendor_id={vendor}"),
    )
    .await;
    let row = &credits["rows"][0];
    assert_eq!(credits["rows"].as_array().unwrap().len(), 1, "{credits}");
    assert_eq!(
        [
            "period",
            "period_start",
            "period_end",
            "value",
            "credit",
            "credit_status"
        ]
        .map(|k| s(&row[k]).to_string()),
        [
            "2026-04",
            "2026-04-01",
            "2026-04-30",
            "99.5",
            "1200.00",
            "receivable"
        ]
        .map(String::from),
        "{row}"
    );
    assert_eq!(
        ["credit", "receivable", "applied"].map(|k| s(&credits["totals"][0][k]).to_string()),
        ["1200.00", "1200.00", "0.00"].map(String::from)
    );
    // A credit memo for April (the report names the SLA period's id), once approved, applies it.
    let mut memo = invoice(
        vendor,
        "CM-SLA-APR",
        "2026-07-01",
        vec![
            json!({"budget_line_id": seeded.f.budget_line, "description": "SLA credit April",
                    "quantity": "1", "unit_price": "1200.00"}),
        ],
    );
    memo["kind"] = json!("credit_memo");
    memo["sla_measurement_id"] = row["measurement_id"].clone();
    let memo = record(&app, &memo).await;
    approve_invoice(&app, &memo).await;
    let applied = get(&app, "/sla-credits?from=2026-01-01&to=2026-12-31").await;
    assert_eq!(
        (
            s(&applied["rows"][0]["credit_status"]),
            s(&applied["rows"][0]["credit_memo_number"])
        ),
        ("applied", "CM-SLA-APR"),
        "{applied}"
    );
    assert_eq!(
        ["credit", "receivable", "applied"].map(|k| s(&applied["totals"][0][k]).to_string()),
        ["1200.00", "0.00", "1200.00"].map(String::from)
    );
    let may = get(&app, "/sla-credits?from=2026-05-01&to=2026-12-31").await;
    assert!(may["rows"].as_array().unwrap().is_empty(), "{may}");
    let mut book = workbook(
        &app,
        &format!("{REPORTS}/sla-credits.xlsx?from=2026-01-01&to=2026-12-31"),
    )
    .await;
    let range = sheet(&mut book, "SLA credits");
    assert_eq!(number(&range, 1, 9), d("1200.00"));
    assert_eq!(number(&range, 2, 9), d("1200.00"));

    // The scorecard: 3 lines due (1 on time, 1 late, 1 open past due), 2 SLA periods (1 met),
    // 4 invoices (2 held, 1 a suspected duplicate; the credit memo is not an invoice), 1,200.00
    // credited.
    let card = get(
        &app,
        &format!(
            "/vendor-scorecard?vendor_id={vendor}&from=2026-01-01&to=2026-12-31&as_of=2026-06-30"
        ),
    )
    .await;
    let v = &card["vendors"][0];
    assert_eq!(card["vendors"].as_array().unwrap().len(), 1, "{card}");
    assert_eq!(
        [
            "po_lines_due",
            "delivered_on_time",
            "delivered_late",
            "open_past_due",
            "closed_short",
            "not_yet_due",
            "sla_periods_measured",
            "sla_periods_met",
            "invoices",
            "invoices_held",
            "duplicates_held"
        ]
        .map(|k| v[k].as_i64().unwrap_or_else(|| panic!("{k} in {v}"))),
        [3, 1, 1, 1, 0, 0, 2, 1, 4, 2, 1],
        "{v}"
    );
    assert_eq!(
        (s(&v["on_time_percent"]), s(&v["sla_met_percent"])),
        ("33.33", "50.00")
    );
    assert_eq!(
        v["credits"],
        json!([{"currency": "EUR", "receivable": "0.00", "applied": "1200.00"}])
    );
    assert_eq!(card["credit_totals"], v["credits"]);
    assert_eq!(card["totals"]["po_lines_due"], json!(3));
    assert_eq!(s(&card["totals"]["on_time_percent"]), "33.33");
    // On the promised day of L3 it is not yet due.
    let early = get(
        &app,
        &format!(
            "/vendor-scorecard?vendor_id={vendor}&from=2026-01-01&to=2026-12-31&as_of=2026-04-20"
        ),
    )
    .await;
    assert_eq!(
        (
            early["vendors"][0]["open_past_due"].as_i64(),
            early["vendors"][0]["not_yet_due"].as_i64(),
            s(&early["vendors"][0]["on_time_percent"])
        ),
        (Some(0), Some(1), "50.00")
    );
    let mut book = workbook(
        &app,
        &format!("{REPORTS}/vendor-scorecard.xlsx?vendor_id={vendor}&from=2026-01-01&to=2026-12-31&as_of=2026-06-30"),
    )
    .await;
    let range = sheet(&mut book, "Scorecard");
    assert_eq!(number(&range, 1, 0), Decimal::from(vendor));
    for (column, value) in [
        (3, 3),
        (4, 1),
        (5, 1),
        (6, 1),
        (10, 2),
        (11, 1),
        (13, 4),
        (14, 2),
        (15, 1),
    ] {
        assert_eq!(
            number(&range, 1, column),
            Decimal::from(value),
            "column {column}"
        );
        assert_eq!(
            number(&range, 2, column),
            Decimal::from(value),
            "total column {column}"
        );
    }
    assert_eq!(number(&range, 1, 9), d("0.3333"));
    assert_eq!(cell(&range, 1, 2), "2026-01-01/2026-12-31");
    let range = sheet(&mut book, "Credits");
    assert_eq!(number(&range, 1, 4), d("0.00"));
    assert_eq!(number(&range, 1, 5), d("1200.00"));
    assert_eq!(number(&range, 2, 5), d("1200.00"));
    // By month: April's deliveries and SLA period, May's SLA period and invoices, June's USD
    // invoice; the same totals.
    let monthly = get(
        &app,
        &format!("/vendor-scorecard?vendor_id={vendor}&from=2026-01-01&to=2026-12-31&as_of=2026-06-30&period=month"),
    )
    .await;
    assert_eq!(
        monthly["vendors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| (
                s(&v["period"]).to_string(),
                [
                    "po_lines_due",
                    "sla_periods_measured",
                    "sla_periods_met",
                    "invoices",
                    "invoices_held"
                ]
                .map(|k| v[k].as_i64().unwrap())
            ))
            .collect::<Vec<_>>(),
        [
            ("2026-04".to_string(), [3, 1, 0, 0, 0]),
            ("2026-05".into(), [0, 1, 1, 3, 2]),
            ("2026-06".into(), [0, 0, 0, 1, 0])
        ],
        "{monthly}"
    );
    assert_eq!(
        monthly["vendors"][0]["credits"],
        json!([{"currency": "EUR", "receivable": "0.00", "applied": "1200.00"}])
    );
    assert_eq!(monthly["totals"], card["totals"]);
    assert_eq!(monthly["credit_totals"], card["credit_totals"]);
    // A return reverses GR-2 (L2's late 3 units); redelivered on 2026-04-09, L2 counts on time:
    // a reversed receipt no longer dates the delivery.
    app.post(
        &format!("/api/v1/receipts/{}/return", seeded.gr2),
        Procurement,
        &json!({"reason": "Damaged in transit", "returned_on": "2026-04-16"}),
    )
    .await
    .expect(201);
    let returned = get(
        &app,
        &format!(
            "/vendor-scorecard?vendor_id={vendor}&from=2026-01-01&to=2026-12-31&as_of=2026-06-30"
        ),
    )
    .await;
    assert_eq!(
        ["delivered_on_time", "delivered_late", "open_past_due"]
            .map(|k| returned["vendors"][0][k].as_i64().unwrap()),
        [1, 0, 2],
        "{returned}"
    );
    received(&app, seeded.po, "2026-04-09", &[(seeded.l2, "3")]).await;
    let redelivered = get(
        &app,
        &format!(
            "/vendor-scorecard?vendor_id={vendor}&from=2026-01-01&to=2026-12-31&as_of=2026-06-30"
        ),
    )
    .await;
    assert_eq!(
        ["delivered_on_time", "delivered_late", "open_past_due"]
            .map(|k| redelivered["vendors"][0][k].as_i64().unwrap()),
        [2, 0, 1],
        "{redelivered}"
    );
    assert_eq!(s(&redelivered["vendors"][0]["on_time_percent"]), "66.67");
    app.get(
        &format!("{REPORTS}/vendor-scorecard?from=2027-01-01&to=2026-01-01"),
        Viewer,
    )
    .await
    .expect_problem(400, "invalid_query");
}

both_engines!(
    budget_vs_actual_accruals_and_commitments,
    vendor_spend_and_currencies,
    held_invoices_sla_credits_and_the_scorecard,
);
