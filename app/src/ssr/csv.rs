//! CSV exports of the console's lists (`Accept: text/csv` on every admin list, and the
//! console's "Export CSV" links): the same rows as the JSON, with the filters applied.

/// A row type that can be written as one CSV line.
pub trait CsvRow {
    const HEADER: &'static [&'static str];
    fn cells(&self) -> Vec<String>;
}

/// Quotes a cell when it must, and defuses a spreadsheet formula: a text cell that
/// starts with `=`, `+`, `@` or `-` (not a negative number) gets a leading `'`, so
/// opening an export cannot run what a customer typed as their name.
pub fn cell(s: &str) -> String {
    let looks_numeric = s
        .strip_prefix('-')
        .is_some_and(|rest| rest.chars().next().is_some_and(|c| c.is_ascii_digit()));
    let s = if s.starts_with(['=', '+', '@', '\t', '\r']) || (s.starts_with('-') && !looks_numeric)
    {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

pub fn write<R: CsvRow>(rows: &[R]) -> String {
    let mut out = R::HEADER.join(",");
    out.push('\n');
    for r in rows {
        let line: Vec<String> = r.cells().iter().map(|c| cell(c)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

pub fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("-10.00"), "-10.00");
        assert_eq!(cell("-cmd"), "'-cmd");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
    }
}
