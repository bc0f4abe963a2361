//! Purchase-order use cases: raise and change drafts, submit, approve (bands, segregation of
//! duties, the budget and contract-ceiling checks, the commitment), reject, issue, cancel and
//! close. Every change runs in the caller's transaction with an audit row.

use super::approval::ApprovalPolicy;
use super::model::{budget_position, line_amounts, BudgetPosition, PoStatus, PurchaseOrder};
use super::repo::{self, NewLine, NewPo, PoFilter, StatusChange, StoredPo};
use crate::alerts::{self, NewAlert};
use crate::audit;
use crate::auth::{Actor, Role};
use crate::clock;
use crate::db::sequences::document_number;
use crate::db::{DbConnection, Tx};
use crate::error::{AppError, AppResult, FieldError};
use crate::http::responses::{Page, PageWindow};
use crate::money::storage::money_from_units;
use crate::money::{parse_decimal, Currency, Money};
use crate::projects::model::{BudgetPolicy, Project};
use crate::validate::{optional_text, required_text, Validator};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

/// Most lines a purchase order may have.
pub const MAX_LINES: usize = 500;

/// A line as received.
#[derive(Debug, Clone)]
pub struct PoLineInput {
    pub description: String,
    pub quantity: Decimal,
    pub unit: String,
    pub unit_price: Decimal,
    pub tax_percent: Decimal,
    pub budget_line_id: i64,
    pub is_asset: bool,
    pub asset_category: Option<String>,
    pub promised_date: Option<NaiveDate>,
}

/// A purchase order as received.
#[derive(Debug, Clone)]
pub struct PoInput {
    pub vendor_id: i64,
    pub project_id: i64,
    pub contract_id: Option<i64>,
    pub currency: String,
    pub order_date: NaiveDate,
    pub notes: Option<String>,
    pub lines: Vec<PoLineInput>,
}

/// A purchase-order move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoStep {
    /// Send for approval.
    Submit,
    /// Approve; `override_reason` lets a budget approver pass a budget or ceiling overrun where
    /// the project's policy requires an override.
    Approve { override_reason: Option<String> },
    /// Send back to draft with a reason.
    Reject { reason: String },
    /// Send to the vendor.
    Issue,
    /// Withdraw (nothing received or invoiced), with a reason.
    Cancel { reason: String },
    /// Finish, releasing what is still committed.
    Close { reason: Option<String> },
}

impl PoStep {
    fn action(&self) -> &'static str {
        match self {
            PoStep::Submit => "submit",
            PoStep::Approve { .. } => "approve",
            PoStep::Reject { .. } => "reject",
            PoStep::Issue => "issue",
            PoStep::Cancel { .. } => "cancel",
            PoStep::Close { .. } => "close",
        }
    }
}

/// A 409 saying `action` is not allowed in the PO's status.
pub fn refuse(po: &PurchaseOrder, action: &str) -> AppError {
    let allowed = po.status.allowed_actions();
    AppError::conflict(
        "invalid_transition",
        format!(
            "purchase order {} is {}: `{action}` is not allowed (allowed: {})",
            po.number,
            po.status.as_str(),
            if allowed.is_empty() {
                "none".to_string()
            } else {
                allowed.join(", ")
            }
        ),
    )
    .with_context(serde_json::json!({ "status": po.status, "allowed_actions": allowed }))
}

/// Loads a PO or 404s, with its pending revision: while one waits, the PO's actions are
/// approving or rejecting it (plus receiving and closing), not revising again.
pub fn stored(conn: &mut DbConnection, id: i64) -> AppResult<StoredPo> {
    let mut po = repo::find(conn, id)?.ok_or_else(|| AppError::not_found("purchase order", id))?;
    if po.status.is_committed() {
        if let Some(pending) = super::revisions::pending_view(conn, &po)? {
            po.view.pending_revision = Some(pending);
            po.view
                .allowed_actions
                .retain(|a| a != "revise" && a != "cancel");
            po.view.allowed_actions.insert(0, "reject".to_string());
            po.view.allowed_actions.insert(0, "approve".to_string());
        }
    }
    Ok(po)
}

/// Reads a PO.
pub fn get(conn: &mut DbConnection, id: i64) -> AppResult<PurchaseOrder> {
    Ok(stored(conn, id)?.view)
}

