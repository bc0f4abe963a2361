//! Budget lines: exact amounts in the project's currency, monthly phasing that always adds up.

use crate::helpers::{id_of, s, Resp, TestApp};
use procura::auth::Role;
use rust_decimal::Decimal;
use serde_json::{json, Value};

const LINES: &str = "/api/v1/budget-lines";

fn line_url(id: i64) -> String {
    format!("{LINES}/{id}")
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str_exact(text).unwrap_or_else(|e| panic!("`{text}` is not a decimal: {e}"))
}

/// The months of a line as (month, amount text) pairs, in the order given.
fn months(line: &Value) -> Vec<(String, String)> {
    line["months"]
        .as_array()
        .unwrap_or_else(|| panic!("no months in {line}"))
        .iter()
        .map(|m| (s(&m["month"]).to_string(), s(&m["amount"]).to_string()))
        .collect()
}

#[track_caller]
fn assert_months_sum_to_amount(line: &Value) {
    let total: Decimal = months(line).iter().map(|(_, a)| dec(a)).sum();
    assert_eq!(
        total,
        dec(s(&line["amount"])),
        "months must add up to the amount exactly: {line}"
    );
}

async fn project(app: &TestApp, code: &str, currency: &str, dates: Option<(&str, &str)>) -> i64 {
    let mut body = json!({"code": code, "name": format!("Project {code}"), "currency": currency});
    if let Some((start, end)) = dates {
        body["start_date"] = json!(start);
        body["end_date"] = json!(end);
    }
    id_of(&app.create_project(body).await)
}

async fn spread_evenly_by_largest_remainder(app: TestApp) {
    let p = project(&app, "Q1", "EUR", Some(("2026-01-01", "2026-03-31"))).await;
    let created = app
        .post(LINES, Role::Finance, &json!({"project_id": p, "category": "opex", "cost_center": "CC-1", "amount": "100.00"}))
        .await
        .expect(201);
    let line = &created.body;
    let id = id_of(line);
    assert_eq!(created.header("location"), Some(line_url(id).as_str()));
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert_eq!(line["project_id"], p);
    assert_eq!(line["category"], "opex");
    assert_eq!(line["cost_center"], "CC-1");
    assert_eq!(line["currency"], "EUR", "the currency is the project's");
    assert_eq!(line["amount"], "100.00");
    assert_eq!(line["version"], 1);
    assert_eq!(
        months(line),
        [
            ("2026-01", "33.34"),
            ("2026-02", "33.33"),
            ("2026-03", "33.33")
        ]
        .map(|(m, a)| (m.to_string(), a.to_string()))
    );
    assert_months_sum_to_amount(line);
    let read = app.get(&line_url(id), Role::Viewer).await.expect(200);
    assert_eq!(read.body, created.body);

    // whole amounts are written with the currency's decimals
    let whole = app
        .create_budget_line(
            json!({"project_id": p, "category": "capex", "cost_center": "CC-1", "amount": "1200"}),
        )
        .await;
    assert_eq!(whole["amount"], "1200.00");
    assert_eq!(
        months(&whole)
            .iter()
            .map(|(_, a)| a.as_str())
            .collect::<Vec<_>>(),
        ["400.00", "400.00", "400.00"]
    );

    // partial months at either end still count as months; one cent over seven months
    let p2 = project(&app, "ODD", "EUR", Some(("2026-01-15", "2026-07-02"))).await;
    let odd = app
        .create_budget_line(
            json!({"project_id": p2, "category": "opex", "cost_center": "CC-7", "amount": "0.07"}),
        )
        .await;
    assert_eq!(months(&odd).len(), 7);
    assert!(months(&odd).iter().all(|(_, a)| a == "0.01"), "{odd}");
    let tiny = app
        .create_budget_line(
            json!({"project_id": p2, "category": "capex", "cost_center": "CC-7", "amount": "0.03"}),
        )
        .await;
    assert_eq!(
        months(&tiny)
            .iter()
            .map(|(_, a)| a.as_str())
            .collect::<Vec<_>>(),
        ["0.01", "0.01", "0.01", "0.00", "0.00", "0.00", "0.00"]
    );
    assert_months_sum_to_amount(&tiny);

    // across a year end, in a zero-decimal currency
    let yen = project(&app, "YEN", "JPY", Some(("2026-11-01", "2027-01-31"))).await;
    let line = app
        .create_budget_line(
            json!({"project_id": yen, "category": "opex", "cost_center": "JP", "amount": "1000"}),
        )
        .await;
    assert_eq!(line["currency"], "JPY");
    assert_eq!(line["amount"], "1000");
    assert_eq!(
        months(&line),
        [("2026-11", "334"), ("2026-12", "333"), ("2027-01", "333")]
            .map(|(m, a)| (m.to_string(), a.to_string()))
    );
}

