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
