//! Activity cells: when a credential was last used, read with each vendor's documented words.
//!
//! The AWS IAM credential report (IAM User Guide, "Getting credential reports for your AWS
//! account") writes, besides ISO 8601 times:
//! - `password_last_used`: `no_information` when the password was never used, or not since
//!   IAM began recording sign-ins (20 October 2014); `N/A` when the user has no password.
//! - `access_key_N_last_used_date`: `N/A` when the user has no such key, the key was never
//!   used, or not since IAM began recording key use (22 April 2015): it does not say which.
//! - `not_supported`: the field does not apply to this principal (the root user's password
//!   fields).
//!
//! Okta's user reports leave the last sign-in empty for a user who never signed in. An empty
//! cell therefore means "never used" everywhere: no export in use writes an empty cell for a
//! value it does not know.

use jiff::Timestamp;

use super::table;
use crate::facts::access::Use;

/// What one activity cell (`None`: empty) of `column` says.
pub fn parse(column: &str, cell: Option<&str>) -> Result<Use, String> {
    let Some(text) = cell else {
        return Ok(Use::Never);
    };
    match text.to_ascii_lowercase().as_str() {
        "no_information" | "never" | "none" | "-" => Ok(Use::Never),
        "n/a" | "na" if is_aws_access_key(column) => Ok(Use::NoneRecorded),
        "n/a" | "na" | "not_supported" => Ok(Use::NoCredential),
        _ => match table::timestamp(text)? {
            Some(at) => Ok(Use::At(at)),
            // `timestamp` knows no other no-time word than those above.
            None => Ok(Use::Never),
        },
    }
}

/// `access_key_1_last_used_date`, `access_key_2_last_used_date` (any case).
fn is_aws_access_key(column: &str) -> bool {
    let column = column.to_ascii_lowercase();
    column
        .strip_prefix("access_key_")
        .and_then(|rest| rest.strip_suffix("_last_used_date"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The latest use among `uses`, with its index.
pub fn latest(uses: &[Use]) -> Option<(usize, Timestamp)> {
    uses.iter()
        .enumerate()
        .filter_map(|(i, u)| match u {
            Use::At(at) => Some((i, *at)),
            _ => None,
        })
        .max_by_key(|(i, at)| (*at, std::cmp::Reverse(*i)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_words_keep_their_documented_meaning() {
        let key = "access_key_1_last_used_date";
        assert_eq!(
            parse("password_last_used", Some("N/A")),
            Ok(Use::NoCredential)
        );
        assert_eq!(
            parse("password_last_used", Some("no_information")),
            Ok(Use::Never)
        );
        assert_eq!(parse(key, Some("N/A")), Ok(Use::NoneRecorded));
        assert_eq!(
            parse("ACCESS_KEY_2_LAST_USED_DATE", Some("n/a")),
            Ok(Use::NoneRecorded)
        );
        assert_eq!(
            parse("password_last_used", Some("not_supported")),
            Ok(Use::NoCredential)
        );
        assert_eq!(parse("last_login", None), Ok(Use::Never));
        assert_eq!(
            parse(key, Some("2026-09-30T11:40:00+00:00")),
            Ok(Use::At("2026-09-30T11:40:00Z".parse().unwrap()))
        );
        assert!(
            parse(key, Some("yesterday"))
                .unwrap_err()
                .contains("is not a time")
        );
    }

    #[test]
    fn the_latest_use_wins_and_ties_go_to_the_first_column() {
        let at = |s: &str| Use::At(s.parse().unwrap());
        let uses = [
            Use::NoCredential,
            at("2026-09-01T00:00:00Z"),
            at("2026-09-30T00:00:00Z"),
            at("2026-09-30T00:00:00Z"),
        ];
        assert_eq!(
            latest(&uses),
            Some((2, "2026-09-30T00:00:00Z".parse().unwrap()))
        );
        assert_eq!(latest(&[Use::Never, Use::NoneRecorded]), None);
    }
}
