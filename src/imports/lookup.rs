//! Natural-key lookups an import needs to turn what a file says (a vendor's tax id or name, a
//! project code, a PO number) into ids. Read-only, over the other domains' tables; each answer
//! is cached for the rest of the import, since a file names the same few records many times.

use crate::db::schema::{
    assets, budget_lines, contracts, invoices, projects, purchase_order_lines, purchase_orders,
    slas, vendors,
};
use crate::db::sql::lower;
use crate::db::DbConnection;
use crate::error::AppResult;
use diesel::prelude::*;
use std::collections::HashMap;

/// How a reference in the file resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found<T> {
    /// Exactly one record.
    One(T),
    /// No record.
    None,
    /// Several records fit (a vendor name used twice): the file must be more precise.
    Many(usize),
}

/// Cached lookups for one import.
#[derive(Default)]
pub struct Lookups {
    vendors: HashMap<String, Found<i64>>,
    projects: HashMap<String, Option<i64>>,
    budget_lines: HashMap<(i64, String, String), Option<i64>>,
    contracts: HashMap<String, Option<i64>>,
    pos: HashMap<String, Option<i64>>,
    po_lines: HashMap<(i64, i64), Option<i64>>,
    invoices: HashMap<(i64, String), Option<i64>>,
}

impl Lookups {
    /// The vendor a file names: a value that normalises to a known tax id wins, else an exact
    /// name (case-insensitive, ignoring surrounding spaces).
    pub fn vendor(&mut self, conn: &mut DbConnection, written: &str) -> AppResult<Found<i64>> {
        let key = written.trim().to_lowercase();
        if let Some(found) = self.vendors.get(&key) {
            return Ok(found.clone());
        }
        let by_tax_id = match crate::vendors::model::normalize_tax_id(written) {
            Ok(tax_id) => crate::vendors::repo::id_by_tax_id(conn, &tax_id)?,
            Err(_) => None,
        };
        let found = match by_tax_id {
            Some(id) => Found::One(id),
            None => {
                let ids: Vec<i64> = vendors::table
                    .filter(lower(vendors::name).eq(&key))
                    .select(vendors::id)
                    .order(vendors::id)
                    .limit(10)
                    .load(conn)?;
                match ids.as_slice() {
                    [] => Found::None,
                    [one] => Found::One(*one),
                    many => Found::Many(many.len()),
                }
            }
        };
        self.vendors.insert(key, found.clone());
        Ok(found)
    }

    /// Forgets a vendor name or tax id (after the import itself created or renamed one).
    pub fn forget_vendor(&mut self, written: &str) {
        self.vendors.remove(&written.trim().to_lowercase());
    }

    /// The project with this code (codes are stored upper case).
    pub fn project(&mut self, conn: &mut DbConnection, code: &str) -> AppResult<Option<i64>> {
        let code = code.trim().to_uppercase();
        if let Some(found) = self.projects.get(&code) {
            return Ok(*found);
        }
        let found = projects::table
            .filter(projects::code.eq(&code))
            .select(projects::id)
            .get_result(conn)
            .optional()?;
        self.projects.insert(code, found);
        Ok(found)
    }

    /// The budget line of a project with this category and cost center.
    pub fn budget_line(
        &mut self,
        conn: &mut DbConnection,
        project_id: i64,
        category: &str,
        cost_center: &str,
    ) -> AppResult<Option<i64>> {
        let key = (
            project_id,
            category.to_string(),
            cost_center.trim().to_string(),
        );
        if let Some(found) = self.budget_lines.get(&key) {
            return Ok(*found);
        }
        let found = budget_lines::table
            .filter(budget_lines::project_id.eq(project_id))
            .filter(budget_lines::category.eq(&key.1))
            .filter(budget_lines::cost_center.eq(&key.2))
            .select(budget_lines::id)
            .get_result(conn)
            .optional()?;
        self.budget_lines.insert(key, found);
        Ok(found)
    }

    /// The contract with this number.
    pub fn contract(&mut self, conn: &mut DbConnection, number: &str) -> AppResult<Option<i64>> {
        let number = number.trim().to_uppercase();
        if let Some(found) = self.contracts.get(&number) {
            return Ok(*found);
        }
        let found = contracts::table
            .filter(contracts::number.eq(&number))
            .select(contracts::id)
            .get_result(conn)
            .optional()?;
        self.contracts.insert(number, found);
        Ok(found)
    }

    /// The purchase order with this number.
    pub fn purchase_order(
        &mut self,
        conn: &mut DbConnection,
        number: &str,
    ) -> AppResult<Option<i64>> {
        let number = number.trim().to_uppercase();
        if let Some(found) = self.pos.get(&number) {
            return Ok(*found);
        }
        let found = purchase_orders::table
            .filter(purchase_orders::number.eq(&number))
            .select(purchase_orders::id)
            .get_result(conn)
            .optional()?;
        self.pos.insert(number, found);
        Ok(found)
    }

    /// Line `line_no` (1-based) of a purchase order. The first call for a PO reads all its lines.
    pub fn po_line(
        &mut self,
        conn: &mut DbConnection,
        po_id: i64,
        line_no: i64,
    ) -> AppResult<Option<i64>> {
        if let Some(found) = self.po_lines.get(&(po_id, line_no)) {
            return Ok(*found);
        }
        let lines: Vec<(i64, i64)> = purchase_order_lines::table
            .filter(purchase_order_lines::po_id.eq(po_id))
            .select((purchase_order_lines::line_no, purchase_order_lines::id))
            .load(conn)?;
        for (no, id) in lines {
            self.po_lines.insert((po_id, no), Some(id));
        }
        Ok(*self.po_lines.entry((po_id, line_no)).or_insert(None))
    }

    /// A vendor's invoice by its number as written (normalised as duplicate checks do).
    pub fn invoice(
        &mut self,
        conn: &mut DbConnection,
        vendor_id: i64,
        number: &str,
    ) -> AppResult<Option<i64>> {
        let normalised = crate::invoices::model::normalise_number(number);
        let key = (vendor_id, normalised);
        if let Some(found) = self.invoices.get(&key) {
            return Ok(*found);
        }
        let found = invoices::table
            .filter(invoices::vendor_id.eq(vendor_id))
            .filter(invoices::normalised_number.eq(&key.1))
            .select(invoices::id)
            .order(invoices::id.desc())
            .first(conn)
            .optional()?;
        self.invoices.insert(key, found);
        Ok(found)
    }

    /// Forgets an invoice number (after the import itself recorded it).
    pub fn forget_invoice(&mut self, vendor_id: i64, number: &str) {
        self.invoices
            .remove(&(vendor_id, crate::invoices::model::normalise_number(number)));
    }
}

/// The SLA of a contract with this name (case-insensitive).
pub fn sla(conn: &mut DbConnection, contract_id: i64, name: &str) -> AppResult<Option<i64>> {
    Ok(slas::table
        .filter(slas::contract_id.eq(contract_id))
        .filter(lower(slas::name).eq(name.trim().to_lowercase()))
        .select(slas::id)
        .get_result(conn)
        .optional()?)
}

/// The asset with this tag.
pub fn asset(conn: &mut DbConnection, tag: &str) -> AppResult<Option<i64>> {
    Ok(assets::table
        .filter(assets::tag.eq(tag.trim()))
        .select(assets::id)
        .get_result(conn)
        .optional()?)
}
