//! How a cell becomes a typed value. Pure functions; every refusal names the rule it broke.
//!
//! Rules owned here (the README of `imports/` states them for users):
//! - numbers come from numeric cells exactly as the file shows them, or from text with an
//!   optional sign or parentheses for negatives, thousands separators in groups of three, and a
//!   currency code or symbol that must be the row's own currency;
//! - an amount with more decimals than its currency allows is an error, never a rounding;
//! - dates come from date cells (serials in the workbook's 1900 or 1904 system), ISO 8601 text,
//!   or text in the one format the importer stated; ambiguous, impossible or unstated text
//!   dates are errors, and so is a time of day where a date is expected;
//! - an empty cell is a missing value, never zero, never 1970-01-01;
//! - an error cell (`#DIV/0!`) or a formula without a cached value is an error wherever it is.

use super::cells::Cell;
use crate::money::Currency;
use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

/// A cell that broke a rule: the rule's stable name and a message for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The rule, such as `too_many_decimals`.
    pub rule: &'static str,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl Problem {
    /// A problem with `rule`.
    pub fn new(rule: &'static str, message: impl Into<String>) -> Self {
        Self {
            rule,
            message: message.into(),
        }
    }
}

/// Parsing results: `Ok(None)` is an empty cell.
pub type Parsed<T> = Result<Option<T>, Problem>;

/// Which date system a workbook counts its serial numbers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Epoch {
    /// Day 1 is 1900-01-01, with Lotus 1-2-3's phantom 1900-02-29 as day 60 (Excel's default).
    Excel1900,
    /// Day 0 is 1904-01-01 (older Mac workbooks).
    Excel1904,
}

/// A text date format the importer may state for a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateFormat {
    /// `31/12/2027`
    DayMonthYearSlash,
    /// `12/31/2027`
    MonthDayYearSlash,
    /// `31.12.2027`
    DayMonthYearDot,
    /// `31-12-2027`
    DayMonthYearDash,
    /// `2027/12/31`
    YearMonthDaySlash,
    /// `31 Dec 2027`
    DayMonthNameYear,
}

impl DateFormat {
    /// Every stated format, with the name users give it.
    pub const ALL: [(&'static str, DateFormat); 6] = [
        ("DD/MM/YYYY", DateFormat::DayMonthYearSlash),
        ("MM/DD/YYYY", DateFormat::MonthDayYearSlash),
        ("DD.MM.YYYY", DateFormat::DayMonthYearDot),
        ("DD-MM-YYYY", DateFormat::DayMonthYearDash),
        ("YYYY/MM/DD", DateFormat::YearMonthDaySlash),
        ("D MMM YYYY", DateFormat::DayMonthNameYear),
    ];

    /// The format named `name` (case-insensitive).
    pub fn parse(name: &str) -> Option<DateFormat> {
        let wanted = name.trim().to_ascii_uppercase();
        Self::ALL
            .iter()
            .find(|(label, _)| *label == wanted)
            .map(|(_, format)| *format)
    }

    /// The name users give this format.
    pub fn label(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, format)| *format == self)
            .map(|(label, _)| *label)
            .unwrap_or("YYYY-MM-DD")
    }

    fn chrono_pattern(self) -> &'static str {
        match self {
            DateFormat::DayMonthYearSlash => "%d/%m/%Y",
            DateFormat::MonthDayYearSlash => "%m/%d/%Y",
            DateFormat::DayMonthYearDot => "%d.%m.%Y",
            DateFormat::DayMonthYearDash => "%d-%m-%Y",
            DateFormat::YearMonthDaySlash => "%Y/%m/%d",
            DateFormat::DayMonthNameYear => "%d %b %Y",
        }
    }
}

/// How text values in a file are written, as the importer stated it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TextRules {
    /// A date format besides ISO 8601, if the file uses one.
    pub date_format: Option<DateFormat>,
    /// Whether numbers are written `1.234,56` (comma decimal, dot or space thousands).
    pub decimal_comma: bool,
}

fn unusable(cell: &Cell) -> Option<Problem> {
    match cell {
        Cell::Error(code) => Some(Problem::new(
            "error_value",
            format!("the cell holds the error {code}: correct the formula or type the value"),
        )),
        Cell::FormulaWithoutValue(formula) => Some(Problem::new(
            "formula_without_value",
            format!(
                "the formula ={formula} has no saved result (the program that wrote the file does not calculate): open and save the file in a spreadsheet program, or type the value"
            ),
        )),
        Cell::Unrepresentable(text) => Some(Problem::new(
            "not_exact",
            format!("{text} cannot be held as an exact decimal (more than 28 digits, or not a number)"),
        )),
        _ => None,
    }
}