async fn explicit_months(app: TestApp) {
    let p = project(&app, "EXP", "EUR", Some(("2026-01-01", "2026-12-31"))).await;
    let line = app
        .create_budget_line(json!({
            "project_id": p, "category": "capex", "cost_center": "CC-X", "amount": "30.50",
            "description": "Racks",
            "months": [{"month": "2026-03", "amount": "10"}, {"month": "2026-01", "amount": "20.50"}]
        }))
        .await;
    assert_eq!(
        months(&line),
        [("2026-01", "20.50"), ("2026-03", "10.00")].map(|(m, a)| (m.to_string(), a.to_string())),
        "months come back sorted, with the currency's decimals"
    );
    assert_eq!(line["description"], "Racks");
    assert_months_sum_to_amount(&line);

    // months that do not add up: 422 on `months`, stating the difference
    let resp = app
        .post(
            LINES,
            Role::Admin,
            &json!({
                "project_id": p, "category": "opex", "cost_center": "CC-Y", "amount": "100.00",
                "months": [{"month": "2026-01", "amount": "30.00"}, {"month": "2026-02", "amount": "30.00"}]
            }),
        )
        .await
        .expect_invalid("months");
    let message = resp.field_message("months").unwrap_or_default();
    assert!(
        message.contains("40.00"),
        "the message states the difference (40.00): {message}"
    );
    // one cent off is still refused
    let resp = app
        .post(
            LINES,
            Role::Admin,
            &json!({
                "project_id": p, "category": "opex", "cost_center": "CC-Y", "amount": "100.00",
                "months": [{"month": "2026-01", "amount": "50.00"}, {"month": "2026-02", "amount": "50.01"}]
            }),
        )
        .await
        .expect_invalid("months");
    assert!(
        resp.field_message("months")
            .unwrap_or_default()
            .contains("0.01"),
        "{}",
        resp.text
    );
    // a month amount with too many decimals names that month
    let resp = app
        .post(
            LINES,
            Role::Admin,
            &json!({
                "project_id": p, "category": "opex", "cost_center": "CC-Y", "amount": "1.00",
                "months": [{"month": "2026-01", "amount": "0.995"}, {"month": "2026-02", "amount": "0.005"}]
            }),
        )
        .await
        .expect(422);
    assert!(
        resp.fields().iter().any(|f| f.starts_with("months")),
        "{}",
        resp.text
    );
    // a malformed month
    app.post(
        LINES,
        Role::Admin,
        &json!({"project_id": p, "category": "opex", "cost_center": "CC-Y", "amount": "1.00",
                "months": [{"month": "2026-13", "amount": "1.00"}]}),
    )
    .await
    .expect(422);
    let all = app.list_all(LINES, Role::Admin).await;
    assert_eq!(all.len(), 1, "refused lines were not stored");
}

