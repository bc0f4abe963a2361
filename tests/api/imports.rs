//! Spreadsheet imports over HTTP (`POST /api/v1/imports`): every kind from the files people
//! keep (openpyxl, LibreOffice, Excel 97–2003, OpenDocument, CSV in three encodings), read back
//! through the ordinary API to the cent; all-or-nothing writes with a report, an error workbook
//! and a once-only SHA-256; dry runs. Refusals (hostile files, limits, malformed forms,
//! permissions) are in `imports_hostile`.
//!
//! Fixture files are described in `tests/fixtures/imports/README.md`; files a test needs beyond
//! them are built in the test: CSV text, or xlsx through rust_xlsxwriter with [`xlsx`], whose
//! rows are written `A|B|C` like a table.

use crate::helpers::{download, id_of, open_xlsx, s, Resp, TestApp};
use crate::p2p_fixtures::{fixture, issued, line, order, po_url, received, INVOICES};
use chrono::Datelike;
use procura::auth::Role::{self, Admin, Finance, Procurement, Viewer};
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{Read, Write};

pub const IMPORTS: &str = "/api/v1/imports";

/// The bytes of `tests/fixtures/imports/<name>`.
pub fn fixture_file(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/imports")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Uploads `bytes` as `file_name` for an import of `kind`, with extra form fields, as `role`.
pub async fn upload(
    app: &TestApp,
    role: Role,
    bytes: Vec<u8>,
    file_name: &str,
    kind: &str,
    extra: &[(&str, &str)],
) -> Resp {
    let mut form = Form::new()
        .part("file", Part::bytes(bytes).file_name(file_name.to_string()))
        .text("kind", kind.to_string());
    for (name, value) in extra {
        form = form.text(name.to_string(), value.to_string());
    }
    app.post_multipart(IMPORTS, role, form).await
}

/// Uploads the fixture `name` for an import of `kind`.
pub async fn upload_fixture(
    app: &TestApp,
    role: Role,
    name: &str,
    kind: &str,
    extra: &[(&str, &str)],
) -> Resp {
    upload(app, role, fixture_file(name), name, kind, extra).await
}

/// An xlsx workbook of one sheet, written by rust_xlsxwriter. Each row is its cells joined by
/// `|`. A cell is text, except `num:<n>` (a number cell), `date:<YYYY-MM-DD>` (a date cell)
/// and nothing (left empty).
pub fn xlsx(sheet: &str, rows: &[&str]) -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let ws = book.add_worksheet();
    ws.set_name(sheet).expect("a valid sheet name");
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.split('|').enumerate() {
            let (r, c) = (r as u32, c as u16);
            let written = if cell.is_empty() {
                continue;
            } else if let Some(number) = cell.strip_prefix("num:") {
                let number: f64 = number.parse().expect("num: cells hold a number");
                ws.write_number(r, c, number).map(|_| ())
            } else if let Some(day) = cell.strip_prefix("date:") {
                let day = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
                    .expect("date: cells hold YYYY-MM-DD");
                let (y, m, d) = (day.year() as u16, day.month() as u8, day.day() as u8);
                let serial = ExcelDateTime::from_ymd(y, m, d).expect("a date Excel can hold");
                ws.write_datetime_with_format(r, c, &serial, &date)
                    .map(|_| ())
            } else {
                ws.write_string(r, c, cell).map(|_| ())
            };
            written.expect("the cell is written");
        }
    }
    book.save_to_buffer().expect("the workbook is written")
}

/// A copy of the zip package `bytes` with `from` replaced by `to` in the part `part`.
fn patched_zip(bytes: &[u8], part: &str, from: &str, to: &str) -> Vec<u8> {
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("the fixture is a zip package");
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).expect("a readable part");
        let name = entry.name().expect("a part name").to_string();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).expect("the part inflates");
        if name == part {
            let text = String::from_utf8(content).expect("the part is XML text");
            assert!(text.contains(from), "{part} has no {from}");
            content = text.replacen(from, to, 1).into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .expect("a new part");
        out.write_all(&content).expect("the part is written");
    }
    out.finish().expect("the package is written").into_inner()
}

/// The import report of an answer: the body of a 200 or 201, `context.report` of a 422.
pub fn report_of(resp: &Resp) -> &Value {
    if resp.status.as_u16() == 422 {
        &resp.body["context"]["report"]
    } else {
        &resp.body
    }
}

/// A report's (created, updated, unchanged).
pub fn counts(report: &Value) -> (u64, u64, u64) {
    let n = |field: &str| {
        report[field]
            .as_u64()
            .unwrap_or_else(|| panic!("no {field} in {report}"))
    };
    (n("created"), n("updated"), n("unchanged"))
}

/// A report's errors as (cell, rule): `P3`, or the row number alone for a whole row.
pub fn error_cells(report: &Value) -> Vec<(String, String)> {
    report["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {report}"))
        .iter()
        .map(|e| {
            let row = e["row"].as_u64().expect("an error names its row");
            let cell = match e["column"].as_str() {
                Some(column) => format!("{column}{row}"),
                None => row.to_string(),
            };
            (cell, s(&e["rule"]).to_string())
        })
        .collect()
}

/// Asserts a rejected import (422 `import_rejected`) with exactly these (cell, rule) errors,
/// nothing kept and its record linked; returns its report.
#[track_caller]
pub fn expect_rejected(resp: Resp, expected: &[(&str, &str)]) -> Value {
    let resp = resp.expect_problem(422, "import_rejected");
    let report = report_of(&resp).clone();
    assert_eq!(s(&report["status"]), "rejected", "{report}");
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(c, r)| (c.to_string(), r.to_string()))
        .collect();
    assert_eq!(error_cells(&report), expected, "{report}");
    assert_eq!(report["error_count"], json!(expected.len()), "{report}");
    for document in report["documents"].as_array().into_iter().flatten() {
        assert!(document["id"].is_null(), "nothing was kept: {document}");
    }
    let id = id_of(&report);
    let record = format!("{IMPORTS}/{id}");
    assert_eq!(resp.header("location"), Some(record.as_str()));
    assert_eq!(
        s(&report["error_workbook"]),
        format!("{record}/errors.xlsx")
    );
    report
}

/// The first error's (header, value as written, message).
fn first_error(report: &Value) -> (&str, &str, &str) {
    let e = &report["errors"][0];
    (s(&e["header"]), s(&e["value"]), s(&e["message"]))
}

/// The ids of a report's documents, in file order.
fn document_ids(report: &Value) -> Vec<i64> {
    report["documents"]
        .as_array()
        .unwrap_or_else(|| panic!("no documents in {report}"))
        .iter()
        .map(id_of)
        .collect()
}

/// One field of every document of a report, in file order.
fn documents<'a>(report: &'a Value, field: &str) -> Vec<&'a str> {
    report["documents"]
        .as_array()
        .unwrap_or_else(|| panic!("no documents in {report}"))
        .iter()
        .map(|d| s(&d[field]))
        .collect()
}

/// Each reported document's (first row, last row).
fn document_spans(report: &Value) -> Vec<(u64, u64)> {
    report["documents"]
        .as_array()
        .unwrap_or_else(|| panic!("no documents in {report}"))
        .iter()
        .map(|d| {
            let row = |field: &str| {
                d[field]
                    .as_u64()
                    .unwrap_or_else(|| panic!("no {field} in {d}"))
            };
            (row("first_row"), row("last_row"))
        })
        .collect()
}

/// Every item of a list endpoint, keyed by `key(item)`.
async fn keyed(
    app: &TestApp,
    path: &str,
    key: impl Fn(&Value) -> String,
) -> BTreeMap<String, Value> {
    let items = app.list_all(path, Admin).await;
    items.into_iter().map(|item| (key(&item), item)).collect()
}

