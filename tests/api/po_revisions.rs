//! Revisions of approved purchase orders, over HTTP.

use crate::helpers::{id_of, s, TestApp};
use crate::p2p_fixtures::{act, approved, fixture, line, order, po_url, strings};
use procura::auth::Role::{Finance, Pm, Procurement};
use serde_json::{json, Value};

fn revised_line(id: Option<i64>, quantity: &str, price: &str, budget_line: i64) -> Value {
    let mut line = line(quantity, price, None, budget_line);
    if let Some(id) = id {
        line["id"] = json!(id);
    }
    line
}

fn line_id(po: &Value, index: usize) -> i64 {
    id_of(&po["lines"][index])
}

async fn revise(app: &TestApp, po: &Value, lines: Vec<Value>) -> crate::helpers::Resp {
    act(
        app,
        Procurement,
        po,
        "revise",
        json!({"reason": "scope changed", "lines": lines}),
    )
    .await
}

async fn lowering_revisions_apply_at_once_and_keep_history(app: TestApp) {
    let f = fixture(&app, "REV-A", None, "100000.00").await;
    let po = approved(
        &app,
        &order(
            &f,
            "EUR",
            "2026-03-15",
            vec![
                line("10", "100.00", None, f.budget_line),
                line("5", "50.00", None, f.budget_line),
            ],
        ),
    )
    .await;
    assert_eq!(s(&po["committed"]), "1250.00");
    let revised = revise(
        &app,
        &po,
        vec![
            revised_line(Some(line_id(&po, 0)), "8", "100.00", f.budget_line),
            revised_line(Some(line_id(&po, 1)), "5", "50.00", f.budget_line),
        ],
    )
    .await
    .expect(200)
    .body;
    assert_eq!(revised["revision"], 2, "{revised}");
    assert_eq!(s(&revised["status"]), "approved");
    assert_eq!(s(&revised["net_total"]), "1050.00");
    assert_eq!(s(&revised["committed"]), "1050.00");
    assert_eq!(s(&revised["lines"][0]["net_amount"]), "800.00");
    assert!(revised["pending_revision"].is_null(), "{revised}");
    let history = app
        .get(&format!("{}/revisions", po_url(id_of(&po))), Procurement)
        .await
        .expect(200)
        .body;
    let history = history.as_array().expect("a list");
    assert_eq!(history.len(), 1);
    assert_eq!(s(&history[0]["status"]), "applied");
    assert_eq!(s(&history[0]["reason"]), "scope changed");
    assert_eq!(s(&history[0]["before"]["net_total"]), "1250.00");
    assert_eq!(history[0]["before"]["revision"], 1);
}

async fn raising_revisions_wait_for_approval_by_someone_else(app: TestApp) {
    let f = fixture(&app, "REV-B", None, "100000.00").await;
    let po = approved(
        &app,
        &order(
            &f,
            "EUR",
            "2026-03-15",
            vec![line("10", "100.00", None, f.budget_line)],
        ),
    )
    .await;
    let pending = revise(
        &app,
        &po,
        vec![
            revised_line(Some(line_id(&po, 0)), "10", "100.00", f.budget_line),
            revised_line(None, "1", "500.00", f.budget_line),
        ],
    )
    .await
    .expect(200)
    .body;
    // The order runs on as approved while the revision waits.
    assert_eq!(pending["revision"], 1, "{pending}");
    assert_eq!(s(&pending["net_total"]), "1000.00");
    assert_eq!(s(&pending["committed"]), "1000.00");
    assert_eq!(pending["lines"].as_array().map(Vec::len), Some(1));
    let waiting = &pending["pending_revision"];
    assert_eq!(waiting["revision"], 2, "{pending}");
    assert_eq!(s(&waiting["net_total_budget"]), "1500.00");
    assert_eq!(s(&waiting["requested_by"]), "test-procurement");
    let actions = strings(&pending["allowed_actions"]);
    assert!(actions.contains(&"approve".to_string()), "{actions:?}");
    assert!(!actions.contains(&"revise".to_string()), "{actions:?}");
    // No second revision on top of a pending one.
    revise(
        &app,
        &pending,
        vec![revised_line(
            Some(line_id(&po, 0)),
            "20",
            "100.00",
            f.budget_line,
        )],
    )
    .await
    .expect_problem(409, "revision_pending");
    // Whoever revised may not approve the revision.
    act(&app, Procurement, &pending, "approve", json!({}))
        .await
        .expect_problem(403, "segregation_of_duties");
    let done = act(&app, Finance, &pending, "approve", json!({}))
        .await
        .expect(200)
        .body;
    assert_eq!(done["revision"], 2, "{done}");
    assert_eq!(s(&done["status"]), "approved");
    assert_eq!(s(&done["net_total"]), "1500.00");
    assert_eq!(s(&done["committed"]), "1500.00");
    assert_eq!(done["lines"].as_array().map(Vec::len), Some(2));
    assert_eq!(done["lines"][1]["line_no"], 2);
    assert!(done["pending_revision"].is_null(), "{done}");
    let approvals = done["approvals"].as_array().expect("approvals");
    assert_eq!(approvals.len(), 2, "{done}");
    assert_eq!(approvals[1]["revision"], 2);
}

