//! Organizations and their tree. The tree is a materialized path: moving an organization rewrites
//! the paths of its whole subtree in one statement, inside the move's transaction.

use entities::{
    area,
    decode::Decoded,
    enums::{OrganizationLevel, UnitType},
    organization::{self, path_ids, path_segment},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait,
    FromQueryResult, QueryFilter, QuerySelect, QueryTrait, Set, Statement, TransactionTrait,
    sea_query::{Alias, BinOper, Expr, ExprTrait, Func, JoinType, Query, SelectStatement},
};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use super::{
    Actor, Change, Write,
    pagination::{Page, PageRequest, fetch_page, fetch_page_also},
    refusals, scoped,
    values::{Name, OptionalText},
};
use crate::{
    authz::{Scope, linked_to_subtrees},
    error::{AppError, AppResult},
};

pub const NAME_MAX_CHARS: usize = 100;
pub const SHORT_NAME_MAX_CHARS: usize = 30;
pub const EXTERNAL_CODE_MAX_CHARS: usize = 50;
pub const CONTACT_MAX_CHARS: usize = 200;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OrganizationOrder {
    #[default]
    NameAsc,
    CreatedAtAsc,
}

impl OrganizationOrder {
    pub fn keys(self) -> &'static [organization::Column] {
        match self {
            Self::NameAsc => &[organization::Column::Name, organization::Column::Id],
            Self::CreatedAtAsc => &[organization::Column::CreatedAt, organization::Column::Id],
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct OrganizationFilter {
    pub area_id: Option<Uuid>,
    pub level: Option<OrganizationLevel>,
    pub unit_type: Option<UnitType>,
    pub parent_id: Option<Uuid>,
    /// Only organizations in the subtree below this path (the root of the subtree excluded).
    pub below_path: Option<String>,
    pub search: Option<String>,
    pub include_archived: bool,
}

impl OrganizationFilter {
    pub fn condition(&self, backend: sea_orm::DbBackend) -> Condition {
        let mut cond = Condition::all();
        if let Some(area) = self.area_id {
            cond = cond.add(organization::Column::AreaId.eq(area));
        }
        if let Some(level) = self.level {
            cond = cond.add(organization::Column::Level.eq(level));
        }
        if let Some(unit_type) = self.unit_type {
            cond = cond.add(organization::Column::UnitType.eq(unit_type));
        }
        if let Some(parent) = self.parent_id {
            cond = cond.add(organization::Column::ParentId.eq(parent));
        }
        if let Some(path) = &self.below_path {
            cond = cond
                .add(subtree_condition(path))
                .add(organization::Column::Path.ne(path.as_str()));
        }
        if let Some(search) = self.search.as_deref().filter(|s| !s.trim().is_empty()) {
            cond = cond.add(
                Condition::any()
                    .add(super::text_contains(
                        backend,
                        organization::Column::Name,
                        search,
                    ))
                    .add(super::text_contains(
                        backend,
                        organization::Column::ShortName,
                        search,
                    )),
            );
        }
        if !self.include_archived {
            cond = cond.add(organization::Column::ArchivedAt.is_null());
        }
        cond
    }
}

/// The tree's subtree condition lives with the scopes that need it too.
pub use crate::authz::scope::subtree_condition;

/// `SELECT id FROM organization` for the organization `id`, and its whole subtree too when
/// `with_subtree`: for filters by organization. A subtree asked of an organization that does not
/// exist is BAD_USER_INPUT on `field`.
pub async fn ids_of(
    db: &impl ConnectionTrait,
    field: &str,
    id: Uuid,
    with_subtree: bool,
) -> AppResult<SelectStatement> {
    let select = organization::Entity::find()
        .select_only()
        .column(organization::Column::Id);
    let select = if with_subtree {
        select.filter(subtree_condition(&path_of(db, field, id).await?))
    } else {
        select.filter(organization::Column::Id.eq(id))
    };
    Ok(select.into_query())
}

/// The path of the organization that `field` names, for a filter on its subtree.
pub async fn path_of(db: &impl ConnectionTrait, field: &str, id: Uuid) -> AppResult<String> {
    Ok(get(db, id)
        .await?
        .ok_or_else(|| AppError::bad_input(field, format!("{field} names no organization")))?
        .path)
}

/// Rows of `outer` that a link table (`link_key`, `link_organization`: an activity's
/// participants, an item's responsible organizations) ties to the organization `field` names
/// or, `with_subtree`, to it or one below it (`linked_to_subtrees`).
pub async fn linked_to<L: ColumnTrait, O: ColumnTrait>(
    db: &impl ConnectionTrait,
    field: &str,
    id: Uuid,
    with_subtree: bool,
    (link_key, link_organization): (L, L),
    outer: O,
) -> AppResult<Condition> {
    if with_subtree {
        let path = path_of(db, field, id).await?;
        return Ok(linked_to_subtrees(
            link_key,
            link_organization,
            outer,
            &[path],
        ));
    }
    let linked = Query::select()
        .column(link_key.as_column_ref())
        .from(link_key.entity_name())
        .and_where(Expr::col(link_organization.as_column_ref()).eq(id))
        .to_owned();
    Ok(Condition::all().add(Expr::col(outer.as_column_ref()).in_subquery(linked)))
}

#[derive(Debug, Clone)]
pub struct NewOrganization {
    pub name: String,
    pub short_name: Option<String>,
    pub level: OrganizationLevel,
    pub unit_type: UnitType,
    pub area_id: Uuid,
    pub parent_id: Option<Uuid>,
    pub external_code: Option<String>,
    pub contact: Option<String>,
    pub key_village: bool,
    pub remote: bool,
}

/// Changes to an organization; `None` leaves a field as it is. `parent_id: Some(None)` makes the
/// organization a root.
#[derive(Debug, Clone, Default)]
pub struct OrganizationChanges {
    pub name: Option<String>,
    pub short_name: Option<Option<String>>,
    pub parent_id: Option<Option<Uuid>>,
    pub area_id: Option<Uuid>,
    pub contact: Option<Option<String>>,
    pub key_village: Option<bool>,
    pub remote: Option<bool>,
}

/// Where the actor sees more than an organization's public card (name, level, unit type, area,
/// parent): its organization read scope, which a grant on the organization's subtree or on a group
/// it belongs to gives.
pub fn internal_fields_scope(actor: &Actor) -> AppResult<Scope> {
    actor.scope("organization", "read")
}

pub async fn list(
    db: &impl ConnectionTrait,
    filter: &OrganizationFilter,
    order: OrganizationOrder,
    page: &PageRequest,
) -> AppResult<Page<organization::Model>> {
    let select = organization::Entity::find().filter(filter.condition(db.get_database_backend()));
    fetch_page(db, select, order.keys(), page).await
}

/// Like `list`, each organization with its parent (`None` for a root), in one statement.
pub async fn list_with_parents(
    db: &impl ConnectionTrait,
    filter: &OrganizationFilter,
    order: OrganizationOrder,
    page: &PageRequest,
) -> AppResult<Page<(organization::Model, Option<organization::Model>)>> {
    let select = organization::Entity::find().filter(filter.condition(db.get_database_backend()));
    fetch_page_also(db, select, order.keys(), page, |select| {
        select.find_also_linked(organization::ParentLink)
    })
    .await
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Option<organization::Model>> {
    Ok(organization::Entity::find_by_id(id).one(db).await?)
}

/// An organization with, when asked for, its parent and its area, read in one statement (two
/// left joins): what a page showing one organization's card needs.
#[derive(Debug, Clone)]
pub struct WithRefs {
    pub organization: organization::Model,
    pub parent: Option<organization::Model>,
    pub area: Option<area::Model>,
}

pub async fn get_with_refs(
    db: &impl ConnectionTrait,
    id: Uuid,
    with_parent: bool,
    with_area: bool,
) -> AppResult<Option<WithRefs>> {
    let Some(row) = db
        .query_one_raw(with_refs_text(
            db.get_database_backend(),
            id,
            with_parent,
            with_area,
        ))
        .await?
    else {
        return Ok(None);
    };
    let Decoded(organization) = Decoded::from_query_result(&row, "o_")?;
    let parent = if with_parent {
        Decoded::from_query_result_optional(&row, "p_")?.map(|Decoded(p)| p)
    } else {
        None
    };
    let area = if with_area {
        Decoded::from_query_result_optional(&row, "a_")?.map(|Decoded(a)| a)
    } else {
        None
    };
    Ok(Some(WithRefs {
        organization,
        parent,
        area,
    }))
}

/// [`with_refs_statement`] for `id`: its text is the same for every id, so it is built once per
/// engine and choice of joins (building it was a twentieth of what a one-organization query
/// cost the server) and only the id is bound.
fn with_refs_text(backend: DbBackend, id: Uuid, with_parent: bool, with_area: bool) -> Statement {
    static TEXTS: [std::sync::OnceLock<String>; 8] = [const { std::sync::OnceLock::new() }; 8];
    let slot = usize::from(backend == DbBackend::Postgres) * 4
        + usize::from(with_parent) * 2
        + usize::from(with_area);
    let sql = TEXTS[slot].get_or_init(|| {
        backend
            .build(&with_refs_statement(Uuid::nil(), with_parent, with_area))
            .sql
    });
    Statement::from_sql_and_values(backend, sql.clone(), [id.into()])
}

fn with_refs_statement(id: Uuid, with_parent: bool, with_area: bool) -> SelectStatement {
    let o = || Alias::new("o");
    let mut query = Query::select();
    query.from_as(organization::Entity, o());
    super::scoped::select_prefixed::<organization::Entity>(&mut query, "o", "o_");
    if with_parent {
        super::scoped::select_prefixed::<organization::Entity>(&mut query, "p", "p_");
        query.join_as(
            JoinType::LeftJoin,
            organization::Entity,
            Alias::new("p"),
            Expr::col((Alias::new("p"), organization::Column::Id))
                .equals((o(), organization::Column::ParentId)),
        );
    }
    if with_area {
        super::scoped::select_prefixed::<area::Entity>(&mut query, "a", "a_");
        query.join_as(
            JoinType::LeftJoin,
            area::Entity,
            Alias::new("a"),
            Expr::col((Alias::new("a"), area::Column::Id))
                .equals((o(), organization::Column::AreaId)),
        );
    }
    query.and_where(Expr::col((o(), organization::Column::Id)).eq(id));
    query
}

pub async fn get_many(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> AppResult<Vec<organization::Model>> {
    Ok(organization::Entity::find()
        .filter(crate::services::one_of(
            db,
            organization::Column::Id,
            ids.iter().copied(),
        ))
        .all(db)
        .await?)
}

/// The ancestors of `org`, root first, in one statement.
pub async fn ancestors(
    db: &impl ConnectionTrait,
    org: &organization::Model,
) -> AppResult<Vec<organization::Model>> {
    let ids: Vec<Uuid> = path_ids(&org.path)
        .into_iter()
        .filter(|id| *id != org.id)
        .collect();
    let mut found = get_many(db, &ids).await?;
    found.sort_by_key(|o| o.depth);
    Ok(found)
}

fn snapshot(org: &organization::Model) -> Json {
    json!({
        "name": org.name,
        "shortName": org.short_name,
        "externalCode": org.external_code,
        "level": org.level,
        "unitType": org.unit_type,
        "areaId": org.area_id,
        "parentId": org.parent_id,
        "path": org.path,
        "keyVillage": org.key_village,
        "remote": org.remote,
        "archivedAt": org.archived_at,
    })
}

async fn require_area(db: &impl ConnectionTrait, id: Uuid) -> AppResult<()> {
    match area::Entity::find_by_id(id).one(db).await? {
        Some(_) => Ok(()),
        None => Err(AppError::bad_input("areaId", "areaId names no area")),
    }
}

/// An organization named by `field` (a parent, a person's organization) that the actor may
/// manage: BAD_USER_INPUT when there is none or it is archived, FORBIDDEN when it is outside
/// the actor's `manage` scope (organizations are publicly known).
pub(super) async fn require_managed_reference(
    db: &impl ConnectionTrait,
    field: &str,
    id: Uuid,
    manage: &Scope,
) -> AppResult<organization::Model> {
    // Organizations are publicly known: the card, and whether the actor may manage it, in one
    // statement.
    let found = scoped::fetch_known::<organization::Entity>(
        db,
        id,
        Condition::all(),
        manage.organization_condition(organization::Column::Id),
    )
    .await?;
    match found {
        Some((org, _)) if org.archived_at.is_some() => Err(AppError::bad_input(
            field,
            format!("{field} names an archived organization"),
        )),
        Some((_, false)) => Err(AppError::Forbidden),
        Some((org, true)) => Ok(org),
        None => Err(AppError::bad_input(
            field,
            format!("{field} names no organization"),
        )),
    }
}

/// Organizations are publicly known: one outside the actor's `manage` scope is FORBIDDEN, and
/// a missing one NOT_FOUND.
async fn require_manageable(
    db: &impl ConnectionTrait,
    id: Uuid,
    manage: &Scope,
) -> AppResult<organization::Model> {
    scoped::fetch_for::<organization::Entity>(
        db,
        id,
        Condition::all(),
        manage.organization_condition(organization::Column::Id),
        "organization",
    )
    .await
}

fn optional(field: &str, raw: Option<&str>, max: usize) -> AppResult<Option<String>> {
    Ok(OptionalText::parse(field, raw, max)?.into_inner())
}

pub async fn create<C>(
    db: &C,
    actor: &Actor,
    input: NewOrganization,
) -> AppResult<organization::Model>
where
    C: ConnectionTrait + TransactionTrait,
{
    let read = &actor.scope("organization", "read")?;
    let manage = &actor.scope("organization", "manage")?;
    refusals::check_limit(db, actor).await?;
    let name = Name::parse("name", &input.name, NAME_MAX_CHARS)?.into_inner();
    let short_name = optional(
        "shortName",
        input.short_name.as_deref(),
        SHORT_NAME_MAX_CHARS,
    )?;
    let external_code = optional(
        "externalCode",
        input.external_code.as_deref(),
        EXTERNAL_CODE_MAX_CHARS,
    )?;
    let contact = optional("contact", input.contact.as_deref(), CONTACT_MAX_CHARS)?;
    let w = Write::begin(db, actor).await?;
    if input.parent_id.is_some() {
        lock_tree(&w).await?;
    }
    require_area(&w, input.area_id).await?;
    let parent = match input.parent_id {
        Some(id) => Some(require_managed_reference(&w, "parentId", id, manage).await?),
        None if manage.all => None,
        None => return Err(AppError::Forbidden),
    };
    if let Some(code) = &external_code {
        let taken = organization::Entity::find()
            .filter(organization::Column::ExternalCode.eq(code.as_str()))
            .one(&w)
            .await?;
        if let Some(taken) = taken {
            // Anyone sees an organization's public card, but its external code only with a
            // grant: outside one, the refusal must not confirm who holds the code.
            let readable = organization::Entity::find_by_id(taken.id)
                .filter(read.organization_condition(organization::Column::Id))
                .one(&w)
                .await?
                .is_some();
            if !readable {
                w.rollback().await?;
                return Err(refusals::refuse(
                    db,
                    actor,
                    "createOrganization",
                    "Organization",
                    "externalCode",
                    taken.id,
                )
                .await);
            }
            return Err(AppError::taken(
                "externalCode",
                format!("an organization with external code {code} already exists"),
            ));
        }
    }
    let id = super::new_id();
    let (path, depth) = match &parent {
        Some(p) => (format!("{}{}/", p.path, path_segment(id)), p.depth + 1),
        None => (format!("/{}/", path_segment(id)), 0),
    };
    let now = super::now();
    let created = organization::ActiveModel {
        id: Set(id),
        name: Set(name),
        short_name: Set(short_name),
        external_code: Set(external_code),
        level: Set(input.level),
        unit_type: Set(input.unit_type),
        area_id: Set(input.area_id),
        parent_id: Set(input.parent_id),
        path: Set(path),
        depth: Set(depth),
        contact: Set(contact),
        key_village: Set(input.key_village),
        remote: Set(input.remote),
        archived_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&w)
    .await?;
    w.audit(Change::of("createOrganization", "Organization", created.id).after(snapshot(&created)))
        .await?;
    w.commit().await?;
    Ok(created)
}

pub async fn update<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    changes: OrganizationChanges,
) -> AppResult<organization::Model>
where
    C: TransactionTrait,
{
    let manage = &actor.scope("organization", "manage")?;
    let name = changes
        .name
        .as_deref()
        .map(|n| Name::parse("name", n, NAME_MAX_CHARS).map(Name::into_inner))
        .transpose()?;
    let short_name = changes
        .short_name
        .as_ref()
        .map(|s| optional("shortName", s.as_deref(), SHORT_NAME_MAX_CHARS))
        .transpose()?;
    let contact = changes
        .contact
        .as_ref()
        .map(|s| optional("contact", s.as_deref(), CONTACT_MAX_CHARS))
        .transpose()?;
    let w = Write::begin(db, actor).await?;
    if changes.parent_id.is_some() {
        lock_tree(&w).await?;
    }
    let before = require_manageable(&w, id, manage).await?;
    let mut model: organization::ActiveModel = before.clone().into();
    if let Some(name) = name {
        model.name = Set(name);
    }
    if let Some(short_name) = short_name {
        model.short_name = Set(short_name);
    }
    if let Some(contact) = contact {
        model.contact = Set(contact);
    }
    if let Some(area) = changes.area_id {
        require_area(&w, area).await?;
        model.area_id = Set(area);
    }
    if let Some(key_village) = changes.key_village {
        model.key_village = Set(key_village);
    }
    if let Some(remote) = changes.remote {
        model.remote = Set(remote);
    }
    if let Some(new_parent) = changes.parent_id.filter(|p| *p != before.parent_id) {
        let (path, depth) = match new_parent {
            Some(parent_id) => {
                let parent = require_managed_reference(&w, "parentId", parent_id, manage).await?;
                if parent.path.starts_with(&before.path) {
                    return Err(AppError::bad_input(
                        "parentId",
                        "an organization cannot move under itself or its own descendant",
                    ));
                }
                (
                    format!("{}{}/", parent.path, path_segment(id)),
                    parent.depth + 1,
                )
            }
            None if manage.all => (format!("/{}/", path_segment(id)), 0),
            None => return Err(AppError::Forbidden),
        };
        move_subtree(&w, &before.path, &path, depth - before.depth).await?;
        model.parent_id = Set(new_parent);
        model.path = Set(path);
        model.depth = Set(depth);
    }
    model.updated_at = Set(super::now());
    let updated = model.update(&w).await?;
    w.audit(
        Change::of("updateOrganization", "Organization", id)
            .before(snapshot(&before))
            .after(snapshot(&updated)),
    )
    .await?;
    w.commit().await?;
    Ok(updated)
}

/// Makes changes of the tree wait for each other until the transaction ends; paths are read
/// only after it. Otherwise two moves that each checked the other's old path could close a
/// cycle, and a child created under a moving parent would keep the parent's old path. On
/// PostgreSQL this is a transaction-scoped advisory lock; on SQLite the single writer connection
/// already runs one transaction at a time, and a second process writing in between makes the
/// later transaction fail (its snapshot is stale) rather than commit on old paths.
async fn lock_tree(db: &impl ConnectionTrait) -> AppResult<()> {
    /// "lj-tree" in ASCII: one key for every tree change of the database.
    const TREE_LOCK: i64 = 0x006c_6a2d_7472_6565;
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_raw(sea_orm::Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT pg_advisory_xact_lock({TREE_LOCK})"),
        ))
        .await?;
    }
    Ok(())
}

/// Rewrites the path prefix and depth of every descendant of the organization at `old_path`.
async fn move_subtree(
    db: &impl ConnectionTrait,
    old_path: &str,
    new_path: &str,
    depth_delta: i32,
) -> AppResult<()> {
    let old_len = i32::try_from(old_path.chars().count()).map_err(AppError::internal)?;
    let suffix = Func::cust("substr")
        .arg(Expr::col(organization::Column::Path))
        .arg(Expr::val(old_len + 1));
    organization::Entity::update_many()
        .col_expr(
            organization::Column::Path,
            Expr::val(new_path.to_owned()).binary(BinOper::Custom("||"), suffix),
        )
        .col_expr(
            organization::Column::Depth,
            Expr::col(organization::Column::Depth).add(depth_delta),
        )
        .filter(subtree_condition(old_path))
        .filter(organization::Column::Path.ne(old_path))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn archive<C>(db: &C, actor: &Actor, id: Uuid) -> AppResult<organization::Model>
where
    C: TransactionTrait,
{
    let manage = &actor.scope("organization", "manage")?;
    let w = Write::begin(db, actor).await?;
    let before = require_manageable(&w, id, manage).await?;
    if before.archived_at.is_some() {
        return Err(AppError::InvalidTransition {
            from: "ARCHIVED".into(),
            to: "ARCHIVED".into(),
        });
    }
    let mut model: organization::ActiveModel = before.clone().into();
    let now = super::now();
    model.archived_at = Set(Some(now));
    model.updated_at = Set(now);
    let archived = model.update(&w).await?;
    w.audit(
        Change::of("archiveOrganization", "Organization", id)
            .before(snapshot(&before))
            .after(snapshot(&archived)),
    )
    .await?;
    w.commit().await?;
    Ok(archived)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kept text of `with_refs_text` binds only the id: the statement has no other value.
    #[test]
    fn an_organization_with_its_refs_binds_only_its_id() {
        let id = Uuid::now_v7();
        for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
            for with_parent in [false, true] {
                for with_area in [false, true] {
                    let built = backend.build(&with_refs_statement(id, with_parent, with_area));
                    let kept = with_refs_text(backend, id, with_parent, with_area);
                    assert_eq!(kept.sql, built.sql);
                    assert_eq!(kept.values, built.values);
                    assert_eq!(built.values.map(|v| v.0.len()), Some(1));
                }
            }
        }
    }
}
