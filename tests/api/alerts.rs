//! Contract alerts through the outbox to a real SMTP server: raised once however often the check
//! runs, kept while the mail server is down and delivered once when it is back.

use crate::helpers::{id_of, s, SmtpSink, TestApp};
use procura::auth::Role::{Admin, Finance, Pm, Procurement, Viewer};
use procura::db::Engine;
use procura::email::{MailSettings, SmtpSecurity};
use serde_json::json;

async fn app_mailing_to(engine: Engine, smtp: &SmtpSink) -> Option<TestApp> {
    let port = smtp.port;
    TestApp::spawn_with(engine, move |settings| {
        settings.alerts.mail = MailSettings::Smtp {
            host: "127.0.0.1".into(),
            port,
            security: SmtpSecurity::None,
            username: None,
            password: None,
            from: "Procura <alerts@procura.test>".into(),
        };
        settings.alerts.extra_recipients = vec!["controller@example.com".into()];
    })
    .await
}

/// An active contract from 2026-01-01: 12-month terms renewing automatically, 30 days' notice,
/// so the first notice deadline is 2026-12-01.
async fn renewing_contract(app: &TestApp) -> (i64, String) {
    let vendor = id_of(&app.create_vendor(json!({"name": "Rackspace Ltd"})).await);
    let project = id_of(
        &app.create_project(json!({
            "code": "DC-ALERT", "name": "Data centre", "currency": "EUR",
            "pm_email": "pm@example.com", "finance_owner_email": "finance@example.com"
        }))
        .await,
    );
    let contract = app
        .post(
            "/api/v1/contracts",
            Procurement,
            &json!({
                "vendor_id": vendor, "project_ids": [project], "title": "Colocation",
                "contract_type": "fixed_price", "currency": "EUR", "ceiling": "120000.00",
                "start_date": "2026-01-01", "initial_term_months": 12,
                "renewal": {"kind": "automatic", "term_months": 12},
                "notice": {"unit": "days", "value": 30}
            }),
        )
        .await
        .expect(201)
        .body;
    let id = id_of(&contract);
    app.post(
        &format!("/api/v1/contracts/{id}/activate"),
        Procurement,
        &json!({"version": contract["version"]}),
    )
    .await
    .expect(200);
    (id, s(&contract["number"]).to_string())
}

/// A message with folded headers joined and quoted-printable soft breaks removed.
fn unfolded(message: &str) -> String {
    message
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("\r\n ", " ")
        .replace("\n ", " ")
        .replace("\r\n\t", " ")
        // quoted-printable's escaped `=` (the only escape our ASCII bodies need)
        .replace("=3D", "=")
}

async fn run(app: &TestApp, as_of: &str) -> serde_json::Value {
    app.post(
        &format!("/api/v1/alerts/run?as_of={as_of}"),
        Admin,
        &json!({}),
    )
    .await
    .expect(200)
    .body
}

async fn notice_alert_is_mailed_once(engine: Engine) {
    let Some(smtp) = SmtpSink::start().await else {
        return;
    };
    let Some(app) = app_mailing_to(engine, &smtp).await else {
        return;
    };
    let (_, number) = renewing_contract(&app).await;
    // 2026-11-01: the deadline is 30 days away: the 30-day alert, sent at once.
    let first = run(&app, "2026-11-01").await;
    assert_eq!(
        (first["raised"].as_u64(), first["sent"].as_u64()),
        (Some(1), Some(1)),
        "{first}"
    );
    // Running again, and again the next day, raises nothing new and sends nothing.
    for day in ["2026-11-01", "2026-11-02"] {
        let again = run(&app, day).await;
        assert_eq!(
            (again["raised"].as_u64(), again["sent"].as_u64()),
            (Some(0), Some(0)),
            "{again}"
        );
    }
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let message = &unfolded(&messages[0]);
    assert!(
        message.contains(&format!(
            "Contract {number}: notice deadline 2026-12-01 (30 days)"
        )),
        "{message}"
    );
    for to in [
        "pm@example.com",
        "finance@example.com",
        "controller@example.com",
    ] {
        assert!(message.contains(to), "{to} missing from {message}");
    }
    assert!(message.contains("Message-ID: <alert."), "{message}");
    assert!(
        message.contains("2026-12-31"),
        "the term's end is in the body: {message}"
    );

    let alerts = app.get("/api/v1/alerts", Finance).await.expect(200).body;
    let alert = &alerts["items"][0];
    assert_eq!(s(&alert["status"]), "sent", "{alerts}");
    assert_eq!(alert["attempts"], 1);
    assert_eq!(s(&alert["kind"]), "contract_notice_deadline");
    app.get("/api/v1/alerts", Viewer)
        .await
        .expect_problem(403, "forbidden");
    app.post("/api/v1/alerts/run", Pm, &json!({}))
        .await
        .expect_problem(403, "forbidden");
}

