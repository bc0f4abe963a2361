//! Purchase orders over HTTP: exact line amounts, FX into the budget's currency, numbering,
//! approval bands, segregation of duties, the budget policies, contract ceilings, the status
//! machine and the list.

use crate::helpers::{id_of, s, TestApp};
use crate::p2p_fixtures::{
    act, approved, fixture, line, order, po_url, raise, simple, strings, submitted, submitted_by,
    Fixture, POS,
};
use diesel::prelude::*;
use procura::auth::Role::{Admin, Evaluator, Finance, Pm, Procurement, Viewer};
use serde_json::{json, Value};

fn sorted(mut fields: Vec<String>) -> Vec<String> {
    fields.sort();
    fields
}

/// The kinds of the overrun alerts raised so far (threshold alerts have their own tests).
async fn alert_kinds(app: &TestApp) -> Vec<String> {
    use procura::db::schema::alerts;
    app.db
        .read(|conn| {
            Ok(alerts::table
                .filter(alerts::kind.ne("budget_threshold"))
                .select(alerts::kind)
                .order(alerts::id)
                .load::<String>(conn)?)
        })
        .await
        .unwrap_or_else(|e| panic!("reading alerts: {e}"))
}

async fn lines_are_rounded_half_even_and_totals_sum_the_rounded_lines(app: TestApp) {
    let f = fixture(&app, "ROUND", None, "100000.00").await;
    let body = order(
        &f,
        "EUR",
        "2026-03-15",
        vec![
            // 0.375 → 0.38 (the 7 is odd); tax 20 % of 0.38 = 0.076 → 0.08
            line("3", "0.125", Some("20"), f.budget_line),
            // 0.125 → 0.12 (the 2 is even), no tax given
            line("2.5", "0.05", None, f.budget_line),
            // tax 25 % of 0.10 = 0.025 → 0.02
            line("1", "0.10", Some("25"), f.budget_line),
            // 2333.333331 → 2333.33; tax 19 % = 443.3327 → 443.33
            line("7", "333.333333", Some("19"), f.budget_line),
            // 0.005 → 0.00: the total is the sum of rounded lines, not the rounded exact sum
            line("1", "0.005", None, f.budget_line),
        ],
    );
    let created = app.post(POS, Pm, &body).await.expect(201);
    let po = &created.body;
    let id = id_of(po);
    assert_eq!(created.header("location"), Some(po_url(id).as_str()));
    assert_eq!(s(&po["number"]), "PO-2026-000001");
    assert_eq!(s(&po["status"]), "draft");
    assert_eq!(
        strings(&po["allowed_actions"]),
        ["update", "submit", "cancel"]
    );
    assert_eq!(s(&po["requested_by"]), "test-pm");
    assert_eq!(
        (
            s(&po["currency"]),
            s(&po["budget_currency"]),
            s(&po["fx_rate"])
        ),
        ("EUR", "EUR", "1")
    );
    let amounts: Vec<(&str, &str, &str, &str)> = po["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            (
                s(&l["quantity"]),
                s(&l["net_amount"]),
                s(&l["tax_amount"]),
                s(&l["net_amount_budget"]),
            )
        })
        .collect();
    assert_eq!(
        amounts,
        [
            ("3", "0.38", "0.08", "0.38"),
            ("2.5", "0.12", "0.00", "0.12"),
            ("1", "0.10", "0.02", "0.10"),
            ("7", "2333.33", "443.33", "2333.33"),
            ("1", "0.00", "0.00", "0.00"),
        ]
    );
    assert_eq!(s(&po["lines"][1]["tax_percent"]), "0");
    assert_eq!(
        (
            s(&po["net_total"]),
            s(&po["tax_total"]),
            s(&po["total"]),
            s(&po["net_total_budget"])
        ),
        ("2333.93", "443.43", "2777.36", "2333.93")
    );
    assert_eq!(s(&po["committed"]), "0.00");
    assert_eq!(po["approvals_required"], json!(0));
    assert_eq!(po["approvals"], json!([]));
    assert_eq!(po["version"], json!(1));

    let read = app.get(&po_url(id), Viewer).await.expect(200);
    assert_eq!(read.body, created.body, "reading gives what was created");
}

