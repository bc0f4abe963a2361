//! The audit log: every change writes a chained row; tampering is detected.

use crate::helpers::{id_of, s, TestApp};
use procura::auth::Role;
use serde_json::{json, Value};

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

async fn items(app: &TestApp, query: &str) -> Vec<Value> {
    app.list_all(&format!("/api/v1/audit{query}"), Role::Finance)
        .await
}

async fn verify(app: &TestApp) -> Value {
    app.get("/api/v1/audit/verify", Role::Admin)
        .await
        .expect(200)
        .body
}

async fn mutations_are_audited(app: TestApp) {
    let vendor = app
        .create_vendor(json!({"name": "Audited", "tax_id": "AU1"}))
        .await;
    let id = id_of(&vendor);
    app.patch(
        &format!("/api/v1/vendors/{id}"),
        Role::Admin,
        &json!({"version": 1, "name": "Audited Ltd"}),
    )
    .await
    .expect(200);
    // a refused change writes nothing
    app.patch(
        &format!("/api/v1/vendors/{id}"),
        Role::Admin,
        &json!({"version": 1, "name": "Stale"}),
    )
    .await
    .expect(409);
    app.post(
        "/api/v1/vendors",
        Role::Admin,
        &json!({"name": "Dup", "tax_id": "au-1"}),
    )
    .await
    .expect(409);

    let rows = items(&app, &format!("?entity=vendor&id={id}")).await;
    assert_eq!(rows.len(), 2, "{rows:#?}");
    let (create, update) = (&rows[0], &rows[1]);
    assert_eq!(create["action"], "vendor.create");
    assert_eq!(update["action"], "vendor.update");
    for row in &rows {
        assert_eq!(row["actor"], "test-admin");
        assert_eq!(row["entity"], "vendor");
        assert_eq!(row["entity_id"], id.to_string());
        assert!(
            row["occurred_at"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z')),
            "{row}"
        );
    }
    assert!(create["before"].is_null(), "{create}");
    assert_eq!(create["after"]["name"], "Audited");
    assert_eq!(create["after"]["tax_id"], "AU1");
    assert_eq!(create["after"]["version"], 1);
    assert_eq!(update["before"]["name"], "Audited");
    assert_eq!(update["before"]["version"], 1);
    assert_eq!(update["after"]["name"], "Audited Ltd");
    assert_eq!(update["after"]["version"], 2);
    assert!(update["seq"].as_i64() > create["seq"].as_i64());

    // filters by actor and action
    let by_admin = items(&app, "?actor=test-admin").await;
    assert_eq!(by_admin.len(), 2);
    assert_eq!(items(&app, "?actor=test-pm").await.len(), 0);
    assert_eq!(items(&app, "?action=vendor.update").await.len(), 1);
    assert_eq!(
        items(&app, &format!("?entity=vendor&id={}", id + 1))
            .await
            .len(),
        0
    );

    // the whole log chains from the genesis hash without gaps
    let all = items(&app, "").await;
    assert_eq!(
        all.len(),
        Role::ALL.len() + 2,
        "one row per token created by the harness, plus the two vendor rows"
    );
    let mut prev = GENESIS.to_string();
    for (index, row) in all.iter().enumerate() {
        assert_eq!(row["seq"].as_i64(), Some(index as i64 + 1), "{row}");
        assert_eq!(s(&row["prev_hash"]), prev, "{row}");
        assert_eq!(s(&row["hash"]).len(), 64);
        prev = s(&row["hash"]).to_string();
    }
    // paging the log gives the same rows
    let page = app
        .get("/api/v1/audit?limit=3", Role::Admin)
        .await
        .expect(200);
    assert_eq!(page.body["items"].as_array().map(Vec::len), Some(3));
    assert_eq!(page.body["next_cursor"], "3");

    let verdict = verify(&app).await;
    assert_eq!(verdict["valid"], true, "{verdict}");
    assert_eq!(
        verdict["rows_checked"].as_u64(),
        Some(all.len() as u64),
        "{verdict}"
    );
    assert!(verdict["first_broken"].is_null(), "{verdict}");
}

async fn tampering_is_detected(app: TestApp) {
    let vendor = app.create_vendor(json!({"name": "Tamper Target"})).await;
    app.patch(
        &format!("/api/v1/vendors/{}", id_of(&vendor)),
        Role::Admin,
        &json!({"version": 1, "notes": "x"}),
    )
    .await
    .expect(200);
    assert_eq!(verify(&app).await["valid"], true);

    let changed = app
        .exec_sql(r#"UPDATE audit_log SET after_state = '{"name":"forged"}' WHERE seq = 2"#)
        .await;
    assert_eq!(changed, 1);
    let verdict = verify(&app).await;
    assert_eq!(verdict["valid"], false, "{verdict}");
    assert_eq!(verdict["first_broken"]["seq"], 2, "{verdict}");
    assert!(
        verdict["first_broken"]["reason"]
            .as_str()
            .is_some_and(|r| !r.is_empty()),
        "{verdict}"
    );
    assert_eq!(
        verdict["rows_checked"], 2,
        "verification stops at the first broken row: {verdict}"
    );
}

async fn altered_actor_is_detected(app: TestApp) {
    app.create_vendor(json!({"name": "Who did it"})).await;
    let last = items(&app, "").await.len();
    app.exec_sql(&format!(
        "UPDATE audit_log SET actor = 'someone-else' WHERE seq = {last}"
    ))
    .await;
    let verdict = verify(&app).await;
    assert_eq!(verdict["valid"], false, "{verdict}");
    assert_eq!(
        verdict["first_broken"]["seq"].as_u64(),
        Some(last as u64),
        "{verdict}"
    );
}

async fn deleted_last_row_is_detected(app: TestApp) {
    app.create_vendor(json!({"name": "Short-lived"})).await;
    let all = items(&app, "").await;
    let last = all.len() as i64;
    let deleted = app
        .exec_sql(&format!("DELETE FROM audit_log WHERE seq = {last}"))
        .await;
    assert_eq!(deleted, 1);
    let verdict = verify(&app).await;
    assert_eq!(
        verdict["valid"], false,
        "cutting the tail must be detected: {verdict}"
    );
    assert_eq!(verdict["first_broken"]["seq"], last, "{verdict}");
}

async fn deleted_middle_row_is_detected(app: TestApp) {
    app.create_vendor(json!({"name": "One"})).await;
    app.create_vendor(json!({"name": "Two"})).await;
    app.exec_sql("DELETE FROM audit_log WHERE seq = 3").await;
    let verdict = verify(&app).await;
    assert_eq!(verdict["valid"], false, "{verdict}");
    assert_eq!(
        verdict["first_broken"]["seq"], 4,
        "the row after the gap is the first broken one: {verdict}"
    );
}

async fn concurrent_writes_keep_the_chain(app: TestApp) {
    let mut tasks = Vec::new();
    let app = std::sync::Arc::new(app);
    for i in 0..12 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            app.post(
                "/api/v1/vendors",
                Role::Procurement,
                &json!({"name": format!("Concurrent {i}")}),
            )
            .await
            .status
            .as_u16()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.expect("request task"), 201);
    }
    let verdict = verify(&app).await;
    assert_eq!(verdict["valid"], true, "{verdict}");
    assert_eq!(
        verdict["rows_checked"].as_u64(),
        Some(Role::ALL.len() as u64 + 12)
    );
    let creates = items(&app, "?action=vendor.create").await;
    assert_eq!(creates.len(), 12);
}

both_engines!(
    mutations_are_audited,
    tampering_is_detected,
    altered_actor_is_detected,
    deleted_last_row_is_detected,
    deleted_middle_row_is_detected,
    concurrent_writes_keep_the_chain,
);
