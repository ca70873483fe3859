//! `statistics(linkageGroupId, from, to)`: a linkage group's figures over a period (DESIGN 3.2),
//! every rate with its numerator, denominator and as-of date.

use async_graphql::{Context, ID, Object, Result};

use super::{
    appeal_enums::AppealCategory,
    context::ContextExt,
    enums::ActivityKind,
    ids::{self, NodeKind},
    linkage_groups::LinkageGroup,
    organizations::Organization,
    plain::Plain,
    scalars::Date,
};
use crate::services::statistics::{
    self, ActivityFigures, AppealFigures, MentoringFigures, OrganizationFigures, SupervisionFigures,
};

pub struct Rate(statistics::Rate);

/// A share: `value` is `numerator / denominator`, null when both are 0; `asOf` is the day the
/// figures were read.
#[Object]
impl Rate {
    async fn numerator(&self) -> i32 {
        self.0.numerator
    }

    async fn denominator(&self) -> i32 {
        self.0.denominator
    }

    /// Null when there is nothing to divide (0/0).
    async fn value(&self) -> Option<f64> {
        self.0.value()
    }

    async fn as_of(&self) -> Date {
        Date(self.0.as_of)
    }
}

pub struct Statistics(pub statistics::Statistics);

/// A linkage group's figures over the period `[from, to]` (calendar dates in the deployment's
/// time zone, both included); figures called "now" are as of `asOf`.
#[Object]
impl Statistics {
    async fn linkage_group(&self) -> LinkageGroup {
        LinkageGroup(self.0.linkage_group.clone())
    }

    async fn from(&self) -> Date {
        Date(self.0.from)
    }

    async fn to(&self) -> Date {
        Date(self.0.to)
    }

    /// Today, in the deployment's time zone.
    async fn as_of(&self) -> Date {
        Date(self.0.as_of)
    }

    async fn supervision(&self) -> SupervisionStatistics<'_> {
        SupervisionStatistics(&self.0.supervision)
    }

    async fn activities(&self) -> ActivityStatistics<'_> {
        ActivityStatistics(&self.0.activities)
    }

    async fn mentoring(&self) -> MentoringStatistics<'_> {
        MentoringStatistics(&self.0.mentoring)
    }

    async fn appeals(&self) -> AppealStatistics<'_> {
        AppealStatistics(&self.0.appeals)
    }
}

pub struct AppealStatistics<'a>(&'a AppealFigures);

/// Residents' appeals (民情诉求) of the group's villages (its current members and their
/// sub-organizations) received in the period, with their status as of `asOf`.
#[Object]
impl AppealStatistics<'_> {
    /// Received in the period.
    async fn collected(&self) -> i32 {
        self.0.collected
    }

    /// Of those, RESOLVED now.
    async fn resolved(&self) -> i32 {
        self.0.resolved
    }

    /// Of those, REJECTED now.
    async fn rejected(&self) -> i32 {
        self.0.rejected
    }

    /// Of those, RECEIVED or ACCEPTED now.
    async fn open(&self) -> i32 {
        self.0.open
    }

    /// resolved / (collected - those not resolved that are still within their handling time,
    /// due on `asOf` or later): new appeals never drag it down.
    async fn resolution_rate(&self) -> Rate {
        Rate(self.0.resolution_rate)
    }

    /// SATISFIED / with feedback, among the collected ones.
    async fn satisfaction_rate(&self) -> Rate {
        Rate(self.0.satisfaction_rate)
    }

    /// Collected per village, most first, then by name; villages with none are left out.
    async fn by_village(&self) -> Vec<OrganizationCount> {
        self.0
            .by_village
            .iter()
            .map(|(organization_id, count)| OrganizationCount {
                organization_id: *organization_id,
                count: *count,
            })
            .collect()
    }

    /// Collected per category, by category name; categories with none are left out.
    async fn by_category(&self) -> Vec<CategoryCount> {
        self.0
            .by_category
            .iter()
            .map(|(category, count)| CategoryCount {
                category: (*category).into(),
                count: *count,
            })
            .collect()
    }
}

/// How many appeals are of one category.
#[derive(async_graphql::SimpleObject)]
pub struct CategoryCount {
    category: AppealCategory,
    count: i32,
}

pub struct MentoringStatistics<'a>(&'a MentoringFigures);

/// Mentoring pairings (传帮带) of the group's organizations (its current members and their
/// sub-organizations), and how many of their key and remote villages have a first secretary.
#[Object]
impl MentoringStatistics<'_> {
    /// Pairings ACTIVE now.
    async fn active_pairings(&self) -> i32 {
        self.0.active_pairings
    }

    /// Sessions held in the period.
    async fn sessions(&self) -> i32 {
        self.0.sessions
    }

    /// ACTIVE pairings whose last session (or start, without one) is 30 days ago or more.
    async fn neglected_pairings(&self) -> i32 {
        self.0.neglected_pairings
    }

    /// Key villages (not archived) with a first-secretary posting active on `asOf` / all of
    /// them.
    async fn key_village_coverage(&self) -> Rate {
        Rate(self.0.key_village_coverage)
    }

    /// Remote villages (not archived) with a first-secretary posting active on `asOf` / all of
    /// them.
    async fn remote_village_coverage(&self) -> Rate {
        Rate(self.0.remote_village_coverage)
    }
}

