//! People: the `Person` type with positions, the `people` query and the person mutations.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use entities::{person, person_position};

use super::{
    context::ContextExt,
    enums::{Gender, PoliticalStatus, Position},
    ids::{self, NodeKind},
    organizations::Organization,
    plain::{self, Plain, PlainFields},
    relay::{self, Conn},
    scalars::{Date, DateTime},
};
use crate::{
    services::people::{
        self, NewPerson, NewPosition, PersonChanges, PersonFilter as ServiceFilter,
    },
    services::values::{mask_id_number, mask_phone},
};

#[derive(Debug, Clone)]
pub struct Person(pub person::Model);

impl Person {
    async fn personal_data_visible(&self, ctx: &Context<'_>) -> Result<bool> {
        let scope = people::personal_data_scope(&ctx.actor())?;
        if scope.all || scope.is_empty() {
            return Ok(scope.all);
        }
        Organization::load(ctx, self.0.organization_id)
            .await?
            .covered_by(ctx, &scope)
            .await
    }
}

#[derive(Debug, Clone)]
pub struct PersonPosition(pub person_position::Model);

impl PlainFields for PersonPosition {
    const PLAIN: &'static [&'static str] = &["position", "startedOn", "endedOn"];

    fn plain_field(&self, name: &str) -> Option<async_graphql::Value> {
        Some(match name {
            "position" => plain::enumerated(Position::from(self.0.position)),
            "startedOn" => plain::scalar(&Date(self.0.started_on)),
            "endedOn" => plain::optional_scalar(self.0.ended_on.map(Date).as_ref()),
            _ => return None,
        })
    }
}

#[Object]
impl PersonPosition {
    async fn position(&self) -> Position {
        self.0.position.into()
    }

    async fn started_on(&self) -> Date {
        Date(self.0.started_on)
    }

    async fn ended_on(&self) -> Option<Date> {
        self.0.ended_on.map(Date)
    }
}

impl PlainFields for Person {
    const PLAIN: &'static [&'static str] = &["id", "name", "gender", "politicalStatus"];

    fn plain_field(&self, name: &str) -> Option<async_graphql::Value> {
        Some(match name {
            "id" => plain::scalar(&ids::encode(NodeKind::Person, self.0.id)),
            "name" => plain::string(&self.0.name),
            "gender" => plain::optional_enum(self.0.gender.map(Gender::from)),
            "politicalStatus" => plain::enumerated(PoliticalStatus::from(self.0.political_status)),
            _ => return None,
        })
    }
}

#[Object]
impl Person {
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::Person, self.0.id)
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn gender(&self) -> Option<Gender> {
        self.0.gender.map(Into::into)
    }

    /// Masked (`138****5678`) unless the viewer is an administrator or a secretary of the
    /// person's organization.
    async fn phone(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let Some(phone) = &self.0.phone else {
            return Ok(None);
        };
        Ok(Some(if self.personal_data_visible(ctx).await? {
            phone.clone()
        } else {
            mask_phone(phone)
        }))
    }

    /// Masked (`4401**********1234`) unless the viewer is an administrator or a secretary of the
    /// person's organization.
    async fn id_number(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let Some(number) = &self.0.id_number else {
            return Ok(None);
        };
        Ok(Some(if self.personal_data_visible(ctx).await? {
            number.clone()
        } else {
            mask_id_number(number)
        }))
    }

    async fn political_status(&self) -> PoliticalStatus {
        self.0.political_status.into()
    }

    async fn organization(&self, ctx: &Context<'_>) -> Result<Plain<Organization>> {
        Organization::load(ctx, self.0.organization_id)
            .await
            .map(Plain)
    }

    /// Positions held now and before, oldest first.
    async fn positions(&self, ctx: &Context<'_>) -> Result<Vec<Plain<PersonPosition>>> {
        Ok(ctx
            .loaders()?
            .positions
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|position| Plain(PersonPosition(position)))
            .collect())
    }

    async fn created_at(&self, ctx: &Context<'_>) -> DateTime {
        DateTime::in_zone(self.0.created_at, ctx.timezone())
    }
}

