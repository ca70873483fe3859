//! Enumerations stored as short strings, so both SQLite and PostgreSQL hold them the same way and a
//! new value never needs a database type change.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))")]
pub enum OrganizationLevel {
    #[sea_orm(string_value = "COMMITTEE")]
    Committee,
    #[sea_orm(string_value = "GENERAL_BRANCH")]
    GeneralBranch,
    #[sea_orm(string_value = "BRANCH")]
    Branch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))")]
pub enum UnitType {
    #[sea_orm(string_value = "VILLAGE")]
    Village,
    #[sea_orm(string_value = "COMMUNITY")]
    Community,
    #[sea_orm(string_value = "SCENIC_UNIT")]
    ScenicUnit,
    #[sea_orm(string_value = "ENTERPRISE")]
    Enterprise,
    #[sea_orm(string_value = "GOVERNMENT")]
    Government,
    #[sea_orm(string_value = "SCHOOL")]
    School,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))")]
pub enum LinkageRole {
    #[sea_orm(string_value = "LEAD")]
    Lead,
    #[sea_orm(string_value = "MEMBER")]
    Member,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))")]
pub enum Gender {
    #[sea_orm(string_value = "MALE")]
    Male,
    #[sea_orm(string_value = "FEMALE")]
    Female,
}

/// Political status following GB/T 4762 (simplified to the categories the committees use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))")]
pub enum PoliticalStatus {
    #[sea_orm(string_value = "FULL_MEMBER")]
    FullMember,
    #[sea_orm(string_value = "PROBATIONARY_MEMBER")]
    ProbationaryMember,
    #[sea_orm(string_value = "LEAGUE_MEMBER")]
    LeagueMember,
    #[sea_orm(string_value = "MASSES")]
    Masses,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))")]
pub enum Position {
    #[sea_orm(string_value = "SECRETARY")]
    Secretary,
    #[sea_orm(string_value = "DEPUTY_SECRETARY")]
    DeputySecretary,
    #[sea_orm(string_value = "COMMITTEE_MEMBER")]
    CommitteeMember,
    #[sea_orm(string_value = "CADRE")]
    Cadre,
    #[sea_orm(string_value = "FIRST_SECRETARY")]
    FirstSecretary,
    #[sea_orm(string_value = "GRID_WORKER")]
    GridWorker,
    #[sea_orm(string_value = "LEGAL_ADVISER")]
    LegalAdviser,
    #[sea_orm(string_value = "VOLUNTEER")]
    Volunteer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))")]
pub enum ActivityKind {
    #[sea_orm(string_value = "THEMED_PARTY_DAY")]
    ThemedPartyDay,
    #[sea_orm(string_value = "STUDY_SESSION")]
    StudySession,
    #[sea_orm(string_value = "VOLUNTEER_SERVICE")]
    VolunteerService,
    #[sea_orm(string_value = "PATROL")]
    Patrol,
    #[sea_orm(string_value = "MEDIATION")]
    Mediation,
    #[sea_orm(string_value = "PUBLICITY")]
    Publicity,
    #[sea_orm(string_value = "JOINT_MEETING")]
    JointMeeting,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))")]
pub enum ActivityStatus {
    #[sea_orm(string_value = "PLANNED")]
    Planned,
    #[sea_orm(string_value = "CONFIRMED")]
    Confirmed,
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))")]
pub enum ParticipantRole {
    #[sea_orm(string_value = "HOST")]
    Host,
    #[sea_orm(string_value = "CO_HOST")]
    CoHost,
    #[sea_orm(string_value = "PARTICIPANT")]
    Participant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(30))")]
pub enum SupervisionSource {
    #[sea_orm(string_value = "JOINT_MEETING")]
    JointMeeting,
    #[sea_orm(string_value = "RESIDENT_APPEAL")]
    ResidentAppeal,
    #[sea_orm(string_value = "INSPECTION")]
    Inspection,
    #[sea_orm(string_value = "SUPERIOR_ASSIGNMENT")]
    SuperiorAssignment,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// Stored as a rank, most urgent first, so that "most urgent first" is an ascending index scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "i32", db_type = "Integer")]
pub enum Priority {
    #[sea_orm(num_value = 1)]
    Urgent,
    #[sea_orm(num_value = 2)]
    High,
    #[sea_orm(num_value = 3)]
    Normal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))")]
