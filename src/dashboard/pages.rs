//! The dashboard's pages, as maud templates (escaped by construction). Figures come as the
//! ledger and forecast services present them (the same strings as the API's JSON); a template
//! only groups their digits. Every figure cell carries `data-figure` naming it, for tests and
//! for anyone scraping the page.

use crate::alerts::Alert;
use crate::auth::Actor;
use crate::charts::format::group_digits;
use crate::closeout::model::Checklist;
use crate::ledger::portfolio::Portfolio;
use crate::ledger::projection::Forecast;
use crate::ledger::{Figures, Ledger};
use crate::projects::model::Project;
use chrono::NaiveDate;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use std::collections::HashMap;

const STYLE: &str = r#"
:root { --ink:#1f2933; --muted:#616e7c; --line:#d9e2ec; --bg:#f5f7fa; --accent:#2f5d8a; --warn:#b44d12; --bad:#b42318; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color:var(--ink); background:var(--bg); }
header { background:#243b53; color:#fff; padding:10px 24px; display:flex; align-items:center; gap:16px; }
header a { color:#fff; text-decoration:none; font-weight:600; font-size:16px; }
header .who { margin-left:auto; color:#d9e2ec; font-size:13px; }
header form { margin:0; }
header button { background:transparent; color:#fff; border:1px solid #829ab1; border-radius:4px; padding:3px 10px; cursor:pointer; }
main { max-width:1240px; margin:0 auto; padding:20px 24px 40px; }
h1 { font-size:22px; margin:4px 0 2px; }
h2 { font-size:16px; margin:0 0 10px; }
.sub { color:var(--muted); margin:0 0 16px; }
section { background:#fff; border:1px solid var(--line); border-radius:6px; padding:16px 18px; margin:0 0 18px; }
table { border-collapse:collapse; width:100%; }
th, td { padding:6px 8px; border-bottom:1px solid var(--line); text-align:left; white-space:nowrap; }
th { font-size:12px; text-transform:uppercase; letter-spacing:.03em; color:var(--muted); font-weight:600; }
td.n, th.n { text-align:right; font-variant-numeric:tabular-nums; }
tr.total td { font-weight:600; border-top:2px solid var(--ink); }
tr.sub td { color:var(--muted); }
.neg { color:var(--bad); }
.over { color:var(--warn); font-weight:600; }
.chart svg { width:100%; height:auto; display:block; }
.note { color:var(--muted); font-size:13px; }
.problem { color:var(--bad); }
.facts { display:flex; flex-wrap:wrap; gap:12px; margin:0 0 4px; }
.fact { border:1px solid var(--line); border-radius:6px; padding:8px 12px; min-width:150px; background:#fbfcfd; }
.fact b { display:block; font-size:18px; font-variant-numeric:tabular-nums; }
.fact span { color:var(--muted); font-size:12px; }
.pill { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; background:#e4e7eb; }
.pill.pending { background:#fff3c4; }
.pill.sent { background:#d3f9d8; }
form.pick { display:flex; gap:10px; align-items:end; margin:0 0 16px; }
form.pick label { display:flex; flex-direction:column; font-size:12px; color:var(--muted); }
form.pick input { font:inherit; padding:4px 6px; border:1px solid var(--line); border-radius:4px; }
form.pick button, .signin button { font:inherit; padding:5px 14px; border-radius:4px; border:1px solid var(--accent); background:var(--accent); color:#fff; cursor:pointer; }
.signin { max-width:420px; margin:60px auto; }
.signin input { width:100%; font:inherit; padding:8px; border:1px solid var(--line); border-radius:4px; margin:6px 0 12px; }
a { color:var(--accent); }
"#;

/// A page around `body`, with the header (and sign-out when someone is signed in).
pub fn layout(title: &str, actor: Option<&Actor>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Procura" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    a href="/dashboard" { "Procura" }
                    span { "Budget dashboard (read-only)" }
                    @if let Some(actor) = actor {
                        span.who { "Signed in as " (actor.name) " (" (actor.role) ")" }
                        form method="post" action="/dashboard/sign-out" {
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// The sign-in form, with a message when the last attempt failed.
pub fn sign_in(message: Option<&str>) -> Markup {
    layout(
        "Sign in",
        None,
        html! {
            section.signin {
                h1 { "Sign in" }
                p.sub { "Paste a Procura API token (" code { "procura token create" } "). Any role that may read budgets may look; nothing here changes data." }
                @if let Some(message) = message {
                    p.problem role="alert" id="sign-in-problem" { (message) }
                }
                form method="post" action="/dashboard/sign-in" {
                    label for="token" { "API token" }
                    input id="token" name="token" type="password" autocomplete="off" required placeholder="prc_…";
                    button type="submit" { "Sign in" }
                }
            }
        },
    )
}

/// A page that says what went wrong.
pub fn problem(actor: Option<&Actor>, title: &str, detail: &str) -> Markup {
    layout(
        title,
        actor,
        html! {
            section {
                h1 { (title) }
                p.problem { (detail) }
                p { a href="/dashboard" { "Back to the portfolio" } }
            }
        },
    )
}

fn figure_cell(name: &str, text: &str) -> Markup {
    let class = if text.starts_with('-') { "n neg" } else { "n" };
    html! { td class=(class) data-figure=(name) { (group_digits(text)) } }
}

fn percent_cell(name: &str, text: &str) -> Markup {
    let over = text
        .split('.')
        .next()
        .and_then(|whole| whole.parse::<i64>().ok())
        .is_some_and(|whole| whole >= 100);
    let class = if over { "n over" } else { "n" };
    html! { td class=(class) data-figure=(name) { (text) " %" } }
}

fn figures_row(prefix: &str, f: &Figures, eac: Option<&str>) -> Markup {
    html! {
        (figure_cell(&format!("{prefix}-budget"), &f.budget))
        (figure_cell(&format!("{prefix}-actual"), &f.actual))
        (figure_cell(&format!("{prefix}-committed"), &f.committed))
        (figure_cell(&format!("{prefix}-remaining"), &f.remaining))
        (percent_cell(&format!("{prefix}-utilisation"), &f.utilisation_percent))
        @match eac {
            Some(eac) => (figure_cell(&format!("{prefix}-eac"), eac)),
            None => td.n { "—" },
        }
    }
}

fn chart(chart: &Result<String, String>) -> Markup {
    match chart {
        // The SVG is plotters' output: its text is escaped by the SVG backend.
        Ok(svg) => html! { div.chart { (PreEscaped(svg)) } },
        Err(message) => html! { p.problem data-chart="unavailable" { (message) } },
    }
}

/// What the portfolio page shows.
pub struct PortfolioPage<'a> {
    /// Who is looking.
    pub actor: &'a Actor,
    /// The day the forecast and conversion are for.
    pub as_of: NaiveDate,
    /// The currency the chart (and converted totals) are in.
    pub currency: Option<String>,
    /// The portfolio (converted when a rate existed for every project).
    pub portfolio: &'a Portfolio,
    /// Every project's EAC (the forecast's `project.eac`), by project id.
    pub eacs: &'a HashMap<i64, String>,
    /// Why the converted totals are missing, when they are.
    pub conversion_problem: Option<String>,
    /// The portfolio chart's SVG, or why there is none.
    pub chart: Result<String, String>,
}

/// The portfolio page.
pub fn portfolio(page: &PortfolioPage<'_>) -> Markup {
    let p = page.portfolio;
    layout(
        "Portfolio",
        Some(page.actor),
        html! {
            h1 { "Portfolio" }
            p.sub {
                (p.projects.len()) @if p.projects.len() == 1 { " project" } @else { " projects" }
                " · forecast as of " (page.as_of) " · amounts in each project's currency; totals per currency"
                @if let Some(code) = &p.reporting_currency { " and converted into " (code) }
            }
            form.pick method="get" action="/dashboard" {
                label { "As of" input type="date" name="as_of" value=(page.as_of); }
                label { "Chart currency" input type="text" name="currency" size="4" maxlength="3" value=[page.currency.as_deref()]; }
                button type="submit" { "Show" }
            }
            section {
                h2 { "Projects" }
                table {
                    thead { tr {
                        th { "Code" } th { "Name" } th { "Currency" }
                        th.n { "Budget" } th.n { "Actual" } th.n { "Committed" } th.n { "Remaining" }
                        th.n { "Utilisation" } th.n { "EAC" }
                    } }
                    tbody {
                        @for project in &p.projects {
                            tr data-project=(project.project_id) {
                                td { a href={ "/dashboard/projects/" (project.project_id) "?as_of=" (page.as_of) } data-figure={ "project-" (project.project_id) "-code" } { (project.code) } }
                                td { (project.name) }
                                td { (project.currency) }
                                (figures_row(&format!("project-{}", project.project_id), &project.figures, page.eacs.get(&project.project_id).map(String::as_str)))
                            }
                        }
                        @if p.projects.is_empty() {
                            tr { td colspan="9" .note { "No projects yet." } }
                        }
                    }
                    tfoot {
                        @for totals in &p.by_currency {
                            tr.total {
                                td colspan="2" { "Total in " (totals.currency) }
                                td { (totals.currency) }
                                (figures_row(&format!("currency-{}", totals.currency), &totals.figures, None))
                            }
                        }
                        @if let (Some(total), Some(code)) = (&p.total, &p.reporting_currency) {
                            tr.total.converted {
                                td colspan="2" { "All projects, converted at the rates of " (p.as_of) }
                                td { (code) }
                                (figures_row("total", total, None))
                            }
                        }
                    }
                }
                @if let Some(problem) = &page.conversion_problem {
                    p.problem data-conversion="unavailable" { (problem) }
                }
            }
            section {
                h2 { "Budget burn" }
                (chart(&page.chart))
            }
        },
    )
}

/// What a project's page shows.
pub struct ProjectPage<'a> {
    /// Who is looking.
    pub actor: &'a Actor,
    /// The day the forecast is for.
    pub as_of: NaiveDate,
    /// The project.
    pub project: &'a Project,
    /// Its ledger.
    pub ledger: &'a Ledger,
    /// Its forecast.
    pub forecast: &'a Forecast,
    /// Its chart's SVG, or why there is none.
    pub chart: Result<String, String>,
    /// Its alerts, newest first; `None` when the role may not read alerts.
    pub alerts: Option<Vec<Alert>>,
    /// Its closeout checklist.
    pub closeout: &'a Checklist,
}

/// A project's page.
pub fn project(page: &ProjectPage<'_>) -> Markup {
    let (project, ledger, forecast) = (page.project, page.ledger, page.forecast);
    let fc = &forecast.project;
    let forecasts: HashMap<i64, &crate::ledger::projection::LineForecast> = forecast
        .lines
        .iter()
        .map(|l| (l.budget_line_id, l))
        .collect();
    layout(
        &project.code,
        Some(page.actor),
        html! {
            p { a href={ "/dashboard?as_of=" (page.as_of) } { "← Portfolio" } }
            h1 { (project.code) " · " (project.name) }
            p.sub {
                (ledger.currency) " · " (project.status.as_str())
                @if let (Some(start), Some(end)) = (project.start_date, project.end_date) { " · " (start) " to " (end) }
                @if let Some(pm) = &project.pm_name { " · PM " (pm) }
                " · forecast as of " (page.as_of)
            }
            form.pick method="get" action={ "/dashboard/projects/" (project.id) } {
                label { "As of" input type="date" name="as_of" value=(page.as_of); }
                button type="submit" { "Show" }
            }
            section {
                h2 { "Forecast" }
                div.facts {
                    div.fact { span { "Budget" } b data-figure="forecast-budget" { (group_digits(&fc.budget)) } }
                    div.fact { span { "EAC" } b data-figure="forecast-eac" { (group_digits(&fc.eac)) } }
                    div.fact { span { "VAC" } b data-figure="forecast-vac" { (group_digits(&fc.vac)) } }
                    div.fact { span { "EAC of budget" } b data-figure="forecast-eac-percent" { (fc.eac_percent) " %" } }
                    div.fact { span { "Run rate (" (fc.run_rate.window_months) " months to " (fc.run_rate.last_month) ")" } b data-figure="run-rate" { (group_digits(&fc.run_rate.monthly_mean)) } }
                    div.fact { span { "Money runs out" } b data-figure="run-out-month" { (fc.run_rate.run_out_month.as_deref().unwrap_or("—")) } }
                    div.fact { span { "At the run rate to the end" } b data-figure="eac-at-end" { (fc.run_rate.eac_at_end.as_deref().map(group_digits).unwrap_or_else(|| "—".into())) } }
                }
            }
            section {
                h2 { "Budget lines (" (ledger.currency) ")" }
                table {
                    thead { tr {
                        th { "Line" } th { "Category" } th { "Cost center" }
                        th.n { "Budget" } th.n { "Actual" } th.n { "Committed" } th.n { "Accrued" }
                        th.n { "Remaining" } th.n { "Utilisation" } th.n { "ETC" } th.n { "EAC" } th.n { "VAC" }
                    } }
                    tbody {
                        @for line in &ledger.lines {
                            @let prefix = format!("line-{}", line.budget_line_id);
                            @let f = &line.figures;
                            tr data-line=(line.budget_line_id) {
                                td { (line.budget_line_id) }
                                td { (line.category) }
                                td { (line.cost_center) }
                                (figure_cell(&format!("{prefix}-budget"), &f.budget))
                                (figure_cell(&format!("{prefix}-actual"), &f.actual))
                                (figure_cell(&format!("{prefix}-committed"), &f.committed))
                                (figure_cell(&format!("{prefix}-accrued"), &f.accrued))
                                (figure_cell(&format!("{prefix}-remaining"), &f.remaining))
                                (percent_cell(&format!("{prefix}-utilisation"), &f.utilisation_percent))
                                @match forecasts.get(&line.budget_line_id) {
                                    Some(lf) => {
                                        td.n data-figure={ (prefix) "-etc" } title={ "ETC " (lf.estimate.source) } {
                                            (group_digits(&lf.figures.estimate_to_complete))
                                            @if lf.estimate.source == "entered" { " ✎" }
                                        }
                                        (figure_cell(&format!("{prefix}-eac"), &lf.figures.eac))
                                        (figure_cell(&format!("{prefix}-vac"), &lf.figures.vac))
                                    }
                                    None => { td.n { "—" } td.n { "—" } td.n { "—" } }
                                }
                            }
                        }
                        @if ledger.lines.is_empty() {
                            tr { td colspan="12" .note { "No budget lines yet." } }
                        }
                    }
                    tfoot {
                        @let t = &ledger.totals;
                        tr.total {
                            td colspan="3" { "Total" }
                            (figure_cell("total-budget", &t.budget))
                            (figure_cell("total-actual", &t.actual))
                            (figure_cell("total-committed", &t.committed))
                            (figure_cell("total-accrued", &t.accrued))
                            (figure_cell("total-remaining", &t.remaining))
                            (percent_cell("total-utilisation", &t.utilisation_percent))
                            td.n data-figure="total-etc" { (group_digits(&fc.estimate_to_complete)) }
                            (figure_cell("total-eac", &fc.eac))
                            (figure_cell("total-vac", &fc.vac))
                        }
                    }
                }
                p.note { "ETC ✎: entered by the PM; otherwise the rest of the budget. " (forecast.rounding) "." }
            }
            section {
                h2 { "Budget burn" }
                (chart(&page.chart))
            }
            section {
                h2 { "Alerts" }
                @match &page.alerts {
                    None => p.note { "Your role may not read alerts." },
                    Some(alerts) if alerts.is_empty() => p.note data-alerts="0" { "No alerts for this project." },
                    Some(alerts) => {
                        table data-alerts=(alerts.len()) {
                            thead { tr { th { "Raised (UTC)" } th { "Kind" } th { "Subject" } th { "Delivery" } } }
                            tbody {
                                @for alert in alerts {
                                    tr data-alert=(alert.id) {
                                        td { (alert.created_at.format("%Y-%m-%d %H:%M")) }
                                        td { (alert.kind) }
                                        td { (alert.subject) }
                                        td {
                                            @match alert.status {
                                                crate::alerts::AlertStatus::Sent => span.pill.sent { "sent" },
                                                crate::alerts::AlertStatus::Pending => span.pill.pending { "pending" },
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            (PreEscaped("<!-- closeout -->"))
            section id="closeout" {
                h2 { "Closeout checklist" }
                (closeout_section(page.closeout))
            }
        },
    )
}

/// The project's closeout checklist: whether it can close, then each section with its items
/// (open or waived, with the waiver's reason) and its totals per currency. Figures are the
/// checklist's strings; `data-figure` names them (`closeout-open-items`,
/// `closeout-<section>-open`, `closeout-<section>-total-<currency>`).
pub fn closeout_section(checklist: &Checklist) -> Markup {
    html! {
        p {
            @if checklist.project_status == "closed" {
                b { "Closed." } " The figures are frozen; the snapshot and its pack are in the API."
            } @else if checklist.ready_to_close {
                b { "Ready to close." } " Every loose end is resolved or waived."
            } @else {
                b data-figure="closeout-open-items" { (checklist.open_items) }
                " open item(s) stand in the way of closing; "
                (checklist.waived_items) " waived."
            }
        }
        table {
            thead { tr {
                th { "Loose end" } th { "Document" } th { "What" } th.n { "Amount" } th { "State" }
            } }
            @for section in &checklist.sections {
                @let name = section.section.as_str();
                tbody data-section=(name) {
                    tr.sub {
                        td colspan="3" { b { (section.title) } " · " span data-figure={ "closeout-" (name) "-open" } { (section.open) } " open" }
                        td.n {
                            @for total in &section.totals {
                                span data-figure={ "closeout-" (name) "-total-" (total.currency) } { (group_digits(&total.amount)) } " " (total.currency) br;
                            }
                        }
                        td {}
                    }
                    @for item in &section.items {
                        tr data-item=(item.key) {
                            td {}
                            td { (item.number) }
                            td { (item.description) }
                            td.n {
                                @if let (Some(amount), Some(currency)) = (&item.amount, &item.currency) {
                                    (group_digits(amount)) " " (currency)
                                }
                            }
                            td {
                                @match &item.waiver {
                                    Some(w) if w.current => span.pill title=(w.reason) { "waived by " (w.waived_by) },
                                    Some(_) => span.pill.pending { "open (waiver outdated)" },
                                    None => span.pill.pending { "open" },
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
