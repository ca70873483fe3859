//! SeaORM entities of lianjian, one module per table. These are storage shapes only: the GraphQL
//! types live in the `api` crate, so nothing here depends on async-graphql.

pub mod activity_participant;
pub mod app_setting;
pub mod appeal_event;
pub mod area;
pub mod attempt_counter;
pub mod attendance;
pub mod audit_entry;
pub mod calendar_token;
pub mod decode;
pub mod enums;
pub mod escalation_pass;
pub mod event_outbox;
pub mod event_outbox_pruned;
pub mod first_secretary_assignment;
pub mod joint_activity;
pub mod linkage_group;
pub mod linkage_group_member;
pub mod mentor_pairing;
pub mod mentoring_session;
pub mod organization;
pub mod person;
pub mod person_position;
pub mod resident_appeal;
pub mod role_grant;
pub mod supervision_assignment;
pub mod supervision_escalation;
pub mod supervision_event;
pub mod supervision_item;
pub mod supervision_report;
pub mod supervision_review;
pub mod supervision_round;
pub mod supervision_round_item;
pub mod user_account;
pub mod work_calendar;
