//! Purchase orders, one row per line. Rows with the same PO Reference (the file's own key)
//! make one order and must agree on its header (vendor, project, contract, currency, order
//! date, notes). Orders are created as drafts through the same service as the API, numbered
//! `PO-<year>-NNNNNN`; submitting and approving them (where budgets are checked) stays a
//! person's decision. Each line's budget line is named by the project, category and cost
//! center. Importing the same references from another file creates new drafts: a reference
//! is the file's grouping, not a key Procura keeps.

use super::{agree, group_by, split_path, Apply, Fields, Kind};
use crate::budgets::model::BudgetCategory;
use crate::error::AppResult;
use crate::imports::cells::Row;
use crate::imports::headers::Column;
use crate::imports::model::DocumentAction;
use crate::imports::values::Problem;
use crate::money::Currency;
use crate::purchase_orders::service::{self, PoInput, PoLineInput};
use chrono::NaiveDate;
use rust_decimal::Decimal;

static COLUMNS: [Column; 17] = [
    Column::required(
        "reference",
        "PO Reference",
        &[
            "Reference",
            "Ref",
            "PO Ref",
            "Order Reference",
            "External Reference",
            "Order Ref",
        ],
        "The file's key for an order: rows with the same reference are the lines of one order.",
    ),
    Column::required(
        "vendor",
        "Vendor",
        &["Supplier", "Vendor Name", "Supplier Name", "Vendor Tax ID"],
        "The vendor's tax id or exact name.",
    ),
    Column::required(
        "project",
        "Project",
        &["Project Code"],
        "The project's code.",
    ),
    Column::optional(
        "contract",
        "Contract",
        &["Contract Number", "Contract No"],
        "The contract it is ordered under (its number), if any.",
    ),
    Column::required(
        "currency",
        "Currency",
        &["Ccy", "Curr", "Currency Code"],
        "The order's currency (ISO 4217).",
    ),
    Column::required(
        "order_date",
        "Order Date",
        &["PO Date", "Date", "Ordered"],
        "The order's date (its FX date).",
    ),
    Column::optional(
        "notes",
        "Notes",
        &["Note", "Comments"],
        "Notes on the order.",
    ),
    Column::required(
        "description",
        "Description",
        &["Item", "Line Description", "Item Description"],
        "What is ordered.",
    ),
    Column::required(
        "quantity",
        "Quantity",
        &["Qty", "Ordered Quantity"],
        "How many (up to 6 decimals; whole units for assets).",
    ),
    Column::optional(
        "unit",
        "Unit",
        &["UoM", "Unit of Measure", "Units"],
        "The unit (blank: each).",
    ),
    Column::required(
        "unit_price",
        "Unit Price",
        &["Price", "Unit Cost", "Price per Unit"],
        "Price per unit in the order's currency, up to 6 decimals.",
    ),
    Column::optional(
        "tax_percent",
        "Tax %",
        &["Tax Rate", "VAT %", "VAT Rate"],
        "Tax in percent (blank: 0).",
    ),
    Column::required(
        "category",
        "Category",
        &["Capex/Opex", "Budget Category"],
        "capex or opex: with project and cost center, the budget line.",
    ),
    Column::required(
        "cost_center",
        "Cost Center",
        &["Cost Centre", "CC"],
        "The budget line's cost center.",
    ),
    Column::optional(
        "asset",
        "Asset",
        &["Is Asset", "Asset Line"],
        "yes when each received unit becomes a tagged asset (blank: no).",
    ),
    Column::optional(
        "asset_category",
        "Asset Category",
        &[],
        "The asset category (asset lines).",
    ),
    Column::optional(
        "promised_date",
        "Promised Date",
        &["Delivery Date", "Due Date", "Expected Date"],
        "When the vendor promised delivery.",
    ),
];

const CATEGORIES: [(&str, BudgetCategory); 2] = [
    ("capex", BudgetCategory::Capex),
    ("opex", BudgetCategory::Opex),
];

/// The header fields every row of one order repeats.
#[derive(Debug, Clone, PartialEq)]
struct Header {
    vendor: String,
    project: String,
    contract: Option<String>,
    currency: Currency,
    order_date: NaiveDate,
    notes: Option<String>,
}

/// One PO line row.
#[derive(Debug, Clone)]
pub struct Line {
    row: u32,
    reference: String,
    header: Header,
    description: String,
    quantity: Decimal,
    unit: String,
    unit_price: Decimal,
    tax_percent: Decimal,
    category: BudgetCategory,
    cost_center: String,
    is_asset: bool,
    asset_category: Option<String>,
    promised_date: Option<NaiveDate>,
}

/// The purchase orders import.
pub struct PurchaseOrders;

impl Kind for PurchaseOrders {
    type Line = Line;