pub struct SupervisionStatistics<'a>(&'a SupervisionFigures);

/// The group's supervision ledger over the period.
#[Object]
impl SupervisionStatistics<'_> {
    /// Items opened in the period.
    async fn opened(&self) -> i32 {
        self.0.opened
    }

    /// Items closed with a closing date in the period (a reopened item no longer counts).
    async fn closed(&self) -> i32 {
        self.0.closed
    }

    /// Of the closed ones, those whose accepted submission came on or before the due date.
    async fn closed_on_time(&self) -> i32 {
        self.0.closed_on_time
    }

    async fn closed_late(&self) -> i32 {
        self.0.closed_late
    }

    /// Items overdue today, whenever they were opened.
    async fn overdue_now(&self) -> i32 {
        self.0.overdue_now
    }

    /// Items whose deadline was extended on a day of the period.
    async fn extended(&self) -> i32 {
        self.0.extended
    }

    /// closedOnTime / closed.
    async fn on_time_rate(&self) -> Rate {
        Rate(self.0.on_time_rate)
    }

    /// Mean working days from opening to closing of the items closed in the period; null when
    /// none was.
    async fn average_working_days_to_close(&self) -> Option<f64> {
        self.0.average_working_days_to_close
    }

    /// Each organization responsible for items of the group (lead or co-responsible), by
    /// name; organizations with nothing to count are left out.
    async fn by_organization(&self) -> Vec<SupervisionOrganizationFigures<'_>> {
        self.0
            .by_organization
            .iter()
            .map(SupervisionOrganizationFigures)
            .collect()
    }
}

pub struct SupervisionOrganizationFigures<'a>(&'a OrganizationFigures);

/// One responsible organization's share of the group's ledger over the period.
#[Object]
impl SupervisionOrganizationFigures<'_> {
    async fn organization(&self, ctx: &Context<'_>) -> Result<Plain<Organization>> {
        Organization::load(ctx, self.0.organization_id)
            .await
            .map(Plain)
    }

    /// Items it leads, opened in the period.
    async fn lead(&self) -> i32 {
        self.0.lead
    }

    /// Items it co-owns, opened in the period.
    async fn co_responsible(&self) -> i32 {
        self.0.co_responsible
    }

    /// Items it leads, closed in the period.
    async fn closed(&self) -> i32 {
        self.0.closed
    }

    /// Of those, closed on time.
    async fn closed_on_time(&self) -> i32 {
        self.0.closed_on_time
    }

    /// Items it leads that are overdue today.
    async fn overdue_now(&self) -> i32 {
        self.0.overdue_now
    }

    /// closedOnTime / closed, for the items it leads.
    async fn on_time_rate(&self) -> Rate {
        Rate(self.0.on_time_rate)
    }
}

pub struct ActivityStatistics<'a>(&'a ActivityFigures);

/// The group's joint activities that start in the period (from 00:00 of `from` to 24:00 of `to`,
/// local time).
#[Object]
impl ActivityStatistics<'_> {
    /// Completed.
    async fn held(&self) -> i32 {
        self.0.held
    }

    async fn cancelled(&self) -> i32 {
        self.0.cancelled
    }

    /// Held activities per kind, by kind name; kinds with none are left out.
    async fn by_kind(&self) -> Vec<KindCount> {
        self.0
            .by_kind
            .iter()
            .map(|(kind, count)| KindCount {
                kind: (*kind).into(),
                count: *count,
            })
            .collect()
    }

    /// Held activities each organization took part in (in any role), most first, then by name.
    async fn participation_by_organization(&self) -> Vec<OrganizationCount> {
        self.0
            .participation
            .iter()
            .map(|(organization_id, count)| OrganizationCount {
                organization_id: *organization_id,
                count: *count,
            })
            .collect()
    }
}

pub struct OrganizationCount {
    organization_id: uuid::Uuid,
    count: i32,
}

/// How many of something concern one organization.
#[Object]
impl OrganizationCount {
    async fn organization(&self, ctx: &Context<'_>) -> Result<Plain<Organization>> {
        Organization::load(ctx, self.organization_id)
            .await
            .map(Plain)
    }

    async fn count(&self) -> i32 {
        self.count
    }
}

/// How many of something are of one kind.
#[derive(async_graphql::SimpleObject)]
pub struct KindCount {
    kind: ActivityKind,
    count: i32,
}

#[derive(Default)]
pub struct StatisticsQuery;

#[Object]
impl StatisticsQuery {
    /// A linkage group's figures from `from` to `to` (both included, at most 3660 days), for
    /// committee staff and supervisors of the group.
    async fn statistics(
        &self,
        ctx: &Context<'_>,
        linkage_group_id: ID,
        from: Date,
        to: Date,
    ) -> Result<Statistics> {
        let group = ids::decode_as("linkageGroupId", NodeKind::LinkageGroup, &linkage_group_id)?;
        let state = ctx.state()?;
        let figures = statistics::of_group(
            &state.db.read,
            &ctx.actor(),
            &state.clock,
            group,
            from.0,
            to.0,
        )
        .await?;
        Ok(Statistics(figures))
    }
}
