//! Receipt rows.

use crate::db::schema::{receipt_lines, receipts};
use crate::db::DbConnection;
use crate::error::AppResult;
use crate::money::storage::decimal_to_text;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use rust_decimal::Decimal;

/// A receipt header as stored.
#[derive(Debug, Clone, Queryable)]
pub struct ReceiptRow {
    pub id: i64,
    pub number: String,
    pub po_id: i64,
    pub kind: String,
    pub reverses_receipt_id: Option<i64>,
    pub received_on: NaiveDate,
    pub received_by: String,
    pub note: Option<String>,
    pub created_at: NaiveDateTime,
}

/// A receipt about to be stored.
#[derive(Debug, Clone)]
pub struct NewReceipt<'a> {
    pub number: &'a str,
    pub po_id: i64,
    pub kind: &'a str,
    pub reverses_receipt_id: Option<i64>,
    pub received_on: NaiveDate,
    pub received_by: &'a str,
    pub note: Option<&'a str>,
}

/// Stores a receipt and its lines (`(po_line_id, quantity)`, negative for returns).
pub fn insert(
    conn: &mut DbConnection,
    receipt: &NewReceipt<'_>,
    lines: &[(i64, Decimal)],
    now: NaiveDateTime,
) -> AppResult<i64> {
    let id = diesel::insert_into(receipts::table)
        .values((
            receipts::number.eq(receipt.number),
            receipts::po_id.eq(receipt.po_id),
            receipts::kind.eq(receipt.kind),
            receipts::reverses_receipt_id.eq(receipt.reverses_receipt_id),
            receipts::received_on.eq(receipt.received_on),
            receipts::received_by.eq(receipt.received_by),
            receipts::note.eq(receipt.note),
            receipts::created_at.eq(now),
        ))
        .returning(receipts::id)
        .get_result(conn)?;
    for (po_line_id, quantity) in lines {
        diesel::insert_into(receipt_lines::table)
            .values((
                receipt_lines::receipt_id.eq(id),
                receipt_lines::po_line_id.eq(po_line_id),
                receipt_lines::quantity.eq(decimal_to_text(*quantity)),
            ))
            .execute(conn)?;
    }
    Ok(id)
}

/// One receipt.
pub fn find(conn: &mut DbConnection, id: i64) -> AppResult<Option<ReceiptRow>> {
    Ok(receipts::table
        .filter(receipts::id.eq(id))
        .get_result(conn)
        .optional()?)
}

/// The receipt that reverses `id`, if any.
pub fn reversal_of(conn: &mut DbConnection, id: i64) -> AppResult<Option<i64>> {
    Ok(receipts::table
        .filter(receipts::reverses_receipt_id.eq(id))
        .select(receipts::id)
        .get_result(conn)
        .optional()?)
}

/// A PO's receipts, oldest first.
pub fn of_po(conn: &mut DbConnection, po_id: i64) -> AppResult<Vec<ReceiptRow>> {
    Ok(receipts::table
        .filter(receipts::po_id.eq(po_id))
        .order(receipts::id)
        .load(conn)?)
}

/// A receipt's lines: `(po_line_id, quantity text)`.
pub fn lines_of(conn: &mut DbConnection, receipt_id: i64) -> AppResult<Vec<(i64, String)>> {
    Ok(receipt_lines::table
        .filter(receipt_lines::receipt_id.eq(receipt_id))
        .order(receipt_lines::id)
        .select((receipt_lines::po_line_id, receipt_lines::quantity))
        .load(conn)?)
}
