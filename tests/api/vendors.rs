//! Vendors: CRUD, normalisation, uniqueness, filters, paging, archive, optimistic locking.

use crate::helpers::{id_of, TestApp};
use procura::auth::Role;
use serde_json::json;

const VENDORS: &str = "/api/v1/vendors";

fn vendor_url(id: i64) -> String {
    format!("{VENDORS}/{id}")
}

fn ids(items: &[serde_json::Value]) -> Vec<i64> {
    items.iter().map(id_of).collect()
}

async fn vendor_crud(app: TestApp) {
    let created = app
        .post(
            VENDORS,
            Role::Procurement,
            &json!({
                "name": "  Northwind Networks  ",
                "tax_id": "de 123.456-789",
                "emails": [" Ops@Example.COM ", "Ops@example.com"],
                "tags": ["Racks", "racks", " Cloud "],
                "notes": "  prefers email  "
            }),
        )
        .await
        .expect(201);
    let id = id_of(&created.body);
    assert_eq!(created.header("location"), Some(vendor_url(id).as_str()));
    assert_eq!(created.header("etag"), Some("\"1\""));
    let v = &created.body;
    assert_eq!(v["name"], "Northwind Networks");
    assert_eq!(v["tax_id"], "DE123456789");
    assert_eq!(v["emails"], json!(["Ops@example.com"]));
    assert_eq!(v["tags"], json!(["cloud", "racks"]));
    assert_eq!(v["notes"], "prefers email");
    assert_eq!(v["status"], "active");
    assert_eq!(v["version"], 1);
    assert!(v["archived_at"].is_null(), "{v}");
    assert!(
        v["created_at"].is_string() && v["updated_at"].is_string(),
        "{v}"
    );

    let read = app.get(&vendor_url(id), Role::Viewer).await.expect(200);
    assert_eq!(read.header("etag"), Some("\"1\""));
    assert_eq!(read.body, created.body, "GET returns what POST returned");

    let updated = app
        .patch(
            &vendor_url(id),
            Role::Admin,
            &json!({"version": 1, "name": "Northwind Ltd", "status": "blocked"}),
        )
        .await
        .expect(200);
    assert_eq!(updated.header("etag"), Some("\"2\""));
    assert_eq!(updated.body["version"], 2);
    assert_eq!(updated.body["name"], "Northwind Ltd");
    assert_eq!(updated.body["status"], "blocked");
    // untouched fields stay as they were
    assert_eq!(updated.body["tax_id"], "DE123456789");
    assert_eq!(updated.body["tags"], json!(["cloud", "racks"]));
    assert_eq!(updated.body["notes"], "prefers email");
    assert_eq!(updated.body["created_at"], created.body["created_at"]);

    let reread = app.get(&vendor_url(id), Role::Finance).await.expect(200);
    assert_eq!(reread.body, updated.body);

    // a list shows the changed vendor
    let list = app.get(VENDORS, Role::Pm).await.expect(200);
    assert_eq!(list.body["items"], json!([updated.body.clone()]));
    assert!(list.body["next_cursor"].is_null());

    // replacing lists and clearing notes
    let cleared = app
        .patch(
            &vendor_url(id),
            Role::Admin,
            &json!({"version": 2, "tags": [], "emails": ["a@b.example"], "notes": null}),
        )
        .await
        .expect(200);
    assert_eq!(cleared.body["tags"], json!([]));
    assert_eq!(cleared.body["emails"], json!(["a@b.example"]));
    assert!(cleared.body["notes"].is_null());

    app.get(&vendor_url(id + 1000), Role::Admin)
        .await
        .expect_problem(404, "not_found");
    app.patch(
        &vendor_url(id + 1000),
        Role::Admin,
        &json!({"version": 1, "name": "x"}),
    )
    .await
    .expect_problem(404, "not_found");

    // PATCH without a version (and without If-Match) is refused, naming `version`
    app.patch(&vendor_url(id), Role::Admin, &json!({"name": "No Version"}))
        .await
        .expect_invalid("version");
    // invalid values name their field
    app.patch(
        &vendor_url(id),
        Role::Admin,
        &json!({"version": 3, "emails": ["ok@x.example", "not-an-email"]}),
    )
    .await
    .expect_invalid("emails[1]");
    app.post(VENDORS, Role::Admin, &json!({"name": "   "}))
        .await
        .expect_invalid("name");
    app.post(
        VENDORS,
        Role::Admin,
        &json!({"name": "Bad Tax", "tax_id": "#"}),
    )
    .await
    .expect_invalid("tax_id");
    app.post(
        VENDORS,
        Role::Admin,
        &json!({"name": "Bad Status", "status": "deleted"}),
    )
    .await
    .expect_invalid("status");
    let after_failures = app.get(&vendor_url(id), Role::Admin).await.expect(200);
    assert_eq!(
        after_failures.body["version"], 3,
        "failed updates change nothing"
    );
}