/// A page of POs.
pub fn list(
    conn: &mut DbConnection,
    filter: &PoFilter,
    window: PageWindow,
) -> AppResult<Page<PurchaseOrder>> {
    let rows = repo::list(conn, filter, window.after, window.fetch())?;
    Ok(window.page(rows, |p| p.id, |p| p))
}

fn places(value: Decimal) -> u32 {
    value.normalize().scale()
}

/// The largest quantity a line may carry: a trillion units keeps every product of a quantity
/// and a price well inside exact decimal arithmetic.
pub const MAX_QUANTITY: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0);

/// The largest unit price: the largest amount Procura stores.
pub const MAX_UNIT_PRICE: Decimal = crate::money::MAX_ABS_AMOUNT;

/// A document line's quantity: more than zero, at most [`MAX_QUANTITY`], up to 6 places.
pub fn quantity(value: Decimal) -> Result<Decimal, String> {
    if value <= Decimal::ZERO {
        return Err(format!("{value} must be more than zero"));
    }
    if value > MAX_QUANTITY {
        return Err(format!("{value} is more than {MAX_QUANTITY}"));
    }
    if places(value) > 6 {
        return Err(format!("{value} has more than 6 decimal places"));
    }
    Ok(value)
}

/// A document line's unit price: zero or more, at most [`MAX_UNIT_PRICE`], up to 6 places.
pub fn unit_price(value: Decimal) -> Result<Decimal, String> {
    if value.is_sign_negative() {
        return Err(format!("{value} must be zero or more"));
    }
    if value > MAX_UNIT_PRICE {
        return Err(format!("{value} is more than {MAX_UNIT_PRICE}"));
    }
    if places(value) > 6 {
        return Err(format!("{value} has more than 6 decimal places"));
    }
    Ok(value)
}

fn tax_percent(value: Decimal) -> Result<Decimal, String> {
    if value.is_sign_negative() || value > Decimal::ONE_HUNDRED {
        return Err(format!("{value} is not a percentage between 0 and 100"));
    }
    if places(value) > 4 {
        return Err(format!("{value} has more than 4 decimal places"));
    }
    Ok(value)
}

