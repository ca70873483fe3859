//! The rules of the ledger (DESIGN 3.2), in one place: the status machine, the fields derived
//! from the dates and the calendar, and the same rules as SQL conditions so that lists filter
//! and count in the database.

use chrono::NaiveDate;
use entities::{
    enums::{EscalationLevel, SupervisionStatus},
    linkage_group, supervision_item,
};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect, QueryTrait,
    sea_query::{Expr, ExprTrait},
};

use crate::{
    error::{AppError, AppResult},
    services::workdays::WorkCalendar,
};

use SupervisionStatus::*;

/// Statuses in which the item is being worked on: the deadline runs and escalation applies.
pub const ACTIVE: [SupervisionStatus; 3] = [Open, InProgress, Reopened];

/// Working days before the due date from which an item is reminded.
pub const REMIND_WORKING_DAYS: u32 = 3;

/// What a transition is called, in errors and the timeline.
pub fn status_name(status: SupervisionStatus) -> &'static str {
    match status {
        Open => "OPEN",
        InProgress => "IN_PROGRESS",
        PendingReview => "PENDING_REVIEW",
        Closed => "CLOSED",
        Reopened => "REOPENED",
        Cancelled => "CANCELLED",
    }
}

/// The moves of the status machine, as the mutations name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Start,
    Submit,
    Reject,
    Close,
    Reopen,
    Cancel,
}

impl Move {
    /// The status the move leads to.
    pub fn target(self) -> SupervisionStatus {
        match self {
            Self::Start | Self::Reject => InProgress,
            Self::Submit => PendingReview,
            Self::Close => Closed,
            Self::Reopen => Reopened,
            Self::Cancel => Cancelled,
        }
    }

    /// Reject, reopen and cancel must say why.
    pub fn needs_note(self) -> bool {
        matches!(self, Self::Reject | Self::Reopen | Self::Cancel)
    }

    /// The supervisor's moves; start and submit are the lead organization's.
    pub fn by_supervisor(self) -> bool {
        !matches!(self, Self::Start | Self::Submit)
    }
}

/// The one function that decides which moves are allowed from which status (DESIGN 2): OPEN ->
/// IN_PROGRESS -> PENDING_REVIEW -> CLOSED; PENDING_REVIEW -> IN_PROGRESS on rejection; CLOSED
/// -> REOPENED -> IN_PROGRESS; CANCELLED from any open state. The error names from and to.
pub fn check_move(from: SupervisionStatus, mv: Move) -> AppResult<SupervisionStatus> {
    let allowed = match mv {
        Move::Start => matches!(from, Open | Reopened),
        Move::Submit => from == InProgress,
        Move::Reject | Move::Close => from == PendingReview,
        Move::Reopen => from == Closed,
        Move::Cancel => matches!(from, Open | InProgress | PendingReview | Reopened),
    };
    if allowed {
        Ok(mv.target())
    } else {
        Err(AppError::InvalidTransition {
            from: status_name(from).into(),
            to: status_name(mv.target()).into(),
        })
    }
}

/// Whether the item is overdue on `today`: past its due date while worked on, or waiting for
/// review after a late submission.
pub fn is_overdue(item: &supervision_item::Model, today: NaiveDate) -> bool {
    match item.status {
        Open | InProgress | Reopened => today > item.due_on,
        PendingReview => item.submitted_on.is_some_and(|s| s > item.due_on),
        Closed | Cancelled => false,
    }
}

/// The day remaining days are counted from: today while the item is open, the day it ended
/// once closed or cancelled (so a finished item's figures do not drift).
pub fn reference_day(item: &supervision_item::Model, today: NaiveDate) -> NaiveDate {
    match item.status {
        Closed => item.closed_on.unwrap_or(today),
        Cancelled => item.cancelled_on.unwrap_or(today),
        _ => today,
    }
}

/// The escalation level on `today` for a group with `cadence_days`.
pub fn escalation_level(
    item: &supervision_item::Model,
    today: NaiveDate,
    calendar: &WorkCalendar,
    cadence_days: i32,
) -> EscalationLevel {
    if is_overdue(item, today) {
        let late = (today - item.due_on).num_days();
        let cadence = i64::from(Ord::max(cadence_days, 1));
        if late > 2 * cadence {
            EscalationLevel::Report
        } else if late > cadence {
            EscalationLevel::Supervise
        } else {
            EscalationLevel::Urge
        }
    } else if ACTIVE.contains(&item.status)
        && calendar.working_days_between(today, item.due_on) <= REMIND_WORKING_DAYS as i32
    {
        EscalationLevel::Remind
    } else {
        EscalationLevel::None
    }
}

