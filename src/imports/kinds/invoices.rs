//! Invoices and credit memos (actuals), one row per line. Rows with the same vendor and
//! invoice number make one invoice and must agree on its header (dates, currency, kind, the
//! original invoice). Each is recorded through the same service as the API: duplicate checks
//! (an invoice number a vendor already sent is refused), three-way matching against the PO
//! line named by PO Number and PO Line, and holds with their reasons. A line without a PO
//! names its budget line by project, category and cost center, and is held for a person to
//! check, as the API does. Approval stays a second person's decision.
//!
//! A line gives Quantity and Unit Price, or only Amount (then it is one unit at that price),
//! or all three, which must agree to the cent (quantity × price rounded half-even).

use super::{agree, group_by, split_path, Apply, Fields, Kind, Streamed};
use crate::budgets::model::BudgetCategory;
use crate::error::AppResult;
use crate::imports::cells::Row;
use crate::imports::headers::Column;
use crate::imports::model::DocumentAction;
use crate::imports::values::Problem;
use crate::invoices::model::InvoiceKind;
use crate::invoices::recording::Recorder;
use crate::invoices::service::{InvoiceInput, InvoiceLineInput};
use crate::money::Currency;
use crate::money::RoundingPolicy;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::HashSet;

static COLUMNS: [Column; 17] = [
    Column::required(
        "number",
        "Invoice Number",
        &["Invoice No", "Invoice", "Invoice ID", "Document Number"],
        "The vendor's invoice number; rows with the same vendor and number are one invoice.",
    ),
    Column::required(
        "vendor",
        "Vendor",
        &["Supplier", "Vendor Name", "Supplier Name", "Vendor Tax ID"],
        "The vendor's tax id or exact name.",
    ),
    Column::required(
        "invoice_date",
        "Invoice Date",
        &["Date", "Document Date", "Invoiced"],
        "The invoice's date (its FX date).",
    ),
    Column::optional(
        "due_date",
        "Due Date",
        &["Payment Due", "Due"],
        "When payment is due.",
    ),
    Column::required(
        "currency",
        "Currency",
        &["Ccy", "Curr", "Currency Code"],
        "The invoice's currency (ISO 4217).",
    ),
    Column::optional(
        "kind",
        "Kind",
        &["Type", "Document Type"],
        "invoice or credit_memo (blank: invoice).",
    ),
    Column::optional(
        "original_invoice",
        "Original Invoice",
        &[
            "Credits Invoice",
            "Original Invoice Number",
            "Credited Invoice",
        ],
        "For a credit memo: the number of the approved invoice it credits.",
    ),
    Column::optional(
        "po_number",
        "PO Number",
        &["PO", "PO No", "Purchase Order", "Purchase Order Number"],
        "The purchase order billed (e.g. PO-2027-000001).",
    ),
    Column::optional(
        "po_line",
        "PO Line",
        &["PO Line No", "PO Line Number", "Line"],
        "The PO line billed (1 for the first).",
    ),
    Column::optional(
        "project",
        "Project",
        &["Project Code"],
        "For a line without a PO: the project's code.",
    ),
    Column::optional(
        "category",
        "Category",
        &["Capex/Opex", "Budget Category"],
        "For a line without a PO: capex or opex.",
    ),
    Column::optional(
        "cost_center",
        "Cost Center",
        &["Cost Centre", "CC"],
        "For a line without a PO: the budget line's cost center.",
    ),
    Column::optional(
        "description",
        "Description",
        &["Line Description", "Item"],
        "What is billed (blank: the PO line's).",
    ),
    Column::optional("quantity", "Quantity", &["Qty"], "How many."),
    Column::optional(
        "unit_price",
        "Unit Price",
        &["Price", "Unit Cost"],
        "Price per unit, up to 6 decimals.",
    ),
    Column::optional(
        "amount",
        "Amount",
        &["Net Amount", "Line Amount", "Net", "Line Total"],
        "The line's net amount, in the currency's decimals.",
    ),
    Column::optional(
        "tax_percent",
        "Tax %",
        &["Tax Rate", "VAT %", "VAT Rate"],
        "Tax in percent (blank: 0).",
    ),
];

