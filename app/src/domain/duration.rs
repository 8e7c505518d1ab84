//! ISO 8601 durations (`PT60M`, `P3D`, `P1DT2H`), as used by the API and configuration.

use chrono::TimeDelta;

use super::DomainError;

/// Unit letters in the order they must appear, and how to build each.
type Units = [(char, fn(i64) -> Option<TimeDelta>)];

/// Parses the day/time subset of ISO 8601 (`PnDTnHnMnS`, integers only). Years and months
/// are refused: they have no fixed length, and a window must mean the same every time.
pub fn parse_iso8601_duration(input: &str, field: &'static str) -> Result<TimeDelta, DomainError> {
    let bad = || {
        DomainError::invalid(
            field,
            format!("\"{input}\" is not an ISO 8601 duration such as PT60M or P3D"),
        )
    };
    let s = input.trim().to_ascii_uppercase();
    let rest = s.strip_prefix('P').ok_or_else(bad)?;
    if rest.is_empty() {
        return Err(bad());
    }
    let (date_part, time_part) = match rest.split_once('T') {
        Some((d, t)) if !t.is_empty() => (d, Some(t)),
        Some(_) => return Err(bad()),
        None => (rest, None),
    };
    let mut total = TimeDelta::zero();
    let mut take = |part: &str, units: &Units| -> Result<(), DomainError> {
        let mut number = String::new();
        let mut unit_index = 0;
        for c in part.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            // Units must appear in order, each at most once, each after a number.
            let pos = units[unit_index..]
                .iter()
                .position(|(u, _)| *u == c)
                .ok_or_else(bad)?;
            let n: i64 = number.parse().map_err(|_| bad())?;
            let delta = (units[unit_index + pos].1)(n).ok_or_else(bad)?;
            total = total.checked_add(&delta).ok_or_else(bad)?;
            number.clear();
            unit_index += pos + 1;
        }
        if number.is_empty() {
            Ok(())
        } else {
            Err(bad())
        }
    };
    take(
        date_part,
        &[('W', TimeDelta::try_weeks), ('D', TimeDelta::try_days)],
    )?;
    if let Some(t) = time_part {
        take(
            t,
            &[
                ('H', TimeDelta::try_hours),
                ('M', TimeDelta::try_minutes),
                ('S', TimeDelta::try_seconds),
            ],
        )?;
    }
    Ok(total)
}

/// The canonical form, e.g. `PT1H30M`, `P3D`, `PT0S`.
pub fn format_iso8601_duration(d: TimeDelta) -> String {
    let mut secs = d.num_seconds().max(0);
    let days = secs / 86_400;
    secs %= 86_400;
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    let mut out = String::from("P");
    if days > 0 {
        out.push_str(&format!("{days}D"));
    }
    if h > 0 || m > 0 || s > 0 || days == 0 {
        out.push('T');
        if h > 0 {
            out.push_str(&format!("{h}H"));
        }
        if m > 0 {
            out.push_str(&format!("{m}M"));
        }
        if s > 0 || (h == 0 && m == 0) {
            out.push_str(&format!("{s}S"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_forms() {
        assert_eq!(
            parse_iso8601_duration("PT60M", "w").unwrap(),
            TimeDelta::minutes(60)
        );
        assert_eq!(
            parse_iso8601_duration("P3D", "w").unwrap(),
            TimeDelta::days(3)
        );
        assert_eq!(
            parse_iso8601_duration("p1dt2h3m4s", "w").unwrap(),
            TimeDelta::seconds(86_400 + 7_384)
        );
        assert_eq!(
            parse_iso8601_duration("P2W", "w").unwrap(),
            TimeDelta::days(14)
        );
    }

    #[test]
    fn refuses_garbage_naming_the_field() {
        for bad in [
            "",
            "P",
            "PT",
            "60M",
            "PT5",
            "P1M",
            "PTM",
            "PT1S2M",
            "P1Y",
            "abc",
            "PT99999999999999999999S",
        ] {
            assert_eq!(
                parse_iso8601_duration(bad, "refund_window")
                    .unwrap_err()
                    .field(),
                "refund_window",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn formats_round_trip() {
        for s in ["PT1H30M", "P3D", "PT0S", "P1DT1S", "PT61M"] {
            let d = parse_iso8601_duration(s, "x").unwrap();
            assert_eq!(
                parse_iso8601_duration(&format_iso8601_duration(d), "x").unwrap(),
                d
            );
        }
        assert_eq!(format_iso8601_duration(TimeDelta::minutes(90)), "PT1H30M");
    }
}
