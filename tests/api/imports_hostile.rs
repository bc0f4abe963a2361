//! What spreadsheet imports refuse, each with a 4xx problem document, in bounded time and
//! memory, writing nothing and leaving the server healthy: zip bombs, truncated and renamed
//! files, sheets that claim a million rows or columns, OpenDocument repeats, a file over the
//! size limit (limits are settings), a form without its parts, a sheet without a required
//! column; and roles without the write permission of the kind imported.

use crate::helpers::{id_of, s, Resp, TestApp};
use crate::imports::{report_of, upload, upload_fixture, IMPORTS};
use crate::p2p_fixtures::{fixture, INVOICES};
use procura::auth::Role::{Admin, Finance, Pm, Procurement, Viewer};
use reqwest::multipart::{Form, Part};

async fn assert_healthy_and_untouched(app: &TestApp) {
    let health = app.get_anon("/health").await.expect(200);
    assert_eq!(health.body["status"], "ok", "{}", health.text);
    assert!(
        app.list_all("/api/v1/vendors", Admin).await.is_empty(),
        "no vendor was written"
    );
}

async fn imports_hostile_files_are_refused(app: TestApp) {
    for (file, code) in [
        ("hostile_zip_bomb.xlsx", "file_expands_too_far"),
        ("hostile_truncated.xlsx", "unreadable_file"),
        ("hostile_renamed_binary.xlsx", "unreadable_file"),
        ("hostile_max_dimensions.xlsx", "too_many_columns"),
        ("hostile_million_rows.xlsx", "too_many_rows"),
        ("hostile_wide.csv", "too_many_columns"),
    ] {
        let refused = upload_fixture(&app, Procurement, file, "vendors", &[]).await;
        assert_eq!(refused.code(), code, "{file}: {}", refused.text);
        refused.expect_problem(422, code);
    }
    // 1,048,576 repeated rows of 16,384 non-empty cells: refused by a limit, never expanded.
    let repeat = upload_fixture(&app, Procurement, "hostile_repeat.ods", "vendors", &[])
        .await
        .expect(422);
    assert!(
        ["too_many_rows", "too_many_columns", "too_many_cells"].contains(&repeat.code()),
        "{}",
        repeat.text
    );
    let code = repeat.code().to_string();
    let repeat = repeat.expect_problem(422, &code);
    assert!(
        repeat.body["context"]["sheet"] == "Vendors",
        "{}",
        repeat.text
    );
    assert_healthy_and_untouched(&app).await;
}

async fn imports_limits_are_settings(app: TestApp) {
    let small = TestApp::spawn_with(app.engine, |settings| {
        settings.import_limits.max_bytes = 4096;
        settings.import_limits.max_rows = 3;
    })
    .await
    .expect("the engine of the test is available");
    // vendors_openpyxl.xlsx is 5,391 bytes.
    let big = upload_fixture(&small, Procurement, "vendors_openpyxl.xlsx", "vendors", &[])
        .await
        .expect_problem(413, "payload_too_large");
    assert_eq!(big.body["context"]["limit_bytes"], 4096, "{}", big.text);
    let rows = "Name\r\nA Ltd\r\nB Ltd\r\nC Ltd\r\nD Ltd\r\n";
    upload(&small, Procurement, rows.into(), "four.csv", "vendors", &[])
        .await
        .expect_problem(422, "too_many_rows");
    // Invoices are recorded while the file is still being read: the limit stops them as well.
    let invoices = "Invoice Number,Vendor,Invoice Date,Currency,Amount\r\n\
                    INV-1,A Ltd,2026-05-01,EUR,10.00\r\nINV-2,A Ltd,2026-05-02,EUR,10.00\r\n\
                    INV-3,A Ltd,2026-05-03,EUR,10.00\r\nINV-4,A Ltd,2026-05-04,EUR,10.00\r\n";
    upload(
        &small,
        Finance,
        invoices.into(),
        "four.csv",
        "invoices",
        &[],
    )
    .await
    .expect_problem(422, "too_many_rows");
    let three = "Name\r\nA Ltd\r\nB Ltd\r\nC Ltd\r\n";
    upload(
        &small,
        Procurement,
        three.into(),
        "three.csv",
        "vendors",
        &[],
    )
    .await
    .expect(201);
    assert_healthy_and_untouched(&app).await;
}

/// The invoice import records invoices while it reads: a limit met after a whole batch was
/// recorded still leaves nothing behind, invoices or audit rows.
async fn imports_stopped_after_recording_leave_nothing(app: TestApp) {
    use procura::imports::kinds::invoices::BATCH_LINES;
    let lines_per_invoice = 10;
    let rows = BATCH_LINES + 2_000;
    let limited = TestApp::spawn_with(app.engine, |settings| {
        settings.import_limits.max_rows = rows - 1;
    })
    .await
    .expect("the engine of the test is available");
    fixture(&limited, "LIM", None, "100000000.00").await;
    let mut csv = String::from(
        "Invoice Number,Vendor,Invoice Date,Currency,Project,Category,Cost Center,Amount\r\n",
    );
    for n in 0..rows {
        // Each invoice its own total, so that none is a suspected duplicate of another.
        let invoice = n / lines_per_invoice;
        csv.push_str(&format!(
            "INV-{invoice:05},Vendor LIM,2026-05-10,EUR,LIM,capex,CC-1,{}.00\r\n",
            invoice + 1
        ));
    }
    upload(
        &limited,
        Finance,
        csv.into_bytes(),
        "many.csv",
        "invoices",
        &[],
    )
    .await
    .expect_problem(422, "too_many_rows");
    assert!(
        limited.list_all(INVOICES, Finance).await.is_empty(),
        "no invoice was kept"
    );
    assert!(
        limited
            .list_all("/api/v1/audit?entity=invoice", Admin)
            .await
            .is_empty(),
        "no invoice was audited"
    );
}

