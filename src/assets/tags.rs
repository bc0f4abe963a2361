//! Asset tag patterns such as `AST-{year}-{seq:6}`: parsing them, formatting tags from them, and
//! the key that decides which tags share one sequence counter. Pure: no database.
//!
//! Rules, decided here and only here:
//! - **Placeholders.** `{year}`, `{category}`, `{project}` and `{seq:N}`, where N (1 to 12) is
//!   the width the sequence number is zero-padded to; a wider number is written in full, never
//!   cut. A pattern has exactly one `{seq:N}`. Placeholder names are lower-case and exact.
//! - **Literal text** is limited to ASCII letters, digits and `-`, `_`, `.`, `/`, so a tag is
//!   safe in a URL path segment, a file name or a barcode.
//! - **Errors.** An unknown placeholder, an unbalanced brace or a character that is not
//!   allowed is an error that names it.
//! - **Values.** Category and project are written upper-case: ASCII letters are upper-cased and
//!   every other character outside `A–Z`, `0–9` becomes `-`, one for one.
//! - **Sequence key.** A tag with its sequence number replaced by `*`; tags with the same key
//!   share one counter (so `AST-{year}-{seq:6}` restarts every year, and a pattern without
//!   `{year}` never does).

/// Widest `{seq:N}` accepted.
const MAX_SEQ_WIDTH: usize = 12;

/// One piece of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Year,
    Category,
    Project,
    Sequence { width: usize },
}

/// A parsed asset tag pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagPattern {
    parts: Vec<Part>,
}

impl TagPattern {
    /// Reads a pattern such as `AST-{year}-{seq:6}`; an error names the offending placeholder,
    /// brace or character.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            match c {
                '{' => {
                    let Some(end) = rest.find('}') else {
                        return Err(format!("unclosed brace in \"{rest}\""));
                    };
                    let placeholder = &rest[..=end];
                    if placeholder[1..].contains('{') {
                        return Err(format!("unbalanced brace in \"{placeholder}\""));
                    }
                    parts.push(parse_placeholder(placeholder)?);
                    rest = &rest[end + 1..];
                }
                '}' => return Err(format!("unmatched closing brace in \"{rest}\"")),
                c if c.is_ascii_alphanumeric() || "-_./".contains(c) => {
                    match parts.last_mut() {
                        Some(Part::Literal(literal)) => literal.push(c),
                        _ => parts.push(Part::Literal(c.to_string())),
                    }
                    rest = &rest[1..];
                }
                c => {
                    return Err(format!(
                        "character '{c}' is not allowed in literal text \
                         (only letters, digits and - _ . /)"
                    ))
                }
            }
        }
        match parts
            .iter()
            .filter(|p| matches!(p, Part::Sequence { .. }))
            .count()
        {
            0 => Err(format!("pattern \"{text}\" has no {{seq:N}} placeholder")),
            1 => Ok(Self { parts }),
            n => Err(format!(
                "pattern \"{text}\" has {n} {{seq:N}} placeholders; it needs exactly one"
            )),
        }
    }

    /// `AST-{year}-{seq:6}`: the pattern used when none is configured.
    pub fn default_pattern() -> Self {
        Self {
            parts: vec![
                Part::Literal("AST-".to_string()),
                Part::Year,
                Part::Literal("-".to_string()),
                Part::Sequence { width: 6 },
            ],
        }
    }

    /// The tag with its sequence number replaced by `*`: tags sharing a key share one counter.
    pub fn sequence_key(&self, year: i32, category: &str, project: &str) -> String {
        self.render(year, category, project, None)
    }

    /// The tag for sequence number `seq`.
    pub fn format(&self, year: i32, category: &str, project: &str, seq: u64) -> String {
        self.render(year, category, project, Some(seq))
    }

    /// The pattern's text, which `parse` reads back to an equal pattern.
    pub fn as_text(&self) -> String {
        self.parts
            .iter()
            .map(|part| match part {
                Part::Literal(literal) => literal.clone(),
                Part::Year => "{year}".to_string(),
                Part::Category => "{category}".to_string(),
                Part::Project => "{project}".to_string(),
                Part::Sequence { width } => format!("{{seq:{width}}}"),
            })
            .collect()
    }

    /// The tag, with `*` for the sequence number when `seq` is `None`.
    fn render(&self, year: i32, category: &str, project: &str, seq: Option<u64>) -> String {
        self.parts
            .iter()
            .map(|part| match (part, seq) {
                (Part::Literal(literal), _) => literal.clone(),
                (Part::Year, _) => year.to_string(),
                (Part::Category, _) => tag_value(category),
                (Part::Project, _) => tag_value(project),
                (Part::Sequence { width }, Some(seq)) => format!("{seq:0width$}"),
                (Part::Sequence { .. }, None) => "*".to_string(),
            })
            .collect()
    }
}

/// One `{…}` placeholder, braces included.
fn parse_placeholder(placeholder: &str) -> Result<Part, String> {
    let name = &placeholder[1..placeholder.len() - 1];
    match name {
        "year" => return Ok(Part::Year),
        "category" => return Ok(Part::Category),
        "project" => return Ok(Part::Project),
        _ => {}
    }
    let Some(width) = name.strip_prefix("seq:") else {
        return Err(format!(
            "unknown placeholder {placeholder} (known: {{year}}, {{category}}, {{project}}, {{seq:N}})"
        ));
    };
    match width.parse::<usize>() {
        Ok(width) if (1..=MAX_SEQ_WIDTH).contains(&width) && width.to_string() == name[4..] => {
            Ok(Part::Sequence { width })
        }
        _ => Err(format!(
            "placeholder {placeholder} needs a width from 1 to {MAX_SEQ_WIDTH}, as in {{seq:6}}"
        )),
    }
}

