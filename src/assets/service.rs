//! Asset use cases: creation from receipts (one per unit, tagged), registration of serial and
//! location, lifecycle moves, costs from invoices, depreciation and the CMDB export.

use super::depreciation::{
    self, DepreciationError, DepreciationInput, DepreciationMethod, DepreciationPeriod,
};
use super::model::{Asset, AssetEvent, AssetStatus, Location};
use super::repo::{self, AssetFilter, NewAsset, NewEvent};
use super::tags::TagPattern;
use crate::audit;
use crate::auth::Actor;
use crate::clock;
use crate::db::sequences::next_value;
use crate::db::{DbConnection, Tx};
use crate::error::{AppError, AppResult};
use crate::http::responses::{Page, PageWindow};
use crate::money::split_evenly;
use crate::money::storage::money_to_units;
use crate::money::{parse_decimal, Currency, Money};
use crate::validate::{optional_text, Validator};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

/// The facts of a received asset line, for creating its assets.
#[derive(Debug, Clone)]
pub struct ReceivedUnits<'a> {
    pub po_line_id: i64,
    pub receipt_id: i64,
    pub vendor_id: i64,
    pub project_id: i64,
    pub project_code: &'a str,
    pub contract_id: Option<i64>,
    pub category: &'a str,
    pub description: &'a str,
    pub budget_currency: &'a str,
    pub units: u32,
    pub received_on: NaiveDate,
}

/// Creates one pending asset per received unit, each with the next tag of its series; returns
/// the tags.
pub fn create_for_receipt(
    tx: &mut Tx<'_>,
    actor: &Actor,
    pattern: &TagPattern,
    received: &ReceivedUnits<'_>,
) -> AppResult<Vec<String>> {
    let year = received.received_on.year();
    let key = pattern.sequence_key(year, received.category, received.project_code);
    let now = clock::now();
    let mut tags = Vec::with_capacity(received.units as usize);
    for _ in 0..received.units {
        let seq = next_value(tx, &format!("tag:{key}"))?;
        let tag = pattern.format(
            year,
            received.category,
            received.project_code,
            u64::try_from(seq).map_err(AppError::internal)?,
        );
        let id = repo::insert(
            tx,
            &NewAsset {
                tag: &tag,
                category: received.category,
                description: received.description,
                po_line_id: received.po_line_id,
                receipt_id: received.receipt_id,
                vendor_id: received.vendor_id,
                project_id: received.project_id,
                contract_id: received.contract_id,
                cost_currency: received.budget_currency,
            },
            now,
        )?;
        repo::insert_event(
            tx,
            id,
            NewEvent {
                kind: "created",
                from: None,
                to: Some(AssetStatus::Pending),
                location: None,
                note: Some(&format!("received on receipt {}", received.receipt_id)),
            },
            &actor.name,
            now,
        )?;
        tags.push(tag);
    }
    if !tags.is_empty() {
        audit::record(
            tx,
            &actor.name,
            "asset.create",
            "po_line",
            received.po_line_id,
            None::<&()>,
            Some(&serde_json::json!({ "receipt_id": received.receipt_id, "tags": tags })),
        )?;
    }
    Ok(tags)
}

/// Disposes of a receipt's assets when the receipt is returned; refused while any of them is
/// past pending.
pub fn return_with_receipt(tx: &mut Tx<'_>, actor: &Actor, receipt_id: i64) -> AppResult<()> {
    let assets = repo::of_receipt(tx, receipt_id)?;
    if let Some((_, tag, status, _)) = assets
        .iter()
        .find(|(_, _, status, _)| status != AssetStatus::Pending.as_str())
    {
        return Err(AppError::conflict(
            "asset_in_use",
            format!(
                "asset {tag} from this receipt is {status}: take it out of service before returning the goods"
            ),
        ));
    }
    let now = clock::now();
    for (id, _, _, version) in assets {
        repo::set_status(tx, id, version, AssetStatus::Disposed, None, now)?;
        repo::insert_event(
            tx,
            id,
            NewEvent {
                kind: "status",
                from: Some(AssetStatus::Pending),
                to: Some(AssetStatus::Disposed),
                location: None,
                note: Some("returned to the vendor"),
            },
            &actor.name,
            now,
        )?;
    }
    Ok(())
}