async fn amount_rules(app: TestApp) {
    let eur = project(&app, "EUR-P", "EUR", Some(("2026-01-01", "2026-02-28"))).await;
    let jpy = project(&app, "JPY-P", "JPY", Some(("2026-01-01", "2026-02-28"))).await;
    let undated = project(&app, "NODATE", "EUR", None).await;
    let line = |project: i64, cc: &str, amount: Value| json!({"project_id": project, "category": "opex", "cost_center": cc, "amount": amount});

    app.post(LINES, Role::Admin, &line(eur, "A", json!("10.005")))
        .await
        .expect_invalid("amount");
    app.post(LINES, Role::Admin, &line(jpy, "A", json!("1.5")))
        .await
        .expect_invalid("amount");
    app.post(LINES, Role::Admin, &line(eur, "A", json!("1e3")))
        .await
        .expect_invalid("amount");
    app.post(LINES, Role::Admin, &line(eur, "A", json!("abc")))
        .await
        .expect_invalid("amount");
    app.post(LINES, Role::Admin, &line(eur, "A", json!(true)))
        .await
        .expect_invalid("amount");
    // trailing zeros are not extra decimals
    let padded = app
        .create_budget_line(line(jpy, "A", json!("1500.000")))
        .await;
    assert_eq!(padded["amount"], "1500");
    // no dates and no months: nothing to spread over
    app.post(LINES, Role::Admin, &line(undated, "A", json!("10.00")))
        .await
        .expect_invalid("months");
    // ... but explicit months work
    let explicit = app
        .create_budget_line(
            json!({"project_id": undated, "category": "opex", "cost_center": "A", "amount": "10.00",
                                   "months": [{"month": "2030-05", "amount": "10.00"}]}),
        )
        .await;
    assert_eq!(
        months(&explicit),
        vec![("2030-05".to_string(), "10.00".to_string())]
    );
    // other field rules
    app.post(
        LINES,
        Role::Admin,
        &json!({"project_id": eur, "category": "travel", "cost_center": "B", "amount": "1.00"}),
    )
    .await
    .expect_invalid("category");
    app.post(
        LINES,
        Role::Admin,
        &json!({"project_id": eur, "category": "opex", "amount": "1.00"}),
    )
    .await
    .expect_invalid("cost_center");
    app.post(
        LINES,
        Role::Admin,
        &json!({"project_id": eur, "category": "opex", "cost_center": "B"}),
    )
    .await
    .expect_invalid("amount");
    let missing_project = app
        .post(LINES, Role::Admin, &line(999_999, "B", json!("1.00")))
        .await;
    assert!(
        matches!(missing_project.status.as_u16(), 404 | 422),
        "an unknown project is refused: {} {}",
        missing_project.status,
        missing_project.text
    );
}

async fn json_numbers_are_read_exactly(app: TestApp) {
    let p = project(&app, "BIG", "EUR", Some(("2026-01-01", "2026-12-31"))).await;
    // written as text so no float ever touches the number
    let body = format!(
        r#"{{"project_id": {p}, "category": "capex", "cost_center": "BIG", "amount": 12345678901234.56}}"#
    );
    let created = app
        .post_raw(LINES, Role::Finance, "application/json", body)
        .await
        .expect(201);
    assert_eq!(created.body["amount"], "12345678901234.56");
    assert_eq!(months(&created.body).len(), 12);
    assert_months_sum_to_amount(&created.body);
    // the classic float trap: 0.1 + 0.2 months summing to 0.3
    let body = format!(
        r#"{{"project_id": {p}, "category": "opex", "cost_center": "TRAP", "amount": 0.3,
            "months": [{{"month": "2026-01", "amount": 0.1}}, {{"month": "2026-02", "amount": 0.2}}]}}"#
    );
    let trap = app
        .post_raw(LINES, Role::Finance, "application/json", body)
        .await
        .expect(201);
    assert_eq!(trap.body["amount"], "0.30");
    assert_eq!(
        months(&trap.body),
        vec![
            ("2026-01".into(), "0.10".into()),
            ("2026-02".into(), "0.20".into())
        ]
    );
    // stored exactly: read back from the database in 1/10,000 units
    let id = id_of(&created.body);
    let units = stored_units(&app, id).await;
    assert_eq!(units, 123_456_789_012_345_600);
}

/// `amount_units` of a budget line, read straight from the table.
pub async fn stored_units(app: &TestApp, id: i64) -> i64 {
    use diesel::prelude::*;
    use procura::db::schema::budget_lines;
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        db.read_blocking(move |conn| {
            Ok(budget_lines::table
                .filter(budget_lines::id.eq(id))
                .select(budget_lines::amount_units)
                .first::<i64>(conn)?)
        })
    })
    .await
    .expect("task")
    .expect("budget line row")
}

async fn duplicate_budget_line(app: TestApp) {
    let p = project(&app, "DUPL", "USD", Some(("2026-01-01", "2026-01-31"))).await;
    let body = json!({"project_id": p, "category": "opex", "cost_center": "OPS", "amount": "5.00"});
    app.create_budget_line(body.clone()).await;
    app.post(LINES, Role::Admin, &body)
        .await
        .expect_problem(409, "duplicate_budget_line");
    // another category or cost centre is another line
    app.create_budget_line(
        json!({"project_id": p, "category": "capex", "cost_center": "OPS", "amount": "5.00"}),
    )
    .await;
    app.create_budget_line(
        json!({"project_id": p, "category": "opex", "cost_center": "DEV", "amount": "5.00"}),
    )
    .await;
    // and the same key in another project is fine
    let other = project(&app, "DUPL2", "USD", Some(("2026-01-01", "2026-01-31"))).await;
    app.create_budget_line(
        json!({"project_id": other, "category": "opex", "cost_center": "OPS", "amount": "5.00"}),
    )
    .await;
    assert_eq!(app.list_all(LINES, Role::Viewer).await.len(), 4);
}