async fn foreign_currency_orders_use_the_rate_of_the_order_date(app: TestApp) {
    let f = fixture(&app, "FX", None, "100000.00").await;
    for (date, rate) in [
        ("2026-02-01", "0.80"),
        ("2026-03-01", "0.9125"),
        ("2026-03-20", "0.50"),
    ] {
        app.create_fx_rate(json!({"from": "USD", "to": "EUR", "date": date, "rate": rate}))
            .await;
    }
    let lines = vec![
        line("1", "10.00", None, f.budget_line),
        line("10", "1000", Some("10"), f.budget_line),
    ];
    let po = raise(
        &app,
        Procurement,
        &order(&f, "USD", "2026-03-15", lines.clone()),
    )
    .await;
    assert_eq!(
        (
            s(&po["currency"]),
            s(&po["budget_currency"]),
            s(&po["fx_rate"])
        ),
        ("USD", "EUR", "0.9125"),
        "the latest rate on or before 15 March is the one of 1 March"
    );
    // 10.00 × 0.9125 = 9.125 → 9.12 (half-even)
    assert_eq!(s(&po["lines"][0]["net_amount_budget"]), "9.12");
    assert_eq!(s(&po["lines"][1]["net_amount_budget"]), "9125.00");
    assert_eq!(
        (
            s(&po["net_total"]),
            s(&po["tax_total"]),
            s(&po["total"]),
            s(&po["net_total_budget"])
        ),
        ("10010.00", "1000.00", "11010.00", "9134.12")
    );

    // Moving the order date re-converts at that date's rate.
    let mut moved = order(&f, "USD", "2026-03-20", lines);
    moved["version"] = json!(1);
    let po = app
        .put(&po_url(id_of(&po)), Procurement, &moved)
        .await
        .expect(200)
        .body;
    assert_eq!(po["version"], json!(2));
    assert_eq!(s(&po["fx_rate"]), "0.5");
    assert_eq!(s(&po["net_total_budget"]), "5005.00");
    assert_eq!(s(&po["net_total"]), "10010.00", "the PO's own amounts stay");

    // The band is chosen on the budget-currency value: 5,005 EUR needs one approval even
    // though the order is above 10,000 in its own currency.
    let po = act(&app, Procurement, &po, "submit", json!({}))
        .await
        .expect(200)
        .body;
    assert_eq!(po["approvals_required"], json!(1));
    let po = act(&app, Finance, &po, "approve", json!({}))
        .await
        .expect(200)
        .body;
    assert_eq!(s(&po["status"]), "approved");
    assert_eq!(s(&po["committed"]), "5005.00");
    assert_eq!(s(&po["lines"][0]["committed"]), "5.00");

    // No rate on or before the order date: refused, naming the pair.
    app.create_fx_rate(json!({"from": "GBP", "to": "EUR", "date": "2026-04-01", "rate": "1.17"}))
        .await;
    let missing = app
        .post(
            POS,
            Procurement,
            &order(
                &f,
                "GBP",
                "2026-03-31",
                vec![line("1", "5", None, f.budget_line)],
            ),
        )
        .await
        .expect_problem(422, "fx_rate_missing");
    assert_eq!(
        missing.body["context"],
        json!({"from": "GBP", "to": "EUR", "date": "2026-03-31"})
    );
}

async fn numbers_count_per_year_without_gaps(app: TestApp) {
    let f = fixture(&app, "NUM", None, "100000.00").await;
    let first = raise(&app, Procurement, &simple(&f, "10")).await;
    assert_eq!(s(&first["number"]), "PO-2026-000001");
    // Refused orders give their number back (the FX check runs after numbering).
    let mut no_rate = simple(&f, "10");
    no_rate["currency"] = json!("CHF");
    app.post(POS, Procurement, &no_rate)
        .await
        .expect_problem(422, "fx_rate_missing");
    let mut bad = simple(&f, "10");
    bad["lines"][0]["quantity"] = json!("0");
    app.post(POS, Procurement, &bad)
        .await
        .expect_invalid("lines[0].quantity");
    // A retried create (same Idempotency-Key) replays the first answer and takes no number.
    let keyed = simple(&f, "10");
    let key = [("Idempotency-Key", "po-retry-1")];
    let second = app
        .post_with_headers(POS, Pm, &keyed, &key)
        .await
        .expect(201)
        .body;
    assert_eq!(s(&second["number"]), "PO-2026-000002");
    let replay = app
        .post_with_headers(POS, Pm, &keyed, &key)
        .await
        .expect(201);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.body["number"], second["number"]);
    let mut next_year = simple(&f, "10");
    next_year["order_date"] = json!("2027-01-04");
    let other_year = raise(&app, Procurement, &next_year).await;
    assert_eq!(s(&other_year["number"]), "PO-2027-000001");
    let third = raise(&app, Admin, &simple(&f, "10")).await;
    assert_eq!(s(&third["number"]), "PO-2026-000003");
    assert_eq!(app.list_all(POS, Viewer).await.len(), 4);
}