async fn vendors(app: &TestApp) -> BTreeMap<String, Value> {
    keyed(app, "/api/v1/vendors", |v| s(&v["name"]).to_string()).await
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("expected an array, found {value}"))
        .iter()
        .map(|v| s(v))
        .collect()
}

/// A cell of a sheet as text ("" when empty), at 0-based (row, column).
fn cell_text(range: &calamine::Range<calamine::Data>, row: u32, column: u32) -> String {
    range
        .get_value((row, column))
        .map(|d| d.to_string())
        .unwrap_or_default()
}

async fn project_dc_move(app: &TestApp) -> i64 {
    id_of(
        &app.create_project(json!({
            "code": "DC-MOVE", "name": "Data-center move", "currency": "EUR",
            "start_date": "2027-01-01", "end_date": "2027-12-31"
        }))
        .await,
    )
}

// ---------------------------------------------------------------------------------------------
// Vendors
// ---------------------------------------------------------------------------------------------

async fn imports_vendors_update_by_natural_key_and_only_once(app: TestApp) {
    let first = upload_fixture(&app, Procurement, "vendors_openpyxl.xlsx", "vendors", &[])
        .await
        .expect(201);
    let report = first.body.clone();
    let import_id = id_of(&report);
    assert_eq!(
        first.header("location"),
        Some(format!("{IMPORTS}/{import_id}").as_str())
    );
    assert_eq!(
        (
            s(&report["status"]),
            s(&report["format"]),
            s(&report["sheet"])
        ),
        ("committed", "xlsx", "Suppliers"),
        "the only sheet is read though it is not named Vendors"
    );
    assert_eq!(
        (report["rows"].as_u64(), counts(&report)),
        (Some(4), (4, 0, 0))
    );
    assert_eq!(
        report["unknown_columns"],
        json!([{"column": "G", "header": "Account Manager"}])
    );
    assert_eq!(report["error_count"], json!(0));
    let mapped: Vec<(&str, &str)> = report["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| (s(&c["column"]), s(&c["field"])))
        .collect();
    assert_eq!(
        mapped,
        [
            ("A", "name"),
            ("B", "tax_id"),
            ("C", "emails"),
            ("D", "status"),
            ("E", "tags"),
            ("F", "notes")
        ]
    );

    let all = vendors(&app).await;
    assert_eq!(all.len(), 4, "{all:?}");
    let northwind = &all["Northwind Networks Ltd"];
    assert_eq!(s(&northwind["tax_id"]), "GB123456789");
    assert_eq!(strings(&northwind["emails"]), ["ap@northwind.example"]);
    assert_eq!(strings(&northwind["tags"]), ["network", "wan"]);
    assert_eq!(s(&northwind["notes"]), "Primary WAN carrier");
    let contoso = &all["Contoso Racks GmbH"];
    assert_eq!(s(&contoso["tax_id"]), "DE811907980");
    assert_eq!(
        strings(&contoso["emails"]),
        [
            "billing@contoso-racks.example",
            "orders@contoso-racks.example"
        ]
    );
    assert_eq!(strings(&contoso["tags"]), ["colo", "racks"], "kept sorted");
    assert!(contoso["notes"].is_null(), "{contoso}");
    let fabrikam = &all["Fabrikam Cabling"];
    assert!(fabrikam["tax_id"].is_null(), "{fabrikam}");
    assert_eq!(s(&fabrikam["status"]), "blocked");
    assert_eq!(strings(&fabrikam["emails"]), ["invoices@fabrikam.example"]);
    assert_eq!(s(&all["Litware Cloud Inc"]["tax_id"]), "US123456789");
    let in_file_order: Vec<i64> = [
        "Northwind Networks Ltd",
        "Contoso Racks GmbH",
        "Fabrikam Cabling",
        "Litware Cloud Inc",
    ]
    .iter()
    .map(|name| id_of(&all[*name]))
    .collect();
    assert_eq!(document_ids(&report), in_file_order);
    let stored = app
        .get(&format!("{IMPORTS}/{import_id}"), Procurement)
        .await
        .expect(200);
    assert_eq!(
        stored.body, report,
        "the stored report reads back as returned"
    );

    // The same bytes again are refused, naming the first import.
    let again = upload_fixture(&app, Procurement, "vendors_openpyxl.xlsx", "vendors", &[])
        .await
        .expect_problem(409, "duplicate_import");
    assert_eq!(again.body["context"]["import_id"], json!(import_id));
    assert!(
        s(&again.body["detail"]).contains(&format!("import {import_id} ")),
        "{}",
        again.text
    );

    // LibreOffice's copy caches the formula's value FABRIKAM CABLING: the vendor matched by
    // name is renamed; the others match by tax id and are unchanged.
    let resaved = upload_fixture(
        &app,
        Procurement,
        "vendors_libreoffice.xlsx",
        "vendors",
        &[],
    )
    .await
    .expect(201);
    assert_eq!(counts(&resaved.body), (0, 1, 3), "{}", resaved.text);
    assert_eq!(
        documents(&resaved.body, "action"),
        ["unchanged", "unchanged", "updated", "unchanged"]
    );
    let all = vendors(&app).await;
    assert_eq!(all.len(), 4, "no vendor was added: {all:?}");
    assert_eq!(id_of(&all["FABRIKAM CABLING"]), id_of(fabrikam));

    // openpyxl's copy has a formula without a saved value in A4: refused, nothing changes.
    let refused = upload_fixture(
        &app,
        Procurement,
        "vendors_formula_no_cache.xlsx",
        "vendors",
        &[],
    )
    .await;
    assert_eq!(refused.fields(), ["Suppliers!A4"], "{}", refused.text);
    let report = expect_rejected(refused, &[("A4", "formula_without_value")]);
    let (header, value, _) = first_error(&report);
    assert_eq!(
        (header, value),
        ("Supplier Name", "=UPPER(\"fabrikam cabling\")")
    );
    assert_eq!(
        vendors(&app).await,
        all,
        "a rejected import changes nothing"
    );

    // Each commit is audited, and the chain still verifies.
    let audited = app
        .list_all("/api/v1/audit?action=import.commit", Admin)
        .await;
    let rows: Vec<(&str, &str, &str)> = audited
        .iter()
        .map(|row| {
            (
                s(&row["entity"]),
                s(&row["entity_id"]),
                s(&row["after"]["file_name"]),
            )
        })
        .collect();
    let (first_id, resaved_id) = (import_id.to_string(), id_of(&resaved.body).to_string());
    assert_eq!(
        rows,
        [
            ("import", first_id.as_str(), "vendors_openpyxl.xlsx"),
            ("import", resaved_id.as_str(), "vendors_libreoffice.xlsx")
        ]
    );
    assert_eq!(audited[0]["after"]["created"], json!(4));
    let verified = app.get("/api/v1/audit/verify", Admin).await.expect(200);
    assert_eq!(verified.body["valid"], json!(true), "{}", verified.text);
}

async fn imports_dry_run_writes_nothing(app: TestApp) {
    let dry_run = [("dry_run", "true")];
    let dry = upload_fixture(
        &app,
        Procurement,
        "vendors_openpyxl.xlsx",
        "vendors",
        &dry_run,
    )
    .await
    .expect(200);
    let report = &dry.body;
    assert_eq!(
        (s(&report["status"]), report["dry_run"].as_bool()),
        ("validated", Some(true))
    );
    assert_eq!(counts(report), (4, 0, 0));
    let listed = report["documents"].as_array().expect("documents");
    assert_eq!(listed.len(), 4);
    assert!(listed.iter().all(|d| d["id"].is_null()), "{report}");
    assert!(report["error_workbook"].is_null(), "{report}");
    assert!(vendors(&app).await.is_empty(), "a dry run writes no vendor");
    let audited = app
        .list_all("/api/v1/audit?action=import.commit", Admin)
        .await;
    assert!(audited.is_empty(), "{audited:?}");
    let stored = app
        .get(&format!("{IMPORTS}/{}", id_of(report)), Procurement)
        .await
        .expect(200);
    assert_eq!(s(&stored.body["status"]), "validated");

    // The dry run is not the file's import: the real one follows.
    let real = upload_fixture(&app, Procurement, "vendors_openpyxl.xlsx", "vendors", &[])
        .await
        .expect(201);
    assert_eq!(counts(&real.body), (4, 0, 0));
    assert_eq!(vendors(&app).await.len(), 4);
}

// ---------------------------------------------------------------------------------------------
// FX rates
// ---------------------------------------------------------------------------------------------

async fn rates(app: &TestApp) -> BTreeMap<String, Value> {
    keyed(app, "/api/v1/fx-rates", |r| {
        format!("{} {}→{}", s(&r["date"]), s(&r["from"]), s(&r["to"]))
    })
    .await
}

/// The (rate, source) of the rate keyed `date from→to`.
fn rate_of(all: &BTreeMap<String, Value>, key: &str) -> (String, String) {
    let rate = all
        .get(key)
        .unwrap_or_else(|| panic!("no rate {key} in {all:?}"));
    (s(&rate["rate"]).to_string(), s(&rate["source"]).to_string())
}

/// The xlsb fixture, written record by record from [MS-XLSB] by `make_xlsb.py`: shared and
/// inline strings, a date serial with the built-in date format, an RK number and doubles.
async fn imports_fx_rates_from_xlsb(app: TestApp) {
    let xlsb = upload_fixture(&app, Finance, "fx_rates_handmade.xlsb", "fx_rates", &[])
        .await
        .expect(201);
    assert_eq!(
        (
            s(&xlsb.body["format"]),
            s(&xlsb.body["sheet"]),
            counts(&xlsb.body)
        ),
        ("xlsb", "FX Rates", (3, 0, 0)),
        "{}",
        xlsb.body
    );
    let all = rates(&app).await;
    assert_eq!(all.len(), 3, "{all:?}");
    for (key, rate, source) in [
        ("2027-01-01 USD→EUR", "0.9215", "ECB"),
        ("2027-01-01 GBP→EUR", "1.1862", "ECB"),
        ("2027-02-01 CHF→EUR", "1.05", "manual"),
    ] {
        assert_eq!(rate_of(&all, key), (rate.to_string(), source.to_string()));
    }
}

async fn imports_fx_rates_exactly_from_ods_1904_and_xls(app: TestApp) {
    let ods = upload_fixture(&app, Finance, "fx_rates_libreoffice.ods", "fx_rates", &[])
        .await
        .expect(201);
    assert_eq!(
        (s(&ods.body["format"]), counts(&ods.body)),
        ("ods", (6, 0, 0))
    );
    let all = rates(&app).await;
    assert_eq!(all.len(), 6, "{all:?}");
    for (key, rate, source) in [
        ("2027-01-01 USD→EUR", "0.9215", "ECB"),
        ("2027-02-01 USD→EUR", "0.9301", "ECB"),
        ("2027-01-01 GBP→EUR", "1.1862", "ECB"),
        ("2027-01-01 JPY→EUR", "0.0061234567", "ECB"),
        ("2027-01-01 CHF→EUR", "1.0412", "ECB"),
        ("2027-03-01 USD→EUR", "0.1", "manual"),
    ] {
        assert_eq!(rate_of(&all, key), (rate.to_string(), source.to_string()));
    }

    // Serial 44940 in the 1904 system is 2027-01-15 (in the 1900 system, 2023-01-14).
    let mac = upload_fixture(&app, Finance, "fx_rates_1904.xlsx", "fx_rates", &[])
        .await
        .expect(201);
    assert_eq!(
        (s(&mac.body["format"]), counts(&mac.body)),
        ("xlsx", (2, 0, 0))
    );
    let xls = upload_fixture(&app, Finance, "fx_rates_legacy.xls", "fx_rates", &[])
        .await
        .expect(201);
    assert_eq!(
        (s(&xls.body["format"]), counts(&xls.body)),
        ("xls", (3, 0, 0))
    );
    let all = rates(&app).await;
    assert_eq!(all.len(), 11, "{all:?}");
    for (key, rate) in [
        ("2027-01-15 USD→EUR", "0.925"),
        ("2027-01-15 GBP→EUR", "1.19"),
        ("2027-04-01 USD→EUR", "0.9188"),
        ("2027-04-01 GBP→EUR", "1.1795"),
        ("2027-04-01 SEK→EUR", "0.0874125"),
    ] {
        assert_eq!(rate_of(&all, key), (rate.to_string(), "ECB".to_string()));
    }

    // Pair and date are the key: a new rate corrects the stored one, the same rate is no
    // change. The file states its dialect: `;`, DD.MM.YYYY dates and decimal commas.
    let correction = "From;To;Date;Rate;Source\r\n\
                      USD;EUR;01.01.2027;0,9216;ECB\r\n\
                      GBP;EUR;01.01.2027;1,1862;ECB\r\n";
    let dialect = [
        ("delimiter", ";"),
        ("date_format", "DD.MM.YYYY"),
        ("decimal_comma", "true"),
    ];
    let bytes = correction.as_bytes().to_vec();
    let corrected = upload(
        &app,
        Finance,
        bytes,
        "corrections.csv",
        "fx_rates",
        &dialect,
    )
    .await
    .expect(201);
    assert_eq!(counts(&corrected.body), (0, 1, 1), "{}", corrected.text);
    let after = rates(&app).await;
    assert_eq!(after.len(), 11);
    let usd = &after["2027-01-01 USD→EUR"];
    assert_eq!(
        (s(&usd["rate"]), usd["version"].as_i64()),
        ("0.9216", Some(2))
    );
    assert_eq!(after["2027-01-01 GBP→EUR"]["version"], json!(1));
    assert_eq!(
        document_ids(&corrected.body),
        [id_of(usd), id_of(&after["2027-01-01 GBP→EUR"])]
    );
}

/// The error workbook of a 1904-system file shows its dates as the file did.
async fn imports_error_workbook_keeps_1904_dates(app: TestApp) {
    let file = fixture_file("fx_rates_1904.xlsx");
    let bad = patched_zip(
        &file,
        "xl/worksheets/sheet1.xml",
        "<t>GBP</t>",
        "<t>GBX</t>",
    );
    let refused = upload(&app, Finance, bad, "fx_1904_bad.xlsx", "fx_rates", &[]).await;
    let report = expect_rejected(refused, &[("A3", "unknown_currency")]);
    assert!(rates(&app).await.is_empty());
    let (_, bytes) = download(&app, Finance, s(&report["error_workbook"])).await;
    let mut book = open_xlsx(bytes);
    use calamine::Reader;
    // The day a serial shows in this workbook's date system.
    let day_zero = match book.has_1904_epoch() {
        true => chrono::NaiveDate::from_ymd_opt(1904, 1, 1),
        false => chrono::NaiveDate::from_ymd_opt(1899, 12, 30),
    }
    .expect("a calendar day");
    let copy = book.worksheet_range("FX Rates").expect("the copied sheet");
    for row in [1, 2] {
        let serial = match copy.get_value((row, 2)) {
            Some(calamine::Data::DateTime(serial)) => serial.as_f64() as i64,
            other => panic!("C{} is not a date cell: {other:?}", row + 1),
        };
        let shown = day_zero + chrono::Duration::days(serial);
        assert_eq!(
            shown.to_string(),
            "2027-01-15",
            "C{} (serial {serial})",
            row + 1
        );
    }
}

// ---------------------------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------------------------

async fn imports_csv_with_bom_semicolons_and_other_encodings(app: TestApp) {
    // Without the delimiter the header is one cell: no Name column.
    upload_fixture(
        &app,
        Procurement,
        "vendors_semicolon_bom.csv",
        "vendors",
        &[],
    )
    .await
    .expect_problem(422, "missing_columns");
    let semicolon = [("delimiter", ";")];
    let bom = upload_fixture(
        &app,
        Procurement,
        "vendors_semicolon_bom.csv",
        "vendors",
        &semicolon,
    )
    .await
    .expect(201);
    assert_eq!(
        (
            s(&bom.body["format"]),
            s(&bom.body["sheet"]),
            counts(&bom.body)
        ),
        ("csv", "vendors_semicolon_bom", (3, 0, 0))
    );
    assert_eq!(
        bom.body["columns"][0]["header"], "Name",
        "the BOM is not part of it"
    );
    let all = vendors(&app).await;
    assert_eq!(
        all.keys().collect::<Vec<_>>(),
        [
            "Contoso Racks GmbH",
            "Northwind Networks Ltd",
            "Société Générale Équipements"
        ]
    );
    let sge = &all["Société Générale Équipements"];
    assert_eq!(s(&sge["tax_id"]), "FR40303265045");
    assert_eq!(
        strings(&sge["emails"]),
        [
            "achats@sge-equipements.example",
            "factures@sge-equipements.example"
        ]
    );

    // Windows-1252 bytes are refused as not UTF-8, naming the line, unless the encoding is
    // stated; stated, they decode to exactly the same vendors: all three match unchanged
    // (mojibake in a name would have been an update).
    let guessed = upload_fixture(&app, Procurement, "vendors_cp1252.csv", "vendors", &[])
        .await
        .expect_problem(422, "not_utf8");
    assert_eq!(
        guessed.body["context"]["line"],
        json!(2),
        "{}",
        guessed.text
    );
    let cp1252 = [("encoding", "windows-1252")];
    let stated = upload_fixture(&app, Procurement, "vendors_cp1252.csv", "vendors", &cp1252)
        .await
        .expect(201);
    assert_eq!(counts(&stated.body), (0, 0, 3), "{}", stated.text);
    // UTF-16 with a byte-order mark needs no statement either.
    let text = String::from_utf8(fixture_file("vendors_semicolon_bom.csv")).expect("UTF-8");
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(
        text.trim_start_matches('\u{feff}')
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    let wide = upload(&app, Procurement, utf16, "utf16.csv", "vendors", &semicolon)
        .await
        .expect(201);
    assert_eq!(counts(&wide.body), (0, 0, 3), "{}", wide.text);
    assert_eq!(vendors(&app).await, all);
}

// ---------------------------------------------------------------------------------------------
// Budget lines
// ---------------------------------------------------------------------------------------------

/// The months of a budget line as (month, amount) pairs.
fn months(line: &Value) -> Vec<(String, String)> {
    line["months"]
        .as_array()
        .unwrap_or_else(|| panic!("no months in {line}"))
        .iter()
        .map(|m| (s(&m["month"]).to_string(), s(&m["amount"]).to_string()))
        .collect()
}

fn every_month(amount: &str) -> Vec<(String, String)> {
    (1..=12)
        .map(|m| (format!("2027-{m:02}"), amount.to_string()))
        .collect()
}

async fn budget_lines(app: &TestApp, project: i64) -> BTreeMap<String, Value> {
    let path = format!("/api/v1/budget-lines?project_id={project}");
    keyed(app, &path, |l| s(&l["cost_center"]).to_string()).await
}

async fn imports_budget_lines_with_monthly_phasing(app: TestApp) {
    let project = project_dc_move(&app).await;
    let file = "budget_lines_libreoffice.xlsx";
    let imported = upload_fixture(&app, Finance, file, "budget_lines", &[])
        .await
        .expect(201);
    assert_eq!(counts(&imported.body), (3, 0, 0), "{}", imported.text);
    let lines = budget_lines(&app, project).await;
    let summary: Vec<(&str, &str, &str)> = lines
        .values()
        .map(|l| (s(&l["cost_center"]), s(&l["category"]), s(&l["amount"])))
        .collect();
    assert_eq!(
        summary,
        [
            ("DC-100", "capex", "120000.00"),
            ("DC-200", "opex", "36000.00"),
            ("DC-300", "capex", "50000.00")
        ]
    );
    assert_eq!(months(&lines["DC-100"]), every_month("10000.00"));
    assert_eq!(
        months(&lines["DC-200"]),
        every_month("3000.00"),
        "blank: spread evenly"
    );
    assert_eq!(
        months(&lines["DC-300"]),
        [("2027-03", "20000.00"), ("2027-06", "30000.00")]
            .map(|(m, a)| (m.to_string(), a.to_string()))
    );
    assert_eq!(s(&lines["DC-300"]["description"]), "Storage refresh");

    // Months that miss the amount by 100.00: an error on the Amount cell stating it; the
    // valid row above it is not written either.
    let uneven = "Project,Category,Cost Center,Amount,2027-01,2027-02\r\n\
                  DC-MOVE,opex,DC-901,900.00,450.00,450.00\r\n\
                  DC-MOVE,opex,DC-900,1000.00,300.00,600.00\r\n";
    let bytes = uneven.as_bytes().to_vec();
    let refused = upload(&app, Finance, bytes, "uneven.csv", "budget_lines", &[]).await;
    let report = expect_rejected(refused, &[("D3", "invalid_value")]);
    let (header, value, message) = first_error(&report);
    assert_eq!((header, value), ("Amount", "1000.00"));
    assert!(
        message.contains("100.00"),
        "the difference is stated: {message}"
    );
    assert_eq!(
        budget_lines(&app, project).await.keys().collect::<Vec<_>>(),
        ["DC-100", "DC-200", "DC-300"]
    );
}

// ---------------------------------------------------------------------------------------------
// Invoices
// ---------------------------------------------------------------------------------------------

const INVOICE_HEADER: &str = "Invoice Number|Vendor|Invoice Date|Due Date|Currency|PO Number|\
                              PO Line|Project|Category|Cost Center|Description|Quantity|\
                              Unit Price|Amount|Tax %";

async fn invoices(app: &TestApp) -> BTreeMap<String, Value> {
    keyed(app, INVOICES, |i| s(&i["number"]).to_string()).await
}

fn hold_codes(invoice: &Value) -> Vec<&str> {
    let holds = invoice["hold_reasons"].as_array();
    let holds = holds.unwrap_or_else(|| panic!("no hold_reasons in {invoice}"));
    holds.iter().map(|h| s(&h["code"])).collect()
}

/// (net_total, tax_total, total) of an invoice or order.
fn totals(document: &Value) -> (&str, &str, &str) {
    let field = |name: &str| s(&document[name]);
    (field("net_total"), field("tax_total"), field("total"))
}

async fn imports_invoices_matched_against_a_received_order(app: TestApp) {
    let f = fixture(&app, "P2P", None, "100000.00").await;
    let po_lines = vec![line("10", "125.00", Some("20"), f.budget_line)];
    let po = issued(&app, &order(&f, "EUR", "2026-03-15", po_lines)).await;
    let po_line = id_of(&po["lines"][0]);
    received(&app, id_of(&po), "2026-04-01", &[(po_line, "10")]).await;

    // One line bills PO line 1 (amounts as text with a currency code and thousands
    // separators); one names its budget line and has no PO.
    let number = s(&po["number"]);
    let billed = format!(
        "INV-7001|Vendor P2P|date:2026-04-15|date:2026-05-15|EUR|{number}|num:1||||\
         Racks, delivered|num:10|125.00|EUR 1,250.00|num:20"
    );
    let file = xlsx(
        "Invoices",
        &[
            INVOICE_HEADER,
            &billed,
            "INV-7002|Vendor P2P|date:2026-04-20||EUR|||P2P|capex|CC-1|Remote hands|||1,500.00|20%",
        ],
    );
    let imported = upload(&app, Finance, file, "april.xlsx", "invoices", &[])
        .await
        .expect(201);
    assert_eq!(counts(&imported.body), (2, 0, 0), "{}", imported.text);
    let all = invoices(&app).await;
    assert_eq!(all.len(), 2, "{all:?}");
    let matched = &all["INV-7001"];
    assert!(hold_codes(matched).is_empty(), "{matched}");
    assert_eq!(s(&matched["status"]), "matched");
    assert_eq!(totals(matched), ("1250.00", "250.00", "1500.00"));
    assert_eq!(
        (s(&matched["invoice_date"]), s(&matched["due_date"])),
        ("2026-04-15", "2026-05-15")
    );
    let line0 = &matched["lines"][0];
    assert_eq!(line0["po_line_id"], json!(po_line));
    assert_eq!(s(&line0["match"]["basis"]), "three_way", "{line0}");
    assert_eq!(s(&line0["description"]), "Racks, delivered");
    let held = &all["INV-7002"];
    assert_eq!(
        (s(&held["status"]), hold_codes(held)),
        ("on_hold", vec!["no_reference"])
    );
    assert_eq!(totals(held), ("1500.00", "300.00", "1800.00"));
    assert_eq!(held["lines"][0]["budget_line_id"], json!(f.budget_line));
    assert_eq!(
        documents(&imported.body, "label"),
        ["INV-7001 (matched)", "INV-7002 (on_hold)"]
    );
    assert_eq!(document_ids(&imported.body), [id_of(matched), id_of(held)]);

    // A parenthesised amount is a negative one: read as -1500.00 and refused on the cell it
    // was written in; the good invoice below it is not recorded either.
    let file = xlsx(
        "Invoices",
        &[
            INVOICE_HEADER,
            "INV-7003|Vendor P2P|date:2026-04-21||EUR|||P2P|capex|CC-1|Refund|||(1,500.00)|num:20",
            "INV-7004|Vendor P2P|date:2026-04-22||EUR|||P2P|capex|CC-1|Hands|||1,600.00|num:20",
        ],
    );
    let refused = upload(&app, Finance, file, "negative.xlsx", "invoices", &[]).await;
    let report = expect_rejected(refused, &[("N2", "invalid_value")]);
    let (header, value, message) = first_error(&report);
    assert_eq!((header, value), ("Amount", "(1,500.00)"));
    assert!(message.contains("-1500.00"), "{message}");
    assert_eq!(invoices(&app).await.len(), 2, "nothing was recorded");
}

/// The invoices of one file see those above them, as if recorded one by one through the API
/// (the import records them in batches): what an earlier invoice bills counts against the goods
/// received, the same total from the same vendor within the duplicate window is held naming
/// the earlier invoice, a number the file already used for the vendor is refused, and a credit
/// memo cannot credit an invoice of the same file (it is not approved yet).
async fn imports_invoices_see_the_invoices_above_them(app: TestApp) {
    let f = fixture(&app, "SEQ", None, "100000.00").await;
    app.create_vendor(json!({"name": "Vendor Taxed", "tax_id": "GB 123 456 789"}))
        .await;
    let po_lines = vec![line("20", "100.00", Some("20"), f.budget_line)];
    let po = issued(&app, &order(&f, "EUR", "2026-03-15", po_lines)).await;
    let po_line = id_of(&po["lines"][0]);
    received(&app, id_of(&po), "2026-04-01", &[(po_line, "10")]).await;
    let number = s(&po["number"]);
    let a =
        format!("INV-A|Vendor SEQ|date:2026-04-10||EUR|{number}|num:1|||||num:6|100.00||num:20");
    let b =
        format!("INV-B|Vendor SEQ|date:2026-04-30||EUR|{number}|num:1|||||num:8|100.00||num:20");
    let file = xlsx(
        "Invoices",
        &[
            INVOICE_HEADER,
            &a,
            &b,
            "INV-C|Vendor SEQ|date:2026-05-10||EUR|||SEQ|capex|CC-1|Hands|||400.00|num:20",
            "INV-D|Vendor SEQ|date:2026-05-12||EUR|||SEQ|capex|CC-1|Hands|||400.00|num:20",
        ],
    );
    let imported = upload(&app, Finance, file, "sequence.xlsx", "invoices", &[])
        .await
        .expect(201);
    assert_eq!(counts(&imported.body), (4, 0, 0), "{}", imported.text);
    let all = invoices(&app).await;
    assert_eq!(s(&all["INV-A"]["status"]), "matched", "{}", all["INV-A"]);
    // 6 of the 10 received are billed by INV-A above it: 8 more is more than was received.
    assert_eq!(hold_codes(&all["INV-B"]), ["quantity_not_received"]);
    assert_eq!(hold_codes(&all["INV-C"]), ["no_reference"]);
    assert_eq!(
        hold_codes(&all["INV-D"]),
        ["no_reference", "suspected_duplicate"]
    );
    let message = s(&all["INV-D"]["hold_reasons"][1]["message"]);
    let earlier = format!("invoice INV-C (id {})", id_of(&all["INV-C"]));
    assert!(message.contains(&earlier), "{message}");
    // Each invoice's audit row holds it exactly as the API shows it.
    for invoice in all.values() {
        let id = id_of(invoice);
        let audit = app
            .list_all(
                &format!("/api/v1/audit?entity=invoice&id={id}&action=invoice.create"),
                Admin,
            )
            .await;
        assert_eq!(audit.len(), 1, "{audit:#?}");
        assert_eq!(&audit[0]["after"], invoice);
    }

    // The same number for one vendor, written once by name and once by tax id; a credit memo
    // of an invoice in the same file. Each is named on its cell; nothing is recorded.
    let header = format!("{INVOICE_HEADER}|Kind|Original Invoice");
    let file = xlsx(
        "Invoices",
        &[
            &header,
            "INV-T1|Vendor Taxed|date:2026-05-02||EUR|||SEQ|capex|CC-1|Hands|||100.00|num:20||",
            "INV-T1|GB123456789|date:2026-05-02||EUR|||SEQ|capex|CC-1|Hands|||100.00|num:20||",
            "CM-1|Vendor SEQ|date:2026-05-03||EUR|||SEQ|capex|CC-1|Refund|||10.00|num:20|credit_memo|INV-X1",
            "INV-X1|Vendor SEQ|date:2026-05-01||EUR|||SEQ|capex|CC-1|Thing|||50.00|num:20||",
        ],
    );
    let refused = upload(&app, Finance, file, "repeats.xlsx", "invoices", &[]).await;
    let report = expect_rejected(
        refused,
        &[("A3", "duplicate_invoice"), ("Q4", "invoice_not_approved")],
    );
    let message = s(&report["errors"][0]["message"]);
    assert!(message.contains("earlier in the same import"), "{message}");
    assert_eq!(invoices(&app).await.len(), 4, "nothing more was recorded");
}

/// The rows of one invoice need not be together: an invoice whose rows are apart is one
/// invoice with every line in the order of its rows, and the invoices come in the order of
/// their first rows. A credit memo naming an invoice above it in the same file is refused
/// (that invoice is not approved yet), as one naming an invoice below it is.
async fn imports_invoices_whose_rows_are_apart(app: TestApp) {
    fixture(&app, "APT", None, "100000.00").await;
    let row = |number: &str, description: &str, amount: &str| {
        format!(
            "{number}|Vendor APT|date:2026-05-10||EUR|||APT|capex|CC-1|{description}|||{amount}|num:20"
        )
    };
    let file = xlsx(
        "Invoices",
        &[
            INVOICE_HEADER,
            &row("INV-1", "First", "100.00"),
            &row("INV-2", "Second", "200.00"),
            &row("inv 1", "Third", "300.00"),
        ],
    );
    let imported = upload(&app, Finance, file, "apart.xlsx", "invoices", &[])
        .await
        .expect(201);
    assert_eq!(counts(&imported.body), (2, 0, 0), "{}", imported.text);
    assert_eq!(
        documents(&imported.body, "label"),
        ["INV-1 (on_hold)", "INV-2 (on_hold)"]
    );
    let rows = document_spans(&imported.body);
    assert_eq!(rows, [(2, 4), (3, 3)]);
    let all = invoices(&app).await;
    let lines: Vec<&str> = all["INV-1"]["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| s(&l["description"]))
        .collect();
    assert_eq!(lines, ["First", "Third"]);
    assert_eq!(totals(&all["INV-1"]), ("400.00", "80.00", "480.00"));

    let header = format!("{INVOICE_HEADER}|Kind|Original Invoice");
    let file = xlsx(
        "Invoices",
        &[
            &header,
            "INV-3|Vendor APT|date:2026-05-11||EUR|||APT|capex|CC-1|Thing|||50.00|num:20||",
            "CM-3|Vendor APT|date:2026-05-12||EUR|||APT|capex|CC-1|Refund|||10.00|num:20|credit_memo|INV-3",
        ],
    );
    let refused = upload(&app, Finance, file, "credit.xlsx", "invoices", &[]).await;
    expect_rejected(refused, &[("Q3", "invoice_not_approved")]);
    assert_eq!(invoices(&app).await.len(), 2, "nothing more was recorded");
}

/// A file larger than one recording batch: what the first batch billed counts, exactly once,
/// for the invoices of the next. The order's line received 5 more units than the first batch
/// bills: an invoice for those 5 matches, and one for a sixth is held.
async fn imports_invoices_across_recording_batches(app: TestApp) {
    use procura::imports::kinds::invoices::BATCH_LINES;
    let lines_per_invoice = 10;
    let first_batch = BATCH_LINES / lines_per_invoice;
    let f = fixture(&app, "BIG", None, "100000.00").await;
    let received_units = BATCH_LINES + 5;
    let po_lines = vec![line(
        &(received_units + 1).to_string(),
        "0.10",
        Some("20"),
        f.budget_line,
    )];
    let po = issued(&app, &order(&f, "EUR", "2026-01-02", po_lines)).await;
    let po_line = id_of(&po["lines"][0]);
    let all_received = received_units.to_string();
    received(
        &app,
        id_of(&po),
        "2026-01-03",
        &[(po_line, all_received.as_str())],
    )
    .await;
    let number = s(&po["number"]);
    // Eight days apart, so that equal totals are never suspected duplicates.
    let day = |n: usize| {
        chrono::NaiveDate::from_ymd_opt(2026, 1, 5).expect("day")
            + chrono::Duration::days(8 * n as i64)
    };
    let mut rows = vec![INVOICE_HEADER.to_string()];
    for n in 0..first_batch {
        for _ in 0..lines_per_invoice {
            rows.push(format!(
                "INV-{n:05}|Vendor BIG|date:{}||EUR|{number}|num:1|||||num:1|0.10||num:20",
                day(n)
            ));
        }
    }
    rows.push(format!(
        "INV-LAST5|Vendor BIG|date:{}||EUR|{number}|num:1|||||num:5|0.10||num:20",
        day(first_batch)
    ));
    rows.push(format!(
        "INV-ONE-MORE|Vendor BIG|date:{}||EUR|{number}|num:1|||||num:1|0.10||num:20",
        day(first_batch + 1)
    ));
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let imported = upload(
        &app,
        Finance,
        xlsx("Invoices", &rows),
        "big.xlsx",
        "invoices",
        &[],
    )
    .await
    .expect(201);
    assert_eq!(
        counts(&imported.body),
        (first_batch as u64 + 2, 0, 0),
        "{}",
        imported.text
    );
    let all = invoices(&app).await;
    let held: Vec<&String> = all
        .iter()
        .filter(|(_, i)| s(&i["status"]) != "matched")
        .map(|(n, _)| n)
        .collect();
    assert_eq!(held, ["INV-ONE-MORE"]);
    assert_eq!(hold_codes(&all["INV-ONE-MORE"]), ["quantity_not_received"]);
    // Every invoice of every batch has its one audit row, holding it as the API shows it.
    let audited = app
        .list_all("/api/v1/audit?entity=invoice&action=invoice.create", Admin)
        .await;
    assert_eq!(audited.len(), all.len());
    let by_id: BTreeMap<i64, &Value> = all.values().map(|i| (id_of(i), i)).collect();
    for row in &audited {
        let id = id_of(&row["after"]);
        assert_eq!(Some(&&row["after"]), by_id.get(&id), "invoice {id}");
    }
}

async fn imports_invoices_bad_rows_each_named_with_an_error_workbook(app: TestApp) {
    project_dc_move(&app).await;
    let lines = "budget_lines_libreoffice.xlsx";
    upload_fixture(&app, Finance, lines, "budget_lines", &[])
        .await
        .expect(201);
    app.create_vendor(json!({"name": "Northwind Networks Ltd", "tax_id": "GB 123 456 789"}))
        .await;

    let resp = upload_fixture(&app, Finance, "invoices_bad.xlsx", "invoices", &[]).await;
    let fields = resp.fields();
    let report = expect_rejected(
        resp,
        &[
            ("P3", "too_many_decimals"),
            ("B4", "unknown_vendor"),
            ("C5", "ambiguous_date"),
            ("C6", "impossible_date"),
            ("P7", "currency_mismatch"),
            ("N8", "required"),
            ("O9", "formula_without_value"),
            ("E10", "unknown_currency"),
        ],
    );
    assert_eq!(
        fields,
        ["P3", "B4", "C5", "C6", "P7", "N8", "O9", "E10"].map(|c| format!("Invoices!{c}"))
    );
    let values: Vec<&str> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| s(&e["value"]))
        .collect();
    assert_eq!(
        values,
        [
            "12.345",
            "Nobody Ltd",
            "03/04/2027",
            "2027-02-30",
            "$1,200.00",
            "",
            "=1/0",
            "EURO"
        ]
    );
    // The two good rows went through the service too, then were rolled back.
    assert_eq!(
        documents(&report, "label"),
        ["INV-1001 (on_hold)", "INV-1010 (on_hold)"]
    );
    assert!(invoices(&app).await.is_empty(), "nothing was recorded");

    let link = s(&report["error_workbook"]);
    app.get_anon(link).await.expect_problem(401, "unauthorized");
    let (content_type, bytes) = download(&app, Finance, link).await;
    assert_eq!(
        content_type,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    check_error_workbook(bytes);
}

/// The error workbook of `invoices_bad.xlsx`: the sheet as uploaded with an error column, and
/// a sheet listing every error.
fn check_error_workbook(bytes: Vec<u8>) {
    use calamine::Reader;
    let mut book = open_xlsx(bytes);
    assert_eq!(book.sheet_names(), ["Invoices", "Errors"]);
    let copy = book.worksheet_range("Invoices").expect("the copied sheet");
    let at = |row: u32, column: u32| cell_text(&copy, row, column);
    assert_eq!(copy.height(), 11, "the header and ten rows");
    assert_eq!([at(0, 0), at(0, 17)], ["Invoice Number", "Import errors"]);
    assert_eq!([at(1, 0), at(10, 0)], ["INV-1001", "INV-1010"]);
    assert_eq!(at(10, 15), "2,250.50", "values as written");
    let notes = [
        (2, "P"),
        (3, "B"),
        (4, "C"),
        (5, "C"),
        (6, "P"),
        (7, "N"),
        (8, "O"),
        (9, "E"),
    ];
    for (row, column) in notes {
        let note = at(row, 17);
        assert!(
            note.starts_with(&format!("{column}: ")),
            "row {}: {note:?}",
            row + 1
        );
    }
    assert_eq!([at(1, 17), at(10, 17)], ["", ""], "good rows have no note");
    let list = book.worksheet_range("Errors").expect("the Errors sheet");
    let at = |row: u32, column: u32| cell_text(&list, row, column);
    assert_eq!(list.height(), 9, "a header and one line per error");
    let header: Vec<String> = (0..7).map(|c| at(0, c)).collect();
    assert_eq!(
        header,
        ["Sheet", "Row", "Column", "Header", "Value", "Rule", "Message"]
    );
    let lines: Vec<String> = (1..9)
        .map(|r| format!("{}{} {}", at(r, 2), at(r, 1), at(r, 5)))
        .collect();
    assert_eq!(
        lines,
        [
            "P3 too_many_decimals",
            "B4 unknown_vendor",
            "C5 ambiguous_date",
            "C6 impossible_date",
            "P7 currency_mismatch",
            "N8 required",
            "O9 formula_without_value",
            "E10 unknown_currency"
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Purchase orders
// ---------------------------------------------------------------------------------------------

const PO_HEADER: &str = "PO Reference|Vendor|Project|Currency|Order Date|Notes|Description|\
                         Quantity|Unit|Unit Price|Tax %|Category|Cost Center|Asset|\
                         Asset Category|Promised Date";

async fn imports_purchase_orders_as_numbered_drafts(app: TestApp) {
    let f = fixture(&app, "PO1", None, "100000.00").await;
    app.create_budget_line(json!({
        "project_id": f.project, "category": "opex", "cost_center": "CC-2", "amount": "20000.00"
    }))
    .await;
    // Two references; A's rows are not adjacent.
    let file = xlsx(
        "Purchase Orders",
        &[
            PO_HEADER,
            "A|Vendor PO1|PO1|EUR|date:2027-01-18|Hall 2 fit-out|42U server rack|num:12|each|\
             num:1850|num:20|capex|CC-1|yes|rack|date:2027-02-26",
            "B|Vendor PO1|po1|EUR|date:2027-02-01||Cross-connect set-up fee|num:4|each|\
             1,150.00|num:20|opex|CC-2|no||",
            "A|Vendor PO1|PO1|EUR|date:2027-01-18|Hall 2 fit-out|Switched PDU|num:24|each|\
             €640.00|num:20|capex|CC-1|||",
        ],
    );
    let imported = upload(
        &app,
        Procurement,
        file,
        "orders.xlsx",
        "purchase_orders",
        &[],
    )
    .await
    .expect(201);
    assert_eq!(counts(&imported.body), (2, 0, 0), "{}", imported.text);
    let spans = document_spans(&imported.body);
    assert_eq!(spans, [(2, 4), (3, 3)]);
    assert_eq!(
        documents(&imported.body, "label"),
        ["PO-2027-000001 (A)", "PO-2027-000002 (B)"]
    );
    let ids = document_ids(&imported.body);
    let a = app.get(&po_url(ids[0]), Viewer).await.expect(200).body;
    assert_eq!(
        (
            s(&a["number"]),
            s(&a["status"]),
            s(&a["order_date"]),
            s(&a["notes"])
        ),
        ("PO-2027-000001", "draft", "2027-01-18", "Hall 2 fit-out")
    );
    assert_eq!(
        (a["vendor_id"].as_i64(), a["project_id"].as_i64()),
        (Some(f.vendor), Some(f.project))
    );
    let lines: Vec<(&str, &str, &str, &str)> = a["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            (
                s(&l["description"]),
                s(&l["quantity"]),
                s(&l["net_amount"]),
                s(&l["tax_amount"]),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("42U server rack", "12", "22200.00", "4440.00"),
            ("Switched PDU", "24", "15360.00", "3072.00")
        ]
    );
    let rack = &a["lines"][0];
    assert_eq!(
        (
            rack["is_asset"].as_bool(),
            s(&rack["asset_category"]),
            s(&rack["promised_date"])
        ),
        (Some(true), "rack", "2027-02-26")
    );
    assert_eq!(rack["budget_line_id"], json!(f.budget_line));
    assert_eq!(a["lines"][1]["is_asset"], json!(false));
    assert_eq!(totals(&a), ("37560.00", "7512.00", "45072.00"));
    let b = app.get(&po_url(ids[1]), Viewer).await.expect(200).body;
    assert_eq!(
        (s(&b["number"]), s(&b["status"])),
        ("PO-2027-000002", "draft")
    );
    assert_eq!(s(&b["lines"][0]["unit"]), "each");
    assert_eq!(totals(&b), ("4600.00", "920.00", "5520.00"));

    // Rows of one reference must agree on the currency: the differing cell is named.
    let mixed = xlsx(
        "Purchase Orders",
        &[
            PO_HEADER,
            "C|Vendor PO1|PO1|EUR|date:2027-03-01||Patch cables|num:100|each|num:4.5|num:20|capex|CC-1|||",
            "C|Vendor PO1|PO1|USD|date:2027-03-01||Optics|num:10|each|num:120|num:20|capex|CC-1|||",
        ],
    );
    let refused = upload(
        &app,
        Procurement,
        mixed,
        "mixed.xlsx",
        "purchase_orders",
        &[],
    )
    .await;
    let report = expect_rejected(refused, &[("D3", "inconsistent_document")]);
    assert_eq!(first_error(&report).1, "USD");
    assert_eq!(
        app.list_all("/api/v1/purchase-orders", Viewer).await.len(),
        2
    );
}

// ---------------------------------------------------------------------------------------------
// SLA measurements and the asset register
// ---------------------------------------------------------------------------------------------

/// An active contract from 2027-09-01 with one availability SLA (12,000.00 a month; below
/// 99.99 % 10 %, below 99 % 30 %, below 95 % all of it). Returns (contract id, number).
async fn contract_with_sla(app: &TestApp) -> (i64, String) {
    let vendor = id_of(&app.create_vendor(json!({"name": "Colo GmbH"})).await);
    let contract = app
        .post(
            "/api/v1/contracts",
            Procurement,
            &json!({
                "vendor_id": vendor, "title": "Colocation", "contract_type": "framework",
                "currency": "EUR", "ceiling": "250000.00", "start_date": "2027-09-01",
                "initial_term_months": 12, "renewal": {"kind": "none"},
                "notice": {"unit": "months", "value": 3}
            }),
        )
        .await
        .expect(201)
        .body;
    let id = id_of(&contract);
    let activate = json!({"version": contract["version"]});
    app.post(
        &format!("/api/v1/contracts/{id}/activate"),
        Procurement,
        &activate,
    )
    .await
    .expect(200);
    let sla = json!({
        "name": "Power availability", "metric": "availability", "target": "99.99",
        "period_fee": "12000.00",
        "tiers": [
            {"threshold": "99.99", "percent": "10"},
            {"threshold": "99.0", "percent": "30"},
            {"threshold": "95.0", "percent": "100"}
        ]
    });
    app.post(&format!("/api/v1/contracts/{id}/slas"), Procurement, &sla)
        .await
        .expect(201);
    (id, s(&contract["number"]).to_string())
}

async fn imports_sla_measurements_fix_credits(app: TestApp) {
    let (contract, number) = contract_with_sla(&app).await;
    let header = "Contract|SLA|Period|Value|Downtime Minutes";
    // October as text with downtime; November as a date cell on the 1st, with a value.
    let october = format!("{number}|Power availability|2027-10||num:60");
    let november = format!("{number}|power availability|date:2027-11-01|num:94.5|");
    let file = xlsx("SLA Measurements", &[header, &october, &november]);
    let imported = upload(&app, Procurement, file, "sla.xlsx", "sla_measurements", &[])
        .await
        .expect(201);
    assert_eq!(counts(&imported.body), (2, 0, 0), "{}", imported.text);
    let report = app
        .get(&format!("/api/v1/contracts/{contract}/sla-report"), Viewer)
        .await
        .expect(200)
        .body;
    let periods: Vec<(&str, &str, &str)> = report["slas"][0]["periods"]
        .as_array()
        .expect("periods")
        .iter()
        .map(|p| (s(&p["period"]), s(&p["value"]), s(&p["credit"])))
        .collect();
    // October: 60 minutes of 44,640 down is 99.865591 %: 10 % of the fee.
    assert_eq!(
        periods,
        [
            ("2027-10", "99.865591", "1200.00"),
            ("2027-11", "94.5", "12000.00")
        ]
    );
    assert_eq!(s(&report["total_credit"]), "13200.00");

    // A period is recorded once: measuring October again is an error on its Period cell.
    let again = format!("{number}|Power availability|2027-10|num:100|");
    let file = xlsx("SLA Measurements", &[header, &again]);
    let refused = upload(
        &app,
        Procurement,
        file,
        "again.xlsx",
        "sla_measurements",
        &[],
    )
    .await;
    let report = expect_rejected(refused, &[("C2", "duplicate_measurement")]);
    assert_eq!(first_error(&report).1, "2027-10");
}

async fn imports_asset_register_puts_assets_into_service(app: TestApp) {
    let f = fixture(&app, "CMDB", None, "100000.00").await;
    let mut switches = line("2", "1500.00", None, f.budget_line);
    switches["is_asset"] = json!(true);
    switches["asset_category"] = json!("switch");
    let po = issued(&app, &order(&f, "EUR", "2026-03-15", vec![switches])).await;
    let po_line = id_of(&po["lines"][0]);
    let receipt = received(&app, id_of(&po), "2026-04-01", &[(po_line, "2")]).await;
    assert_eq!(
        strings(&receipt["asset_tags"]),
        ["AST-2026-000001", "AST-2026-000002"]
    );
    let header = "Asset Tag|Serial Number|Site|Room|Rack|U|Status|In Service Date|Note";
    let file = xlsx(
        "Assets",
        &[
            header,
            "AST-2026-000001|SN-0001|DC-North|R101|A01|num:20|in_service|date:2026-04-10|Racked",
            "AST-2026-000002|SN-0002|DC-North|R102|||||",
        ],
    );
    let imported = upload(&app, Procurement, file, "register.xlsx", "assets", &[])
        .await
        .expect(201);
    assert_eq!(counts(&imported.body), (0, 2, 0), "{}", imported.text);
    let asset = |tag: &'static str| {
        let app = &app;
        async move {
            let path = format!("/api/v1/assets/by-tag/{tag}");
            app.get(&path, Viewer).await.expect(200).body
        }
    };
    let live = asset("AST-2026-000001").await;
    assert_eq!(
        (
            s(&live["status"]),
            s(&live["in_service_date"]),
            s(&live["serial_number"])
        ),
        ("in_service", "2026-04-10", "SN-0001")
    );
    assert_eq!(
        live["location"],
        json!({"site": "DC-North", "room": "R101", "rack": "A01", "rack_unit": "20"})
    );
    let registered = asset("AST-2026-000002").await;
    assert_eq!(
        (s(&registered["status"]), s(&registered["serial_number"])),
        ("pending", "SN-0002")
    );

    // An unknown tag is an error on its cell, and the valid row above it is not applied.
    let file = xlsx(
        "Assets",
        &[
            header,
            "AST-2026-000002||||||in_service||",
            "AST-2026-999999|SN-9|DC-North|R101|||||",
        ],
    );
    let refused = upload(&app, Procurement, file, "unknown.xlsx", "assets", &[]).await;
    let report = expect_rejected(refused, &[("A3", "unknown_asset")]);
    assert_eq!(first_error(&report).1, "AST-2026-999999");
    assert_eq!(s(&asset("AST-2026-000002").await["status"]), "pending");

    // An in-service date is never dropped: on its own it is refused, and an asset already in
    // service keeps the day it went into service.
    let file = xlsx(
        "Assets",
        &[
            header,
            "AST-2026-000002|||||||date:2026-04-12|",
            "AST-2026-000001||||||in_service|date:2026-05-01|",
        ],
    );
    let refused = upload(&app, Procurement, file, "dates.xlsx", "assets", &[]).await;
    expect_rejected(
        refused,
        &[
            ("H2", "date_without_status"),
            ("H3", "in_service_date_fixed"),
        ],
    );
    assert_eq!(
        s(&asset("AST-2026-000001").await["in_service_date"]),
        "2026-04-10"
    );
}

/// A row whose tax id nobody has matches a namesake recorded without one (which gains the tax
/// id) rather than creating a second vendor of that name; a namesake with another tax id is
/// another company.
async fn imports_vendors_gain_their_tax_id_by_name(app: TestApp) {
    app.create_vendor(json!({"name": "Same Name Ltd"})).await;
    app.create_vendor(json!({"name": "Twin Holdings", "tax_id": "GB111111111"}))
        .await;
    let file = xlsx(
        "Vendors",
        &[
            "Name|Tax ID",
            "Same Name Ltd|GB 999 999 973",
            "Twin Holdings|GB222222222",
        ],
    );
    let imported = upload(&app, Procurement, file, "names.xlsx", "vendors", &[])
        .await
        .expect(201);
    assert_eq!(counts(&imported.body), (1, 1, 0), "{}", imported.text);
    let all = app.list_all("/api/v1/vendors", Viewer).await;
    assert_eq!(all.len(), 3, "{all:?}");
    let same: Vec<&Value> = all
        .iter()
        .filter(|v| v["name"] == "Same Name Ltd")
        .collect();
    assert_eq!(same.len(), 1);
    assert_eq!(same[0]["tax_id"], "GB999999973");
    let twins: Vec<&str> = all
        .iter()
        .filter(|v| v["name"] == "Twin Holdings")
        .map(|v| s(&v["tax_id"]))
        .collect();
    assert_eq!(twins.len(), 2, "{twins:?}");
}

both_engines!(
    imports_vendors_gain_their_tax_id_by_name,
    imports_vendors_update_by_natural_key_and_only_once,
    imports_dry_run_writes_nothing,
    imports_fx_rates_exactly_from_ods_1904_and_xls,
    imports_fx_rates_from_xlsb,
    imports_error_workbook_keeps_1904_dates,
    imports_csv_with_bom_semicolons_and_other_encodings,
    imports_budget_lines_with_monthly_phasing,
    imports_invoices_matched_against_a_received_order,
    imports_invoices_see_the_invoices_above_them,
    imports_invoices_whose_rows_are_apart,
    imports_invoices_across_recording_batches,
    imports_invoices_bad_rows_each_named_with_an_error_workbook,
    imports_purchase_orders_as_numbered_drafts,
    imports_sla_measurements_fix_credits,
    imports_asset_register_puts_assets_into_service,
);