/// Sets the cost of a PO line's uncosted assets from an approved invoice line: its amount in the
/// budget's currency split evenly over the invoiced units (largest remainder, so the costs add
/// up to the line exactly). Units beyond the assets waiting for a cost are ignored.
pub fn cost_from_invoice(
    conn: &mut DbConnection,
    po_line_id: i64,
    invoice_line_id: i64,
    line_amount: Money,
    invoiced_units: Decimal,
) -> AppResult<()> {
    let waiting = repo::uncosted_of_po_line(conn, po_line_id)?;
    let units = usize::try_from(invoiced_units.trunc().mantissa().max(0)).unwrap_or(0);
    if waiting.is_empty() || units == 0 || invoiced_units.fract() != Decimal::ZERO {
        return Ok(());
    }
    let shares = split_evenly(line_amount, units)?;
    let costs = waiting
        .into_iter()
        .zip(shares.iter())
        .map(|(id, share)| Ok((id, money_to_units(share)?)))
        .collect::<AppResult<Vec<_>>>()?;
    repo::set_costs(conn, &costs, invoice_line_id, clock::now())
}

/// Reads an asset.
pub fn get(conn: &mut DbConnection, id: i64) -> AppResult<Asset> {
    repo::find(conn, id)?.ok_or_else(|| AppError::not_found("asset", id))
}

/// Reads an asset by its tag (for scanners).
pub fn by_tag(conn: &mut DbConnection, tag: &str) -> AppResult<Asset> {
    repo::find_by_tag(conn, tag.trim())?.ok_or_else(|| AppError::not_found("asset", tag))
}

/// A page of assets.
pub fn list(
    conn: &mut DbConnection,
    filter: &AssetFilter,
    window: PageWindow,
) -> AppResult<Page<Asset>> {
    let rows = repo::list(conn, filter, window.after, Some(window.fetch()))?;
    Ok(window.page(rows, |a| a.id, |a| a))
}

/// An asset's history.
pub fn events(conn: &mut DbConnection, id: i64) -> AppResult<Vec<AssetEvent>> {
    get(conn, id)?;
    repo::events_of(conn, id)
}

/// Changes to an asset's register entry; `None` leaves a field, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct RegisterChanges {
    pub serial_number: Option<Option<String>>,
    pub site: Option<Option<String>>,
    pub room: Option<Option<String>>,
    pub rack: Option<Option<String>>,
    pub rack_unit: Option<Option<String>>,
    pub note: Option<String>,
}

/// Records an asset's serial number and location; a changed location is recorded as a move.
pub fn register(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    expected_version: i64,
    changes: RegisterChanges,
) -> AppResult<Asset> {
    let before = get(tx, id)?;
    crate::lifecycle::check_version("asset", id, before.version, expected_version)?;
    if before.status == AssetStatus::Disposed {
        return Err(AppError::conflict(
            "invalid_transition",
            format!("asset {} is disposed: its record is final", before.tag),
        ));
    }
    let mut v = Validator::new();
    let mut text =
        |field: &str, change: Option<Option<String>>, current: &Option<String>, max| match change {
            None => current.clone(),
            Some(value) => v
                .check(field, optional_text(value.as_deref(), max))
                .flatten(),
        };
    let serial = text(
        "serial_number",
        changes.serial_number,
        &before.serial_number,
        100,
    );
    let location = Location {
        site: text("site", changes.site, &before.location.site, 100),
        room: text("room", changes.room, &before.location.room, 100),
        rack: text("rack", changes.rack, &before.location.rack, 50),
        rack_unit: text(
            "rack_unit",
            changes.rack_unit,
            &before.location.rack_unit,
            20,
        ),
    };
    let note = v
        .check("note", optional_text(changes.note.as_deref(), 2_000))
        .flatten();
    v.finish()?;
    let now = clock::now();
    if !repo::set_register(tx, id, expected_version, serial.as_deref(), &location, now)? {
        return Err(AppError::version_conflict(
            "asset",
            id,
            expected_version,
            before.version,
        ));
    }
    if location != before.location {
        let kind = if before.location.is_recorded() {
            "moved"
        } else {
            "registered"
        };
        repo::insert_event(
            tx,
            id,
            NewEvent {
                kind,
                from: None,
                to: None,
                location: Some(&location),
                note: note.as_deref(),
            },
            &actor.name,
            now,
        )?;
    }
    let after = get(tx, id)?;
    audit::record(
        tx,
        &actor.name,
        "asset.register",
        "asset",
        id,
        Some(&before),
        Some(&after),
    )?;
    Ok(after)
}

