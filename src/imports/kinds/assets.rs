//! The asset register. Assets are born when PO lines marked as assets are received; this
//! import fills in what the warehouse and data-center teams record afterwards, by tag: serial
//! number, site, room, rack and rack unit (a changed location is recorded as a move), and
//! the lifecycle state (through the same transition as the API, so going into service still
//! needs a serial number, site and room). A blank cell leaves that field as it is.

use super::{Apply, Fields, Kind};
use crate::assets::model::AssetStatus;
use crate::assets::service::{self, AssetMove, RegisterChanges};
use crate::error::AppResult;
use crate::imports::cells::Row;
use crate::imports::headers::Column;
use crate::imports::model::DocumentAction;
use crate::imports::values::Problem;
use chrono::NaiveDate;
use std::collections::HashMap;

static COLUMNS: [Column; 9] = [
    Column::required(
        "tag",
        "Asset Tag",
        &["Tag", "Asset", "Asset ID", "Asset Number"],
        "The asset's tag (e.g. AST-2027-000001).",
    ),
    Column::optional(
        "serial_number",
        "Serial Number",
        &["Serial", "Serial No", "S/N"],
        "The manufacturer's serial number.",
    ),
    Column::optional(
        "site",
        "Site",
        &["Location", "Data Center", "DC"],
        "The site or building.",
    ),
    Column::optional("room", "Room", &["Hall", "Data Hall"], "The room."),
    Column::optional("rack", "Rack", &["Cabinet"], "The rack."),
    Column::optional(
        "rack_unit",
        "U",
        &["Rack Unit", "RU", "Position", "U Position"],
        "The rack unit(s).",
    ),
    Column::optional(
        "status",
        "Status",
        &["State", "Lifecycle"],
        "pending, in_service, in_repair, retired or disposed.",
    ),
    Column::optional(
        "in_service_date",
        "In Service Date",
        &["Commissioned", "In Service", "Commissioning Date"],
        "When it went into service (with status in_service).",
    ),
    Column::optional(
        "note",
        "Note",
        &["Notes", "Comment"],
        "Why, kept with the move or state change.",
    ),
];

const STATUSES: [(&str, AssetStatus); 5] = [
    ("pending", AssetStatus::Pending),
    ("in_service", AssetStatus::InService),
    ("in_repair", AssetStatus::InRepair),
    ("retired", AssetStatus::Retired),
    ("disposed", AssetStatus::Disposed),
];

/// One asset row.
#[derive(Debug, Clone)]
pub struct Line {
    row: u32,
    tag: String,
    serial_number: Option<String>,
    site: Option<String>,
    room: Option<String>,
    rack: Option<String>,
    rack_unit: Option<String>,
    status: Option<AssetStatus>,
    in_service_date: Option<NaiveDate>,
    note: Option<String>,
}

/// The asset register import.
pub struct Assets;

impl Kind for Assets {
    type Line = Line;

    fn columns(&self) -> &'static [Column] {
        &COLUMNS
    }

    fn parse(&self, f: &mut Fields<'_>, _row: &Row) -> Option<Line> {
        let tag = f.required_text("tag");
        let serial_number = f.text("serial_number");
        let site = f.text("site");
        let room = f.text("room");
        let rack = f.text("rack");
        let rack_unit = f.text("rack_unit");
        let status = f.choice("status", &STATUSES);
        let in_service_date = f.date("in_service_date");
        let note = f.text("note");
        if in_service_date.is_some() && status != Some(AssetStatus::InService) {
            f.fail(
                "in_service_date",
                Problem::new(
                    "date_without_status",
                    "In Service Date is recorded when Status moves the asset into service: set Status to in_service, or leave the date blank",
                ),
            );
        }
        if !f.ok() {
            return None;
        }
        Some(Line {
            row: f.row(),
            tag: tag?,
            serial_number,
            site,
            room,
            rack,
            rack_unit,
            status,
            in_service_date,
            note,
        })
    }

    fn apply(&self, apply: &mut Apply<'_, '_>, lines: Vec<Line>) -> AppResult<()> {
        apply
            .progress
            .phase("updating the asset register", Some(lines.len() as u64));
        let mut seen: HashMap<String, u32> = HashMap::new();
        for line in lines {
            if let Some(earlier) = seen.insert(line.tag.clone(), line.row) {
                apply.fail(
                    line.row,
                    Some("tag"),
                    line.tag.clone(),
                    Problem::new(
                        "duplicate_in_file",
                        format!("row {earlier} is the same asset"),
                    ),
                );
                continue;
            }
            save(apply, line)?;
        }
        Ok(())
    }
}

fn locate(path: &str) -> (usize, Option<String>) {
    let field = match path {
        "serial_number" | "site" | "room" | "rack" | "rack_unit" | "note" | "status" => path,
        "to" => "status",
        "date" => "in_service_date",
        _ => return (0, None),
    };
    (0, Some(field.to_string()))
}

fn changed(given: &Option<String>, current: &Option<String>) -> Option<Option<String>> {
    given
        .as_ref()
        .filter(|g| current.as_ref() != Some(g))
        .map(|g| Some(g.clone()))
}

fn save(apply: &mut Apply<'_, '_>, line: Line) -> AppResult<()> {
    let rows = [line.row];
    let Some(id) = crate::imports::lookup::asset(apply.tx, &line.tag)? else {
        apply.fail(
            line.row,
            Some("tag"),
            line.tag.clone(),
            Problem::new("unknown_asset", format!("no asset has the tag `{}`: assets come from receiving PO lines marked as assets", line.tag)),
        );
        return Ok(());
    };
    let current = service::get(apply.tx, id)?;
    let changes = RegisterChanges {
        serial_number: changed(&line.serial_number, &current.serial_number),
        site: changed(&line.site, &current.location.site),
        room: changed(&line.room, &current.location.room),
        rack: changed(&line.rack, &current.location.rack),
        rack_unit: changed(&line.rack_unit, &current.location.rack_unit),
        note: line.note.clone(),
    };
    let register = changes.serial_number.is_some()
        || changes.site.is_some()
        || changes.room.is_some()
        || changes.rack.is_some()
        || changes.rack_unit.is_some();
    let moving = line.status.filter(|s| *s != current.status);
    if let (None, Some(date)) = (moving, line.in_service_date) {
        if current.in_service_date != Some(date) {
            apply.fail(
                line.row,
                Some("in_service_date"),
                date.to_string(),
                Problem::new(
                    "in_service_date_fixed",
                    format!(
                        "asset {} is already in service since {}: an import does not move that date",
                        current.tag,
                        current.in_service_date.map(|d| d.to_string()).unwrap_or_else(|| "an unrecorded date".into())
                    ),
                ),
            );
            return Ok(());
        }
    }
    if !register && moving.is_none() {
        apply.done(&rows, DocumentAction::Unchanged, "asset", id, current.tag);
        return Ok(());
    }
    let actor = apply.actor;
    let today = crate::clock::now().date();
    let (note, date) = (line.note, line.in_service_date);
    let outcome = apply.attempt(&rows, &locate, move |tx| {
        let mut asset = current;
        if register {
            asset = service::register(tx, actor, id, asset.version, changes)?;
        }
        if let Some(to) = moving {
            asset = service::transition(
                tx,
                actor,
                id,
                asset.version,
                AssetMove { to, note, date },
                today,
            )?;
        }
        Ok(asset)
    })?;
    if let Some(asset) = outcome {
        apply.done(&rows, DocumentAction::Updated, "asset", id, asset.tag);
    }
    Ok(())
}
