//! DataLoaders, created per request (cached rows are never shared between requests). Each batches
//! with one `IN (...)` statement, or one windowed statement for a page per parent, so a list of
//! 50 organizations costs the same few statements as a list of 5.

use std::{collections::HashMap, hash::Hash, marker::PhantomData, time::Duration};

use async_graphql::dataloader::{DataLoader, Loader};
use entities::{
    activity_participant, area, attendance, enums::ParticipantRole, joint_activity, linkage_group,
    linkage_group_member, organization, person, person_position,
};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, QueryTrait,
    Select, Value,
};
use uuid::Uuid;

use crate::{
    authz::{Scope, Viewer},
    error::AppError,
    services::{
        activities,
        linkage_groups::MEMBER_KEYS,
        organizations::OrganizationOrder,
        pagination::{Page, PageRequest, fetch_pages_by},
        people::{self, PERSON_KEYS},
    },
};

/// How long a loader waits for sibling fields to join its batch.
const BATCH_DELAY: Duration = Duration::ZERO;

/// Attendance in check-in order.
const ATTENDANCE_KEYS: &[attendance::Column] =
    &[attendance::Column::CheckedInAt, attendance::Column::Id];

type LoadError = async_graphql::Error;

fn load_error(e: AppError) -> LoadError {
    LoadError::from(e)
}

fn uuid_of(value: Value) -> Option<Uuid> {
    match value {
        Value::Uuid(Some(id)) => Some(id),
        _ => None,
    }
}

/// Rows of one table by primary key, within the viewer's scope for that table.
pub struct ById<E: EntityTrait> {
    db: DatabaseConnection,
    id: E::Column,
    scope: Condition,
}

impl<E> Loader<Uuid> for ById<E>
where
    E: EntityTrait + Send + Sync,
    E::Model: Send + Sync + Clone,
    E::Column: Send + Sync,
{
    type Value = E::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, E::Model>, LoadError> {
        use sea_orm::ModelTrait;
        let rows = E::find()
            .filter(self.id.is_in(keys.iter().copied()))
            .filter(self.scope.clone())
            .all(&self.db)
            .await
            .map_err(|e| load_error(e.into()))?;
        Ok(rows
            .into_iter()
            .filter_map(|row| uuid_of(row.get(self.id)).map(|id| (id, row)))
            .collect())
    }
}

/// One page of rows per parent id (children of an organization, people of an organization, ...).
pub struct PagesBy<E: EntityTrait> {
    db: DatabaseConnection,
    group: E::Column,
    keys: &'static [E::Column],
    base: Box<dyn Fn() -> Select<E> + Send + Sync>,
    _entity: PhantomData<E>,
}

impl<E> Loader<(Uuid, PageRequest)> for PagesBy<E>
where
    E: EntityTrait + Send + Sync,
    E::Model: Send + Sync + Clone,
    E::Column: Send + Sync,
{
    type Value = Page<E::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[(Uuid, PageRequest)],
    ) -> Result<HashMap<(Uuid, PageRequest), Page<E::Model>>, LoadError> {
        let mut by_page: HashMap<&PageRequest, Vec<Uuid>> = HashMap::new();
        for (id, page) in keys {
            by_page.entry(page).or_default().push(*id);
        }
        let mut out = HashMap::with_capacity(keys.len());
        for (page, ids) in by_page {
            let pages = fetch_pages_by(&self.db, (self.base)(), self.group, &ids, self.keys, page)
                .await
                .map_err(load_error)?;
            for (id, rows) in pages {
                out.insert((id, page.clone()), rows);
            }
        }
        Ok(out)
    }
}

/// The positions of each person, oldest first.
pub struct PositionsByPerson {
    db: DatabaseConnection,
}

impl Loader<Uuid> for PositionsByPerson {
    type Value = Vec<person_position::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<person_position::Model>>, LoadError> {
        let rows = people::positions_of(&self.db, keys)
            .await
            .map_err(load_error)?;
        let mut out: HashMap<Uuid, Vec<person_position::Model>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            out.entry(row.person_id).or_default().push(row);
        }
        Ok(out)
    }
}