pub enum SupervisionStatus {
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "IN_PROGRESS")]
    InProgress,
    #[sea_orm(string_value = "PENDING_REVIEW")]
    PendingReview,
    #[sea_orm(string_value = "CLOSED")]
    Closed,
    #[sea_orm(string_value = "REOPENED")]
    Reopened,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}
/// The escalation ladder, lowest first: the derived order is the ladder's.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    serde::Deserialize,
    PartialOrd,
    Ord,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))")]
pub enum EscalationLevel {
    #[sea_orm(string_value = "NONE")]
    None,
    #[sea_orm(string_value = "REMIND")]
    Remind,
    #[sea_orm(string_value = "URGE")]
    Urge,
    #[sea_orm(string_value = "SUPERVISE")]
    Supervise,
    #[sea_orm(string_value = "REPORT")]
    Report,
}
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(30))")]
pub enum SupervisionEventKind {
    #[sea_orm(string_value = "OPENED")]
    Opened,
    #[sea_orm(string_value = "STARTED")]
    Started,
    #[sea_orm(string_value = "PROGRESS")]
    Progress,
    #[sea_orm(string_value = "SUBMITTED")]
    Submitted,
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
    #[sea_orm(string_value = "CLOSED")]
    Closed,
    #[sea_orm(string_value = "REOPENED")]
    Reopened,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
    #[sea_orm(string_value = "DEADLINE_EXTENDED")]
    DeadlineExtended,
    #[sea_orm(string_value = "ESCALATED")]
    Escalated,
    #[sea_orm(string_value = "REVIEWED")]
    Reviewed,
}
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))")]
pub enum RoundStatus {
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "CLOSED")]
    Closed,
}
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))")]
pub enum ReviewVerdict {
    #[sea_orm(string_value = "ON_TRACK")]
    OnTrack,
    #[sea_orm(string_value = "AT_RISK")]
    AtRisk,
    #[sea_orm(string_value = "OFF_TRACK")]
    OffTrack,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))")]
pub enum PairingStatus {
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    #[sea_orm(string_value = "ENDED")]
    Ended,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))")]
pub enum AppealStatus {
    #[sea_orm(string_value = "RECEIVED")]
    Received,
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
    #[sea_orm(string_value = "RESOLVED")]
    Resolved,
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(30))")]
pub enum AppealCategory {
    #[sea_orm(string_value = "INFRASTRUCTURE")]
    Infrastructure,
    #[sea_orm(string_value = "ENVIRONMENT")]
    Environment,
    #[sea_orm(string_value = "PUBLIC_SAFETY")]
    PublicSafety,
    #[sea_orm(string_value = "DISPUTE")]
    Dispute,
    #[sea_orm(string_value = "SOCIAL_SECURITY")]
    SocialSecurity,
    #[sea_orm(string_value = "TOURISM")]
    Tourism,
    #[sea_orm(string_value = "LEGAL")]
    Legal,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(30))")]
pub enum Satisfaction {
    #[sea_orm(string_value = "SATISFIED")]
    Satisfied,
    #[sea_orm(string_value = "PARTLY_SATISFIED")]
    PartlySatisfied,
    #[sea_orm(string_value = "NOT_SATISFIED")]
    NotSatisfied,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(30))")]
pub enum AppealEventKind {
    #[sea_orm(string_value = "RECORDED")]
    Recorded,
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
    #[sea_orm(string_value = "RESOLVED")]
    Resolved,
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
    #[sea_orm(string_value = "ESCALATED")]
    Escalated,
    #[sea_orm(string_value = "FEEDBACK")]
    Feedback,
    #[sea_orm(string_value = "REOPENED")]
    Reopened,
}

crate::enum_fields!(
    OrganizationLevel,
    UnitType,
    LinkageRole,
    Gender,
    PoliticalStatus,
    Position,
    ActivityKind,
    ActivityStatus,
    ParticipantRole,
    SupervisionSource,
    Priority,
    SupervisionStatus,
    EscalationLevel,
    SupervisionEventKind,
    RoundStatus,
    ReviewVerdict,
    PairingStatus,
    AppealStatus,
    AppealCategory,
    Satisfaction,
    AppealEventKind,
);