async fn post_form(app: &TestApp, form: Form) -> Resp {
    app.post_multipart(IMPORTS, Procurement, form).await
}

fn vendors_csv() -> Part {
    Part::bytes(b"Name\r\nA Ltd\r\n".to_vec()).file_name("vendors.csv")
}

async fn imports_form_and_header_problems_are_named(app: TestApp) {
    // A form without a kind, with an unknown kind, without a file, with an unknown field.
    post_form(&app, Form::new().part("file", vendors_csv()))
        .await
        .expect_invalid("kind");
    post_form(
        &app,
        Form::new()
            .part("file", vendors_csv())
            .text("kind", "widgets"),
    )
    .await
    .expect_invalid("kind");
    post_form(&app, Form::new().text("kind", "vendors"))
        .await
        .expect_invalid("file");
    let many = post_form(
        &app,
        Form::new()
            .text("kind", "vendors")
            .text("dry_run", "perhaps")
            .text("colour", "blue"),
    )
    .await
    .expect_problem(422, "validation_failed");
    let mut fields = many.fields();
    fields.sort();
    assert_eq!(
        fields,
        ["colour", "dry_run", "file"],
        "every bad part at once"
    );
    // The form is bounded as a whole, not only its file: endless small parts are refused.
    let mut flood = Form::new()
        .text("kind", "vendors")
        .part("file", vendors_csv());
    for i in 0..200 {
        flood = flood.text(format!("field{i}"), "x".repeat(4000));
    }
    let flooded = post_form(&app, flood)
        .await
        .expect_problem(400, "invalid_upload");
    assert_eq!(flooded.fields(), ["body"], "{}", flooded.text);
    // A stated sheet that does not exist.
    upload_fixture(
        &app,
        Procurement,
        "vendors_openpyxl.xlsx",
        "vendors",
        &[("sheet", "Vendors")],
    )
    .await
    .expect_problem(422, "sheet_not_found");

    // A sheet without a required column: one error naming it, before any row is read.
    let no_name = "Tax ID,Emails\r\nGB 1,a@b.example\r\n";
    let missing = upload(
        &app,
        Procurement,
        no_name.into(),
        "no-name.csv",
        "vendors",
        &[],
    )
    .await
    .expect_problem(422, "missing_columns");
    assert_eq!(missing.fields(), ["no-name!1"], "{}", missing.text);
    assert!(
        missing
            .field_message("no-name!1")
            .is_some_and(|m| m.contains("Name")),
        "{}",
        missing.text
    );
    // Nothing about an empty file is guessed.
    upload(&app, Procurement, Vec::new(), "empty.csv", "vendors", &[])
        .await
        .expect_problem(422, "empty_file");
    assert_healthy_and_untouched(&app).await;
}

/// An import needs the permission that writing its records through the API needs; so does
/// reading its report and error workbook.
async fn imports_need_the_kinds_write_permission(app: TestApp) {
    for role in [Viewer, Finance, Pm] {
        upload_fixture(&app, role, "vendors_openpyxl.xlsx", "vendors", &[])
            .await
            .expect_problem(403, "forbidden");
    }
    assert!(app.list_all("/api/v1/vendors", Admin).await.is_empty());
    let done = upload_fixture(&app, Procurement, "vendors_openpyxl.xlsx", "vendors", &[])
        .await
        .expect(201);
    let record = format!("{IMPORTS}/{}", id_of(&done.body));
    for role in [Viewer, Finance] {
        app.get(&record, role)
            .await
            .expect_problem(403, "forbidden");
    }
    app.get(&record, Admin).await.expect(200);

    let formula = "vendors_formula_no_cache.xlsx";
    let rejected = upload_fixture(&app, Procurement, formula, "vendors", &[])
        .await
        .expect(422);
    let link = s(&report_of(&rejected)["error_workbook"]).to_string();
    app.get(&link, Finance)
        .await
        .expect_problem(403, "forbidden");
    let workbook = app.get(&link, Procurement).await.expect(200);
    assert_eq!(
        workbook.content_type(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    // FX rates are finance's: finance may import them, procurement may not.
    upload_fixture(&app, Procurement, "fx_rates_legacy.xls", "fx_rates", &[])
        .await
        .expect_problem(403, "forbidden");
    upload_fixture(&app, Finance, "fx_rates_legacy.xls", "fx_rates", &[])
        .await
        .expect(201);
    app.get(&format!("{IMPORTS}/999999"), Admin)
        .await
        .expect_problem(404, "not_found");
}

both_engines!(
    imports_hostile_files_are_refused,
    imports_limits_are_settings,
    imports_stopped_after_recording_leave_nothing,
    imports_form_and_header_problems_are_named,
    imports_need_the_kinds_write_permission,
);
