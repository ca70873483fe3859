//! `DateTime` (RFC 3339, rendered in the deployment's time zone) and `Date` (YYYY-MM-DD).
//!
//! Both accept only years 1900 to 9999: far beyond any real schedule or record, and small enough
//! that a day or a time zone added to them never leaves what chrono and the databases represent
//! (chrono panics on overflow; SQLite compares dates as text, which breaks past year 9999).

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{FixedOffset, NaiveDate, SecondsFormat, Utc};
use chrono_tz::Tz;

/// The first supported year of `Date` and `DateTime` input.
pub const MIN_YEAR: i32 = 1900;
/// The last supported year of `Date` and `DateTime` input.
pub const MAX_YEAR: i32 = 9999;

/// What a `Date` input must look like, for error messages.
pub const DATE_HINT: &str =
    "expected a date as YYYY-MM-DD between 1900-01-01 and 9999-12-31, e.g. 2026-12-01";
/// What a `DateTime` input must look like, for error messages.
pub const DATE_TIME_HINT: &str = "expected an RFC 3339 date-time with offset between \
     1900-01-01T00:00:00Z and 9999-12-31T23:59:59Z, e.g. 2026-12-01T09:30:00+08:00";

/// The last instant `DateTime` accepts; a range computed from a `Date` ends here at the latest.
pub fn max_instant() -> chrono::DateTime<Utc> {
    NaiveDate::from_ymd_opt(MAX_YEAR, 12, 31)
        .and_then(|d| d.and_hms_nano_opt(23, 59, 59, 999_999_999))
        .map(|t| t.and_utc())
        .unwrap_or(chrono::DateTime::<Utc>::MAX_UTC)
}

fn supported_year(year: i32) -> bool {
    (MIN_YEAR..=MAX_YEAR).contains(&year)
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|d| supported_year(chrono::Datelike::year(d)))
}

fn parse_date_time(s: &str) -> Option<chrono::DateTime<FixedOffset>> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .filter(|t| supported_year(chrono::Datelike::year(&t.with_timezone(&Utc))))
}

/// An instant, rendered with the offset of the deployment's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime(pub chrono::DateTime<FixedOffset>);

impl DateTime {
    pub fn in_zone(instant: chrono::DateTime<Utc>, zone: Tz) -> Self {
        Self(instant.with_timezone(&zone).fixed_offset())
    }

    pub fn to_utc(self) -> chrono::DateTime<Utc> {
        self.0.with_timezone(&Utc)
    }
}

#[Scalar(
    name = "DateTime",
    specified_by_url = "https://www.rfc-editor.org/rfc/rfc3339"
)]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => parse_date_time(s)
                .map(Self)
                .ok_or_else(|| InputValueError::custom(DATE_TIME_HINT)),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    // Checked while validating, so a bad value is refused with the argument's path.
    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(s) if parse_date_time(s).is_some())
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

/// A calendar date in the deployment's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(pub NaiveDate);

#[Scalar(
    name = "Date",
    specified_by_url = "https://www.rfc-editor.org/rfc/rfc3339#section-5.6"
)]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => parse_date(s)
                .map(Self)
                .ok_or_else(|| InputValueError::custom(DATE_HINT)),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(s) if parse_date(s).is_some())
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_render_in_the_deployment_zone() {
        let utc = chrono::DateTime::parse_from_rfc3339("2026-12-01T15:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let rendered = DateTime::in_zone(utc, chrono_tz::Asia::Shanghai).to_value();
        assert_eq!(rendered, Value::String("2026-12-01T23:30:00+08:00".into()));
    }

    #[test]
    fn dates_parse_strictly() {
        assert!(<Date as ScalarType>::parse(Value::String("2026-12-01".into())).is_ok());
        assert!(<Date as ScalarType>::parse(Value::String("2026-13-01".into())).is_err());
        assert!(<Date as ScalarType>::parse(Value::String("01/12/2026".into())).is_err());
        assert!(<DateTime as ScalarType>::parse(Value::String("2026-12-01 09:30".into())).is_err());
    }

    #[test]
    fn only_years_1900_to_9999_are_accepted() {
        for ok in ["1900-01-01", "9999-12-31"] {
            assert!(
                <Date as ScalarType>::parse(Value::String(ok.into())).is_ok(),
                "{ok}"
            );
        }
        for bad in [
            "1899-12-31",
            "+262142-12-31",
            "-0001-01-01",
            "10000-01-01",
            "0000-01-01",
        ] {
            assert!(
                <Date as ScalarType>::parse(Value::String(bad.into())).is_err(),
                "{bad}"
            );
            assert!(
                !<Date as ScalarType>::is_valid(&Value::String(bad.into())),
                "{bad}"
            );
        }
        for ok in [
            "1900-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "9999-12-31T23:59:59+01:00",
        ] {
            assert!(
                <DateTime as ScalarType>::parse(Value::String(ok.into())).is_ok(),
                "{ok}"
            );
        }
        for bad in [
            "1899-12-31T23:59:59Z",
            "1900-01-01T00:30:00+01:00",
            "9999-12-31T23:00:00-05:00",
            "0001-01-01T00:00:00Z",
        ] {
            assert!(
                <DateTime as ScalarType>::parse(Value::String(bad.into())).is_err(),
                "{bad}"
            );
            assert!(
                !<DateTime as ScalarType>::is_valid(&Value::String(bad.into())),
                "{bad}"
            );
        }
        assert_eq!(
            max_instant().to_rfc3339_opts(SecondsFormat::Nanos, true),
            "9999-12-31T23:59:59.999999999Z"
        );
    }
}