async fn propose(app: &TestApp, role: Role, line: i64, body: Value) -> Value {
    app.post(&format!("{}/change-requests", line_url(line)), role, &body)
        .await
        .expect(201)
        .body
}

async fn decide(app: &TestApp, secret: &str, request: &Value, action: &str, body: Value) -> Resp {
    app.post_with_token(
        &format!("/api/v1/budget-change-requests/{}/{action}", id_of(request)),
        secret,
        &body,
    )
    .await
}

/// A line's amount and phasing change only by change requests: proposed (the budget stays),
/// approved by someone else in finance (re-spread in proportion, or the given months), or
/// rejected with a reason; stale requests and decided ones are refused; the ledger shows the
/// original budget, the approved changes and the current budget; every step is audited.
async fn change_requests_move_the_budget_only_when_approved(app: TestApp) {
    let p = project(&app, "UPD", "EUR", Some(("2026-01-01", "2026-03-31"))).await;
    let line = app
        .create_budget_line(
            json!({"project_id": p, "category": "opex", "cost_center": "U", "amount": "100.00"}),
        )
        .await;
    let id = id_of(&line);
    // A PATCH may rename and describe, never change the money.
    app.patch(
        &line_url(id),
        Role::Finance,
        &json!({"version": 1, "amount": "200.00"}),
    )
    .await
    .expect_problem(409, "change_request_required");
    let described = app
        .patch(
            &line_url(id),
            Role::Finance,
            &json!({"version": 1, "description": "Licences"}),
        )
        .await
        .expect(200);
    assert_eq!(described.body["version"], 2);

    // Proposed: the budget does not move.
    let request = propose(
        &app,
        Role::Finance,
        id,
        json!({"amount": "200.00", "reason": "Second site"}),
    )
    .await;
    assert_eq!(
        (
            s(&request["status"]),
            s(&request["amount_before"]),
            s(&request["amount"]),
            s(&request["change"])
        ),
        ("proposed", "100.00", "200.00", "100.00")
    );
    assert_eq!(request["base_version"], 2);
    let unchanged = app.get(&line_url(id), Role::Viewer).await.expect(200).body;
    assert_eq!(unchanged["amount"], "100.00");
    let ledger_url = format!("/api/v1/projects/{p}/ledger");
    let ledger = app.get(&ledger_url, Role::Viewer).await.expect(200).body;
    assert_eq!(ledger["lines"][0]["pending_change_requests"], 1);
    assert_eq!(ledger["lines"][0]["budget"], "100.00");

    // The proposer cannot decide; a PM cannot decide at all.
    decide(
        &app,
        app.token(Role::Finance),
        &request,
        "approve",
        json!({}),
    )
    .await
    .expect_problem(403, "segregation_of_duties");
    decide(&app, app.token(Role::Pm), &request, "approve", json!({}))
        .await
        .expect_problem(403, "forbidden");
    let controller = app.create_token("controller", Role::Finance).await;
    let approved = decide(
        &app,
        &controller,
        &request,
        "approve",
        json!({"reason": "ok"}),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(
        (s(&approved["status"]), s(&approved["decided_by"])),
        ("approved", "controller")
    );
    // Re-spread in proportion to the old phasing, each month within a cent, adding up.
    let updated = app.get(&line_url(id), Role::Viewer).await.expect(200).body;
    assert_eq!(updated["amount"], "200.00");
    assert_eq!(updated["version"], 3);
    for ((month, old), (_, new)) in months(&line).iter().zip(&months(&updated)) {
        let exact = dec(old) * dec("2");
        assert!(
            (dec(new) - exact).abs() < dec("0.01"),
            "{month}: {new} is not within a cent of {exact}"
        );
    }
    assert_months_sum_to_amount(&updated);
    decide(&app, &controller, &request, "approve", json!({}))
        .await
        .expect_problem(409, "invalid_transition");

    // A PM proposes new months; approved, they replace the phasing.
    let rephase = propose(
        &app,
        Role::Pm,
        id,
        json!({"reason": "Later delivery", "months": [{"month": "2026-02", "amount": "150.00"}, {"month": "2026-03", "amount": "50.00"}]}),
    )
    .await;
    decide(
        &app,
        app.token(Role::Finance),
        &rephase,
        "approve",
        json!({}),
    )
    .await
    .expect(200);
    let rephased = app.get(&line_url(id), Role::Viewer).await.expect(200).body;
    assert_eq!(
        months(&rephased),
        vec![
            ("2026-02".into(), "150.00".into()),
            ("2026-03".into(), "50.00".into())
        ]
    );

    // Rejection needs a reason and changes nothing.
    let cut = propose(
        &app,
        Role::Pm,
        id,
        json!({"reason": "Descope", "amount": "0.03"}),
    )
    .await;
    decide(&app, app.token(Role::Finance), &cut, "reject", json!({}))
        .await
        .expect_invalid("reason");
    let rejected = decide(
        &app,
        app.token(Role::Finance),
        &cut,
        "reject",
        json!({"reason": "Not agreed"}),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(
        app.get(&line_url(id), Role::Viewer).await.expect(200).body,
        rephased
    );

    // Two requests against the same version: once one is approved the other is stale.
    let first = propose(
        &app,
        Role::Pm,
        id,
        json!({"reason": "A", "amount": "300.00"}),
    )
    .await;
    let second = propose(
        &app,
        Role::Pm,
        id,
        json!({"reason": "B", "amount": "400.00"}),
    )
    .await;
    decide(&app, app.token(Role::Finance), &first, "approve", json!({}))
        .await
        .expect(200);
    let stale = decide(
        &app,
        app.token(Role::Finance),
        &second,
        "approve",
        json!({}),
    )
    .await
    .expect_problem(409, "stale_change_request");
    assert_eq!(stale.body["context"]["current_version"], 5);
    decide(
        &app,
        app.token(Role::Finance),
        &second,
        "reject",
        json!({"reason": "superseded"}),
    )
    .await
    .expect(200);

    // Bad proposals are refused with the field named, and write nothing.
    let url = format!("{}/change-requests", line_url(id));
    app.post(&url, Role::Pm, &json!({"reason": "x", "amount": "1.00", "months": [{"month": "2026-01", "amount": "0.99"}]}))
        .await
        .expect_invalid("months");
    app.post(&url, Role::Pm, &json!({"reason": "x", "amount": "1.001"}))
        .await
        .expect_invalid("amount");
    app.post(&url, Role::Pm, &json!({"reason": " ", "amount": "1.00"}))
        .await
        .expect_invalid("reason");
    app.post(
        &url,
        Role::Pm,
        &json!({"reason": "same", "amount": "300.00"}),
    )
    .await
    .expect_invalid("amount");
    app.post(
        &url,
        Role::Viewer,
        &json!({"reason": "x", "amount": "1.00"}),
    )
    .await
    .expect_problem(403, "forbidden");

    // The history, and the ledger's three budget figures.
    let history = app.get(&url, Role::Viewer).await.expect(200).body;
    let statuses: Vec<&str> = history["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| s(&r["status"]))
        .collect();
    assert_eq!(
        statuses,
        ["approved", "approved", "rejected", "approved", "rejected"]
    );
    let ledger = app.get(&ledger_url, Role::Viewer).await.expect(200).body;
    let figures = &ledger["lines"][0];
    assert_eq!(
        (
            s(&figures["original_budget"]),
            s(&figures["approved_changes"]),
            s(&figures["budget"]),
        ),
        ("100.00", "200.00", "300.00")
    );
    assert_eq!(figures["pending_change_requests"], 0);
    let audit = app
        .list_all(
            &format!("/api/v1/audit?entity=budget_line&id={id}&action=budget_line.change"),
            Role::Admin,
        )
        .await;
    assert_eq!(audit.len(), 3, "three approved changes: {audit:#?}");
}

both_engines!(
    spread_evenly_by_largest_remainder,
    explicit_months,
    amount_rules,
    json_numbers_are_read_exactly,
    duplicate_budget_line,
    change_requests_move_the_budget_only_when_approved,
);
