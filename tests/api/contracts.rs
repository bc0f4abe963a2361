//! Contracts over HTTP: drafting, the schedule from the term engine, and every transition,
//! legal and illegal.

use crate::helpers::{id_of, s, TestApp};
use procura::auth::Role::{Admin, Finance, Pm, Procurement, Viewer};
use serde_json::{json, Value};

async fn vendor(app: &TestApp, name: &str) -> i64 {
    id_of(&app.create_vendor(json!({ "name": name })).await)
}

fn yearly(vendor_id: i64) -> Value {
    json!({
        "vendor_id": vendor_id,
        "title": "Colocation, two racks",
        "contract_type": "framework",
        "currency": "EUR",
        "ceiling": "250000.00",
        "start_date": "2027-01-01",
        "initial_term_months": 12,
        "renewal": {"kind": "automatic", "term_months": 12, "max_renewals": 2},
        "notice": {"unit": "months", "value": 3},
        "document_urls": ["https://dms.example.com/contracts/colo.pdf"]
    })
}

async fn create(app: &TestApp, body: Value) -> Value {
    app.post("/api/v1/contracts", Procurement, &body)
        .await
        .expect(201)
        .body
}

async fn act(app: &TestApp, id: i64, action: &str, body: Value) -> crate::helpers::Resp {
    app.post(
        &format!("/api/v1/contracts/{id}/{action}"),
        Procurement,
        &body,
    )
    .await
}