async fn a_raising_revision_meets_the_budget_check_and_can_be_rejected(app: TestApp) {
    let f = fixture(&app, "REV-C", None, "1200.00").await;
    let po = approved(
        &app,
        &order(
            &f,
            "EUR",
            "2026-03-15",
            vec![line("10", "100.00", None, f.budget_line)],
        ),
    )
    .await;
    let pending = revise(
        &app,
        &po,
        vec![revised_line(
            Some(line_id(&po, 0)),
            "13",
            "100.00",
            f.budget_line,
        )],
    )
    .await
    .expect(200)
    .body;
    let refused = act(&app, Finance, &pending, "approve", json!({}))
        .await
        .expect_problem(409, "budget_exceeded");
    let overrun = &refused.body["context"]["overruns"][0];
    assert_eq!(s(&overrun["budget"]), "1200.00", "{}", refused.body);
    assert_eq!(s(&overrun["committed"]), "0.00");
    assert_eq!(s(&overrun["this_po"]), "1300.00");
    assert_eq!(s(&overrun["over_by"]), "100.00");
    let dropped = act(
        &app,
        Finance,
        &pending,
        "reject",
        json!({"reason": "no budget for it"}),
    )
    .await
    .expect(200)
    .body;
    assert!(dropped["pending_revision"].is_null(), "{dropped}");
    assert_eq!(s(&dropped["status"]), "approved");
    assert_eq!(s(&dropped["net_total"]), "1000.00");
    assert_eq!(dropped["revision"], 1);
    assert!(s(&dropped["status_reason"]).contains("no budget for it"));
    let history = app
        .get(&format!("{}/revisions", po_url(id_of(&po))), Finance)
        .await
        .expect(200)
        .body;
    assert_eq!(s(&history[0]["status"]), "rejected", "{history}");
}

async fn revisions_respect_what_was_received(app: TestApp) {
    let f = fixture(&app, "REV-D", None, "100000.00").await;
    let other_line = id_of(
        &app.create_budget_line(json!({
            "project_id": f.project, "category": "opex", "cost_center": "CC-2", "amount": "1000.00"
        }))
        .await,
    );
    let po = approved(
        &app,
        &order(
            &f,
            "EUR",
            "2026-03-15",
            vec![
                line("10", "100.00", None, f.budget_line),
                line("2", "10.00", None, f.budget_line),
            ],
        ),
    )
    .await;
    let issued = act(&app, Procurement, &po, "issue", json!({}))
        .await
        .expect(200)
        .body;
    app.post(
        &format!("{}/receipts", po_url(id_of(&po))),
        Pm,
        &json!({"lines": [{"po_line_id": line_id(&po, 0), "quantity": "5"}]}),
    )
    .await
    .expect(201);
    let issued = app
        .get(&po_url(id_of(&issued)), Procurement)
        .await
        .expect(200)
        .body;
    assert_eq!(s(&issued["status"]), "partially_received");
    // Below what was received.
    revise(
        &app,
        &issued,
        vec![
            revised_line(Some(line_id(&po, 0)), "4", "100.00", f.budget_line),
            revised_line(Some(line_id(&po, 1)), "2", "10.00", f.budget_line),
        ],
    )
    .await
    .expect_invalid("lines[0].quantity");
    // A line with receipts cannot go; nor can a line move to another budget line.
    revise(
        &app,
        &issued,
        vec![revised_line(
            Some(line_id(&po, 1)),
            "2",
            "10.00",
            f.budget_line,
        )],
    )
    .await
    .expect_invalid("lines");
    revise(
        &app,
        &issued,
        vec![
            revised_line(Some(line_id(&po, 0)), "10", "100.00", other_line),
            revised_line(Some(line_id(&po, 1)), "2", "10.00", f.budget_line),
        ],
    )
    .await
    .expect_invalid("lines[0].budget_line_id");
    // Cutting the rest of the first line to what arrived, and dropping the untouched second
    // line, lowers the value: it applies at once and the order is now fully received.
    let cut = revise(
        &app,
        &issued,
        vec![revised_line(
            Some(line_id(&po, 0)),
            "5",
            "100.00",
            f.budget_line,
        )],
    )
    .await
    .expect(200)
    .body;
    assert_eq!(s(&cut["status"]), "received", "{cut}");
    assert_eq!(s(&cut["committed"]), "500.00");
    assert_eq!(cut["lines"].as_array().map(Vec::len), Some(1));
}

both_engines!(
    lowering_revisions_apply_at_once_and_keep_history,
    raising_revisions_wait_for_approval_by_someone_else,
    a_raising_revision_meets_the_budget_check_and_can_be_rejected,
    revisions_respect_what_was_received,
);