/// The longest text any imported field may hold (the longest field Procura keeps, notes).
pub const MAX_TEXT_CHARS: usize = 4_000;

/// Trimmed text. Numbers read as their decimal text (a cost center typed as 100 is `100`);
/// dates and booleans are refused, since their text depends on how the file displays them.
pub fn text(cell: &Cell) -> Parsed<String> {
    if let Some(problem) = unusable(cell) {
        return Err(problem);
    }
    match cell {
        Cell::Empty => Ok(None),
        Cell::Text(text) => {
            let trimmed = text.trim();
            if trimmed.chars().count() > MAX_TEXT_CHARS {
                return Err(Problem::new(
                    "too_long",
                    format!("the text is longer than any field Procura keeps ({MAX_TEXT_CHARS} characters)"),
                ));
            }
            Ok((!trimmed.is_empty()).then(|| trimmed.to_string()))
        }
        Cell::Number(value) => Ok(Some(value.normalize().to_string())),
        Cell::DateSerial(_) | Cell::IsoDate(_) => Err(Problem::new(
            "not_text",
            "the cell is a date; this column takes text: format the cell as text",
        )),
        Cell::Bool(_) => Err(Problem::new(
            "not_text",
            "the cell is TRUE/FALSE; this column takes text",
        )),
        Cell::Error(_) | Cell::FormulaWithoutValue(_) | Cell::Unrepresentable(_) => Ok(None),
    }
}

/// A plain decimal (quantities, prices, rates): numeric cells, or text with an optional sign,
/// parentheses and thousands separators. Currency symbols are refused here.
pub fn decimal(cell: &Cell, rules: &TextRules) -> Parsed<Decimal> {
    number(cell, rules, None, false)
}

/// A percentage in points (`20` is 20 %); text may end in `%`.
pub fn percent(cell: &Cell, rules: &TextRules) -> Parsed<Decimal> {
    number(cell, rules, None, true)
}

/// An amount in `currency`: a number, or text that may carry the currency's code or symbol,
/// with no more decimals than the currency has.
pub fn amount(cell: &Cell, rules: &TextRules, currency: Currency) -> Parsed<Decimal> {
    let Some(value) = number(cell, rules, Some(currency), false)? else {
        return Ok(None);
    };
    let places = value.normalize().scale();
    if places > currency.minor_units() {
        return Err(Problem::new(
            "too_many_decimals",
            format!(
                "{value} has {places} decimal places; {currency} allows {}: amounts are never rounded on import",
                currency.minor_units()
            ),
        ));
    }
    Ok(Some(value))
}

fn number(
    cell: &Cell,
    rules: &TextRules,
    currency: Option<Currency>,
    percent: bool,
) -> Parsed<Decimal> {
    if let Some(problem) = unusable(cell) {
        return Err(problem);
    }
    match cell {
        Cell::Empty => Ok(None),
        Cell::Number(value) => Ok(Some(*value)),
        Cell::Text(text) if text.trim().is_empty() => Ok(None),
        Cell::Text(text) => number_text(text.trim(), rules, currency, percent).map(Some),
        Cell::DateSerial(_) | Cell::IsoDate(_) => Err(Problem::new(
            "not_a_number",
            "the cell is a date; this column takes a number",
        )),
        Cell::Bool(_) => Err(Problem::new(
            "not_a_number",
            "the cell is TRUE/FALSE; this column takes a number",
        )),
        Cell::Error(_) | Cell::FormulaWithoutValue(_) | Cell::Unrepresentable(_) => Ok(None),
    }
}

