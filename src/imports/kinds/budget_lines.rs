//! Budget lines with their monthly phasing. Each row is a new line of a project (by code),
//! created through the same service as the API: the amount has the project currency's
//! decimals, the month columns (headers such as `2027-01` or `Jan 2027`) add up to it exactly,
//! and a row whose month cells are all blank is spread evenly over the project's months.
//! A blank month cell beside filled ones means nothing is budgeted that month.
//!
//! No updates: a line that exists (same project, category and cost center) is an error, since
//! a budget's amount and phasing change only through approved change requests.

use super::{Apply, Fields, Kind};
use crate::budgets::model::BudgetCategory;
use crate::budgets::service::{self, NewLine};
use crate::error::AppResult;
use crate::imports::cells::Row;
use crate::imports::headers::Column;
use crate::imports::model::DocumentAction;
use crate::imports::values::{self, Problem};
use rust_decimal::Decimal;
use std::collections::HashMap;

static COLUMNS: [Column; 5] = [
    Column::required(
        "project",
        "Project",
        &["Project Code", "Project ID"],
        "The project's code (e.g. DC-MOVE).",
    ),
    Column::required(
        "category",
        "Category",
        &["Capex/Opex", "Type", "Budget Category"],
        "capex or opex.",
    ),
    Column::required(
        "cost_center",
        "Cost Center",
        &["Cost Centre", "CC", "Cost Center Code"],
        "The cost center; with project and category it names the line.",
    ),
    Column::optional(
        "description",
        "Description",
        &["Line Description", "Name"],
        "What the line pays for.",
    ),
    Column::required(
        "amount",
        "Amount",
        &["Budget", "Budget Amount", "Total", "Total Budget"],
        "The line's budget in the project's currency.",
    ),
];

const CATEGORIES: [(&str, BudgetCategory); 2] = [
    ("capex", BudgetCategory::Capex),
    ("opex", BudgetCategory::Opex),
];

/// One budget line row.
#[derive(Debug, Clone)]
pub struct Line {
    row: u32,
    project: String,
    category: BudgetCategory,
    cost_center: String,
    description: Option<String>,
    amount: Decimal,
    months: Vec<(String, Decimal)>,
}

/// The budget lines import.
pub struct BudgetLines;

impl Kind for BudgetLines {
    type Line = Line;

    fn columns(&self) -> &'static [Column] {
        &COLUMNS
    }

    fn months(&self) -> bool {
        true
    }

    fn parse(&self, f: &mut Fields<'_>, row: &Row) -> Option<Line> {
        let project = f.required_text("project");
        let category = f.choice("category", &CATEGORIES);
        if category.is_none() && f.ok() {
            f.fail(
                "category",
                Problem::new("required", "Category is required (capex or opex)"),
            );
        }
        let cost_center = f.required_text("cost_center");
        let description = f.text("description");
        let amount = f.required_decimal("amount");
        let mut months = Vec::new();
        let sheet = f.sheet();
        let (rules, phasing_columns) = (sheet.rules, sheet.map.months.clone());
        for (position, month) in phasing_columns {
            match values::decimal(row.cell(position), &rules) {
                Ok(Some(value)) => months.push((month, value)),
                Ok(None) => {}
                Err(problem) => f.fail(&format!("month:{month}"), problem),
            }
        }
        if !f.ok() {
            return None;
        }
        Some(Line {
            row: f.row(),
            project: project?,
            category: category?,
            cost_center: cost_center?,
            description,
            amount: amount?,
            months,
        })
    }

    fn apply(&self, apply: &mut Apply<'_, '_>, lines: Vec<Line>) -> AppResult<()> {
        apply
            .progress
            .phase("saving budget lines", Some(lines.len() as u64));
        let mut seen: HashMap<(String, &'static str, String), u32> = HashMap::new();
        for line in lines {
            let key = (
                line.project.to_uppercase(),
                line.category.as_str(),
                line.cost_center.clone(),
            );
            if let Some(earlier) = seen.insert(key, line.row) {
                apply.fail(
                    line.row,
                    Some("cost_center"),
                    line.cost_center.clone(),
                    Problem::new("duplicate_in_file", format!("row {earlier} is the same budget line (project, category and cost center)")),
                );
                continue;
            }
            save(apply, line)?;
        }
        Ok(())
    }
}

fn save(apply: &mut Apply<'_, '_>, line: Line) -> AppResult<()> {
    let rows = [line.row];
    let Some(project_id) = apply.lookups.project(apply.tx, &line.project)? else {
        apply.fail(
            line.row,
            Some("project"),
            line.project.clone(),
            Problem::new(
                "unknown_project",
                format!("no project has the code `{}`", line.project),
            ),
        );
        return Ok(());
    };
    let month_names: Vec<String> = line.months.iter().map(|(m, _)| m.clone()).collect();
    let locate = move |path: &str| -> (usize, Option<String>) {
        let field = match path {
            "amount" => Some("amount".to_string()),
            "cost_center" | "code:duplicate_budget_line" => Some("cost_center".to_string()),
            "description" => Some("description".to_string()),
            "project_id" => Some("project".to_string()),
            "category" => Some("category".to_string()),
            "months" => Some("amount".to_string()),
            other => other
                .strip_prefix("months[")
                .and_then(|rest| rest.split_once(']'))
                .and_then(|(i, _)| i.parse::<usize>().ok())
                .and_then(|i| month_names.get(i))
                .map(|m| format!("month:{m}")),
        };
        (0, field)
    };
    let label = format!(
        "{} {} {}",
        line.project.to_uppercase(),
        line.category.as_str(),
        line.cost_center
    );
    let input = NewLine {
        project_id,
        category: line.category,
        cost_center: line.cost_center,
        description: line.description,
        amount: line.amount,
        months: (!line.months.is_empty()).then_some(line.months),
    };
    let actor = apply.actor;
    if let Some(created) =
        apply.attempt(&rows, &locate, move |tx| service::create(tx, actor, input))?
    {
        apply.done(
            &rows,
            DocumentAction::Created,
            "budget_line",
            created.id,
            label,
        );
    }
    Ok(())
}