async fn drafting_and_the_schedule(app: TestApp) {
    let vendor_id = vendor(&app, "Colo GmbH").await;
    let project = app
        .create_project(json!({"code": "DC", "name": "DC move", "currency": "EUR"}))
        .await;
    let mut body = yearly(vendor_id);
    body["project_ids"] = json!([id_of(&project)]);
    let created = create(&app, body).await;
    let id = id_of(&created);
    assert_eq!(s(&created["number"]), format!("CTR-2027-{id:06}"));
    assert_eq!(s(&created["status"]), "draft");
    assert_eq!(s(&created["ceiling"]), "250000.00");
    assert_eq!(created["project_ids"], json!([id_of(&project)]));

    let read = app
        .get(&format!("/api/v1/contracts/{id}?as_of=2027-06-15"), Viewer)
        .await
        .expect(200)
        .body;
    let schedule = &read["schedule"];
    assert_eq!(s(&schedule["standing"]), "running");
    assert_eq!(
        schedule["current_term"],
        json!({"index": 0, "start": "2027-01-01", "end": "2027-12-31", "notice_deadline": "2027-09-30"})
    );
    assert_eq!(s(&schedule["next_renewal"]), "2028-01-01");
    assert_eq!(schedule["next_exit"]["needs_notice"], json!(true));
    assert_eq!(s(&schedule["next_exit"]["term"]["end"]), "2027-12-31");
    assert_eq!(s(&schedule["expires_on"]), "2029-12-31");
    assert_eq!(s(&schedule["final_expiry"]), "2029-12-31");
    // After the first deadline the earliest exit is a year later.
    let later = app
        .get(&format!("/api/v1/contracts/{id}?as_of=2027-10-01"), Viewer)
        .await
        .expect(200)
        .body;
    assert_eq!(
        s(&later["schedule"]["next_exit"]["term"]["end"]),
        "2028-12-31"
    );

    let listed = app
        .get(&format!("/api/v1/contracts?vendor_id={vendor_id}"), Viewer)
        .await
        .expect(200)
        .body;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
    let by_project = app
        .get(
            &format!("/api/v1/contracts?project_id={}", id_of(&project)),
            Viewer,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(by_project["items"][0]["id"], json!(id));
}

async fn bad_contracts_name_every_field(app: TestApp) {
    let vendor_id = vendor(&app, "Colo GmbH").await;
    let mut body = yearly(vendor_id);
    body["currency"] = json!("eur");
    body["renewal"] = json!({"kind": "explicit"});
    body["document_urls"] = json!(["javascript:alert(1)"]);
    body["initial_term_months"] = json!(0);
    let resp = app
        .post("/api/v1/contracts", Procurement, &body)
        .await
        .expect_problem(422, "validation_failed");
    let fields = resp.fields();
    for field in [
        "currency",
        "initial_term_months",
        "renewal.term_months",
        "document_urls[0]",
    ] {
        assert!(fields.iter().any(|f| f == field), "{field} in {fields:?}");
    }
    let mut unknown = yearly(999_999);
    unknown["project_ids"] = json!([888_888]);
    let resp = app
        .post("/api/v1/contracts", Procurement, &unknown)
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(resp.fields(), ["vendor_id", "project_ids[0]"]);
    let mut too_precise = yearly(vendor_id);
    too_precise["ceiling"] = json!("10.001");
    app.post("/api/v1/contracts", Procurement, &too_precise)
        .await
        .expect_invalid("ceiling");
    assert!(
        app.list_all("/api/v1/contracts", Admin).await.is_empty(),
        "nothing was written"
    );
}

async fn tacit_renewal_lifecycle(app: TestApp) {
    let vendor_id = vendor(&app, "Colo GmbH").await;
    let id = id_of(&create(&app, yearly(vendor_id)).await);

    // A blocked vendor's contract cannot be activated.
    let blocked = app
        .patch(
            &format!("/api/v1/vendors/{vendor_id}"),
            Procurement,
            &json!({"version": 1, "status": "blocked"}),
        )
        .await
        .expect(200);
    act(&app, id, "activate", json!({"version": 1}))
        .await
        .expect_problem(409, "vendor_blocked");
    app.patch(
        &format!("/api/v1/vendors/{vendor_id}"),
        Procurement,
        &json!({"version": blocked.body["version"], "status": "active"}),
    )
    .await
    .expect(200);

    // Illegal moves from draft name the status and what is allowed.
    let refused = act(&app, id, "renew", json!({"version": 1}))
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(
        refused.body["context"]["allowed_actions"],
        json!(["update", "activate"])
    );
    let active = act(&app, id, "activate", json!({"version": 1}))
        .await
        .expect(200)
        .body;
    assert_eq!(s(&active["status"]), "active");

    // Once active, the terms change only through change orders; renewal is tacit.
    let mut changed = yearly(vendor_id);
    changed["version"] = json!(2);
    changed["title"] = json!("Changed");
    app.patch(&format!("/api/v1/contracts/{id}"), Procurement, &changed)
        .await
        .expect_problem(409, "invalid_transition");
    let refused = act(&app, id, "renew", json!({"version": 2}))
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(
        refused.body["context"]["allowed_actions"],
        json!(["give_notice", "propose_change_order", "terminate"])
    );

    // Notice given on 1 October 2027 misses the first deadline (30 September): the contract
    // ends at the end of the second term.
    let noticed = act(
        &app,
        id,
        "notice",
        json!({"version": 2, "date": "2027-10-01"}),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(s(&noticed["notice_given_on"]), "2027-10-01");
    let read = app
        .get(&format!("/api/v1/contracts/{id}?as_of=2027-10-02"), Viewer)
        .await
        .expect(200)
        .body;
    assert_eq!(s(&read["schedule"]["expires_on"]), "2028-12-31");
    assert_eq!(read["schedule"]["next_exit"]["needs_notice"], json!(false));
    act(&app, id, "notice", json!({"version": 3}))
        .await
        .expect_problem(409, "invalid_transition");

    // Terminating needs a reason, then ends the contract on the day given.
    act(
        &app,
        id,
        "terminate",
        json!({"version": 3, "date": "2028-03-31", "reason": " "}),
    )
    .await
    .expect_invalid("reason");
    act(
        &app,
        id,
        "terminate",
        json!({"version": 2, "date": "2028-03-31", "reason": "Site closed"}),
    )
    .await
    .expect_problem(409, "version_conflict");
    let ended = act(
        &app,
        id,
        "terminate",
        json!({"version": 3, "date": "2028-03-31", "reason": "Site closed"}),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(
        (s(&ended["status"]), s(&ended["terminated_on"])),
        ("terminated", "2028-03-31")
    );
    let read = app
        .get(&format!("/api/v1/contracts/{id}?as_of=2028-04-01"), Viewer)
        .await
        .expect(200)
        .body;
    assert_eq!(
        (
            s(&read["schedule"]["standing"]),
            s(&read["schedule"]["expires_on"])
        ),
        ("ended", "2028-03-31")
    );
    let refused = act(
        &app,
        id,
        "terminate",
        json!({"version": 4, "reason": "again"}),
    )
    .await
    .expect_problem(409, "invalid_transition");
    assert_eq!(refused.body["context"]["allowed_actions"], json!([]));

    let audit = app
        .get(&format!("/api/v1/audit?entity=contract&id={id}"), Admin)
        .await
        .expect(200)
        .body;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| s(&r["action"]))
        .collect();
    assert_eq!(
        actions,
        [
            "contract.create",
            "contract.activate",
            "contract.give_notice",
            "contract.terminate"
        ]
    );
}

async fn explicit_renewal_options(app: TestApp) {
    let vendor_id = vendor(&app, "Support Ltd").await;
    let body = json!({
        "vendor_id": vendor_id,
        "title": "Hardware support",
        "contract_type": "fixed_price",
        "currency": "USD",
        "ceiling": 120000,
        "start_date": "2027-04-01",
        "initial_term_months": 24,
        "renewal": {"kind": "explicit", "term_months": 12, "max_renewals": 1},
        "notice": {"unit": "days", "value": 60}
    });
    let id = id_of(&create(&app, body).await);
    act(&app, id, "activate", json!({"version": 1}))
        .await
        .expect(200);
    // The first term ends 31 March 2029; the option must be exercised by 30 January 2029.
    let late = act(
        &app,
        id,
        "renew",
        json!({"version": 2, "date": "2029-01-31"}),
    )
    .await
    .expect_problem(409, "renewal_deadline_passed");
    assert!(
        late.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("2029-01-30")),
        "{}",
        late.text
    );
    let renewed = act(
        &app,
        id,
        "renew",
        json!({"version": 2, "date": "2029-01-30"}),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(renewed["renewals_recorded"], json!(1));
    let read = app
        .get(&format!("/api/v1/contracts/{id}?as_of=2029-02-01"), Viewer)
        .await
        .expect(200)
        .body;
    assert_eq!(s(&read["schedule"]["expires_on"]), "2030-03-31");
    assert_eq!(s(&read["schedule"]["next_renewal"]), "2029-04-01");
    act(
        &app,
        id,
        "renew",
        json!({"version": 3, "date": "2029-02-01"}),
    )
    .await
    .expect_problem(409, "no_renewals_left");
}

async fn expiry_is_derived(app: TestApp) {
    let vendor_id = vendor(&app, "Old Telco").await;
    let body = json!({
        "vendor_id": vendor_id,
        "title": "WAN 2020",
        "contract_type": "time_and_materials",
        "currency": "EUR",
        "ceiling": "5000",
        "start_date": "2020-01-31",
        "initial_term_months": 1,
        "renewal": {"kind": "none"},
        "notice": {"unit": "days", "value": 0}
    });
    let id = id_of(&create(&app, body).await);
    let read = app
        .get(&format!("/api/v1/contracts/{id}?as_of=2020-02-15"), Viewer)
        .await
        .expect(200)
        .body;
    // 31 January + 1 month ends the day before 29 February 2020.
    assert_eq!(s(&read["schedule"]["current_term"]["end"]), "2020-02-28");
    let active = act(&app, id, "activate", json!({"version": 1}))
        .await
        .expect(200)
        .body;
    assert_eq!(
        s(&active["status"]),
        "expired",
        "an active contract past its last day shows as expired"
    );
    let listed = app.get("/api/v1/contracts", Viewer).await.expect(200).body;
    assert_eq!(s(&listed["items"][0]["status"]), "expired");
    act(
        &app,
        id,
        "terminate",
        json!({"version": 2, "reason": "too late"}),
    )
    .await
    .expect_problem(409, "invalid_transition");
}

async fn sla_credits_and_report(app: TestApp) {
    let vendor_id = vendor(&app, "Colo GmbH").await;
    let mut body = yearly(vendor_id);
    body["start_date"] = json!("2027-09-01");
    let id = id_of(&create(&app, body).await);
    act(&app, id, "activate", json!({"version": 1}))
        .await
        .expect(200);

    // Tiers of the Amazon Compute SLA (region level): below 99.99 % → 10 %, below 99 % → 30 %,
    // below 95 % → 100 % of the month's fee.
    let sla = app
        .post(
            &format!("/api/v1/contracts/{id}/slas"),
            Procurement,
            &json!({
                "name": "Power availability",
                "metric": "availability",
                "target": "99.99",
                "period_fee": "12000.00",
                "tiers": [
                    {"threshold": "99.99", "percent": "10"},
                    {"threshold": "99.0", "percent": "30"},
                    {"threshold": "95.0", "percent": "100"}
                ],
                "minimum_credit": "1.00"
            }),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(
        (s(&sla["direction"]), s(&sla["unit"])),
        ("higher_is_better", "percent")
    );
    let sla_id = id_of(&sla);
    let measure = |period: &str, body: Value| {
        let mut body = body;
        body["period"] = json!(period);
        body
    };
    // September: 43,200 minutes; 4.32 minutes down is exactly 99.99 %: met.
    let september = app
        .post(
            &format!("/api/v1/slas/{sla_id}/measurements"),
            Procurement,
            &measure("2027-09", json!({"downtime_minutes": "4.32"})),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(
        (
            september["met"].as_bool(),
            s(&september["credit"]),
            s(&september["credit_status"])
        ),
        (Some(true), "0.00", "none")
    );
    // October: 44,640 minutes; an hour down is 99.865591… %: the 10 % tier.
    let october = app
        .post(
            &format!("/api/v1/slas/{sla_id}/measurements"),
            Procurement,
            &measure("2027-10", json!({"downtime_minutes": 60})),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(
        (s(&october["value"]), s(&october["tier_threshold"])),
        ("99.865591", "99.99")
    );
    assert_eq!(
        (s(&october["credit"]), s(&october["credit_status"])),
        ("1200.00", "receivable")
    );
    let november = app
        .post(
            &format!("/api/v1/slas/{sla_id}/measurements"),
            Procurement,
            &measure("2027-11", json!({"value": "94.5"})),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(s(&november["credit"]), "12000.00");

    // Each period once; downtime only for availability; nothing before the contract starts.
    app.post(
        &format!("/api/v1/slas/{sla_id}/measurements"),
        Procurement,
        &measure("2027-10", json!({"value": "100"})),
    )
    .await
    .expect_problem(409, "duplicate_measurement");
    app.post(
        &format!("/api/v1/slas/{sla_id}/measurements"),
        Procurement,
        &measure("2027-08", json!({"value": "100"})),
    )
    .await
    .expect_invalid("period");
    app.post(
        &format!("/api/v1/slas/{sla_id}/measurements"),
        Viewer,
        &measure("2027-12", json!({"value": "100"})),
    )
    .await
    .expect_problem(403, "forbidden");
    let response_time = app
        .post(
            &format!("/api/v1/contracts/{id}/slas"),
            Procurement,
            &json!({
                "name": "Response", "metric": "response_time", "target": "4", "period_fee": "0",
                "tiers": [{"threshold": "4", "amount": "250.00"}]
            }),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(s(&response_time["direction"]), "lower_is_better");
    app.post(
        &format!("/api/v1/slas/{}/measurements", id_of(&response_time)),
        Procurement,
        &measure("2027-09", json!({"downtime_minutes": 5})),
    )
    .await
    .expect_invalid("downtime_minutes");
    let late = app
        .post(
            &format!("/api/v1/slas/{}/measurements", id_of(&response_time)),
            Procurement,
            &measure("2027-09", json!({"value": "5.5"})),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(s(&late["credit"]), "250.00");

    let report = app
        .get(&format!("/api/v1/contracts/{id}/sla-report"), Viewer)
        .await
        .expect(200)
        .body;
    assert_eq!(s(&report["currency"]), "EUR");
    assert_eq!(s(&report["slas"][0]["total_credit"]), "13200.00");
    assert_eq!(
        report["slas"][0]["periods"].as_array().map(Vec::len),
        Some(3)
    );
    assert_eq!(s(&report["total_credit"]), "13450.00");
}

/// A quarterly SLA is measured per calendar quarter, its downtime over the quarter's real
/// minutes, and refuses a month.
async fn quarterly_slas_measure_whole_quarters(app: TestApp) {
    let vendor_id = vendor(&app, "Quarterly Colo").await;
    let mut body = yearly(vendor_id);
    body["start_date"] = json!("2027-01-01");
    let id = id_of(&create(&app, body).await);
    act(&app, id, "activate", json!({"version": 1}))
        .await
        .expect(200);
    let sla = app
        .post(
            &format!("/api/v1/contracts/{id}/slas"),
            Procurement,
            &json!({
                "name": "Quarterly availability", "metric": "availability", "target": "99.9",
                "measurement_period": "quarterly", "period_fee": "30000.00",
                "tiers": [{"threshold": "99.9", "percent": "10"}]
            }),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(s(&sla["measurement_period"]), "quarterly");
    let url = format!("/api/v1/slas/{}/measurements", id_of(&sla));
    app.post(
        &url,
        Procurement,
        &json!({"period": "2027-03", "downtime_minutes": "1"}),
    )
    .await
    .expect_invalid("period");
    // Q1 2027 has 90 days = 129,600 minutes; 99.9 % allows 129.6 minutes down.
    let met = app
        .post(
            &url,
            Procurement,
            &json!({"period": "2027-Q1", "downtime_minutes": "129.6"}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(
        (met["period"].clone(), met["met"].clone()),
        (json!("2027-Q1"), json!(true)),
        "{met}"
    );
    // Q2 has 91 days = 131,040 minutes; 131.05 minutes down is just below 99.9 %: 10 % of the
    // quarter's fee.
    let missed = app
        .post(
            &url,
            Procurement,
            &json!({"period": "2027-Q2", "downtime_minutes": "131.05"}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(missed["met"], json!(false), "{missed}");
    assert_eq!(s(&missed["credit"]), "3000.00", "{missed}");
    app.post(
        &url,
        Procurement,
        &json!({"period": "2027-Q2", "downtime_minutes": "0"}),
    )
    .await
    .expect_problem(409, "duplicate_measurement");

    // The terms change for the periods to come; recorded periods keep their credit.
    let sla_url = format!("/api/v1/slas/{}", id_of(&sla));
    app.patch(
        &sla_url,
        Procurement,
        &json!({"version": 0, "target": "99.95"}),
    )
    .await
    .expect_problem(409, "version_conflict");
    app.patch(
        &sla_url,
        Procurement,
        &json!({"version": sla["version"], "measurement_period": "monthly"}),
    )
    .await
    .expect_problem(409, "periods_recorded");
    app.patch(
        &sla_url,
        Finance,
        &json!({"version": sla["version"], "target": "99.95"}),
    )
    .await
    .expect_problem(403, "forbidden");
    let changed = app
        .patch(
            &sla_url,
            Procurement,
            &json!({"version": sla["version"], "target": "99.95", "period_fee": "36000.00",
                    "tiers": [{"threshold": "99.95", "percent": "10"}]}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        (s(&changed["target"]), s(&changed["period_fee"])),
        ("99.95", "36000.00")
    );
    // Q3 (92 days, 132,480 minutes): 66.25 minutes down is just under 99.95 %: 10 % of 36,000.
    let q3 = app
        .post(
            &url,
            Procurement,
            &json!({"period": "2027-Q3", "downtime_minutes": "66.25"}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(s(&q3["credit"]), "3600.00", "{q3}");
    let report = app
        .get(&format!("/api/v1/contracts/{id}/sla-report"), Viewer)
        .await
        .expect(200)
        .body;
    let credits: Vec<&str> = report["slas"][0]["periods"]
        .as_array()
        .expect("periods")
        .iter()
        .map(|p| s(&p["credit"]))
        .collect();
    assert_eq!(credits, ["0.00", "3000.00", "3600.00"], "{report}");
}

async fn bad_slas_name_every_field(app: TestApp) {
    let vendor_id = vendor(&app, "Colo GmbH").await;
    let id = id_of(&create(&app, yearly(vendor_id)).await);
    let resp = app
        .post(&format!("/api/v1/contracts/{id}/slas"), Procurement, &json!({
            "name": "Bad", "metric": "availability", "direction": "lower_is_better", "target": "99.9",
            "period_fee": "10.001",
            "tiers": [{"threshold": "99", "percent": "10", "amount": "5"}, {"threshold": "x", "percent": "101"}]
        }))
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(
        resp.fields(),
        [
            "direction",
            "period_fee",
            "tiers[0]",
            "tiers[1].threshold",
            "tiers[1].percent"
        ]
    );
    app.post(&format!("/api/v1/contracts/{id}/slas"), Procurement, &json!({
            "name": "Custom", "metric": "custom", "target": "1", "period_fee": "1", "tiers": [{"threshold": "2", "percent": "5"}]
        }))
        .await
        .expect_invalid("direction");
    app.post("/api/v1/contracts/999999/slas", Procurement, &json!({
            "name": "x", "metric": "availability", "target": "99", "period_fee": "1", "tiers": [{"threshold": "99", "percent": "5"}]
        }))
        .await
        .expect_problem(404, "not_found");
}

async fn change_orders_keep_the_baseline(app: TestApp) {
    let vendor_id = vendor(&app, "Colo GmbH").await;
    let id = id_of(&create(&app, yearly(vendor_id)).await);
    let propose = |body: Value| {
        let app = &app;
        async move {
            app.post(
                &format!("/api/v1/contracts/{id}/change-orders"),
                Procurement,
                &body,
            )
            .await
        }
    };
    propose(json!({"reason": "More racks", "ceiling": "300000.00"}))
        .await
        .expect_problem(409, "invalid_transition");
    act(&app, id, "activate", json!({"version": 1}))
        .await
        .expect(200);

    propose(json!({"reason": "Nothing"}))
        .await
        .expect_invalid("changes");
    propose(json!({"reason": "Too precise", "ceiling": "1.001"}))
        .await
        .expect_invalid("ceiling");
    let first = propose(
        json!({"reason": "Two more racks", "ceiling": "300000.00", "initial_term_months": 18}),
    )
    .await
    .expect(201)
    .body;
    assert_eq!(
        (s(&first["status"]), first["sequence"].as_u64()),
        ("proposed", Some(1))
    );
    let first_id = id_of(&first);

    // The proposer cannot approve their own change; someone else can, once.
    app.post(
        &format!("/api/v1/change-orders/{first_id}/approve"),
        Procurement,
        &json!({"version": 1}),
    )
    .await
    .expect_problem(403, "segregation_of_duties");
    let approved = app
        .post(
            &format!("/api/v1/change-orders/{first_id}/approve"),
            Admin,
            &json!({"version": 1, "reason": "Budget approved"}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(s(&approved["status"]), "approved");
    assert_eq!(
        approved["replaced"],
        json!({"ceiling": "250000.00", "initial_term_months": 12, "scope": null})
    );
    app.post(
        &format!("/api/v1/change-orders/{first_id}/approve"),
        Admin,
        &json!({"version": 2}),
    )
    .await
    .expect_problem(409, "invalid_transition");
    let read = app
        .get(&format!("/api/v1/contracts/{id}?as_of=2027-03-01"), Viewer)
        .await
        .expect(200)
        .body;
    assert_eq!(
        (s(&read["ceiling"]), read["initial_term_months"].as_u64()),
        ("300000.00", Some(18))
    );
    assert_eq!(s(&read["schedule"]["current_term"]["end"]), "2028-06-30");

    let second = propose(json!({"reason": "Scope", "scope": "Two more racks, remote hands"}))
        .await
        .expect(201)
        .body;
    let second_id = id_of(&second);
    app.post(
        &format!("/api/v1/change-orders/{second_id}/reject"),
        Procurement,
        &json!({"version": 1}),
    )
    .await
    .expect_invalid("reason");
    let rejected = app
        .post(
            &format!("/api/v1/change-orders/{second_id}/reject"),
            Procurement,
            &json!({"version": 1, "reason": "Not now"}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        (s(&rejected["status"]), s(&rejected["decision_reason"])),
        ("rejected", "Not now")
    );
    let third = propose(json!({"reason": "Indexation", "ceiling": "320000.00"}))
        .await
        .expect(201)
        .body;
    assert_eq!(third["sequence"].as_u64(), Some(3));
    app.post(
        &format!("/api/v1/change-orders/{}/approve", id_of(&third)),
        Admin,
        &json!({"version": 1}),
    )
    .await
    .expect(200);

    let baseline = app
        .get(&format!("/api/v1/contracts/{id}/baseline"), Viewer)
        .await
        .expect(200)
        .body;
    assert_eq!(
        baseline["original"],
        json!({"ceiling": "250000.00", "initial_term_months": 12, "initial_term_end": "2027-12-31", "scope": null})
    );
    let changes = baseline["changes"].as_array().expect("changes");
    assert_eq!(
        changes.len(),
        2,
        "rejected change orders are not part of the baseline"
    );
    assert_eq!(changes[0]["figures"]["ceiling"], json!("300000.00"));
    assert_eq!(
        changes[0]["figures"]["initial_term_end"],
        json!("2028-06-30")
    );
    assert_eq!(changes[1]["figures"]["ceiling"], json!("320000.00"));
    assert_eq!(baseline["current"], changes[1]["figures"]);
    let listed = app
        .get(&format!("/api/v1/contracts/{id}/change-orders"), Viewer)
        .await
        .expect(200)
        .body;
    let statuses: Vec<&str> = listed
        .as_array()
        .expect("list")
        .iter()
        .map(|o| s(&o["status"]))
        .collect();
    assert_eq!(statuses, ["approved", "rejected", "approved"]);

    let audit = app
        .get(
            &format!("/api/v1/audit?entity=contract&id={id}&action=contract.change"),
            Admin,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(2));
}

async fn sows_and_milestone_acceptance(app: TestApp) {
    let vendor_id = vendor(&app, "Integrator SA").await;
    let project = id_of(
        &app.create_project(json!({"code": "WAN", "name": "WAN upgrade", "currency": "EUR"}))
            .await,
    );
    let other = id_of(
        &app.create_project(json!({"code": "OTHER", "name": "Other", "currency": "EUR"}))
            .await,
    );
    let mut body = yearly(vendor_id);
    body["project_ids"] = json!([project]);
    let id = id_of(&create(&app, body).await);
    act(&app, id, "activate", json!({"version": 1}))
        .await
        .expect(200);
    let sow = |project_id: i64, value: &str, milestones: Value| {
        json!({"project_id": project_id, "title": "Site surveys", "value": value,
               "deliverables": ["Survey report"], "milestones": milestones})
    };
    let milestone = |name: &str, amount: &str| json!({"name": name, "amount": amount, "due_date": "2027-06-30", "acceptance_criteria": "Signed report"});
    let path = format!("/api/v1/contracts/{id}/sows");
    app.post(&path, Procurement, &sow(other, "1000", json!([])))
        .await
        .expect_invalid("project_id");
    let over = app
        .post(
            &path,
            Procurement,
            &sow(
                project,
                "100000.00",
                json!([milestone("A", "40000"), milestone("B", "70000")]),
            ),
        )
        .await
        .expect_problem(409, "milestones_exceed_sow");
    assert_eq!(s(&over.body["context"]["over_by"]), "10000.00");
    app.post(&path, Procurement, &sow(project, "300000", json!([])))
        .await
        .expect_problem(409, "sows_exceed_ceiling");
    let created = app
        .post(
            &path,
            Procurement,
            &sow(
                project,
                "200000.00",
                json!([
                    milestone("Survey", "80000"),
                    milestone("Design", "120000.00")
                ]),
            ),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(
        (s(&created["value"]), s(&created["milestones_total"])),
        ("200000.00", "200000.00")
    );
    let beyond = app
        .post(&path, Procurement, &sow(project, "60000", json!([])))
        .await
        .expect_problem(409, "sows_exceed_ceiling");
    assert_eq!(
        (
            s(&beyond.body["context"]["other_sows"]),
            s(&beyond.body["context"]["over_by"])
        ),
        ("200000.00", "10000.00")
    );

    // Milestones added later count against the SOW with those it has: a smaller SOW with room
    // for one more milestone of 5,000.00, not 5,000.01.
    let small = app
        .post(
            &path,
            Procurement,
            &sow(project, "10000.00", json!([milestone("Kick-off", "5000")])),
        )
        .await
        .expect(201)
        .body;
    let add = format!("/api/v1/sows/{}/milestones", id_of(&small));
    let refused = app
        .post(
            &add,
            Procurement,
            &json!({"milestones": [milestone("Extra", "5000.01")]}),
        )
        .await
        .expect_problem(409, "milestones_exceed_sow");
    assert_eq!(s(&refused.body["context"]["over_by"]), "0.01");
    app.post(
        &add,
        Procurement,
        &json!({"milestones": [milestone("", "1")]}),
    )
    .await
    .expect_invalid("milestones[0].name");
    app.post(&add, Pm, &json!({"milestones": [milestone("Extra", "1")]}))
        .await
        .expect_problem(403, "forbidden");
    let grown = app
        .post(
            &add,
            Procurement,
            &json!({"milestones": [milestone("Handover", "5000.00")]}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(s(&grown["milestones_total"]), "10000.00");
    assert_eq!(grown["milestones"].as_array().map(Vec::len), Some(2));
    assert_eq!(s(&grown["milestones"][1]["status"]), "pending");
    assert_eq!(grown["version"], 2);

    let milestone_id = id_of(&created["milestones"][0]);
    let step = |action: &str, role, body: Value| {
        let app = &app;
        let path = format!("/api/v1/milestones/{milestone_id}/{action}");
        async move { app.post(&path, role, &body).await }
    };
    let refused = step("accept", Pm, json!({"version": 1}))
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(
        refused.body["context"]["allowed_actions"],
        json!(["submit"])
    );
    step("submit", Procurement, json!({"version": 1}))
        .await
        .expect(200);
    step("accept", Procurement, json!({"version": 2}))
        .await
        .expect_problem(403, "forbidden");
    step("reject", Pm, json!({"version": 2}))
        .await
        .expect_invalid("reason");
    let rejected = step(
        "reject",
        Pm,
        json!({"version": 2, "comment": "Report unsigned"}),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(
        (s(&rejected["status"]), s(&rejected["decision_comment"])),
        ("rejected", "Report unsigned")
    );
    step("submit", Procurement, json!({"version": 3}))
        .await
        .expect(200);
    let accepted = step("accept", Pm, json!({"version": 4, "comment": "Signed"}))
        .await
        .expect(200)
        .body;
    assert_eq!(
        (s(&accepted["status"]), s(&accepted["decided_by"])),
        ("accepted", "test-pm")
    );
    step("reject", Pm, json!({"version": 5, "comment": "late"}))
        .await
        .expect_problem(409, "invalid_transition");

    let listed = app.get(&path, Viewer).await.expect(200).body;
    assert_eq!(s(&listed[0]["milestones"][0]["status"]), "accepted");
    let audit = app
        .get(
            &format!("/api/v1/audit?entity=milestone&id={milestone_id}"),
            Admin,
        )
        .await
        .expect(200)
        .body;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| s(&r["action"]))
        .collect();
    assert_eq!(
        actions,
        [
            "milestone.submit",
            "milestone.reject",
            "milestone.submit",
            "milestone.accept"
        ]
    );
}

async fn only_the_projects_pm_accepts_its_milestones(app: TestApp) {
    let vendor_id = vendor(&app, "Surveyors Ltd").await;
    let project = id_of(
        &app.create_project(json!({
            "code": "LAN", "name": "LAN refresh", "currency": "EUR", "pm_name": "Ada Lovelace"
        }))
        .await,
    );
    let mut body = yearly(vendor_id);
    body["project_ids"] = json!([project]);
    let id = id_of(&create(&app, body).await);
    act(&app, id, "activate", json!({"version": 1}))
        .await
        .expect(200);
    let sow = app
        .post(
            &format!("/api/v1/contracts/{id}/sows"),
            Procurement,
            &json!({"project_id": project, "title": "Survey", "value": "1000.00",
                    "milestones": [{"name": "Report", "amount": "1000.00",
                                    "due_date": "2026-09-30", "acceptance_criteria": "Signed"}]}),
        )
        .await
        .expect(201)
        .body;
    let milestone = id_of(&sow["milestones"][0]);
    app.post(
        &format!("/api/v1/milestones/{milestone}/submit"),
        Procurement,
        &json!({"version": 1}),
    )
    .await
    .expect(200);
    // Another project manager may not decide on Ada's project.
    app.post(
        &format!("/api/v1/milestones/{milestone}/accept"),
        Pm,
        &json!({"version": 2}),
    )
    .await
    .expect_problem(403, "forbidden");
    let ada = app.create_token("Ada Lovelace", Pm).await;
    let accepted = app
        .post_with_token(
            &format!("/api/v1/milestones/{milestone}/accept"),
            &ada,
            &json!({"version": 2, "comment": "Signed off"}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(s(&accepted["decided_by"]), "Ada Lovelace");
    assert_eq!(s(&accepted["status"]), "accepted");
}

both_engines!(
    drafting_and_the_schedule,
    only_the_projects_pm_accepts_its_milestones,
    bad_contracts_name_every_field,
    tacit_renewal_lifecycle,
    explicit_renewal_options,
    expiry_is_derived,
    sla_credits_and_report,
    quarterly_slas_measure_whole_quarters,
    bad_slas_name_every_field,
    change_orders_keep_the_baseline,
    sows_and_milestone_acceptance,
);