/// Reads a number written as text. See the module rules.
pub fn number_text(
    text: &str,
    rules: &TextRules,
    currency: Option<Currency>,
    percent: bool,
) -> Result<Decimal, Problem> {
    let not_a_number = || {
        Problem::new(
            "not_a_number",
            format!(
                "`{text}` is not a number (write it like {})",
                if rules.decimal_comma {
                    "1.234,56"
                } else {
                    "1,234.56"
                }
            ),
        )
    };
    let mut body = text.trim();
    let mut negative = false;
    if let Some(inner) = body.strip_prefix('(').and_then(|b| b.strip_suffix(')')) {
        negative = true;
        body = inner.trim();
    }
    if percent {
        if let Some(inner) = body.strip_suffix('%') {
            body = inner.trim_end();
        }
    }
    // A sign may stand before a leading currency mark (-$5) or after it ($-5).
    if let Some(inner) = body.strip_prefix('-') {
        if negative {
            return Err(not_a_number());
        }
        negative = true;
        body = inner.trim_start();
    }
    // A currency code or symbol before or after the figure.
    let (mark, rest) = split_currency_mark(body);
    if let Some(mark) = mark {
        match currency {
            None => {
                return Err(Problem::new(
                    "unexpected_currency",
                    format!(
                    "`{text}` carries a currency mark `{mark}`; this column takes a plain number"
                ),
                ))
            }
            Some(currency) if !mark_means(mark, currency) => {
                return Err(Problem::new(
                    "currency_mismatch",
                    format!("`{text}` is marked `{mark}`, but the row's currency is {currency}"),
                ))
            }
            Some(_) => {}
        }
    }
    body = rest;
    if let Some(inner) = body.strip_prefix('-') {
        if negative {
            return Err(not_a_number());
        }
        negative = true;
        body = inner.trim_start();
    } else if let Some(inner) = body.strip_prefix('+') {
        body = inner.trim_start();
    }
    let (decimal_mark, thousands): (char, &[char]) = if rules.decimal_comma {
        (',', &['.', ' ', '\u{a0}', '\u{202f}'])
    } else {
        ('.', &[',', ' ', '\u{a0}', '\u{202f}', '\''])
    };
    let (whole, fraction) = match body.split_once(decimal_mark) {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (body, None),
    };
    if whole.is_empty() && fraction.is_none() {
        return Err(not_a_number());
    }
    let groups: Vec<&str> = whole.split(|c| thousands.contains(&c)).collect();
    if groups.len() > 1 {
        let first_ok = (1..=3).contains(&groups[0].len());
        let rest_ok = groups[1..].iter().all(|g| g.len() == 3);
        if !first_ok || !rest_ok {
            return Err(Problem::new(
                "bad_thousands_separator",
                format!("`{text}`: thousands separators must split the digits in groups of three"),
            ));
        }
    }
    let digits: String = groups.concat();
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if digits.is_empty() && fraction.is_none_or(str::is_empty) {
        return Err(not_a_number());
    }
    if !all_digits(&digits) || fraction.is_some_and(|f| f.is_empty() || !all_digits(f)) {
        return Err(not_a_number());
    }
    let canonical = match fraction {
        Some(fraction) => format!(
            "{}{}.{fraction}",
            if negative { "-" } else { "" },
            if digits.is_empty() { "0" } else { &digits }
        ),
        None => format!("{}{digits}", if negative { "-" } else { "" }),
    };
    Decimal::from_str_exact(&canonical).map_err(|_| {
        Problem::new(
            "not_exact",
            format!("`{text}` has more digits than an exact decimal holds (28)"),
        )
    })
}

/// Splits a leading or trailing currency code or symbol from the figure.
fn split_currency_mark(body: &str) -> (Option<&str>, &str) {
    let is_figure = |c: char| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | ',' | '(' | ')');
    let start = body.find(is_figure).unwrap_or(body.len());
    let end = body.rfind(is_figure).map(|i| i + 1).unwrap_or(start);
    if start >= end {
        return (None, body);
    }
    let (prefix, suffix) = (body[..start].trim(), body[end..].trim());
    match (prefix.is_empty(), suffix.is_empty()) {
        (true, true) => (None, body),
        (false, true) => (Some(prefix), body[start..end].trim()),
        (true, false) => (Some(suffix), body[start..end].trim()),
        // Marks on both sides are never a number.
        (false, false) => (Some(body), ""),
    }
}

fn mark_means(mark: &str, currency: Currency) -> bool {
    mark == currency.code() || mark == currency.symbol()
}

