//! Sourcing over HTTP: an RFP from draft to the awarded draft contract; sealed bids (no price in
//! any answer or audit row before the opening); the lifecycle's refusals; who may bid; what an
//! evaluator sees (their RFPs only, never a conflicted bid, no names on a blind RFP); the
//! ranking explained line by line; consensus, knock-outs, abnormally low bids, the QCBS
//! threshold and the award's rules.
//!
//! Bids are taken only before the due time and closing only works after it, so each test sets a
//! due time a few seconds ahead just before publishing and sleeps past it (at most once).

use crate::helpers::{id_of, s, Resp, TestApp};
use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};
use procura::auth::Role::{Admin, Evaluator, Finance, Pm, Procurement, Viewer};
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::str::FromStr;

const RFPS: &str = "/api/v1/rfps";

const DRAFT_ACTIONS: [&str; 6] = [
    "update",
    "set_criteria",
    "invite",
    "assign_evaluators",
    "publish",
    "cancel",
];

const PUBLISHED_ACTIONS: [&str; 6] = [
    "invite",
    "assign_evaluators",
    "submit_bid",
    "declare_conflict",
    "close",
    "cancel",
];

fn url(id: i64, tail: &str) -> String {
    if tail.is_empty() {
        format!("{RFPS}/{id}")
    } else {
        format!("{RFPS}/{id}/{tail}")
    }
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("expected an array, found {value}"))
        .iter()
        .map(|v| s(v).to_string())
        .collect()
}

/// A decimal field, exactly.
#[track_caller]
fn dec(value: &Value) -> Decimal {
    Decimal::from_str(s(value)).unwrap_or_else(|e| panic!("{value} is not a decimal: {e}"))
}

fn items(resp: &Resp) -> Vec<Value> {
    resp.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {}", resp.text))
        .clone()
}

fn ids(values: &[Value]) -> Vec<i64> {
    values.iter().map(id_of).collect()
}

/// Sends a request with the token `secret` (the harness's helpers act as `test-<role>`).
async fn as_token(
    app: &TestApp,
    method: Method,
    path: &str,
    secret: &str,
    body: Option<&Value>,
) -> Resp {
    let body = body.map(|b| ("application/json", serde_json::to_vec(b).expect("JSON")));
    app.send(method, path, Some(secret), body, &[]).await
}

async fn vendor(app: &TestApp, name: &str) -> i64 {
    id_of(&app.create_vendor(json!({ "name": name })).await)
}

async fn block(app: &TestApp, vendor_id: i64) {
    let current = app
        .get(&format!("/api/v1/vendors/{vendor_id}"), Procurement)
        .await
        .expect(200);
    app.patch(
        &format!("/api/v1/vendors/{vendor_id}"),
        Procurement,
        &json!({"version": current.body["version"], "status": "blocked"}),
    )
    .await
    .expect(200);
}

/// An evaluator: the name of their token (what RFPs are assigned by) and its secret.
struct Panelist {
    name: String,
    secret: String,
}

async fn evaluator(app: &TestApp, name: &str) -> Panelist {
    Panelist {
        name: name.to_string(),
        secret: app.create_token(name, Evaluator).await,
    }
}

impl Panelist {
    async fn get(&self, app: &TestApp, path: &str) -> Resp {
        as_token(app, Method::GET, path, &self.secret, None).await
    }

    async fn score(&self, app: &TestApp, rfp: i64, bid: i64, scores: &[(i64, &str)]) -> Resp {
        let scores: Vec<Value> = scores
            .iter()
            .map(|(criterion, score)| json!({"criterion_id": criterion, "score": score}))
            .collect();
        as_token(
            app,
            Method::PUT,
            &url(rfp, &format!("bids/{bid}/scores")),
            &self.secret,
            Some(&json!({ "scores": scores })),
        )
        .await
    }
}

/// An RFP's fields: EUR, and whatever `extra` sets.
fn fields(title: &str, extra: Value) -> Value {
    let mut body = json!({"title": title, "currency": "EUR"});
    for (key, value) in extra.as_object().expect("an object of fields") {
        body[key] = value.clone();
    }
    body
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A due time close enough to sleep past.
fn soon() -> DateTime<Utc> {
    Utc::now() + Duration::seconds(3)
}

/// Sleeps until `due` has passed (never more than 4 s: a test sleeps once).
async fn wait_past(due: DateTime<Utc>) {
    let left =
        (due - Utc::now()).to_std().unwrap_or_default() + std::time::Duration::from_millis(150);
    assert!(left <= std::time::Duration::from_secs(4), "{left:?}");
    tokio::time::sleep(left).await;
}

/// How long bids hold: well after any due time of these tests.
fn valid_until() -> NaiveDate {
    (Utc::now() + Duration::days(180)).date_naive()
}

fn bid_body(vendor_id: i64, price: &str) -> Value {
    json!({"vendor_id": vendor_id, "price": price, "valid_until": valid_until().to_string()})
}

async fn bid(app: &TestApp, rfp: i64, vendor_id: i64, price: &str) -> Value {
    app.post(&url(rfp, "bids"), Procurement, &bid_body(vendor_id, price))
        .await
        .expect(201)
        .body
}

/// Criterion ids by name.
fn criterion_ids(criteria: &Value) -> HashMap<String, i64> {
    criteria["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .flat_map(|section| section["criteria"].as_array().expect("criteria").iter())
        .map(|c| (s(&c["name"]).to_string(), id_of(c)))
        .collect()
}

/// Technical (a scored "Quality" out of 10 and a pass/fail "ISO 27001") weighted `technical`,
/// and the price weighted 100 − `technical`.
fn quality_iso_price(technical: u32) -> Value {
    json!([
        {"name": "Technical", "weight": technical.to_string(), "criteria": [
            {"name": "Quality", "kind": "scored", "max_score": "10", "weight": "1"},
            {"name": "ISO 27001", "kind": "pass_fail"}
        ]},
        {"name": "Commercial", "weight": (100 - technical).to_string(), "criteria": [
            {"name": "Price", "kind": "price", "weight": "1"}
        ]}
    ])
}

/// A scored "Quality" out of 10 weighted `technical`, and the price weighted 100 − `technical`.
fn quality_price(technical: u32) -> Value {
    json!([
        {"name": "Technical", "weight": technical.to_string(), "criteria": [
            {"name": "Quality", "kind": "scored", "max_score": "10", "weight": "1"}
        ]},
        {"name": "Commercial", "weight": (100 - technical).to_string(), "criteria": [
            {"name": "Price", "kind": "price", "weight": "1"}
        ]}
    ])
}

/// An RFP in draft with its criteria, invited vendors and evaluators.
struct Draft {
    id: i64,
    /// The fields it was created with (an update sends them all again).
    fields: Value,
    criteria: HashMap<String, i64>,
}

async fn draft(
    app: &TestApp,
    fields: Value,
    sections: Value,
    vendors: &[i64],
    panel: &[&Panelist],
) -> Draft {
    let id = id_of(&app.post(RFPS, Procurement, &fields).await.expect(201).body);
    let criteria = app
        .put(
            &url(id, "criteria"),
            Procurement,
            &json!({ "sections": sections }),
        )
        .await
        .expect(200)
        .body;
    app.post(
        &url(id, "invitations"),
        Procurement,
        &json!({ "vendor_ids": vendors }),
    )
    .await
    .expect(200);
    if !panel.is_empty() {
        let names: Vec<&str> = panel.iter().map(|p| p.name.as_str()).collect();
        app.post(
            &url(id, "evaluators"),
            Procurement,
            &json!({ "names": names }),
        )
        .await
        .expect(200);
    }
    Draft {
        id,
        fields,
        criteria: criterion_ids(&criteria),
    }
}

impl Draft {
    fn criterion(&self, name: &str) -> i64 {
        self.criteria[name]
    }
}

async fn version(app: &TestApp, id: i64) -> i64 {
    app.get(&url(id, ""), Procurement).await.expect(200).body["version"]
        .as_i64()
        .expect("a version")
}

/// Sets the due time (an update sends every field) and publishes; returns the published RFP.
async fn publish_until(app: &TestApp, draft: &Draft, due: DateTime<Utc>) -> Value {
    let mut body = draft.fields.clone();
    body["due_at"] = json!(rfc3339(due));
    body["version"] = json!(version(app, draft.id).await);
    let patched = app
        .patch(&url(draft.id, ""), Procurement, &body)
        .await
        .expect(200)
        .body;
    app.post(
        &url(draft.id, "publish"),
        Procurement,
        &json!({"version": patched["version"]}),
    )
    .await
    .expect(200)
    .body
}

/// A lifecycle step at the current version, as procurement.
async fn step(app: &TestApp, id: i64, action: &str) -> Resp {
    let version = version(app, id).await;
    app.post(
        &url(id, action),
        Procurement,
        &json!({ "version": version }),
    )
    .await
}

async fn close_and_start(app: &TestApp, id: i64) {
    let closed = step(app, id, "close").await.expect(200).body;
    assert_eq!(s(&closed["status"]), "closed");
    assert!(closed["closed_at"].is_string(), "{closed}");
    let started = step(app, id, "start-evaluation").await.expect(200).body;
    assert_eq!(s(&started["status"]), "technical_evaluation");
}

async fn ranking(app: &TestApp, id: i64) -> Value {
    app.get(&url(id, "ranking"), Procurement)
        .await
        .expect(200)
        .body
}

fn award_body(version: i64, bid_id: i64, justification: Option<&str>) -> Value {
    let mut body = json!({
        "version": version,
        "bid_id": bid_id,
        "contract": {"contract_type": "fixed_price", "start_date": "2027-01-01", "initial_term_months": 24}
    });
    if let Some(j) = justification {
        body["justification"] = json!(j);
    }
    body
}

async fn award(app: &TestApp, id: i64, bid_id: i64, justification: Option<&str>) -> Resp {
    let version = version(app, id).await;
    app.post(
        &url(id, "award"),
        Procurement,
        &award_body(version, bid_id, justification),
    )
    .await
}

/// The ranked bid with this id.
#[track_caller]
fn ranked(ranking: &Value, bid_id: i64) -> &Value {
    ranking["ranked"]
        .as_array()
        .expect("ranked")
        .iter()
        .find(|r| r["bid_id"] == bid_id)
        .unwrap_or_else(|| panic!("bid {bid_id} is not ranked in {ranking}"))
}

/// The breakdown line of criterion `name` of a ranked bid.
#[track_caller]
fn line<'a>(ranked: &'a Value, name: &str) -> &'a Value {
    ranked["criteria"]
        .as_array()
        .expect("criteria")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no criterion {name} in {ranked}"))
}

