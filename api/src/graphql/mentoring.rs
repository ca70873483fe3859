//! Mentoring pairings (传帮带): `MentorPairing` with its sessions and the derived `neglected`,
//! `mentorPairings`, and `createMentorPairing` / `logMentoringSession` / `endMentorPairing`.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use entities::{mentor_pairing, mentoring_session};
use uuid::Uuid;

use super::{
    context::ContextExt,
    ids::{self, NodeKind},
    loaders::{PageKey, page_needs},
    organizations::Organization,
    people::Person,
    plain::Plain,
    relay::{self, Conn},
    scalars::{Date, DateTime},
};
use crate::{
    error::AppError,
    services::{
        mentoring::{self, Ending, NEGLECT_DAYS, NewPairing, NewSession, PairingFilter},
        pagination::{Page, PageNeeds},
    },
};

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entities::enums::PairingStatus")]
pub enum PairingStatus {
    Active,
    Completed,
    Ended,
}

/// A mentoring pairing (传帮带): a mentor (first secretary or secretary) and a village cadre.
#[derive(Debug, Clone)]
pub struct MentorPairing(pub mentor_pairing::Model);

impl MentorPairing {
    /// A pairing something refers to, as far as the viewer may read it.
    pub async fn load(ctx: &Context<'_>, id: Uuid) -> Result<Option<MentorPairing>> {
        Ok(ctx
            .loaders()?
            .mentor_pairings
            .load_one(id)
            .await?
            .map(MentorPairing))
    }
}

/// The mentor or mentee of a pairing the viewer reads.
async fn pairing_person(ctx: &Context<'_>, id: Uuid) -> Result<Person> {
    ctx.loaders()?
        .pairing_people
        .load_one(id)
        .await?
        .map(Person)
        .ok_or_else(|| AppError::internal("pairing of a missing person").into())
}

#[Object]
impl MentorPairing {
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::MentorPairing, self.0.id)
    }

    /// Phone and ID-card numbers masked as for any person the viewer is not secretary of.
    async fn mentor(&self, ctx: &Context<'_>) -> Result<Person> {
        pairing_person(ctx, self.0.mentor_id).await
    }

    async fn mentee(&self, ctx: &Context<'_>) -> Result<Person> {
        pairing_person(ctx, self.0.mentee_id).await
    }

    async fn organization(&self, ctx: &Context<'_>) -> Result<Plain<Organization>> {
        Organization::load(ctx, self.0.organization_id)
            .await
            .map(Plain)
    }

    async fn goals(&self) -> &str {
        &self.0.goals
    }

    async fn starts_on(&self) -> Date {
        Date(self.0.starts_on)
    }

    async fn status(&self) -> PairingStatus {
        self.0.status.into()
    }

    async fn ended_on(&self) -> Option<Date> {
        self.0.ended_on.map(Date)
    }

    async fn outcome(&self) -> Option<&str> {
        self.0.outcome.as_deref()
    }

    /// Sessions, newest first.
    async fn sessions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<MentoringSession>> {
        let page = relay::page_request(ctx, first, after, last, before)?;
        let needs = page_needs(ctx);
        let rows = if needs == PageNeeds::Total && !page.counts() {
            None
        } else {
            ctx.loaders()?
                .pairing_sessions
                .load_one(PageKey {
                    parent: self.0.id,
                    page,
                    needs,
                })
                .await?
        };
        let rows = rows.unwrap_or(Page {
            rows: Vec::new(),
            has_previous: false,
            has_next: false,
            total: Some(0),
        });
        let pairing = self.0.clone();
        Ok(relay::connection(rows, move |session| MentoringSession {
            session,
            pairing: Some(pairing.clone()),
        }))
    }

    /// The date of the latest session.
    async fn last_session_on(&self) -> Option<Date> {
        self.0.last_session_on.map(Date)
    }

    /// ACTIVE with no session for 30 days (counted from the start date when there was none).
    async fn neglected(&self, ctx: &Context<'_>) -> bool {
        mentoring::is_neglected(&self.0, ctx.today(), NEGLECT_DAYS)
    }

    async fn version(&self) -> i32 {
        self.0.version
    }

    async fn created_at(&self, ctx: &Context<'_>) -> DateTime {
        DateTime::in_zone(self.0.created_at, ctx.timezone())
    }

    async fn updated_at(&self, ctx: &Context<'_>) -> DateTime {
        DateTime::in_zone(self.0.updated_at, ctx.timezone())
    }
}

