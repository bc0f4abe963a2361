//! Projects: create, validation, uniqueness, filters, versions, archive.

use crate::helpers::{id_of, TestApp};
use procura::auth::Role;
use serde_json::{json, Value};

const PROJECTS: &str = "/api/v1/projects";

fn project_url(id: i64) -> String {
    format!("{PROJECTS}/{id}")
}

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(id_of)
        .collect()
}

async fn project_crud(app: TestApp) {
    let created = app
        .post(
            PROJECTS,
            Role::Pm,
            &json!({
                "code": "  p-100 ",
                "name": "Data centre move",
                "currency": "EUR",
                "pm_name": "Pat Manager",
                "pm_email": "pat@example.com",
                "finance_owner_name": "Fin Owner",
                "finance_owner_email": "fin@example.com",
                "start_date": "2026-01-01",
                "end_date": "2026-03-31"
            }),
        )
        .await
        .expect(201);
    let p = &created.body;
    let id = id_of(p);
    assert_eq!(created.header("location"), Some(project_url(id).as_str()));
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert_eq!(p["code"], "P-100", "code is trimmed and upper-cased");
    assert_eq!(p["name"], "Data centre move");
    assert_eq!(p["currency"], "EUR");
    assert_eq!(p["status"], "active", "status defaults to active");
    assert_eq!(p["pm_name"], "Pat Manager");
    assert_eq!(p["pm_email"], "pat@example.com");
    assert_eq!(p["finance_owner_name"], "Fin Owner");
    assert_eq!(p["finance_owner_email"], "fin@example.com");
    assert_eq!(p["start_date"], "2026-01-01");
    assert_eq!(p["end_date"], "2026-03-31");
    assert_eq!(p["alert_thresholds"], json!(["80", "90", "100"]));
    assert_eq!(p["version"], 1);
    assert!(p["archived_at"].is_null());

    let read = app.get(&project_url(id), Role::Viewer).await.expect(200);
    assert_eq!(read.body, created.body);
    assert_eq!(read.header("etag"), Some("\"1\""));

    let updated = app
        .patch(
            &project_url(id),
            Role::Pm,
            &json!({"version": 1, "name": "DC move", "status": "on_hold"}),
        )
        .await
        .expect(200);
    assert_eq!(updated.body["version"], 2);
    assert_eq!(updated.body["name"], "DC move");
    assert_eq!(updated.body["status"], "on_hold");
    assert_eq!(updated.body["code"], "P-100");
    assert_eq!(updated.body["end_date"], "2026-03-31");
    assert_eq!(updated.header("etag"), Some("\"2\""));

    let stale = app
        .patch(
            &project_url(id),
            Role::Pm,
            &json!({"version": 1, "name": "Stale"}),
        )
        .await
        .expect_problem(409, "version_conflict");
    assert_eq!(stale.body["context"]["current_version"], 2);
    app.patch_with_headers(
        &project_url(id),
        Role::Admin,
        &json!({"name": "Via If-Match"}),
        &[("If-Match", "\"2\"")],
    )
    .await
    .expect(200);
    app.patch(
        &project_url(id),
        Role::Admin,
        &json!({"name": "No version"}),
    )
    .await
    .expect_invalid("version");
    app.get(&project_url(id + 100), Role::Admin)
        .await
        .expect_problem(404, "not_found");
    app.get(&format!("{PROJECTS}/abc"), Role::Admin)
        .await
        .expect_problem(404, "not_found");

    // custom thresholds and explicit status
    let custom = app
        .create_project(json!({"code": "P-101", "name": "Custom", "currency": "JPY", "status": "planned", "alert_thresholds": ["50", "75"]}))
        .await;
    assert_eq!(custom["status"], "planned");
    assert_eq!(custom["alert_thresholds"], json!(["50", "75"]));
    assert!(custom["start_date"].is_null() && custom["end_date"].is_null());

    // audited
    let audit = app
        .list_all(
            &format!("/api/v1/audit?entity=project&id={id}"),
            Role::Admin,
        )
        .await;
    let actions: Vec<&str> = audit.iter().filter_map(|r| r["action"].as_str()).collect();
    assert_eq!(
        actions,
        ["project.create", "project.update", "project.update"]
    );
}

async fn project_validation(app: TestApp) {
    let base = || json!({"code": "V-1", "name": "Valid", "currency": "EUR"});
    let with = |key: &str, value: Value| {
        let mut body = base();
        body[key] = value;
        body
    };
    for currency in ["usd", "ABC", "EURO", "", "XXX"] {
        app.post(PROJECTS, Role::Admin, &with("currency", json!(currency)))
            .await
            .expect_invalid("currency");
    }
    let reversed = json!({"code": "V-1", "name": "Backwards", "currency": "EUR", "start_date": "2026-06-01", "end_date": "2026-05-31"});
    let resp = app
        .post(PROJECTS, Role::Admin, &reversed)
        .await
        .expect_invalid("end_date");
    assert!(
        !resp.fields().contains(&"start_date".to_string()),
        "{}",
        resp.text
    );
    app.post(
        PROJECTS,
        Role::Admin,
        &with("start_date", json!("2026-02-30")),
    )
    .await
    .expect_invalid("start_date");
    app.post(
        PROJECTS,
        Role::Admin,
        &with("end_date", json!("31/12/2026")),
    )
    .await
    .expect_invalid("end_date");
    app.post(PROJECTS, Role::Admin, &with("status", json!("done")))
        .await
        .expect_invalid("status");
    app.post(PROJECTS, Role::Admin, &with("name", json!("  ")))
        .await
        .expect_invalid("name");
    app.post(PROJECTS, Role::Admin, &with("code", json!("")))
        .await
        .expect_invalid("code");
    app.post(
        PROJECTS,
        Role::Admin,
        &with("pm_email", json!("not-an-email")),
    )
    .await
    .expect_invalid("pm_email");
    app.post(
        PROJECTS,
        Role::Admin,
        &json!({"name": "No code", "currency": "EUR"}),
    )
    .await
    .expect_invalid("code");
    app.post(PROJECTS, Role::Admin, &with("extra", json!(1)))
        .await
        .expect_invalid("extra");
    // a one-day project is fine
    app.create_project(json!({"code": "V-2", "name": "One day", "currency": "EUR", "start_date": "2026-05-31", "end_date": "2026-05-31"}))
        .await;
    assert_eq!(
        app.list_all(PROJECTS, Role::Admin).await.len(),
        1,
        "only the valid project exists"
    );
}

