//! `Idempotency-Key` on creates: retries replay the first answer and create nothing new.

use crate::helpers::{id_of, Resp, TestApp};
use procura::auth::Role;
use serde_json::json;
use std::sync::Arc;

const VENDORS: &str = "/api/v1/vendors";

async fn post_keyed(app: &TestApp, role: Role, key: &str, body: &serde_json::Value) -> Resp {
    app.post_with_headers(VENDORS, role, body, &[("Idempotency-Key", key)])
        .await
}

async fn vendors_named(app: &TestApp, name: &str) -> Vec<i64> {
    app.list_all(VENDORS, Role::Admin)
        .await
        .iter()
        .filter(|v| v["name"] == name)
        .map(id_of)
        .collect()
}

async fn same_key_replays(app: TestApp) {
    let body = json!({"name": "Idempotent Ltd", "tags": ["once"]});
    let first = post_keyed(&app, Role::Procurement, "key-1", &body)
        .await
        .expect(201);
    assert_eq!(
        first.header("idempotent-replayed"),
        None,
        "the first answer is not a replay"
    );
    let second = post_keyed(&app, Role::Procurement, "key-1", &body)
        .await
        .expect(201);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(id_of(&second.body), id_of(&first.body));
    assert_eq!(second.body, first.body, "the replay is the first answer");
    assert_eq!(second.header("location"), first.header("location"));
    assert_eq!(second.header("etag"), first.header("etag"));
    assert_eq!(
        vendors_named(&app, "Idempotent Ltd").await,
        vec![id_of(&first.body)]
    );
    let creates = app
        .list_all("/api/v1/audit?action=vendor.create", Role::Admin)
        .await;
    assert_eq!(creates.len(), 1, "one audit row for one create");

    // a replay returns the first answer even after the vendor changed
    app.patch(
        &format!("{VENDORS}/{}", id_of(&first.body)),
        Role::Admin,
        &json!({"version": 1, "name": "Renamed"}),
    )
    .await
    .expect(200);
    let third = post_keyed(&app, Role::Procurement, "key-1", &body)
        .await
        .expect(201);
    assert_eq!(third.body["name"], "Idempotent Ltd");
    assert_eq!(app.list_all(VENDORS, Role::Admin).await.len(), 1);

    // without a key, the same body creates again
    app.post(VENDORS, Role::Procurement, &body)
        .await
        .expect(201);
    assert_eq!(app.list_all(VENDORS, Role::Admin).await.len(), 2);
}

async fn same_key_different_body_is_refused(app: TestApp) {
    post_keyed(&app, Role::Admin, "key-2", &json!({"name": "Original"}))
        .await
        .expect(201);
    let refused = post_keyed(&app, Role::Admin, "key-2", &json!({"name": "Different"}))
        .await
        .expect_invalid("Idempotency-Key");
    assert_eq!(refused.header("idempotent-replayed"), None);
    assert_eq!(vendors_named(&app, "Different").await.len(), 0);
    assert_eq!(app.list_all(VENDORS, Role::Admin).await.len(), 1);
}

async fn keys_are_per_token(app: TestApp) {
    let body = json!({"name": "Shared Key"});
    let mine = post_keyed(&app, Role::Admin, "shared", &body)
        .await
        .expect(201);
    let theirs = post_keyed(&app, Role::Procurement, "shared", &body)
        .await
        .expect(201);
    assert_eq!(theirs.header("idempotent-replayed"), None);
    assert_ne!(id_of(&mine.body), id_of(&theirs.body));
    assert_eq!(vendors_named(&app, "Shared Key").await.len(), 2);
}

async fn invalid_keys_and_failed_creates(app: TestApp) {
    let long = "k".repeat(256);
    for key in ["", long.as_str(), "has space"] {
        let resp = post_keyed(&app, Role::Admin, key, &json!({"name": "Bad Key"}))
            .await
            .expect(400);
        assert!(
            resp.fields().contains(&"Idempotency-Key".to_string()),
            "{}",
            resp.text
        );
    }
    // a create that fails stores no key: fixing the body and retrying with the key works
    post_keyed(
        &app,
        Role::Admin,
        "retry-me",
        &json!({"name": "Holder", "tax_id": "DUP1"}),
    )
    .await
    .expect(201);
    post_keyed(
        &app,
        Role::Admin,
        "second",
        &json!({"name": "Clash", "tax_id": "DUP1"}),
    )
    .await
    .expect_problem(409, "duplicate_tax_id");
    post_keyed(
        &app,
        Role::Admin,
        "second",
        &json!({"name": "Clash", "tax_id": "DUP1"}),
    )
    .await
    .expect_problem(409, "duplicate_tax_id");
    assert_eq!(app.list_all(VENDORS, Role::Admin).await.len(), 1);
}

async fn concurrent_same_key(app: TestApp) {
    let app = Arc::new(app);
    let body = json!({"name": "Racing Retries", "emails": ["race@example.com"]});
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (app, body) = (app.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            post_keyed(&app, Role::Procurement, "race-key", &body).await
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("request task"));
    }
    for answer in &answers {
        assert_eq!(answer.status.as_u16(), 201, "{}", answer.text);
    }
    let ids: Vec<i64> = answers.iter().map(|a| id_of(&a.body)).collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "every answer names the same vendor: {ids:?}"
    );
    let fresh = answers
        .iter()
        .filter(|a| a.header("idempotent-replayed").is_none())
        .count();
    assert_eq!(
        fresh, 1,
        "exactly one request did the work, the others replayed it"
    );
    assert_eq!(vendors_named(&app, "Racing Retries").await, vec![ids[0]]);
    assert_eq!(app.list_all(VENDORS, Role::Admin).await.len(), 1);
    let creates = app
        .list_all("/api/v1/audit?action=vendor.create", Role::Admin)
        .await;
    assert_eq!(
        creates.len(),
        1,
        "losers' rolled-back creates left no audit rows"
    );
    let verdict = app
        .get("/api/v1/audit/verify", Role::Admin)
        .await
        .expect(200);
    assert_eq!(verdict.body["valid"], true, "{}", verdict.text);
}

both_engines!(
    same_key_replays,
    same_key_different_body_is_refused,
    keys_are_per_token,
    invalid_keys_and_failed_creates,
    concurrent_same_key,
);