/// Starts a batch only after the tasks that are ready now have run, so that every field of the
/// page being resolved joins the batch. On one thread this is exact; on the multi-threaded
/// runtime another worker may start the batch early, which costs statements, never results.
fn spawn_after_ready_tasks(fetch: futures_util::future::BoxFuture<'static, ()>) {
    tokio::spawn(async move {
        for _ in 0..YIELDS_BEFORE_FETCH {
            tokio::task::yield_now().await;
        }
        fetch.await;
    });
}

const YIELDS_BEFORE_FETCH: usize = 64;

fn loader<T, K>(inner: T) -> DataLoader<T>
where
    T: Loader<K>,
    K: Send + Sync + Hash + Eq + Clone + 'static,
{
    DataLoader::new(inner, spawn_after_ready_tasks).delay(BATCH_DELAY)
}

fn by_id<E>(db: &DatabaseConnection, id: E::Column, scope: Condition) -> DataLoader<ById<E>>
where
    E: EntityTrait + Send + Sync,
    E::Model: Send + Sync + Clone,
    E::Column: Send + Sync,
{
    loader::<_, Uuid>(ById {
        db: db.clone(),
        id,
        scope,
    })
}

fn pages_by<E>(
    db: &DatabaseConnection,
    group: E::Column,
    keys: &'static [E::Column],
    base: impl Fn() -> Select<E> + Send + Sync + 'static,
) -> DataLoader<PagesBy<E>>
where
    E: EntityTrait + Send + Sync,
    E::Model: Send + Sync + Clone,
    E::Column: Send + Sync,
{
    loader::<_, (Uuid, PageRequest)>(PagesBy {
        db: db.clone(),
        group,
        keys,
        base: Box::new(base),
        _entity: PhantomData,
    })
}

/// Every loader of one request.
pub struct Loaders {
    pub areas: DataLoader<ById<area::Entity>>,
    pub organizations: DataLoader<ById<organization::Entity>>,
    pub linkage_groups: DataLoader<ById<linkage_group::Entity>>,
    /// Children that are not archived, by name.
    pub children: DataLoader<PagesBy<organization::Entity>>,
    pub people_by_organization: DataLoader<PagesBy<person::Entity>>,
    pub current_members: DataLoader<PagesBy<linkage_group_member::Entity>>,
    pub all_members: DataLoader<PagesBy<linkage_group_member::Entity>>,
    /// Current memberships of each organization.
    pub memberships: DataLoader<PagesBy<linkage_group_member::Entity>>,
    pub positions: DataLoader<PositionsByPerson>,
    /// The groups each organization currently belongs to (all of them: for scope checks).
    pub groups_of_organization: DataLoader<GroupsOfOrganization>,
    pub activities: DataLoader<ById<joint_activity::Entity>>,
    pub participants: DataLoader<ParticipantsOfActivity>,
    pub attendance: DataLoader<PagesBy<attendance::Entity>>,
    pub attendee_counts: DataLoader<AttendeeCounts>,
}

/// The participating organizations of each activity, host first.
pub struct ParticipantsOfActivity {
    db: DatabaseConnection,
}

impl Loader<Uuid> for ParticipantsOfActivity {
    type Value = Vec<activity_participant::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<activity_participant::Model>>, LoadError> {
        let rows = activities::participants_of(&self.db, keys)
            .await
            .map_err(load_error)?;
        let mut out: HashMap<Uuid, Vec<activity_participant::Model>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            out.entry(row.activity_id).or_default().push(row);
        }
        for list in out.values_mut() {
            list.sort_by_key(|p| match p.role {
                ParticipantRole::Host => 0,
                ParticipantRole::CoHost => 1,
                ParticipantRole::Participant => 2,
            });
        }
        Ok(out)
    }
}

/// How many people are checked in at each activity.
pub struct AttendeeCounts {
    db: DatabaseConnection,
}

impl Loader<Uuid> for AttendeeCounts {
    type Value = u64;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, u64>, LoadError> {
        let counts = activities::attendee_counts(&self.db, keys)
            .await
            .map_err(load_error)?;
        Ok(keys
            .iter()
            .map(|k| (*k, counts.get(k).copied().unwrap_or_default()))
            .collect())
    }
}

