//! Project closeout: a project seeded with every kind of loose end; the close refused, then
//! resolutions and waivers, then closed; the frozen figures unmoved by later changes elsewhere;
//! the pack re-read with calamine; the project read-only until an admin reopens it.

use crate::helpers::{download, id_of, open_xlsx, s, TestApp};
use crate::p2p_fixtures::{
    approve_invoice, asset_line, bill, decide, fixture, invoice, issued, line, order, po_url,
    raise, received, record, INVOICES,
};
use calamine::{Data, Reader};
use procura::auth::Role::{Admin, Finance, Pm, Procurement, Viewer};
use serde_json::{json, Value};

both_engines!(closing_a_project_with_every_kind_of_loose_end);

async fn checklist(app: &TestApp, project: i64) -> Value {
    app.get(
        &format!("/api/v1/projects/{project}/closeout?as_of=2026-06-30"),
        Viewer,
    )
    .await
    .expect(200)
    .body
}

/// The section's items as `(key, amount)`.
fn items(checklist: &Value, section: &str) -> Vec<(String, Option<String>)> {
    let section = checklist["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["section"] == json!(section))
        .unwrap_or_else(|| panic!("no section {section} in {checklist}"));
    section["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                s(&i["key"]).to_string(),
                i["amount"].as_str().map(String::from),
            )
        })
        .collect()
}

