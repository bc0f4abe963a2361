//! What a spreadsheet cell holds once it has been read, independent of the file format.
//!
//! The one float on any money path lives here: calamine hands numeric cells over as doubles,
//! and [`exact_decimal`] turns them into the decimal the file shows, once, at this edge.

use rust_decimal::Decimal;
use std::fmt;
use std::str::FromStr;

/// A numeric cell as calamine reads it, before it becomes a decimal here.
pub type RawFloat = f64; // allow-float: calamine's raw cell, converted once at the import edge

/// One cell's content, as the file stored it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing in the cell (or only spaces).
    Empty,
    /// Text, untrimmed.
    Text(String),
    /// A number, exactly as the file shows it.
    Number(Decimal),
    /// A number the file holds but no exact decimal can (NaN, infinity, more than 28 digits).
    Unrepresentable(String),
    /// A boolean cell.
    Bool(bool),
    /// A numeric cell formatted as a date or time: its serial number in the workbook's epoch.
    DateSerial(Decimal),
    /// A date or date-time stored as ISO 8601 text (OpenDocument).
    IsoDate(String),
    /// An error value such as `#DIV/0!`.
    Error(String),
    /// A formula the file stores without a computed value (written by a program that does
    /// not calculate, such as openpyxl).
    FormulaWithoutValue(String),
}

impl Cell {
    /// Whether the cell holds nothing (text of only spaces counts as nothing).
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(text) => text.trim().is_empty(),
            _ => false,
        }
    }

    /// A numeric cell from a float read by calamine.
    pub fn from_float(value: RawFloat) -> Cell {
        match exact_decimal(value) {
            Some(decimal) => Cell::Number(decimal),
            None => Cell::Unrepresentable(value.to_string()),
        }
    }
}

impl fmt::Display for Cell {
    /// The value as the user wrote it, for reports.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::Empty => Ok(()),
            Cell::Text(text) => f.write_str(text),
            Cell::Number(value) | Cell::DateSerial(value) => write!(f, "{value}"),
            Cell::Unrepresentable(text) | Cell::IsoDate(text) | Cell::Error(text) => {
                f.write_str(text)
            }
            Cell::Bool(true) => f.write_str("TRUE"),
            Cell::Bool(false) => f.write_str("FALSE"),
            Cell::FormulaWithoutValue(formula) => write!(f, "={formula}"),
        }
    }
}

/// The decimal a float stands for: the shortest text that reads back as the same float (Rust's
/// `Display` for doubles), parsed exactly. 19.99 stored as the double nearest to it is 19.99 here,
/// where `Decimal::from_f64_retain` would give 19.989999999999998436805981327.
pub fn exact_decimal(value: RawFloat) -> Option<Decimal> {
    if !value.is_finite() {
        return None;
    }
    // `Display` never uses an exponent: 1e21 prints as 1000000000000000000000.
    let text = value.to_string();
    Decimal::from_str_exact(&text)
        .or_else(|_| Decimal::from_str(&text))
        .ok()
        .filter(|d| d.to_string().trim_start_matches('-') == text.trim_start_matches('-'))
        .map(|d| d.normalize())
}

/// The spreadsheet name of a 0-based column: 0 → `A`, 25 → `Z`, 26 → `AA`.
pub fn column_letters(index: usize) -> String {
    let mut letters = Vec::new();
    let mut n = index + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// One row of a sheet: its 1-based number and its cells by 0-based column.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row {
    /// The row number the spreadsheet shows (1-based; for CSV, the record's number).
    pub number: u32,
    /// Cells by column; columns past the end are empty.
    pub cells: Vec<Cell>,
}

impl Row {
    /// The cell in column `index` (empty past the end).
    pub fn cell(&self, index: usize) -> &Cell {
        static EMPTY: Cell = Cell::Empty;
        self.cells.get(index).unwrap_or(&EMPTY)
    }

    /// Whether every cell is empty.
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(Cell::is_empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn floats_become_the_decimal_the_file_shows() {
        for (float, text) in [
            (19.99, "19.99"),
            (0.1, "0.1"),
            (1234.5, "1234.5"),
            (0.0061234567, "0.0061234567"),
            (-2250.5, "-2250.5"),
            (100.0, "100"),
            (1e21, "1000000000000000000000"),
            (12.345, "12.345"),
        ] {
            assert_eq!(
                exact_decimal(float).map(|d| d.to_string()),
                Some(text.to_string())
            );
        }
        assert_eq!(exact_decimal(RawFloat::NAN), None);
        assert_eq!(exact_decimal(RawFloat::INFINITY), None);
        // 1e-30 needs 30 decimal places: more than a Decimal holds, so it is not exact.
        assert_eq!(exact_decimal(1e-30), None);
        assert_eq!(exact_decimal(1e40), None);
    }

    #[test]
    fn column_letters_count_like_a_spreadsheet() {
        for (index, letters) in [
            (0, "A"),
            (25, "Z"),
            (26, "AA"),
            (701, "ZZ"),
            (702, "AAA"),
            (16383, "XFD"),
        ] {
            assert_eq!(column_letters(index), letters);
        }
    }

    proptest! {
        /// Any decimal with up to 15 significant digits, stored as the nearest double, reads
        /// back as itself.
        #[test]
        fn decimals_survive_the_float_edge(mantissa in -999_999_999_999_999i64..=999_999_999_999_999, scale in 0u32..=10) {
            let decimal = Decimal::new(mantissa, scale);
            let float: RawFloat = decimal.to_string().parse().expect("a decimal's text is a float");
            prop_assert_eq!(exact_decimal(float), Some(decimal.normalize()));
        }
    }
}
