use super::model::{thresholds_to_text, BudgetPolicy, Project, ProjectDraft, ProjectStatus};
use crate::db::schema::{budget_lines, projects};
use crate::db::sql::{escape_like, lower};
use crate::db::{DbConnection, MultiBackend};
use crate::error::{AppError, AppResult};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable)]
struct ProjectRow {
    id: i64,
    code: String,
    name: String,
    currency: String,
    status: String,
    pm_name: Option<String>,
    pm_email: Option<String>,
    finance_owner_name: Option<String>,
    finance_owner_email: Option<String>,
    start_date: Option<NaiveDate>,
    end_date: Option<NaiveDate>,
    alert_thresholds: String,
    archived_at: Option<NaiveDateTime>,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    budget_policy: String,
}

impl ProjectRow {
    fn into_project(self) -> AppResult<Project> {
        let status = ProjectStatus::parse(&self.status).ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("project {} has a corrupt status", self.id))
        })?;
        let budget_policy = BudgetPolicy::parse(&self.budget_policy).ok_or_else(|| {
            AppError::internal(anyhow::anyhow!(
                "project {} has a corrupt budget policy",
                self.id
            ))
        })?;
        Ok(Project {
            id: self.id,
            code: self.code,
            name: self.name,
            currency: self.currency,
            status,
            pm_name: self.pm_name,
            pm_email: self.pm_email,
            finance_owner_name: self.finance_owner_name,
            finance_owner_email: self.finance_owner_email,
            start_date: self.start_date,
            end_date: self.end_date,
            alert_thresholds: self
                .alert_thresholds
                .split(',')
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect(),
            budget_policy,
            archived_at: self.archived_at.map(|t| t.and_utc()),
            version: self.version,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        })
    }
}

/// Takes the project's row lock until the transaction ends (PostgreSQL; SQLite's writer already
/// holds the database): an update that changes nothing.
pub fn lock(conn: &mut DbConnection, id: i64) -> AppResult<()> {
    diesel::update(projects::table.filter(projects::id.eq(id)))
        .set(projects::id.eq(projects::id))
        .execute(conn)?;
    Ok(())
}

/// Inserts a project; returns its id.
pub fn insert(
    conn: &mut DbConnection,
    draft: &ProjectDraft,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(projects::table)
        .values((
            projects::code.eq(&draft.code),
            projects::name.eq(&draft.name),
            projects::currency.eq(draft.currency.code()),
            projects::status.eq(draft.status.as_str()),
            projects::pm_name.eq(&draft.pm_name),
            projects::pm_email.eq(&draft.pm_email),
            projects::finance_owner_name.eq(&draft.finance_owner_name),
            projects::finance_owner_email.eq(&draft.finance_owner_email),
            projects::start_date.eq(draft.start_date),
            projects::end_date.eq(draft.end_date),
            projects::alert_thresholds.eq(thresholds_to_text(&draft.alert_thresholds)),
            projects::budget_policy.eq(draft.budget_policy.as_str()),
            projects::version.eq(1),
            projects::created_at.eq(now),
            projects::updated_at.eq(now),
        ))
        .returning(projects::id)
        .get_result(conn)
}

