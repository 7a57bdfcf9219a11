//! Units, in one place: durations (`250ms`, `30s`, `2m`), ratios (`1%`, `0.01`) and
//! byte sizes (`10MB`) parsed once at the edge, and shown back the same way in every
//! output (`612 ms`, `1.25 s`, `7.9%`). A leaf: it knows nothing of the crate.

use std::time::Duration;

use thiserror::Error;

/// What a duration looks like, for error messages.
pub const DURATION_EXPECTED: &str = "a duration with a unit, like \"250ms\", \"30s\" or \"2m\"";
/// What a size looks like, for error messages.
pub const SIZE_EXPECTED: &str = "a size like \"10MB\", \"512KB\" or \"1MiB\"";

/// A unit that could not be read, with what was expected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct UnitError(pub String);

/// The longest duration stampede takes anywhere: a year. Longer ones are
/// typing slips (`"500000000000y"`), and would overflow the clock they are
/// added to.
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

/// Parses `"250ms"`, `"30s"`, `"2m"`, `"1h 30m"`, up to [`MAX_DURATION`]; the
/// one duration syntax of stampede.
pub fn parse_duration(text: &str) -> Result<Duration, UnitError> {
    // The parser reads "5 5s" as 55 s and "1 000s" as 1,100 s: a number
    // followed by a space and another number lacks its unit.
    let bytes = text.trim().as_bytes();
    if let Some(at) = (1..bytes.len()).find(|&i| {
        bytes[i].is_ascii_whitespace()
            && bytes[i - 1].is_ascii_digit()
            && bytes[i..]
                .iter()
                .find(|b| !b.is_ascii_whitespace())
                .is_some_and(u8::is_ascii_digit)
    }) {
        let start = bytes[..at]
            .iter()
            .rposition(|b| !b.is_ascii_digit() && *b != b'.')
            .map_or(0, |p| p + 1);
        let number = String::from_utf8_lossy(&bytes[start..at]);
        return Err(UnitError(format!(
            "invalid duration \"{text}\" (the number {number} has no unit): expected {DURATION_EXPECTED}"
        )));
    }
    // "5M" is months to the parser (152 days, within the bound): a slip for
    // minutes in any scenario.
    let units = text.split(|c: char| !c.is_ascii_alphabetic());
    if units.clone().any(|u| u == "M") || units.clone().any(|u| u.starts_with("month")) {
        let lower = text.trim().replace('M', "m");
        return Err(UnitError(format!(
            "invalid duration \"{text}\" (a month is no unit of a load test; minutes are \"{lower}\"): expected {DURATION_EXPECTED}"
        )));
    }
    let duration = humantime::parse_duration(text.trim()).map_err(|e| {
        // "expected number at 0" is the parser's position, not a reader's hint;
        // an unknown unit's list of units is one.
        let why = match e {
            // "time unit needed, for example 5sec or 5ms" said of "5sec5".
            humantime::DurationError::UnknownUnit {
                ref unit, value, ..
            } if unit.is_empty() => {
                format!(" (the number {value} at its end has no unit)")
            }
            // "5S", "10MS": units are lower-case.
            humantime::DurationError::UnknownUnit { ref unit, .. }
                if humantime::parse_duration(&text.trim().to_ascii_lowercase()).is_ok() =>
            {
                let lower = text.trim().to_ascii_lowercase();
                format!(" (unknown time unit \"{unit}\": units are lower-case, \"{lower}\")")
            }
            // The parser's list ran to months and years, beside a latency.
            humantime::DurationError::UnknownUnit { ref unit, .. } => {
                format!(" (unknown time unit \"{unit}\"; units: ns, us, ms, s, m, h, d)")
            }
            humantime::DurationError::NumberOverflow => format!(" ({e})"),
            _ => String::new(),
        };
        UnitError(format!(
            "invalid duration \"{text}\"{why}: expected {DURATION_EXPECTED}"
        ))
    })?;
    if duration > MAX_DURATION {
        return Err(UnitError(format!(
            "duration \"{text}\" is too long: expected at most a year (\"365d\")"
        )));
    }
    Ok(duration)
}

/// The ranges a ratio may take: an SLO's error rate is at most 100%, a regression
/// tolerance may be 1000% (a tenfold slowdown).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RatioRange {
    /// 0% to 100%.
    Fraction,
    /// 0% to 1000%.
    Tolerance,
}

impl RatioRange {
    fn max(self) -> f64 {
        match self {
            RatioRange::Fraction => 1.0,
            RatioRange::Tolerance => 10.0,
        }
    }
}

