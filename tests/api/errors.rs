//! Malformed requests: every one is an `application/problem+json` naming what is wrong.

use crate::helpers::{Resp, TestApp};
use procura::auth::Role;
use reqwest::Method;
use serde_json::json;

const VENDORS: &str = "/api/v1/vendors";

#[track_caller]
fn names(resp: &Resp, field: &str) {
    assert!(
        resp.fields().iter().any(|f| f == field),
        "expected `{field}` to be named: {}",
        resp.text
    );
}

async fn malformed_json(app: TestApp) {
    for body in [
        r#"{"name": "#,
        r#"{"name": "x",}"#,
        "not json",
        r#"{"name": "x"} trailing"#,
    ] {
        let resp = app
            .post_raw(VENDORS, Role::Admin, "application/json", body)
            .await;
        resp.expect_problem(400, "malformed_json");
    }
    // an empty body is not JSON either
    app.post_raw(VENDORS, Role::Admin, "application/json", "")
        .await
        .expect_problem(400, "malformed_json");
    assert_eq!(
        app.list_all(VENDORS, Role::Admin).await.len(),
        0,
        "nothing was created"
    );
}

async fn wrong_type_names_the_path(app: TestApp) {
    let resp = app
        .post(VENDORS, Role::Admin, &json!({"name": 5}))
        .await
        .expect_problem(422, "validation_failed");
    names(&resp, "name");
    let resp = app
        .post(
            VENDORS,
            Role::Admin,
            &json!({"name": "x", "emails": ["a@b.example", 7]}),
        )
        .await
        .expect_problem(422, "validation_failed");
    names(&resp, "emails[1]");
    let resp = app
        .post(
            VENDORS,
            Role::Admin,
            &json!({"name": "x", "tags": "not-a-list"}),
        )
        .await
        .expect_problem(422, "validation_failed");
    names(&resp, "tags");
    let resp = app
        .post(
            VENDORS,
            Role::Admin,
            &json!({"name": "x", "status": "gone"}),
        )
        .await
        .expect_problem(422, "validation_failed");
    names(&resp, "status");
    // the body as a whole of the wrong type
    app.post(VENDORS, Role::Admin, &json!([1, 2]))
        .await
        .expect_problem(422, "validation_failed");
}

async fn missing_required_field(app: TestApp) {
    let resp = app
        .post(VENDORS, Role::Admin, &json!({}))
        .await
        .expect_problem(422, "validation_failed");
    names(&resp, "name");
    assert!(
        resp.field_message("name")
            .unwrap_or_default()
            .contains("missing"),
        "{}",
        resp.text
    );
    let resp = app
        .post(VENDORS, Role::Admin, &json!({"tax_id": "GB1"}))
        .await
        .expect_problem(422, "validation_failed");
    names(&resp, "name");
}

async fn unknown_field(app: TestApp) {
    let resp = app
        .post(VENDORS, Role::Admin, &json!({"name": "x", "nmae": "typo"}))
        .await
        .expect_problem(422, "validation_failed");
    names(&resp, "nmae");
    let vendor = app.create_vendor(json!({"name": "Patched"})).await;
    let resp = app
        .patch(
            &format!("{VENDORS}/{}", vendor["id"]),
            Role::Admin,
            &json!({"version": 1, "colour": "red"}),
        )
        .await
        .expect_problem(422, "validation_failed");
    names(&resp, "colour");
}

