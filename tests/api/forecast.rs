//! The forecast over HTTP: estimates to complete (entered or default), EAC and VAC, the run rate
//! and the month the money runs out, earned value from recorded progress, thresholds on EAC
//! (one alert per crossing, re-armed below), who may enter what, and the portfolio converted
//! into a reporting currency.

use crate::helpers::{id_of, s, TestApp};
use crate::p2p_fixtures::{
    approve_invoice, bill, fixture, invoice, issued, line, order, received, record, Fixture,
};
use procura::auth::Role::{Admin, Finance, Pm, Procurement, Viewer};
use serde_json::{json, Value};

async fn forecast(app: &TestApp, project: i64, query: &str) -> Value {
    app.get(
        &format!("/api/v1/projects/{project}/forecast?{query}"),
        Viewer,
    )
    .await
    .expect(200)
    .body
}

async fn estimate(app: &TestApp, line: i64, amount: &str) -> Value {
    app.post(
        &format!("/api/v1/budget-lines/{line}/estimates"),
        Pm,
        &json!({"estimate_to_complete": amount, "note": "re-planned"}),
    )
    .await
    .expect(201)
    .body
}

async fn threshold_alerts(app: &TestApp, project: i64) -> Vec<String> {
    let body = app
        .get(
            &format!("/api/v1/alerts?project_id={project}&kind=budget_threshold"),
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
        .collect()
}

/// A 12,000.00 budget over 24 months (500.00 a month); an order of 10 × 600.00 received in
/// March; invoices of 1,200.00 (April), 1,800.00 (May) and 600.00 (June).
async fn spending_project(app: &TestApp) -> Fixture {
    let f = fixture(app, "FC", Some("warn"), "12000.00").await;
    let po = issued(
        app,
        &order(
            &f,
            "EUR",
            "2026-03-15",
            vec![line("10", "600.00", None, f.budget_line)],
        ),
    )
    .await;
    let po_line = id_of(&po["lines"][0]);
    received(app, id_of(&po), "2026-03-20", &[(po_line, "10")]).await;
    for (number, date, quantity) in [
        ("FC-1", "2026-04-10", "2"),
        ("FC-2", "2026-05-10", "3"),
        ("FC-3", "2026-06-10", "1"),
    ] {
        let recorded = record(
            app,
            &invoice(
                f.vendor,
                number,
                date,
                vec![bill(po_line, quantity, "600.00")],
            ),
        )
        .await;
        approve_invoice(app, &recorded).await;
    }
    f
}

fn figures(f: &Value) -> [&str; 8] {
    [
        s(&f["budget"]),
        s(&f["actual"]),
        s(&f["committed"]),
        s(&f["estimate_to_complete"]),
        s(&f["eac"]),
        s(&f["vac"]),
        s(&f["utilisation_percent"]),
        s(&f["eac_percent"]),
    ]
}

async fn the_forecast_explains_eac_run_rate_and_earned_value(app: TestApp) {
    let f = spending_project(&app).await;
    let p = f.project;
    let fc = forecast(&app, p, "as_of=2026-06-15").await;
    let line = &fc["lines"][0];
    // No estimate yet: ETC defaults to the rest of the budget, so EAC lands on the budget.
    assert_eq!(s(&line["estimate"]["source"]), "default", "{fc}");
    assert_eq!(
        figures(line),
        ["12000.00", "3600.00", "2400.00", "6000.00", "12000.00", "0.00", "50.00", "100.00"]
    );
    assert!(s(&fc["estimate_default"]).contains("max(0, budget − actual − committed)"));
    assert!(s(&fc["rounding"]).contains("half-even"));
    // Run rate over April–June: 3,600.00 / 3 = 1,200.00 a month; 8,400.00 left lasts 7 more
    // months: the money runs out in January 2027. At that rate to the end of 2027 (18 more
    // months): 3,600.00 + 18 × 1,200.00.
    let rate = &line["run_rate"];
    assert_eq!(
        (
            rate["window_months"].as_u64(),
            s(&rate["first_month"]),
            s(&rate["last_month"]),
            s(&rate["monthly_mean"]),
            s(&rate["run_out_month"]),
            s(&rate["eac_at_end"]),
        ),
        (
            Some(3),
            "2026-04",
            "2026-06",
            "1200.00",
            "2027-01",
            "25200.00"
        ),
        "{rate}"
    );
    // A six-month window halves the mean (no actuals in January to March).
    let wide = forecast(&app, p, "as_of=2026-06-15&window=6").await;
    assert_eq!(s(&wide["project"]["run_rate"]["monthly_mean"]), "600.00");
    assert_eq!(s(&wide["project"]["run_rate"]["run_out_month"]), "2027-08");
    assert!(line["earned_value"].is_null());
    assert_eq!(fc["project"]["budget"], line["budget"]);
    assert_eq!(fc["project"]["eac"], line["eac"]);

    // The PM's estimate: 9,000.00 more → EAC 15,000.00, a forecast overrun: one EAC alert.
    assert!(threshold_alerts(&app, p).await.is_empty());
    let entered = estimate(&app, f.budget_line, "9000.00").await;
    assert_eq!(s(&entered["entered_by"]), "test-pm");
    let fc = forecast(&app, p, "as_of=2026-06-15").await;
    let line = &fc["lines"][0];
    assert_eq!(s(&line["estimate"]["source"]), "entered");
    assert_eq!(s(&line["estimate"]["entered_by"]), "test-pm");
    assert_eq!(s(&line["estimate"]["note"]), "re-planned");
    assert_eq!(
        figures(line),
        ["12000.00", "3600.00", "2400.00", "9000.00", "15000.00", "-3000.00", "50.00", "125.00"]
    );
    assert_eq!(
        threshold_alerts(&app, p).await,
        [format!("budget:{p}:eac:100:1")]
    );
    let alerts = app
        .get(&format!("/api/v1/alerts?project_id={p}"), Admin)
        .await
        .expect(200)
        .body;
    let alert = &alerts["items"][0];
    assert!(
        s(&alert["subject"])
            .contains("Project FC is forecast at 125.00% of its budget (threshold 100%)"),
        "{alert}"
    );
    // The message is written as of today: the figures, and the line with its entered ETC.
    let body = s(&alert["body"]);
    for text in [
        "Estimate at completion (EAC): 15000.00 (125.00%)",
        "Variance at completion: -3000.00",
        "capex CC-1: budget 12000.00, actual 3600.00, committed 2400.00, ETC 9000.00 (entered), EAC 15000.00",
        "at that rate the budget",
    ] {
        assert!(body.contains(text), "{text} missing from {body}");
    }
    // Back under budget re-arms it; over again raises a second alert.
    estimate(&app, f.budget_line, "5000.00").await;
    assert_eq!(threshold_alerts(&app, p).await.len(), 1);
    estimate(&app, f.budget_line, "7000.00").await;
    assert_eq!(
        threshold_alerts(&app, p).await,
        [
            format!("budget:{p}:eac:100:1"),
            format!("budget:{p}:eac:100:2")
        ]
    );
    let history = app
        .get(
            &format!("/api/v1/budget-lines/{}/estimates", f.budget_line),
            Viewer,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(history["items"].as_array().map(Vec::len), Some(3));

    // Progress: the line 40 % complete at the end of June. PV = 6 × 500.00, EV = 40 % of
    // 12,000.00, AC = the actuals through June.
    app.post(
        &format!("/api/v1/projects/{p}/progress"),
        Pm,
        &json!({"month": "2026-06", "percent_complete": "40", "budget_line_id": f.budget_line}),
    )
    .await
    .expect(201);
    let fc = forecast(&app, p, "as_of=2026-06-15").await;
    let ev = &fc["lines"][0]["earned_value"];
    let expected = json!({
        "period": "2026-06", "percent_complete": "40", "bac": "12000.00",
        "pv": "3000.00", "ev": "4800.00", "ac": "3600.00", "cv": "1200.00", "sv": "1800.00",
        "cpi": "1.3333", "spi": "1.6000",
        // BAC / CPI; AC + (BAC − EV); AC + (BAC − EV) / (CPI × SPI) = 3,600 + 7,200 / 2.1333…
        "eac_cpi": "9000.00", "eac_budget_rate": "10800.00", "eac_cpi_spi": "6975.00",
        "etc": "5400.00", "vac": "3000.00",
        // (BAC − EV) / (BAC − AC) = 7,200 / 8,400
        "tcpi": "0.8571"
    });
    assert_eq!(ev, &expected, "{fc}");
    // The project has no progress of its own: its EV is its lines'.
    assert_eq!(s(&fc["project"]["earned_value"]["ev"]), "4800.00");
    assert_eq!(
        s(&fc["project"]["earned_value"]["percent_complete"]),
        "40.00"
    );
    // Progress of the whole project takes precedence for the project; earlier as-of days do not
    // see later progress.
    app.post(
        &format!("/api/v1/projects/{p}/progress"),
        Admin,
        &json!({"month": "2026-06", "percent_complete": "50"}),
    )
    .await
    .expect(201);
    let fc = forecast(&app, p, "as_of=2026-06-15").await;
    assert_eq!(s(&fc["project"]["earned_value"]["ev"]), "6000.00");
    let earlier = forecast(&app, p, "as_of=2026-05-31").await;
    assert!(earlier["project"]["earned_value"].is_null(), "{earlier}");
    let entries = app
        .get(&format!("/api/v1/projects/{p}/progress"), Viewer)
        .await
        .expect(200)
        .body;
    assert_eq!(entries["items"].as_array().map(Vec::len), Some(2));
}

async fn forecast_entries_are_checked_and_belong_to_the_pm(app: TestApp) {
    let f = fixture(&app, "FC-RULES", None, "1000.00").await;
    let other = fixture(&app, "FC-OTHER", None, "10.00").await;
    let estimates = format!("/api/v1/budget-lines/{}/estimates", f.budget_line);
    let progress = format!("/api/v1/projects/{}/progress", f.project);
    app.post(&estimates, Pm, &json!({"estimate_to_complete": "-1.00"}))
        .await
        .expect_invalid("estimate_to_complete");
    app.post(&estimates, Pm, &json!({"estimate_to_complete": "1.001"}))
        .await
        .expect_invalid("estimate_to_complete");
    app.post(
        &estimates,
        Finance,
        &json!({"estimate_to_complete": "1.00"}),
    )
    .await
    .expect_problem(403, "forbidden");
    app.post(
        &progress,
        Pm,
        &json!({"month": "2026-13", "percent_complete": "10"}),
    )
    .await
    .expect_invalid("month");
    app.post(
        &progress,
        Pm,
        &json!({"month": "2026-03", "percent_complete": "100.5"}),
    )
    .await
    .expect_invalid("percent_complete");
    app.post(
        &progress,
        Pm,
        &json!({"month": "2026-03", "percent_complete": "10", "budget_line_id": other.budget_line}),
    )
    .await
    .expect_invalid("budget_line_id");
    app.post(
        &progress,
        Procurement,
        &json!({"month": "2026-03", "percent_complete": "10"}),
    )
    .await
    .expect_problem(403, "forbidden");
    // A project with a named PM takes its forecast from them (or an admin) only.
    let url = format!("/api/v1/projects/{}", f.project);
    let project = app.get(&url, Viewer).await.expect(200).body;
    app.patch(
        &url,
        Admin,
        &json!({"version": project["version"], "pm_name": "Jane Doe"}),
    )
    .await
    .expect(200);
    app.post(&estimates, Pm, &json!({"estimate_to_complete": "1.00"}))
        .await
        .expect_problem(403, "forbidden");
    let jane = app.create_token("Jane Doe", Pm).await;
    app.post_with_token(&estimates, &jane, &json!({"estimate_to_complete": "1.00"}))
        .await
        .expect(201);
    app.post(&estimates, Admin, &json!({"estimate_to_complete": "2.00"}))
        .await
        .expect(201);
    // Bad queries.
    let fc = format!("/api/v1/projects/{}/forecast", f.project);
    app.get(&format!("{fc}?window=0"), Viewer)
        .await
        .expect_problem(400, "invalid_query");
    app.get(&format!("{fc}?as_of=yesterday"), Viewer)
        .await
        .expect_problem(400, "invalid_query");
    app.get("/api/v1/projects/999999/forecast", Viewer)
        .await
        .expect_problem(404, "not_found");
    // Nothing refused above was written.
    let history = app.get(&estimates, Viewer).await.expect(200).body;
    assert_eq!(history["items"].as_array().map(Vec::len), Some(2));
    let entries = app.get(&progress, Viewer).await.expect(200).body;
    assert_eq!(entries["items"].as_array().map(Vec::len), Some(0));
}

async fn the_portfolio_adds_up_per_currency_and_converted(app: TestApp) {
    let eur = fixture(&app, "PF-EUR", None, "1000.00").await;
    let usd_project = id_of(
        &app.create_project(json!({
            "code": "PF-USD", "name": "US rollout", "currency": "USD",
            "start_date": "2026-01-01", "end_date": "2026-12-31"
        }))
        .await,
    );
    app.create_budget_line(json!({
        "project_id": usd_project, "category": "opex", "cost_center": "US-1", "amount": "333.33"
    }))
    .await;
    let po = issued(
        &app,
        &order(
            &eur,
            "EUR",
            "2026-02-01",
            vec![line("1", "250.00", None, eur.budget_line)],
        ),
    )
    .await;
    assert_eq!(s(&po["status"]), "issued");
    app.create_fx_rate(json!({"from": "USD", "to": "EUR", "date": "2026-06-01", "rate": "0.9"}))
        .await;
    let portfolio = app
        .get("/api/v1/ledger?currency=EUR&as_of=2026-06-30", Viewer)
        .await
        .expect(200)
        .body;
    let projects = portfolio["projects"].as_array().expect("projects");
    assert_eq!(projects.len(), 2, "{portfolio}");
    assert_eq!(
        (s(&projects[0]["budget"]), s(&projects[0]["committed"])),
        ("1000.00", "250.00")
    );
    // 333.33 USD × 0.9 = 299.997 → 300.00 EUR (half-even at the FX point).
    assert_eq!(s(&projects[1]["converted"]["budget"]), "300.00");
    assert_eq!(s(&portfolio["total"]["budget"]), "1300.00");
    assert_eq!(s(&portfolio["total"]["committed"]), "250.00");
    assert_eq!(s(&portfolio["total"]["remaining"]), "1050.00");
    let currencies: Vec<&str> = portfolio["by_currency"]
        .as_array()
        .expect("by_currency")
        .iter()
        .map(|c| s(&c["currency"]))
        .collect();
    assert_eq!(currencies, ["EUR", "USD"]);
    assert_eq!(s(&portfolio["by_currency"][1]["budget"]), "333.33");
    // Before the first rate there is nothing to convert with: a 422, never 1.0.
    app.get("/api/v1/ledger?currency=EUR&as_of=2026-05-31", Viewer)
        .await
        .expect_problem(422, "fx_rate_missing");
    app.get("/api/v1/ledger?currency=EURO", Viewer)
        .await
        .expect_problem(400, "invalid_query");
    // Without a reporting currency, no conversion is attempted.
    let plain = app.get("/api/v1/ledger", Viewer).await.expect(200).body;
    assert!(plain["total"].is_null());
    app.get("/api/v1/ledger", Procurement).await.expect(200);
}

both_engines!(
    the_forecast_explains_eac_run_rate_and_earned_value,
    forecast_entries_are_checked_and_belong_to_the_pm,
    the_portfolio_adds_up_per_currency_and_converted,
);
