//! `DateTime` (RFC 3339, rendered in the deployment's time zone) and `Date` (YYYY-MM-DD).

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{FixedOffset, NaiveDate, SecondsFormat, Utc};
use chrono_tz::Tz;

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
            Value::String(s) => chrono::DateTime::parse_from_rfc3339(s).map(Self).map_err(|_| {
                InputValueError::custom(
                    "expected an RFC 3339 date-time with offset, e.g. 2026-12-01T09:30:00+08:00",
                )
            }),
            _ => Err(InputValueError::expected_type(value)),
        }
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
            Value::String(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Self)
                .map_err(|_| {
                    InputValueError::custom("expected a date as YYYY-MM-DD, e.g. 2026-12-01")
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
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
}