/// Everything derived about an item on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Derived {
    pub overdue: bool,
    pub days_remaining: i32,
    pub working_days_remaining: i32,
    pub closed_on_time: Option<bool>,
    pub escalation_level: EscalationLevel,
    pub progress_percent: i32,
}

pub fn derive(
    item: &supervision_item::Model,
    today: NaiveDate,
    calendar: &WorkCalendar,
    cadence_days: i32,
) -> Derived {
    let from = reference_day(item, today);
    let days = (item.due_on - from).num_days();
    Derived {
        overdue: is_overdue(item, today),
        days_remaining: i32::try_from(days).unwrap_or(if days < 0 { i32::MIN } else { i32::MAX }),
        working_days_remaining: calendar.working_days_between(from, item.due_on),
        closed_on_time: closed_on_time(item),
        escalation_level: escalation_level(item, today, calendar, cadence_days),
        progress_percent: if item.status == Closed {
            100
        } else {
            item.progress_percent
        },
    }
}

/// For a closed item: was the accepted submission on or before the due date?
pub fn closed_on_time(item: &supervision_item::Model) -> Option<bool> {
    (item.status == Closed).then(|| item.submitted_on.is_some_and(|s| s <= item.due_on))
}

// ---- The same rules in SQL -------------------------------------------------------------------

use supervision_item::Column as C;

/// Not closed nor cancelled, in the words of the partial indexes on unfinished items
/// (`migration::UNFINISHED_SQL`): a condition that implies it can add it, and the database then
/// reads those indexes instead of walking past every finished item.
pub fn unfinished() -> Condition {
    Condition::all().add(Expr::cust(migration::UNFINISHED_SQL))
}

fn active() -> Condition {
    Condition::all().add(C::Status.is_in(ACTIVE))
}

/// Overdue on `today` (see `is_overdue`).
pub fn overdue_condition(today: NaiveDate) -> Condition {
    Condition::any().add(active().add(C::DueOn.lt(today))).add(
        Condition::all()
            .add(C::Status.eq(PendingReview))
            .add(Expr::col(C::SubmittedOn).gt(Expr::col(C::DueOn))),
    )
}

/// Not finished, not overdue, and at most `n` working days left: due on a day before the
/// (n+1)-th working day after today.
pub fn due_within_condition(today: NaiveDate, n: u32, calendar: &WorkCalendar) -> Condition {
    let mut cond = Condition::all()
        .add(C::Status.is_not_in([Closed, Cancelled]))
        .add(C::DueOn.gte(today))
        .add(overdue_condition(today).not());
    if let Some(limit) = calendar.add_working_days(today, n + 1) {
        cond = cond.add(C::DueOn.lt(limit));
    }
    cond
}

/// Items of groups whose cadence is `cadence` days.
fn of_cadence(cadence: i32) -> Condition {
    let groups = linkage_group::Entity::find()
        .select_only()
        .column(linkage_group::Column::Id)
        .filter(linkage_group::Column::CadenceDays.eq(cadence))
        .into_query();
    Condition::all().add(C::LinkageGroupId.in_subquery(groups))
}

/// `today - days`, or the earliest date when that underflows.
fn days_before(today: NaiveDate, days: i64) -> NaiveDate {
    today
        .checked_sub_signed(chrono::Duration::days(days))
        .unwrap_or(NaiveDate::MIN)
}

