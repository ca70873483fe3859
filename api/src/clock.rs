//! The one source of "now" and "today" for deadline rules. Dates are dates in the deployment's
//! time zone; `--today DATE` pins the date (for demonstrations and rehearsing a deadline), and
//! tests drive a manual clock to any instant.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use chrono_tz::Tz;

#[derive(Clone, Debug)]
pub struct Clock {
    zone: Tz,
    source: Source,
}

#[derive(Clone, Debug)]
enum Source {
    System,
    /// `--today DATE`: the date is fixed, times of day are the real ones.
    Today(NaiveDate),
    /// Tests: the instant is whatever was last set.
    Manual(Arc<Mutex<DateTime<Utc>>>),
}

impl Clock {
    /// The system clock, or a pinned date when `today` is given.
    pub fn new(zone: Tz, today: Option<NaiveDate>) -> Self {
        let source = match today {
            Some(day) => Source::Today(day),
            None => Source::System,
        };
        Self { zone, source }
    }

    /// A clock that stands at `at` until `set` moves it.
    pub fn manual(zone: Tz, at: DateTime<Utc>) -> Self {
        Self {
            zone,
            source: Source::Manual(Arc::new(Mutex::new(at.trunc_subsecs(6)))),
        }
    }

    /// Moves a manual clock (every clone of it); other clocks ignore it.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Source::Manual(instant) = &self.source
            && let Ok(mut instant) = instant.lock()
        {
            *instant = at.trunc_subsecs(6);
        }
    }

    /// The current instant, truncated to microseconds (what PostgreSQL keeps).
    pub fn now(&self) -> DateTime<Utc> {
        match &self.source {
            Source::Manual(instant) => match instant.lock() {
                Ok(instant) => *instant,
                Err(poisoned) => *poisoned.into_inner(),
            },
            Source::System | Source::Today(_) => Utc::now().trunc_subsecs(6),
        }
    }

    /// Today's date in the deployment's time zone.
    pub fn today(&self) -> NaiveDate {
        match &self.source {
            Source::Today(day) => *day,
            _ => self.now().with_timezone(&self.zone).date_naive(),
        }
    }

    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// Whether the date is pinned by `--today`.
    pub fn pinned(&self) -> Option<NaiveDate> {
        match &self.source {
            Source::Today(day) => Some(*day),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn today_is_the_local_date_not_the_utc_one() {
        let zone = chrono_tz::Asia::Shanghai;
        // 2026-03-01 15:59:59 UTC is 23:59:59 in Shanghai; a second later it is the 2nd there.
        let clock = Clock::manual(zone, Utc.with_ymd_and_hms(2026, 3, 1, 15, 59, 59).unwrap());
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
        clock.set(Utc.with_ymd_and_hms(2026, 3, 1, 16, 0, 0).unwrap());
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2026, 3, 2).unwrap());
    }

    #[test]
    fn a_pinned_date_holds_whatever_the_time() {
        let day = NaiveDate::from_ymd_opt(2026, 2, 13).unwrap();
        let clock = Clock::new(chrono_tz::Asia::Shanghai, Some(day));
        assert_eq!(clock.today(), day);
        assert_eq!(clock.pinned(), Some(day));
        assert!(Clock::new(chrono_tz::UTC, None).pinned().is_none());
    }
}