/// The day a date serial stands for in `epoch`; a time of day is refused, not dropped.
fn serial_to_date(serial: Decimal, epoch: Epoch) -> Result<NaiveDate, Problem> {
    if serial.fract() != Decimal::ZERO {
        return Err(Problem::new(
            "date_has_time",
            "the cell holds a date and a time of day; this column takes a date only",
        ));
    }
    let days: i64 = serial
        .trunc()
        .try_into()
        .map_err(|_| out_of_range(serial))?;
    let date = match epoch {
        Epoch::Excel1900 => {
            if days == 60 {
                return Err(Problem::new(
                    "impossible_date",
                    "serial 60 is 29 February 1900 in Excel's 1900 system, a day that never existed",
                ));
            }
            if days < 1 {
                return Err(out_of_range(serial));
            }
            // Day 1 is 1900-01-01; from day 61 on, Excel counts the phantom 29 February 1900.
            let base = NaiveDate::from_ymd_opt(1899, 12, 31);
            let offset = if days > 60 { days - 1 } else { days };
            base.and_then(|b| b.checked_add_days(Days::new(offset as u64)))
        }
        Epoch::Excel1904 => {
            if days < 0 {
                return Err(out_of_range(serial));
            }
            NaiveDate::from_ymd_opt(1904, 1, 1)
                .and_then(|b| b.checked_add_days(Days::new(days as u64)))
        }
    };
    date.filter(|d| *d <= NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX))
        .ok_or_else(|| out_of_range(serial))
}

fn out_of_range(serial: Decimal) -> Problem {
    Problem::new(
        "impossible_date",
        format!("{serial} is not a date serial a spreadsheet can show (1900-01-01 to 9999-12-31)"),
    )
}

/// A calendar date. See the module rules.
pub fn date(cell: &Cell, epoch: Epoch, rules: &TextRules) -> Parsed<NaiveDate> {
    if let Some(problem) = unusable(cell) {
        return Err(problem);
    }
    match cell {
        Cell::Empty => Ok(None),
        Cell::DateSerial(serial) => serial_to_date(*serial, epoch).map(Some),
        Cell::IsoDate(text) => iso_date_time(text).map(Some),
        Cell::Text(text) if text.trim().is_empty() => Ok(None),
        Cell::Text(text) => date_text(text.trim(), rules).map(Some),
        Cell::Number(value) => Err(Problem::new(
            "not_a_date",
            format!("{value} is a plain number, not a date: format the cell as a date or write YYYY-MM-DD"),
        )),
        Cell::Bool(_) => Err(Problem::new("not_a_date", "the cell is TRUE/FALSE, not a date")),
        Cell::Error(_) | Cell::FormulaWithoutValue(_) | Cell::Unrepresentable(_) => Ok(None),
    }
}

fn iso_date_time(text: &str) -> Result<NaiveDate, Problem> {
    let (day, time) = match text.split_once('T') {
        Some((day, time)) => (day, Some(time)),
        None => (text, None),
    };
    if let Some(time) = time {
        let midnight = time
            .trim_end_matches('Z')
            .split(['.', '+'])
            .next()
            .is_some_and(|t| t.chars().all(|c| c == '0' || c == ':'));
        if !midnight {
            return Err(Problem::new(
                "date_has_time",
                format!("`{text}` has a time of day; this column takes a date only"),
            ));
        }
    }
    iso_date(day).ok_or_else(|| impossible(text))
}

fn iso_date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shaped {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

fn impossible(text: &str) -> Problem {
    Problem::new(
        "impossible_date",
        format!("`{text}` is not a day of the calendar"),
    )
}

/// A date written as text: ISO 8601 always; otherwise only the stated format.
pub fn date_text(text: &str, rules: &TextRules) -> Result<NaiveDate, Problem> {
    if looks_iso(text) {
        return iso_date(text).ok_or_else(|| impossible(text));
    }
    if let Some(format) = rules.date_format {
        return match NaiveDate::parse_from_str(text, format.chrono_pattern()) {
            Ok(date) => Ok(date),
            Err(error) if error.kind() == chrono::format::ParseErrorKind::OutOfRange => {
                Err(impossible(text))
            }
            Err(_) => Err(Problem::new(
                "not_a_date",
                format!(
                    "`{text}` is neither YYYY-MM-DD nor the stated {}",
                    format.label()
                ),
            )),
        };
    }
    let numeric: Vec<&str> = text.split(['/', '.', '-']).collect();
    if numeric.len() == 3
        && numeric
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        let small = |p: &str| p.parse::<u32>().is_ok_and(|n| (1..=12).contains(&n));
        if numeric[2].len() == 4
            && small(numeric[0])
            && small(numeric[1])
            && numeric[0] != numeric[1]
        {
            return Err(Problem::new(
                "ambiguous_date",
                format!("`{text}` could be day/month or month/day: write YYYY-MM-DD or state the file's date format"),
            ));
        }
        return Err(Problem::new(
            "unstated_date_format",
            format!("`{text}` is not YYYY-MM-DD: state the file's date format (for example DD/MM/YYYY) or format the cell as a date"),
        ));
    }
    Err(Problem::new(
        "not_a_date",
        format!("`{text}` is not a date (write YYYY-MM-DD)"),
    ))
}

