//! Authentication and the role × action permission matrix, over HTTP.

use crate::helpers::{id_of, Resp, TestApp};
use procura::auth::Role;
use reqwest::Method;
use serde_json::{json, Value};

use Role::{Admin, Evaluator, Finance, Pm, Procurement, Viewer};

/// One endpoint family and the roles the permission table lets through (written out here, not
/// read from the code, so a change to the table shows up as a failing test).
struct Family {
    name: &'static str,
    method: Method,
    path: String,
    allowed: &'static [Role],
}

const READERS: &[Role] = &[Admin, Procurement, Finance, Pm, Viewer];

fn families() -> Vec<Family> {
    let f = |name, method, path: &str, allowed| Family {
        name,
        method,
        path: path.to_string(),
        allowed,
    };
    vec![
        f("list vendors", Method::GET, "/api/v1/vendors", READERS),
        f(
            "create vendor",
            Method::POST,
            "/api/v1/vendors",
            &[Admin, Procurement],
        ),
        f("list projects", Method::GET, "/api/v1/projects", READERS),
        f(
            "create project",
            Method::POST,
            "/api/v1/projects",
            &[Admin, Pm],
        ),
        f(
            "list budget lines",
            Method::GET,
            "/api/v1/budget-lines",
            READERS,
        ),
        f(
            "create budget line",
            Method::POST,
            "/api/v1/budget-lines",
            &[Admin, Finance],
        ),
        f("list fx rates", Method::GET, "/api/v1/fx-rates", READERS),
        f(
            "create fx rate",
            Method::POST,
            "/api/v1/fx-rates",
            &[Admin, Finance],
        ),
        f("list contracts", Method::GET, "/api/v1/contracts", READERS),
        f(
            "create contract",
            Method::POST,
            "/api/v1/contracts",
            &[Admin, Procurement],
        ),
        f(
            "list purchase orders",
            Method::GET,
            "/api/v1/purchase-orders",
            READERS,
        ),
        f(
            "create purchase order",
            Method::POST,
            "/api/v1/purchase-orders",
            &[Admin, Procurement, Pm],
        ),
        f("list invoices", Method::GET, "/api/v1/invoices", READERS),
        f(
            "create invoice",
            Method::POST,
            "/api/v1/invoices",
            &[Admin, Finance],
        ),
        f("list assets", Method::GET, "/api/v1/assets", READERS),
        f(
            "list match tolerances",
            Method::GET,
            "/api/v1/match-tolerances",
            READERS,
        ),
        f(
            "list audit",
            Method::GET,
            "/api/v1/audit",
            &[Admin, Finance],
        ),
        f(
            "verify audit",
            Method::GET,
            "/api/v1/audit/verify",
            &[Admin, Finance],
        ),
        f("metrics", Method::GET, "/metrics", &[Admin, Viewer]),
    ]
}

/// A valid body for a create, distinct per role so allowed creates do not collide.
fn create_body(
    family: &str,
    role_index: usize,
    project_id: i64,
    vendor_id: i64,
    budget_line_id: i64,
) -> Value {
    let n = role_index + 1;
    match family {
        "create vendor" => json!({"name": format!("Matrix vendor {n}")}),
        "create project" => {
            json!({"code": format!("MATRIX-{n}"), "name": "Matrix", "currency": "EUR"})
        }
        "create budget line" => json!({
            "project_id": project_id,
            "category": "opex",
            "cost_center": format!("CC-{n}"),
            "amount": "1200.00"
        }),
        "create fx rate" => {
            json!({"from": "EUR", "to": "USD", "date": format!("2026-01-{n:02}"), "rate": "1.1"})
        }
        "create contract" => json!({
            "vendor_id": vendor_id,
            "project_ids": [project_id],
            "title": format!("Matrix contract {n}"),
            "contract_type": "framework",
            "currency": "EUR",
            "ceiling": "1000.00",
            "start_date": "2026-01-01",
            "initial_term_months": 12,
            "renewal": {"kind": "none"},
            "notice": {"unit": "days", "value": 30}
        }),
        "create purchase order" => json!({
            "vendor_id": vendor_id,
            "project_id": project_id,
            "currency": "EUR",
            "order_date": "2026-03-01",
            "lines": [{"description": format!("Matrix item {n}"), "quantity": "1", "unit": "each",
                       "unit_price": "10.00", "budget_line_id": budget_line_id}]
        }),
        "create invoice" => json!({
            "vendor_id": vendor_id,
            "number": format!("MATRIX-{n}"),
            "invoice_date": "2026-03-01",
            "currency": "EUR",
            "lines": [{"description": "Matrix service", "quantity": "1", "unit_price": format!("{n}.00"),
                       "budget_line_id": budget_line_id}]
        }),
        other => panic!("no body for {other}"),
    }
}

async fn call(app: &TestApp, family: &Family, token: Option<&str>, body: Option<&Value>) -> Resp {
    let body = body.map(|b| ("application/json", serde_json::to_vec(b).expect("JSON")));
    app.send(family.method.clone(), &family.path, token, body, &[])
        .await
}

