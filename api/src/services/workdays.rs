//! Working-day arithmetic over the `work_calendar` table: Monday to Friday work, Saturday and
//! Sunday do not, unless the table lists the day as an exception (an official holiday on a
//! weekday, a make-up working day 调休 on a weekend).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Weekday};
use entities::work_calendar;
use sea_orm::{ConnectionTrait, EntityTrait};

use crate::error::AppResult;

/// The most working days a due date may lie ahead (about two years of working days): a bound on
/// input, and on the loops below.
pub const MAX_WORKING_DAYS: u32 = 500;

/// The calendar's exceptions, read from the database for one request or one pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    exceptions: BTreeMap<NaiveDate, bool>,
}

impl WorkCalendar {
    pub fn new(exceptions: impl IntoIterator<Item = (NaiveDate, bool)>) -> Self {
        Self {
            exceptions: exceptions.into_iter().collect(),
        }
    }

    /// The whole table: a few dozen rows a year, one statement.
    pub async fn load(db: &impl ConnectionTrait) -> AppResult<Self> {
        let rows = work_calendar::Entity::find().all(db).await?;
        Ok(Self::new(
            rows.into_iter().map(|r| (r.day, r.is_working_day)),
        ))
    }

    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        match self.exceptions.get(&day) {
            Some(working) => *working,
            None => !matches!(day.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// The `n`-th working day after `start` (`start` itself when `n` is 0). `None` past the
    /// end of the calendar's date range.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> Option<NaiveDate> {
        let mut day = start;
        let mut left = n;
        while left > 0 {
            day = day.succ_opt()?;
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        Some(day)
    }

    /// Working days `d` with `from < d <= to`; when `to` is before `from`, minus the working days
    /// `d` with `to < d <= from`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i32 {
        let (low, high, sign) = if to >= from {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        let count = low
            .iter_days()
            .skip(1)
            .take_while(|d| *d <= high)
            .filter(|d| self.is_working_day(*d))
            .count();
        sign * i32::try_from(count).unwrap_or(i32::MAX)
    }

    /// The exceptions of one year, in date order.
    pub fn exceptions_of(&self, year: i32) -> impl Iterator<Item = (NaiveDate, bool)> + '_ {
        self.exceptions
            .iter()
            .filter(move |(d, _)| d.year() == year)
            .map(|(d, w)| (*d, *w))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// The 2026 Spring Festival of `data/cn-workdays-2026.csv`, written out by hand: 2026-02-14
    /// (Saturday) is a make-up working day, 02-16 to 02-20 and 02-23 (Monday) are off, 02-28
    /// (Saturday) is a make-up working day.
    fn spring_festival_2026() -> WorkCalendar {
        WorkCalendar::new([
            (d("2026-02-14"), true),
            (d("2026-02-16"), false),
            (d("2026-02-17"), false),
            (d("2026-02-18"), false),
            (d("2026-02-19"), false),
            (d("2026-02-20"), false),
            (d("2026-02-23"), false),
            (d("2026-02-28"), true),
        ])
    }

    #[test]
    fn weekends_rest_unless_listed() {
        let cal = spring_festival_2026();
        assert!(cal.is_working_day(d("2026-02-13"))); // Friday
        assert!(cal.is_working_day(d("2026-02-14"))); // make-up Saturday
        assert!(!cal.is_working_day(d("2026-02-15"))); // Sunday
        assert!(!cal.is_working_day(d("2026-02-18"))); // Wednesday, holiday
        assert!(!cal.is_working_day(d("2026-03-01"))); // Sunday
    }

    #[test]
    fn adding_working_days_across_the_spring_festival() {
        let cal = spring_festival_2026();
        // From Friday 02-13: 1 -> Sat 02-14 (make-up), 2 -> Tue 02-24, 3 -> 02-25, 4 -> 02-26,
        // 5 -> 02-27, 6 -> Sat 02-28 (make-up), 7 -> Mon 03-02.
        let expected = [
            "2026-02-13",
            "2026-02-14",
            "2026-02-24",
            "2026-02-25",
            "2026-02-26",
            "2026-02-27",
            "2026-02-28",
            "2026-03-02",
        ];
        for (n, want) in expected.iter().enumerate() {
            assert_eq!(
                cal.add_working_days(d("2026-02-13"), n as u32),
                Some(d(want)),
                "n = {n}"
            );
        }
    }

    #[test]
    fn counting_working_days_both_ways() {
        let cal = spring_festival_2026();
        assert_eq!(
            cal.working_days_between(d("2026-02-13"), d("2026-02-13")),
            0
        );
        assert_eq!(
            cal.working_days_between(d("2026-02-13"), d("2026-02-24")),
            2
        );
        assert_eq!(
            cal.working_days_between(d("2026-02-24"), d("2026-02-13")),
            -2
        );
        // Sunday to Monday of an ordinary week: one working day.
        assert_eq!(
            cal.working_days_between(d("2026-03-08"), d("2026-03-09")),
            1
        );
        // Friday to Sunday: none.
        assert_eq!(
            cal.working_days_between(d("2026-03-06"), d("2026-03-08")),
            0
        );
    }
}