async fn duplicate_tax_id(app: TestApp) {
    let first = app
        .create_vendor(json!({"name": "First", "tax_id": "GB123456789"}))
        .await;
    for variant in ["gb 123 456 789", "GB-123.456/789", "gb123456789"] {
        let dup = app
            .post(
                VENDORS,
                Role::Admin,
                &json!({"name": "Second", "tax_id": variant}),
            )
            .await
            .expect_problem(409, "duplicate_tax_id");
        assert!(
            dup.body["detail"]
                .as_str()
                .unwrap_or("")
                .contains("GB123456789"),
            "{}",
            dup.text
        );
    }
    // taking the tax id by update is refused too
    let second = app
        .create_vendor(json!({"name": "Second", "tax_id": "FR 999"}))
        .await;
    app.patch(
        &vendor_url(id_of(&second)),
        Role::Admin,
        &json!({"version": 1, "tax_id": "gb.123.456.789"}),
    )
    .await
    .expect_problem(409, "duplicate_tax_id");
    // keeping your own tax id is not a duplicate
    app.patch(
        &vendor_url(id_of(&first)),
        Role::Admin,
        &json!({"version": 1, "tax_id": "gb 123456789", "name": "First Ltd"}),
    )
    .await
    .expect(200);
    // the tax id filter normalises too
    let found = app
        .get(&format!("{VENDORS}?tax_id=gb-123-456-789"), Role::Admin)
        .await
        .expect(200);
    assert_eq!(
        ids(found.body["items"].as_array().expect("items")),
        vec![id_of(&first)]
    );
    let all = app.list_all(VENDORS, Role::Admin).await;
    assert_eq!(all.len(), 2, "no vendor was created by a refused request");
}

async fn list_filters(app: TestApp) {
    let acme = app
        .create_vendor(json!({"name": "ACME Racks", "tags": ["hardware", "racks"]}))
        .await;
    let cloud = app
        .create_vendor(json!({"name": "Cloudy Hosting", "tags": ["cloud"], "status": "blocked"}))
        .await;
    let percent = app
        .create_vendor(json!({"name": "100% Cables", "tags": ["hardware"]}))
        .await;
    let archived = app
        .create_vendor(json!({"name": "Old Acme", "tags": ["hardware"]}))
        .await;
    app.post(
        &format!("{}/archive", vendor_url(id_of(&archived))),
        Role::Admin,
        &json!({"version": 1}),
    )
    .await
    .expect(200);

    let query = |q: &'static str| {
        let app = &app;
        async move {
            let page = app
                .get(&format!("{VENDORS}?{q}"), Role::Viewer)
                .await
                .expect(200);
            ids(page.body["items"].as_array().expect("items"))
        }
    };
    assert_eq!(query("status=blocked").await, vec![id_of(&cloud)]);
    assert_eq!(
        query("status=active").await,
        vec![id_of(&acme), id_of(&percent)]
    );
    assert_eq!(
        query("tag=hardware").await,
        vec![id_of(&acme), id_of(&percent)]
    );
    assert_eq!(
        query("tag=HARDWARE").await,
        vec![id_of(&acme), id_of(&percent)],
        "tags match case-insensitively"
    );
    assert_eq!(
        query("q=acme").await,
        vec![id_of(&acme)],
        "q is case-insensitive and skips archived"
    );
    assert_eq!(
        query("q=ACME&include_archived=true").await,
        vec![id_of(&acme), id_of(&archived)]
    );
    assert_eq!(
        query("q=%25").await,
        vec![id_of(&percent)],
        "% in q is a literal, not a wildcard"
    );
    assert_eq!(query("q=zzz").await, Vec::<i64>::new());
    assert_eq!(
        query("tag=hardware&status=active&q=cables").await,
        vec![id_of(&percent)]
    );
    assert_eq!(query("include_archived=true").await.len(), 4);
    assert_eq!(query("").await.len(), 3);
    app.get(&format!("{VENDORS}?status=gone"), Role::Viewer)
        .await
        .expect_problem(400, "invalid_query");
}