fn looks_iso(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 10 && bytes[4] == b'-' && bytes[7] == b'-'
}

/// A month `YYYY-MM`: from a date cell on the first of a month, or text `YYYY-MM`, `YYYY/MM`,
/// `Jan 2027` or `January 2027`.
pub fn month(cell: &Cell, epoch: Epoch) -> Parsed<String> {
    if let Some(problem) = unusable(cell) {
        return Err(problem);
    }
    let from_date = |date: NaiveDate| {
        use chrono::Datelike;
        if date.day() == 1 {
            Ok(Some(date.format("%Y-%m").to_string()))
        } else {
            Err(Problem::new(
                "not_a_month",
                format!("{date} is a day, not a month: use the first of the month or YYYY-MM"),
            ))
        }
    };
    match cell {
        Cell::Empty => Ok(None),
        Cell::DateSerial(serial) => from_date(serial_to_date(*serial, epoch)?),
        Cell::IsoDate(text) => from_date(iso_date_time(text)?),
        Cell::Text(text) if text.trim().is_empty() => Ok(None),
        Cell::Text(text) => month_text(text.trim()).map(Some).ok_or_else(|| {
            Problem::new(
                "not_a_month",
                format!("`{}` is not a month (write YYYY-MM)", text.trim()),
            )
        }),
        _ => Err(Problem::new(
            "not_a_month",
            "this column takes a month (YYYY-MM)",
        )),
    }
}

/// `YYYY-MM` for a month header or value written as text, if it is one.
pub fn month_text(text: &str) -> Option<String> {
    let text = text.trim();
    let numeric = |year: &str, month: &str| -> Option<String> {
        let y: i32 = year.parse().ok().filter(|_| year.len() == 4)?;
        let m: u32 = month
            .parse()
            .ok()
            .filter(|m| (1..=12).contains(m) && month.len() <= 2)?;
        Some(format!("{y:04}-{m:02}"))
    };
    for separator in ['-', '/'] {
        if let Some((left, right)) = text.split_once(separator) {
            if left.len() == 4 {
                return numeric(left, right);
            }
            if right.len() == 4 && left.len() <= 2 {
                return numeric(right, left);
            }
        }
    }
    let (name, year) = text.split_once([' ', '-'])?;
    let month = chrono::Month::try_from(
        MONTH_NAMES
            .iter()
            .position(|(short, long)| {
                name.eq_ignore_ascii_case(short) || name.eq_ignore_ascii_case(long)
            })
            .map(|i| i as u8 + 1)?,
    )
    .ok()?;
    numeric(year.trim(), &month.number_from_month().to_string())
}

const MONTH_NAMES: [(&str, &str); 12] = [
    ("jan", "january"),
    ("feb", "february"),
    ("mar", "march"),
    ("apr", "april"),
    ("may", "may"),
    ("jun", "june"),
    ("jul", "july"),
    ("aug", "august"),
    ("sep", "september"),
    ("oct", "october"),
    ("nov", "november"),
    ("dec", "december"),
];