async fn duplicate_project_code(app: TestApp) {
    let first = app
        .create_project(json!({"code": "DUP-1", "name": "First", "currency": "EUR"}))
        .await;
    for code in ["DUP-1", " dup-1 ", "Dup-1"] {
        app.post(
            PROJECTS,
            Role::Admin,
            &json!({"code": code, "name": "Second", "currency": "USD"}),
        )
        .await
        .expect_problem(409, "duplicate_project_code");
    }
    let ids: Vec<i64> = app
        .list_all(PROJECTS, Role::Admin)
        .await
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(ids, vec![id_of(&first)]);
}

async fn project_filters(app: TestApp) {
    let alpha = app
        .create_project(json!({"code": "ALPHA", "name": "Alpha Rollout", "currency": "EUR"}))
        .await;
    let beta = app
        .create_project(
            json!({"code": "BETA", "name": "Beta rollout", "currency": "USD", "status": "planned"}),
        )
        .await;
    let gamma = app
        .create_project(
            json!({"code": "GAMMA", "name": "Gamma", "currency": "EUR", "status": "completed"}),
        )
        .await;
    let get = |q: &'static str| {
        let app = &app;
        async move {
            ids(&app
                .get(&format!("{PROJECTS}?{q}"), Role::Viewer)
                .await
                .expect(200)
                .body)
        }
    };
    assert_eq!(get("status=planned").await, vec![id_of(&beta)]);
    assert_eq!(
        get("currency=EUR").await,
        vec![id_of(&alpha), id_of(&gamma)]
    );
    assert_eq!(get("code=GAMMA").await, vec![id_of(&gamma)]);
    assert_eq!(get("q=ROLLOUT").await, vec![id_of(&alpha), id_of(&beta)]);
    assert_eq!(get("q=rollout&currency=USD").await, vec![id_of(&beta)]);
    assert_eq!(get("").await.len(), 3);
    // paging
    let first = app
        .get(&format!("{PROJECTS}?limit=2"), Role::Viewer)
        .await
        .expect(200);
    assert_eq!(ids(&first.body), vec![id_of(&alpha), id_of(&beta)]);
    let cursor = first.body["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_string();
    let second = app
        .get(&format!("{PROJECTS}?limit=2&cursor={cursor}"), Role::Viewer)
        .await
        .expect(200);
    assert_eq!(ids(&second.body), vec![id_of(&gamma)]);
    assert!(second.body["next_cursor"].is_null());
    app.get(&format!("{PROJECTS}?limit=0"), Role::Viewer)
        .await
        .expect_problem(400, "invalid_query");
}

async fn project_archive(app: TestApp) {
    let project = app
        .create_project(json!({"code": "ARCH", "name": "Archive me", "currency": "EUR"}))
        .await;
    let id = id_of(&project);
    let archived = app
        .post(
            &format!("{}/archive", project_url(id)),
            Role::Pm,
            &json!({"version": 1}),
        )
        .await
        .expect(200);
    assert!(
        archived.body["archived_at"].is_string(),
        "{}",
        archived.text
    );
    assert_eq!(archived.body["version"], 2);
    assert_eq!(
        app.list_all(PROJECTS, Role::Admin).await.len(),
        0,
        "archived projects are hidden"
    );
    let shown = app
        .get(&format!("{PROJECTS}?include_archived=true"), Role::Admin)
        .await
        .expect(200);
    assert_eq!(ids(&shown.body), vec![id]);
    app.patch(
        &project_url(id),
        Role::Admin,
        &json!({"version": 2, "name": "Nope"}),
    )
    .await
    .expect_problem(409, "archived");
    // the code stays taken
    app.post(
        PROJECTS,
        Role::Admin,
        &json!({"code": "arch", "name": "Again", "currency": "EUR"}),
    )
    .await
    .expect_problem(409, "duplicate_project_code");
    let restored = app
        .post(
            &format!("{}/restore", project_url(id)),
            Role::Admin,
            &json!({"version": 2}),
        )
        .await
        .expect(200);
    assert!(restored.body["archived_at"].is_null());
    assert_eq!(restored.body["version"], 3);
    app.patch(
        &project_url(id),
        Role::Admin,
        &json!({"version": 3, "name": "Back"}),
    )
    .await
    .expect(200);
    // projects are written by admin and pm only
    app.post(
        &format!("{}/archive", project_url(id)),
        Role::Finance,
        &json!({"version": 4}),
    )
    .await
    .expect_problem(403, "forbidden");
}

both_engines!(
    project_crud,
    project_validation,
    duplicate_project_code,
    project_filters,
    project_archive
);
