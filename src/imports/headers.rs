//! Header rows: which column holds which field. Headers match a field's name or one of its
//! documented aliases, ignoring case, spacing and punctuation (`Tax %`, `tax percent` and
//! `TAX_PERCENT` are one header). Unknown columns are reported, never silently dropped; a
//! required column that is missing is one clear error before any row is read.

use super::cells::{column_letters, Cell, Row};
use super::values::{month, Epoch};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One column a kind of import reads.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// The field's key in the report (`unit_price`).
    pub field: &'static str,
    /// The header the templates use (`Unit Price`).
    pub header: &'static str,
    /// Other headers accepted for it.
    pub aliases: &'static [&'static str],
    /// Whether every file must have this column.
    pub required: bool,
    /// What goes in it, for the templates' notes and error messages.
    pub help: &'static str,
}

impl Column {
    /// A required column.
    pub const fn required(
        field: &'static str,
        header: &'static str,
        aliases: &'static [&'static str],
        help: &'static str,
    ) -> Self {
        Self {
            field,
            header,
            aliases,
            required: true,
            help,
        }
    }

    /// An optional column.
    pub const fn optional(
        field: &'static str,
        header: &'static str,
        aliases: &'static [&'static str],
        help: &'static str,
    ) -> Self {
        Self {
            field,
            header,
            aliases,
            required: false,
            help,
        }
    }

    fn matches(&self, key: &str) -> bool {
        normalise(self.header) == key || self.aliases.iter().any(|a| normalise(a) == key)
    }
}

/// A header reduced to what identifies it: lower-case letters and digits, `%` read as
/// `percent` and `#` as `number`.
pub fn normalise(header: &str) -> String {
    let mut key = String::with_capacity(header.len());
    for c in header.chars() {
        match c {
            '%' => key.push_str("percent"),
            '#' => key.push_str("number"),
            c if c.is_alphanumeric() => key.extend(c.to_lowercase()),
            _ => {}
        }
    }
    key
}

/// A column of the file and what it was taken for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MappedColumn {
    /// Its letter (`D`).
    pub column: String,
    /// Its header as written.
    pub header: String,
    /// The field it fills (`unit_price`), or `month:2027-03` for a phasing column.
    pub field: String,
}

/// A column nobody reads, reported so that a misspelt header is noticed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UnknownColumn {
    /// Its letter.
    pub column: String,
    /// Its header as written.
    pub header: String,
}

/// The columns of a sheet, once its header row is matched.
#[derive(Debug, Clone, Default)]
pub struct HeaderMap {
    /// The 1-based row number of the header row.
    pub row: u32,
    /// For each of the kind's columns (in its order), the file's column index.
    pub positions: Vec<Option<usize>>,
    /// Month columns (`2027-01`), for kinds that take a phasing.
    pub months: Vec<(usize, String)>,
    /// Every matched column.
    pub mapped: Vec<MappedColumn>,
    /// Columns with a header nobody reads.
    pub unknown: Vec<UnknownColumn>,
    /// Header text by column index, for messages.
    pub headers: Vec<String>,
}

impl HeaderMap {
    /// The file's column for the kind's column at `index`.
    pub fn position(&self, index: usize) -> Option<usize> {
        self.positions.get(index).copied().flatten()
    }

    /// The header as written above column `index` (or its letter).
    pub fn header_of(&self, index: usize) -> String {
        self.headers
            .get(index)
            .filter(|h| !h.is_empty())
            .cloned()
            .unwrap_or_else(|| column_letters(index))
    }
}

/// Why a header row cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderProblem {
    /// Required columns are missing (their template headers).
    Missing(Vec<&'static Column>),
    /// Two columns of the file mean the same field.
    Duplicate {
        /// The field's template header.
        header: &'static str,
        /// The two column letters.
        columns: (String, String),
    },
}

impl PartialEq for Column {
    fn eq(&self, other: &Self) -> bool {
        self.field == other.field
    }
}
impl Eq for Column {}