fn totals(checklist: &Value, section: &str) -> Value {
    checklist["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["section"] == json!(section))
        .map(|s| s["totals"].clone())
        .unwrap()
}

fn eur(amount: &str) -> Value {
    json!([{"currency": "EUR", "amount": amount}])
}

async fn waive(app: &TestApp, project: i64, item: &str, reason: &str) -> Value {
    app.post(
        &format!("/api/v1/projects/{project}/closeout/waivers"),
        Finance,
        &json!({"item": item, "reason": reason}),
    )
    .await
    .expect(200)
    .body
}

async fn project_version(app: &TestApp, project: i64) -> Value {
    app.get(&format!("/api/v1/projects/{project}"), Viewer)
        .await
        .expect(200)
        .body["version"]
        .clone()
}

async fn closing_a_project_with_every_kind_of_loose_end(app: TestApp) {
    // --- Seed: a project with one loose end of every kind. ---
    let f = fixture(&app, "CLOSE", None, "100000.00").await;
    let p = f.project;
    let body = json!({
        "vendor_id": f.vendor, "title": "Integration and colocation",
        "contract_type": "framework", "currency": "EUR", "ceiling": "250000.00",
        "start_date": "2026-01-01", "initial_term_months": 24,
        "renewal": {"kind": "none"}, "notice": {"unit": "months", "value": 3},
        "project_ids": [p]
    });
    let contract = app
        .post("/api/v1/contracts", Procurement, &body)
        .await
        .expect(201)
        .body;
    let c = id_of(&contract);
    app.post(
        &format!("/api/v1/contracts/{c}/activate"),
        Procurement,
        &json!({"version": 1}),
    )
    .await
    .expect(200);

    // PO: 10 × 100.00 of cabling and 2 × 1,500.00 servers (assets).
    let po = issued(
        &app,
        &order(
            &f,
            "EUR",
            "2026-03-15",
            vec![
                line("10", "100.00", None, f.budget_line),
                asset_line("2", "1500.00", "server", &f),
            ],
        ),
    )
    .await;
    let po_id = id_of(&po);
    let (cabling, servers) = (id_of(&po["lines"][0]), id_of(&po["lines"][1]));
    received(&app, po_id, "2026-04-01", &[(cabling, "6"), (servers, "2")]).await;
    // INV-1 bills 4 of the 6 received (matched, approved, unpaid); INV-2 bills 5 more: held.
    let inv1 = record(
        &app,
        &invoice(
            f.vendor,
            "INV-1",
            "2026-04-10",
            vec![bill(cabling, "4", "100.00")],
        ),
    )
    .await;
    let inv1 = approve_invoice(&app, &inv1).await;
    let inv2 = record(
        &app,
        &invoice(
            f.vendor,
            "INV-2",
            "2026-04-20",
            vec![bill(cabling, "5", "100.00")],
        ),
    )
    .await;
    assert_eq!(s(&inv2["status"]), "on_hold", "{inv2}");
    // A SOW milestone not accepted.
    let sow = app
        .post(
            &format!("/api/v1/contracts/{c}/sows"),
            Procurement,
            &json!({"project_id": p, "title": "Site surveys", "value": "5000.00",
                    "deliverables": ["Survey report"],
                    "milestones": [{"name": "Survey", "amount": "2000.00",
                                    "due_date": "2026-06-30", "acceptance_criteria": "Signed"}]}),
        )
        .await
        .expect(201)
        .body;
    let milestone = id_of(&sow["milestones"][0]);
    // An SLA credit owed: an hour down in October (44,640 minutes) is the 10 % tier.
    let sla = app
        .post(
            &format!("/api/v1/contracts/{c}/slas"),
            Procurement,
            &json!({"name": "Power availability", "metric": "availability", "target": "99.99",
                    "period_fee": "12000.00",
                    "tiers": [{"threshold": "99.99", "percent": "10"},
                              {"threshold": "99.0", "percent": "30"}]}),
        )
        .await
        .expect(201)
        .body;
    let period = app
        .post(
            &format!("/api/v1/slas/{}/measurements", id_of(&sla)),
            Procurement,
            &json!({"period": "2026-10", "downtime_minutes": "60"}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(
        (s(&period["credit"]), s(&period["credit_status"])),
        ("1200.00", "receivable")
    );

    // --- The checklist lists every loose end, each adding up. ---
    let list = checklist(&app, p).await;
    let po_item = format!("open_commitments:purchase_order:{po_id}");
    assert_eq!(
        items(&list, "open_commitments"),
        [(po_item.clone(), Some("3600.00".into()))]
    );
    let commitment = &list["sections"][0]["items"][0];
    assert_eq!(
        commitment["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| s(&l["amount"]))
            .collect::<Vec<_>>(),
        ["600.00", "3000.00"],
        "1,000.00 less the 400.00 invoiced, and the servers: {commitment}"
    );
    assert_eq!(
        items(&list, "accruals"),
        [
            (format!("accruals:po_line:{cabling}"), Some("200.00".into())),
            (
                format!("accruals:po_line:{servers}"),
                Some("3000.00".into())
            )
        ]
    );
    assert_eq!(totals(&list, "accruals"), eur("3200.00"));
    let inv2_item = format!("invoices_on_hold_or_unmatched:invoice:{}", id_of(&inv2));
    assert_eq!(
        items(&list, "invoices_on_hold_or_unmatched"),
        [(inv2_item.clone(), Some("500.00".into()))]
    );
    assert_eq!(
        items(&list, "invoices_unpaid"),
        [(
            format!("invoices_unpaid:invoice:{}", id_of(&inv1)),
            Some("400.00".into())
        )]
    );
    assert_eq!(items(&list, "invoices_without_receipts"), []);
    assert_eq!(
        items(&list, "milestones_not_accepted"),
        [(
            format!("milestones_not_accepted:milestone:{milestone}"),
            Some("2000.00".into())
        )]
    );
    let credits = items(&list, "sla_credits_not_applied");
    assert_eq!(credits.len(), 1, "{list}");
    let sla_item = credits[0].0.clone();
    assert!(
        sla_item.starts_with("sla_credits_not_applied:sla_period:"),
        "{sla_item}"
    );
    assert_eq!(credits[0].1.as_deref(), Some("1200.00"));
    let assets = items(&list, "assets_pending");
    assert_eq!(assets.len(), 2, "one asset per server received: {list}");
    assert_eq!(assets[0].1, None, "not invoiced yet: no cost");
    assert_eq!(totals(&list, "assets_pending"), json!([]));
    let contract_item = format!("contracts_active:contract:{c}");
    assert_eq!(
        items(&list, "contracts_active"),
        [(contract_item.clone(), Some("250000.00".into()))]
    );
    assert_eq!(list["open_items"], json!(10));
    assert_eq!(list["ready_to_close"], json!(false));
    let t = &list["budget_totals"];
    assert_eq!(
        [
            &t["budget"],
            &t["actual"],
            &t["committed"],
            &t["accrued"],
            &t["forecast_eac"],
            &t["variance"]
        ]
        .map(s),
        [
            "100000.00",
            "400.00",
            "3600.00",
            "3200.00",
            "100000.00",
            "96000.00"
        ]
    );
    assert_eq!(list["budget_lines"][0]["variance"], t["variance"]);

    // --- Closing is refused while anything is open, listing it all. ---
    let refused = app
        .post(
            &format!("/api/v1/projects/{p}/close"),
            Pm,
            &json!({"version": project_version(&app, p).await}),
        )
        .await
        .expect_problem(409, "closeout_items_open");
    assert_eq!(
        refused.body["context"]["open_items"]
            .as_array()
            .map(Vec::len),
        Some(10),
        "{}",
        refused.body
    );

    // Waivers: finance or admin, with a reason, of an item that is open.
    let waivers = format!("/api/v1/projects/{p}/closeout/waivers");
    app.post(&waivers, Pm, &json!({"item": contract_item, "reason": "x"}))
        .await
        .expect_problem(403, "forbidden");
    app.post(
        &waivers,
        Finance,
        &json!({"item": contract_item, "reason": " "}),
    )
    .await
    .expect_invalid("reason");
    app.post(
        &waivers,
        Finance,
        &json!({"item": "nonsense", "reason": "x"}),
    )
    .await
    .expect_invalid("item");
    app.post(
        &waivers,
        Finance,
        &json!({"item": "contracts_active:contract:999999", "reason": "x"}),
    )
    .await
    .expect_problem(409, "not_an_open_item");

    // --- Resolve what can be resolved. ---
    // The held invoice: released with a reason and approved; now 9 are invoiced, 6 received.
    let inv2 = decide(
        &app,
        Finance,
        &inv2,
        "release",
        json!({"reason": "Rest delivered, note to follow"}),
    )
    .await
    .expect(200)
    .body;
    approve_invoice(&app, &inv2).await;
    // INV-1 paid in full.
    app.post(
        &format!("{INVOICES}/{}/payments", id_of(&inv1)),
        Finance,
        &json!({"amount": "400.00", "paid_on": "2026-05-10"}),
    )
    .await
    .expect(201);
    // The servers: serial numbers and locations, then in service.
    let assets = app
        .get(&format!("/api/v1/assets?project_id={p}"), Viewer)
        .await
        .expect(200)
        .body;
    for (i, asset) in assets["items"].as_array().unwrap().iter().enumerate() {
        let id = id_of(asset);
        let registered = app
            .patch(
                &format!("/api/v1/assets/{id}"),
                Procurement,
                &json!({"version": asset["version"], "serial_number": format!("SN-{i}"),
                        "site": "FRA1", "room": "R2"}),
            )
            .await
            .expect(200)
            .body;
        app.post(
            &format!("/api/v1/assets/{id}/transition"),
            Procurement,
            &json!({"version": registered["version"], "to": "in_service"}),
        )
        .await
        .expect(200);
    }
    // The milestone: submitted and accepted.
    let step = |action: &str| format!("/api/v1/milestones/{milestone}/{action}");
    app.post(&step("submit"), Procurement, &json!({"version": 1}))
        .await
        .expect(200);
    app.post(&step("accept"), Pm, &json!({"version": 2}))
        .await
        .expect(200);

    let list = checklist(&app, p).await;
    assert_eq!(
        items(&list, "open_commitments"),
        [(po_item.clone(), Some("3100.00".into()))]
    );
    assert_eq!(
        items(&list, "accruals"),
        [(
            format!("accruals:po_line:{servers}"),
            Some("3000.00".into())
        )],
        "the cabling is invoiced beyond what was received: nothing accrues"
    );
    let unpaid_item = format!("invoices_unpaid:invoice:{}", id_of(&inv2));
    assert_eq!(
        items(&list, "invoices_unpaid"),
        [(unpaid_item.clone(), Some("500.00".into()))]
    );
    let no_receipt_item = format!("invoices_without_receipts:po_line:{cabling}");
    assert_eq!(
        items(&list, "invoices_without_receipts"),
        [(no_receipt_item.clone(), Some("300.00".into()))],
        "3 of 10 invoiced and not received, at 1,000.00 for the line"
    );
    for section in [
        "invoices_on_hold_or_unmatched",
        "milestones_not_accepted",
        "assets_pending",
    ] {
        assert_eq!(items(&list, section), [], "{section} resolved");
    }
    assert_eq!(list["open_items"], json!(6));

    // --- Waive the rest; a waiver covers an item only as it was. ---
    for item in [
        &po_item,
        &no_receipt_item,
        &sla_item,
        &contract_item,
        &unpaid_item,
    ] {
        let waived = waive(&app, p, item, "Agreed at the closeout review").await;
        assert_eq!(waived["state"], json!("waived"), "{waived}");
    }
    waive(
        &app,
        p,
        &format!("accruals:po_line:{servers}"),
        "Vendor invoice expected after close",
    )
    .await;
    app.post(
        &format!("{INVOICES}/{}/payments", id_of(&inv2)),
        Finance,
        &json!({"amount": "100.00", "paid_on": "2026-06-01"}),
    )
    .await
    .expect(201);
    let list = checklist(&app, p).await;
    assert_eq!(list["open_items"], json!(1), "{list}");
    let stale = &list["sections"][3]["items"][0];
    assert_eq!(
        (
            stale["state"].clone(),
            stale["waiver"]["current"].clone(),
            s(&stale["amount"])
        ),
        (json!("open"), json!(false), "400.00"),
        "paid in part since it was waived: {stale}"
    );
    let refused = app
        .post(
            &format!("/api/v1/projects/{p}/close"),
            Pm,
            &json!({"version": project_version(&app, p).await}),
        )
        .await
        .expect_problem(409, "closeout_items_open");
    assert_eq!(
        refused.body["context"]["open_items"][0]["key"],
        json!(unpaid_item)
    );
    assert_eq!(
        refused.body["context"]["open_items"][0]["waiver_outdated"],
        json!(true)
    );
    waive(&app, p, &unpaid_item, "Balance paid by the parent company").await;
    assert_eq!(checklist(&app, p).await["ready_to_close"], json!(true));

    // --- Close: commitments released, figures frozen, hash in the audit chain. ---
    let version = project_version(&app, p).await;
    app.post(
        &format!("/api/v1/projects/{p}/close"),
        Viewer,
        &json!({"version": version}),
    )
    .await
    .expect_problem(403, "forbidden");
    app.post(
        &format!("/api/v1/projects/{p}/close"),
        Pm,
        &json!({"version": version.as_i64().unwrap() - 1}),
    )
    .await
    .expect_problem(409, "version_conflict");
    let closed = app
        .post(
            &format!("/api/v1/projects/{p}/close"),
            Pm,
            &json!({"version": version}),
        )
        .await
        .expect(200)
        .body;
    let snap = &closed["snapshot"];
    assert_eq!(closed["verified"], json!(true));
    assert_eq!(
        snap["released_commitments"],
        json!([{"purchase_order_id": po_id, "number": po["number"], "amount": "3100.00"}])
    );
    assert_eq!(s(&snap["released_total"]), "3100.00");
    let t = &snap["budget_totals"];
    assert_eq!(
        [
            &t["budget"],
            &t["actual"],
            &t["committed"],
            &t["accrued"],
            &t["variance"]
        ]
        .map(s),
        ["100000.00", "900.00", "0.00", "0.00", "99100.00"]
    );
    assert_eq!(snap["checklist"].as_array().map(Vec::len), Some(9));
    assert_eq!(
        app.get(&format!("/api/v1/projects/{p}"), Viewer)
            .await
            .expect(200)
            .body["status"],
        json!("closed")
    );
    let po_now = app.get(&po_url(po_id), Viewer).await.expect(200).body;
    assert_eq!(
        (s(&po_now["status"]), s(&po_now["committed"])),
        ("closed", "0.00")
    );
    let freeze = app
        .get(
            &format!(
                "/api/v1/audit?entity=project_closeout&id={}",
                closed["closeout_id"]
            ),
            Admin,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        freeze["items"][0]["after"]["sha256"], closed["sha256"],
        "{freeze}"
    );
    assert_eq!(freeze["items"][0]["seq"], closed["audit_seq"]);
    let verify = app
        .get("/api/v1/audit/verify", Admin)
        .await
        .expect(200)
        .body;
    assert_eq!(verify["valid"], json!(true), "{verify}");

    // --- Read-only: the project and its documents. ---
    let version = project_version(&app, p).await;
    let project_closed = |r: crate::helpers::Resp| r.expect_problem(409, "project_closed");
    project_closed(
        app.patch(
            &format!("/api/v1/projects/{p}"),
            Pm,
            &json!({"version": version, "name": "X"}),
        )
        .await,
    );
    project_closed(
        app.post(
            "/api/v1/budget-lines",
            Finance,
            &json!({"project_id": p, "category": "opex", "cost_center": "CC-2", "amount": "1.00"}),
        )
        .await,
    );
    project_closed(
        app.post(
            "/api/v1/purchase-orders",
            Procurement,
            &order(
                &f,
                "EUR",
                "2026-07-01",
                vec![line("1", "1.00", None, f.budget_line)],
            ),
        )
        .await,
    );
    project_closed(
        app.post(
            &format!("{INVOICES}/{}/payments", id_of(&inv2)),
            Finance,
            &json!({"amount": "400.00", "paid_on": "2026-07-01"}),
        )
        .await,
    );
    project_closed(
        app.post(
            INVOICES,
            Finance,
            &invoice(
                f.vendor,
                "INV-3",
                "2026-07-01",
                vec![bill(servers, "1", "1500.00")],
            ),
        )
        .await,
    );
    project_closed(
        app.post(
            &waivers,
            Finance,
            &json!({"item": contract_item, "reason": "again"}),
        )
        .await,
    );
    project_closed(
        app.post(
            &format!("/api/v1/projects/{p}/close"),
            Pm,
            &json!({"version": version}),
        )
        .await,
    );

    // --- Changes elsewhere leave the frozen figures as they were. ---
    let other = fixture(&app, "OTHER", None, "5000.00").await;
    let other_po = raise(
        &app,
        Procurement,
        &order(
            &other,
            "EUR",
            "2026-07-01",
            vec![line("1", "10.00", None, other.budget_line)],
        ),
    )
    .await;
    assert_eq!(s(&other_po["status"]), "draft");
    let vendor = app
        .get(&format!("/api/v1/vendors/{}", f.vendor), Viewer)
        .await
        .expect(200)
        .body;
    app.patch(
        &format!("/api/v1/vendors/{}", f.vendor),
        Procurement,
        &json!({"version": vendor["version"], "name": "Renamed vendor"}),
    )
    .await
    .expect(200);
    let frozen = app
        .get(&format!("/api/v1/projects/{p}/closeout/snapshot"), Viewer)
        .await
        .expect(200)
        .body;
    assert_eq!(
        frozen["snapshot"], closed["snapshot"],
        "the figures are frozen"
    );
    assert_eq!(frozen["sha256"], closed["sha256"]);
    assert_eq!(frozen["verified"], json!(true));

    // --- The pack: the same figures, as numbers. ---
    let (content_type, bytes) = download(
        &app,
        Viewer,
        &format!("/api/v1/projects/{p}/closeout/snapshot.xlsx"),
    )
    .await;
    assert_eq!(
        content_type,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let mut book = open_xlsx(bytes);
    let names = book.sheet_names();
    assert_eq!(names.len(), 11, "{names:?}");
    assert_eq!(names[0], "Summary");
    let summary = book.worksheet_range("Summary").unwrap();
    let total_row = (0..summary.height() as u32)
        .find(|&r| summary.get_value((r, 0)) == Some(&Data::String("Total".into())))
        .expect("a totals row");
    let number =
        |range: &calamine::Range<Data>, row: u32, col: u32| match range.get_value((row, col)) {
            Some(Data::Float(v)) => format!("{v:.2}"),
            other => panic!("({row}, {col}) is not a number: {other:?}"),
        };
    assert_eq!(
        (3..=8)
            .map(|c| number(&summary, total_row, c))
            .collect::<Vec<_>>(),
        [
            &t["budget"],
            &t["actual"],
            &t["committed"],
            &t["accrued"],
            &t["forecast_eac"],
            &t["variance"]
        ]
        .map(|v| s(v).to_string())
    );
    let sheet = book.worksheet_range("Open commitments").unwrap();
    assert_eq!(
        sheet.get_value((1, 0)),
        Some(&Data::String(po_item.clone()))
    );
    assert_eq!(number(&sheet, 1, 5), "3100.00");
    assert_eq!(
        sheet.get_value((1, 7)),
        Some(&Data::String("waived".into()))
    );
    assert_eq!(number(&sheet, 2, 5), "3100.00", "the section's total");
    let ordered = chrono::NaiveDate::from_ymd_opt(2026, 3, 15).unwrap()
        - chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
    match sheet.get_value((1, 4)) {
        Some(Data::DateTime(day)) => assert_eq!(day.as_f64(), ordered.num_days() as f64),
        other => panic!("the order date is not a date cell: {other:?}"),
    }
    let sheet = book.worksheet_range("Contracts active").unwrap();
    assert_eq!(number(&sheet, 1, 5), "250000.00");
    assert_eq!(
        sheet.get_value((1, 8)),
        Some(&Data::String("Agreed at the closeout review".into()))
    );
    let released = book.worksheet_range("Released commitments").unwrap();
    assert_eq!(number(&released, 1, 2), "3100.00");

    // --- Reopen: an admin, with a reason; audited; the snapshot stays. ---
    let reopen = format!("/api/v1/projects/{p}/reopen");
    app.post(
        &reopen,
        Pm,
        &json!({"version": version, "reason": "Late invoice"}),
    )
    .await
    .expect_problem(403, "forbidden");
    app.post(&reopen, Admin, &json!({"version": version, "reason": ""}))
        .await
        .expect_invalid("reason");
    let reopened = app
        .post(
            &reopen,
            Admin,
            &json!({"version": version, "reason": "Late invoice"}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(s(&reopened["status"]), "completed");
    let frozen = app
        .get(&format!("/api/v1/projects/{p}/closeout/snapshot"), Viewer)
        .await
        .expect(200)
        .body;
    assert_eq!(
        (s(&frozen["reopened_by"]), s(&frozen["reopen_reason"])),
        ("test-admin", "Late invoice")
    );
    assert_eq!(frozen["snapshot"], closed["snapshot"]);
    app.patch(
        &format!("/api/v1/projects/{p}"),
        Pm,
        &json!({"version": reopened["version"], "name": "Closed out, reopened"}),
    )
    .await
    .expect(200);
    app.post(
        &reopen,
        Admin,
        &json!({"version": reopened["version"], "reason": "again"}),
    )
    .await
    .expect_problem(409, "version_conflict");
    let audit = app
        .get(
            &format!("/api/v1/audit?entity=project&id={p}&action=project.reopen"),
            Admin,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(audit["items"][0]["after"]["reason"], json!("Late invoice"));
}