const CATEGORIES: [(&str, BudgetCategory); 2] = [
    ("capex", BudgetCategory::Capex),
    ("opex", BudgetCategory::Opex),
];
const KINDS: [(&str, InvoiceKind); 3] = [
    ("invoice", InvoiceKind::Invoice),
    ("credit_memo", InvoiceKind::CreditMemo),
    ("credit_note", InvoiceKind::CreditMemo),
];

#[derive(Debug, Clone, PartialEq)]
struct Header {
    invoice_date: NaiveDate,
    due_date: Option<NaiveDate>,
    currency: Currency,
    kind: InvoiceKind,
    original_invoice: Option<String>,
}

/// Where a line's cost goes: a PO line, or a budget line.
#[derive(Debug, Clone)]
enum Charge {
    PoLine {
        number: String,
        line: i64,
    },
    BudgetLine {
        project: String,
        category: BudgetCategory,
        cost_center: String,
    },
}

/// One invoice line row.
#[derive(Debug, Clone)]
pub struct Line {
    row: u32,
    number: String,
    vendor: String,
    header: Header,
    charge: Charge,
    description: Option<String>,
    quantity: Decimal,
    unit_price: Decimal,
    /// The column the unit price was read from: `amount` when the row gave only Amount.
    price_field: &'static str,
    tax_percent: Decimal,
}

/// The invoices import.
pub struct Invoices;

/// Quantity and unit price from what a row gives; see the module rules.
fn quantity_and_price(
    f: &mut Fields<'_>,
    quantity: Option<Decimal>,
    price: Option<Decimal>,
    amount: Option<Decimal>,
    currency: Currency,
) -> Option<(Decimal, Decimal)> {
    match (quantity, price, amount) {
        (Some(q), Some(p), None) => Some((q, p)),
        (None, None, Some(a)) => Some((Decimal::ONE, a)),
        (Some(q), Some(p), Some(a)) => {
            let net = RoundingPolicy::HalfEven.round(q * p, currency.minor_units());
            if net == a {
                Some((q, p))
            } else {
                f.fail(
                    "amount",
                    Problem::new(
                        "amount_mismatch",
                        format!("{q} × {p} is {net} {currency}, not {a}: correct the quantity, price or amount"),
                    ),
                );
                None
            }
        }
        (None, None, None) => {
            f.fail(
                "quantity",
                Problem::new("required", "give Quantity and Unit Price, or Amount"),
            );
            None
        }
        (Some(_), None, _) => {
            f.fail(
                "unit_price",
                Problem::new("required", "Unit Price is required with Quantity"),
            );
            None
        }
        (None, Some(_), _) => {
            f.fail(
                "quantity",
                Problem::new("required", "Quantity is required with Unit Price"),
            );
            None
        }
    }
}

impl Kind for Invoices {
    type Line = Line;