/// Yes or no: a boolean cell, `yes`/`no`, `y`/`n`, `true`/`false`, `1`/`0`, `x` for yes.
pub fn flag(cell: &Cell) -> Parsed<bool> {
    if let Some(problem) = unusable(cell) {
        return Err(problem);
    }
    match cell {
        Cell::Empty => Ok(None),
        Cell::Bool(value) => Ok(Some(*value)),
        Cell::Number(value) if *value == Decimal::ONE => Ok(Some(true)),
        Cell::Number(value) if value.is_zero() => Ok(Some(false)),
        Cell::Text(text) => match text.trim().to_ascii_lowercase().as_str() {
            "" => Ok(None),
            "yes" | "y" | "true" | "1" | "x" => Ok(Some(true)),
            "no" | "n" | "false" | "0" => Ok(Some(false)),
            _ => Err(Problem::new(
                "not_yes_or_no",
                format!("`{}` is not yes or no", text.trim()),
            )),
        },
        _ => Err(Problem::new("not_yes_or_no", "this column takes yes or no")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str_exact(text).expect("test literal")
    }
    fn cur(code: &str) -> Currency {
        Currency::parse(code).expect("test currency")
    }
    fn t(text: &str) -> Cell {
        Cell::Text(text.to_string())
    }
    const US: TextRules = TextRules {
        date_format: None,
        decimal_comma: false,
    };
    const EU: TextRules = TextRules {
        date_format: Some(DateFormat::DayMonthYearDot),
        decimal_comma: true,
    };

    #[test]
    fn text_amounts_read_exactly() {
        for (text, expected) in [
            ("1,234.50", "1234.50"),
            ("(1,234.50)", "-1234.50"),
            ("-17", "-17"),
            ("$1,200.00", "1200.00"),
            ("1 200.5", "1200.5"),
            ("USD 99.99", "99.99"),
            ("99.99 USD", "99.99"),
            ("-$5", "-5"),
            ("$-5", "-5"),
            (".5", "0.5"),
            ("1,234,567.89", "1234567.89"),
        ] {
            assert_eq!(
                amount(&t(text), &US, cur("USD")),
                Ok(Some(dec(expected))),
                "{text}"
            );
        }
        assert_eq!(
            amount(&t("1.234,56 €"), &EU, cur("EUR")),
            Ok(Some(dec("1234.56")))
        );
        assert_eq!(
            amount(&t("(1.234,56)"), &EU, cur("EUR")),
            Ok(Some(dec("-1234.56")))
        );
    }

    #[test]
    fn bad_amounts_name_their_rule() {
        let rule = |cell: Cell, rules: &TextRules, code: &str| {
            amount(&cell, rules, cur(code))
                .expect_err("must be refused")
                .rule
        };
        assert_eq!(rule(t("12.345"), &US, "EUR"), "too_many_decimals");
        assert_eq!(
            rule(Cell::Number(dec("12.345")), &US, "EUR"),
            "too_many_decimals"
        );
        assert_eq!(rule(t("1500.5"), &US, "JPY"), "too_many_decimals");
        assert_eq!(rule(t("$1,200.00"), &US, "EUR"), "currency_mismatch");
        assert_eq!(rule(t("GBP 10"), &US, "EUR"), "currency_mismatch");
        assert_eq!(rule(t("1,23,456"), &US, "USD"), "bad_thousands_separator");
        assert_eq!(rule(t("12,34"), &US, "USD"), "bad_thousands_separator");
        assert_eq!(rule(t("abc"), &US, "USD"), "not_a_number");
        assert_eq!(rule(t("1e5"), &US, "USD"), "not_a_number");
        assert_eq!(rule(t("(-5)"), &US, "USD"), "not_a_number");
        assert_eq!(rule(t("1.2.3"), &US, "USD"), "not_a_number");
        assert_eq!(
            rule(Cell::Error("#DIV/0!".into()), &US, "USD"),
            "error_value"
        );
        assert_eq!(
            rule(Cell::FormulaWithoutValue("1/0".into()), &US, "USD"),
            "formula_without_value"
        );
        assert_eq!(
            rule(Cell::DateSerial(dec("46000")), &US, "USD"),
            "not_a_number"
        );
        assert_eq!(
            decimal(&t("$5"), &US)
                .expect_err("no symbol on quantities")
                .rule,
            "unexpected_currency"
        );
    }

    #[test]
    fn blanks_are_missing_never_zero() {
        assert_eq!(amount(&Cell::Empty, &US, cur("USD")), Ok(None));
        assert_eq!(amount(&t("   "), &US, cur("USD")), Ok(None));
        assert_eq!(date(&Cell::Empty, Epoch::Excel1900, &US), Ok(None));
        assert_eq!(text(&t("  ")), Ok(None));
    }

    #[test]
    fn percentages_are_points() {
        assert_eq!(percent(&t("20%"), &US), Ok(Some(dec("20"))));
        assert_eq!(percent(&t("7.5"), &US), Ok(Some(dec("7.5"))));
        assert_eq!(percent(&Cell::Number(dec("19")), &US), Ok(Some(dec("19"))));
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("test date")
    }

    #[test]
    fn serials_follow_both_date_systems() {
        // Excel: 1 = 1900-01-01, 59 = 1900-02-28, 61 = 1900-03-01, 45658 = 2025-01-01.
        for (serial, expected) in [
            ("1", day(1900, 1, 1)),
            ("59", day(1900, 2, 28)),
            ("61", day(1900, 3, 1)),
            ("45658", day(2025, 1, 1)),
            ("46402", day(2027, 1, 15)),
        ] {
            assert_eq!(
                date(&Cell::DateSerial(dec(serial)), Epoch::Excel1900, &US),
                Ok(Some(expected)),
                "{serial}"
            );
        }
        // The 1904 system counts 1,462 days fewer for the same day.
        assert_eq!(
            date(&Cell::DateSerial(dec("44940")), Epoch::Excel1904, &US),
            Ok(Some(day(2027, 1, 15)))
        );
        assert_eq!(
            date(&Cell::DateSerial(dec("0")), Epoch::Excel1904, &US),
            Ok(Some(day(1904, 1, 1)))
        );
        let rule = |serial: &str, epoch| {
            date(&Cell::DateSerial(dec(serial)), epoch, &US)
                .expect_err("refused")
                .rule
        };
        assert_eq!(rule("60", Epoch::Excel1900), "impossible_date");
        assert_eq!(rule("0", Epoch::Excel1900), "impossible_date");
        assert_eq!(rule("-3", Epoch::Excel1904), "impossible_date");
        assert_eq!(rule("46402.5", Epoch::Excel1900), "date_has_time");
        assert_eq!(rule("99999999", Epoch::Excel1900), "impossible_date");
    }

    #[test]
    fn text_dates_are_iso_or_stated() {
        assert_eq!(
            date(&t("2027-01-15"), Epoch::Excel1900, &US),
            Ok(Some(day(2027, 1, 15)))
        );
        assert_eq!(
            date(&t("15.01.2027"), Epoch::Excel1900, &EU),
            Ok(Some(day(2027, 1, 15)))
        );
        let us_dates = TextRules {
            date_format: Some(DateFormat::MonthDayYearSlash),
            ..US
        };
        assert_eq!(
            date(&t("03/04/2027"), Epoch::Excel1900, &us_dates),
            Ok(Some(day(2027, 3, 4)))
        );
        let rule = |text: &str, rules: &TextRules| {
            date(&t(text), Epoch::Excel1900, rules)
                .expect_err("refused")
                .rule
        };
        assert_eq!(rule("03/04/2027", &US), "ambiguous_date");
        assert_eq!(rule("13/04/2027", &US), "unstated_date_format");
        assert_eq!(rule("2027-02-30", &US), "impossible_date");
        assert_eq!(rule("31.02.2027", &EU), "impossible_date");
        assert_eq!(rule("tomorrow", &US), "not_a_date");
        assert_eq!(rule("2027-1-5", &US), "unstated_date_format");
        assert_eq!(
            date(&Cell::Number(dec("46402")), Epoch::Excel1900, &US)
                .expect_err("number")
                .rule,
            "not_a_date"
        );
        assert_eq!(
            date(
                &Cell::IsoDate("2027-01-15T00:00:00".into()),
                Epoch::Excel1900,
                &US
            ),
            Ok(Some(day(2027, 1, 15)))
        );
        assert_eq!(
            date(
                &Cell::IsoDate("2027-01-15T10:30:00".into()),
                Epoch::Excel1900,
                &US
            )
            .expect_err("time")
            .rule,
            "date_has_time"
        );
    }

    #[test]
    fn months_read_from_headers_and_cells() {
        for (text, expected) in [
            ("2027-01", Some("2027-01")),
            ("2027/3", Some("2027-03")),
            ("03/2027", Some("2027-03")),
            ("Jan 2027", Some("2027-01")),
            ("September 2027", Some("2027-09")),
            ("sep-2027", Some("2027-09")),
            ("2027-13", None),
            ("Amount", None),
            ("Jan 27", None),
        ] {
            assert_eq!(month_text(text).as_deref(), expected, "{text}");
        }
        assert_eq!(
            month(&Cell::DateSerial(dec("46388")), Epoch::Excel1900),
            Ok(Some("2027-01".to_string()))
        );
    }

    #[test]
    fn flags_read_yes_and_no() {
        assert_eq!(flag(&t("Yes")), Ok(Some(true)));
        assert_eq!(flag(&t("n")), Ok(Some(false)));
        assert_eq!(flag(&Cell::Bool(true)), Ok(Some(true)));
        assert_eq!(
            flag(&t("maybe")).expect_err("refused").rule,
            "not_yes_or_no"
        );
    }
}