async fn permission_matrix(app: TestApp) {
    let project = app
        .create_project(json!({
            "code": "AUTH", "name": "Auth matrix", "currency": "EUR",
            "start_date": "2026-01-01", "end_date": "2026-12-31"
        }))
        .await;
    let project_id = id_of(&project);
    let vendor_id = id_of(
        &app.create_vendor(json!({"name": "Contract counterparty"}))
            .await,
    );
    let budget_line_id = id_of(
        &app.create_budget_line(json!({
            "project_id": project_id, "category": "opex", "cost_center": "MATRIX",
            "amount": "1000000.00"
        }))
        .await,
    );
    let mut failures = Vec::new();
    for family in families() {
        for (index, role) in Role::ALL.into_iter().enumerate() {
            let body = (family.method == Method::POST)
                .then(|| create_body(family.name, index, project_id, vendor_id, budget_line_id));
            let resp = call(&app, &family, Some(app.token(role)), body.as_ref()).await;
            let allowed = family.allowed.contains(&role);
            let ok = if allowed {
                resp.status.is_success()
            } else {
                resp.status.as_u16() == 403 && resp.code() == "forbidden"
            };
            if !ok {
                failures.push(format!(
                    "{} as {role}: expected {}, got {} {}",
                    family.name,
                    if allowed { "2xx" } else { "403 forbidden" },
                    resp.status,
                    resp.text.chars().take(300).collect::<String>()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "permission matrix mismatches:\n{}",
        failures.join("\n")
    );
    // the refused writes created nothing: the counterparty plus the two allowed vendor creates
    let vendors = app.list_all("/api/v1/vendors", Admin).await;
    assert_eq!(vendors.len(), 3, "{vendors:?}");
    let contracts = app.list_all("/api/v1/contracts", Admin).await;
    assert_eq!(contracts.len(), 2, "{contracts:?}");
}

async fn missing_token_is_401(app: TestApp) {
    let mut failures = Vec::new();
    for family in families() {
        let body = (family.method == Method::POST).then(|| create_body(family.name, 0, 1, 1, 1));
        let resp = call(&app, &family, None, body.as_ref()).await;
        let ok = resp.status.as_u16() == 401
            && resp.code() == "unauthorized"
            && resp.content_type().starts_with("application/problem+json")
            && resp.header("www-authenticate") == Some("Bearer");
        if !ok {
            failures.push(format!(
                "{} without a token: {} {} {:?}",
                family.name, resp.status, resp.text, resp.headers
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

async fn bad_tokens_are_401(app: TestApp) {
    let well_formed_unknown = format!("prc_{}_{}", "0".repeat(16), "0".repeat(64));
    let admin = app.admin().to_string();
    // the right public id with the wrong secret
    let (prefix, _) = admin.rsplit_once('_').expect("token shape");
    let wrong_secret = format!("{prefix}_{}", "f".repeat(64));
    for token in [
        "garbage",
        "prc_123_456",
        well_formed_unknown.as_str(),
        wrong_secret.as_str(),
    ] {
        let resp = app
            .send(Method::GET, "/api/v1/vendors", Some(token), None, &[])
            .await;
        resp.expect_problem(401, "unauthorized");
    }
    for header in ["Basic dXNlcjpwYXNz", "Bearer", admin.as_str(), ""] {
        let resp = app
            .send(
                Method::GET,
                "/api/v1/vendors",
                None,
                None,
                &[("Authorization", header)],
            )
            .await;
        resp.expect_problem(401, "unauthorized");
    }
    // the scheme is case-insensitive
    let resp = app
        .send(
            Method::GET,
            "/api/v1/vendors",
            None,
            None,
            &[("Authorization", &format!("bearer {admin}"))],
        )
        .await;
    resp.expect(200);
}

async fn revoked_token_is_401(app: TestApp) {
    let db = app.db.clone();
    let issued = tokio::task::spawn_blocking(move || {
        db.write_blocking(|tx| {
            procura::auth::service::create_token(tx, "test-harness", "to-revoke", Procurement)
        })
    })
    .await
    .expect("task")
    .expect("token created");
    let token = issued.secret.clone();
    app.send(Method::GET, "/api/v1/vendors", Some(&token), None, &[])
        .await
        .expect(200);
    let body = serde_json::to_vec(&json!({"name": "Before revocation"})).expect("JSON");
    app.send(
        Method::POST,
        "/api/v1/vendors",
        Some(&token),
        Some(("application/json", body)),
        &[],
    )
    .await
    .expect(201);

    let db = app.db.clone();
    let revoked = tokio::task::spawn_blocking(move || {
        db.write_blocking(|tx| {
            procura::auth::service::revoke_token(tx, "test-harness", "to-revoke")
        })
    })
    .await
    .expect("task")
    .expect("token revoked");
    assert_eq!(revoked.len(), 1);

    let resp = app
        .send(Method::GET, "/api/v1/vendors", Some(&token), None, &[])
        .await
        .expect_problem(401, "unauthorized");
    assert!(
        resp.body["detail"]
            .as_str()
            .unwrap_or("")
            .contains("revoked"),
        "{}",
        resp.text
    );
    let body = serde_json::to_vec(&json!({"name": "After revocation"})).expect("JSON");
    app.send(
        Method::POST,
        "/api/v1/vendors",
        Some(&token),
        Some(("application/json", body)),
        &[],
    )
    .await
    .expect_problem(401, "unauthorized");
    // Authentication, then permission, then the request's own checks: a bad query value is
    // a 401 with the revoked token and a 403 for an evaluator (who may read none of these);
    // only a caller who may read is told what is wrong with the query.
    for path in [
        "/api/v1/vendors?limit=0",
        "/api/v1/projects?cursor=x",
        "/api/v1/invoices?limit=0",
        "/api/v1/assets?limit=201",
        "/api/v1/audit?limit=0",
        "/api/v1/fx-rates?limit=0",
        "/api/v1/purchase-orders?limit=0",
        "/api/v1/budget-lines?limit=0",
        "/api/v1/alerts?limit=0",
        "/api/v1/contracts?limit=0",
        "/api/v1/fx-rates/convert?from=EUR&to=USD&amount=ten&date=2026-01-01",
        "/api/v1/assets/1/depreciation?life_years=5&salvage=abc",
        "/api/v1/assets?format=xlsx",
        "/api/v1/assets/export?format=pdf",
        "/api/v1/projects/1/ledger?line=1",
        "/api/v1/projects/1/forecast?window=0",
        "/api/v1/ledger?currency=EURO",
        "/api/v1/portfolio/burn-chart.svg?currency=EURO",
        "/api/v1/reports/budget-vs-actual?project_id=0",
        "/api/v1/reports/accruals?project_id=0",
        "/api/v1/reports/open-commitments?project_id=0",
        "/api/v1/reports/vendor-spend?from=2027-01-01&to=2026-01-01",
        "/api/v1/reports/invoices-on-hold?as_of=1800-01-01",
        "/api/v1/reports/sla-credits?vendor_id=0",
        "/api/v1/reports/vendor-scorecard?vendor_id=0",
    ] {
        app.send(Method::GET, path, Some(&token), None, &[])
            .await
            .expect_problem(401, "unauthorized");
        app.get(path, Evaluator)
            .await
            .expect_problem(403, "forbidden");
        let told = app.get(path, Admin).await;
        assert!(
            [400, 422].contains(&told.status.as_u16()),
            "{path}: {} {}",
            told.status,
            told.text
        );
    }
    // other tokens are unaffected
    app.get("/api/v1/vendors", Procurement).await.expect(200);
    // the revocation is audited
    let audit = app
        .get("/api/v1/audit?action=token.revoke", Admin)
        .await
        .expect(200);
    assert_eq!(
        audit.body["items"].as_array().map(Vec::len),
        Some(1),
        "{}",
        audit.text
    );
}

async fn open_endpoints(app: TestApp) {
    let health = app.get_anon("/health").await.expect(200);
    assert_eq!(health.body["status"], "ok");
    let engine = match app.engine {
        procura::db::Engine::Sqlite => "sqlite",
        procura::db::Engine::Postgres => "postgres",
    };
    assert_eq!(health.body["database"], engine);
    let live = app.get_anon("/health/live").await.expect(200);
    assert_eq!(live.body["status"], "ok");
    let openapi = app.get_anon("/openapi.json").await.expect(200);
    assert!(
        openapi.body["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.")),
        "{}",
        openapi.text.chars().take(200).collect::<String>()
    );
    assert!(openapi.body["paths"]["/api/v1/vendors"].is_object());
    let docs = app.get_anon("/docs/").await.expect(200);
    assert!(
        docs.content_type().starts_with("text/html"),
        "{}",
        docs.content_type()
    );
    // /docs redirects to /docs/ (followed by the client)
    app.get_anon("/docs").await.expect(200);
    // metrics are not open
    app.get_anon("/metrics")
        .await
        .expect_problem(401, "unauthorized");
    let metrics = app.get("/metrics", Viewer).await.expect(200);
    assert!(
        metrics.text.contains("procura_"),
        "{}",
        metrics.text.chars().take(300).collect::<String>()
    );
}

async fn evaluator_sees_nothing(app: TestApp) {
    for path in [
        "/api/v1/vendors",
        "/api/v1/projects",
        "/api/v1/budget-lines",
        "/api/v1/fx-rates",
        "/api/v1/audit",
        "/metrics",
    ] {
        let resp = app
            .get(path, Evaluator)
            .await
            .expect_problem(403, "forbidden");
        assert!(
            resp.body["detail"]
                .as_str()
                .unwrap_or("")
                .contains("evaluator"),
            "{}",
            resp.text
        );
    }
}

both_engines!(
    permission_matrix,
    missing_token_is_401,
    bad_tokens_are_401,
    revoked_token_is_401,
    open_endpoints,
    evaluator_sees_nothing,
);