/// Matches a header row against `columns`. With `months`, headers that name a month
/// (`2027-01`, `Jan 2027`, a date cell on the 1st) become phasing columns.
pub fn match_headers(
    columns: &'static [Column],
    row: &Row,
    months: bool,
    epoch: Epoch,
) -> Result<HeaderMap, HeaderProblem> {
    let mut map = HeaderMap {
        row: row.number,
        positions: vec![None; columns.len()],
        ..HeaderMap::default()
    };
    for (index, cell) in row.cells.iter().enumerate() {
        let written = header_text(cell);
        map.headers.push(written.clone());
        if cell.is_empty() {
            continue;
        }
        let key = normalise(&written);
        let letter = column_letters(index);
        if let Some(field) = columns.iter().position(|c| c.matches(&key)) {
            if let Some(earlier) = map.positions[field] {
                return Err(HeaderProblem::Duplicate {
                    header: columns[field].header,
                    columns: (column_letters(earlier), letter),
                });
            }
            map.positions[field] = Some(index);
            map.mapped.push(MappedColumn {
                column: letter,
                header: written,
                field: columns[field].field.to_string(),
            });
            continue;
        }
        if months {
            if let Ok(Some(month)) = month(cell, epoch) {
                if let Some((earlier, _)) = map.months.iter().find(|(_, m)| *m == month) {
                    return Err(HeaderProblem::Duplicate {
                        header: "a month",
                        columns: (column_letters(*earlier), letter),
                    });
                }
                map.mapped.push(MappedColumn {
                    column: letter,
                    header: written,
                    field: format!("month:{month}"),
                });
                map.months.push((index, month));
                continue;
            }
        }
        map.unknown.push(UnknownColumn {
            column: letter,
            header: written,
        });
    }
    let missing: Vec<&'static Column> = columns
        .iter()
        .zip(&map.positions)
        .filter(|(column, position)| column.required && position.is_none())
        .map(|(column, _)| column)
        .collect();
    if missing.is_empty() {
        Ok(map)
    } else {
        Err(HeaderProblem::Missing(missing))
    }
}

/// How many of `columns` a row's cells name: used to find the header row under title rows.
pub fn recognised(columns: &[Column], row: &Row) -> usize {
    row.cells
        .iter()
        .filter(|cell| !cell.is_empty())
        .filter(|cell| {
            let key = normalise(&header_text(cell));
            columns.iter().any(|c| c.matches(&key))
        })
        .count()
}

fn header_text(cell: &Cell) -> String {
    match cell {
        Cell::Text(text) => text.trim().to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static COLUMNS: [Column; 3] = [
        Column::required("name", "Name", &["Vendor", "Supplier Name"], ""),
        Column::optional("tax_percent", "Tax %", &["VAT %", "Tax Rate"], ""),
        Column::required("amount", "Amount", &[], ""),
    ];

    fn row(headers: &[&str]) -> Row {
        Row {
            number: 1,
            cells: headers.iter().map(|h| Cell::Text(h.to_string())).collect(),
        }
    }

    #[test]
    fn headers_match_ignoring_case_spacing_and_punctuation() {
        let map = match_headers(
            &COLUMNS,
            &row(&[
                "SUPPLIER_NAME",
                " tax percent ",
                "amount",
                "Account Manager",
            ]),
            false,
            Epoch::Excel1900,
        )
        .expect("all required present");
        assert_eq!(map.positions, vec![Some(0), Some(1), Some(2)]);
        assert_eq!(
            map.unknown,
            vec![UnknownColumn {
                column: "D".into(),
                header: "Account Manager".into()
            }]
        );
        assert_eq!(normalise("Tax %"), normalise("TAX_PERCENT"));
        assert_eq!(normalise("Invoice #"), "invoicenumber");
    }

    #[test]
    fn missing_and_duplicate_columns_are_one_clear_error() {
        match match_headers(&COLUMNS, &row(&["Name", "VAT %"]), false, Epoch::Excel1900) {
            Err(HeaderProblem::Missing(missing)) => {
                assert_eq!(
                    missing.iter().map(|c| c.header).collect::<Vec<_>>(),
                    ["Amount"]
                )
            }
            other => panic!("expected missing Amount, got {other:?}"),
        }
        assert_eq!(
            match_headers(
                &COLUMNS,
                &row(&["Vendor", "Amount", "Supplier Name"]),
                false,
                Epoch::Excel1900
            )
            .expect_err("duplicate"),
            HeaderProblem::Duplicate {
                header: "Name",
                columns: ("A".into(), "C".into())
            }
        );
    }

    #[test]
    fn month_headers_become_phasing_columns() {
        let map = match_headers(
            &COLUMNS,
            &row(&["Name", "Amount", "2027-01", "Feb 2027", "Notes"]),
            true,
            Epoch::Excel1900,
        )
        .expect("valid");
        assert_eq!(
            map.months,
            vec![(2, "2027-01".to_string()), (3, "2027-02".to_string())]
        );
        assert_eq!(map.unknown.len(), 1);
    }
}
