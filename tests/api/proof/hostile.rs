//! Every operation of the published OpenAPI document, walked from the live server's own
//! `/openapi.json`: with a token of each role, without a token and with a revoked token (the
//! permission table holds for every endpoint, not a sample), and with hostile text in every
//! string field of every request body (SQL, path traversal, markup, control characters, very
//! long text): never a 5xx, and afterwards the data and the audit chain are intact.

use super::Summary;
use crate::helpers::TestApp;
use procura::auth::permissions::PERMISSIONS;
use procura::auth::Role;
use reqwest::Method;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// The strings put in every string field.
const HOSTILE: [&str; 7] = [
    "'; DROP TABLE vendors; --",
    "../../../../etc/passwd",
    "<script>alert(1)</script>",
    "Robert\u{0000}'); DELETE FROM audit_log; --",
    "\u{202E}gnp.exe",
    "%00%2e%2e%2f%2e%2e%2fboot.ini",
    "${jndi:ldap://127.0.0.1/x}",
];

/// Open endpoints: no token needed.
const OPEN: [&str; 3] = ["/health", "/health/live", "/openapi.json"];

/// One operation of the document.
struct Operation {
    method: Method,
    path: String,
    body_schema: Option<Value>,
}

fn operations(document: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("a path item") {
            let method = match method.as_str() {
                "get" => Method::GET,
                "post" => Method::POST,
                "put" => Method::PUT,
                "patch" => Method::PATCH,
                "delete" => Method::DELETE,
                _ => continue,
            };
            let body_schema = operation["requestBody"]["content"]["application/json"]["schema"]
                .as_object()
                .map(|s| Value::Object(s.clone()));
            out.push(Operation {
                method,
                path: path.clone(),
                body_schema,
            });
        }
    }
    out
}

/// The path with each `{parameter}` replaced by `id`.
fn concrete(path: &str, id: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map(|e| start + e + 1)
            .unwrap_or(rest.len());
        out.push_str(id);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// An instance of `schema` with `text` in every string field (enums keep their first value,
/// formats such as dates get a valid value so that the text reaches the free-text fields).
fn instance(document: &Value, schema: &Value, text: &str, depth: usize) -> Value {
    if depth > 8 {
        return Value::Null;
    }
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        return instance(
            document,
            &document["components"]["schemas"][name],
            text,
            depth + 1,
        );
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(first) = schema[key].as_array().and_then(|options| {
            options
                .iter()
                .find(|o| o["type"] != json!("null"))
                .or(options.first())
        }) {
            return instance(document, first, text, depth + 1);
        }
    }
    if let Some(parts) = schema["allOf"].as_array() {
        let mut merged = Map::new();
        for part in parts {
            if let Value::Object(fields) = instance(document, part, text, depth + 1) {
                merged.extend(fields);
            }
        }
        return Value::Object(merged);
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    let kind = match &schema["type"] {
        Value::String(t) => t.clone(),
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null")
            .to_string(),
        _ if schema["properties"].is_object() => "object".into(),
        _ => "string".into(),
    };
    match kind.as_str() {
        "object" => {
            let mut fields = Map::new();
            if let Some(properties) = schema["properties"].as_object() {
                for (name, property) in properties {
                    fields.insert(name.clone(), instance(document, property, text, depth + 1));
                }
            }
            Value::Object(fields)
        }
        "array" => json!([instance(document, &schema["items"], text, depth + 1)]),
        "integer" => json!(1),
        "number" => json!("1"),
        "boolean" => json!(true),
        "null" => Value::Null,
        _ => match schema["format"].as_str() {
            Some("date") => json!("2026-01-15"),
            Some("date-time") => json!("2026-01-15T00:00:00Z"),
            _ => json!(text),
        },
    }
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value) {
    let body = body.map(|b| ("application/json", serde_json::to_vec(b).expect("JSON")));
    let resp = app.send(method, path, token, body, &[]).await;
    (resp.status.as_u16(), resp.body)
}

fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or("")
}