/// Validates a PO against its references and computes its lines; every bad field at once.
pub(super) fn prepare(
    conn: &mut DbConnection,
    actor: &Actor,
    input: &PoInput,
    number: Option<String>,
) -> AppResult<(NewPo, Vec<NewLine>, Project)> {
    let mut v = Validator::new();
    let mut refs: Vec<FieldError> = Vec::new();
    match crate::vendors::repo::find(conn, input.vendor_id)? {
        None => refs.push(FieldError::new(
            "vendor_id",
            format!("vendor {} does not exist", input.vendor_id),
        )),
        Some(vendor) if vendor.archived_at.is_some() => refs.push(FieldError::new(
            "vendor_id",
            format!("vendor {} is archived", input.vendor_id),
        )),
        Some(vendor) if vendor.status == crate::vendors::model::VendorStatus::Blocked => {
            refs.push(FieldError::new(
                "vendor_id",
                format!("vendor {} is blocked: no new orders", input.vendor_id),
            ))
        }
        Some(_) => {}
    }
    let project = match crate::projects::repo::find(conn, input.project_id)? {
        None => {
            refs.push(FieldError::new(
                "project_id",
                format!("project {} does not exist", input.project_id),
            ));
            None
        }
        Some(project) if project.archived_at.is_some() => {
            refs.push(FieldError::new(
                "project_id",
                format!("project {} is archived", input.project_id),
            ));
            None
        }
        Some(project) => Some(project),
    };
    for error in refs {
        v.fail(error.field, error.message);
    }
    let currency = v.check("currency", Currency::parse(input.currency.trim()));
    let notes = v
        .check("notes", optional_text(input.notes.as_deref(), 5_000))
        .flatten();
    if input.lines.is_empty() {
        v.fail("lines", "a purchase order needs at least one line");
    }
    if input.lines.len() > MAX_LINES {
        v.fail("lines", format!("at most {MAX_LINES} lines"));
    }
    if let (Some(contract_id), Some(currency)) = (input.contract_id, currency) {
        check_contract(conn, &mut v, contract_id, input, currency)?;
    }
    let mut checked = Vec::new();
    for (i, line) in input.lines.iter().enumerate() {
        let at = |f: &str| format!("lines[{i}].{f}");
        let description = v.check(at("description"), required_text(&line.description, 500));
        let qty = v.check(at("quantity"), quantity(line.quantity));
        let unit = v.check(at("unit"), required_text(&line.unit, 20));
        let price = v.check(at("unit_price"), unit_price(line.unit_price));
        let tax = v.check(at("tax_percent"), tax_percent(line.tax_percent));
        let category = v
            .check(
                at("asset_category"),
                optional_text(line.asset_category.as_deref(), 50),
            )
            .flatten();
        if line.is_asset {
            if category.is_none() {
                v.fail(at("asset_category"), "an asset line needs a category");
            }
            if let Some(q) = qty {
                if q.fract() != Decimal::ZERO {
                    v.fail(
                        at("quantity"),
                        format!("{q}: an asset line is counted in whole units"),
                    );
                } else if q > Decimal::from(10_000) {
                    v.fail(
                        at("quantity"),
                        format!("{q}: at most 10000 assets per line"),
                    );
                }
            }
        }
        match crate::budgets::repo::find(conn, line.budget_line_id)? {
            None => v.fail(
                at("budget_line_id"),
                format!("budget line {} does not exist", line.budget_line_id),
            ),
            Some(budget) if budget.line.project_id != input.project_id => v.fail(
                at("budget_line_id"),
                format!(
                    "budget line {} belongs to project {}, not {}",
                    line.budget_line_id, budget.line.project_id, input.project_id
                ),
            ),
            Some(_) => {}
        }
        if let (Some(description), Some(qty), Some(unit), Some(price), Some(tax)) =
            (description, qty, unit, price, tax)
        {
            checked.push((i, description, qty, unit, price, tax, category));
        }
    }
    v.finish()?;
    let (Some(currency), Some(project)) = (currency, project) else {
        return Err(AppError::invalid("currency", "is required"));
    };
    let budget_currency = project.currency()?;
    let rate = crate::fx::service::convert_at(
        conn,
        Money::zero(currency),
        budget_currency,
        input.order_date,
    )?
    .rate;
    let mut lines = Vec::with_capacity(checked.len());
    for (i, description, qty, unit, price, tax, category) in checked {
        let amounts = line_amounts(qty, price, tax, currency)
            .map_err(|e| AppError::invalid(format!("lines[{i}]"), e))?;
        let net_budget = crate::fx::model::convert(amounts.net, rate, budget_currency)
            .map_err(|e| AppError::invalid(format!("lines[{i}]"), e))?;
        let source = &input.lines[i];
        lines.push(NewLine {
            description,
            quantity: qty,
            unit,
            unit_price: price,
            tax_percent: tax,
            budget_line_id: source.budget_line_id,
            is_asset: source.is_asset,
            asset_category: if source.is_asset { category } else { None },
            promised_date: source.promised_date,
            net: amounts.net,
            tax: amounts.tax,
            net_budget,
        });
    }
    let po = NewPo {
        number: number.unwrap_or_default(),
        vendor_id: input.vendor_id,
        project_id: input.project_id,
        contract_id: input.contract_id,
        currency,
        budget_currency,
        fx_rate: rate,
        order_date: input.order_date,
        requested_by: actor.name.clone(),
        requested_by_token: actor.token_id,
        notes,
    };
    Ok((po, lines, project))
}

fn check_contract(
    conn: &mut DbConnection,
    v: &mut Validator,
    contract_id: i64,
    input: &PoInput,
    currency: Currency,
) -> AppResult<()> {
    let Some(contract) = crate::contracts::repo::find(conn, contract_id)? else {
        v.fail(
            "contract_id",
            format!("contract {contract_id} does not exist"),
        );
        return Ok(());
    };
    let contract = crate::contracts::service::with_status_on(contract, input.order_date)?;
    if contract.vendor_id != input.vendor_id {
        v.fail(
            "contract_id",
            format!(
                "contract {} is with vendor {}, not {}",
                contract.number, contract.vendor_id, input.vendor_id
            ),
        );
    }
    if !contract.project_ids.contains(&input.project_id) {
        v.fail(
            "contract_id",
            format!(
                "contract {} does not serve project {}",
                contract.number, input.project_id
            ),
        );
    }
    if contract.currency != currency.code() {
        v.fail(
            "currency",
            format!(
                "contract {} is in {}: its purchase orders must be too",
                contract.number, contract.currency
            ),
        );
    }
    if contract.status != crate::contracts::model::ContractStatus::Active
        || input.order_date < contract.start_date
    {
        v.fail(
            "contract_id",
            format!(
                "contract {} is {} on {}: purchase orders need a contract in force on their order date",
                contract.number,
                contract.status.as_str(),
                input.order_date
            ),
        );
    }
    Ok(())
}