/// Moves an asset along its lifecycle. Into service needs the serial number and a location
/// (site and room); the in-service date defaults to `today`.
/// A lifecycle move as requested.
#[derive(Debug, Clone)]
pub struct AssetMove {
    pub to: AssetStatus,
    pub note: Option<String>,
    pub date: Option<NaiveDate>,
}

pub fn transition(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    expected_version: i64,
    request: AssetMove,
    today: NaiveDate,
) -> AppResult<Asset> {
    let AssetMove { to, note, date } = request;
    let before = get(tx, id)?;
    crate::lifecycle::check_version("asset", id, before.version, expected_version)?;
    if !before.status.next().contains(&to) {
        let allowed: Vec<&str> = before.status.next().iter().map(|s| s.as_str()).collect();
        return Err(AppError::conflict(
            "invalid_transition",
            format!(
                "asset {} is {}: it cannot become {} (allowed: {})",
                before.tag,
                before.status.as_str(),
                to.as_str(),
                if allowed.is_empty() {
                    "none".to_string()
                } else {
                    allowed.join(", ")
                }
            ),
        )
        .with_context(
            serde_json::json!({ "status": before.status, "allowed_statuses": allowed }),
        ));
    }
    if to == AssetStatus::InService
        && (before.serial_number.is_none() || !before.location.is_recorded())
    {
        return Err(AppError::conflict(
            "asset_not_registered",
            format!(
                "asset {} needs its serial number and a location (site and room) before it goes into service",
                before.tag
            ),
        ));
    }
    let note = optional_text(note.as_deref(), 2_000).map_err(|m| AppError::invalid("note", m))?;
    let in_service_date = match (to, before.in_service_date) {
        (AssetStatus::InService, None) => Some(date.unwrap_or(today)),
        (_, current) => current,
    };
    let now = clock::now();
    if !repo::set_status(tx, id, expected_version, to, in_service_date, now)? {
        return Err(AppError::version_conflict(
            "asset",
            id,
            expected_version,
            before.version,
        ));
    }
    repo::insert_event(
        tx,
        id,
        NewEvent {
            kind: "status",
            from: Some(before.status),
            to: Some(to),
            location: None,
            note: note.as_deref(),
        },
        &actor.name,
        now,
    )?;
    let after = get(tx, id)?;
    audit::record(
        tx,
        &actor.name,
        &format!("asset.{}", to.as_str()),
        "asset",
        id,
        Some(&before),
        Some(&after),
    )?;
    Ok(after)
}

/// Depreciation of an asset's cost over `life_years` years from its in-service date.
pub fn depreciation(
    conn: &mut DbConnection,
    id: i64,
    method: DepreciationMethod,
    life_years: u32,
    salvage: Decimal,
) -> AppResult<(Asset, Vec<DepreciationPeriod>)> {
    let asset = get(conn, id)?;
    let Some(cost) = asset.cost.as_deref() else {
        return Err(AppError::conflict(
            "asset_cost_unknown",
            format!(
                "asset {} has no cost yet: it is set when its invoice is approved",
                asset.tag
            ),
        ));
    };
    if life_years == 0 || life_years > 100 {
        return Err(AppError::bad_request_field(
            "invalid_query",
            "life_years",
            "must be between 1 and 100",
        ));
    }
    let currency = Currency::parse(&asset.cost_currency).map_err(AppError::internal)?;
    let salvage = Money::new(salvage, currency)
        .map_err(|e| AppError::bad_request_field("invalid_query", "salvage", e))?;
    let input = DepreciationInput {
        cost: parse_decimal(cost).map_err(AppError::internal)?,
        salvage: salvage.amount(),
        life_periods: life_years,
        method,
        minor_units: currency.minor_units(),
    };
    let schedule = depreciation::schedule(&input).map_err(|e| {
        let field = match e {
            DepreciationError::BadFactor => "factor",
            DepreciationError::ZeroLife => "life_years",
            DepreciationError::SalvageOutOfRange | DepreciationError::NegativeCost => "salvage",
        };
        AppError::bad_request_field("invalid_query", field, e)
    })?;
    Ok((asset, schedule))
}

