//! Rules for a film of the catalogue, shared by the form, the REST body, the bulk upsert
//! and the CSV upload so all four refuse the same things with the same words.

use serde::{Deserialize, Serialize};

use super::DomainError;

/// The first film ever shown publicly; no catalogue film is older.
const FIRST_YEAR: i32 = 1888;
const LAST_YEAR: i32 = 2100;

/// A film as sent (`{"external_id","title","year","active"}`), before any checks. The
/// year is text or a number: CSV cells and form fields are text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilmInput {
    pub external_id: String,
    pub title: String,
    pub year: String,
    pub active: Option<bool>,
}

/// A film that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilmDraft {
    pub external_id: String,
    pub title: String,
    pub year: i32,
    pub active: bool,
}

/// The Movies DB's id: 1–64 characters of letters, digits and `. _ : -`, kept as given
/// (ids like `tt0050634` are case-sensitive elsewhere).
pub fn validate_external_id(input: &str) -> Result<String, DomainError> {
    let id = input.trim();
    let ok = (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'));
    if ok {
        Ok(id.to_string())
    } else if id.is_empty() {
        Err(DomainError::invalid(
            "external_id",
            "enter the film's id in the Movies DB",
        ))
    } else {
        Err(DomainError::invalid(
            "external_id",
            "use at most 64 letters, digits, dots, colons, dashes or underscores",
        ))
    }
}

pub fn validate_film_title(input: &str) -> Result<String, DomainError> {
    let title = input.split_whitespace().collect::<Vec<_>>().join(" ");
    match title.chars().count() {
        0 => Err(DomainError::invalid("title", "enter the film's title")),
        1..=200 => Ok(title),
        _ => Err(DomainError::invalid("title", "use at most 200 characters")),
    }
}

pub fn validate_film_year(input: &str) -> Result<i32, DomainError> {
    match input.trim().parse::<i32>() {
        Ok(y) if (FIRST_YEAR..=LAST_YEAR).contains(&y) => Ok(y),
        Ok(_) => Err(DomainError::invalid(
            "year",
            format!("enter a year from {FIRST_YEAR} to {LAST_YEAR}"),
        )),
        Err(_) => Err(DomainError::invalid("year", "enter the year as a number")),
    }
}

impl FilmInput {
    /// Every problem at once, each on its field.
    pub fn parse(&self) -> Result<FilmDraft, Vec<DomainError>> {
        let mut errors = Vec::new();
        let external_id = validate_external_id(&self.external_id).map_err(|e| errors.push(e));
        let title = validate_film_title(&self.title).map_err(|e| errors.push(e));
        let year = validate_film_year(&self.year).map_err(|e| errors.push(e));
        match (external_id, title, year) {
            (Ok(external_id), Ok(title), Ok(year)) => Ok(FilmDraft {
                external_id,
                title,
                year,
                active: self.active.unwrap_or(true),
            }),
            _ => Err(errors),
        }
    }
}

/// Splits CSV text into records of cells (RFC 4180: quoted cells may hold commas,
/// doubled quotes and line breaks), each with the line it starts on.
fn csv_records(text: &str) -> Result<Vec<(usize, Vec<String>)>, DomainError> {
    let mut records = Vec::new();
    let mut cell = String::new();
    let mut row: Vec<String> = Vec::new();
    let mut line = 1;
    let mut start = 1;
    let mut quoted = false;
    let mut chars = text.trim_start_matches('\u{feff}').chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (false, '"') if cell.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                if row.iter().any(|c| !c.trim().is_empty()) {
                    records.push((start, std::mem::take(&mut row)));
                }
                row.clear();
                line += 1;
                start = line;
            }
            (_, c) => {
                if c == '\n' {
                    line += 1;
                }
                cell.push(c);
            }
        }
    }
    if quoted {
        return Err(DomainError::invalid(
            "csv",
            format!("line {start}: a quoted cell is not closed"),
        ));
    }
    row.push(cell);
    if row.iter().any(|c| !c.trim().is_empty()) {
        records.push((start, row));
    }
    Ok(records)
}