/// Each evaluator's raw score on a breakdown line, sorted by evaluator.
fn raw_scores(line: &Value) -> Vec<(String, String)> {
    let mut scores: Vec<(String, String)> = line["evaluators"]
        .as_array()
        .expect("evaluators")
        .iter()
        .map(|e| (s(&e["evaluator"]).to_string(), s(&e["score"]).to_string()))
        .collect();
    scores.sort();
    scores
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// Every ranked bid's total is exactly the sum of the contributions shown for it: what a
/// reader adds up by hand matches.
#[track_caller]
fn assert_contributions_add_up(ranking: &Value) {
    for bid in ranking["ranked"].as_array().expect("ranked") {
        let sum: Decimal = bid["criteria"]
            .as_array()
            .expect("criteria")
            .iter()
            .map(|c| dec(&c["contribution"]))
            .sum();
        assert_eq!(sum, dec(&bid["total"]), "{bid}");
    }
}

async fn the_whole_flow_from_rfp_to_contract(app: TestApp) {
    let project = id_of(
        &app.create_project(
            json!({"code": "NOC", "name": "Network operations", "currency": "EUR"}),
        )
        .await,
    );
    let (alpha, beta, gamma) = (
        vendor(&app, "Alpha Networks").await,
        vendor(&app, "Beta Telecom").await,
        vendor(&app, "Gamma Systems").await,
    );
    let anna = evaluator(&app, "anna").await;
    let bruno = evaluator(&app, "bruno").await;

    let rfp_fields = fields(
        "Managed network operations",
        json!({"project_id": project, "blind": false, "price_method": "lowest_ratio"}),
    );
    let created = app.post(RFPS, Procurement, &rfp_fields).await.expect(201);
    let id = id_of(&created.body);
    assert_eq!(created.header("location"), Some(url(id, "").as_str()));
    let rfp = &created.body;
    assert_eq!(s(&rfp["status"]), "draft");
    assert!(s(&rfp["number"]).starts_with("RFP-"), "{rfp}");
    assert_eq!(s(&rfp["currency"]), "EUR");
    assert_eq!(rfp["project_id"], json!(project));
    assert_eq!(s(&rfp["scoring"]["price_method"]), "lowest_ratio");
    assert_eq!(strings(&rfp["allowed_actions"]), DRAFT_ACTIONS);
    assert_eq!(s(&rfp["created_by"]), "test-procurement");

    // Technical 70 % split 60:40 between two scored criteria (the pass/fail knock-out carries no
    // weight), commercial 30 % all on price: 0.7 × 0.6, 0.7 × 0.4, 0.3.
    let criteria = app
        .put(
            &url(id, "criteria"),
            Procurement,
            &json!({"sections": [
                {"name": "Technical", "weight": "70", "criteria": [
                    {"name": "Architecture", "kind": "scored", "max_score": "10", "weight": "60"},
                    {"name": "Support", "kind": "scored", "max_score": "10", "weight": "40"},
                    {"name": "ISO 27001", "kind": "pass_fail"}
                ]},
                {"name": "Commercial", "weight": "30", "criteria": [
                    {"name": "Price", "kind": "price", "weight": "1"}
                ]}
            ]}),
        )
        .await
        .expect(200)
        .body;
    let effective: HashMap<String, Decimal> = criteria["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .flat_map(|sec| sec["criteria"].as_array().expect("criteria").iter())
        .map(|c| (s(&c["name"]).to_string(), dec(&c["effective_weight"])))
        .collect();
    let expected: HashMap<String, Decimal> = [
        ("Architecture", "0.42"),
        ("Support", "0.28"),
        ("ISO 27001", "0"),
        ("Price", "0.3"),
    ]
    .into_iter()
    .map(|(n, w)| (n.to_string(), Decimal::from_str(w).expect("decimal")))
    .collect();
    assert_eq!(effective, expected, "{criteria}");
    assert_eq!(effective.values().copied().sum::<Decimal>(), Decimal::ONE);
    assert!(
        !s(&criteria["weighting"]).trim().is_empty(),
        "the criteria say how effective weights are derived: {criteria}"
    );
    // What evaluators and auditors read later is what was set.
    assert_eq!(
        app.get(&url(id, "criteria"), Viewer).await.expect(200).body,
        criteria
    );
    let c = criterion_ids(&criteria);
    let (arch, support, iso) = (c["Architecture"], c["Support"], c["ISO 27001"]);

    let invited = app
        .post(
            &url(id, "invitations"),
            Procurement,
            &json!({"vendor_ids": [alpha, beta, gamma]}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(invited["invited_vendor_ids"], json!([alpha, beta, gamma]));
    // Only live evaluator tokens sit on a panel.
    app.post(
        &url(id, "evaluators"),
        Procurement,
        &json!({"names": ["test-viewer"]}),
    )
    .await
    .expect_invalid("names[0]");
    let assigned = app
        .post(
            &url(id, "evaluators"),
            Procurement,
            &json!({"names": ["anna", "bruno"]}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(strings(&assigned["evaluators"]), ["anna", "bruno"]);

    let due = soon();
    let published = publish_until(
        &app,
        &Draft {
            id,
            fields: rfp_fields.clone(),
            criteria: c.clone(),
        },
        due,
    )
    .await;
    assert_eq!(s(&published["status"]), "published");
    assert!(published["published_at"].is_string(), "{published}");

    // Three bids, recorded as received; Gamma then sends a better offer, which replaces its
    // first (kept as history). The 201 itself shows no price.
    let mut alpha_body = bid_body(alpha, "80000.00");
    alpha_body["price_lines"] = json!([
        {"description": "Transition", "amount": "50000.00"},
        {"description": "Operations, year 1", "amount": "30000.00"}
    ]);
    let recorded = app
        .post(&url(id, "bids"), Procurement, &alpha_body)
        .await
        .expect(201);
    assert_eq!(recorded.header("location"), Some(url(id, "bids").as_str()));
    let alpha_bid = recorded.body;
    assert_eq!(
        (
            s(&alpha_bid["label"]),
            s(&alpha_bid["status"]),
            &alpha_bid["sealed"],
            &alpha_bid["price"],
            &alpha_bid["price_lines"]
        ),
        ("Bid A", "active", &json!(true), &Value::Null, &Value::Null)
    );
    let beta_bid = bid(&app, id, beta, "100000.00").await;
    let gamma_first = bid(&app, id, gamma, "130000.00").await;
    let gamma_bid = bid(&app, id, gamma, "125000.00").await;
    assert_eq!(gamma_bid["replaces_bid_id"], json!(id_of(&gamma_first)));
    assert_eq!(
        s(&gamma_bid["label"]),
        "Bid C",
        "a vendor keeps its label across offers"
    );
    let (alpha_bid, beta_bid, gamma_old, gamma_bid) = (
        id_of(&alpha_bid),
        id_of(&beta_bid),
        id_of(&gamma_first),
        id_of(&gamma_bid),
    );

    // Closing waits for the due time.
    step(&app, id, "close")
        .await
        .expect_problem(409, "not_yet_due");

    let active = app.get(&url(id, "bids"), Procurement).await.expect(200);
    assert_eq!(ids(&items(&active)), [alpha_bid, beta_bid, gamma_bid]);
    let history = app
        .get(&url(id, "bids?include_replaced=true"), Procurement)
        .await
        .expect(200);
    let history = items(&history);
    assert_eq!(ids(&history), [alpha_bid, beta_bid, gamma_old, gamma_bid]);
    let statuses: Vec<&str> = history.iter().map(|b| s(&b["status"])).collect();
    assert_eq!(statuses, ["active", "active", "replaced", "active"]);

    // Sealed for everyone who can read the bids, whatever their role.
    let mut seen = Vec::new();
    for role in [Admin, Procurement, Finance, Pm, Viewer] {
        seen.push((
            role.to_string(),
            app.get(&url(id, "bids?include_replaced=true"), role)
                .await
                .expect(200),
        ));
    }
    for panelist in [&anna, &bruno] {
        seen.push((
            panelist.name.clone(),
            panelist
                .get(&app, &url(id, "bids?include_replaced=true"))
                .await
                .expect(200),
        ));
    }
    for (who, resp) in &seen {
        let bids = items(resp);
        assert_eq!(bids.len(), 4, "{who}: {}", resp.text);
        for b in &bids {
            assert_eq!(b["sealed"], json!(true), "{who}: {b}");
            assert!(
                b["price"].is_null() && b["price_lines"].is_null(),
                "{who}: {b}"
            );
        }
    }
    // An evaluator not on the panel does not even see that the RFP exists.
    app.get(&url(id, "bids"), Evaluator)
        .await
        .expect_problem(404, "not_found");
    // No price in the audit log before the opening, in any form: as sent, or as cents.
    let prices = [
        "80000.00",
        "8000000",
        "50000.00",
        "30000.00",
        "100000.00",
        "10000000",
        "130000.00",
        "13000000",
        "125000.00",
        "12500000",
    ];
    let bid_rows = app.list_all("/api/v1/audit?entity=bid", Finance).await;
    assert_eq!(bid_rows.len(), 4, "one row per bid recorded: {bid_rows:#?}");
    let whole_log = app.list_all("/api/v1/audit", Finance).await;
    for (what, rows) in [("bid rows", &bid_rows), ("the log", &whole_log)] {
        let text = serde_json::to_string(rows).expect("JSON");
        for price in prices {
            assert!(
                !text.contains(price),
                "{what} hold the sealed price {price}: {text}"
            );
        }
    }

    wait_past(due).await;
    close_and_start(&app, id).await;

    // The replaced offer is history: nobody scores it.
    anna.score(&app, id, gamma_old, &[(arch, "5")])
        .await
        .expect_problem(409, "bid_replaced");
    // Raw scores out of 10 (pass/fail 1). The evaluators' means:
    //   Alpha: architecture (6 + 8) / 2 = 7, support (6 + 6) / 2 = 6
    //   Beta:  architecture (9 + 9) / 2 = 9, support (8 + 10) / 2 = 9
    //   Gamma: architecture (8 + 8) / 2 = 8, support (7 + 7) / 2 = 7
    let sheet: [(&Panelist, i64, [&str; 3]); 6] = [
        (&anna, alpha_bid, ["6", "6", "1"]),
        (&anna, beta_bid, ["9", "8", "1"]),
        (&anna, gamma_bid, ["8", "7", "1"]),
        (&bruno, alpha_bid, ["8", "6", "1"]),
        (&bruno, beta_bid, ["9", "10", "1"]),
        (&bruno, gamma_bid, ["8", "7", "1"]),
    ];
    for (panelist, bid_id, [a, sup, i]) in sheet {
        // Bruno has not yet checked Gamma's certificate.
        let scores: Vec<(i64, &str)> = if panelist.name == "bruno" && bid_id == gamma_bid {
            vec![(arch, a), (support, sup)]
        } else {
            vec![(arch, a), (support, sup), (iso, i)]
        };
        let mine = panelist
            .score(&app, id, bid_id, &scores)
            .await
            .expect(200)
            .body;
        assert_eq!(items_len(&mine), scores.len(), "{mine}");
    }

    // Prices stay sealed, and the ranking and its export do not exist, until every score is in.
    for report in ["ranking", "ranking.xlsx"] {
        app.get(&url(id, report), Procurement)
            .await
            .expect_problem(409, "prices_sealed");
    }
    let incomplete = step(&app, id, "open-prices")
        .await
        .expect_problem(409, "scoring_incomplete");
    assert_eq!(incomplete.body["context"]["missing_count"], json!(1));
    assert_eq!(
        incomplete.body["context"]["missing"],
        json!([{"bid_id": gamma_bid, "criterion_id": iso, "evaluator": "bruno"}])
    );
    bruno
        .score(&app, id, gamma_bid, &[(iso, "1")])
        .await
        .expect(200);
    let opened = step(&app, id, "open-prices").await.expect(200).body;
    assert_eq!(s(&opened["status"]), "prices_opened");
    assert!(opened["prices_opened_at"].is_string(), "{opened}");

    // The opening's audit row is the one that holds the prices.
    let rfp_rows = app
        .list_all(&format!("/api/v1/audit?entity=rfp&id={id}"), Finance)
        .await;
    let opening = rfp_rows
        .iter()
        .find(|r| r["action"] == "rfp.open_prices")
        .unwrap_or_else(|| panic!("no rfp.open_prices row in {rfp_rows:#?}"));
    let mut opened_prices: Vec<(i64, String)> = opening["after"]["prices"]
        .as_array()
        .unwrap_or_else(|| panic!("no prices in {opening}"))
        .iter()
        .map(|p| {
            (
                p["bid_id"].as_i64().expect("bid id"),
                s(&p["price"]).to_string(),
            )
        })
        .collect();
    opened_prices.sort();
    assert_eq!(
        opened_prices,
        [
            (alpha_bid, "80000.00".to_string()),
            (beta_bid, "100000.00".to_string()),
            (gamma_bid, "125000.00".to_string())
        ]
    );

    let open_bids = app.get(&url(id, "bids"), Procurement).await.expect(200);
    let open_bids = items(&open_bids);
    let shown: Vec<(bool, &str)> = open_bids
        .iter()
        .map(|b| (b["sealed"].as_bool().expect("sealed"), s(&b["price"])))
        .collect();
    assert_eq!(
        shown,
        [
            (false, "80000.00"),
            (false, "100000.00"),
            (false, "125000.00")
        ]
    );
    assert_eq!(
        open_bids[0]["price_lines"],
        json!([
            {"description": "Transition", "amount": "50000.00"},
            {"description": "Operations, year 1", "amount": "30000.00"}
        ])
    );

    // By hand (weights 0.42, 0.28, 0.3; price score 100 × lowest / price, lowest 80 000):
    //   Beta:  0.42 × 90 + 0.28 × 90 + 0.3 × 80  = 37.80 + 25.20 + 24.00 = 87.00
    //   Alpha: 0.42 × 70 + 0.28 × 60 + 0.3 × 100 = 29.40 + 16.80 + 30.00 = 76.20
    //   Gamma: 0.42 × 80 + 0.28 × 70 + 0.3 × 64  = 33.60 + 19.60 + 19.20 = 72.40
    let r = ranking(&app, id).await;
    assert_eq!(s(&r["status"]), "prices_opened");
    assert_eq!(s(&r["currency"]), "EUR");
    let order: Vec<(u64, i64, &str, &str)> = r["ranked"]
        .as_array()
        .expect("ranked")
        .iter()
        .map(|b| {
            (
                b["rank"].as_u64().expect("rank"),
                b["bid_id"].as_i64().expect("bid"),
                s(&b["vendor_name"]),
                s(&b["total"]),
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            (1, beta_bid, "Beta Telecom", "87.00"),
            (2, alpha_bid, "Alpha Networks", "76.20"),
            (3, gamma_bid, "Gamma Systems", "72.40"),
        ]
    );
    assert_eq!(r["disqualified"], json!([]));
    assert_contributions_add_up(&r);
    let contributions = |bid_id: i64| -> Vec<&str> {
        ["Architecture", "Support", "ISO 27001", "Price"]
            .iter()
            .map(|n| s(&line(ranked(&r, bid_id), n)["contribution"]))
            .collect()
    };
    assert_eq!(contributions(beta_bid), ["37.80", "25.20", "0.00", "24.00"]);
    assert_eq!(
        contributions(alpha_bid),
        ["29.40", "16.80", "0.00", "30.00"]
    );
    assert_eq!(
        contributions(gamma_bid),
        ["33.60", "19.60", "0.00", "19.20"]
    );
    let price_scores: Vec<&str> = [beta_bid, alpha_bid, gamma_bid]
        .iter()
        .map(|b| s(&ranked(&r, *b)["price_score"]))
        .collect();
    assert_eq!(price_scores, ["80.00", "100.00", "64.00"]);
    // St, the technical score out of 100: (0.42 × architecture + 0.28 × support) / 0.7.
    let technical: Vec<&str> = [beta_bid, alpha_bid, gamma_bid]
        .iter()
        .map(|b| s(&ranked(&r, *b)["technical_score"]))
        .collect();
    assert_eq!(technical, ["90.00", "66.00", "76.00"]);
    let winner = ranked(&r, beta_bid);
    assert_eq!(s(&winner["price"]), "100000.00");
    let support_line = line(winner, "Support");
    assert_eq!(
        (
            s(&support_line["combined"]),
            s(&support_line["normalised"]),
            &support_line["consensus"]
        ),
        ("9.00", "90.00", &json!(false))
    );
    assert_eq!(
        raw_scores(support_line),
        pairs(&[("anna", "8"), ("bruno", "10")])
    );
    assert_eq!(
        raw_scores(line(ranked(&r, alpha_bid), "Architecture")),
        pairs(&[("anna", "6"), ("bruno", "8")])
    );
    assert!(line(winner, "Price")["combined"].is_null(), "{winner}");
    assert_eq!(winner["flags"], json!([]));
    // Evaluators score; the ranking, and its export, are procurement's to read.
    for report in ["ranking", "ranking.xlsx"] {
        anna.get(&app, &url(id, report))
            .await
            .expect_problem(403, "forbidden");
    }

    let export = app
        .get(&url(id, "ranking.xlsx"), Procurement)
        .await
        .expect(200);
    assert_eq!(
        export.content_type(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(
        export.text.starts_with("PK"),
        "an xlsx file is a zip archive"
    );
    assert!(export.text.len() > 100, "{} bytes", export.text.len());

    let evaluated = step(&app, id, "complete-evaluation").await.expect(200).body;
    assert_eq!(s(&evaluated["status"]), "evaluated");
    assert_eq!(strings(&evaluated["allowed_actions"]), ["award", "cancel"]);

    // The award is procurement's decision: not an evaluator's, not an admin's.
    let v = version(&app, id).await;
    as_token(
        &app,
        Method::POST,
        &url(id, "award"),
        &anna.secret,
        Some(&award_body(v, beta_bid, None)),
    )
    .await
    .expect_problem(403, "forbidden");
    app.post(&url(id, "award"), Admin, &award_body(v, beta_bid, None))
        .await
        .expect_problem(403, "forbidden");
    let awarded = app
        .post(
            &url(id, "award"),
            Procurement,
            &award_body(v, beta_bid, None),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(s(&awarded["rfp"]["status"]), "awarded");
    assert_eq!(awarded["rfp"]["allowed_actions"], json!([]));
    let contract = &awarded["contract"];
    assert_eq!(s(&contract["status"]), "draft");
    assert_eq!(contract["vendor_id"], json!(beta));
    assert_eq!(s(&contract["ceiling"]), "100000.00");
    assert_eq!(s(&contract["currency"]), "EUR");
    assert_eq!(s(&contract["title"]), "Managed network operations");
    assert_eq!(contract["project_ids"], json!([project]));
    assert_eq!(contract["award"], json!({"rfp_id": id, "bid_id": beta_bid}));
    let stored = app
        .get(&format!("/api/v1/contracts/{}", id_of(contract)), Viewer)
        .await
        .expect(200)
        .body;
    assert_eq!(stored["award"], json!({"rfp_id": id, "bid_id": beta_bid}));
    assert_eq!(s(&stored["ceiling"]), "100000.00");
    // Awarded is final.
    app.post(
        &url(id, "cancel"),
        Procurement,
        &json!({"version": version(&app, id).await, "reason": "changed our mind"}),
    )
    .await
    .expect_problem(409, "invalid_transition");
}

fn items_len(body: &Value) -> usize {
    body["items"].as_array().map(Vec::len).unwrap_or(0)
}

async fn illegal_transitions_are_409_with_the_allowed_actions(app: TestApp) {
    let vendor_id = vendor(&app, "Nordic Networks").await;
    let carla = evaluator(&app, "carla").await;
    let an_hour = rfc3339(Utc::now() + Duration::hours(1));
    let wifi_fields = fields("Wi-Fi refresh", json!({ "due_at": an_hour }));
    let created = app.post(RFPS, Procurement, &wifi_fields).await.expect(201);
    let id = id_of(&created.body);

    // From draft nothing further along is possible; the refusal names the state and what is.
    for action in [
        "close",
        "open-prices",
        "start-evaluation",
        "complete-evaluation",
    ] {
        let refused = app
            .post(&url(id, action), Procurement, &json!({"version": 1}))
            .await
            .expect_problem(409, "invalid_transition");
        assert_eq!(refused.body["context"]["status"], "draft", "{action}");
        assert_eq!(
            strings(&refused.body["context"]["allowed_actions"]),
            DRAFT_ACTIONS,
            "{action}"
        );
    }
    let refused = app
        .post(&url(id, "award"), Procurement, &award_body(1, 1, None))
        .await
        .expect_problem(409, "invalid_transition");
    assert!(
        strings(&refused.body["context"]["allowed_actions"]).contains(&"publish".to_string()),
        "{}",
        refused.text
    );
    app.post(&url(id, "bids"), Procurement, &bid_body(vendor_id, "10.00"))
        .await
        .expect_problem(409, "invalid_transition");

    // Publishing needs criteria and invited vendors: every problem is named at once.
    let unpublishable = app
        .post(&url(id, "publish"), Procurement, &json!({"version": 1}))
        .await
        .expect_problem(409, "not_publishable");
    let problems = strings(&unpublishable.body["context"]["problems"]);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems.iter().any(|p| p.contains("criteria")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("invited")),
        "{problems:?}"
    );

    let d = Draft {
        id,
        fields: wifi_fields.clone(),
        criteria: HashMap::new(),
    };
    app.put(
        &url(id, "criteria"),
        Procurement,
        &json!({ "sections": quality_price(70) }),
    )
    .await
    .expect(200);
    app.post(
        &url(id, "invitations"),
        Procurement,
        &json!({ "vendor_ids": [vendor_id] }),
    )
    .await
    .expect(200);
    app.post(
        &url(id, "evaluators"),
        Procurement,
        &json!({ "names": [&carla.name] }),
    )
    .await
    .expect(200);
    // A due time already past: nobody could bid.
    let mut past = d.fields.clone();
    past["due_at"] = json!(rfc3339(Utc::now() - Duration::minutes(5)));
    past["version"] = json!(version(&app, id).await);
    let patched = app
        .patch(&url(id, ""), Procurement, &past)
        .await
        .expect(200)
        .body;
    let current = patched["version"].as_i64().expect("version");
    let late = app
        .post(
            &url(id, "publish"),
            Procurement,
            &json!({"version": current}),
        )
        .await
        .expect_problem(409, "not_publishable");
    let problems = strings(&late.body["context"]["problems"]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("passed"), "{problems:?}");

    // Changing the criteria, the invitations or the panel makes a new version, so a step taken
    // on an earlier read is refused.
    let before = version(&app, id).await;
    app.post(
        &url(id, "invitations"),
        Procurement,
        &json!({"vendor_ids": [vendor(&app, "Late Invitee").await]}),
    )
    .await
    .expect(200);
    assert_eq!(version(&app, id).await, before + 1);
    app.post(
        &url(id, "publish"),
        Procurement,
        &json!({"version": before}),
    )
    .await
    .expect_problem(409, "version_conflict");
    let current = version(&app, id).await;

    // A stale version is refused, by an update and by a step alike.
    let mut stale = d.fields.clone();
    stale["version"] = json!(current - 1);
    let conflict = app
        .patch(&url(id, ""), Procurement, &stale)
        .await
        .expect_problem(409, "version_conflict");
    assert_eq!(
        conflict.body["context"]["current_version"],
        json!(current),
        "{}",
        conflict.text
    );
    app.post(
        &url(id, "cancel"),
        Procurement,
        &json!({"version": current - 1, "reason": "stale"}),
    )
    .await
    .expect_problem(409, "version_conflict");

    // Cancelling needs a reason.
    app.post(
        &url(id, "cancel"),
        Procurement,
        &json!({"version": current}),
    )
    .await
    .expect_invalid("reason");
    app.post(
        &url(id, "cancel"),
        Procurement,
        &json!({"version": current, "reason": "   "}),
    )
    .await
    .expect_invalid("reason");
    let cancelled = app
        .post(
            &url(id, "cancel"),
            Procurement,
            &json!({"version": current, "reason": "Budget withdrawn"}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(s(&cancelled["status"]), "cancelled");
    assert_eq!(s(&cancelled["status_reason"]), "Budget withdrawn");
    assert_eq!(cancelled["allowed_actions"], json!([]));

    // Cancelled is final: every action is refused and none is offered instead.
    let v = cancelled["version"].as_i64().expect("version");
    let mut update = d.fields.clone();
    update["version"] = json!(v);
    let step_body = json!({ "version": v });
    let attempts: Vec<(&str, Resp)> = vec![
        (
            "update",
            app.patch(&url(id, ""), Procurement, &update).await,
        ),
        (
            "set_criteria",
            app.put(
                &url(id, "criteria"),
                Procurement,
                &json!({ "sections": quality_price(50) }),
            )
            .await,
        ),
        (
            "invite",
            app.post(
                &url(id, "invitations"),
                Procurement,
                &json!({ "vendor_ids": [vendor_id] }),
            )
            .await,
        ),
        (
            "assign_evaluators",
            app.post(
                &url(id, "evaluators"),
                Procurement,
                &json!({ "names": [&carla.name] }),
            )
            .await,
        ),
        (
            "publish",
            app.post(&url(id, "publish"), Procurement, &step_body).await,
        ),
        (
            "close",
            app.post(&url(id, "close"), Procurement, &step_body).await,
        ),
        (
            "start_evaluation",
            app.post(&url(id, "start-evaluation"), Procurement, &step_body)
                .await,
        ),
        (
            "open_prices",
            app.post(&url(id, "open-prices"), Procurement, &step_body)
                .await,
        ),
        (
            "complete_evaluation",
            app.post(&url(id, "complete-evaluation"), Procurement, &step_body)
                .await,
        ),
        (
            "cancel",
            app.post(
                &url(id, "cancel"),
                Procurement,
                &json!({"version": v, "reason": "again"}),
            )
            .await,
        ),
        (
            "award",
            app.post(&url(id, "award"), Procurement, &award_body(v, 1, None))
                .await,
        ),
        (
            "submit_bid",
            app.post(&url(id, "bids"), Procurement, &bid_body(vendor_id, "10.00"))
                .await,
        ),
        (
            "record_consensus",
            app.put(
                &url(id, "bids/1/consensus"),
                Procurement,
                &json!({"criterion_id": 1, "score": "5", "rationale": "agreed"}),
            )
            .await,
        ),
        (
            "declare_conflict",
            as_token(
                &app,
                Method::POST,
                &url(id, "conflicts"),
                &carla.secret,
                Some(&json!({ "vendor_id": vendor_id })),
            )
            .await,
        ),
        ("score", carla.score(&app, id, 1, &[(1, "5")]).await),
    ];
    for (action, resp) in attempts {
        let resp = resp.expect_problem(409, "invalid_transition");
        assert_eq!(resp.body["context"]["status"], "cancelled", "{action}");
        assert_eq!(
            resp.body["context"]["allowed_actions"],
            json!([]),
            "{action}: {}",
            resp.text
        );
    }
    let still = app.get(&url(id, ""), Viewer).await.expect(200).body;
    assert_eq!(
        (s(&still["status"]), still["version"].as_i64()),
        ("cancelled", Some(v))
    );

    // Once published, the RFP's terms are fixed: no update, no new criteria.
    let open = draft(
        &app,
        fields("Campus cabling", json!({})),
        quality_price(60),
        &[vendor_id],
        &[&carla],
    )
    .await;
    let published = publish_until(&app, &open, Utc::now() + Duration::hours(1)).await;
    assert_eq!(strings(&published["allowed_actions"]), PUBLISHED_ACTIONS);
    let mut change = open.fields.clone();
    change["title"] = json!("Campus cabling, phase 2");
    change["version"] = published["version"].clone();
    let refused = app
        .patch(&url(open.id, ""), Procurement, &change)
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(refused.body["context"]["status"], "published");
    assert_eq!(
        strings(&refused.body["context"]["allowed_actions"]),
        PUBLISHED_ACTIONS
    );
    app.put(
        &url(open.id, "criteria"),
        Procurement,
        &json!({ "sections": quality_price(50) }),
    )
    .await
    .expect_problem(409, "invalid_transition");
    assert_eq!(
        s(&app.get(&url(open.id, ""), Viewer).await.expect(200).body["title"]),
        "Campus cabling"
    );
}

async fn late_bids_uninvited_and_blocked_vendors_are_refused(app: TestApp) {
    let invited = vendor(&app, "Fjord Fibre").await;
    let soon_blocked = vendor(&app, "Shaky Supplies").await;
    let uninvited = vendor(&app, "Uninvited Oy").await;
    let blocked = vendor(&app, "Blocked AB").await;
    block(&app, blocked).await;
    let d = draft(
        &app,
        fields("Dark fibre lease", json!({})),
        quality_price(70),
        &[invited, soon_blocked],
        &[],
    )
    .await;
    let id = d.id;

    // A blocked vendor cannot be invited, and a refused invitation invites nobody.
    let refused = app
        .post(
            &url(id, "invitations"),
            Procurement,
            &json!({ "vendor_ids": [uninvited, blocked] }),
        )
        .await
        .expect_problem(409, "vendor_blocked");
    assert_eq!(refused.body["context"]["vendor_id"], json!(blocked));
    assert_eq!(
        app.get(&url(id, ""), Viewer).await.expect(200).body["invited_vendor_ids"],
        json!([invited, soon_blocked])
    );

    let due = soon();
    publish_until(&app, &d, due).await;
    let bids_url = url(id, "bids");

    app.post(&bids_url, Procurement, &bid_body(uninvited, "1000.00"))
        .await
        .expect_problem(409, "not_invited");
    // Invited, but blocked since: no longer a bidder.
    block(&app, soon_blocked).await;
    app.post(&bids_url, Procurement, &bid_body(soon_blocked, "1000.00"))
        .await
        .expect_problem(409, "vendor_blocked");
    // Euro prices have cents, not tenths of cents.
    app.post(&bids_url, Procurement, &bid_body(invited, "1000.001"))
        .await
        .expect_invalid("price");
    let mut lines = bid_body(invited, "1000.00");
    lines["price_lines"] = json!([
        {"description": "Lease", "amount": "900.00"},
        {"description": "Installation", "amount": "99.99"}
    ]);
    let bad_lines = app
        .post(&bids_url, Procurement, &lines)
        .await
        .expect_invalid("price_lines");
    assert!(
        bad_lines
            .field_message("price_lines")
            .is_some_and(|m| m.contains("999.99")),
        "{}",
        bad_lines.text
    );
    // An offer that lapses before the due date is no offer.
    let mut lapsing = bid_body(invited, "1000.00");
    lapsing["valid_until"] = json!((due.date_naive() - Duration::days(1)).to_string());
    app.post(&bids_url, Procurement, &lapsing)
        .await
        .expect_invalid("valid_until");
    // None of the refusals recorded anything.
    assert!(
        items(&app.get(&bids_url, Procurement).await.expect(200)).is_empty(),
        "no bid recorded"
    );

    let accepted = bid(&app, id, invited, "1000.00").await;

    wait_past(due).await;
    let late = app
        .post(&bids_url, Procurement, &bid_body(invited, "950.00"))
        .await
        .expect_problem(409, "late_bid");
    assert!(late.body["context"]["due_at"].is_string(), "{}", late.text);
    assert!(
        late.body["context"]["submitted_at"].is_string(),
        "{}",
        late.text
    );
    // Nor can anyone be invited once bidding is over.
    app.post(
        &url(id, "invitations"),
        Procurement,
        &json!({ "vendor_ids": [uninvited] }),
    )
    .await
    .expect_problem(409, "past_due");

    let history = app
        .get(&url(id, "bids?include_replaced=true"), Procurement)
        .await
        .expect(200);
    assert_eq!(
        ids(&items(&history)),
        [id_of(&accepted)],
        "the late offer did not replace the one on time"
    );
}

async fn evaluators_see_only_their_rfps_and_never_a_conflicted_bid(app: TestApp) {
    let alpha = vendor(&app, "Alpha Systems").await;
    let beta = vendor(&app, "Beta Consulting").await;
    let dora = evaluator(&app, "dora").await;
    let emil = evaluator(&app, "emil").await;
    let fritz = evaluator(&app, "fritz").await;
    let d = draft(
        &app,
        fields("Security operations centre", json!({"blind": true})),
        quality_iso_price(70),
        &[alpha, beta],
        &[&dora, &emil],
    )
    .await;
    let id = d.id;
    let (quality, iso, price) = (
        d.criterion("Quality"),
        d.criterion("ISO 27001"),
        d.criterion("Price"),
    );
    // Another RFP dora is not on.
    let other = id_of(
        &app.post(RFPS, Procurement, &fields("Printers", json!({})))
            .await
            .expect(201)
            .body,
    );

    // Fritz is on no panel: the RFP does not exist for him, and his list is empty.
    for tail in ["", "criteria", "bids", "scores"] {
        fritz
            .get(&app, &url(id, tail))
            .await
            .expect_problem(404, "not_found");
    }
    assert!(items(&fritz.get(&app, RFPS).await.expect(200)).is_empty());
    let mine = dora.get(&app, RFPS).await.expect(200);
    assert_eq!(ids(&items(&mine)), [id], "not RFP {other}");
    dora.get(&app, &url(other, ""))
        .await
        .expect_problem(404, "not_found");

    let due = soon();
    publish_until(&app, &d, due).await;
    let alpha_bid = id_of(&bid(&app, id, alpha, "90000.00").await);
    let beta_bid = id_of(&bid(&app, id, beta, "85000.00").await);

    // Blind: evaluators see labels, not vendors; procurement sees who bid.
    let blind = dora.get(&app, &url(id, "bids")).await.expect(200);
    let shown: Vec<(i64, String, bool, bool)> = items(&blind)
        .iter()
        .map(|b| {
            (
                id_of(b),
                s(&b["label"]).to_string(),
                b["vendor_id"].is_null(),
                b["vendor_name"].is_null(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            (alpha_bid, "Bid A".to_string(), true, true),
            (beta_bid, "Bid B".to_string(), true, true)
        ]
    );
    let named = app.get(&url(id, "bids"), Procurement).await.expect(200);
    let names: Vec<(String, String)> = items(&named)
        .iter()
        .map(|b| (s(&b["label"]).to_string(), s(&b["vendor_name"]).to_string()))
        .collect();
    assert_eq!(
        names,
        pairs(&[("Bid A", "Alpha Systems"), ("Bid B", "Beta Consulting")])
    );

    wait_past(due).await;
    close_and_start(&app, id).await;

    for panelist in [&dora, &emil] {
        for bid_id in [alpha_bid, beta_bid] {
            panelist
                .score(&app, id, bid_id, &[(quality, "7"), (iso, "1")])
                .await
                .expect(200);
        }
    }
    // Scores must fit the criterion: 0 to its maximum, pass (1) or fail (0), and never the
    // price, which is scored from the price.
    for (criterion, bad) in [
        (quality, "11"),
        (quality, "-1"),
        (iso, "0.5"),
        (price, "10"),
    ] {
        dora.score(&app, id, alpha_bid, &[(criterion, bad)])
            .await
            .expect_invalid("scores[0].score");
    }
    dora.score(&app, id, alpha_bid, &[(999_999, "5")])
        .await
        .expect_invalid("scores[0].criterion_id");
    // ... and a refused score changes nothing.
    let dora_scores = dora.get(&app, &url(id, "scores")).await.expect(200);
    let dora_scores = items(&dora_scores);
    assert_eq!(dora_scores.len(), 4);
    assert!(
        dora_scores
            .iter()
            .all(|sc| sc["evaluator"] == "dora"
                && (sc["criterion_id"] != quality || sc["score"] == "7")),
        "an evaluator sees only their own scores, as given: {dora_scores:?}"
    );
    let emil_scores = emil.get(&app, &url(id, "scores")).await.expect(200);
    assert!(
        items(&emil_scores)
            .iter()
            .all(|sc| sc["evaluator"] == "emil"),
        "{}",
        emil_scores.text
    );
    assert_eq!(
        items(&app.get(&url(id, "scores"), Procurement).await.expect(200)).len(),
        8
    );

    // Dora turns out to have worked for Beta: she declares it, and from then on Beta's bid is
    // invisible to her, cannot be scored by her, and the scores she gave it are withdrawn.
    app.post(
        &url(id, "conflicts"),
        Procurement,
        &json!({ "vendor_id": beta }),
    )
    .await
    .expect_problem(403, "forbidden");
    as_token(
        &app,
        Method::POST,
        &url(id, "conflicts"),
        &dora.secret,
        Some(&json!({"vendor_id": beta, "note": "Former employer (2022)"})),
    )
    .await
    .expect(200);
    let visible = dora.get(&app, &url(id, "bids")).await.expect(200);
    assert_eq!(ids(&items(&visible)), [alpha_bid]);
    let with_history = dora
        .get(&app, &url(id, "bids?include_replaced=true"))
        .await
        .expect(200);
    assert_eq!(ids(&items(&with_history)), [alpha_bid]);
    dora.score(&app, id, beta_bid, &[(quality, "9")])
        .await
        .expect_problem(403, "forbidden");
    let all = app.get(&url(id, "scores"), Procurement).await.expect(200);
    let all = items(&all);
    assert_eq!(all.len(), 6, "{all:?}");
    assert!(
        !all.iter()
            .any(|sc| sc["evaluator"] == "dora" && sc["bid_id"] == beta_bid),
        "dora's scores of Beta's bid are withdrawn: {all:?}"
    );
    assert_eq!(
        all.iter()
            .filter(|sc| sc["evaluator"] == "emil" && sc["bid_id"] == beta_bid)
            .count(),
        2,
        "emil's stay"
    );
    assert_eq!(
        items(&dora.get(&app, &url(id, "scores")).await.expect(200)).len(),
        2
    );

    // Evaluators never read the ranking.
    for panelist in [&dora, &emil] {
        panelist
            .get(&app, &url(id, "ranking"))
            .await
            .expect_problem(403, "forbidden");
    }
    // Dora's conflict excuses her from Beta's bid: scoring is complete without her, and the
    // ranking counts only emil's scores of it.
    step(&app, id, "open-prices").await.expect(200);
    let r = ranking(&app, id).await;
    assert_eq!(
        raw_scores(line(ranked(&r, beta_bid), "Quality")),
        pairs(&[("emil", "7")])
    );
    assert_eq!(
        raw_scores(line(ranked(&r, alpha_bid), "Quality")),
        pairs(&[("dora", "7"), ("emil", "7")])
    );
    for panelist in [&dora, &emil] {
        panelist
            .get(&app, &url(id, "ranking"))
            .await
            .expect_problem(403, "forbidden");
    }
}

async fn consensus_disqualification_flags_and_justified_awards(app: TestApp) {
    let a = vendor(&app, "Aurora IT").await;
    let b = vendor(&app, "Boreal Data").await;
    let c = vendor(&app, "Cheap & Cheerful").await;
    let d = vendor(&app, "Dubious Ltd").await;
    let hana = evaluator(&app, "hana").await;
    let ivan = evaluator(&app, "ivan").await;
    let consensus = json!({"consensus_required": true});

    // Two RFPs, published together so that one wait covers both.
    let partial = draft(
        &app,
        fields("Backup service", consensus.clone()),
        quality_iso_price(70),
        &[a, b],
        &[&hana],
    )
    .await;
    let full = draft(
        &app,
        fields("Service desk", consensus.clone()),
        quality_iso_price(70),
        &[a, b, c, d],
        &[&hana, &ivan],
    )
    .await;
    let due = soon();
    publish_until(&app, &partial, due).await;
    let pa = id_of(&bid(&app, partial.id, a, "100000.00").await);
    let pb = id_of(&bid(&app, partial.id, b, "95000.00").await);
    let due = soon();
    publish_until(&app, &full, due).await;
    let fa = id_of(&bid(&app, full.id, a, "100000.00").await);
    let fb = id_of(&bid(&app, full.id, b, "95000.00").await);
    let fc = id_of(&bid(&app, full.id, c, "40000.00").await);
    let fd = id_of(&bid(&app, full.id, d, "97500.00").await);
    wait_past(due).await;
    close_and_start(&app, partial.id).await;
    close_and_start(&app, full.id).await;

    // Consensus required, one missing: the award is refused.
    let (q, iso) = (partial.criterion("Quality"), partial.criterion("ISO 27001"));
    for (bid_id, quality) in [(pa, "8"), (pb, "6")] {
        hana.score(&app, partial.id, bid_id, &[(q, quality), (iso, "1")])
            .await
            .expect(200);
    }
    let consensus_url = url(partial.id, &format!("bids/{pa}/consensus"));
    app.put(
        &consensus_url,
        Procurement,
        &json!({"criterion_id": q, "score": "8"}),
    )
    .await
    .expect_invalid("rationale");
    app.put(
        &consensus_url,
        Procurement,
        &json!({"criterion_id": q, "score": "8", "rationale": " "}),
    )
    .await
    .expect_invalid("rationale");
    let agreed = app
        .put(
            &consensus_url,
            Procurement,
            &json!({"criterion_id": q, "score": "8", "rationale": "Panel agrees"}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        (s(&agreed["score"]), s(&agreed["recorded_by"])),
        ("8", "test-procurement")
    );
    // Technical scoring cannot lock while a consensus is missing (it cannot be recorded once
    // prices are open, and the award needs it).
    let incomplete = step(&app, partial.id, "open-prices")
        .await
        .expect_problem(409, "consensus_incomplete");
    assert_eq!(
        incomplete.body["context"]["missing"],
        json!([{"bid_id": pb, "criterion_id": q}])
    );
    app.put(
        &url(partial.id, &format!("bids/{pb}/consensus")),
        Procurement,
        &json!({"criterion_id": q, "score": "6", "rationale": "Panel agrees"}),
    )
    .await
    .expect(200);
    step(&app, partial.id, "open-prices").await.expect(200);
    step(&app, partial.id, "complete-evaluation")
        .await
        .expect(200);
    let agreed_ranking = ranking(&app, partial.id).await;
    assert_eq!(
        agreed_ranking["ranked"][0]["criteria"][0]["consensus"], true,
        "{agreed_ranking}"
    );

    // The full RFP: both evaluators score everything; Dubious fails the ISO 27001 knock-out.
    let (q, iso) = (full.criterion("Quality"), full.criterion("ISO 27001"));
    let sheet = [
        (&hana, fa, "8", "1"),
        (&ivan, fa, "6", "1"),
        (&hana, fb, "8", "1"),
        (&ivan, fb, "8", "1"),
        (&hana, fc, "6", "1"),
        (&ivan, fc, "8", "1"),
        (&hana, fd, "9", "0"),
        (&ivan, fd, "9", "0"),
    ];
    for (panelist, bid_id, quality, certified) in sheet {
        panelist
            .score(&app, full.id, bid_id, &[(q, quality), (iso, certified)])
            .await
            .expect(200);
    }
    // The panel agrees Aurora's quality is a 9 (the evaluators' mean is 7).
    for (bid_id, agreed) in [(fa, "9"), (fb, "8"), (fc, "7")] {
        app.put(
            &url(full.id, &format!("bids/{bid_id}/consensus")),
            Procurement,
            &json!({"criterion_id": q, "score": agreed, "rationale": "Moderation meeting"}),
        )
        .await
        .expect(200);
    }
    step(&app, full.id, "open-prices").await.expect(200);

    // By hand (quality 0.7, price 0.3; lowest qualified price 40 000):
    //   Cheap:  0.7 × 70 + 0.3 × 100                 = 49.00 + 30.00 = 79.00
    //   Aurora: 0.7 × 90 + 0.3 × 40                  = 63.00 + 12.00 = 75.00
    //   Boreal: 0.7 × 80 + 0.3 × 42.105263… (40/95)  = 56.00 + 12.63 = 68.63
    // Cheap's 40 000 is 59 % below the mean of the others (97 500): abnormally low.
    let r = ranking(&app, full.id).await;
    let order: Vec<(u64, i64, &str)> = r["ranked"]
        .as_array()
        .expect("ranked")
        .iter()
        .map(|x| {
            (
                x["rank"].as_u64().expect("rank"),
                x["bid_id"].as_i64().expect("bid"),
                s(&x["total"]),
            )
        })
        .collect();
    assert_eq!(
        order,
        [(1, fc, "79.00"), (2, fa, "75.00"), (3, fb, "68.63")]
    );
    assert_contributions_add_up(&r);
    let aurora = line(ranked(&r, fa), "Quality");
    assert_eq!(aurora["consensus"], json!(true), "{aurora}");
    assert_eq!(
        (
            s(&aurora["combined"]),
            s(&aurora["normalised"]),
            s(&aurora["contribution"])
        ),
        ("9.00", "90.00", "63.00"),
        "the consensus replaces the mean of 7"
    );
    assert_eq!(
        raw_scores(aurora),
        pairs(&[("hana", "8"), ("ivan", "6")]),
        "the evaluators' own scores stay visible"
    );
    let disqualified = r["disqualified"].as_array().expect("disqualified");
    assert_eq!(disqualified.len(), 1, "{r}");
    assert_eq!(disqualified[0]["bid_id"], json!(fd));
    assert_eq!(s(&disqualified[0]["vendor_name"]), "Dubious Ltd");
    assert!(
        disqualified[0]["technical_score"].is_null(),
        "a knocked-out bid is not technically evaluated: {r}"
    );
    let reasons = strings(&disqualified[0]["reasons"]);
    assert!(
        reasons.iter().any(|reason| reason.contains("ISO 27001")),
        "{reasons:?}"
    );
    let cheap = ranked(&r, fc);
    let flags = cheap["flags"].as_array().expect("flags");
    assert_eq!(flags.len(), 1, "{cheap}");
    assert_eq!(s(&flags[0]["kind"]), "abnormally_low");
    // The flag carries the figures a committee checks: the price and the others' mean.
    let detail = s(&flags[0]["detail"]);
    assert!(
        detail.contains("40000.00") && detail.contains("97500.00"),
        "{detail}"
    );
    for normal in [fa, fb] {
        assert_eq!(ranked(&r, normal)["flags"], json!([]));
    }

    step(&app, full.id, "complete-evaluation").await.expect(200);
    // Someone who evaluated the RFP does not award it, even with a procurement token.
    let hana_buyer = app.create_token("hana", Procurement).await;
    let v = version(&app, full.id).await;
    as_token(
        &app,
        Method::POST,
        &url(full.id, "award"),
        &hana_buyer,
        Some(&award_body(v, fc, Some("Lowest price"))),
    )
    .await
    .expect_problem(403, "segregation_of_duties");
    // Top-ranked but abnormally low, or simply not first: the award must be justified.
    let unjustified = award(&app, full.id, fc, None)
        .await
        .expect_invalid("justification");
    assert!(
        unjustified
            .field_message("justification")
            .is_some_and(|m| m.contains("abnormally low")),
        "{}",
        unjustified.text
    );
    let second = award(&app, full.id, fa, None)
        .await
        .expect_invalid("justification");
    assert!(
        second
            .field_message("justification")
            .is_some_and(|m| m.contains("ranked 2")),
        "{}",
        second.text
    );
    award(&app, full.id, fd, Some("Best quality"))
        .await
        .expect_problem(409, "bid_disqualified");
    let awarded = award(
        &app,
        full.id,
        fc,
        Some("Price breakdown verified with the vendor: offshore delivery centre"),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(s(&awarded["rfp"]["status"]), "awarded");
    assert_eq!(awarded["contract"]["vendor_id"], json!(c));
    assert_eq!(s(&awarded["contract"]["ceiling"]), "40000.00");
    assert_eq!(
        awarded["contract"]["award"],
        json!({"rfp_id": full.id, "bid_id": fc})
    );
}

async fn technical_threshold_disqualifies_below_it(app: TestApp) {
    let a = vendor(&app, "Able Engineering").await;
    let b = vendor(&app, "Budget Builders").await;
    let c = vendor(&app, "Capable Co").await;
    let jana = evaluator(&app, "jana").await;
    let d = draft(
        &app,
        fields(
            "Design consultancy",
            json!({"price_method": "lowest_ratio", "technical_threshold": "70"}),
        ),
        json!([
            {"name": "Technical", "weight": "80", "criteria": [
                {"name": "Quality", "kind": "scored", "max_score": "10", "weight": "1"}
            ]},
            {"name": "Financial", "weight": "20", "criteria": [
                {"name": "Price", "kind": "price", "weight": "1"}
            ]}
        ]),
        &[a, b, c],
        &[&jana],
    )
    .await;
    let rfp = app.get(&url(d.id, ""), Viewer).await.expect(200).body;
    assert_eq!(
        dec(&rfp["scoring"]["technical_threshold"]),
        Decimal::from(70)
    );
    let due = soon();
    publish_until(&app, &d, due).await;
    let able = id_of(&bid(&app, d.id, a, "100000.00").await);
    let budget = id_of(&bid(&app, d.id, b, "50000.00").await);
    let capable = id_of(&bid(&app, d.id, c, "80000.00").await);
    wait_past(due).await;
    close_and_start(&app, d.id).await;
    let quality = d.criterion("Quality");
    for (bid_id, score) in [(able, "9"), (budget, "6"), (capable, "7.5")] {
        jana.score(&app, d.id, bid_id, &[(quality, score)])
            .await
            .expect(200);
    }
    step(&app, d.id, "open-prices").await.expect(200);

    // St: Able 90, Budget 60 (below 70: out), Capable 75. Prices are scored against the lowest
    // qualified price, Capable's 80 000, not Budget's 50 000:
    //   Able:    0.8 × 90 + 0.2 × 80 (80/100) = 72 + 16 = 88.00
    //   Capable: 0.8 × 75 + 0.2 × 100         = 60 + 20 = 80.00
    let r = ranking(&app, d.id).await;
    let disqualified = r["disqualified"].as_array().expect("disqualified");
    assert_eq!(disqualified.len(), 1, "{r}");
    assert_eq!(disqualified[0]["bid_id"], json!(budget));
    assert_eq!(dec(&disqualified[0]["technical_score"]), Decimal::from(60));
    let reasons = strings(&disqualified[0]["reasons"]).join("; ");
    assert!(
        reasons.contains("60") && reasons.contains("70"),
        "the reason states the bid's St and the threshold: {reasons}"
    );
    let order: Vec<(u64, i64, &str, &str, &str)> = r["ranked"]
        .as_array()
        .expect("ranked")
        .iter()
        .map(|x| {
            (
                x["rank"].as_u64().expect("rank"),
                x["bid_id"].as_i64().expect("bid"),
                s(&x["technical_score"]),
                s(&x["price_score"]),
                s(&x["total"]),
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            (1, able, "90.00", "80.00", "88.00"),
            (2, capable, "75.00", "100.00", "80.00")
        ]
    );
    assert_contributions_add_up(&r);
}

both_engines!(
    the_whole_flow_from_rfp_to_contract,
    illegal_transitions_are_409_with_the_allowed_actions,
    late_bids_uninvited_and_blocked_vendors_are_refused,
    evaluators_see_only_their_rfps_and_never_a_conflicted_bid,
    consensus_disqualification_flags_and_justified_awards,
    technical_threshold_disqualifies_below_it,
);