/// Each operation with each role: a 403 `forbidden` for exactly the roles the permission
/// table leaves out of one of its actions; 401 without a token and with a revoked one; never a
/// 5xx. Operations where every role got the same answer before the permission check (a 400 on
/// a required query parameter, say) are counted as not conclusive.
pub async fn permissions_on_every_endpoint(app: &TestApp, summary: &Summary) {
    let document = app.get_anon("/openapi.json").await.expect(200).body;
    let revoked = app.create_token("to-revoke", Role::Procurement).await;
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        db.write_blocking(|tx| {
            procura::auth::service::revoke_token(tx, "test-harness", "to-revoke")
        })
    })
    .await
    .expect("task")
    .expect("revoked");
    let rows: Vec<BTreeSet<String>> = PERMISSIONS
        .iter()
        .map(|(_, roles)| roles.iter().map(Role::to_string).collect())
        .collect();
    let mut inconclusive = Vec::new();
    for op in operations(&document) {
        let path = concrete(&op.path, "999999");
        let body = op.body_schema.as_ref().map(|_| json!({}));
        let open = OPEN.contains(&op.path.as_str());
        let mut allowed = BTreeSet::new();
        let mut answers = BTreeSet::new();
        for role in Role::ALL {
            let (status, answer) = send(
                app,
                op.method.clone(),
                &path,
                Some(app.token(role)),
                body.as_ref(),
            )
            .await;
            summary.count("permission probe", &status.to_string());
            summary.check(status < 500, || {
                format!("{} {path} as {role}: {status} {answer}", op.method)
            });
            if !(status == 403 && code(&answer) == "forbidden") {
                allowed.insert(role.to_string());
            }
            answers.insert((status, code(&answer).to_string()));
        }
        for (who, token) in [
            ("no token", None),
            ("a revoked token", Some(revoked.as_str())),
        ] {
            let (status, answer) = send(app, op.method.clone(), &path, token, body.as_ref()).await;
            summary.count("unauthenticated probe", &status.to_string());
            summary.check(open || status == 401, || {
                format!(
                    "{} {path} with {who}: {status} {answer}, not 401",
                    op.method
                )
            });
        }
        if open {
            continue;
        }
        if answers.len() == 1 && allowed.len() == Role::ALL.len() {
            inconclusive.push(format!("{} {} ({:?})", op.method, op.path, answers));
            continue;
        }
        summary.check(rows.contains(&allowed), || {
            format!(
                "{} {}: allowed {allowed:?}, which is no action's row of the permission table",
                op.method, op.path
            )
        });
    }
    println!(
        "  permission probes not conclusive (every role answered the same before the check): {}",
        inconclusive.len()
    );
    for op in &inconclusive {
        println!("    {op}");
    }
}

/// Every operation with a JSON body, as an admin, with hostile text in every string field.
pub async fn hostile_text_in_every_field(app: &TestApp, summary: &Summary) {
    let document = app.get_anon("/openapi.json").await.expect(200).body;
    let vendors_before = app.list_all("/api/v1/vendors", Role::Admin).await.len();
    for op in operations(&document) {
        let Some(schema) = &op.body_schema else {
            continue;
        };
        let path = concrete(&op.path, "1");
        for text in HOSTILE.iter().copied().chain([&"x".repeat(100_000)[..]]) {
            let body = instance(&document, schema, text, 0);
            let (status, answer) = send(
                app,
                op.method.clone(),
                &path,
                Some(app.admin()),
                Some(&body),
            )
            .await;
            summary.count("hostile body", &status.to_string());
            summary.check(status < 500, || {
                format!("{} {path} with {text:.40}: {status} {answer}", op.method)
            });
            if let Some(leak) = [
                "/etc/passwd:",
                "root:x:0:0",
                "syntax error",
                "SQLSTATE",
                "near \"",
            ]
            .iter()
            .find(|leak| answer.to_string().contains(*leak))
            {
                summary.violation(format!(
                    "{} {path}: the answer leaks `{leak}`: {answer}",
                    op.method
                ));
            }
        }
    }
    let vendors = app.list_all("/api/v1/vendors", Role::Admin).await;
    summary.check(vendors.len() >= vendors_before, || {
        "vendors disappeared after the hostile bodies".to_string()
    });
    let verify = app
        .get("/api/v1/audit/verify", Role::Admin)
        .await
        .expect(200)
        .body;
    summary.check(verify["valid"] == json!(true), || {
        format!("the audit chain does not verify after the hostile bodies: {verify}")
    });
}

