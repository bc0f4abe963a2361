//! The burn charts (SVG over the API) and the dashboard: signing in with a token cookie, the
//! pages over plain HTTP, and the pages in headless Chromium driven over WebDriver, whose
//! figures must equal the API's, with a screenshot saved under
//! `target/dashboard-screenshots/`.
//!
//! The browser test needs Debian's `chromium` and `chromium-driver`; without them it prints
//! `skipping the browser test: …` and returns, unless `PROCURA_REQUIRE_CHROMIUM=1` (CI).

use crate::helpers::{id_of, s, TestApp};
use crate::p2p_fixtures::{
    approve_invoice, bill, fixture, invoice, issued, line, order, received, record, Fixture,
};
use procura::auth::Role::{self, Evaluator, Pm, Viewer};
use procura::db::Engine;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const AS_OF: &str = "2026-06-15";

/// Two budget lines (12,000.00 capex over 2026–2027 and 3,000.00 opex), an order of
/// 10 × 600.00 received in March and invoiced 1,200.00, 1,800.00 and 600.00 in April to June,
/// an open order of 500.00 on the second line, and the PM's estimate that overruns the budget
/// (one EAC alert).
async fn seeded(app: &TestApp) -> (Fixture, i64) {
    let f = fixture(app, "DASH", Some("warn"), "12000.00").await;
    let opex = id_of(
        &app.create_budget_line(json!({
            "project_id": f.project, "category": "opex", "cost_center": "CC-2", "amount": "3000.00"
        }))
        .await,
    );
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
        ("DASH-1", "2026-04-10", "2"),
        ("DASH-2", "2026-05-10", "3"),
        ("DASH-3", "2026-06-10", "1"),
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
    issued(
        app,
        &order(
            &f,
            "EUR",
            "2026-05-02",
            vec![line("1", "500.00", None, opex)],
        ),
    )
    .await;
    app.post(
        &format!("/api/v1/budget-lines/{}/estimates", f.budget_line),
        Pm,
        &json!({"estimate_to_complete": "9000.00", "note": "re-planned"}),
    )
    .await
    .expect(201);
    (f, opex)
}

/// A client that does not follow redirects, to see them.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// Checks `text` is well-formed XML whose root element is `<svg>`; returns its text nodes.
#[track_caller]
fn svg_texts(text: &str) -> Vec<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut root = None;
    let mut texts = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                if root.is_none() {
                    root = Some(e.name().as_ref().to_string());
                }
            }
            Ok(Event::Text(t)) => {
                let decoded = t.xml10_content().to_string();
                if !decoded.trim().is_empty() {
                    texts.push(decoded.trim().to_string());
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not well-formed SVG at {}: {e}", reader.buffer_position()),
        }
    }
    assert_eq!(root.as_deref(), Some("svg"), "{text}");
    texts
}