/// The CMDB export columns, in order.
pub const EXPORT_COLUMNS: [&str; 18] = [
    "tag",
    "status",
    "category",
    "description",
    "serial_number",
    "site",
    "room",
    "rack",
    "rack_unit",
    "in_service_date",
    "cost",
    "cost_currency",
    "vendor_id",
    "project_id",
    "contract_id",
    "po_id",
    "po_line_id",
    "invoice_line_id",
];

/// Every asset matching `filter` as export rows (strings, in [`EXPORT_COLUMNS`] order).
pub fn export_rows(conn: &mut DbConnection, filter: &AssetFilter) -> AppResult<Vec<Vec<String>>> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let id = |v: Option<i64>| v.map(|i| i.to_string()).unwrap_or_default();
    Ok(repo::list(conn, filter, 0, None)?
        .into_iter()
        .map(|a| {
            vec![
                a.tag.clone(),
                a.status.as_str().to_string(),
                a.category.clone(),
                a.description.clone(),
                opt(&a.serial_number),
                opt(&a.location.site),
                opt(&a.location.room),
                opt(&a.location.rack),
                opt(&a.location.rack_unit),
                a.in_service_date.map(|d| d.to_string()).unwrap_or_default(),
                opt(&a.cost),
                a.cost_currency.clone(),
                a.vendor_id.to_string(),
                a.project_id.to_string(),
                id(a.contract_id),
                a.po_id.to_string(),
                a.po_line_id.to_string(),
                id(a.invoice_line_id),
            ]
        })
        .collect())
}

/// Rows as CSV (RFC 4180: comma-separated, CRLF line ends, fields quoted when they hold a comma,
/// quote or line break; a field starting with `=`, `+`, `-` or `@` is prefixed with `'` so a
/// spreadsheet does not run it as a formula).
pub fn to_csv(rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    let field = |text: &str| -> String {
        let text = if text.starts_with(['=', '+', '-', '@']) && parse_decimal(text).is_err() {
            format!("'{text}")
        } else {
            text.to_string()
        };
        if text.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text
        }
    };
    out.push_str(&EXPORT_COLUMNS.join(","));
    out.push_str("\r\n");
    for row in rows {
        out.push_str(&row.iter().map(|f| field(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

/// Rows as an xlsx workbook: one sheet "Assets", a bold header, the cost as a number with two
/// decimals and ids as numbers. (xlsx stores every number as a binary double, so a cost is
/// converted once, here, by its shortest decimal form; amounts up to 15 significant digits read
/// back exactly.)
pub fn to_xlsx(rows: &[Vec<String>]) -> AppResult<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let numeric = |i: usize| matches!(i, 10 | 12..=17);
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let xlsx = |e: rust_xlsxwriter::XlsxError| AppError::internal(anyhow::anyhow!(e));
    sheet.set_name("Assets").map_err(xlsx)?;
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    for (col, name) in EXPORT_COLUMNS.iter().enumerate() {
        sheet
            .write_string_with_format(0, col as u16, *name, &bold)
            .map_err(xlsx)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).map_err(AppError::internal)?;
        for (c, value) in row.iter().enumerate() {
            let col = c as u16;
            if value.is_empty() {
                continue;
            }
            let number = value.parse::<f64>(); // allow-float: xlsx numbers are binary doubles; this is the export edge
            match (numeric(c), number) {
                (true, Ok(number)) if c == 10 => {
                    sheet
                        .write_number_with_format(r, col, number, &money)
                        .map_err(xlsx)?;
                }
                (true, Ok(number)) => {
                    sheet.write_number(r, col, number).map_err(xlsx)?;
                }
                _ => {
                    sheet.write_string(r, col, value).map_err(xlsx)?;
                }
            }
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(xlsx)?;
    sheet.autofit();
    workbook.save_to_buffer().map_err(xlsx)
}