#[derive(InputObject, Debug, Default)]
pub struct PersonFilter {
    pub organization_id: Option<ID>,
    #[graphql(default_with = "Some(false)")]
    pub include_sub_organizations: Option<bool>,
    /// People holding this position now.
    pub position: Option<Position>,
    pub political_status: Option<PoliticalStatus>,
    /// Name contains this text.
    pub search: Option<String>,
}

#[derive(Default)]
pub struct PersonQuery;

#[Object]
impl PersonQuery {
    /// People by name.
    async fn people(
        &self,
        ctx: &Context<'_>,
        filter: Option<PersonFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Plain<Person>>> {
        let page = relay::page_request(ctx, first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let service = ServiceFilter {
            organization_id: filter
                .organization_id
                .as_ref()
                .map(|id| ids::decode_as("filter.organizationId", NodeKind::Organization, id))
                .transpose()?,
            include_sub_organizations: filter.include_sub_organizations.unwrap_or(false),
            position: filter.position.map(Into::into),
            political_status: filter.political_status.map(Into::into),
            search: filter.search,
        };
        let rows = people::list(&ctx.state()?.db.read, &ctx.actor(), &service, &page).await?;
        Ok(relay::connection(rows, |person| Plain(Person(person))))
    }
}

#[derive(InputObject, Debug)]
pub struct PositionInput {
    pub position: Position,
    pub started_on: Date,
    pub ended_on: Option<Date>,
}

impl From<PositionInput> for NewPosition {
    fn from(p: PositionInput) -> Self {
        Self {
            position: p.position.into(),
            started_on: p.started_on.0,
            ended_on: p.ended_on.map(|d| d.0),
        }
    }
}

#[derive(InputObject, Debug)]
pub struct CreatePersonInput {
    pub name: String,
    pub gender: Option<Gender>,
    /// A mainland mobile number.
    pub phone: Option<String>,
    /// An 18-character resident ID-card number (GB 11643).
    pub id_number: Option<String>,
    pub political_status: PoliticalStatus,
    pub organization_id: ID,
    pub positions: Option<Vec<PositionInput>>,
}

#[derive(InputObject, Debug)]
pub struct UpdatePersonInput {
    pub id: ID,
    pub name: Option<String>,
    pub gender: MaybeUndefined<Gender>,
    pub phone: MaybeUndefined<String>,
    pub id_number: MaybeUndefined<String>,
    pub political_status: Option<PoliticalStatus>,
    pub organization_id: Option<ID>,
    /// Replaces every position when given.
    pub positions: Option<Vec<PositionInput>>,
}

#[derive(SimpleObject, Debug)]
pub struct CreatePersonPayload {
    pub person: Person,
}

#[derive(SimpleObject, Debug)]
pub struct UpdatePersonPayload {
    pub person: Person,
}

#[derive(Default)]
pub struct PersonMutation;

#[Object]
impl PersonMutation {
    async fn create_person(
        &self,
        ctx: &Context<'_>,
        input: CreatePersonInput,
    ) -> Result<CreatePersonPayload> {
        let new = NewPerson {
            name: input.name,
            gender: input.gender.map(Into::into),
            phone: input.phone,
            id_number: input.id_number,
            political_status: input.political_status.into(),
            organization_id: ids::decode_as(
                "organizationId",
                NodeKind::Organization,
                &input.organization_id,
            )?,
            positions: input
                .positions
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
        };
        let created = people::create(&ctx.state()?.db.write, &ctx.actor(), new).await?;
        Ok(CreatePersonPayload {
            person: Person(created),
        })
    }

    async fn update_person(
        &self,
        ctx: &Context<'_>,
        input: UpdatePersonInput,
    ) -> Result<UpdatePersonPayload> {
        let id = ids::decode_as("id", NodeKind::Person, &input.id)?;
        let changes = PersonChanges {
            name: input.name,
            gender: input.gender.map_value(Into::into).into(),
            phone: input.phone.into(),
            id_number: input.id_number.into(),
            political_status: input.political_status.map(Into::into),
            organization_id: input
                .organization_id
                .as_ref()
                .map(|o| ids::decode_as("organizationId", NodeKind::Organization, o))
                .transpose()?,
            positions: input
                .positions
                .map(|ps| ps.into_iter().map(Into::into).collect()),
        };
        let updated = people::update(&ctx.state()?.db.write, &ctx.actor(), id, changes).await?;
        Ok(UpdatePersonPayload {
            person: Person(updated),
        })
    }
}