async fn pagination(app: TestApp) {
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(id_of(
            &app.create_vendor(json!({"name": format!("Vendor {i}")}))
                .await,
        ));
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = Vec::new();
    loop {
        let path = match &cursor {
            Some(c) => format!("{VENDORS}?limit=2&cursor={c}"),
            None => format!("{VENDORS}?limit=2"),
        };
        let page = app.get(&path, Role::Viewer).await.expect(200);
        let items = page.body["items"].as_array().expect("items").clone();
        assert!(items.len() <= 2, "limit respected: {}", page.text);
        pages.push(items.len());
        seen.extend(ids(&items));
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
        assert!(pages.len() <= 5, "paging does not end");
    }
    assert_eq!(pages, vec![2, 2, 1]);
    assert_eq!(seen, created, "every vendor once, in id order");
    // an exact last page has no cursor
    let exact = app
        .get(&format!("{VENDORS}?limit=5"), Role::Viewer)
        .await
        .expect(200);
    assert_eq!(exact.body["items"].as_array().map(Vec::len), Some(5));
    assert!(exact.body["next_cursor"].is_null(), "{}", exact.text);
    app.get(&format!("{VENDORS}?cursor=not-a-cursor"), Role::Viewer)
        .await
        .expect_problem(400, "invalid_query");
    app.get(&format!("{VENDORS}?limit=201"), Role::Viewer)
        .await
        .expect_problem(400, "invalid_query");
    let max = app
        .get(&format!("{VENDORS}?limit=200"), Role::Viewer)
        .await
        .expect(200);
    assert_eq!(max.body["items"].as_array().map(Vec::len), Some(5));
}

async fn archive_and_restore(app: TestApp) {
    let vendor = app
        .create_vendor(json!({"name": "Archivable", "tax_id": "NL1"}))
        .await;
    let id = id_of(&vendor);
    let archive = format!("{}/archive", vendor_url(id));
    let restore = format!("{}/restore", vendor_url(id));

    // archive with a stale version is a conflict
    app.post(&archive, Role::Admin, &json!({"version": 7}))
        .await
        .expect_problem(409, "version_conflict");
    let archived = app
        .post(&archive, Role::Procurement, &json!({"version": 1}))
        .await
        .expect(200);
    assert_eq!(archived.body["version"], 2);
    assert!(
        archived.body["archived_at"].is_string(),
        "{}",
        archived.text
    );
    assert_eq!(archived.header("etag"), Some("\"2\""));

    // hidden from lists, still readable by id
    let list = app.get(VENDORS, Role::Admin).await.expect(200);
    assert_eq!(list.body["items"], json!([]));
    let with_archived = app
        .get(&format!("{VENDORS}?include_archived=true"), Role::Admin)
        .await
        .expect(200);
    assert_eq!(
        ids(with_archived.body["items"].as_array().expect("items")),
        vec![id]
    );
    app.get(&vendor_url(id), Role::Admin).await.expect(200);

    // cannot be changed or archived again
    app.patch(
        &vendor_url(id),
        Role::Admin,
        &json!({"version": 2, "name": "Changed"}),
    )
    .await
    .expect_problem(409, "archived");
    app.post(&archive, Role::Admin, &json!({"version": 2}))
        .await
        .expect_problem(409, "archived");
    // an archived vendor still holds its tax id
    app.post(
        VENDORS,
        Role::Admin,
        &json!({"name": "Copycat", "tax_id": "nl-1"}),
    )
    .await
    .expect_problem(409, "duplicate_tax_id");

    app.post(&restore, Role::Admin, &json!({"version": 1}))
        .await
        .expect_problem(409, "version_conflict");
    let restored = app
        .post(&restore, Role::Admin, &json!({"version": 2}))
        .await
        .expect(200);
    assert!(restored.body["archived_at"].is_null(), "{}", restored.text);
    assert_eq!(restored.body["version"], 3);
    let list = app.get(VENDORS, Role::Admin).await.expect(200);
    assert_eq!(ids(list.body["items"].as_array().expect("items")), vec![id]);
    app.patch(
        &vendor_url(id),
        Role::Admin,
        &json!({"version": 3, "name": "Changed"}),
    )
    .await
    .expect(200);
    // archive needs a version (body or If-Match)
    app.post(&archive, Role::Admin, &json!({}))
        .await
        .expect_invalid("version");
    app.post_with_headers(&archive, Role::Admin, &json!({}), &[("If-Match", "\"4\"")])
        .await
        .expect(200);
}