/// The segregation-of-duties rules, each tried by the one token it must stop and then done by
/// another allowed role: a PO's requester approving it, its approver receiving it, an invoice's
/// recorder approving it, a budget change's proposer deciding it.
pub async fn segregation_of_duties(app: &TestApp, summary: &Summary) {
    use Role::{Admin, Finance, Pm, Procurement};
    let vendor = crate::helpers::id_of(&app.create_vendor(json!({"name": "SoD Vendor"})).await);
    let project = crate::helpers::id_of(
        &app.create_project(json!({"code": "SOD", "name": "Duties", "currency": "EUR",
                                   "start_date": "2026-01-01", "end_date": "2026-12-31"}))
            .await,
    );
    let line = crate::helpers::id_of(
        &app.create_budget_line(json!({"project_id": project, "category": "opex",
                                       "cost_center": "SOD", "amount": "10000.00"}))
            .await,
    );
    let refused = |what: &str, resp: &crate::helpers::Resp| {
        summary.count("segregation probe", &resp.status.as_u16().to_string());
        summary.check(
            resp.status.as_u16() == 403 && resp.code() == "segregation_of_duties",
            || format!("{what}: {} {}", resp.status, resp.text),
        );
    };
    let allowed = |what: &str, resp: crate::helpers::Resp| -> Value {
        summary.count("segregation probe", &resp.status.as_u16().to_string());
        summary.check(resp.status.is_success(), || {
            format!("{what} by another role: {} {}", resp.status, resp.text)
        });
        resp.body
    };

    // A PO raised and submitted by procurement: procurement may approve POs, not its own.
    let po = app
        .post(
            "/api/v1/purchase-orders",
            Procurement,
            &json!({"vendor_id": vendor, "project_id": project, "currency": "EUR",
                    "order_date": "2026-03-01",
                    "lines": [{"description": "Switch", "quantity": "2", "unit": "each",
                               "unit_price": "100.00", "budget_line_id": line}]}),
        )
        .await
        .body;
    let url = format!("/api/v1/purchase-orders/{}", po["id"]);
    let po = allowed(
        "submit",
        app.post(
            &format!("{url}/submit"),
            Procurement,
            &json!({"version": po["version"]}),
        )
        .await,
    );
    let resp = app
        .post(
            &format!("{url}/approve"),
            Procurement,
            &json!({"version": po["version"]}),
        )
        .await;
    refused("the requester approving their PO", &resp);
    let po = allowed(
        "approve",
        app.post(
            &format!("{url}/approve"),
            Finance,
            &json!({"version": po["version"]}),
        )
        .await,
    );
    allowed(
        "issue",
        app.post(
            &format!("{url}/issue"),
            Procurement,
            &json!({"version": po["version"]}),
        )
        .await,
    );
    // A PO's approver may not receive it: finance cannot receive at all, so a second PO
    // (raised by the PM) is approved by an admin, whom receiving is then refused.
    let po2 = app
        .post(
            "/api/v1/purchase-orders",
            Pm,
            &json!({"vendor_id": vendor, "project_id": project, "currency": "EUR",
                    "order_date": "2026-03-01",
                    "lines": [{"description": "Cable", "quantity": "1", "unit": "each",
                               "unit_price": "50.00", "budget_line_id": line}]}),
        )
        .await
        .body;
    let url2 = format!("/api/v1/purchase-orders/{}", po2["id"]);
    let po2 = allowed(
        "submit",
        app.post(
            &format!("{url2}/submit"),
            Pm,
            &json!({"version": po2["version"]}),
        )
        .await,
    );
    let po2 = allowed(
        "approve",
        app.post(
            &format!("{url2}/approve"),
            Admin,
            &json!({"version": po2["version"]}),
        )
        .await,
    );
    let po2 = allowed(
        "issue",
        app.post(
            &format!("{url2}/issue"),
            Pm,
            &json!({"version": po2["version"]}),
        )
        .await,
    );
    let receipt = json!({"received_on": "2026-03-05",
                         "lines": [{"po_line_id": po2["lines"][0]["id"], "quantity": "1"}]});
    let resp = app.post(&format!("{url2}/receipts"), Admin, &receipt).await;
    refused("the approver receiving their PO", &resp);
    allowed(
        "receive",
        app.post(&format!("{url2}/receipts"), Pm, &receipt).await,
    );

    // An invoice recorded by finance: finance may approve invoices, not its own.
    let invoice = allowed(
        "record invoice",
        app.post(
            "/api/v1/invoices",
            Finance,
            &json!({"vendor_id": vendor, "number": "SOD-1", "invoice_date": "2026-03-10",
                    "currency": "EUR",
                    "lines": [{"po_line_id": po2["lines"][0]["id"], "quantity": "1",
                               "unit_price": "50.00"}]}),
        )
        .await,
    );
    let iurl = format!("/api/v1/invoices/{}", invoice["id"]);
    let resp = app
        .post(
            &format!("{iurl}/approve"),
            Finance,
            &json!({"version": invoice["version"]}),
        )
        .await;
    refused("the recorder approving their invoice", &resp);
    allowed(
        "approve invoice",
        app.post(
            &format!("{iurl}/approve"),
            Admin,
            &json!({"version": invoice["version"]}),
        )
        .await,
    );

    // A budget change proposed by finance: finance decides budget changes, not its own.
    let request = allowed(
        "propose a budget change",
        app.post(
            &format!("/api/v1/budget-lines/{line}/change-requests"),
            Finance,
            &json!({"amount": "12000.00", "reason": "Scope grew"}),
        )
        .await,
    );
    let curl = format!("/api/v1/budget-change-requests/{}", request["id"]);
    let resp = app
        .post(&format!("{curl}/approve"), Finance, &json!({}))
        .await;
    refused("the proposer approving their budget change", &resp);
    allowed(
        "approve a budget change",
        app.post(&format!("{curl}/approve"), Admin, &json!({}))
            .await,
    );
}