/// Raises a draft purchase order with a new number.
pub fn create(tx: &mut Tx<'_>, actor: &Actor, input: PoInput) -> AppResult<PurchaseOrder> {
    crate::projects::service::ensure_open(tx, input.project_id)?;
    let number = document_number(tx, "PO", input.order_date.year())?;
    let (po, lines, _) = prepare(tx, actor, &input, Some(number))?;
    let id = repo::insert(tx, &po, &lines, clock::now())?;
    let created = get(tx, id)?;
    audit::record(
        tx,
        &actor.name,
        "purchase_order.create",
        "purchase_order",
        id,
        None::<&()>,
        Some(&created),
    )?;
    Ok(created)
}

/// Rewrites a draft (the project cannot change: raise a new PO instead).
pub fn update_draft(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    expected_version: i64,
    input: PoInput,
) -> AppResult<PurchaseOrder> {
    let before = stored(tx, id)?;
    crate::projects::service::ensure_open(tx, before.view.project_id)?;
    crate::lifecycle::check_version("purchase order", id, before.view.version, expected_version)?;
    if before.status != PoStatus::Draft {
        return Err(refuse(&before.view, "update"));
    }
    if input.project_id != before.view.project_id {
        return Err(AppError::invalid(
            "project_id",
            "a purchase order's project cannot change; cancel it and raise a new one",
        ));
    }
    let (po, lines, _) = prepare(tx, actor, &input, None)?;
    if !repo::replace_draft(tx, id, expected_version, &po, &lines, clock::now())? {
        return Err(AppError::version_conflict(
            "purchase order",
            id,
            expected_version,
            before.view.version,
        ));
    }
    let after = get(tx, id)?;
    audit::record(
        tx,
        &actor.name,
        "purchase_order.update",
        "purchase_order",
        id,
        Some(&before.view),
        Some(&after),
    )?;
    Ok(after)
}

