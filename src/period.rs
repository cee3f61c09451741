//! The audit period: the window a population is drawn from.
//!
//! A period is always a whole number of calendar days in an explicit time zone, so that
//! "2026-Q3" means the same instants to everyone who re-performs the test. Its end is stored
//! inclusive (as people write it) and exposed as an exclusive instant (as code compares).

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

/// What the user wrote, in one of the accepted shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Year(i16),
    Quarter(i16, i8),
    Month(i16, i8),
    Range(Date, Date),
}

/// An audit period: inclusive first and last day in an explicit time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    shape: Shape,
    first: Date,
    last: Date,
    tz: TimeZone,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid period `{input}`: {problem} (expected `2026-Q3`, `2026-07`, `2026` or `2026-07-01..2026-09-30`)"
)]
pub struct PeriodError {
    pub input: String,
    pub problem: String,
}

impl Period {
    /// Parses a period in UTC.
    pub fn parse(input: &str) -> Result<Period, PeriodError> {
        Period::parse_in(input, TimeZone::UTC)
    }

    /// Parses a period whose days are calendar days in `tz`.
    pub fn parse_in(input: &str, tz: TimeZone) -> Result<Period, PeriodError> {
        let fail = |problem: String| PeriodError {
            input: input.to_string(),
            problem,
        };
        let shape = parse_shape(input.trim()).map_err(fail)?;
        let (first, last) = bounds(shape).map_err(fail)?;
        Ok(Period {
            shape,
            first,
            last,
            tz,
        })
    }

    /// First day of the period (inclusive).
    pub fn first_day(&self) -> Date {
        self.first
    }

    /// Last day of the period (inclusive).
    pub fn last_day(&self) -> Date {
        self.last
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// The first instant inside the period.
    pub fn start(&self) -> Timestamp {
        start_of(self.first, &self.tz)
    }

    /// The first instant after the period (exclusive end).
    pub fn end(&self) -> Timestamp {
        // `bounds` guarantees `last` is before 9999-12-31, so the day after exists.
        match self.last.tomorrow() {
            Ok(next) => start_of(next, &self.tz),
            Err(_) => Timestamp::MAX,
        }
    }

    pub fn contains(&self, at: Timestamp) -> bool {
        self.start() <= at && at < self.end()
    }

    /// Number of calendar days in the period.
    pub fn days(&self) -> i64 {
        (self.last - self.first).get_days() as i64 + 1
    }
}

fn start_of(day: Date, tz: &TimeZone) -> Timestamp {
    // Midnight can be skipped by a DST change in a few zones; jiff's compatible disambiguation
    // then picks the first instant of the day, which is what a period boundary means.
    day.to_zoned_datetime(tz.clone())
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::MIN)
}

fn parse_shape(s: &str) -> Result<Shape, String> {
    if s.is_empty() {
        return Err("the period is empty".into());
    }
    if let Some((a, b)) = s.split_once("..") {
        return Ok(Shape::Range(parse_date(a)?, parse_date(b)?));
    }
    let parts: Vec<&str> = s.split('-').collect();
    match parts.as_slice() {
        [y] => Ok(Shape::Year(parse_year(y)?)),
        [y, q] if q.starts_with(['Q', 'q']) => {
            Ok(Shape::Quarter(parse_year(y)?, parse_quarter(q)?))
        }
        [y, m] => Ok(Shape::Month(parse_year(y)?, parse_month(m)?)),
        [_, _, _] if parse_date(s).is_ok() => {
            Err("a single day is not a period; write a range `DAY..DAY`".into())
        }
        _ => Err("unrecognised shape".into()),
    }
}

