//! Reading columns and instants the same way on both backends.

use jiff::Timestamp;
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

use super::StoreError;

/// Typed column access with the store's error type, implemented for the row type of each
/// backend so that row-mapping code is written once (generic over `R: Columns`).
pub(crate) trait Columns {
    fn text(&self, column: &'static str) -> Result<String, StoreError>;
    fn opt_text(&self, column: &'static str) -> Result<Option<String>, StoreError>;
    fn int(&self, column: &'static str) -> Result<i64, StoreError>;
    fn opt_int(&self, column: &'static str) -> Result<Option<i64>, StoreError>;
    fn opt_int32(&self, column: &'static str) -> Result<Option<i32>, StoreError>;
    fn flag(&self, column: &'static str) -> Result<bool, StoreError>;
}

/// The impls are identical text; only the row type differs, and sqlx's decoding traits are
/// simpler to satisfy on concrete types than through generic bounds.
macro_rules! impl_columns {
    ($row:ty) => {
        impl Columns for $row {
            fn text(&self, column: &'static str) -> Result<String, StoreError> {
                self.try_get(column).map_err(decode_error(column))
            }
            fn opt_text(&self, column: &'static str) -> Result<Option<String>, StoreError> {
                self.try_get(column).map_err(decode_error(column))
            }
            fn int(&self, column: &'static str) -> Result<i64, StoreError> {
                self.try_get(column).map_err(decode_error(column))
            }
            fn opt_int(&self, column: &'static str) -> Result<Option<i64>, StoreError> {
                self.try_get(column).map_err(decode_error(column))
            }
            fn opt_int32(&self, column: &'static str) -> Result<Option<i32>, StoreError> {
                self.try_get(column).map_err(decode_error(column))
            }
            fn flag(&self, column: &'static str) -> Result<bool, StoreError> {
                self.try_get(column).map_err(decode_error(column))
            }
        }
    };
}

impl_columns!(SqliteRow);
impl_columns!(PgRow);

fn decode_error(column: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |error| StoreError::corrupt(column, error)
}

/// The instant as whole seconds since the epoch; refuses a fractional second rather than
/// silently dropping it (see the module docs of `store`).
pub(crate) fn to_seconds(at: Timestamp, what: &'static str) -> Result<i64, StoreError> {
    if at.subsec_nanosecond() != 0 {
        return Err(StoreError::invalid(
            what,
            format!("{at} has a fractional second; the store keeps whole seconds"),
        ));
    }
    Ok(at.as_second())
}

/// The first whole second at or after `at`: the bound to compare stored seconds against, so
/// that `from <= t` and `t < to` keep meaning the same for instants with fractional seconds.
pub(crate) fn ceil_seconds(at: Timestamp) -> i64 {
    // `as_second` truncates toward zero, so only a positive fraction needs rounding up.
    if at.subsec_nanosecond() > 0 {
        at.as_second().saturating_add(1)
    } else {
        at.as_second()
    }
}

/// An instant read back from a column of seconds.
pub(crate) fn from_seconds(seconds: i64, column: &'static str) -> Result<Timestamp, StoreError> {
    Timestamp::from_second(seconds).map_err(|error| StoreError::corrupt(column, error))
}

/// An optional instant read back from a nullable column of seconds.
pub(crate) fn opt_from_seconds(
    seconds: Option<i64>,
    column: &'static str,
) -> Result<Option<Timestamp>, StoreError> {
    seconds.map(|s| from_seconds(s, column)).transpose()
}

/// A count or size as the signed 64-bit integer both backends store.
pub(crate) fn to_i64(value: u64, what: &'static str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::invalid(what, format!("{value} is too large")))
}

/// A stored count or size back as unsigned.
pub(crate) fn to_u64(value: i64, column: &'static str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::corrupt(column, format!("negative: {value}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceil_rounds_fractions_up_on_both_sides_of_the_epoch() {
        let at = |s: i64, ns: i32| Timestamp::new(s, ns).unwrap();
        assert_eq!(ceil_seconds(at(10, 0)), 10);
        assert_eq!(ceil_seconds(at(10, 1)), 11);
        assert_eq!(ceil_seconds(at(-2, -500_000_000)), -2);
        assert_eq!(ceil_seconds(at(0, -1)), 0);
    }

    #[test]
    fn whole_seconds_only() {
        assert_eq!(
            to_seconds(Timestamp::from_second(5).unwrap(), "t").ok(),
            Some(5)
        );
        assert!(to_seconds(Timestamp::new(5, 1).unwrap(), "t").is_err());
    }
}