    fn columns(&self) -> &'static [Column] {
        &COLUMNS
    }

    fn parse(&self, f: &mut Fields<'_>, _row: &Row) -> Option<Line> {
        let number = f.required_text("number");
        let vendor = f.required_text("vendor");
        let invoice_date = f.required_date("invoice_date");
        let due_date = f.date("due_date");
        let currency = f.currency("currency");
        let kind = f.choice("kind", &KINDS).unwrap_or(InvoiceKind::Invoice);
        let original_invoice = f.text("original_invoice");
        let po_number = f.text("po_number");
        let po_line = f.decimal("po_line");
        let project = f.text("project");
        let category = f.choice("category", &CATEGORIES);
        let cost_center = f.text("cost_center");
        let description = f.text("description");
        let quantity = f.decimal("quantity");
        let price = f.price("unit_price", currency);
        let amount = currency.and_then(|c| f.amount("amount", c));
        let tax_percent = f.percent("tax_percent").unwrap_or(Decimal::ZERO);
        let charge = match (po_number, po_line, project, category, cost_center) {
            (Some(number), Some(line), None, None, None) => match i64::try_from(line)
                .ok()
                .filter(|n| *n >= 1 && Decimal::from(*n) == line)
            {
                Some(line) => Some(Charge::PoLine { number, line }),
                None => {
                    f.fail(
                        "po_line",
                        Problem::new(
                            "not_a_line_number",
                            "PO Line is the line's number on the order: 1, 2, 3…",
                        ),
                    );
                    None
                }
            },
            (Some(_), None, ..) => {
                f.fail(
                    "po_line",
                    Problem::new("required", "PO Line is required with PO Number"),
                );
                None
            }
            (None, Some(_), ..) => {
                f.fail(
                    "po_number",
                    Problem::new("required", "PO Number is required with PO Line"),
                );
                None
            }
            (Some(_), Some(_), ..) => {
                f.fail("project", Problem::new("both_charges", "a line bills a PO line or a budget line, not both: leave Project, Category and Cost Center blank on PO lines"));
                None
            }
            (None, None, Some(project), Some(category), Some(cost_center)) => {
                Some(Charge::BudgetLine {
                    project,
                    category,
                    cost_center,
                })
            }
            (None, None, project, category, _) => {
                let missing = if project.is_none() {
                    "project"
                } else if category.is_none() {
                    "category"
                } else {
                    "cost_center"
                };
                if f.ok() {
                    f.fail(missing, Problem::new("required", "a line names its PO (PO Number and PO Line) or its budget line (Project, Category and Cost Center)"));
                }
                None
            }
        };
        let priced = match currency {
            Some(currency) if f.ok() => quantity_and_price(f, quantity, price, amount, currency),
            _ => None,
        };
        if !f.ok() {
            return None;
        }
        // A row that gives only Amount has its price in the Amount column.
        let price_field = if quantity.is_none() && price.is_none() {
            "amount"
        } else {
            "unit_price"
        };
        let (quantity, unit_price) = priced?;
        Some(Line {
            row: f.row(),
            number: number?,
            vendor: vendor?,
            header: Header {
                invoice_date: invoice_date?,
                due_date,
                currency: currency?,
                kind,
                original_invoice,
            },
            charge: charge?,
            description,
            quantity,
            unit_price,
            price_field,
            tax_percent,
        })
    }

    fn apply(&self, apply: &mut Apply<'_, '_>, lines: Vec<Line>) -> AppResult<()> {
        let invoices = group_by(lines, invoice_key);
        apply.progress.phase(
            "recording invoices",
            Some(invoices.iter().map(|i| i.len() as u64).sum()),
        );
        let in_file: HashSet<Key> = invoices
            .iter()
            .filter(|i| i[0].header.kind == InvoiceKind::Invoice)
            .map(|i| invoice_key(&i[0]))
            .collect();
        let mut batcher = Batcher::new(apply, in_file);
        for invoice in invoices {
            batcher.add(apply, invoice)?;
        }
        batcher.finish(apply)
    }

    fn streams(&self) -> bool {
        true
    }

    /// Each invoice is whole once a row of another begins, when the rows of every invoice are
    /// together (as exports write them); the invoices then reach the recorder in the order
    /// [`Kind::apply`] gives them. A file whose invoice comes back after another, or whose
    /// credit memo names an invoice further down, needs the whole file.
    fn apply_streamed(
        &self,
        apply: &mut Apply<'_, '_>,
        lines: &mut dyn Iterator<Item = Line>,
    ) -> AppResult<Streamed> {
        let mut batcher = Batcher::new(apply, HashSet::new());
        let mut met: HashSet<Key> = HashSet::new();
        let mut invoice: Vec<Line> = Vec::new();
        let mut current: Option<Key> = None;
        for line in lines {
            let key = invoice_key(&line);
            if current.as_ref() != Some(&key) {
                if !invoice.is_empty() {
                    batcher.add(apply, std::mem::take(&mut invoice))?;
                }
                if !met.insert(key.clone()) {
                    return Ok(Streamed::NeedsWholeFile);
                }
                current = Some(key);
            }
            invoice.push(line);
        }
        if !invoice.is_empty() {
            batcher.add(apply, invoice)?;
        }
        if batcher.credits_an_invoice_further_down() {
            return Ok(Streamed::NeedsWholeFile);
        }
        batcher.finish(apply)?;
        Ok(Streamed::Applied)
    }
}

