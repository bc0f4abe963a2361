//! How much an import may ask of the server. Each limit is a setting; the defaults take a
//! 100,000-row invoice file with room to spare and refuse what no finance team sends.

/// Bounds on one import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest upload, in bytes (413 above).
    pub max_bytes: u64,
    /// Most data rows in the imported sheet.
    pub max_rows: usize,
    /// Most columns a row may use.
    pub max_columns: usize,
    /// Most non-empty cells in the imported sheet (OpenDocument and xls sheets are held whole,
    /// so this bounds their memory).
    pub max_cells: usize,
    /// Most bytes a zip package (xlsx, xlsb, ods) may unpack to.
    pub max_expanded_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 32 * 1024 * 1024,
            max_rows: 250_000,
            max_columns: 256,
            max_cells: 5_000_000,
            max_expanded_bytes: 256 * 1024 * 1024,
        }
    }
}