/// Moves a purchase order at `expected_version`.
pub fn step(
    tx: &mut Tx<'_>,
    actor: &Actor,
    policy: &ApprovalPolicy,
    id: i64,
    expected_version: i64,
    step: PoStep,
) -> AppResult<PurchaseOrder> {
    let before = stored(tx, id)?;
    crate::projects::service::ensure_open(tx, before.view.project_id)?;
    crate::lifecycle::check_version("purchase order", id, before.view.version, expected_version)?;
    let action = step.action();
    if !before.view.allowed_actions.iter().any(|a| a == action) {
        return Err(refuse(&before.view, action));
    }
    let pending = match &step {
        PoStep::Approve { .. } | PoStep::Reject { .. } if before.status.is_committed() => {
            super::revisions::pending_target(tx, &before)?
        }
        _ => None,
    };
    let now = clock::now();
    let mut change = StatusChange::default();
    let mut figures_moved = false;
    let audit_action = action;
    match &step {
        PoStep::Submit => {
            refuse_blocked_vendor(tx, &before.view)?;
            let band = policy.band_for(before.net_budget.amount());
            change.status = Some(PoStatus::Submitted);
            change.status_reason = Some(None);
            change.submitted_at = Some(now);
            change.approvals_required = Some(i64::from(band.approvals));
        }
        PoStep::Approve { override_reason } => {
            refuse_blocked_vendor(tx, &before.view)?;
            let target = match &pending {
                Some(p) => ApprovalTarget {
                    revision: p.row.revision,
                    requester_token: p.row.changed_by_token,
                    requester: p.row.changed_by.clone(),
                    net_budget: p.net_budget,
                    net_total: p.net_total,
                    open_per_budget_line: p.open_per_budget_line.clone(),
                },
                None => ApprovalTarget::of(&before)?,
            };
            let outcome = approve(
                tx,
                actor,
                policy,
                &before,
                &target,
                override_reason.as_deref(),
            )?;
            figures_moved = outcome.complete;
            match (&pending, outcome.complete) {
                (Some(p), true) => super::revisions::apply_pending(tx, &before, p, now)?,
                (None, true) => {
                    change.status = Some(PoStatus::Approved);
                    change.approved_at = Some(now);
                    change.approved_net_budget_units =
                        Some(crate::money::storage::money_to_units(&before.net_budget)?);
                }
                (_, false) => {}
            }
        }
        PoStep::Reject { reason } if pending.is_some() => {
            required_text(reason, 2_000).map_err(|m| AppError::invalid("reason", m))?;
            if let Some(p) = &pending {
                super::revisions::reject_pending(tx, p, now)?;
                change.status_reason = Some(Some(format!(
                    "revision {} rejected: {}",
                    p.row.revision,
                    reason.trim()
                )));
            }
        }
        PoStep::Reject { reason } => {
            let reason =
                required_text(reason, 2_000).map_err(|m| AppError::invalid("reason", m))?;
            change.status = Some(PoStatus::Draft);
            change.status_reason = Some(Some(reason));
            // Approvals given so far belong to the rejected submission.
            delete_pending_approvals(tx, id, before.view.revision)?;
        }
        PoStep::Issue => {
            refuse_blocked_vendor(tx, &before.view)?;
            change.status = Some(PoStatus::Issued);
            change.issued_at = Some(now);
        }
        PoStep::Cancel { reason } => {
            let reason =
                required_text(reason, 2_000).map_err(|m| AppError::invalid("reason", m))?;
            if let Some(line) = before.lines.iter().find(|l| {
                l.received().map(|q| !q.is_zero()).unwrap_or(true)
                    || l.invoiced().map(|q| !q.is_zero()).unwrap_or(true)
            }) {
                return Err(AppError::conflict(
                    "purchase_order_in_use",
                    format!(
                        "purchase order {} has receipts or invoices (line {}): close it instead",
                        before.view.number, line.line_no
                    ),
                ));
            }
            change.status = Some(PoStatus::Cancelled);
            change.status_reason = Some(Some(reason));
            change.closed_at = Some(now);
        }
        PoStep::Close { reason } => {
            let reason = optional_text(reason.as_deref(), 2_000)
                .map_err(|m| AppError::invalid("reason", m))?;
            repo::release_all(tx, id)?;
            change.status = Some(PoStatus::Closed);
            change.status_reason = Some(reason);
            change.closed_at = Some(now);
        }
    }
    if !repo::change_status(tx, id, expected_version, &change, now)? {
        return Err(AppError::version_conflict(
            "purchase order",
            id,
            expected_version,
            before.view.version,
        ));
    }
    // Commitments change when an approval completes, or when an approved PO closes or is
    // cancelled: only then can a budget threshold be crossed or re-armed.
    if figures_moved
        || (matches!(step, PoStep::Close { .. } | PoStep::Cancel { .. })
            && before.status.is_committed())
    {
        crate::ledger::thresholds::evaluate(tx, before.view.project_id, now)?;
    }
    let after = get(tx, id)?;
    audit::record(
        tx,
        &actor.name,
        &format!("purchase_order.{audit_action}"),
        "purchase_order",
        id,
        Some(&before.view),
        Some(&after),
    )?;
    Ok(after)
}

/// A blocked vendor gets no new commitments: submitting, approving and issuing are refused.
fn refuse_blocked_vendor(conn: &mut DbConnection, po: &PurchaseOrder) -> AppResult<()> {
    let vendor = crate::vendors::service::get(conn, po.vendor_id)?;
    if vendor.status == crate::vendors::model::VendorStatus::Blocked {
        return Err(AppError::conflict(
            "vendor_blocked",
            format!(
                "vendor {} ({}) is blocked: purchase order {} cannot go ahead",
                vendor.id, vendor.name, po.number
            ),
        ));
    }
    Ok(())
}

fn delete_pending_approvals(conn: &mut DbConnection, po_id: i64, revision: i64) -> AppResult<()> {
    use crate::db::schema::purchase_order_approvals as a;
    use diesel::prelude::*;
    diesel::delete(
        a::table
            .filter(a::po_id.eq(po_id))
            .filter(a::revision.eq(revision)),
    )
    .execute(conn)?;
    Ok(())
}

struct ApprovalOutcome {
    complete: bool,
}

/// What an approval approves: a submitted PO, or a pending revision of an approved one.
struct ApprovalTarget {
    revision: i64,
    requester_token: i64,
    requester: String,
    net_budget: Money,
    net_total: Money,
    /// The open value per budget line that the budget check adds (budget units).
    open_per_budget_line: Vec<(i64, i64)>,
}