/// Parses `"1%"`, `"0.5 %"` or `0.01` into a fraction within `range`. A bare
/// number of 1 or more is refused: `"< 1"` read as a fraction is a 100% bound that
/// cannot fail, and `"10"` a 1000% tolerance, where "1%" and "10%" were meant.
pub fn parse_ratio(text: &str, range: RatioRange) -> Result<f64, UnitError> {
    let trimmed = text.trim();
    let value = match trimmed.strip_suffix('%') {
        Some(pct) => pct.trim().parse::<f64>().map(|p| p / 100.0),
        None => trimmed.parse::<f64>(),
    };
    if let (None, Ok(v)) = (trimmed.strip_suffix('%'), &value)
        && *v >= 1.0
    {
        return Err(UnitError(format!(
            "ambiguous percentage \"{text}\": a number without % is a fraction, so it \
             reads as {}%; write \"{trimmed}%\" for {trimmed} percent, or a fraction \
             below 1 like 0.01",
            v * 100.0
        )));
    }
    let max = range.max();
    value
        .ok()
        .filter(|v| (0.0..=max).contains(v))
        .ok_or_else(|| {
            UnitError(format!(
                "invalid percentage \"{text}\": expected a percentage between 0% and {}% \
                 like \"1%\", or a fraction like 0.01",
                max * 100.0
            ))
        })
}

/// Parses `"10MB"`, `"512 KiB"`, `"1gb"`, `"300B"`. KB, MB and GB are taken as
/// binary units (KiB, MiB, GiB), as body sizes usually are.
pub fn parse_size(text: &str) -> Result<u64, UnitError> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let invalid = || UnitError(format!("invalid size \"{text}\": expected {SIZE_EXPECTED}"));
    let number: f64 = number.parse().map_err(|_| invalid())?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(invalid()),
    };
    let bytes = number * scale as f64;
    if !bytes.is_finite() || !(1.0..=(u64::MAX / 2) as f64).contains(&bytes) {
        return Err(UnitError(format!(
            "invalid size \"{text}\": expected at least one byte and at most 8 EiB"
        )));
    }
    Ok(bytes as u64)
}

/// A byte size as `parse_size` reads it: `1 MiB`, `512 KiB`, `300 B` (rounded
/// down to the unit only when it is whole).
pub fn show_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} B"),
    }
}

/// A measured byte size for reading: `900 B`, `5.0 KiB`, `1.2 MiB`.
pub fn show_bytes(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / f64::from(1 << 20)),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / f64::from(1 << 10)),
        b => format!("{b} B"),
    }
}

/// A span of seconds such as a recovery: `0.2 s` under ten (a recovery of
/// 0.2 s read "0 s"), whole above: `6 s`, `12 s`.
pub fn show_seconds(s: f64) -> String {
    match s {
        s if s < 9.95 && (s * 10.0).round() % 10.0 != 0.0 => format!("{s:.1} s"),
        s => format!("{s:.0} s"),
    }
}

/// Whole microseconds of `d`, saturating at `u64::MAX` (as examples store them).
pub fn micros(d: Duration) -> u64 {
    d.as_micros().min(u128::from(u64::MAX)) as u64
}

