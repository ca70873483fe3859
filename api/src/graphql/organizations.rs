//! Organizations: the `Organization` type with its tree and relations, the `organizations` and
//! `organization` queries and the organization mutations.

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use entities::organization;

use super::{
    activities::JointActivity,
    areas::Area,
    context::ContextExt,
    enums::{OrganizationLevel, UnitType},
    ids::{self, NodeKind},
    linkage_groups::LinkageGroup,
    loaders::load_selected_page,
    people::Person,
    plain::{self, Plain, PlainFields},
    relay::{self, Conn},
    scalars::DateTime,
};
use crate::{
    authz::Scope,
    error::AppError,
    services::organizations::{
        self, NewOrganization, OrganizationChanges, OrganizationFilter as ServiceFilter,
        OrganizationOrder as ServiceOrder,
    },
};

/// A party organization (党组织).
#[derive(Debug, Clone)]
pub struct Organization(pub organization::Model);

impl Organization {
    /// An organization something refers to (a host, a member, a person's organization): its
    /// public card is readable by every signed-in user.
    pub async fn load(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Organization> {
        ctx.loaders()?
            .organizations
            .load_one(id)
            .await?
            .map(Organization)
            .ok_or_else(|| AppError::internal("reference to a missing organization").into())
    }

    /// Whether `scope` covers this organization: one of its subtrees holds it, or it belongs to
    /// one of its groups.
    pub async fn covered_by(&self, ctx: &Context<'_>, scope: &Scope) -> Result<bool> {
        if scope.all
            || scope
                .subtree_paths
                .iter()
                .any(|p| self.0.path.starts_with(p.as_str()))
        {
            return Ok(true);
        }
        if scope.group_ids.is_empty() {
            return Ok(false);
        }
        let groups = ctx
            .loaders()?
            .groups_of_organization
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(scope.covers_organization(&self.0.path, &groups))
    }

    /// Whether the viewer may see more than the public card (name, level, unit type, area,
    /// parent): a grant covering the organization or a group it belongs to.
    pub async fn readable(&self, ctx: &Context<'_>) -> Result<bool> {
        self.covered_by(ctx, &organizations::internal_fields_scope(&ctx.actor())?)
            .await
    }
}

// The service calls of the heavier fields are boxed: async-graphql keeps one future per field
// of every object of a list alive at once, each as large as the largest field's, so 50
// organizations with four fields each held 200 futures of 4 KB. (A doc comment here would be
// the type's description in the schema.)
impl PlainFields for Organization {
    const PLAIN: &'static [&'static str] = &[
        "id",
        "name",
        "shortName",
        "level",
        "unitType",
        "keyVillage",
        "remote",
        "archived",
        "depth",
    ];

    fn plain_field(&self, name: &str) -> Option<async_graphql::Value> {
        Some(match name {
            "id" => plain::scalar(&ids::encode(NodeKind::Organization, self.0.id)),
            "name" => plain::string(&self.0.name),
            "shortName" => plain::optional_string(self.0.short_name.as_deref()),
            "level" => plain::enumerated(OrganizationLevel::from(self.0.level)),
            "unitType" => plain::enumerated(UnitType::from(self.0.unit_type)),
            "keyVillage" => plain::scalar(&self.0.key_village),
            "remote" => plain::scalar(&self.0.remote),
            "archived" => plain::scalar(&self.0.archived_at.is_some()),
            "depth" => plain::scalar(&self.0.depth),
            _ => return None,
        })
    }
}