async fn burn_charts_are_svg_from_the_ledger_and_forecast(app: TestApp) {
    let (f, _) = seeded(&app).await;
    let p = f.project;
    let chart = app
        .get(
            &format!("/api/v1/projects/{p}/burn-chart.svg?as_of={AS_OF}"),
            Viewer,
        )
        .await
        .expect(200);
    assert!(
        chart.content_type().starts_with("image/svg+xml"),
        "{}",
        chart.content_type()
    );
    let texts = svg_texts(&chart.text).join(" | ");
    // The title, the axis in euros, the legend, the run-out month and EAC from the forecast.
    let forecast = app
        .get(
            &format!("/api/v1/projects/{p}/forecast?as_of={AS_OF}"),
            Viewer,
        )
        .await
        .expect(200)
        .body;
    let run_out = s(&forecast["project"]["run_rate"]["run_out_month"]);
    for expected in [
        "DASH Project DASH: budget burn".to_string(),
        "EUR (€)".to_string(),
        "Budget (phased, cumulative)".to_string(),
        "Actual + committed".to_string(),
        format!("Money runs out: {run_out}"),
        "EAC €18,000.00".to_string(),
        format!("as of {}", &AS_OF[..7]),
    ] {
        assert!(texts.contains(&expected), "{expected} missing from {texts}");
    }
    assert_eq!(s(&forecast["project"]["eac"]), "18000.00");
    // Unknown project, no token, a role that may not read budgets, a bad date.
    app.get("/api/v1/projects/999999/burn-chart.svg", Viewer)
        .await
        .expect_problem(404, "not_found");
    app.get_anon(&format!("/api/v1/projects/{p}/burn-chart.svg"))
        .await
        .expect_problem(401, "unauthorized");
    app.get(&format!("/api/v1/projects/{p}/burn-chart.svg"), Evaluator)
        .await
        .expect_problem(403, "forbidden");
    app.get(
        &format!("/api/v1/projects/{p}/burn-chart.svg?as_of=soon"),
        Viewer,
    )
    .await
    .expect_problem(400, "invalid_query");

    // The portfolio: a USD project needs a USD→EUR rate on or before as-of.
    let usd = id_of(
        &app.create_project(json!({
            "code": "DASH-US", "name": "US rollout", "currency": "USD",
            "start_date": "2026-01-01", "end_date": "2026-12-31"
        }))
        .await,
    );
    app.create_budget_line(json!({
        "project_id": usd, "category": "opex", "cost_center": "US-1", "amount": "1000.00"
    }))
    .await;
    let portfolio = format!("/api/v1/portfolio/burn-chart.svg?currency=EUR&as_of={AS_OF}");
    app.get(&portfolio, Viewer)
        .await
        .expect_problem(422, "fx_rate_missing");
    app.create_fx_rate(json!({"from": "USD", "to": "EUR", "date": "2026-06-01", "rate": "0.9"}))
        .await;
    let chart = app.get(&portfolio, Viewer).await.expect(200);
    assert!(chart.content_type().starts_with("image/svg+xml"));
    let texts = svg_texts(&chart.text).join(" | ");
    // 15,000.00 EUR + 1,000.00 USD × 0.9; EAC 18,000.00 + 900.00.
    assert!(texts.contains("Portfolio in EUR: budget burn"), "{texts}");
    assert!(texts.contains("EAC €18,900.00"), "{texts}");
    app.get_anon(&portfolio)
        .await
        .expect_problem(401, "unauthorized");
    app.get("/api/v1/portfolio/burn-chart.svg?currency=EURO", Viewer)
        .await
        .expect_problem(400, "invalid_query");
    // In dollars: the EUR project needs a EUR→USD rate.
    app.get(
        &format!("/api/v1/portfolio/burn-chart.svg?currency=USD&as_of={AS_OF}"),
        Viewer,
    )
    .await
    .expect_problem(422, "fx_rate_missing");
    // The OpenAPI document describes the charts as SVG and knows nothing of the dashboard.
    let openapi = app.get_anon("/openapi.json").await.expect(200).body;
    let svg_content = &openapi["paths"]["/api/v1/projects/{id}/burn-chart.svg"]["get"]["responses"]
        ["200"]["content"]["image/svg+xml"];
    assert!(svg_content.is_object(), "{svg_content}");
    assert!(openapi["paths"]["/api/v1/portfolio/burn-chart.svg"].is_object());
    let paths: Vec<&String> = openapi["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .collect();
    assert!(
        paths.iter().all(|p| !p.starts_with("/dashboard")),
        "{paths:?}"
    );
}

/// The `procura_dashboard` cookie a sign-in sets, as `name=value`.
fn session_cookie(resp: &reqwest::Response) -> String {
    let set = resp
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("procura_dashboard="))
        .expect("a dashboard cookie")
        .to_string();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/dashboard"] {
        assert!(set.contains(attribute), "{attribute} missing from {set}");
    }
    set.split(';').next().expect("name=value").to_string()
}