async fn bad_orders_name_every_field_and_write_nothing(app: TestApp) {
    let f = fixture(&app, "BAD", None, "1000.00").await;
    let other = fixture(&app, "OTHER", None, "1000.00").await;
    app.patch(
        &format!("/api/v1/vendors/{}", f.vendor),
        Procurement,
        &json!({"version": 1, "status": "blocked"}),
    )
    .await
    .expect(200);
    let body = order(
        &f,
        "EUR",
        "2026-03-15",
        vec![
            line("1", "10", None, other.budget_line),
            line("0", "10", None, f.budget_line),
            line("-1", "10", None, f.budget_line),
            line("0.0000001", "10", None, f.budget_line),
            line("1", "1.0000001", None, f.budget_line),
            line("1", "10", Some("101"), f.budget_line),
            line("1", "10", Some("19.00001"), f.budget_line),
            json!({"description": " ", "quantity": "1.5", "unit": "each", "unit_price": "10",
                   "budget_line_id": f.budget_line, "is_asset": true}),
        ],
    );
    let refused = app
        .post(POS, Procurement, &body)
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(
        sorted(refused.fields()),
        sorted(
            [
                "vendor_id",
                "lines[0].budget_line_id",
                "lines[1].quantity",
                "lines[2].quantity",
                "lines[3].quantity",
                "lines[4].unit_price",
                "lines[5].tax_percent",
                "lines[6].tax_percent",
                "lines[7].description",
                "lines[7].quantity",
                "lines[7].asset_category",
            ]
            .map(String::from)
            .to_vec()
        ),
        "{}",
        refused.text
    );
    // Six decimal places and 100 % are fine; so is a price of zero.
    let mut fine = order(
        &other,
        "EUR",
        "2026-03-15",
        vec![
            line("0.000001", "1000000", Some("100"), other.budget_line),
            line("1", "0.000001", None, other.budget_line),
            line("1", "0", None, other.budget_line),
        ],
    );
    let ok = raise(&app, Procurement, &fine).await;
    assert_eq!(s(&ok["net_total"]), "1.00");
    assert_eq!(s(&ok["tax_total"]), "1.00");
    assert_eq!(
        s(&ok["number"]),
        "PO-2026-000001",
        "refused orders used no number"
    );
    fine["lines"] = json!([]);
    app.post(POS, Procurement, &fine)
        .await
        .expect_invalid("lines");
    assert_eq!(app.list_all(POS, Admin).await.len(), 1);
}

async fn roles_decide_who_reads_raises_and_approves(app: TestApp) {
    let f = fixture(&app, "ROLES", None, "100000.00").await;
    for role in [Viewer, Finance, Evaluator] {
        app.post(POS, role, &simple(&f, "10"))
            .await
            .expect_problem(403, "forbidden");
    }
    let po = submitted(&app, &simple(&f, "10")).await;
    let id = id_of(&po);
    app.get(&po_url(id), Evaluator)
        .await
        .expect_problem(403, "forbidden");
    app.get(POS, Evaluator)
        .await
        .expect_problem(403, "forbidden");
    app.get(&po_url(id), Viewer).await.expect(200);
    for role in [Pm, Viewer] {
        act(&app, role, &po, "approve", json!({}))
            .await
            .expect_problem(403, "forbidden");
    }
    app.get(&po_url(999_999), Viewer)
        .await
        .expect_problem(404, "not_found");
    let read = app.get(&po_url(id), Viewer).await.expect(200).body;
    assert_eq!(
        read["approvals"],
        json!([]),
        "refused approvals leave no trace"
    );
    assert_eq!(s(&read["status"]), "submitted");
}