async fn alerts_wait_while_the_mail_server_is_down(engine: Engine) {
    let Some(mut smtp) = SmtpSink::start().await else {
        return;
    };
    let Some(app) = app_mailing_to(engine, &smtp).await else {
        return;
    };
    renewing_contract(&app).await;
    smtp.stop();
    // 2026-11-26: five days before the deadline: the 7-day alert; the send fails.
    let down = run(&app, "2026-11-26").await;
    assert_eq!(
        (
            down["raised"].as_u64(),
            down["sent"].as_u64(),
            down["failed"].as_u64()
        ),
        (Some(1), Some(0), Some(1)),
        "{down}"
    );
    let pending = app
        .get("/api/v1/alerts?status=pending", Admin)
        .await
        .expect(200)
        .body;
    let alert = pending["items"][0].clone();
    assert_eq!(alert["attempts"], 1, "{pending}");
    assert!(!s(&alert["last_error"]).is_empty(), "{pending}");
    // Still down: the retry waits for its backoff, nothing is lost or sent.
    let waiting = run(&app, "2026-11-26").await;
    assert_eq!(waiting["sent"].as_u64(), Some(0), "{waiting}");
    smtp.restart().await;
    // Back up: a resend makes it due now; it is delivered once.
    app.post(
        &format!("/api/v1/alerts/{}/resend", id_of(&alert)),
        Admin,
        &json!({}),
    )
    .await
    .expect(200);
    let back = run(&app, "2026-11-26").await;
    assert_eq!(back["sent"].as_u64(), Some(1), "{back}");
    let again = run(&app, "2026-11-27").await;
    assert_eq!(again["sent"].as_u64(), Some(0), "{again}");
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        unfolded(&messages[0]).contains("(5 days)"),
        "{}",
        messages[0]
    );
    let sent = app
        .get("/api/v1/alerts?status=sent", Admin)
        .await
        .expect(200)
        .body;
    assert_eq!(sent["items"][0]["attempts"], 2, "{sent}");
    assert!(sent["items"][0]["last_error"].is_null(), "{sent}");
}