/// Items at `level` on `today`; `cadences` are the cadences of every group (one condition per
/// distinct cadence, since the thresholds depend on the item's group).
pub fn level_condition(
    level: EscalationLevel,
    today: NaiveDate,
    calendar: &WorkCalendar,
    cadences: &[i32],
) -> Condition {
    let overdue = overdue_condition(today);
    match level {
        EscalationLevel::None => Condition::all()
            .add(level_condition(EscalationLevel::Remind, today, calendar, cadences).not())
            .add(overdue.not()),
        EscalationLevel::Remind => {
            let mut cond = active().add(C::DueOn.gte(today));
            if let Some(limit) = calendar.add_working_days(today, REMIND_WORKING_DAYS + 1) {
                cond = cond.add(C::DueOn.lt(limit));
            }
            cond
        }
        EscalationLevel::Urge | EscalationLevel::Supervise | EscalationLevel::Report => {
            let mut any = Condition::any();
            for &cadence in cadences {
                let c = i64::from(Ord::max(cadence, 1));
                // late > k * cadence  <=>  due_on < today - k * cadence
                let past = |k: i64| C::DueOn.lt(days_before(today, k * c));
                let within = match level {
                    EscalationLevel::Urge => Condition::all().add(past(1).not()),
                    EscalationLevel::Supervise => Condition::all().add(past(1)).add(past(2).not()),
                    _ => Condition::all().add(past(2)),
                };
                any = any.add(of_cadence(cadence).add(within));
            }
            if cadences.is_empty() {
                any = any.add(Expr::val(1).eq(0));
            }
            Condition::all().add(overdue).add(any)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [SupervisionStatus; 6] =
        [Open, InProgress, PendingReview, Closed, Reopened, Cancelled];

    const MOVES: [Move; 6] = [
        Move::Start,
        Move::Submit,
        Move::Reject,
        Move::Close,
        Move::Reopen,
        Move::Cancel,
    ];

    /// DESIGN 2, written out as the table of allowed (from, move, to) triples.
    #[test]
    fn the_status_machine_allows_exactly_the_designed_moves() {
        let allowed = [
            (Open, Move::Start, InProgress),
            (Reopened, Move::Start, InProgress),
            (InProgress, Move::Submit, PendingReview),
            (PendingReview, Move::Reject, InProgress),
            (PendingReview, Move::Close, Closed),
            (Closed, Move::Reopen, Reopened),
            (Open, Move::Cancel, Cancelled),
            (InProgress, Move::Cancel, Cancelled),
            (PendingReview, Move::Cancel, Cancelled),
            (Reopened, Move::Cancel, Cancelled),
        ];
        for from in ALL {
            for mv in MOVES {
                let result = check_move(from, mv);
                match allowed.iter().find(|(f, m, _)| *f == from && *m == mv) {
                    Some((_, _, to)) => assert_eq!(result.ok(), Some(*to), "{from:?} {mv:?}"),
                    None => match result {
                        Err(AppError::InvalidTransition { from: f, to: t }) => {
                            assert_eq!(f, status_name(from));
                            assert_eq!(t, status_name(mv.target()));
                        }
                        other => panic!("{from:?} {mv:?}: {other:?}"),
                    },
                }
            }
        }
    }

    /// The partial indexes' predicate names exactly the statuses other than CLOSED and
    /// CANCELLED, and no overdue or escalated item (any level but NONE) has another status: so
    /// adding `unfinished()` to those filters keeps every row.
    #[test]
    fn overdue_and_escalated_items_are_all_unfinished() {
        use sea_orm::ActiveEnum;
        let listed: Vec<String> = migration::UNFINISHED_SQL
            .split('\'')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect();
        let expected: Vec<String> = ALL
            .iter()
            .filter(|s| !matches!(s, Closed | Cancelled))
            .map(|s| s.to_value())
            .collect();
        let (mut listed_sorted, mut expected_sorted) = (listed.clone(), expected);
        listed_sorted.sort();
        expected_sorted.sort();
        assert_eq!(listed_sorted, expected_sorted);
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        let calendar = WorkCalendar::default();
        let now = chrono::Utc::now();
        for status in ALL {
            for (due, submitted, today) in [
                (1, None, 20),
                (20, None, 1),
                (10, Some(12), 15),
                (10, Some(8), 15),
                (3, None, 3),
            ] {
                let item = supervision_item::Model {
                    id: uuid::Uuid::nil(),
                    linkage_group_id: uuid::Uuid::nil(),
                    year: 2026,
                    seq: 1,
                    code: "联建督-2026-001".into(),
                    title: "t".into(),
                    description: None,
                    source: entities::enums::SupervisionSource::JointMeeting,
                    priority: entities::enums::Priority::High,
                    status,
                    lead_organization_id: uuid::Uuid::nil(),
                    assignee_id: None,
                    supervisor_id: None,
                    opened_on: day(1),
                    due_on: day(due),
                    original_due_on: day(due),
                    submitted_on: submitted.map(day),
                    closed_on: None,
                    cancelled_on: None,
                    progress_percent: 0,
                    appeal_id: None,
                    version: 1,
                    created_at: now,
                    updated_at: now,
                };
                let escalated =
                    escalation_level(&item, day(today), &calendar, 14) != EscalationLevel::None;
                if is_overdue(&item, day(today)) || escalated {
                    assert!(
                        listed.contains(&status.to_value()),
                        "{status:?} due {due} on {today}"
                    );
                }
            }
        }
    }
}
