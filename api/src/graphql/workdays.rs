//! The working-day calendar: `workCalendar(year)`, the days of a year that break the ordinary
//! week (official holidays on weekdays, make-up working days on weekends).

use async_graphql::{Context, Object, Result};
use entities::work_calendar;

use super::{context::ContextExt, scalars::Date};
use crate::services::workdays;

/// One row of the `work_calendar` table.
#[derive(Debug, Clone)]
pub struct WorkCalendarDay(pub work_calendar::Model);

/// A day that breaks the ordinary week: a weekday off, or a weekend day that is a working day
/// (调休). Days not listed follow the ordinary rule: Monday to Friday work.
#[Object]
impl WorkCalendarDay {
    async fn date(&self) -> Date {
        Date(self.0.day)
    }

    /// True for a working weekend day, false for a weekday off.
    async fn is_working_day(&self) -> bool {
        self.0.is_working_day
    }

    /// The holiday the day belongs to (春节, 国庆节, ...).
    async fn name(&self) -> &str {
        &self.0.name
    }
}

#[derive(Default)]
pub struct WorkdayQuery;

#[Object]
impl WorkdayQuery {
    /// The exceptions to the ordinary working week in `year` (1900 to 2200), in date order.
    async fn work_calendar(&self, ctx: &Context<'_>, year: i32) -> Result<Vec<WorkCalendarDay>> {
        let days = workdays::exceptions_in_year(&ctx.state()?.db.read, &ctx.actor(), year).await?;
        Ok(days.into_iter().map(WorkCalendarDay).collect())
    }
}