async fn two_approvals_then_commit_issue_and_close(app: TestApp) {
    let f = fixture(&app, "TWO", None, "50000.00").await;
    let body = order(
        &f,
        "EUR",
        "2026-03-15",
        vec![
            line("2", "5000.00", Some("20"), f.budget_line),
            line("1", "10000.01", None, f.budget_line),
        ],
    );
    let po = raise(&app, Pm, &body).await;
    let id = id_of(&po);
    assert_eq!(s(&po["net_total_budget"]), "20000.01");
    let po = act(&app, Pm, &po, "submit", json!({}))
        .await
        .expect(200)
        .body;
    assert_eq!(s(&po["status"]), "submitted");
    assert_eq!(po["approvals_required"], json!(2));
    assert_eq!(
        strings(&po["allowed_actions"]),
        ["approve", "reject", "cancel"]
    );
    assert!(po["submitted_at"].is_string(), "{po}");

    let po = act(&app, Procurement, &po, "approve", json!({}))
        .await
        .expect(200)
        .body;
    assert_eq!(s(&po["status"]), "submitted", "one of two approvals");
    assert_eq!(po["approvals"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        (
            s(&po["approvals"][0]["approver"]),
            s(&po["approvals"][0]["role"])
        ),
        ("test-procurement", "procurement")
    );
    assert_eq!(po["approvals"][0]["override_reason"], Value::Null);
    assert_eq!(
        s(&po["committed"]),
        "0.00",
        "nothing is committed before the last approval"
    );
    assert!(po["approved_at"].is_null());

    act(&app, Procurement, &po, "approve", json!({}))
        .await
        .expect_problem(409, "already_approved");
    let po = act(&app, Finance, &po, "approve", json!({}))
        .await
        .expect(200)
        .body;
    assert_eq!(s(&po["status"]), "approved");
    let approvers: Vec<&str> = po["approvals"]
        .as_array()
        .expect("approvals")
        .iter()
        .map(|a| s(&a["approver"]))
        .collect();
    assert_eq!(approvers, ["test-procurement", "test-finance"]);
    assert_eq!(s(&po["committed"]), "20000.01");
    assert_eq!(
        (
            s(&po["lines"][0]["committed"]),
            s(&po["lines"][1]["committed"])
        ),
        ("10000.00", "10000.01")
    );
    assert!(po["approved_at"].is_string(), "{po}");
    assert_eq!(
        strings(&po["allowed_actions"]),
        ["issue", "revise", "cancel", "close"]
    );

    let po = act(&app, Procurement, &po, "issue", json!({}))
        .await
        .expect(200)
        .body;
    assert_eq!(s(&po["status"]), "issued");
    assert!(po["issued_at"].is_string(), "{po}");
    assert_eq!(
        s(&po["committed"]),
        "20000.01",
        "issuing keeps the commitment"
    );
    let po = act(
        &app,
        Procurement,
        &po,
        "close",
        json!({"reason": "Project descoped"}),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(s(&po["status"]), "closed");
    assert_eq!(s(&po["status_reason"]), "Project descoped");
    assert_eq!(
        s(&po["committed"]),
        "0.00",
        "closing releases the commitment"
    );
    assert_eq!(s(&po["lines"][1]["committed"]), "0.00");
    assert_eq!(po["allowed_actions"], json!([]));
    assert_eq!(po["version"], json!(6));

    let audit = app
        .list_all(
            &format!("/api/v1/audit?entity=purchase_order&id={id}"),
            Finance,
        )
        .await;
    let approvals: Vec<(&str, &str)> = audit
        .iter()
        .filter(|r| s(&r["action"]).starts_with("purchase_order.approve"))
        .map(|r| (s(&r["action"]), s(&r["actor"])))
        .collect();
    assert_eq!(approvals.len(), 2, "one audit row per approval: {audit:#?}");
    assert_eq!(
        approvals.iter().map(|(_, who)| *who).collect::<Vec<_>>(),
        ["test-procurement", "test-finance"]
    );
    let completing = app
        .list_all(
            &format!("/api/v1/audit?entity=purchase_order&id={id}&action=purchase_order.approve"),
            Finance,
        )
        .await;
    let last = completing.last().expect("a purchase_order.approve row");
    assert_eq!(s(&last["actor"]), "test-finance");
    assert_eq!(s(&last["before"]["status"]), "submitted");
    assert_eq!(s(&last["after"]["status"]), "approved");
    let actions: Vec<&str> = audit.iter().map(|r| s(&r["action"])).collect();
    assert_eq!(actions.first(), Some(&"purchase_order.create"));
    assert_eq!(actions.get(1), Some(&"purchase_order.submit"));
    assert_eq!(
        &actions[actions.len() - 2..],
        ["purchase_order.issue", "purchase_order.close"]
    );
}

async fn requesters_never_approve_their_own_orders(app: TestApp) {
    let f = fixture(&app, "SOD", None, "100000.00").await;
    let small = submitted(&app, &simple(&f, "500.00")).await;
    act(&app, Procurement, &small, "approve", json!({}))
        .await
        .expect_problem(403, "segregation_of_duties");
    // Another token of the same person (same name), even with a finance role.
    let alias = app.create_token("test-procurement", Finance).await;
    app.post_with_token(
        &format!("{}/approve", po_url(id_of(&small))),
        &alias,
        &json!({"version": small["version"]}),
    )
    .await
    .expect_problem(403, "segregation_of_duties");
    let small = act(&app, Admin, &small, "approve", json!({}))
        .await
        .expect(200)
        .body;
    assert_eq!(s(&small["status"]), "approved");
    assert_eq!(s(&small["approvals"][0]["approver"]), "test-admin");

    // The same person cannot give two of the approvals, whatever token they use.
    let big = submitted(&app, &simple(&f, "20000.00")).await;
    assert_eq!(big["approvals_required"], json!(2));
    let big = act(&app, Finance, &big, "approve", json!({}))
        .await
        .expect(200)
        .body;
    let second_token = app.create_token("test-finance", Admin).await;
    app.post_with_token(
        &format!("{}/approve", po_url(id_of(&big))),
        &second_token,
        &json!({"version": big["version"]}),
    )
    .await
    .expect_problem(409, "already_approved");
    let big = act(&app, Admin, &big, "approve", json!({}))
        .await
        .expect(200)
        .body;
    assert_eq!(s(&big["status"]), "approved");
}

async fn block_policy_refuses_overruns_with_the_figures(app: TestApp) {
    let f = fixture(&app, "BLOCK", None, "1000.00").await;
    // A submitted (not yet approved) order commits nothing.
    let pending = submitted(&app, &simple(&f, "900.00")).await;
    let a = approved(
        &app,
        &order(
            &f,
            "EUR",
            "2026-03-15",
            vec![
                line("1", "300.00", None, f.budget_line),
                line("1", "300.00", None, f.budget_line),
            ],
        ),
    )
    .await;
    assert_eq!(s(&a["committed"]), "600.00");
    // Exactly at the budget passes.
    approved(&app, &simple(&f, "400.00")).await;
    let c = submitted(&app, &simple(&f, "0.01")).await;
    let refused = act(&app, Finance, &c, "approve", json!({}))
        .await
        .expect_problem(409, "budget_exceeded");
    let overruns = refused.body["context"]["overruns"]
        .as_array()
        .unwrap_or_else(|| panic!("no overruns in {}", refused.text));
    assert_eq!(overruns.len(), 1, "{}", refused.text);
    let o = &overruns[0];
    assert_eq!(o["budget_line_id"], json!(f.budget_line));
    assert_eq!(
        (
            s(&o["budget"]),
            s(&o["actual"]),
            s(&o["committed"]),
            s(&o["this_po"]),
            s(&o["over_by"])
        ),
        ("1000.00", "0.00", "1000.00", "0.01", "0.01")
    );
    let c_now = app.get(&po_url(id_of(&c)), Viewer).await.expect(200).body;
    assert_eq!(s(&c_now["status"]), "submitted");
    assert_eq!(c_now["approvals"], json!([]));
    assert_eq!(
        c_now["version"], c["version"],
        "a refused approval changes nothing"
    );

    // Closing A releases 600.00: C fits again, the 900.00 order still does not.
    act(&app, Procurement, &a, "close", json!({}))
        .await
        .expect(200);
    act(&app, Finance, &c, "approve", json!({}))
        .await
        .expect(200);
    let refused = act(&app, Admin, &pending, "approve", json!({}))
        .await
        .expect_problem(409, "budget_exceeded");
    let o = &refused.body["context"]["overruns"][0];
    assert_eq!(
        (s(&o["committed"]), s(&o["this_po"]), s(&o["over_by"])),
        ("400.01", "900.00", "300.01")
    );
}

async fn warn_policy_approves_and_raises_an_alert(app: TestApp) {
    let f = fixture(&app, "WARN", Some("warn"), "100.00").await;
    let po = approved(&app, &simple(&f, "150.00")).await;
    assert_eq!(s(&po["committed"]), "150.00");
    assert_eq!(alert_kinds(&app).await, ["budget_overrun_approved"]);
    // Within budget: no alert.
    let other = fixture(&app, "WARN2", Some("warn"), "100.00").await;
    approved(&app, &simple(&other, "100.00")).await;
    assert_eq!(alert_kinds(&app).await.len(), 1);

    // The policy is read at approval time.
    let project = app
        .patch(
            &format!("/api/v1/projects/{}", f.project),
            Admin,
            &json!({"version": 1, "budget_policy": "block"}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(s(&project["budget_policy"]), "block");
    let next = submitted(&app, &simple(&f, "1.00")).await;
    let refused = act(&app, Finance, &next, "approve", json!({}))
        .await
        .expect_problem(409, "budget_exceeded");
    let o = &refused.body["context"]["overruns"][0];
    assert_eq!(
        (s(&o["committed"]), s(&o["this_po"]), s(&o["over_by"])),
        ("150.00", "1.00", "51.00")
    );
}

async fn override_policy_needs_a_budget_approver_with_a_reason(app: TestApp) {
    let f = fixture(&app, "OVR", Some("override"), "100.00").await;
    let po = submitted_by(&app, Pm, &simple(&f, "150.00")).await;
    let refused = act(
        &app,
        Procurement,
        &po,
        "approve",
        json!({"override_reason": "We need it"}),
    )
    .await
    .expect_problem(409, "budget_override_required");
    assert_eq!(
        s(&refused.body["context"]["overruns"][0]["over_by"]),
        "50.00"
    );
    for extra in [json!({}), json!({"override_reason": "   "})] {
        act(&app, Finance, &po, "approve", extra)
            .await
            .expect_problem(409, "budget_override_required");
    }
    let done = act(
        &app,
        Finance,
        &po,
        "approve",
        json!({"override_reason": "Board approved the overrun"}),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(s(&done["status"]), "approved");
    assert_eq!(s(&done["committed"]), "150.00");
    assert_eq!(done["approvals"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        (
            s(&done["approvals"][0]["approver"]),
            s(&done["approvals"][0]["override_reason"])
        ),
        ("test-finance", "Board approved the overrun")
    );
    assert_eq!(alert_kinds(&app).await, ["budget_overrun_overridden"]);
    // Within budget, procurement approves without a reason.
    let other = fixture(&app, "OVR2", Some("override"), "100.00").await;
    let po = submitted_by(&app, Pm, &simple(&other, "100.00")).await;
    let ok = act(&app, Procurement, &po, "approve", json!({}))
        .await
        .expect(200)
        .body;
    assert_eq!(ok["approvals"][0]["override_reason"], Value::Null);
}

async fn contract_orders_follow_the_contract_and_its_ceiling(app: TestApp) {
    let f = fixture(&app, "CTR", None, "100000.00").await;
    let elsewhere = fixture(&app, "ELSE", None, "100000.00").await;
    let contract_body = |vendor: i64| {
        json!({
            "vendor_id": vendor, "title": "Cabling", "contract_type": "framework",
            "currency": "EUR", "ceiling": "1000.00", "start_date": "2026-01-01",
            "initial_term_months": 12, "renewal": {"kind": "none"},
            "notice": {"unit": "days", "value": 0}, "project_ids": [f.project]
        })
    };
    let contract = app
        .post("/api/v1/contracts", Procurement, &contract_body(f.vendor))
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
    let draft_contract = id_of(
        &app.post("/api/v1/contracts", Procurement, &contract_body(f.vendor))
            .await
            .expect(201)
            .body,
    );
    let under = |body: Value, contract: i64| {
        let mut body = body;
        body["contract_id"] = json!(contract);
        body
    };

    // Another vendor, a project the contract does not serve, before its start or after its
    // end, a draft contract: contract_id; another currency: currency.
    let mut wrong_vendor = under(simple(&f, "10"), contract_id);
    wrong_vendor["vendor_id"] = json!(elsewhere.vendor);
    let mut wrong_project = under(simple(&elsewhere, "10"), contract_id);
    wrong_project["vendor_id"] = json!(f.vendor);
    let mut too_early = under(simple(&f, "10"), contract_id);
    too_early["order_date"] = json!("2025-12-31");
    let mut too_late = under(simple(&f, "10"), contract_id);
    too_late["order_date"] = json!("2027-01-04");
    let not_active = under(simple(&f, "10"), draft_contract);
    for body in [wrong_vendor, wrong_project, too_early, too_late, not_active] {
        app.post(POS, Procurement, &body)
            .await
            .expect_invalid("contract_id");
    }
    app.create_fx_rate(json!({"from": "USD", "to": "EUR", "date": "2026-01-01", "rate": "0.9"}))
        .await;
    let mut dollars = under(simple(&f, "10"), contract_id);
    dollars["currency"] = json!("USD");
    app.post(POS, Procurement, &dollars)
        .await
        .expect_invalid("currency");

    let first = approved(&app, &under(simple(&f, "700.00"), contract_id)).await;
    assert_eq!(first["contract_id"], json!(contract_id));
    let second = submitted(&app, &under(simple(&f, "400.00"), contract_id)).await;
    let refused = act(&app, Finance, &second, "approve", json!({}))
        .await
        .expect_problem(409, "budget_exceeded");
    let overruns = refused.body["context"]["overruns"]
        .as_array()
        .unwrap_or_else(|| panic!("no overruns in {}", refused.text));
    assert_eq!(
        overruns.len(),
        1,
        "only the ceiling is exceeded: {}",
        refused.text
    );
    let o = &overruns[0];
    assert!(s(&o["what"]).contains("ceiling"), "{o}");
    assert_eq!(
        (
            s(&o["budget"]),
            s(&o["committed"]),
            s(&o["this_po"]),
            s(&o["over_by"])
        ),
        ("1000.00", "700.00", "400.00", "100.00")
    );
    // Exactly at the ceiling passes.
    approved(&app, &under(simple(&f, "300.00"), contract_id)).await;
    let listed = app
        .list_all(&format!("{POS}?contract_id={contract_id}"), Viewer)
        .await;
    assert_eq!(listed.len(), 3);
    let approved_ones = app
        .list_all(
            &format!("{POS}?contract_id={contract_id}&status=approved"),
            Viewer,
        )
        .await;
    assert_eq!(approved_ones.len(), 2);
}

async fn the_status_machine_refuses_illegal_moves(app: TestApp) {
    let f = fixture(&app, "FSM", None, "100000.00").await;
    let draft = raise(&app, Procurement, &simple(&f, "20000.00")).await;
    let id = id_of(&draft);
    let refused = act(&app, Finance, &draft, "approve", json!({}))
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(
        refused.body["context"],
        json!({"status": "draft", "allowed_actions": ["update", "submit", "cancel"]})
    );
    assert!(
        s(&refused.body["detail"]).contains("draft"),
        "{}",
        refused.text
    );
    for action in ["issue", "close", "reject"] {
        act(&app, Procurement, &draft, action, json!({"reason": "x"}))
            .await
            .expect_problem(409, "invalid_transition");
    }
    app.post(
        &format!("{}/submit", po_url(id)),
        Procurement,
        &json!({"version": 7}),
    )
    .await
    .expect_problem(409, "version_conflict");

    let po = act(&app, Procurement, &draft, "submit", json!({}))
        .await
        .expect(200)
        .body;
    let mut rewrite = simple(&f, "5.00");
    rewrite["version"] = po["version"].clone();
    let refused = app
        .put(&po_url(id), Procurement, &rewrite)
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(s(&refused.body["context"]["status"]), "submitted");
    let po = act(&app, Finance, &po, "approve", json!({}))
        .await
        .expect(200)
        .body;
    assert_eq!(po["approvals"].as_array().map(Vec::len), Some(1));
    act(&app, Finance, &po, "reject", json!({}))
        .await
        .expect_invalid("reason");
    let po = act(
        &app,
        Admin,
        &po,
        "reject",
        json!({"reason": "Split it in two"}),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(s(&po["status"]), "draft");
    assert_eq!(s(&po["status_reason"]), "Split it in two");
    assert_eq!(
        po["approvals"],
        json!([]),
        "the rejected submission's approvals go"
    );
    assert_eq!(s(&po["committed"]), "0.00");

    // Back in draft it can be rewritten (not moved to another project), resubmitted and
    // approved by the same approver again.
    let mut moved = simple(&f, "5.00");
    moved["project_id"] = json!(fixture(&app, "FSM2", None, "10.00").await.project);
    moved["version"] = po["version"].clone();
    app.put(&po_url(id), Procurement, &moved)
        .await
        .expect_invalid("project_id");
    let po = app
        .put(&po_url(id), Procurement, &rewrite_at(&f, &po))
        .await
        .expect(200)
        .body;
    assert_eq!(s(&po["net_total"]), "5.00");
    assert_eq!(s(&po["number"]), s(&draft["number"]), "the number stays");
    let po = act(&app, Procurement, &po, "submit", json!({}))
        .await
        .expect(200)
        .body;
    assert_eq!(
        po["approvals_required"],
        json!(1),
        "the band follows the new value"
    );
    let po = act(&app, Finance, &po, "approve", json!({}))
        .await
        .expect(200)
        .body;
    assert_eq!(s(&po["status"]), "approved");

    // Cancelling needs a reason and ends everything.
    act(&app, Procurement, &po, "cancel", json!({"reason": ""}))
        .await
        .expect_invalid("reason");
    let po = act(
        &app,
        Procurement,
        &po,
        "cancel",
        json!({"reason": "Vendor went bust"}),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(s(&po["status"]), "cancelled");
    assert_eq!(s(&po["committed"]), "0.00");
    assert!(po["closed_at"].is_string(), "{po}");
    let refused = act(&app, Procurement, &po, "close", json!({}))
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(refused.body["context"]["allowed_actions"], json!([]));
}

fn rewrite_at(f: &Fixture, po: &Value) -> Value {
    let mut body = simple(f, "5.00");
    body["version"] = po["version"].clone();
    body
}

async fn the_list_filters_and_pages(app: TestApp) {
    let a = fixture(&app, "LA", None, "100000.00").await;
    let b = fixture(&app, "LB", None, "100000.00").await;
    let a1 = raise(&app, Procurement, &simple(&a, "1")).await;
    let a2 = submitted(&app, &simple(&a, "2")).await;
    let b1 = approved(&app, &simple(&b, "3")).await;
    let b2 = raise(&app, Pm, &simple(&b, "4")).await;
    let ids = |items: &[Value]| items.iter().map(id_of).collect::<Vec<_>>();

    let all = app.list_all(POS, Viewer).await;
    assert_eq!(ids(&all), [id_of(&a1), id_of(&a2), id_of(&b1), id_of(&b2)]);
    let drafts = app.list_all(&format!("{POS}?status=draft"), Viewer).await;
    assert_eq!(ids(&drafts), [id_of(&a1), id_of(&b2)]);
    let of_a = app
        .list_all(&format!("{POS}?project_id={}", a.project), Viewer)
        .await;
    assert_eq!(ids(&of_a), [id_of(&a1), id_of(&a2)]);
    let to_b = app
        .list_all(
            &format!("{POS}?vendor_id={}&status=approved", b.vendor),
            Viewer,
        )
        .await;
    assert_eq!(ids(&to_b), [id_of(&b1)]);
    assert_eq!(s(&to_b[0]["committed"]), "3.00");

    let page = app
        .get(&format!("{POS}?limit=3"), Viewer)
        .await
        .expect(200)
        .body;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(3));
    let cursor = s(&page["next_cursor"]).to_string();
    let rest = app
        .get(&format!("{POS}?limit=3&cursor={cursor}"), Viewer)
        .await
        .expect(200)
        .body;
    assert_eq!(ids(rest["items"].as_array().expect("items")), [id_of(&b2)]);
    assert!(rest["next_cursor"].is_null(), "{rest}");
    app.get(&format!("{POS}?status=pending"), Viewer)
        .await
        .expect(400);
}

async fn totals_beyond_the_largest_amount_are_refused(app: TestApp) {
    let f = fixture(&app, "HUGE", Some("warn"), "100000.00").await;
    // Each line is within the largest amount Procura stores (99,999,999,999,999.9999); the
    // order's total is not.
    let doubled_by_tax = order(
        &f,
        "EUR",
        "2026-03-15",
        vec![line("1", "90000000000000", Some("100"), f.budget_line)],
    );
    let two_lines = order(
        &f,
        "EUR",
        "2026-03-15",
        vec![
            line("1", "90000000000000", None, f.budget_line),
            line("1", "90000000000000", None, f.budget_line),
        ],
    );
    for body in [doubled_by_tax, two_lines] {
        let refused = app.post(POS, Procurement, &body).await;
        assert_eq!(
            refused.status.as_u16(),
            422,
            "a total beyond the largest amount is the client's error, not a 500: {}",
            refused.text
        );
        assert!(
            refused.fields().iter().any(|f| f.starts_with("lines")),
            "{}",
            refused.text
        );
    }
    assert!(app.list_all(POS, Admin).await.is_empty());
}

both_engines!(
    lines_are_rounded_half_even_and_totals_sum_the_rounded_lines,
    foreign_currency_orders_use_the_rate_of_the_order_date,
    numbers_count_per_year_without_gaps,
    bad_orders_name_every_field_and_write_nothing,
    roles_decide_who_reads_raises_and_approves,
    two_approvals_then_commit_issue_and_close,
    requesters_never_approve_their_own_orders,
    block_policy_refuses_overruns_with_the_figures,
    warn_policy_approves_and_raises_an_alert,
    override_policy_needs_a_budget_approver_with_a_reason,
    contract_orders_follow_the_contract_and_its_ceiling,
    the_status_machine_refuses_illegal_moves,
    the_list_filters_and_pages,
    totals_beyond_the_largest_amount_are_refused,
);