async fn sign_in(app: &TestApp, client: &reqwest::Client, token: &str) -> reqwest::Response {
    client
        .post(app.url("/dashboard/sign-in"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("token={token}"))
        .send()
        .await
        .expect("sign-in")
}

async fn page(app: &TestApp, client: &reqwest::Client, path: &str, cookie: &str) -> (u16, String) {
    let resp = client
        .get(app.url(path))
        .header(COOKIE, cookie)
        .send()
        .await
        .expect("page");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

async fn the_dashboard_signs_in_with_a_token_and_shows_read_only_pages(app: TestApp) {
    let (f, _) = seeded(&app).await;
    let client = no_redirects();
    // Not signed in: the form; the project page sends to it.
    let form = client
        .get(app.url("/dashboard"))
        .send()
        .await
        .expect("form");
    assert_eq!(form.status(), StatusCode::OK);
    assert!(form
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html")));
    assert!(form.text().await.expect("body").contains(r#"name="token""#));
    let away = client
        .get(app.url(&format!("/dashboard/projects/{}", f.project)))
        .send()
        .await
        .expect("redirect");
    assert_eq!(away.status(), StatusCode::SEE_OTHER);
    // A wrong token: the form again, 401, with a message; a role that may not read budgets: 403.
    let wrong = sign_in(
        &app,
        &client,
        &format!("prc_{}_{}", "0".repeat(16), "1".repeat(64)),
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let text = wrong.text().await.expect("body");
    assert!(text.contains("not valid or has been revoked") && text.contains(r#"name="token""#));
    let evaluator = sign_in(&app, &client, app.token(Evaluator)).await;
    assert_eq!(evaluator.status(), StatusCode::FORBIDDEN);
    // A form posted from another site is refused.
    let forged = client
        .post(app.url("/dashboard/sign-in"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ORIGIN, "http://evil.example")
        .body(format!("token={}", app.token(Viewer)))
        .send()
        .await
        .expect("forged");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(forged.headers().get(SET_COOKIE).is_none());
    // A viewer signs in: a cookie, then the portfolio.
    let signed = sign_in(&app, &client, app.token(Viewer)).await;
    assert_eq!(signed.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        signed.headers().get(LOCATION).and_then(|v| v.to_str().ok()),
        Some("/dashboard")
    );
    let cookie = session_cookie(&signed);
    let (status, portfolio) =
        page(&app, &client, &format!("/dashboard?as_of={AS_OF}"), &cookie).await;
    assert_eq!(status, 200, "{portfolio}");
    let p = f.project;
    for expected in [
        format!(r#"data-figure="project-{p}-budget">15,000.00<"#),
        format!(r#"data-figure="project-{p}-eac">18,000.00<"#),
        "<svg".to_string(),
        "Signed in as test-viewer (viewer)".to_string(),
    ] {
        assert!(
            portfolio.contains(&expected),
            "{expected} missing from {portfolio}"
        );
    }
    // Nothing on the pages changes data: the only POST forms are sign-in and sign-out.
    assert_eq!(portfolio.matches(r#"method="post""#).count(), 1);
    let (status, project) = page(
        &app,
        &client,
        &format!("/dashboard/projects/{p}?as_of={AS_OF}"),
        &cookie,
    )
    .await;
    assert_eq!(status, 200, "{project}");
    for expected in [
        r#"data-figure="total-budget">15,000.00<"#,
        r#"data-figure="run-out-month">"#,
        "<!-- closeout -->",
        "Closeout checklist",
        "Your role may not read alerts.",
    ] {
        assert!(
            project.contains(expected),
            "{expected} missing from {project}"
        );
    }
    // Escaped: a name with markup shows as text.
    let hostile = id_of(
        &app.create_project(json!({
            "code": "DASH-X", "name": "<script>alert(1)</script> & co", "currency": "EUR"
        }))
        .await,
    );
    let (status, escaped) = page(
        &app,
        &client,
        &format!("/dashboard/projects/{hostile}"),
        &cookie,
    )
    .await;
    assert_eq!(status, 200, "{escaped}");
    assert!(!escaped.contains("<script>alert(1)</script>"));
    assert!(escaped.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"));
    let (status, missing) = page(&app, &client, "/dashboard/projects/999999", &cookie).await;
    assert_eq!(status, 404, "{missing}");
    let (status, _) = page(&app, &client, "/dashboard/projects/abc", &cookie).await;
    assert_eq!(status, 404);
    // The API does not take the cookie.
    let api = client
        .get(app.url("/api/v1/ledger"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .expect("api");
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    // Revoking the token ends the dashboard session: the form, and the cookie cleared.
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        db.write_blocking(|tx| procura::auth::service::revoke_token(tx, "test", "test-viewer"))
    })
    .await
    .expect("revoke")
    .expect("revoked");
    let after = client
        .get(app.url("/dashboard"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .expect("after");
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    assert!(after
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .any(|v| v.to_str().is_ok_and(|v| v.contains("Max-Age=0"))));
    // Sign-out clears the cookie.
    let pm = sign_in(&app, &client, app.token(Pm)).await;
    let pm_cookie = session_cookie(&pm);
    let (_, pm_page) = page(
        &app,
        &client,
        &format!("/dashboard/projects/{p}"),
        &pm_cookie,
    )
    .await;
    assert!(
        pm_page.contains("data-alert="),
        "the PM sees the project's alerts"
    );
    let out = client
        .post(app.url("/dashboard/sign-out"))
        .header(COOKIE, &pm_cookie)
        .send()
        .await
        .expect("sign-out");
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert!(out.headers().get_all(SET_COOKIE).iter().any(|v| v
        .to_str()
        .is_ok_and(|v| v.starts_with("procura_dashboard=;") && v.contains("Max-Age=0"))));
}

// ---------------------------------------------------------------------------------------------
// The browser: chromedriver over the W3C WebDriver HTTP protocol.

/// A running chromedriver, stopped on drop.
struct Driver {
    child: Child,
    base: String,
    http: reqwest::Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

fn chromium_binary() -> Option<&'static str> {
    ["/usr/lib/chromium/chromium", "/usr/bin/chromium"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
}

impl Driver {
    /// chromedriver on a free port, ready; `None` (after the skip line) when Chromium or its
    /// driver is not installed and not required.
    async fn start() -> Option<Driver> {
        let missing = match (
            chromium_binary(),
            std::path::Path::new(CHROMEDRIVER).exists(),
        ) {
            (None, _) => Some("Chromium is not installed (/usr/lib/chromium/chromium)"),
            (_, false) => Some("chromedriver is not installed (/usr/bin/chromedriver)"),
            _ => None,
        };
        if let Some(why) = missing {
            assert!(
                std::env::var("PROCURA_REQUIRE_CHROMIUM").as_deref() != Ok("1"),
                "PROCURA_REQUIRE_CHROMIUM=1 but {why}; apt-get install chromium chromium-driver"
            );
            eprintln!("skipping the browser test: {why}; apt-get install chromium chromium-driver");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let driver = Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        };
        for _ in 0..100 {
            if let Ok(resp) = driver
                .http
                .get(format!("{}/status", driver.base))
                .send()
                .await
            {
                if let Ok(body) = resp.json::<Value>().await {
                    if body["value"]["ready"] == true {
                        return Some(driver);
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not become ready on port {port}");
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let resp = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"));
        let status = resp.status();
        let body: Value = resp.json().await.expect("WebDriver answers JSON");
        assert!(
            status.is_success(),
            "WebDriver {method} {path}: {status} {body}"
        );
        body["value"].clone()
    }

    /// A headless Chromium session.
    async fn session(&self) -> Session<'_> {
        let binary = chromium_binary().expect("checked in start");
        let value = self
            .call(
                reqwest::Method::POST,
                "/session",
                Some(json!({"capabilities": {"alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": binary,
                        "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                                 "--disable-dev-shm-usage", "--window-size=1320,2000",
                                 "--hide-scrollbars"]
                    }
                }}})),
            )
            .await;
        Session {
            driver: self,
            id: s(&value["sessionId"]).to_string(),
        }
    }
}

/// One browser session, deleted on [`Session::close`].
struct Session<'a> {
    driver: &'a Driver,
    id: String,
}

impl Session<'_> {
    async fn post(&self, path: &str, body: Value) -> Value {
        self.driver
            .call(
                reqwest::Method::POST,
                &format!("/session/{}{path}", self.id),
                Some(body),
            )
            .await
    }

    async fn get(&self, path: &str) -> Value {
        self.driver
            .call(
                reqwest::Method::GET,
                &format!("/session/{}{path}", self.id),
                None,
            )
            .await
    }

    async fn open(&self, url: &str) {
        self.post("/url", json!({"url": url})).await;
    }

    /// The element matching a CSS selector (its WebDriver reference).
    async fn find(&self, css: &str) -> String {
        let value = self
            .post("/element", json!({"using": "css selector", "value": css}))
            .await;
        // The reference is the one value of a one-key object (the W3C element identifier).
        value
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element reference in {value}"))
            .to_string()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.post(&format!("/element/{element}/value"), json!({"text": text}))
            .await;
    }

    async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.post(&format!("/element/{element}/click"), json!({}))
            .await;
    }

    async fn current_url(&self) -> String {
        s(&self.get("/url").await).to_string()
    }

    async fn title(&self) -> String {
        s(&self.get("/title").await).to_string()
    }

    /// Waits (up to 20 s) until the page's title is `title` and its URL `url`: a click that
    /// submits a form or follows a link may return before the new page has arrived, on a
    /// loaded machine.
    async fn arrive(&self, title: &str, url: &str) {
        for _ in 0..200 {
            if self.title().await == title && self.current_url().await == url {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "expected the page {title:?} at {url}, still at {:?} {}: {}",
            self.title().await,
            self.current_url().await,
            self.source().await
        );
    }

    /// Every `data-figure` on the page with the text a reader sees in it.
    async fn figures(&self) -> HashMap<String, String> {
        let mut figures = HashMap::new();
        let list = self
            .post(
                "/elements",
                json!({"using": "css selector", "value": "[data-figure]"}),
            )
            .await;
        for element in list.as_array().expect("elements") {
            let reference = element
                .as_object()
                .and_then(|o| o.values().next())
                .and_then(Value::as_str)
                .expect("element reference")
                .to_string();
            let name = self
                .get(&format!("/element/{reference}/attribute/data-figure"))
                .await;
            let text = self.get(&format!("/element/{reference}/text")).await;
            figures.insert(s(&name).to_string(), s(&text).to_string());
        }
        figures
    }

    async fn source(&self) -> String {
        s(&self.get("/source").await).to_string()
    }

    /// Saves a PNG screenshot of the window; returns its path.
    async fn screenshot(&self, name: &str) -> PathBuf {
        use base64::Engine as _;
        let data = self.get("/screenshot").await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(s(&data))
            .expect("base64 PNG");
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        let target = std::env::var("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
        let dir = target.join("dashboard-screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("screenshot written");
        println!("dashboard screenshot: {}", path.display());
        path
    }

    async fn close(self) {
        self.driver
            .call(
                reqwest::Method::DELETE,
                &format!("/session/{}", self.id),
                None,
            )
            .await;
    }
}

/// A figure as shown, back in the API's form: digit grouping and the percent sign dropped.
fn shown(figures: &HashMap<String, String>, name: &str) -> String {
    figures
        .get(name)
        .unwrap_or_else(|| panic!("no data-figure={name} on the page: {figures:?}"))
        .replace(',', "")
        .trim_end_matches('%')
        .trim()
        .to_string()
}

fn engine_name(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    }
}

async fn api(app: &TestApp, path: &str, role: Role) -> Value {
    app.get(path, role).await.expect(200).body
}

async fn the_dashboard_shows_the_apis_figures_in_a_browser(app: TestApp) {
    let Some(driver) = Driver::start().await else {
        return;
    };
    let (f, opex) = seeded(&app).await;
    let p = f.project;
    let browser = driver.session().await;
    // Sign in as the PM, through the form.
    browser.open(&app.url("/dashboard")).await;
    assert_eq!(browser.title().await, "Sign in · Procura");
    browser.type_into("#token", app.token(Pm)).await;
    browser
        .click("form[action='/dashboard/sign-in'] button")
        .await;
    browser
        .arrive("Portfolio · Procura", &app.url("/dashboard"))
        .await;
    // The portfolio: every project's figures are the API's.
    browser
        .open(&app.url(&format!("/dashboard?as_of={AS_OF}")))
        .await;
    let figures = browser.figures().await;
    let portfolio = api(&app, &format!("/api/v1/ledger?as_of={AS_OF}"), Pm).await;
    let projects = portfolio["projects"].as_array().expect("projects");
    assert_eq!(projects.len(), 1, "{portfolio}");
    for project in projects {
        let id = project["project_id"].as_i64().expect("id");
        for (shown_as, field) in [
            ("budget", "budget"),
            ("actual", "actual"),
            ("committed", "committed"),
            ("remaining", "remaining"),
            ("utilisation", "utilisation_percent"),
        ] {
            assert_eq!(
                shown(&figures, &format!("project-{id}-{shown_as}")),
                s(&project[field]),
                "{shown_as} of project {id}"
            );
        }
        let forecast = api(
            &app,
            &format!("/api/v1/projects/{id}/forecast?as_of={AS_OF}"),
            Pm,
        )
        .await;
        assert_eq!(
            shown(&figures, &format!("project-{id}-eac")),
            s(&forecast["project"]["eac"])
        );
    }
    assert_eq!(
        shown(&figures, "currency-EUR-budget"),
        s(&portfolio["by_currency"][0]["budget"])
    );
    browser
        .screenshot(&format!("{}-portfolio", engine_name(app.engine)))
        .await;

    // The project: each line and the totals are the ledger's and the forecast's.
    browser
        .click(&format!("a[href='/dashboard/projects/{p}?as_of={AS_OF}']"))
        .await;
    browser
        .arrive(
            "DASH · Procura",
            &app.url(&format!("/dashboard/projects/{p}?as_of={AS_OF}")),
        )
        .await;
    let figures = browser.figures().await;
    let ledger = api(&app, &format!("/api/v1/projects/{p}/ledger"), Pm).await;
    let forecast = api(
        &app,
        &format!("/api/v1/projects/{p}/forecast?as_of={AS_OF}"),
        Pm,
    )
    .await;
    let ledger_fields = [
        ("budget", "budget"),
        ("actual", "actual"),
        ("committed", "committed"),
        ("accrued", "accrued"),
        ("remaining", "remaining"),
        ("utilisation", "utilisation_percent"),
    ];
    let lines = ledger["lines"].as_array().expect("lines");
    assert_eq!(lines.len(), 2);
    for (l, fc) in lines
        .iter()
        .zip(forecast["lines"].as_array().expect("lines"))
    {
        let id = l["budget_line_id"].as_i64().expect("id");
        assert_eq!(fc["budget_line_id"].as_i64(), Some(id));
        for (shown_as, field) in ledger_fields {
            assert_eq!(
                shown(&figures, &format!("line-{id}-{shown_as}")),
                s(&l[field]),
                "line {id} {shown_as}"
            );
        }
        for (shown_as, field) in [("eac", "eac"), ("vac", "vac")] {
            assert_eq!(
                shown(&figures, &format!("line-{id}-{shown_as}")),
                s(&fc[field]),
                "line {id} {shown_as}"
            );
        }
        assert_eq!(
            shown(&figures, &format!("line-{id}-etc")).trim_end_matches(" ✎"),
            s(&fc["estimate_to_complete"])
        );
    }
    for (shown_as, field) in ledger_fields {
        assert_eq!(
            shown(&figures, &format!("total-{shown_as}")),
            s(&ledger["totals"][field]),
            "total {shown_as}"
        );
    }
    let project = &forecast["project"];
    assert_eq!(shown(&figures, "total-eac"), s(&project["eac"]));
    assert_eq!(shown(&figures, "total-vac"), s(&project["vac"]));
    assert_eq!(shown(&figures, "forecast-eac"), s(&project["eac"]));
    assert_eq!(
        shown(&figures, "run-rate"),
        s(&project["run_rate"]["monthly_mean"])
    );
    assert_eq!(
        shown(&figures, "run-out-month"),
        s(&project["run_rate"]["run_out_month"])
    );
    assert_eq!(
        shown(&figures, "eac-at-end"),
        s(&project["run_rate"]["eac_at_end"])
    );
    // The figures the seed was made to show, so the comparison above compared something.
    assert_eq!(shown(&figures, "total-budget"), "15000.00");
    assert_eq!(shown(&figures, &format!("line-{opex}-committed")), "500.00");
    assert_eq!(shown(&figures, "total-eac"), "18000.00");
    // Its alerts (the EAC overrun), the chart and the closeout placeholder.
    let alerts = api(&app, &format!("/api/v1/alerts?project_id={p}"), Pm).await;
    let alert_count = alerts["items"].as_array().map(Vec::len).unwrap_or(0);
    assert!(alert_count >= 1, "{alerts}");
    let source = browser.source().await;
    assert_eq!(
        source.matches("data-alert=").count(),
        alert_count,
        "{source}"
    );
    assert!(source.contains(s(&alerts["items"][0]["subject"])));
    assert!(source.contains("<svg"), "the burn chart");
    assert!(source.contains("<!-- closeout -->") && source.contains("Closeout checklist"));
    // The closeout checklist: the API's counts and totals.
    let closeout = api(
        &app,
        &format!("/api/v1/projects/{p}/closeout?as_of={AS_OF}"),
        Pm,
    )
    .await;
    assert!(closeout["open_items"].as_i64() > Some(0), "{closeout}");
    assert_eq!(
        shown(&figures, "closeout-open-items"),
        closeout["open_items"].to_string()
    );
    for section in closeout["sections"].as_array().expect("sections") {
        let name = s(&section["section"]);
        assert_eq!(
            shown(&figures, &format!("closeout-{name}-open")),
            section["open"].to_string(),
            "{name}"
        );
        for total in section["totals"].as_array().expect("totals") {
            assert_eq!(
                shown(
                    &figures,
                    &format!("closeout-{name}-total-{}", s(&total["currency"]))
                ),
                s(&total["amount"]),
                "{name}"
            );
        }
    }
    let path = browser
        .screenshot(&format!("{}-project", engine_name(app.engine)))
        .await;
    assert!(std::fs::metadata(&path)
        .map(|m| m.len() > 10_000)
        .unwrap_or(false));
    // Sign out: the form again.
    browser
        .click("form[action='/dashboard/sign-out'] button")
        .await;
    browser
        .arrive("Sign in · Procura", &app.url("/dashboard"))
        .await;
    browser.close().await;
}

both_engines!(
    burn_charts_are_svg_from_the_ledger_and_forecast,
    the_dashboard_signs_in_with_a_token_and_shows_read_only_pages,
    the_dashboard_shows_the_apis_figures_in_a_browser,
);
