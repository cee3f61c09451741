//! Calendar arithmetic on fixed UTC instants (seconds since 1970).
//!
//! The demo's times are constants chosen by hand, so they are plain `i64` seconds and the
//! conversions are total functions: nothing here can fail, and nothing reads the real clock.

use jiff::Timestamp;

pub(crate) const MINUTE: i64 = 60;
pub(crate) const HOUR: i64 = 3_600;
pub(crate) const DAY: i64 = 86_400;

/// The instant a UTC wall-clock time names.
pub(crate) const fn utc(year: i64, month: i64, day: i64, hour: i64, minute: i64) -> i64 {
    days_from_civil(year, month, day) * DAY + hour * HOUR + minute * MINUTE
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm, proleptic Gregorian).
const fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day number; the inverse of `days_from_civil`.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `2026-07-01`
pub(crate) fn date(at: i64) -> String {
    let (y, m, d) = civil_from_days(at.div_euclid(DAY));
    format!("{y:04}-{m:02}-{d:02}")
}

/// `2026-07-01T09:30:00Z`, the RFC 3339 form GitHub and `gh` print.
pub(crate) fn stamp(at: i64) -> String {
    let secs = at.rem_euclid(DAY);
    let (h, m, s) = (secs / HOUR, secs % HOUR / MINUTE, secs % MINUTE);
    format!("{}T{h:02}:{m:02}:{s:02}Z", date(at))
}

/// 0 = Monday … 6 = Sunday.
pub(crate) fn weekday(at: i64) -> i64 {
    // 1970-01-01 was a Thursday.
    (at.div_euclid(DAY) + 3).rem_euclid(7)
}

/// The same instant as a `jiff` timestamp. Demo instants are all in 2026, far inside jiff's
/// range, so the constant constructor cannot fail.
pub(crate) fn timestamp(at: i64) -> Timestamp {
    Timestamp::constant(at, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_jiff() {
        let at = utc(2026, 7, 1, 9, 30) + 5;
        assert_eq!(stamp(at), "2026-07-01T09:30:05Z");
        assert_eq!(timestamp(at).to_string(), stamp(at));
        let leap = utc(2028, 2, 29, 23, 59);
        assert_eq!(timestamp(leap).to_string(), stamp(leap));
        assert_eq!(date(utc(2026, 12, 31, 0, 0)), "2026-12-31");
    }

    #[test]
    fn weekdays() {
        assert_eq!(weekday(utc(2026, 7, 1, 12, 0)), 2); // Wednesday
        assert_eq!(weekday(utc(2026, 8, 22, 2, 41)), 5); // Saturday
    }
}
