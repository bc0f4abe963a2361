//! Vendors. Natural key: the tax id (normalised as the API does), else the exact name
//! (case-insensitive); a row with a tax id nobody has also matches a vendor of that name
//! recorded without one (which then gains the tax id). A row that matches an existing vendor updates the fields it fills; a
//! blank cell leaves that field as it is. Emails and tags are lists separated by `;` or `,`.

use super::{Apply, Fields, Kind};
use crate::error::AppResult;
use crate::imports::cells::Row;
use crate::imports::headers::Column;
use crate::imports::lookup::Found;
use crate::imports::model::DocumentAction;
use crate::imports::values::Problem;
use crate::vendors::model::{normalize_tax_id, VendorChanges, VendorDraft, VendorStatus};
use crate::vendors::service;
use std::collections::HashMap;

static COLUMNS: [Column; 6] = [
    Column::required(
        "name",
        "Name",
        &[
            "Vendor",
            "Vendor Name",
            "Supplier",
            "Supplier Name",
            "Company",
            "Company Name",
        ],
        "The vendor's legal name.",
    ),
    Column::optional(
        "tax_id",
        "Tax ID",
        &[
            "VAT",
            "VAT Number",
            "VAT No",
            "VAT ID",
            "Tax Number",
            "TIN",
            "EIN",
            "Company Number",
        ],
        "Tax or company registration id; the key that matches an existing vendor.",
    ),
    Column::optional(
        "emails",
        "Emails",
        &["Email", "Contact Email", "Email Address"],
        "Contact addresses, separated by ; or ,.",
    ),
    Column::optional(
        "status",
        "Status",
        &[],
        "active or blocked (new vendors: active).",
    ),
    Column::optional(
        "tags",
        "Tags",
        &["Tag", "Labels"],
        "Tags, separated by ; or ,.",
    ),
    Column::optional(
        "notes",
        "Notes",
        &["Note", "Comments", "Comment"],
        "Free text.",
    ),
];

/// One vendor row.
#[derive(Debug, Clone)]
pub struct Line {
    row: u32,
    name: String,
    tax_id: Option<String>,
    emails: Option<Vec<String>>,
    status: Option<VendorStatus>,
    tags: Option<Vec<String>>,
    notes: Option<String>,
}

/// The vendors import.
pub struct Vendors;

fn list(text: Option<String>) -> Option<Vec<String>> {
    text.map(|t| {
        t.split([';', ',', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    })
}

impl Kind for Vendors {
    type Line = Line;

    fn columns(&self) -> &'static [Column] {
        &COLUMNS
    }

    fn parse(&self, f: &mut Fields<'_>, _row: &Row) -> Option<Line> {
        let name = f.required_text("name");
        let tax_id = f
            .text("tax_id")
            .and_then(|raw| match normalize_tax_id(&raw) {
                Ok(tax_id) => Some(tax_id),
                Err(message) => {
                    f.fail("tax_id", Problem::new("invalid_tax_id", message));
                    None
                }
            });
        let emails = list(f.text("emails"));
        let status = f.choice(
            "status",
            &[
                ("active", VendorStatus::Active),
                ("blocked", VendorStatus::Blocked),
            ],
        );
        let tags = list(f.text("tags"));
        let notes = f.text("notes");
        if !f.ok() {
            return None;
        }
        Some(Line {
            row: f.row(),
            name: name?,
            tax_id,
            emails,
            status,
            tags,
            notes,
        })
    }

    fn apply(&self, apply: &mut Apply<'_, '_>, lines: Vec<Line>) -> AppResult<()> {
        apply
            .progress
            .phase("saving vendors", Some(lines.len() as u64));
        let mut seen: HashMap<String, u32> = HashMap::new();
        for line in lines {
            let key = line
                .tax_id
                .clone()
                .map(|t| format!("tax:{t}"))
                .unwrap_or_else(|| format!("name:{}", line.name.to_lowercase()));
            if let Some(earlier) = seen.insert(key, line.row) {
                let field = if line.tax_id.is_some() {
                    "tax_id"
                } else {
                    "name"
                };
                let value = line.tax_id.clone().unwrap_or_else(|| line.name.clone());
                apply.fail(
                    line.row,
                    Some(field),
                    value,
                    Problem::new(
                        "duplicate_in_file",
                        format!("row {earlier} names the same vendor"),
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
    let field = match path.split(['[', '.']).next().unwrap_or(path) {
        "name" => Some("name"),
        "tax_id" => Some("tax_id"),
        "emails" => Some("emails"),
        "tags" => Some("tags"),
        "notes" => Some("notes"),
        "status" => Some("status"),
        _ => None,
    };
    (0, field.map(str::to_string))
}

fn save(apply: &mut Apply<'_, '_>, line: Line) -> AppResult<()> {
    let rows = [line.row];
    let key = line.tax_id.clone().unwrap_or_else(|| line.name.clone());
    let existing = match &line.tax_id {
        Some(tax_id) => match crate::vendors::repo::id_by_tax_id(apply.tx, tax_id)? {
            Some(id) => Found::One(id),
            // A vendor recorded by name alone gains its tax id from the file; a namesake
            // with another tax id is another company.
            None => match apply.lookups.vendor(apply.tx, &line.name)? {
                Found::One(id) if service::get(apply.tx, id)?.tax_id.is_none() => Found::One(id),
                _ => Found::None,
            },
        },
        None => apply.lookups.vendor(apply.tx, &line.name)?,
    };
    let actor = apply.actor;
    match existing {
        Found::Many(n) => apply.fail(
            line.row,
            Some("name"),
            line.name.clone(),
            Problem::new(
                "ambiguous_vendor",
                format!(
                    "{n} vendors are named `{}`: give the tax id to say which",
                    line.name
                ),
            ),
        ),
        Found::None => {
            let draft = VendorDraft::parse(
                &line.name,
                line.tax_id.as_deref(),
                line.emails.as_deref().unwrap_or_default(),
                line.status.unwrap_or(VendorStatus::Active),
                line.tags.as_deref().unwrap_or_default(),
                line.notes.as_deref(),
            );
            let created =
                apply.attempt(&rows, &locate, move |tx| service::create(tx, actor, draft?))?;
            if let Some(vendor) = created {
                apply.lookups.forget_vendor(&line.name);
                apply.done(
                    &rows,
                    DocumentAction::Created,
                    "vendor",
                    vendor.id,
                    vendor.name,
                );
            }
        }
        Found::One(id) => {
            let current = service::get(apply.tx, id)?;
            let changes = VendorChanges {
                name: Some(line.name.clone()).filter(|n| *n != current.name),
                tax_id: line
                    .tax_id
                    .clone()
                    .filter(|t| current.tax_id.as_ref() != Some(t))
                    .map(Some),
                emails: line.emails.clone(),
                status: line.status,
                tags: line.tags.clone(),
                notes: line.notes.clone().map(Some),
            };
            let unchanged = VendorDraft::of(&current)
                .apply(changes.clone())
                .is_ok_and(|after| after == VendorDraft::of(&current));
            if unchanged {
                apply.done(&rows, DocumentAction::Unchanged, "vendor", id, current.name);
                return Ok(());
            }
            let version = current.version;
            let updated = apply.attempt(&rows, &locate, move |tx| {
                service::update(tx, actor, id, version, changes)
            })?;
            if let Some(vendor) = updated {
                apply.lookups.forget_vendor(&key);
                apply.done(
                    &rows,
                    DocumentAction::Updated,
                    "vendor",
                    vendor.id,
                    vendor.name,
                );
            }
        }
    }
    Ok(())
}
