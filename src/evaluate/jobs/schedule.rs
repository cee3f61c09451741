//! Expanding a cron schedule into the instants it implies in a window, in the schedule's time
//! zone, with croner's reading of daylight-saving changes: a fixed-time run whose wall-clock
//! time is skipped (spring forward) runs once just after the gap; one whose wall-clock time
//! repeats (fall back) runs once, at the first; interval schedules (`*/15`, hourly) follow
//! real elapsed time, so an hourly job runs 23 times on a spring-forward day and 25 on a
//! fall-back day. Pure: no clock.

use std::cmp::Ordering;

use croner::errors::CronError;
use croner::time::{CivilDate, CivilDateTime, CivilTime, CronDateTime, Resolution, Weekday};
use croner::{Cron, Direction};
use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp, ZonedDateTime as Zoned};

/// Every instant (Unix seconds) in `[from, to)` that `schedule` implies in `time_zone`.
pub fn occurrences(
    schedule: &str,
    time_zone: &str,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<i64>, String> {
    let cron: Cron = schedule
        .parse()
        .map_err(|e| format!("invalid cron schedule `{schedule}`: {e}"))?;
    let tz = TimeZone::get(time_zone).map_err(|_| format!("unknown time zone `{time_zone}`"))?;
    let end = to.as_second();
    let mut out = Vec::new();
    if let Ok(offset) = tz.to_fixed_offset() {
        // No daylight saving: walk civil time (much cheaper) and apply the one offset.
        let start = Civil(offset.to_datetime(from));
        for civil in cron.iter_from(start, Direction::Forward) {
            let at = offset
                .to_timestamp(civil.0)
                .map_err(|e| e.to_string())?
                .as_second();
            if at >= end {
                break;
            }
            if at >= from.as_second() {
                out.push(at);
            }
        }
        return Ok(out);
    }
    for zoned in cron.iter_from(At(from.to_zoned_datetime(tz)), Direction::Forward) {
        let at = zoned.0.timestamp().as_second();
        if at >= end {
            break;
        }
        out.push(at);
    }
    Ok(out)
}

/// croner's view of jiff (croner's own jiff support is for jiff 0.2; itgc uses jiff 1): an
/// instant in a time zone, which resolves wall-clock times through the zone's rules.
#[derive(Clone)]
struct At(Zoned);

/// A wall-clock time with no zone (used with a fixed offset).
#[derive(Clone)]
struct Civil(DateTime);

fn to_civil(dt: DateTime) -> CivilDateTime {
    // jiff keeps every part in range, so the parts are taken as they are.
    CivilDateTime::new(
        CivilDate::from_parts_unchecked(
            i32::from(dt.year()),
            dt.month().unsigned_abs().into(),
            dt.day().unsigned_abs().into(),
        ),
        CivilTime::from_parts_unchecked(
            dt.hour().unsigned_abs().into(),
            dt.minute().unsigned_abs().into(),
            dt.second().unsigned_abs().into(),
        ),
    )
}

fn to_jiff(civil: CivilDateTime) -> Result<DateTime, CronError> {
    let part = |v: u32| i8::try_from(v).map_err(|_| CronError::InvalidDate);
    let year = i16::try_from(civil.year()).map_err(|_| CronError::InvalidDate)?;
    DateTime::new(
        year,
        part(civil.month())?,
        part(civil.day())?,
        part(civil.hour())?,
        part(civil.minute())?,
        part(civil.second())?,
        0,
    )
    .map_err(|_| CronError::InvalidDate)
}

fn weekday(dt: DateTime) -> Weekday {
    Weekday::from_days_from_sunday(dt.weekday().to_sunday_zero_offset().unsigned_abs().into())
}

impl CronDateTime for At {
    fn to_civil(&self) -> CivilDateTime {
        to_civil(self.0.datetime())
    }

    fn civil_weekday(&self) -> Weekday {
        weekday(self.0.datetime())
    }

    fn resolve_civil(&self, civil: CivilDateTime) -> Result<Resolution<Self>, CronError> {
        let ambiguous = self
            .0
            .time_zone()
            .to_ambiguous_zoned_datetime(to_jiff(civil)?);
        Ok(match ambiguous.offset() {
            AmbiguousOffset::Unambiguous { .. } => Resolution::Single(At(ambiguous
                .unambiguous()
                .map_err(|_| CronError::InvalidTime)?)),
            AmbiguousOffset::Fold { .. } => {
                let earlier = ambiguous
                    .clone()
                    .earlier()
                    .map_err(|_| CronError::InvalidTime)?;
                let later = ambiguous.later().map_err(|_| CronError::InvalidTime)?;
                Resolution::Ambiguous(At(earlier), At(later))
            }
            AmbiguousOffset::Gap { .. } => Resolution::Gap,
        })
    }

    fn checked_add_seconds(&self, seconds: i64) -> Option<Self> {
        self.0
            .checked_add(SignedDuration::from_secs(seconds))
            .ok()
            .map(At)
    }

    fn cmp_instant(&self, other: &Self) -> Ordering {
        self.0.timestamp().cmp(&other.0.timestamp())
    }
}

impl CronDateTime for Civil {
    fn to_civil(&self) -> CivilDateTime {
        to_civil(self.0)
    }

    fn civil_weekday(&self) -> Weekday {
        weekday(self.0)
    }

    fn resolve_civil(&self, civil: CivilDateTime) -> Result<Resolution<Self>, CronError> {
        Ok(Resolution::Single(Civil(to_jiff(civil)?)))
    }

    fn checked_add_seconds(&self, seconds: i64) -> Option<Self> {
        self.0
            .checked_add(SignedDuration::from_secs(seconds))
            .ok()
            .map(Civil)
    }

    fn cmp_instant(&self, other: &Self) -> Ordering {
        self.0.cmp(&other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn day(schedule: &str, tz: &str, from: &str, to: &str) -> Vec<String> {
        occurrences(schedule, tz, ts(from), ts(to))
            .unwrap()
            .into_iter()
            .map(|s| Timestamp::from_second(s).unwrap().to_string())
            .collect()
    }

    #[test]
    fn berlin_spring_forward_runs_a_skipped_time_once_after_the_gap() {
        // 2026-03-29: 02:00 CET becomes 03:00 CEST; 02:30 does not exist.
        let runs = day(
            "30 2 * * *",
            "Europe/Berlin",
            "2026-03-28T00:00Z",
            "2026-03-31T00:00Z",
        );
        assert_eq!(
            runs,
            [
                "2026-03-28T01:30:00Z",
                "2026-03-29T01:00:00Z",
                "2026-03-30T00:30:00Z"
            ]
        );
    }

    #[test]
    fn berlin_fall_back_runs_a_repeated_time_once() {
        // 2026-10-25: 03:00 CEST becomes 02:00 CET; 02:30 happens twice.
        let runs = day(
            "30 2 * * *",
            "Europe/Berlin",
            "2026-10-24T00:00Z",
            "2026-10-27T00:00Z",
        );
        assert_eq!(
            runs,
            [
                "2026-10-24T00:30:00Z",
                "2026-10-25T00:30:00Z",
                "2026-10-26T01:30:00Z"
            ]
        );
    }

    #[test]
    fn new_york_hourly_job_runs_23_and_25_times_on_change_days() {
        // 2026-03-08 (spring forward) and 2026-11-01 (fall back), local midnight to midnight.
        let spring = day(
            "0 * * * *",
            "America/New_York",
            "2026-03-08T05:00Z",
            "2026-03-09T04:00Z",
        );
        assert_eq!(spring.len(), 23);
        let fall = day(
            "0 * * * *",
            "America/New_York",
            "2026-11-01T04:00Z",
            "2026-11-02T05:00Z",
        );
        assert_eq!(fall.len(), 25);
    }

    #[test]
    fn new_york_daily_job_keeps_local_time_across_both_changes() {
        let runs = day(
            "0 9 * * *",
            "America/New_York",
            "2026-03-07T00:00Z",
            "2026-03-10T00:00Z",
        );
        assert_eq!(
            runs,
            [
                "2026-03-07T14:00:00Z",
                "2026-03-08T13:00:00Z",
                "2026-03-09T13:00:00Z"
            ]
        );
        let runs = day(
            "0 9 * * *",
            "America/New_York",
            "2026-10-31T00:00Z",
            "2026-11-03T00:00Z",
        );
        assert_eq!(
            runs,
            [
                "2026-10-31T13:00:00Z",
                "2026-11-01T14:00:00Z",
                "2026-11-02T14:00:00Z"
            ]
        );
    }

    #[test]
    fn utc_minute_schedule_fills_the_window_exactly() {
        let runs = occurrences(
            "* * * * *",
            "UTC",
            ts("2026-01-01T00:00Z"),
            ts("2026-01-02T00:00Z"),
        )
        .unwrap();
        assert_eq!(runs.len(), 1440);
        let weekdays = day(
            "30 5 * * 1-5",
            "Etc/UTC",
            "2026-08-15T00:00Z",
            "2026-08-22T00:00Z",
        );
        assert_eq!(
            weekdays.len(),
            5,
            "Saturday 15th to Friday 21st: five weekdays"
        );
    }

    #[test]
    fn bad_schedules_and_zones_are_errors() {
        assert!(
            occurrences(
                "61 * * * *",
                "UTC",
                ts("2026-01-01T00:00Z"),
                ts("2026-01-02T00:00Z")
            )
            .is_err()
        );
        assert!(
            occurrences(
                "0 * * * *",
                "Mars/Base",
                ts("2026-01-01T00:00Z"),
                ts("2026-01-02T00:00Z")
            )
            .is_err()
        );
    }
}