/// One mentoring session of a pairing.
#[derive(Debug, Clone)]
pub struct MentoringSession {
    pub session: mentoring_session::Model,
    /// The pairing, when the session was read through it.
    pub pairing: Option<mentor_pairing::Model>,
}

impl MentoringSession {
    pub fn new(session: mentoring_session::Model) -> Self {
        Self {
            session,
            pairing: None,
        }
    }
}

#[Object]
impl MentoringSession {
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::MentoringSession, self.session.id)
    }

    async fn pairing(&self, ctx: &Context<'_>) -> Result<MentorPairing> {
        if let Some(pairing) = &self.pairing {
            return Ok(MentorPairing(pairing.clone()));
        }
        MentorPairing::load(ctx, self.session.pairing_id)
            .await?
            .ok_or_else(|| AppError::NotFound("mentor pairing").into())
    }

    async fn held_on(&self) -> Date {
        Date(self.session.held_on)
    }

    async fn topic(&self) -> &str {
        &self.session.topic
    }

    async fn notes(&self) -> Option<&str> {
        self.session.notes.as_deref()
    }

    async fn duration_minutes(&self) -> i32 {
        self.session.duration_minutes
    }

    async fn created_at(&self, ctx: &Context<'_>) -> DateTime {
        DateTime::in_zone(self.session.created_at, ctx.timezone())
    }
}

#[derive(InputObject, Default)]
pub struct MentorPairingFilter {
    pub mentor_id: Option<ID>,
    pub mentee_id: Option<ID>,
    pub organization_id: Option<ID>,
    #[graphql(default_with = "Some(false)")]
    pub include_sub_organizations: Option<bool>,
    pub statuses: Option<Vec<PairingStatus>>,
    /// ACTIVE pairings without a session for at least this many days (from the start date
    /// when there was none).
    pub neglected_for_days: Option<i32>,
}

fn optional_id(field: &str, kind: NodeKind, id: Option<&ID>) -> Result<Option<Uuid>, AppError> {
    id.map(|id| ids::decode_as(field, kind, id)).transpose()
}

impl MentorPairingFilter {
    fn into_service(self) -> Result<PairingFilter, AppError> {
        Ok(PairingFilter {
            mentor_id: optional_id("filter.mentorId", NodeKind::Person, self.mentor_id.as_ref())?,
            mentee_id: optional_id("filter.menteeId", NodeKind::Person, self.mentee_id.as_ref())?,
            organization_id: optional_id(
                "filter.organizationId",
                NodeKind::Organization,
                self.organization_id.as_ref(),
            )?,
            include_sub_organizations: self.include_sub_organizations.unwrap_or(false),
            statuses: self
                .statuses
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            neglected_for_days: self.neglected_for_days,
        })
    }
}

#[derive(Default)]
pub struct MentoringQuery;