/// Rows with the same key make one invoice: the vendor as written (ignoring case and outer
/// spaces) and the normalised invoice number.
type Key = (String, String);

fn invoice_key(line: &Line) -> Key {
    (
        line.vendor.trim().to_lowercase(),
        crate::invoices::model::normalise_number(&line.number),
    )
}

/// Invoices of the file on their way to the recorder, in batches of [`BATCH_LINES`] lines.
struct Batcher<'r> {
    recorder: Recorder<'r>,
    batch: Vec<Ready>,
    batch_lines: usize,
    batches: u32,
    /// Invoices (not credit memos) of the file: all of them, or those met so far.
    in_file: HashSet<Key>,
    /// The invoices credit memos named when the invoice was not (yet) among `in_file`.
    named_originals: Vec<Key>,
}

impl<'r> Batcher<'r> {
    fn new(apply: &Apply<'r, '_>, in_file: HashSet<Key>) -> Self {
        Batcher {
            recorder: Recorder::new(apply.actor, apply.purchasing),
            batch: Vec::new(),
            batch_lines: 0,
            batches: 0,
            in_file,
            named_originals: Vec::new(),
        }
    }

    /// Resolves an invoice's references and records the batch once it is full.
    fn add(&mut self, apply: &mut Apply<'_, '_>, invoice: Vec<Line>) -> AppResult<()> {
        let first = &invoice[0];
        match (&first.header.kind, &first.header.original_invoice) {
            (InvoiceKind::Invoice, _) => {
                self.in_file.insert(invoice_key(first));
            }
            (InvoiceKind::CreditMemo, Some(original)) => {
                let key = (
                    first.vendor.trim().to_lowercase(),
                    crate::invoices::model::normalise_number(original),
                );
                if !self.in_file.contains(&key) {
                    self.named_originals.push(key);
                }
            }
            (InvoiceKind::CreditMemo, None) => {}
        }
        if let Some(ready) = prepare(apply, &self.in_file, invoice)? {
            self.batch_lines += ready.rows.len();
            self.batch.push(ready);
        }
        if self.batch_lines >= BATCH_LINES {
            record(apply, &mut self.recorder, std::mem::take(&mut self.batch))?;
            self.batch_lines = 0;
            self.batches += 1;
            // Once the first batch is in, the planner is told the tables are large; later
            // growth only scales its estimates (it multiplies by the pages the tables now
            // take), so the index plans stay.
            if self.batches == 1 {
                crate::db::refresh_statistics(apply.tx, &["invoices", "invoice_lines"])?;
            }
        }
        Ok(())
    }

    /// Whether a credit memo named an invoice that came later in the file (it was checked
    /// as an invoice already recorded, but is one of this same file).
    fn credits_an_invoice_further_down(&self) -> bool {
        self.named_originals
            .iter()
            .any(|key| self.in_file.contains(key))
    }

    /// Records the last batch.
    fn finish(mut self, apply: &mut Apply<'_, '_>) -> AppResult<()> {
        record(apply, &mut self.recorder, std::mem::take(&mut self.batch))?;
        let timings = self.recorder.timings();
        tracing::debug!(
            check_ms = timings.check.as_millis() as u64,
            write_ms = timings.write.as_millis() as u64,
            audit_ms = timings.audit.as_millis() as u64,
            "invoice recording phases"
        );
        Ok(())
    }
}