/// Writes `draft` over project `id` if it is still at `expected_version`.
pub fn update(
    conn: &mut DbConnection,
    id: i64,
    expected_version: i64,
    draft: &ProjectDraft,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        projects::table
            .filter(projects::id.eq(id))
            .filter(projects::version.eq(expected_version)),
    )
    .set((
        projects::code.eq(&draft.code),
        projects::name.eq(&draft.name),
        projects::currency.eq(draft.currency.code()),
        projects::status.eq(draft.status.as_str()),
        projects::pm_name.eq(&draft.pm_name),
        projects::pm_email.eq(&draft.pm_email),
        projects::finance_owner_name.eq(&draft.finance_owner_name),
        projects::finance_owner_email.eq(&draft.finance_owner_email),
        projects::start_date.eq(draft.start_date),
        projects::end_date.eq(draft.end_date),
        projects::alert_thresholds.eq(thresholds_to_text(&draft.alert_thresholds)),
        projects::budget_policy.eq(draft.budget_policy.as_str()),
        projects::version.eq(expected_version + 1),
        projects::updated_at.eq(now),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Sets or clears the archive mark if the project is at `expected_version`.
pub fn set_archived(
    conn: &mut DbConnection,
    id: i64,
    expected_version: i64,
    archived_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        projects::table
            .filter(projects::id.eq(id))
            .filter(projects::version.eq(expected_version)),
    )
    .set((
        projects::archived_at.eq(archived_at),
        projects::version.eq(expected_version + 1),
        projects::updated_at.eq(now),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Sets a project's status (closing and reopening), whatever its version: the caller has
/// checked the version inside the same transaction.
pub fn set_status(
    conn: &mut DbConnection,
    id: i64,
    status: ProjectStatus,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(projects::table.filter(projects::id.eq(id)))
        .set((
            projects::status.eq(status.as_str()),
            projects::version.eq(projects::version + 1),
            projects::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Whether the project is closed (`None` when it does not exist).
pub fn is_closed(conn: &mut DbConnection, id: i64) -> QueryResult<Option<bool>> {
    let status: Option<String> = projects::table
        .filter(projects::id.eq(id))
        .select(projects::status)
        .get_result(conn)
        .optional()?;
    Ok(status.map(|s| s == ProjectStatus::Closed.as_str()))
}

/// The projects owning these budget lines.
pub fn projects_of_budget_lines(
    conn: &mut DbConnection,
    budget_line_ids: &[i64],
) -> QueryResult<Vec<i64>> {
    budget_lines::table
        .filter(budget_lines::id.eq_any(budget_line_ids))
        .select(budget_lines::project_id)
        .distinct()
        .load(conn)
}

/// The project with this id.
pub fn find(conn: &mut DbConnection, id: i64) -> AppResult<Option<Project>> {
    let row: Option<ProjectRow> = projects::table
        .filter(projects::id.eq(id))
        .get_result(conn)
        .optional()?;
    row.map(ProjectRow::into_project).transpose()
}

/// The id of the project with this code.
pub fn id_by_code(conn: &mut DbConnection, code: &str) -> QueryResult<Option<i64>> {
    projects::table
        .filter(projects::code.eq(code))
        .select(projects::id)
        .get_result(conn)
        .optional()
}

/// Whether the project has any budget line.
pub fn has_budget_lines(conn: &mut DbConnection, id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        budget_lines::table.filter(budget_lines::project_id.eq(id)),
    ))
    .get_result(conn)
}

/// Filters for listing projects.
#[derive(Debug, Clone, Default)]
pub struct ProjectFilter {
    pub status: Option<ProjectStatus>,
    pub currency: Option<String>,
    pub code: Option<String>,
    pub name_contains: Option<String>,
    pub include_archived: bool,
}

/// Projects with an id above `after`, by id, at most `limit`.
pub fn list(
    conn: &mut DbConnection,
    filter: &ProjectFilter,
    after: i64,
    limit: i64,
) -> AppResult<Vec<Project>> {
    let mut query = projects::table.into_boxed::<MultiBackend>();
    if let Some(status) = filter.status {
        query = query.filter(projects::status.eq(status.as_str()));
    }
    if let Some(currency) = &filter.currency {
        query = query.filter(projects::currency.eq(currency.clone()));
    }
    if let Some(code) = &filter.code {
        query = query.filter(projects::code.eq(code.clone()));
    }
    if let Some(text) = &filter.name_contains {
        let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
        query = query.filter(lower(projects::name).like(pattern).escape('\\'));
    }
    if !filter.include_archived {
        query = query.filter(projects::archived_at.is_null());
    }
    let rows: Vec<ProjectRow> = query
        .filter(projects::id.gt(after))
        .order(projects::id)
        .limit(limit)
        .load(conn)?;
    rows.into_iter().map(ProjectRow::into_project).collect()
}