/// A budget threshold crossed by a PO approval is mailed to the project's PM and finance owner
/// (and the configured controller), with the figures in plain text and an HTML table.
async fn budget_alert_is_mailed_with_the_figures(engine: Engine) {
    let Some(smtp) = SmtpSink::start().await else {
        return;
    };
    let Some(app) = app_mailing_to(engine, &smtp).await else {
        return;
    };
    let f = crate::p2p_fixtures::fixture(&app, "DC-BUDGET", None, "1000.00").await;
    let url = format!("/api/v1/projects/{}", f.project);
    let project = app.get(&url, Viewer).await.expect(200).body;
    app.patch(
        &url,
        Admin,
        &json!({"version": project["version"], "pm_email": "pm@example.com",
                "finance_owner_email": "finance@example.com"}),
    )
    .await
    .expect(200);
    // 850.00 of 1,000.00 committed: the 80 % threshold.
    crate::p2p_fixtures::approved(&app, &crate::p2p_fixtures::simple(&f, "850.00")).await;
    let delivered = run(&app, "2026-03-15").await;
    assert_eq!(delivered["sent"].as_u64(), Some(1), "{delivered}");
    assert_eq!(run(&app, "2026-03-15").await["sent"].as_u64(), Some(0));
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let message = unfolded(&messages[0]);
    assert!(
        message.contains(
            "Subject: [Procura] Project DC-BUDGET has used 85.00% of its budget (threshold 80%)"
        ),
        "{message}"
    );
    for to in [
        "pm@example.com",
        "finance@example.com",
        "controller@example.com",
    ] {
        assert!(message.contains(to), "{to} missing from {message}");
    }
    for text in [
        "Actual 0.00 + committed 850.00 = 85.00% of the budget 1000.00 EUR (threshold 80%).",
        "Remaining: 150.00",
        "Estimate at completion (EAC): 1000.00 (100.00%)",
        "capex CC-1: budget 1000.00, actual 0.00, committed 850.00, ETC 150.00 (default), EAC 1000.00, used 85.00%",
        "Content-Type: text/html",
        "<th>EAC</th>",
    ] {
        assert!(message.contains(text), "{text} missing from {message}");
    }
}

mod race {
    use crate::helpers::TestApp;
    use procura::auth::Role::Admin;

    /// Two transactions raise the same alert at the same moment (two instances running one check):
    /// both succeed, one raises it, and the outbox holds it once.
    async fn racing_raises_keep_one_alert(app: TestApp) {
        use procura::alerts::{raise, NewAlert};
        let alert = || NewAlert {
            dedupe_key: "contract:1:term:0:notice:30".into(),
            kind: "contract_notice_deadline",
            project_id: None,
            subject: "Notice".into(),
            body: "Notice deadline".into(),
            html_body: None,
            recipients: vec!["pm@example.com".into()],
        };
        let (first_db, second_db) = (app.db.clone(), app.db.clone());
        let first = std::thread::spawn(move || {
            first_db.write_blocking(|tx| {
                let raised = raise(tx, &alert(), procura::clock::now())?;
                // Hold the transaction open while the other one tries the same key.
                std::thread::sleep(std::time::Duration::from_millis(400));
                Ok(raised)
            })
        });
        std::thread::sleep(std::time::Duration::from_millis(100));
        let second = std::thread::spawn(move || {
            second_db.write_blocking(|tx| raise(tx, &alert(), procura::clock::now()))
        });
        let first = first.join().expect("first thread").expect("first raise");
        let second = second.join().expect("second thread").expect("second raise");
        assert!(first ^ second, "exactly one raised it: {first} {second}");
        let alerts = app.get("/api/v1/alerts", Admin).await.expect(200).body;
        assert_eq!(
            alerts["items"].as_array().map(Vec::len),
            Some(1),
            "{alerts}"
        );
    }

    both_engines!(racing_raises_keep_one_alert);
}

mod sqlite {
    use procura::db::Engine;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn notice_alert_is_mailed_once() {
        super::notice_alert_is_mailed_once(Engine::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn alerts_wait_while_the_mail_server_is_down() {
        super::alerts_wait_while_the_mail_server_is_down(Engine::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn budget_alert_is_mailed_with_the_figures() {
        super::budget_alert_is_mailed_with_the_figures(Engine::Sqlite).await
    }
}

mod postgres {
    use procura::db::Engine;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn notice_alert_is_mailed_once() {
        super::notice_alert_is_mailed_once(Engine::Postgres).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn alerts_wait_while_the_mail_server_is_down() {
        super::alerts_wait_while_the_mail_server_is_down(Engine::Postgres).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn budget_alert_is_mailed_with_the_figures() {
        super::budget_alert_is_mailed_with_the_figures(Engine::Postgres).await
    }
}