/// Invoice lines recorded per batch: enough that each batch is a few statements, few enough
/// that a batch's rows and audit states stay a few megabytes.
pub const BATCH_LINES: usize = 10_000;

/// An invoice of the file with every reference resolved, for the recorder.
struct Ready {
    rows: Vec<u32>,
    /// The column each line's price came from (`amount` for rows that gave only Amount).
    price_fields: Vec<&'static str>,
    input: InvoiceInput,
}

/// Records a batch through the invoice service and reports each invoice's outcome on its rows.
fn record(
    apply: &mut Apply<'_, '_>,
    recorder: &mut Recorder<'_>,
    batch: Vec<Ready>,
) -> AppResult<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let mut inputs = Vec::with_capacity(batch.len());
    let mut placed = Vec::with_capacity(batch.len());
    for ready in batch {
        placed.push((ready.rows, ready.price_fields, ready.input.vendor_id));
        inputs.push(ready.input);
    }
    let outcomes = recorder.record(apply.tx, inputs)?;
    for ((rows, price_fields, vendor_id), outcome) in placed.into_iter().zip(outcomes) {
        match outcome {
            Ok(recorded) => {
                apply.lookups.forget_invoice(vendor_id, &recorded.number);
                apply.done(
                    &rows,
                    DocumentAction::Created,
                    "invoice",
                    recorded.id,
                    format!("{} ({})", recorded.number, recorded.status.as_str()),
                );
            }
            Err(error) => {
                // The service's `unit_price` is the Amount cell on rows that gave only Amount.
                let locate = |path: &str| match locate(path) {
                    (index, Some(field)) if field == "unit_price" => (
                        index,
                        Some(
                            price_fields
                                .get(index)
                                .copied()
                                .unwrap_or("unit_price")
                                .to_string(),
                        ),
                    ),
                    other => other,
                };
                apply.service_error(&rows, &locate, &error);
            }
        }
    }
    Ok(())
}

fn header_agrees(apply: &mut Apply<'_, '_>, invoice: &[Line]) -> bool {
    // The usual case, without building the cells' text.
    if invoice.iter().all(|l| l.header == invoice[0].header) {
        return true;
    }
    let pick = |f: fn(&Header) -> String| {
        invoice
            .iter()
            .map(|l| (l.row, f(&l.header)))
            .collect::<Vec<_>>()
    };
    let show = |s: &String| s.clone();
    let mut ok = agree(
        apply,
        "invoice_date",
        &pick(|h| h.invoice_date.to_string()),
        show,
    );
    ok &= agree(
        apply,
        "due_date",
        &pick(|h| h.due_date.map(|d| d.to_string()).unwrap_or_default()),
        show,
    );
    ok &= agree(
        apply,
        "currency",
        &pick(|h| h.currency.code().to_string()),
        show,
    );
    ok &= agree(apply, "kind", &pick(|h| h.kind.as_str().to_string()), show);
    ok &= agree(
        apply,
        "original_invoice",
        &pick(|h| h.original_invoice.clone().unwrap_or_default()),
        show,
    );
    ok
}

fn locate(path: &str) -> (usize, Option<String>) {
    let (index, last) = split_path(path);
    let field = match last {
        "vendor_id" => "vendor",
        "number" | "code:duplicate_invoice" => "number",
        "code:invoice_not_approved" => "original_invoice",
        "invoice_date" => "invoice_date",
        "due_date" => "due_date",
        "currency" => "currency",
        "original_invoice_id" => "original_invoice",
        "po_line_id" => "po_line",
        "budget_line_id" => "cost_center",
        "description" => "description",
        "quantity" => "quantity",
        "unit_price" => "unit_price",
        "tax_percent" => "tax_percent",
        _ => return (index, None),
    };
    (index, Some(field.to_string()))
}