impl ApprovalTarget {
    fn of(po: &StoredPo) -> AppResult<Self> {
        let mut per_line: Vec<(i64, i64)> = Vec::new();
        for line in &po.lines {
            match per_line
                .iter_mut()
                .find(|(id, _)| *id == line.budget_line_id)
            {
                Some((_, units)) => *units += line.net_budget_units,
                None => per_line.push((line.budget_line_id, line.net_budget_units)),
            }
        }
        Ok(Self {
            revision: po.view.revision,
            requester_token: po.requested_by_token,
            requester: po.view.requested_by.clone(),
            net_budget: po.net_budget,
            net_total: Money::new(
                parse_decimal(&po.view.net_total).map_err(AppError::internal)?,
                po.currency,
            )?,
            open_per_budget_line: per_line,
        })
    }
}

/// Records `actor`'s approval after the band, segregation-of-duties, budget and ceiling checks.
fn approve(
    tx: &mut Tx<'_>,
    actor: &Actor,
    policy: &ApprovalPolicy,
    po: &StoredPo,
    target: &ApprovalTarget,
    override_reason: Option<&str>,
) -> AppResult<ApprovalOutcome> {
    let band = policy.band_for(target.net_budget.amount());
    if !band.roles.iter().any(|r| r == actor.role.as_str()) {
        return Err(AppError::forbidden(format!(
            "purchase order {} is worth {} {}: its band is approved by {} (you are {})",
            po.view.number,
            target.net_budget.amount(),
            po.budget_currency,
            band.roles.join(", "),
            actor.role.as_str()
        )));
    }
    if actor.token_id == target.requester_token || actor.name == target.requester {
        return Err(AppError::segregation_of_duties(format!(
            "{} raised revision {} of purchase order {} and cannot approve it",
            actor.name, target.revision, po.view.number
        )));
    }
    let approvers = repo::approvers_of(tx, po.view.id, Some(target.revision))?;
    if approvers
        .iter()
        .any(|(name, token)| *token == actor.token_id || *name == actor.name)
    {
        return Err(AppError::conflict(
            "already_approved",
            format!(
                "{} has already approved revision {} of purchase order {}",
                actor.name, target.revision, po.view.number
            ),
        ));
    }
    let override_reason = optional_text(override_reason, 2_000)
        .map_err(|m| AppError::invalid("override_reason", m))?;
    let project = crate::projects::service::get(tx, po.view.project_id)?;
    let mut overruns = budget_overruns(tx, po, &target.open_per_budget_line)?;
    if let Some(ceiling) = ceiling_overrun(tx, po, target.net_total)? {
        overruns.push(ceiling);
    }
    let overridden = if overruns.is_empty() {
        None
    } else {
        match project.budget_policy {
            BudgetPolicy::Warn => None,
            BudgetPolicy::Block => {
                return Err(overrun_error(
                    "budget_exceeded",
                    format!(
                        "approving purchase order {} would exceed {}; project {} blocks overruns",
                        po.view.number,
                        describe(&overruns),
                        project.code
                    ),
                    &overruns,
                ))
            }
            BudgetPolicy::Override => {
                let may_override = matches!(actor.role, Role::Finance | Role::Admin);
                match (&override_reason, may_override) {
                    (Some(reason), true) => Some(reason.clone()),
                    _ => {
                        return Err(overrun_error(
                            "budget_override_required",
                            format!(
                                "approving purchase order {} would exceed {}; project {} needs a budget approver (finance or admin) to approve with an `override_reason`",
                                po.view.number,
                                describe(&overruns),
                                project.code
                            ),
                            &overruns,
                        ))
                    }
                }
            }
        }
    };
    let now = clock::now();
    repo::insert_approval(
        tx,
        repo::NewApproval {
            po_id: po.view.id,
            revision: target.revision,
            approver: &actor.name,
            approver_token: actor.token_id,
            role: actor.role.as_str(),
            override_reason: overridden.as_deref(),
        },
        now,
    )?;
    let complete = approvers.len() + 1 >= band.approvals.max(1) as usize;
    if complete && !overruns.is_empty() {
        let recipients: Vec<String> = [
            project.pm_email.clone(),
            project.finance_owner_email.clone(),
        ]
        .into_iter()
        .flatten()
        .collect();
        let kind = if overridden.is_some() {
            "budget_overrun_overridden"
        } else {
            "budget_overrun_approved"
        };
        alerts::raise(
            tx,
            &NewAlert {
                dedupe_key: format!("{kind}:po:{}:rev:{}", po.view.id, target.revision),
                kind,
                project_id: Some(project.id),
                subject: format!(
                    "[Procura] {} approved over budget on project {}",
                    po.view.number, project.code
                ),
                body: format!(
                    "Purchase order {} ({} {}) was approved by {} and exceeds {}.{}",
                    po.view.number,
                    target.net_budget.amount(),
                    po.budget_currency,
                    actor.name,
                    describe(&overruns),
                    overridden
                        .as_deref()
                        .map(|r| format!("\nOverride reason: {r}"))
                        .unwrap_or_default()
                ),
                recipients,
                html_body: None,
            },
            now,
        )?;
    }
    Ok(ApprovalOutcome { complete })
}