/// A latency in milliseconds as people read it: `4.2 ms`, `612 ms`, `1.25 s`.
pub fn show_ms(ms: f64) -> String {
    if !ms.is_finite() {
        "n/a".to_string()
    } else if ms >= 999.5 {
        // Compared as rounded: 9.96 ms reads "10 ms", not a more precise-looking
        // "10.0 ms" beside a 10.3 ms shown as "10 ms".
        format!("{:.2} s", ms / 1000.0)
    } else if ms >= 9.95 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

/// A latency cell: `612 ms`, or `-` when nothing was timed.
pub fn show_latency(ms: Option<f64>) -> String {
    ms.map_or_else(|| "-".to_string(), show_ms)
}

/// A fraction as a percentage, as [`show_number`] shows a number: `1%`, `7.9%`,
/// `44%` (a share of 43.96% too: it is 44.0 to one decimal).
pub fn show_percent(ratio: f64) -> String {
    format!("{}%", show_number(ratio * 100.0))
}

/// `ratio` as a percentage with the digits that tell it from `bound` (up to
/// four decimals): 0.8598% beside a bound of 0.86% is `0.8598%`, not the
/// `0.9%` that read as over it; 0.995% beside 1% is `0.995%`. Told apart as
/// shown, so that the text read back (report.json keeps it) shows the same.
pub fn show_percent_beside(ratio: f64, bound: f64) -> String {
    // One decimal from the share rounded as report.json's `error_rate` is, so
    // the number reads as the tables' (13.849% is 13.9% in both).
    let table = |x: f64| show_percent((x * 10_000.0).round() / 10_000.0);
    if table(ratio) != table(bound) {
        return table(ratio);
    }
    let (pct, bound) = (ratio * 100.0, bound * 100.0);
    let shown = |x: f64, digits: usize| format!("{x:.digits$}");
    match (2..=4).find(|&digits| shown(pct, digits) != shown(bound, digits)) {
        Some(digits) => format!("{}%", shown(pct, digits)),
        None => table(ratio),
    }
}

/// A share as a scenario writes it: `0.86%`, `1%`, `0.125%` (up to four
/// decimals, no trailing zeros).
pub fn show_share(ratio: f64) -> String {
    let text = format!("{:.4}", ratio * 100.0);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

/// A load as a scenario would write it: `150`, `0.5`, `2.25` (at most three
/// decimals, no trailing zeros).
pub fn show_load(x: f64) -> String {
    let text = format!("{x:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Whether two loads are one: equal but for floating-point rounding (a
/// level's `0.1 + 0.2` arrivals/s is a gate's `@0.3`).
pub fn same_load(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// A rate per second to two figures at least: `401`, `12`, `2.2`, `0.42` (a
/// run of 0.4 requests/s read "peak 0 HTTP req/s").
pub fn show_rate(x: f64) -> String {
    match x.abs() {
        0.0 => "0".to_string(),
        a if a >= 9.95 => format!("{x:.0}"),
        a if a >= 0.995 => format!("{x:.1}"),
        _ => format!("{x:.2}"),
    }
}

/// A number to one decimal, whole without its `.0`: `12`, `12.5`, and `44` for
/// 43.96. Whether it is whole is read from what is shown, not from the number: a
/// sentence written with `44.0` read back as 44 showed `44` (see
/// `analysis::breach`).
pub fn show_number(x: f64) -> String {
    let text = format!("{x:.1}");
    match text.strip_suffix(".0") {
        Some(whole) => whole.to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn measured_sizes_read_in_the_largest_unit_they_fill() {
        let shown: Vec<String> = [0, 900, 1024, 5_120, 1_258_291]
            .map(super::show_bytes)
            .into();
        assert_eq!(shown, ["0 B", "900 B", "1.0 KiB", "5.0 KiB", "1.2 MiB"]);
    }

    #[test]
    fn seconds_keep_a_tenth_under_ten() {
        let shown: Vec<String> = [0.0, 0.2, 1.95, 6.0, 9.96, 12.4]
            .map(super::show_seconds)
            .into();
        assert_eq!(shown, ["0 s", "0.2 s", "2 s", "6 s", "10 s", "12 s"]);
    }

    use super::*;

    #[test]
    fn rates_show_to_two_figures_at_least() {
        assert_eq!(show_rate(401.4), "401");
        assert_eq!(show_rate(12.4), "12");
        assert_eq!(show_rate(9.96), "10");
        assert_eq!(show_rate(2.2), "2.2");
        assert_eq!(show_rate(0.4), "0.40");
        assert_eq!(show_rate(0.0), "0");
    }

    #[test]
    fn loads_show_as_written() {
        assert_eq!(show_load(150.0), "150");
        assert_eq!(show_load(0.5), "0.5");
        assert_eq!(show_load(2.25), "2.25");
        assert_eq!(show_load(0.1 * 3.0), "0.3");
        assert_eq!(show_load(0.0), "0");
    }

    #[test]
    fn a_duration_error_says_what_is_wrong_in_the_readers_words() {
        let err = |text: &str| parse_duration(text).unwrap_err().0;
        assert_eq!(
            err("5sec5"),
            "invalid duration \"5sec5\" (the number 5 at its end has no unit): expected a duration with a unit, like \"250ms\", \"30s\" or \"2m\""
        );
        assert_eq!(
            err("300mss"),
            "invalid duration \"300mss\" (unknown time unit \"mss\"; units: ns, us, ms, s, m, h, d): expected a duration with a unit, like \"250ms\", \"30s\" or \"2m\""
        );
        assert_eq!(parse_duration("1m 30s"), Ok(Duration::from_secs(90)));
        // Read as 55 s and 1,100 s by the parser: a number without its unit.
        assert_eq!(
            err("5 5s"),
            "invalid duration \"5 5s\" (the number 5 has no unit): expected a duration with a unit, like \"250ms\", \"30s\" or \"2m\""
        );
        assert!(err("1 000s").contains("(the number 1 has no unit)"));
        // "M" is months to the parser, and a slip for minutes here.
        assert_eq!(
            err("5M"),
            "invalid duration \"5M\" (a month is no unit of a load test; minutes are \"5m\"): expected a duration with a unit, like \"250ms\", \"30s\" or \"2m\""
        );
        assert!(
            err("1 month").contains("a month is no unit"),
            "{}",
            err("1 month")
        );
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("2ms"), Ok(Duration::from_millis(2)));
        // A capital unit: the lower-case one named, not the parser's list.
        assert_eq!(
            err("5S"),
            "invalid duration \"5S\" (unknown time unit \"S\": units are lower-case, \"5s\"): expected a duration with a unit, like \"250ms\", \"30s\" or \"2m\""
        );
    }

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("10MB"), Ok(10 << 20));
        assert_eq!(parse_size("512 KiB"), Ok(512 << 10));
        assert_eq!(parse_size("1.5k"), Ok(1536));
        assert_eq!(parse_size("300"), Ok(300));
        for bad in ["", "MB", "ten MB", "5 parsecs", "0", "1e400MB", "..MB"] {
            let e = parse_size(bad).unwrap_err();
            assert!(e.0.contains("invalid size"), "{bad}: {e}");
        }
    }

    #[test]
    fn ratios_stay_in_their_range() {
        assert_eq!(parse_ratio("1%", RatioRange::Fraction), Ok(0.01));
        assert_eq!(parse_ratio(" 0.5 ", RatioRange::Fraction), Ok(0.5));
        assert_eq!(parse_ratio("250%", RatioRange::Tolerance), Ok(2.5));
        for bad in ["500%", "101%", "-1%", "x", "1.5"] {
            assert!(parse_ratio(bad, RatioRange::Fraction).is_err(), "{bad}");
        }
        assert!(parse_ratio("1001%", RatioRange::Tolerance).is_err());
        assert_eq!(parse_ratio("100%", RatioRange::Fraction), Ok(1.0));
    }

    /// `"< 1"` meant one percent, not a bound of 100% that no run can break; a
    /// bare `"10"` tolerance meant 10%, not 1000%.
    #[test]
    fn a_bare_number_of_one_or_more_is_refused_as_ambiguous() {
        for (text, range) in [
            ("1", RatioRange::Fraction),
            ("1.0", RatioRange::Fraction),
            ("10", RatioRange::Tolerance),
            ("1", RatioRange::Tolerance),
        ] {
            let e = parse_ratio(text, range).unwrap_err();
            assert!(e.0.contains("ambiguous percentage"), "{text}: {e}");
            assert!(e.0.contains(&format!("\"{text}%\"")), "{text}: {e}");
        }
        assert_eq!(parse_ratio("0.99", RatioRange::Fraction), Ok(0.99));
    }

    #[test]
    fn a_share_shows_the_digits_that_tell_it_from_its_bound() {
        assert_eq!(show_percent_beside(0.008598, 0.0086), "0.8598%");
        assert_eq!(show_percent_beside(0.00995, 0.01), "0.995%");
        assert_eq!(show_percent_beside(0.0088, 0.0086), "0.88%");
        assert_eq!(show_percent_beside(0.05, 0.01), "5%");
        assert_eq!(show_percent_beside(0.0123, 0.05), "1.2%");
        assert_eq!(show_percent_beside(0.13849, 0.01), show_percent(0.1385));
        assert_eq!(show_percent_beside(0.01, 0.01), "1%");
        assert_eq!(show_share(0.0086), "0.86%");
        assert_eq!(show_share(0.01), "1%");
        assert_eq!(show_share(0.00125), "0.125%");
    }

    #[test]
    fn values_show_as_people_read_them() {
        assert_eq!(show_ms(4.24), "4.2 ms");
        // At the edges, as the rounded value reads.
        assert_eq!(show_ms(9.951), "10 ms");
        assert_eq!(show_ms(9.94), "9.9 ms");
        assert_eq!(show_ms(999.6), "1.00 s");
        assert_eq!(show_ms(999.4), "999 ms");
        assert_eq!(show_ms(612.4), "612 ms");
        assert_eq!(show_ms(1250.0), "1.25 s");
        assert_eq!(show_latency(None), "-");
        assert_eq!(show_percent(0.079), "7.9%");
        assert_eq!(show_percent(0.01), "1%");
        assert_eq!(show_number(12.0), "12");
        // Whole as shown: never `44.0%` (nor `7.0%` for 0.07, whose
        // percentage is 7.000000000000001).
        assert_eq!(show_percent(0.4396), "44%");
        assert_eq!(show_percent(0.07), "7%");
        assert_eq!(show_percent(0.4349), "43.5%");
        assert_eq!(show_number(2.96), "3");
    }
}