async fn unsupported_media_type(app: TestApp) {
    app.post_raw(VENDORS, Role::Admin, "text/plain", r#"{"name": "x"}"#)
        .await
        .expect_problem(415, "unsupported_media_type");
    app.post_raw(
        VENDORS,
        Role::Admin,
        "application/x-www-form-urlencoded",
        "name=x",
    )
    .await
    .expect_problem(415, "unsupported_media_type");
    // no content type at all
    let resp = app
        .send(Method::POST, VENDORS, Some(app.admin()), None, &[])
        .await;
    resp.expect_problem(415, "unsupported_media_type");
    // JSON with a charset and +json types are accepted
    app.post_raw(
        VENDORS,
        Role::Admin,
        "application/json; charset=utf-8",
        r#"{"name": "Charset"}"#,
    )
    .await
    .expect(201);
    app.post_raw(
        VENDORS,
        Role::Admin,
        "application/merge-patch+json",
        r#"{"name": "Merge"}"#,
    )
    .await
    .expect(201);
}

async fn payload_too_large(app: TestApp) {
    let big = format!(
        r#"{{"name": "big", "notes": "{}"}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    let resp = app
        .post_raw(VENDORS, Role::Admin, "application/json", big)
        .await;
    resp.expect_problem(413, "payload_too_large");
    assert_eq!(app.list_all(VENDORS, Role::Admin).await.len(), 0);
}

/// The limit is the configured 1 MiB: a body just under it is read (and then refused only for
/// its content), not cut off by a smaller default somewhere in between.
async fn body_under_the_limit_is_read(app: TestApp) {
    for size in [200 * 1024, 300 * 1024, 1024 * 1024 - 100] {
        let under = format!(r#"{{"name": "big", "notes": "{}"}}"#, "x".repeat(size));
        assert!(under.len() < 1024 * 1024);
        let resp = app
            .post_raw(VENDORS, Role::Admin, "application/json", under)
            .await;
        assert_eq!(
            resp.status.as_u16(),
            422,
            "a {} byte body (under the 1 MiB limit) must be read and refused for its notes: {}",
            size + 28,
            resp.text
        );
        names(&resp, "notes");
    }
}

async fn bad_query_parameters(app: TestApp) {
    for query in ["limit=abc", "limit=0", "limit=-1", "limit=201"] {
        let resp = app
            .get(&format!("{VENDORS}?{query}"), Role::Admin)
            .await
            .expect_problem(400, "invalid_query");
        names(&resp, "limit");
    }
    let resp = app
        .get(&format!("{VENDORS}?include_archived=maybe"), Role::Admin)
        .await
        .expect_problem(400, "invalid_query");
    names(&resp, "include_archived");
    let resp = app
        .get(&format!("{VENDORS}?colour=red"), Role::Admin)
        .await
        .expect_problem(400, "invalid_query");
    names(&resp, "colour");
    let resp = app
        .get("/api/v1/audit?limit=abc", Role::Admin)
        .await
        .expect_problem(400, "invalid_query");
    names(&resp, "limit");
}

async fn unknown_paths_are_problems(app: TestApp) {
    for path in [
        "/api/v1/nothing-here",
        "/nope",
        "/api/v2/vendors",
        "/api/v1/vendors/1/unknown",
    ] {
        app.get(path, Role::Admin)
            .await
            .expect_problem(404, "not_found");
    }
    // anonymous callers get a problem document too
    app.get_anon("/nope").await.expect_problem(404, "not_found");
    // ids that are not numbers, or not found
    app.get("/api/v1/vendors/abc", Role::Admin)
        .await
        .expect_problem(404, "not_found");
    app.get("/api/v1/vendors/99999999999999999999999", Role::Admin)
        .await
        .expect_problem(404, "not_found");
    app.get("/api/v1/vendors/424242", Role::Admin)
        .await
        .expect_problem(404, "not_found");
    app.patch("/api/v1/vendors/abc", Role::Admin, &json!({"version": 1}))
        .await
        .expect_problem(404, "not_found");
    // a wrong method on a known path is not a success
    let resp = app
        .send(Method::DELETE, VENDORS, Some(app.admin()), None, &[])
        .await;
    assert!(
        resp.status.is_client_error(),
        "DELETE /vendors: {} {}",
        resp.status,
        resp.text
    );
}

/// Every error the API gives, in one sweep: each must be `application/problem+json` with the
/// RFC 9457 members and a `code`.
async fn every_error_is_a_problem(app: TestApp) {
    let vendor = app
        .create_vendor(json!({"name": "Problem Child", "tax_id": "PC1"}))
        .await;
    let vendor_path = format!("{VENDORS}/{}", vendor["id"]);
    let responses = vec![
        app.get_anon(VENDORS).await,
        app.send(Method::GET, VENDORS, Some("prc_nope"), None, &[])
            .await,
        app.get(VENDORS, Role::Evaluator).await,
        app.post(VENDORS, Role::Viewer, &json!({"name": "x"})).await,
        app.post_raw(VENDORS, Role::Admin, "application/json", "{")
            .await,
        app.post(VENDORS, Role::Admin, &json!({})).await,
        app.post_raw(VENDORS, Role::Admin, "text/plain", "x").await,
        app.get(&format!("{VENDORS}?limit=abc"), Role::Admin).await,
        app.get("/api/v1/vendors/abc", Role::Admin).await,
        app.get("/api/v1/nothing", Role::Admin).await,
        app.post(
            VENDORS,
            Role::Admin,
            &json!({"name": "Dup", "tax_id": "pc 1"}),
        )
        .await,
        app.patch(
            &vendor_path,
            Role::Admin,
            &json!({"version": 5, "name": "Stale"}),
        )
        .await,
        app.post(
            &format!("{vendor_path}/restore"),
            Role::Admin,
            &json!({"version": 1}),
        )
        .await,
        app.get("/metrics", Role::Finance).await,
        app.get("/api/v1/audit", Role::Procurement).await,
    ];
    let mut statuses = Vec::new();
    for resp in &responses {
        assert!(
            resp.status.is_client_error(),
            "{} {}",
            resp.status,
            resp.text
        );
        assert!(
            resp.content_type().starts_with("application/problem+json"),
            "content type {:?} on {} {}",
            resp.content_type(),
            resp.status,
            resp.text
        );
        let body = &resp.body;
        assert_eq!(
            body["status"].as_u64(),
            Some(u64::from(resp.status.as_u16())),
            "{}",
            resp.text
        );
        assert!(
            body["code"].as_str().is_some_and(|c| !c.is_empty()),
            "{}",
            resp.text
        );
        assert_eq!(
            body["type"].as_str(),
            Some(format!("urn:procura:problem:{}", resp.code()).as_str()),
            "{}",
            resp.text
        );
        assert!(
            body["title"].is_string() && body["detail"].is_string(),
            "{}",
            resp.text
        );
        statuses.push(resp.status.as_u16());
    }
    assert_eq!(
        statuses,
        vec![401, 401, 403, 403, 400, 422, 415, 400, 404, 404, 409, 409, 409, 403, 403]
    );
    assert_eq!(responses[0].header("www-authenticate"), Some("Bearer"));
}

both_engines!(
    malformed_json,
    wrong_type_names_the_path,
    missing_required_field,
    unknown_field,
    unsupported_media_type,
    payload_too_large,
    body_under_the_limit_is_read,
    bad_query_parameters,
    unknown_paths_are_problems,
    every_error_is_a_problem,
);