/// One budget line or contract ceiling that an approval would exceed.
#[derive(Debug, Clone, serde::Serialize)]
struct Overrun {
    what: String,
    position: BudgetPosition,
}

fn describe(overruns: &[Overrun]) -> String {
    overruns
        .iter()
        .map(|o| format!("{} by {}", o.what, o.position.over_by))
        .collect::<Vec<_>>()
        .join("; ")
}

fn overrun_error(code: &'static str, detail: String, overruns: &[Overrun]) -> AppError {
    AppError::conflict(code, detail).with_context(serde_json::json!({
        "overruns": overruns
            .iter()
            .map(|o| serde_json::json!({
                "what": o.what,
                "budget_line_id": o.position.budget_line_id,
                "budget": o.position.budget,
                "actual": o.position.actual,
                "committed": o.position.committed,
                "this_po": o.position.this_po,
                "over_by": o.position.over_by,
            }))
            .collect::<Vec<_>>()
    }))
}

/// The budget lines this PO would take past their budget: `open_per_budget_line` is what it
/// adds to each (budget units), on top of actuals and the other POs' commitments.
fn budget_overruns(
    conn: &mut DbConnection,
    po: &StoredPo,
    open_per_budget_line: &[(i64, i64)],
) -> AppResult<Vec<Overrun>> {
    let per_line = open_per_budget_line.to_vec();
    let currency = po.budget_currency;
    let mut out = Vec::new();
    for (budget_line_id, this_units) in per_line {
        let budget = crate::budgets::repo::find(conn, budget_line_id)?
            .ok_or_else(|| AppError::not_found("budget line", budget_line_id))?;
        let committed = repo::committed_on_budget_line(conn, budget_line_id, Some(po.view.id))?;
        let actual = crate::invoices::repo::actual_on_budget_line(conn, budget_line_id)?;
        let (position, exceeded) = budget_position(
            budget_line_id,
            budget.amount,
            money_from_units(actual, currency)?,
            money_from_units(committed, currency)?,
            money_from_units(this_units, currency)?,
        )?;
        if exceeded {
            out.push(Overrun {
                what: format!(
                    "budget line {} ({} {})",
                    budget_line_id,
                    budget.line.category.as_str(),
                    budget.line.cost_center
                ),
                position,
            });
        }
    }
    Ok(out)
}

/// The contract ceiling, when this PO would take the contract's POs past it.
fn ceiling_overrun(
    conn: &mut DbConnection,
    po: &StoredPo,
    this: Money,
) -> AppResult<Option<Overrun>> {
    let Some(contract_id) = po.view.contract_id else {
        return Ok(None);
    };
    let contract = crate::contracts::repo::find(conn, contract_id)?
        .ok_or_else(|| AppError::not_found("contract", contract_id))?;
    let currency = po.currency;
    let ceiling = Money::new(
        parse_decimal(&contract.ceiling).map_err(AppError::internal)?,
        currency,
    )?;
    // The same figures as the contract's consumption: other POs' open value plus everything
    // invoiced under the contract; this PO adds what of it is not invoiced yet.
    let figures = crate::contracts::consumption::figures(conn, contract_id, Some(po.view.id))?;
    let others = money_from_units(figures.committed + figures.invoiced, currency)?;
    let invoiced_here = money_from_units(figures.invoiced_on_excepted, currency)?;
    let this = this.checked_sub(&invoiced_here)?;
    let (mut position, exceeded) =
        budget_position(0, ceiling, Money::zero(currency), others, this)?;
    position.budget_line_id = 0;
    Ok(exceeded.then(|| Overrun {
        what: format!("contract {} ceiling", contract.number),
        position,
    }))
}