fn parse_year(s: &str) -> Result<i16, String> {
    if s.len() != 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{s}` is not a four-digit year"));
    }
    let year: i16 = s.parse().map_err(|_| format!("`{s}` is not a year"))?;
    if !(1970..=9998).contains(&year) {
        return Err(format!("year {year} is out of range 1970..=9998"));
    }
    Ok(year)
}

fn parse_quarter(s: &str) -> Result<i8, String> {
    match &s[1..] {
        "1" => Ok(1),
        "2" => Ok(2),
        "3" => Ok(3),
        "4" => Ok(4),
        _ => Err(format!("`{s}` is not a quarter (Q1 to Q4)")),
    }
}

fn parse_month(s: &str) -> Result<i8, String> {
    let month: i8 = match (s.len(), s.parse()) {
        (2, Ok(m)) => m,
        _ => return Err(format!("`{s}` is not a two-digit month")),
    };
    if !(1..=12).contains(&month) {
        return Err(format!("month {month} does not exist (01 to 12)"));
    }
    Ok(month)
}

fn parse_date(s: &str) -> Result<Date, String> {
    let s = s.trim();
    let is_iso = s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
    if !is_iso {
        return Err(format!("`{s}` is not a date in YYYY-MM-DD form"));
    }
    let date: Date = s
        .parse()
        .map_err(|_| format!("`{s}` is not a valid date"))?;
    parse_year(&s[..4])?;
    Ok(date)
}

fn bounds(shape: Shape) -> Result<(Date, Date), String> {
    let invalid = |e: jiff::Error| e.to_string();
    match shape {
        Shape::Year(y) => Ok((
            Date::new(y, 1, 1).map_err(invalid)?,
            Date::new(y, 12, 31).map_err(invalid)?,
        )),
        Shape::Quarter(y, q) => {
            let first = Date::new(y, (q - 1) * 3 + 1, 1).map_err(invalid)?;
            Ok((first, last_day_of(first, 3)?))
        }
        Shape::Month(y, m) => {
            let first = Date::new(y, m, 1).map_err(invalid)?;
            Ok((first, last_day_of(first, 1)?))
        }
        Shape::Range(first, last) if last < first => Err(format!(
            "the range ends ({last}) before it starts ({first})"
        )),
        Shape::Range(first, last) => Ok((first, last)),
    }
}

fn last_day_of(first: Date, months: i32) -> Result<Date, String> {
    first
        .checked_add(months.months())
        .and_then(|d| d.yesterday())
        .map_err(|e| e.to_string())
}

impl fmt::Display for Period {
    /// The canonical spelling: what the user wrote, normalised (`2026-q3` → `2026-Q3`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.shape {
            Shape::Year(y) => write!(f, "{y:04}"),
            Shape::Quarter(y, q) => write!(f, "{y:04}-Q{q}"),
            Shape::Month(y, m) => write!(f, "{y:04}-{m:02}"),
            Shape::Range(a, b) => write!(f, "{a}..{b}"),
        }
    }
}

impl FromStr for Period {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Period::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Period {
        Period::parse(s).unwrap()
    }

    #[test]
    fn quarter_covers_three_whole_months() {
        let q3 = p("2026-Q3");
        assert_eq!(q3.first_day().to_string(), "2026-07-01");
        assert_eq!(q3.last_day().to_string(), "2026-09-30");
        assert_eq!(q3.start().to_string(), "2026-07-01T00:00:00Z");
        assert_eq!(q3.end().to_string(), "2026-10-01T00:00:00Z");
        assert_eq!(q3.days(), 92);
    }

    #[test]
    fn month_year_and_range_shapes() {
        assert_eq!(p("2028-02").last_day().to_string(), "2028-02-29");
        assert_eq!(p("2026").days(), 365);
        let r = p("2026-07-01..2026-09-30");
        assert_eq!(r.days(), 92);
        assert_eq!(r.to_string(), "2026-07-01..2026-09-30");
        assert_eq!(p("2026-q4").to_string(), "2026-Q4");
        assert_eq!(p("2026-Q4").end().to_string(), "2027-01-01T00:00:00Z");
    }

    #[test]
    fn boundaries_are_inclusive_start_exclusive_end() {
        let q3 = p("2026-Q3");
        assert!(q3.contains("2026-07-01T00:00:00Z".parse().unwrap()));
        assert!(q3.contains("2026-09-30T23:59:59.999Z".parse().unwrap()));
        assert!(!q3.contains("2026-10-01T00:00:00Z".parse().unwrap()));
        assert!(!q3.contains("2026-06-30T23:59:59Z".parse().unwrap()));
    }

    #[test]
    fn explicit_time_zone_moves_the_instants() {
        let tz = TimeZone::get("America/New_York").unwrap();
        let q3 = Period::parse_in("2026-Q3", tz).unwrap();
        assert_eq!(q3.start().to_string(), "2026-07-01T04:00:00Z");
        // Standard time again by October 1 is false: EDT lasts until November.
        assert_eq!(q3.end().to_string(), "2026-10-01T04:00:00Z");
        let q4 = Period::parse_in("2026-Q4", TimeZone::get("America/New_York").unwrap()).unwrap();
        assert_eq!(q4.end().to_string(), "2027-01-01T05:00:00Z");
    }

    #[test]
    fn nonsense_is_rejected_with_the_reason() {
        for (input, needle) in [
            ("", "empty"),
            ("2026-Q5", "not a quarter"),
            ("2026-13", "month 13 does not exist"),
            ("26-Q1", "four-digit year"),
            ("2026-02-30..2026-03-01", "not a valid date"),
            (
                "2026-09-30..2026-07-01",
                "ends (2026-07-01) before it starts",
            ),
            ("2026-07-01", "single day"),
            ("last quarter", "four-digit year"),
            ("2026-Q3-extra", "unrecognised"),
            ("0000", "out of range"),
            ("2026-7", "two-digit month"),
        ] {
            let err = Period::parse(input).unwrap_err().to_string();
            assert!(err.contains(needle), "{input:?}: {err}");
            assert!(err.contains("expected `2026-Q3`"), "{err}");
        }
    }
}