    fn columns(&self) -> &'static [Column] {
        &COLUMNS
    }

    fn parse(&self, f: &mut Fields<'_>, _row: &Row) -> Option<Line> {
        let reference = f.required_text("reference");
        let vendor = f.required_text("vendor");
        let project = f.required_text("project");
        let contract = f.text("contract");
        let currency = f.currency("currency");
        let order_date = f.required_date("order_date");
        let notes = f.text("notes");
        let description = f.required_text("description");
        let quantity = f.required_decimal("quantity");
        let unit = f.text("unit").unwrap_or_else(|| "each".to_string());
        let unit_price = f.price("unit_price", currency);
        if unit_price.is_none() && f.ok() {
            f.fail(
                "unit_price",
                Problem::new("required", "Unit Price is required"),
            );
        }
        let tax_percent = f.percent("tax_percent").unwrap_or(Decimal::ZERO);
        let category = f.choice("category", &CATEGORIES);
        if category.is_none() && f.ok() {
            f.fail(
                "category",
                Problem::new("required", "Category is required (capex or opex)"),
            );
        }
        let cost_center = f.required_text("cost_center");
        let is_asset = f.flag("asset").unwrap_or(false);
        let asset_category = f.text("asset_category");
        let promised_date = f.date("promised_date");
        if !f.ok() {
            return None;
        }
        Some(Line {
            row: f.row(),
            reference: reference?,
            header: Header {
                vendor: vendor?,
                project: project?,
                contract,
                currency: currency?,
                order_date: order_date?,
                notes,
            },
            description: description?,
            quantity: quantity?,
            unit,
            unit_price: unit_price?,
            tax_percent,
            category: category?,
            cost_center: cost_center?,
            is_asset,
            asset_category,
            promised_date,
        })
    }

    fn apply(&self, apply: &mut Apply<'_, '_>, lines: Vec<Line>) -> AppResult<()> {
        let orders = group_by(lines, |l| l.reference.trim().to_lowercase());
        apply.progress.phase(
            "saving purchase orders",
            Some(orders.iter().map(|o| o.len() as u64).sum()),
        );
        for order in orders {
            save(apply, order)?;
        }
        Ok(())
    }
}

fn header_agrees(apply: &mut Apply<'_, '_>, order: &[Line]) -> bool {
    let pick = |f: fn(&Header) -> String| {
        order
            .iter()
            .map(|l| (l.row, f(&l.header)))
            .collect::<Vec<_>>()
    };
    let show = |s: &String| s.clone();
    let mut ok = agree(apply, "vendor", &pick(|h| h.vendor.to_lowercase()), show);
    ok &= agree(apply, "project", &pick(|h| h.project.to_uppercase()), show);
    ok &= agree(
        apply,
        "contract",
        &pick(|h| h.contract.clone().unwrap_or_default()),
        show,
    );
    ok &= agree(
        apply,
        "currency",
        &pick(|h| h.currency.code().to_string()),
        show,
    );
    ok &= agree(
        apply,
        "order_date",
        &pick(|h| h.order_date.to_string()),
        show,
    );
    ok &= agree(
        apply,
        "notes",
        &pick(|h| h.notes.clone().unwrap_or_default()),
        show,
    );
    ok
}

fn locate(path: &str) -> (usize, Option<String>) {
    let (index, last) = split_path(path);
    let field = match last {
        "vendor_id" => "vendor",
        "project_id" => "project",
        "contract_id" => "contract",
        "currency" => "currency",
        "order_date" => "order_date",
        "notes" => "notes",
        "description" => "description",
        "quantity" => "quantity",
        "unit" => "unit",
        "unit_price" => "unit_price",
        "tax_percent" => "tax_percent",
        "budget_line_id" => "cost_center",
        "is_asset" => "asset",
        "asset_category" => "asset_category",
        "promised_date" => "promised_date",
        _ => return (index, None),
    };
    (index, Some(field.to_string()))
}

fn save(apply: &mut Apply<'_, '_>, order: Vec<Line>) -> AppResult<()> {
    let rows: Vec<u32> = order.iter().map(|l| l.row).collect();
    if !header_agrees(apply, &order) {
        return Ok(());
    }
    let first = &order[0];
    let header = first.header.clone();
    let vendor_id = apply.vendor(first.row, &header.vendor)?;
    let project_id = apply.lookups.project(apply.tx, &header.project)?;
    if project_id.is_none() {
        apply.fail(
            first.row,
            Some("project"),
            header.project.clone(),
            Problem::new(
                "unknown_project",
                format!("no project has the code `{}`", header.project),
            ),
        );
    }
    let contract_id = match &header.contract {
        Some(number) => {
            let found = apply.lookups.contract(apply.tx, number)?;
            if found.is_none() {
                apply.fail(
                    first.row,
                    Some("contract"),
                    number.clone(),
                    Problem::new(
                        "unknown_contract",
                        format!("no contract has the number `{number}`"),
                    ),
                );
                return Ok(());
            }
            found
        }
        None => None,
    };
    let (Some(vendor_id), Some(project_id)) = (vendor_id, project_id) else {
        return Ok(());
    };
    let mut inputs = Vec::with_capacity(order.len());
    for line in &order {
        match apply.lookups.budget_line(
            apply.tx,
            project_id,
            line.category.as_str(),
            &line.cost_center,
        )? {
            Some(budget_line_id) => inputs.push(PoLineInput {
                description: line.description.clone(),
                quantity: line.quantity,
                unit: line.unit.clone(),
                unit_price: line.unit_price,
                tax_percent: line.tax_percent,
                budget_line_id,
                is_asset: line.is_asset,
                asset_category: line.asset_category.clone(),
                promised_date: line.promised_date,
            }),
            None => apply.fail(
                line.row,
                Some("cost_center"),
                line.cost_center.clone(),
                Problem::new(
                    "unknown_budget_line",
                    format!(
                        "project {} has no {} budget line for cost center {}",
                        header.project.to_uppercase(),
                        line.category.as_str(),
                        line.cost_center
                    ),
                ),
            ),
        }
    }
    if inputs.len() != order.len() {
        return Ok(());
    }
    let input = PoInput {
        vendor_id,
        project_id,
        contract_id,
        currency: header.currency.code().to_string(),
        order_date: header.order_date,
        notes: header.notes,
        lines: inputs,
    };
    let actor = apply.actor;
    let reference = first.reference.clone();
    if let Some(po) = apply.attempt(&rows, &locate, move |tx| service::create(tx, actor, input))? {
        apply.done_growing(
            &rows,
            DocumentAction::Created,
            "purchase_order",
            po.id,
            format!("{} ({reference})", po.number),
            &["purchase_orders", "purchase_order_lines"],
        )?;
    }
    Ok(())
}