/// A category or project as written in a tag: upper-case, anything outside A–Z, 0–9 as `-`.
fn tag_value(value: &str) -> String {
    value
        .chars()
        .map(|c| match c.to_ascii_uppercase() {
            upper @ ('A'..='Z' | '0'..='9') => upper,
            _ => '-',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_pattern() {
        let pattern = TagPattern::default_pattern();
        assert_eq!(pattern.as_text(), "AST-{year}-{seq:6}");
        assert_eq!(TagPattern::parse("AST-{year}-{seq:6}").unwrap(), pattern);
        assert_eq!(pattern.format(2025, "it", "p1", 42), "AST-2025-000042");
        assert_eq!(pattern.sequence_key(2025, "it", "p1"), "AST-2025-*");
    }

    #[test]
    fn formats_every_placeholder() {
        let pattern = TagPattern::parse("{category}/{project}_{year}.{seq:4}").unwrap();
        assert_eq!(
            pattern.format(2024, "IT equipment", "prj-12 Ünïcode", 7),
            "IT-EQUIPMENT/PRJ-12--N-CODE_2024.0007"
        );
        assert_eq!(pattern.format(2024, "", "x", 1), "/X_2024.0001");
        assert_eq!(pattern.sequence_key(2024, "it", "p"), "IT/P_2024.*");
    }

    #[test]
    fn wider_numbers_are_not_truncated() {
        let narrow = TagPattern::parse("A{seq:1}").unwrap();
        assert_eq!(narrow.format(2025, "", "", 0), "A0");
        assert_eq!(narrow.format(2025, "", "", 1234567), "A1234567");
        let wide = TagPattern::parse("A{seq:12}").unwrap();
        assert_eq!(wide.format(2025, "", "", 5), "A000000000005");
        assert_eq!(wide.format(2025, "", "", u64::MAX), "A18446744073709551615");
    }

    #[test]
    fn sequence_key_decides_which_tags_share_a_counter() {
        let yearly = TagPattern::default_pattern();
        assert_ne!(
            yearly.sequence_key(2024, "a", "b"),
            yearly.sequence_key(2025, "a", "b")
        );
        assert_eq!(
            yearly.sequence_key(2025, "a", "b"),
            yearly.sequence_key(2025, "c", "d")
        );
        let by_category = TagPattern::parse("{category}-{seq:5}").unwrap();
        assert_eq!(
            by_category.sequence_key(2024, "it", "x"),
            by_category.sequence_key(2025, "IT", "y")
        );
        assert_ne!(
            by_category.sequence_key(2025, "it", "x"),
            by_category.sequence_key(2025, "hr", "x")
        );
    }

    #[test]
    fn round_trips_through_text() {
        for text in [
            "{seq:1}",
            "AST-{year}-{seq:6}",
            "{project}/{category}/{year}/{seq:12}",
            "a.b_c-D/{seq:3}-{year}{category}",
        ] {
            let pattern = TagPattern::parse(text).unwrap();
            assert_eq!(pattern.as_text(), text);
            assert_eq!(TagPattern::parse(&pattern.as_text()).unwrap(), pattern);
        }
    }

    #[test]
    fn errors_name_what_is_wrong() {
        #[rustfmt::skip]
        let cases = [
            ("", "pattern \"\" has no {seq:N} placeholder"),
            ("AST-{year}", "pattern \"AST-{year}\" has no {seq:N} placeholder"),
            ("{seq:2}-{seq:3}", "pattern \"{seq:2}-{seq:3}\" has 2 {seq:N} placeholders; it needs exactly one"),
            ("A-{month}-{seq:4}", "unknown placeholder {month} (known: {year}, {category}, {project}, {seq:N})"),
            ("{YEAR}-{seq:4}", "unknown placeholder {YEAR}"),
            ("{seq}", "unknown placeholder {seq}"),
            ("{}{seq:4}", "unknown placeholder {}"),
            ("{seq:0}", "placeholder {seq:0} needs a width from 1 to 12, as in {seq:6}"),
            ("{seq:13}", "placeholder {seq:13} needs a width"),
            ("{seq:}", "placeholder {seq:} needs a width"),
            ("{seq:x}", "placeholder {seq:x} needs a width"),
            ("{seq:+6}", "placeholder {seq:+6} needs a width"),
            ("{seq:06}", "placeholder {seq:06} needs a width"),
            ("AST-{year-{seq:6}", "unbalanced brace in \"{year-{seq:6}\""),
            ("AST-{seq:6", "unclosed brace in \"{seq:6\""),
            ("AST-year}-{seq:6}", "unmatched closing brace in \"}-{seq:6}\""),
            ("AST {seq:6}", "character ' ' is not allowed in literal text (only letters, digits and - _ . /)"),
            ("AST*{seq:6}", "character '*' is not allowed"),
            ("ÄST-{seq:6}", "character 'Ä' is not allowed"),
            ("AST#{seq:6}", "character '#' is not allowed"),
        ];
        for (text, error) in cases {
            let actual = TagPattern::parse(text).unwrap_err();
            assert!(actual.starts_with(error), "{text:?}: {actual}");
        }
    }
}
