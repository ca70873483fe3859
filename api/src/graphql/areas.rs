//! Areas: the `Area` type, the `areas` connection, `createArea` and the `areaCreated` subscription.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject, Subscription};
use entities::area;
use futures_util::{Stream, StreamExt};
use sea_orm::EntityTrait;

use super::{
    context::{ContextExt, Delivery, events_after, per_event},
    ids::{self, NodeKind},
    relay::{self, Conn},
    scalars::DateTime,
};
use crate::{
    events::DomainEvent,
    services::areas::{self, AreaFilter as ServiceFilter, AreaOrder as ServiceOrder, NewArea},
};

/// A named zone: the scenic area, a neighbouring town, ...
#[derive(Debug, Clone)]
pub struct Area(pub area::Model);

#[Object]
impl Area {
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::Area, self.0.id)
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    async fn created_at(&self, ctx: &Context<'_>) -> DateTime {
        DateTime::in_zone(self.0.created_at, ctx.timezone())
    }

    async fn updated_at(&self, ctx: &Context<'_>) -> DateTime {
        DateTime::in_zone(self.0.updated_at, ctx.timezone())
    }
}

#[derive(InputObject, Debug, Default)]
pub struct AreaFilter {
    /// Areas whose name contains this text.
    pub search: Option<String>,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AreaOrder {
    #[default]
    NameAsc,
    CreatedAtAsc,
}

impl From<AreaOrder> for ServiceOrder {
    fn from(order: AreaOrder) -> Self {
        match order {
            AreaOrder::NameAsc => Self::NameAsc,
            AreaOrder::CreatedAtAsc => Self::CreatedAtAsc,
        }
    }
}

#[derive(Default)]
pub struct AreaQuery;

#[Object]
impl AreaQuery {
    /// Every area, by name unless ordered otherwise.
    #[allow(clippy::too_many_arguments)]
    async fn areas(
        &self,
        ctx: &Context<'_>,
        filter: Option<AreaFilter>,
        #[graphql(desc = "NAME_ASC when absent")] order_by: Option<AreaOrder>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Area>> {
        let page = relay::page_request(ctx, first, after, last, before)?;
        let filter = ServiceFilter {
            search: filter.and_then(|f| f.search),
        };
        let rows = areas::list(
            &ctx.state()?.db.read,
            &ctx.actor(),
            &filter,
            order_by.unwrap_or_default().into(),
            &page,
        )
        .await?;
        Ok(relay::connection(rows, Area))
    }
}

#[derive(InputObject, Debug)]
pub struct CreateAreaInput {
    /// 1 to 100 characters, unique.
    pub name: String,
    pub description: Option<String>,
}

#[derive(SimpleObject, Debug)]
pub struct CreateAreaPayload {
    pub area: Area,
}

#[derive(Default)]
pub struct AreaMutation;

#[Object]
impl AreaMutation {
    async fn create_area(
        &self,
        ctx: &Context<'_>,
        input: CreateAreaInput,
    ) -> Result<CreateAreaPayload> {
        let state = ctx.state()?;
        let created = areas::create(
            &state.db.write,
            &ctx.actor(),
            &state.events,
            NewArea {
                name: input.name,
                description: input.description,
            },
        )
        .await?;
        Ok(CreateAreaPayload {
            area: Area(created),
        })
    }
}

#[derive(Default)]
pub struct AreaSubscription;

#[Subscription]
impl AreaSubscription {
    /// Each area as it is created.
    async fn area_created(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = Area> + use<>> {
        ctx.viewer()?;
        let source = ctx.viewer_source()?;
        let state = ctx.state()?.clone();
        let events = events_after(&state, None)
            .await?
            .filter_map(|envelope| async move {
                match envelope.event {
                    DomainEvent::AreaCreated { area } => Some(area),
                    _ => None,
                }
            });
        // Every signed-in user reads areas: only a token that stopped being valid ends this.
        Ok(per_event(source, events, move |_, id| {
            let state = state.clone();
            async move {
                match area::Entity::find_by_id(id).one(&state.db.read).await {
                    Ok(Some(area)) => Delivery::Send(Area(area)),
                    _ => Delivery::Skip,
                }
            }
        }))
    }
}