#[Object]
impl Organization {
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::Organization, self.0.id)
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn short_name(&self) -> Option<&str> {
        self.0.short_name.as_deref()
    }

    /// Internal: null unless the viewer may read this organization.
    async fn external_code(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        Ok(if self.readable(ctx).await? {
            self.0.external_code.as_deref()
        } else {
            None
        })
    }

    async fn level(&self) -> OrganizationLevel {
        self.0.level.into()
    }

    async fn unit_type(&self) -> UnitType {
        self.0.unit_type.into()
    }

    /// Internal: null unless the viewer may read this organization.
    async fn contact(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        Ok(if self.readable(ctx).await? {
            self.0.contact.as_deref()
        } else {
            None
        })
    }

    /// A key village, for first-secretary placement.
    async fn key_village(&self) -> bool {
        self.0.key_village
    }

    /// A remote village, for first-secretary placement.
    async fn remote(&self) -> bool {
        self.0.remote
    }

    async fn archived(&self) -> bool {
        self.0.archived_at.is_some()
    }

    async fn archived_at(&self, ctx: &Context<'_>) -> Option<DateTime> {
        self.0
            .archived_at
            .map(|t| DateTime::in_zone(t, ctx.timezone()))
    }

    /// 0 for a root organization.
    async fn depth(&self) -> i32 {
        self.0.depth
    }

    async fn created_at(&self, ctx: &Context<'_>) -> DateTime {
        DateTime::in_zone(self.0.created_at, ctx.timezone())
    }

    async fn updated_at(&self, ctx: &Context<'_>) -> DateTime {
        DateTime::in_zone(self.0.updated_at, ctx.timezone())
    }

    async fn area(&self, ctx: &Context<'_>) -> Result<Area> {
        ctx.loaders()?
            .areas
            .load_one(self.0.area_id)
            .await?
            .map(Area)
            .ok_or_else(|| AppError::internal("organization without area").into())
    }

    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Plain<Organization>>> {
        let Some(parent) = self.0.parent_id else {
            return Ok(None);
        };
        Ok(ctx
            .loaders()?
            .organizations
            .load_one(parent)
            .await?
            .map(|parent| Plain(Organization(parent))))
    }

    /// The direct sub-organizations, by name.
    #[allow(clippy::too_many_arguments)]
    async fn children(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(false)")] include_archived: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Plain<Organization>>> {
        let page = relay::page_request(ctx, first, after, last, before)?;
        let rows = if include_archived.unwrap_or(false) {
            let filter = ServiceFilter {
                parent_id: Some(self.0.id),
                include_archived: true,
                ..ServiceFilter::default()
            };
            Box::pin(organizations::list(
                &ctx.state()?.db.read,
                &filter,
                ServiceOrder::NameAsc,
                &page,
            ))
            .await?
        } else {
            Box::pin(load_selected_page(
                ctx,
                &ctx.loaders()?.children,
                self.0.id,
                page,
            ))
            .await?
        };
        Ok(relay::connection(rows, |row| Plain(Organization(row))))
    }

    /// Every organization above this one, the root first.
    async fn ancestors(&self, ctx: &Context<'_>) -> Result<Vec<Organization>> {
        let ids: Vec<_> = organization::path_ids(&self.0.path)
            .into_iter()
            .filter(|id| *id != self.0.id)
            .collect();
        let found = ctx
            .loaders()?
            .organizations
            .load_many(ids.iter().copied())
            .await?;
        Ok(ids
            .iter()
            .filter_map(|id| found.get(id).cloned().map(Organization))
            .collect())
    }

    /// Every organization below this one, at any depth, by name.
    #[allow(clippy::too_many_arguments)]
    async fn descendants(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(false)")] include_archived: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Plain<Organization>>> {
        let page = relay::page_request(ctx, first, after, last, before)?;
        let filter = ServiceFilter {
            below_path: Some(self.0.path.clone()),
            include_archived: include_archived.unwrap_or(false),
            ..ServiceFilter::default()
        };
        let rows = Box::pin(organizations::list(
            &ctx.state()?.db.read,
            &filter,
            ServiceOrder::NameAsc,
            &page,
        ))
        .await?;
        Ok(relay::connection(rows, |row| Plain(Organization(row))))
    }

    /// The linkage groups this organization currently belongs to, in joining order.
    async fn linkage_groups(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<LinkageGroup>> {
        let page = relay::page_request(ctx, first, after, last, before)?;
        let loaders = ctx.loaders()?;
        let memberships = Box::pin(load_selected_page(
            ctx,
            &loaders.memberships,
            self.0.id,
            page,
        ))
        .await?;
        let groups = loaders
            .linkage_groups
            .load_many(memberships.rows.iter().map(|(_, m)| m.linkage_group_id))
            .await?;
        let rows = memberships.with_rows(|rows| {
            rows.into_iter()
                .filter_map(|(cursor, m)| {
                    groups
                        .get(&m.linkage_group_id)
                        .cloned()
                        .map(|g| (cursor, g))
                })
                .collect()
        });
        Ok(relay::connection(rows, LinkageGroup))
    }

    /// The joint activities this organization takes part in that the viewer may read, by start.
    async fn joint_activities(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<JointActivity>> {
        let page = relay::page_request(ctx, first, after, last, before)?;
        let filter = crate::services::activities::ActivityFilter {
            organization_id: Some(self.0.id),
            ..Default::default()
        };
        let rows = Box::pin(crate::services::activities::list(
            &ctx.state()?.db.read,
            &ctx.actor(),
            &filter,
            &page,
        ))
        .await?;
        Ok(relay::connection(rows, JointActivity))
    }

    /// Supervision items this organization leads or co-owns (its subtree's too with
    /// `filter.includeSubOrganizations`), as far as the viewer may read them.
    #[allow(clippy::too_many_arguments)]
    async fn supervision_items(
        &self,
        ctx: &Context<'_>,
        filter: Option<super::supervision::SupervisionItemFilter>,
        #[graphql(default)] order_by: super::supervision::SupervisionItemOrder,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Plain<super::supervision::SupervisionItem>>> {
        let page = relay::page_request(ctx, first, after, last, before)?;
        let mut filter = filter.unwrap_or_default().into_service()?;
        filter.organization_id = Some(self.0.id);
        Box::pin(super::supervision::item_page(ctx, filter, order_by, page)).await
    }

    /// The people whose primary organization this is, by name.
    async fn people(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Plain<Person>>> {
        let page = relay::page_request(ctx, first, after, last, before)?;
        let rows = Box::pin(load_selected_page(
            ctx,
            &ctx.loaders()?.people_by_organization,
            self.0.id,
            page,
        ))
        .await?;
        Ok(relay::connection(rows, |person| Plain(Person(person))))
    }
}

pub use super::loaders::load_page;

#[derive(InputObject, Debug, Default)]
pub struct OrganizationFilter {
    pub area_id: Option<ID>,
    pub level: Option<OrganizationLevel>,
    pub unit_type: Option<UnitType>,
    pub parent_id: Option<ID>,
    /// Name or short name contains this text.
    pub search: Option<String>,
    #[graphql(default_with = "Some(false)")]
    pub include_archived: Option<bool>,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrganizationOrder {
    #[default]
    NameAsc,
    CreatedAtAsc,
}

#[derive(Default)]
pub struct OrganizationQuery;

#[Object]
impl OrganizationQuery {
    /// Organizations matching the filter; archived ones only when asked for.
    #[allow(clippy::too_many_arguments)]
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        filter: Option<OrganizationFilter>,
        order_by: Option<OrganizationOrder>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Plain<Organization>>> {
        let page = relay::page_request(ctx, first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let service = ServiceFilter {
            area_id: filter
                .area_id
                .as_ref()
                .map(|id| ids::decode_as("filter.areaId", NodeKind::Area, id))
                .transpose()?,
            level: filter.level.map(Into::into),
            unit_type: filter.unit_type.map(Into::into),
            parent_id: filter
                .parent_id
                .as_ref()
                .map(|id| ids::decode_as("filter.parentId", NodeKind::Organization, id))
                .transpose()?,
            below_path: None,
            search: filter.search,
            include_archived: filter.include_archived.unwrap_or(false),
        };
        let order = match order_by.unwrap_or_default() {
            OrganizationOrder::NameAsc => ServiceOrder::NameAsc,
            OrganizationOrder::CreatedAtAsc => ServiceOrder::CreatedAtAsc,
        };
        let db = &ctx.state()?.db.read;
        // The parents' public cards come with the page when the selection shows them.
        let selection = ctx.look_ahead();
        let with_parent = selection.field("nodes").field("parent").exists()
            || selection
                .field("edges")
                .field("node")
                .field("parent")
                .exists();
        if !with_parent {
            let rows = organizations::list(db, &service, order, &page).await?;
            return Ok(relay::connection(rows, |row| Plain(Organization(row))));
        }
        let rows = organizations::list_with_parents(db, &service, order, &page).await?;
        let loaders = ctx.loaders()?;
        let rows = rows.with_rows(|rows| {
            rows.into_iter()
                .map(|(cursor, (organization, parent))| {
                    if let Some(parent) = parent {
                        loaders.organizations.prime(parent.id, parent);
                    }
                    (cursor, organization)
                })
                .collect()
        });
        Ok(relay::connection(rows, |row| Plain(Organization(row))))
    }

    /// One organization, archived or not.
    async fn organization(&self, ctx: &Context<'_>, id: ID) -> Result<Organization> {
        let id = ids::decode_as("id", NodeKind::Organization, &id)?;
        // The parent's and the area's public cards come with the organization when the
        // selection shows them: one statement instead of three.
        let selection = ctx.look_ahead();
        let (with_parent, with_area) = (
            selection.field("parent").exists(),
            selection.field("area").exists(),
        );
        let loaders = ctx.loaders()?;
        if !(with_parent || with_area) {
            return loaders
                .organizations
                .load_one(id)
                .await?
                .map(Organization)
                .ok_or_else(|| AppError::NotFound("organization").into());
        }
        let found = organizations::get_with_refs(&ctx.state()?.db.read, id, with_parent, with_area)
            .await?
            .ok_or(AppError::NotFound("organization"))?;
        if let Some(parent) = found.parent {
            loaders.organizations.prime(parent.id, parent);
        }
        if let Some(area) = found.area {
            loaders.areas.prime(area.id, area);
        }
        loaders
            .organizations
            .prime(found.organization.id, found.organization.clone());
        Ok(Organization(found.organization))
    }
}

#[derive(InputObject, Debug)]
pub struct CreateOrganizationInput {
    pub name: String,
    pub short_name: Option<String>,
    pub level: OrganizationLevel,
    pub unit_type: UnitType,
    pub area_id: ID,
    pub parent_id: Option<ID>,
    pub external_code: Option<String>,
    pub contact: Option<String>,
    pub key_village: Option<bool>,
    pub remote: Option<bool>,
}

#[derive(InputObject, Debug)]
pub struct UpdateOrganizationInput {
    pub id: ID,
    pub name: Option<String>,
    pub short_name: MaybeUndefined<String>,
    /// A new parent moves the whole subtree; null makes the organization a root.
    pub parent_id: MaybeUndefined<ID>,
    pub area_id: Option<ID>,
    pub contact: MaybeUndefined<String>,
    pub key_village: Option<bool>,
    pub remote: Option<bool>,
}

#[derive(InputObject, Debug)]
pub struct ArchiveOrganizationInput {
    pub id: ID,
}

#[derive(SimpleObject, Debug)]
pub struct CreateOrganizationPayload {
    pub organization: Organization,
}

#[derive(SimpleObject, Debug)]
pub struct UpdateOrganizationPayload {
    pub organization: Organization,
}

#[derive(SimpleObject, Debug)]
pub struct ArchiveOrganizationPayload {
    pub organization: Organization,
}

#[derive(Default)]
pub struct OrganizationMutation;

#[Object]
impl OrganizationMutation {
    async fn create_organization(
        &self,
        ctx: &Context<'_>,
        input: CreateOrganizationInput,
    ) -> Result<CreateOrganizationPayload> {
        let new = NewOrganization {
            name: input.name,
            short_name: input.short_name,
            level: input.level.into(),
            unit_type: input.unit_type.into(),
            area_id: ids::decode_as("areaId", NodeKind::Area, &input.area_id)?,
            parent_id: input
                .parent_id
                .as_ref()
                .map(|id| ids::decode_as("parentId", NodeKind::Organization, id))
                .transpose()?,
            external_code: input.external_code,
            contact: input.contact,
            key_village: input.key_village.unwrap_or(false),
            remote: input.remote.unwrap_or(false),
        };
        let created = organizations::create(&ctx.state()?.db.write, &ctx.actor(), new).await?;
        Ok(CreateOrganizationPayload {
            organization: Organization(created),
        })
    }

    async fn update_organization(
        &self,
        ctx: &Context<'_>,
        input: UpdateOrganizationInput,
    ) -> Result<UpdateOrganizationPayload> {
        let id = ids::decode_as("id", NodeKind::Organization, &input.id)?;
        let changes = OrganizationChanges {
            name: input.name,
            short_name: input.short_name.into(),
            parent_id: input
                .parent_id
                .map_value(|p| ids::decode_as("parentId", NodeKind::Organization, &p))
                .transpose()?
                .into(),
            area_id: input
                .area_id
                .as_ref()
                .map(|a| ids::decode_as("areaId", NodeKind::Area, a))
                .transpose()?,
            contact: input.contact.into(),
            key_village: input.key_village,
            remote: input.remote,
        };
        let updated =
            organizations::update(&ctx.state()?.db.write, &ctx.actor(), id, changes).await?;
        Ok(UpdateOrganizationPayload {
            organization: Organization(updated),
        })
    }

    /// Archives an organization: it leaves lists by default, and everything that refers to it
    /// still resolves.
    async fn archive_organization(
        &self,
        ctx: &Context<'_>,
        input: ArchiveOrganizationInput,
    ) -> Result<ArchiveOrganizationPayload> {
        let id = ids::decode_as("id", NodeKind::Organization, &input.id)?;
        let archived = organizations::archive(&ctx.state()?.db.write, &ctx.actor(), id).await?;
        Ok(ArchiveOrganizationPayload {
            organization: Organization(archived),
        })
    }
}