/// Resolves an invoice's vendor, original invoice and PO or budget lines; `None` when one of
/// them is wrong (each error recorded on its cell).
fn prepare(
    apply: &mut Apply<'_, '_>,
    in_file: &HashSet<Key>,
    invoice: Vec<Line>,
) -> AppResult<Option<Ready>> {
    let rows: Vec<u32> = invoice.iter().map(|l| l.row).collect();
    if !header_agrees(apply, &invoice) {
        return Ok(None);
    }
    let first = &invoice[0];
    let Some(vendor_id) = apply.vendor(first.row, &first.vendor)? else {
        return Ok(None);
    };
    let original_invoice_id = match &first.header.original_invoice {
        Some(number)
            if in_file.contains(&(
                first.vendor.trim().to_lowercase(),
                crate::invoices::model::normalise_number(number),
            )) =>
        {
            apply.fail(
                first.row,
                Some("original_invoice"),
                number.clone(),
                Problem::new(
                    "invoice_not_approved",
                    format!("invoice {number} is in this same file, so not approved yet: import the credit memo once it is approved"),
                ),
            );
            return Ok(None);
        }
        Some(number) => match apply.lookups.invoice(apply.tx, vendor_id, number)? {
            Some(id) => Some(id),
            None => {
                apply.fail(
                    first.row,
                    Some("original_invoice"),
                    number.clone(),
                    Problem::new(
                        "unknown_invoice",
                        format!("{} has no invoice numbered `{number}`", first.vendor),
                    ),
                );
                return Ok(None);
            }
        },
        None => None,
    };
    let mut inputs = Vec::with_capacity(invoice.len());
    for line in &invoice {
        let (po_line_id, budget_line_id) = match &line.charge {
            Charge::PoLine {
                number,
                line: line_no,
            } => {
                let Some(po_id) = apply.lookups.purchase_order(apply.tx, number)? else {
                    apply.fail(
                        line.row,
                        Some("po_number"),
                        number.clone(),
                        Problem::new(
                            "unknown_purchase_order",
                            format!("no purchase order has the number `{number}`"),
                        ),
                    );
                    continue;
                };
                match apply.lookups.po_line(apply.tx, po_id, *line_no)? {
                    Some(id) => (Some(id), None),
                    None => {
                        apply.fail(
                            line.row,
                            Some("po_line"),
                            line_no.to_string(),
                            Problem::new(
                                "unknown_po_line",
                                format!("{} has no line {line_no}", number.to_uppercase()),
                            ),
                        );
                        continue;
                    }
                }
            }
            Charge::BudgetLine {
                project,
                category,
                cost_center,
            } => {
                let Some(project_id) = apply.lookups.project(apply.tx, project)? else {
                    apply.fail(
                        line.row,
                        Some("project"),
                        project.clone(),
                        Problem::new(
                            "unknown_project",
                            format!("no project has the code `{project}`"),
                        ),
                    );
                    continue;
                };
                match apply.lookups.budget_line(
                    apply.tx,
                    project_id,
                    category.as_str(),
                    cost_center,
                )? {
                    Some(id) => (None, Some(id)),
                    None => {
                        apply.fail(
                            line.row,
                            Some("cost_center"),
                            cost_center.clone(),
                            Problem::new("unknown_budget_line", format!("project {} has no {} budget line for cost center {cost_center}", project.to_uppercase(), category.as_str())),
                        );
                        continue;
                    }
                }
            }
        };
        inputs.push(InvoiceLineInput {
            po_line_id,
            milestone_id: None,
            budget_line_id,
            description: line.description.clone(),
            quantity: line.quantity,
            unit_price: line.unit_price,
            tax_percent: line.tax_percent,
        });
    }
    if inputs.len() != invoice.len() {
        return Ok(None);
    }
    Ok(Some(Ready {
        rows,
        price_fields: invoice.iter().map(|l| l.price_field).collect(),
        input: InvoiceInput {
            vendor_id,
            number: first.number.clone(),
            kind: first.header.kind,
            original_invoice_id,
            sla_measurement_id: None,
            invoice_date: first.header.invoice_date,
            due_date: first.header.due_date,
            currency: first.header.currency.code().to_string(),
            lines: inputs,
        },
    }))
}