/// Reads the Movies DB export as CSV: a header naming `external_id`, `title`, `year`
/// and optionally `active` (`true`/`false`, `1`/`0`, `yes`/`no`), in any order, then
/// one film per line. Returns each film with its line number (for the errors the
/// upsert reports), or every problem with the file itself.
pub fn parse_csv(text: &str) -> Result<Vec<(usize, FilmInput)>, Vec<DomainError>> {
    let records = csv_records(text).map_err(|e| vec![e])?;
    let Some(((_, header), rows)) = records.split_first() else {
        return Err(vec![DomainError::invalid("csv", "the file is empty")]);
    };
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let (Some(id), Some(title), Some(year)) = (col("external_id"), col("title"), col("year"))
    else {
        return Err(vec![DomainError::invalid(
            "csv",
            "line 1 must name the columns external_id, title and year (and optionally active)",
        )]);
    };
    let active = col("active");
    let mut errors = Vec::new();
    let mut out = Vec::with_capacity(rows.len());
    for (line, cells) in rows {
        let get = |i: usize| cells.get(i).cloned().unwrap_or_default();
        let active = match active.map(get).as_deref().map(str::trim) {
            None | Some("") => None,
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Some(true),
                "false" | "0" | "no" => Some(false),
                _ => {
                    errors.push(DomainError::invalid(
                        "csv",
                        format!("line {line}: active must be true or false"),
                    ));
                    None
                }
            },
        };
        out.push((
            *line,
            FilmInput {
                external_id: get(id),
                title: get(title),
                year: get(year),
                active,
            },
        ));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(id: &str, title: &str, year: &str) -> FilmInput {
        FilmInput {
            external_id: id.into(),
            title: title.into(),
            year: year.into(),
            active: None,
        }
    }

    #[test]
    fn a_good_film_is_trimmed_and_active_by_default() {
        let d = input(" tt0079944 ", "  Stalker \n", "1979")
            .parse()
            .unwrap();
        assert_eq!(d.external_id, "tt0079944");
        assert_eq!(d.title, "Stalker");
        assert_eq!(d.year, 1979);
        assert!(d.active);
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let errors = input("tt 1", "", "19x9").parse().unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field()).collect();
        assert_eq!(fields, ["external_id", "title", "year"]);
    }

    #[test]
    fn years_outside_cinema_history_are_refused() {
        assert!(validate_film_year("1887").is_err());
        assert!(validate_film_year("1888").is_ok());
        assert!(validate_film_year("2101").is_err());
        assert!(validate_external_id(&"x".repeat(65)).is_err());
        assert!(validate_film_title(&"я".repeat(201)).is_err());
        assert!(validate_film_title(&"я".repeat(200)).is_ok());
    }

    #[test]
    fn csv_with_quotes_any_column_order_and_line_numbers() {
        let text = "title,year,external_id,active\n\"Moscow, 1980\",1980,tt1,\n\n\"Say \"\"hi\"\"\",1999,tt2,no\r\n";
        let rows = parse_csv(text).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, 2);
        assert_eq!(rows[0].1.title, "Moscow, 1980");
        assert_eq!(rows[0].1.external_id, "tt1");
        assert_eq!(rows[1].0, 4);
        assert_eq!(rows[1].1.title, "Say \"hi\"");
        assert_eq!(rows[1].1.active, Some(false));
    }

    #[test]
    fn csv_without_the_columns_or_with_an_open_quote_is_refused() {
        assert!(parse_csv("").is_err());
        assert!(parse_csv("name,year\nx,1999\n").is_err());
        assert!(parse_csv("external_id,title,year\ntt1,\"open,1999\n").is_err());
        let errors = parse_csv("external_id,title,year,active\ntt1,A,1999,maybe\n").unwrap_err();
        assert!(errors[0].message().contains("line 2"));
    }
}