#[Object]
impl MentoringQuery {
    /// Pairings the viewer may read, newest start first, filtered in SQL (neglect included).
    async fn mentor_pairings(
        &self,
        ctx: &Context<'_>,
        filter: Option<MentorPairingFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<MentorPairing>> {
        let page = relay::page_request(ctx, first, after, last, before)?;
        let filter = filter.unwrap_or_default().into_service()?;
        let rows = mentoring::list(
            &ctx.state()?.db.read,
            &ctx.actor(),
            &filter,
            &page,
            ctx.today(),
        )
        .await?;
        Ok(relay::connection(rows, MentorPairing))
    }
}

#[derive(InputObject)]
pub struct CreateMentorPairingInput {
    pub mentor_id: ID,
    pub mentee_id: ID,
    /// The mentee's organization when not given.
    pub organization_id: Option<ID>,
    pub goals: String,
    pub starts_on: Date,
}

#[derive(InputObject)]
pub struct LogMentoringSessionInput {
    pub pairing_id: ID,
    pub held_on: Date,
    pub topic: String,
    pub notes: Option<String>,
    pub duration_minutes: i32,
}

#[derive(InputObject)]
pub struct EndMentorPairingInput {
    pub id: ID,
    /// COMPLETED or ENDED.
    pub status: PairingStatus,
    pub outcome: String,
    /// Today when not given.
    pub ended_on: Option<Date>,
}

#[derive(SimpleObject)]
pub struct CreateMentorPairingPayload {
    pub mentor_pairing: MentorPairing,
}

#[derive(SimpleObject)]
pub struct LogMentoringSessionPayload {
    pub mentoring_session: MentoringSession,
    /// The pairing, with its new `lastSessionOn`.
    pub mentor_pairing: MentorPairing,
}

#[derive(SimpleObject)]
pub struct EndMentorPairingPayload {
    pub mentor_pairing: MentorPairing,
}

#[derive(Default)]
pub struct MentoringMutation;

#[Object]
impl MentoringMutation {
    /// Pairs a mentor holding FIRST_SECRETARY or SECRETARY with a cadre of the organization or
    /// one below it. Secretaries of the subtree; a first secretary as the mentor.
    async fn create_mentor_pairing(
        &self,
        ctx: &Context<'_>,
        input: CreateMentorPairingInput,
    ) -> Result<CreateMentorPairingPayload> {
        let input = NewPairing {
            mentor_id: ids::decode_as("mentorId", NodeKind::Person, &input.mentor_id)?,
            mentee_id: ids::decode_as("menteeId", NodeKind::Person, &input.mentee_id)?,
            organization_id: optional_id(
                "organizationId",
                NodeKind::Organization,
                input.organization_id.as_ref(),
            )?,
            goals: input.goals,
            starts_on: input.starts_on.0,
        };
        let state = ctx.state()?;
        let pairing = mentoring::create(&state.db.write, &ctx.actor(), &state.clock, input).await?;
        Ok(CreateMentorPairingPayload {
            mentor_pairing: MentorPairing(pairing),
        })
    }

    /// Logs a session of an ACTIVE pairing. Its mentor.
    async fn log_mentoring_session(
        &self,
        ctx: &Context<'_>,
        input: LogMentoringSessionInput,
    ) -> Result<LogMentoringSessionPayload> {
        let input = NewSession {
            pairing_id: ids::decode_as("pairingId", NodeKind::MentorPairing, &input.pairing_id)?,
            held_on: input.held_on.0,
            topic: input.topic,
            notes: input.notes,
            duration_minutes: input.duration_minutes,
        };
        let state = ctx.state()?;
        let (session, pairing) =
            mentoring::log_session(&state.db.write, &ctx.actor(), &state.clock, input).await?;
        Ok(LogMentoringSessionPayload {
            mentoring_session: MentoringSession {
                session,
                pairing: Some(pairing.clone()),
            },
            mentor_pairing: MentorPairing(pairing),
        })
    }

    /// ACTIVE -> COMPLETED or ENDED, with an outcome. Its mentor.
    async fn end_mentor_pairing(
        &self,
        ctx: &Context<'_>,
        input: EndMentorPairingInput,
    ) -> Result<EndMentorPairingPayload> {
        let input = Ending {
            id: ids::decode_as("id", NodeKind::MentorPairing, &input.id)?,
            status: input.status.into(),
            outcome: input.outcome,
            ended_on: input.ended_on.map(|d| d.0),
        };
        let state = ctx.state()?;
        let pairing = mentoring::end(&state.db.write, &ctx.actor(), &state.clock, input).await?;
        Ok(EndMentorPairingPayload {
            mentor_pairing: MentorPairing(pairing),
        })
    }
}