/// Ids of the groups each organization is currently a member of.
pub struct GroupsOfOrganization {
    db: DatabaseConnection,
}

impl Loader<Uuid> for GroupsOfOrganization {
    type Value = Vec<Uuid>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<Uuid>>, LoadError> {
        let rows = linkage_group_member::Entity::find()
            .filter(linkage_group_member::Column::OrganizationId.is_in(keys.iter().copied()))
            .filter(linkage_group_member::Column::LeftOn.is_null())
            .all(&self.db)
            .await
            .map_err(|e| load_error(e.into()))?;
        let mut out: HashMap<Uuid, Vec<Uuid>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            out.entry(row.organization_id)
                .or_default()
                .push(row.linkage_group_id);
        }
        Ok(out)
    }
}

/// What the viewer of one request may read, as SQL conditions for the loaders.
#[derive(Clone)]
pub struct LoaderScopes {
    /// On `person.organization_id`.
    pub people: Condition,
    /// On `joint_activity.id`.
    pub activities: Condition,
    /// On `linkage_group.id`.
    pub linkage_groups: Condition,
}

impl LoaderScopes {
    pub fn of(viewer: Option<&Viewer>) -> Self {
        match viewer {
            Some(v) => Self {
                activities: activities::read_condition(&v.scope("joint_activity", "read")),
                people: v
                    .scope("person", "read")
                    .organization_condition(person::Column::OrganizationId),
                linkage_groups: v.scope("linkage_group", "read").linkage_group_condition(),
            },
            None => {
                let none = Scope::default();
                Self {
                    activities: activities::read_condition(&none),
                    people: none.organization_condition(person::Column::OrganizationId),
                    linkage_groups: none.linkage_group_condition(),
                }
            }
        }
    }
}

impl Loaders {
    pub fn new(db: &DatabaseConnection, viewer: Option<&Viewer>) -> Self {
        let scopes = LoaderScopes::of(viewer);
        let people_scope = scopes.people.clone();
        let groups_scope = scopes.linkage_groups.clone();
        let visible_groups = move || {
            linkage_group::Entity::find()
                .select_only()
                .column(linkage_group::Column::Id)
                .filter(groups_scope.clone())
                .into_query()
        };
        Self {
            areas: by_id(db, area::Column::Id, Condition::all()),
            // Every signed-in user reads the public card of any organization.
            organizations: by_id(db, organization::Column::Id, Condition::all()),
            linkage_groups: by_id(db, linkage_group::Column::Id, scopes.linkage_groups.clone()),
            children: pages_by(
                db,
                organization::Column::ParentId,
                OrganizationOrder::NameAsc.keys(),
                || organization::Entity::find().filter(organization::Column::ArchivedAt.is_null()),
            ),
            people_by_organization: pages_by(
                db,
                person::Column::OrganizationId,
                PERSON_KEYS,
                move || person::Entity::find().filter(people_scope.clone()),
            ),
            current_members: pages_by(
                db,
                linkage_group_member::Column::LinkageGroupId,
                MEMBER_KEYS,
                || crate::services::linkage_groups::members_select(false),
            ),
            all_members: pages_by(
                db,
                linkage_group_member::Column::LinkageGroupId,
                MEMBER_KEYS,
                || crate::services::linkage_groups::members_select(true),
            ),
            memberships: pages_by(
                db,
                linkage_group_member::Column::OrganizationId,
                MEMBER_KEYS,
                move || {
                    crate::services::linkage_groups::members_select(false).filter(
                        linkage_group_member::Column::LinkageGroupId.in_subquery(visible_groups()),
                    )
                },
            ),
            positions: loader::<_, Uuid>(PositionsByPerson { db: db.clone() }),
            groups_of_organization: loader::<_, Uuid>(GroupsOfOrganization { db: db.clone() }),
            activities: by_id(db, joint_activity::Column::Id, scopes.activities.clone()),
            participants: loader::<_, Uuid>(ParticipantsOfActivity { db: db.clone() }),
            attendance: pages_by(
                db,
                attendance::Column::ActivityId,
                ATTENDANCE_KEYS,
                attendance::Entity::find,
            ),
            attendee_counts: loader::<_, Uuid>(AttendeeCounts { db: db.clone() }),
        }
    }
}
