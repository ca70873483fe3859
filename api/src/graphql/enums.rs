//! GraphQL enums, mirrored from the stored enums of the `entities` crate.

use async_graphql::Enum;
use entities::enums;

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "enums::OrganizationLevel")]
pub enum OrganizationLevel {
    /// 党委
    Committee,
    /// 党总支
    GeneralBranch,
    /// 党支部
    Branch,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "enums::UnitType")]
pub enum UnitType {
    Village,
    Community,
    ScenicUnit,
    Enterprise,
    Government,
    School,
    Other,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "enums::LinkageRole")]
pub enum LinkageRole {
    Lead,
    Member,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "enums::Gender")]
pub enum Gender {
    Male,
    Female,
}

/// Following GB/T 4762.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "enums::PoliticalStatus")]
pub enum PoliticalStatus {
    /// 中共党员
    FullMember,
    /// 中共预备党员
    ProbationaryMember,
    /// 共青团员
    LeagueMember,
    /// 群众
    Masses,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "enums::Position")]
pub enum Position {
    Secretary,
    DeputySecretary,
    CommitteeMember,
    Cadre,
    FirstSecretary,
    GridWorker,
    LegalAdviser,
    Volunteer,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "enums::ActivityKind")]
pub enum ActivityKind {
    /// 主题党日
    ThemedPartyDay,
    StudySession,
    VolunteerService,
    Patrol,
    Mediation,
    Publicity,
    /// 联席会议
    JointMeeting,
    Other,
}

/// PLANNED -> CONFIRMED -> COMPLETED, or CANCELLED from PLANNED or CONFIRMED.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "enums::ActivityStatus")]
pub enum ActivityStatus {
    Planned,
    Confirmed,
    Completed,
    Cancelled,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "enums::ParticipantRole")]
pub enum ParticipantRole {
    Host,
    CoHost,
    Participant,
}