async fn stale_version_conflict(app: TestApp) {
    let id = id_of(&app.create_vendor(json!({"name": "Racy"})).await);
    app.patch(
        &vendor_url(id),
        Role::Admin,
        &json!({"version": 1, "name": "Racy One"}),
    )
    .await
    .expect(200);
    let conflict = app
        .patch(
            &vendor_url(id),
            Role::Admin,
            &json!({"version": 1, "name": "Racy Two"}),
        )
        .await
        .expect_problem(409, "version_conflict");
    assert_eq!(
        conflict.body["context"]["current_version"], 2,
        "{}",
        conflict.text
    );
    let current = app.get(&vendor_url(id), Role::Admin).await.expect(200);
    assert_eq!(
        current.body["name"], "Racy One",
        "the stale update changed nothing"
    );
    assert_eq!(current.body["version"], 2);
    // a version from the future is stale too
    app.patch(
        &vendor_url(id),
        Role::Admin,
        &json!({"version": 99, "name": "Future"}),
    )
    .await
    .expect_problem(409, "version_conflict");
}

async fn if_match_header(app: TestApp) {
    let created = app
        .post(VENDORS, Role::Admin, &json!({"name": "Etag Co"}))
        .await
        .expect(201);
    let id = id_of(&created.body);
    let etag = created.header("etag").expect("ETag on create").to_string();
    let updated = app
        .patch_with_headers(
            &vendor_url(id),
            Role::Admin,
            &json!({"name": "Etag Ltd"}),
            &[("If-Match", &etag)],
        )
        .await
        .expect(200);
    assert_eq!(updated.body["name"], "Etag Ltd");
    assert_eq!(updated.header("etag"), Some("\"2\""));
    // the old ETag is now stale
    let stale = app
        .patch_with_headers(
            &vendor_url(id),
            Role::Admin,
            &json!({"name": "Etag Plc"}),
            &[("If-Match", &etag)],
        )
        .await
        .expect_problem(409, "version_conflict");
    assert_eq!(stale.body["context"]["current_version"], 2);
    // a weak ETag of the current version works
    app.patch_with_headers(
        &vendor_url(id),
        Role::Admin,
        &json!({"name": "Etag GmbH"}),
        &[("If-Match", "W/\"2\"")],
    )
    .await
    .expect(200);
    // garbage is a 400 naming the header
    let bad = app
        .patch_with_headers(
            &vendor_url(id),
            Role::Admin,
            &json!({"name": "Etag SA"}),
            &[("If-Match", "banana")],
        )
        .await
        .expect(400);
    assert!(
        bad.fields().contains(&"If-Match".to_string()),
        "{}",
        bad.text
    );
}

async fn patch_null_clears_tax_id(app: TestApp) {
    let first = app
        .create_vendor(json!({"name": "Holder", "tax_id": "IT 555", "notes": "keep"}))
        .await;
    let id = id_of(&first);
    // absent leaves it alone
    let renamed = app
        .patch(
            &vendor_url(id),
            Role::Admin,
            &json!({"version": 1, "name": "Holder Srl"}),
        )
        .await
        .expect(200);
    assert_eq!(renamed.body["tax_id"], "IT555");
    // null clears it (and only it)
    let cleared = app
        .patch(
            &vendor_url(id),
            Role::Admin,
            &json!({"version": 2, "tax_id": null}),
        )
        .await
        .expect(200);
    assert!(cleared.body["tax_id"].is_null(), "{}", cleared.text);
    assert_eq!(cleared.body["notes"], "keep");
    assert_eq!(cleared.body["name"], "Holder Srl");
    let reread = app.get(&vendor_url(id), Role::Admin).await.expect(200);
    assert!(reread.body["tax_id"].is_null());
    // the tax id is free again
    app.create_vendor(json!({"name": "New Holder", "tax_id": "it555"}))
        .await;
}

/// Racing creates with one tax id: one wins, every other gets the documented 409, never a
/// generic error.
async fn concurrent_duplicate_tax_id(app: TestApp) {
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for i in 0..8 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            app.post(
                VENDORS,
                Role::Procurement,
                &json!({"name": format!("Racer {i}"), "tax_id": "RACE 42"}),
            )
            .await
        }));
    }
    let mut created = 0;
    let mut others = Vec::new();
    for task in tasks {
        let resp = task.await.expect("request task");
        if resp.status.as_u16() == 201 {
            created += 1;
        } else if resp.status.as_u16() != 409 || resp.code() != "duplicate_tax_id" {
            others.push(format!("{} {}", resp.status, resp.text));
        }
    }
    assert_eq!(created, 1, "exactly one racer wins");
    assert!(
        others.is_empty(),
        "losers must get 409 duplicate_tax_id: {others:#?}"
    );
    assert_eq!(app.list_all(VENDORS, Role::Admin).await.len(), 1);
}

both_engines!(
    vendor_crud,
    duplicate_tax_id,
    list_filters,
    pagination,
    archive_and_restore,
    stale_version_conflict,
    if_match_header,
    patch_null_clears_tax_id,
    concurrent_duplicate_tax_id,
);
