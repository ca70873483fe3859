//! DataLoaders, created per request (cached rows are never shared between requests). Each batches
//! with one `IN (...)` statement, or one windowed statement for a page per parent, so a list of
//! 50 organizations costs the same few statements as a list of 5.
//!
//! The batching is our own (`BatchLoader`) rather than async-graphql's `DataLoader`: that one
//! starts each batch after a `tokio::time::sleep`, and even a zero delay waits for the timer's
//! next millisecond tick, on every level of every query. `BatchLoader` starts a batch once the
//! fields resolved in the same round have added their keys, inside the request's own task, so
//! the batch is the same on the current-thread and the multi-threaded runtime.

use std::{
    collections::{HashMap, HashSet},
    hash::Hash,
    marker::PhantomData,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use async_graphql::{Context, dataloader::Loader};
use entities::{
    activity_participant, area, attendance,
    decode::{Decode, Decoded},
    enums::ParticipantRole,
    first_secretary_assignment, joint_activity, linkage_group, linkage_group_member,
    mentor_pairing, mentoring_session, organization, person, person_position, resident_appeal,
    role_grant, supervision_assignment, supervision_event, supervision_item, supervision_report,
    supervision_review, user_account,
};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Select, Value,
};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::db::ReadDb;
use crate::{
    authz::{Scope, Viewer, scope::GrantInfo},
    error::AppError,
    services::{
        accounts, activities, appeals, first_secretaries,
        linkage_groups::MEMBER_KEYS,
        mentoring,
        organizations::OrganizationOrder,
        pagination::{Page, PageNeeds, PageRequest, fetch_pages_needing},
        people::{self, PERSON_KEYS},
        supervision::{self, rounds},
        workdays::WorkCalendar,
    },
};

/// Most keys one statement asks for; further keys start another batch.
const MAX_BATCH: usize = 1000;

/// How often a batch lets other fields run before it starts, at most.
const MAX_YIELDS: usize = 64;

/// Polls without a new key that tell a batch its round is over when the runtime wakes a yielding
/// task at once (outside its worker threads: `block_on` of a multi-threaded runtime, as in tests).
/// A set of fields polls a field again as soon as its siblings finish, before the next object of
/// a list is polled at all, so a field may be polled once per nested object (at most the query
/// depth limit) before its cousins add their keys.
const QUIET_POLLS: usize = 16;

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

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while holding these locks; a poisoned one still holds consistent data.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What a loader can be keyed by.
pub trait LoaderKey: Send + Sync + Hash + Eq + Clone + 'static {}

impl<K: Send + Sync + Hash + Eq + Clone + 'static> LoaderKey for K {}

/// Batches the keys that the fields of one request ask for into one call of `loader`, and
/// (when asked to) remembers what it loaded for the rest of the request.
///
/// A batch starts when one of its callers finds it still open after yielding: by then every field
/// polled in the same round has added its keys. The caller that starts it loads it; the others
/// wait for the result. Everything happens inside the request's task, never in a spawned one, so
/// how many threads the runtime has changes nothing. A caller dropped while loading (a cancelled
/// request) hands the batch back to the others.
pub struct BatchLoader<T, K>
where
    T: Loader<K>,
    K: LoaderKey,
{
    loader: T,
    cache: bool,
    state: Mutex<LoaderState<K, T::Value, T::Error>>,
}

struct LoaderState<K, V, E> {
    /// What this request loaded, `None` for a key without a row (only when caching).
    cached: HashMap<K, Option<V>>,
    /// The batch that new keys join.
    open: Option<Arc<Batch<K, V, E>>>,
    /// Keys whose batch has not finished: asking for them again joins that batch.
    pending: HashMap<K, Arc<Batch<K, V, E>>>,
}

struct Batch<K, V, E> {
    phase: Mutex<Phase<K, V, E>>,
    changed: Notify,
}

enum Phase<K, V, E> {
    /// Collecting keys.
    Open(Vec<K>),
    Loading,
    Done(Result<Arc<HashMap<K, V>>, E>),
}

impl<K, V, E> Batch<K, V, E> {
    fn new() -> Self {
        Self {
            phase: Mutex::new(Phase::Open(Vec::new())),
            changed: Notify::new(),
        }
    }

    /// How many keys the batch holds while it is still open.
    fn open_len(&self) -> Option<usize> {
        match &*lock(&self.phase) {
            Phase::Open(keys) => Some(keys.len()),
            Phase::Loading | Phase::Done(_) => None,
        }
    }
}

impl<K, V, E> LoaderState<K, V, E> {
    /// The batch new keys join, a fresh one when there is none or it is full.
    fn open_batch(&mut self) -> Arc<Batch<K, V, E>> {
        if let Some(batch) = &self.open
            && batch.open_len().is_some_and(|n| n < MAX_BATCH)
        {
            return batch.clone();
        }
        let batch = Arc::new(Batch::new());
        self.open = Some(batch.clone());
        batch
    }
}

/// Puts the keys of a load that was dropped half-way back into its batch, for another caller.
struct Handback<'a, K, V, E> {
    batch: &'a Batch<K, V, E>,
    keys: Option<Vec<K>>,
}

impl<K, V, E> Drop for Handback<'_, K, V, E> {
    fn drop(&mut self) {
        if let Some(keys) = self.keys.take() {
            *lock(&self.batch.phase) = Phase::Open(keys);
            self.batch.changed.notify_waiters();
        }
    }
}

type Shared<T, K> = Arc<Batch<K, <T as Loader<K>>::Value, <T as Loader<K>>::Error>>;

impl<T, K> BatchLoader<T, K>
where
    T: Loader<K>,
    K: LoaderKey,
{
    /// A loader that loads every key at most once per batch, and again in a later batch.
    pub fn new(loader: T) -> Self {
        Self {
            loader,
            cache: false,
            state: Mutex::new(LoaderState {
                cached: HashMap::new(),
                open: None,
                pending: HashMap::new(),
            }),
        }
    }

    /// Remembers loaded rows for the life of the loader. Only for loaders that live no longer
    /// than one query: a mutation's later fields or a subscription's later events would read
    /// rows from before their changes.
    #[must_use]
    pub fn cached(mut self, cache: bool) -> Self {
        self.cache = cache;
        self
    }

    /// Tells a caching loader the value of `key`, read with another row of the same statement
    /// (an organization's parent joined to it), so that asking for it later reads nothing. A
    /// loader that does not cache ignores it. A value loaded or primed before is kept.
    pub fn prime(&self, key: K, value: T::Value) {
        if self.cache {
            lock(&self.state).cached.entry(key).or_insert(Some(value));
        }
    }

    pub async fn load_one(&self, key: K) -> Result<Option<T::Value>, T::Error> {
        let mut found = self.load_many(std::iter::once(key.clone())).await?;
        Ok(found.remove(&key))
    }

    /// The values of the keys that have one.
    pub async fn load_many<I>(&self, keys: I) -> Result<HashMap<K, T::Value>, T::Error>
    where
        I: IntoIterator<Item = K>,
    {
        let mut found = HashMap::new();
        let mut waits: Vec<(Shared<T, K>, Vec<K>)> = Vec::new();
        {
            let mut state = lock(&self.state);
            let mut seen = HashSet::new();
            for key in keys {
                if !seen.insert(key.clone()) {
                    continue;
                }
                if let Some(hit) = state.cached.get(&key) {
                    if let Some(value) = hit {
                        found.insert(key, value.clone());
                    }
                    continue;
                }
                let batch = match state.pending.get(&key) {
                    Some(batch) => batch.clone(),
                    None => {
                        let batch = state.open_batch();
                        if let Phase::Open(keys) = &mut *lock(&batch.phase) {
                            keys.push(key.clone());
                        }
                        state.pending.insert(key.clone(), batch.clone());
                        batch
                    }
                };
                match waits.iter_mut().find(|(b, _)| Arc::ptr_eq(b, &batch)) {
                    Some((_, keys)) => keys.push(key),
                    None => waits.push((batch, vec![key])),
                }
            }
        }
        let results =
            futures_util::future::try_join_all(waits.iter().map(|(batch, _)| self.wait(batch)))
                .await?;
        for ((_, keys), values) in waits.into_iter().zip(results) {
            for key in keys {
                if let Some(value) = values.get(&key) {
                    found.insert(key, value.clone());
                }
            }
        }
        Ok(found)
    }

    /// The result of `batch`, loading it here if nobody else has started it.
    async fn wait(&self, batch: &Shared<T, K>) -> Result<Arc<HashMap<K, T::Value>>, T::Error> {
        // Let the other fields of this round add their keys first, and wait again while they
        // keep adding some (fields nested in a long list may be polled over several rounds).
        let mut keys = batch.open_len();
        let mut quiet = 0;
        for _ in 0..MAX_YIELDS {
            let after_the_round = yield_round().await;
            let now = batch.open_len();
            if now.is_none() {
                break;
            }
            if now != keys {
                keys = now;
                quiet = 0;
                continue;
            }
            quiet += 1;
            if after_the_round || quiet >= QUIET_POLLS {
                break;
            }
        }
        loop {
            let changed = batch.changed.notified();
            tokio::pin!(changed);
            // Registered before looking, so that a change right after the look is not missed.
            changed.as_mut().enable();
            let open = match &*lock(&batch.phase) {
                Phase::Done(result) => return result.clone(),
                Phase::Loading => false,
                Phase::Open(_) => true,
            };
            if open {
                self.run(batch).await;
            } else {
                changed.await;
            }
        }
    }

    /// Loads `batch` if it is still open, and publishes the result.
    async fn run(&self, batch: &Shared<T, K>) {
        let keys = {
            let mut state = lock(&self.state);
            if state.open.as_ref().is_some_and(|b| Arc::ptr_eq(b, batch)) {
                state.open = None;
            }
            let mut phase = lock(&batch.phase);
            match std::mem::replace(&mut *phase, Phase::Loading) {
                Phase::Open(keys) => keys,
                other => {
                    *phase = other;
                    return;
                }
            }
        };
        let mut handback = Handback {
            batch: batch.as_ref(),
            keys: Some(keys),
        };
        let result = match handback.keys.as_deref() {
            Some(keys) => self.loader.load(keys).await,
            None => Ok(HashMap::new()),
        };
        let keys = handback.keys.take().unwrap_or_default();
        {
            let mut state = lock(&self.state);
            for key in &keys {
                if state
                    .pending
                    .get(key)
                    .is_some_and(|b| Arc::ptr_eq(b, batch))
                {
                    state.pending.remove(key);
                }
            }
            if self.cache
                && let Ok(values) = &result
            {
                for key in keys {
                    let value = values.get(&key).cloned();
                    state.cached.insert(key, value);
                }
            }
            *lock(&batch.phase) = Phase::Done(result.map(Arc::new));
        }
        batch.changed.notify_waiters();
    }
}

/// Yields to the other futures of the task, like `tokio::task::yield_now`, and tells whether the
/// runtime deferred the wake-up to the end of the task's poll: then every future of the task
/// that was ready has been polled since. Outside a runtime's worker the task is woken at once,
/// and a parent future may poll this one again before its siblings; `false` then.
async fn yield_round() -> bool {
    use std::{
        sync::atomic::{AtomicBool, Ordering},
        task::{Poll, Wake, Waker},
    };

    /// Notes whether the wake-up came while the yield was being polled.
    struct Probe {
        task: Waker,
        woken: AtomicBool,
    }

    impl Wake for Probe {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }

        fn wake_by_ref(self: &Arc<Self>) {
            self.woken.store(true, Ordering::SeqCst);
            self.task.wake_by_ref();
        }
    }

    let yielding = tokio::task::yield_now();
    tokio::pin!(yielding);
    let mut deferred = false;
    std::future::poll_fn(|cx| {
        let probe = Arc::new(Probe {
            task: cx.waker().clone(),
            woken: AtomicBool::new(false),
        });
        let waker = Waker::from(probe.clone());
        match yielding
            .as_mut()
            .poll(&mut std::task::Context::from_waker(&waker))
        {
            Poll::Ready(()) => Poll::Ready(deferred),
            Poll::Pending => {
                deferred = !probe.woken.load(Ordering::SeqCst);
                Poll::Pending
            }
        }
    })
    .await
}

/// Rows of one table by primary key, within the viewer's scope for that table.
pub struct ById<E: EntityTrait> {
    db: ReadDb,
    id: E::Column,
    scope: Condition,
}

impl<E> Loader<Uuid> for ById<E>
where
    E: EntityTrait + Send + Sync,
    E::Model: Send + Sync + Clone + Decode,
    E::Column: Send + Sync,
{
    type Value = E::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, E::Model>, LoadError> {
        use sea_orm::ModelTrait;
        let rows = E::find()
            .filter(crate::services::one_of(
                &self.db,
                self.id,
                keys.iter().copied(),
            ))
            .filter(self.scope.clone())
            .into_model::<Decoded<E::Model>>()
            .all(&self.db)
            .await
            .map_err(|e| load_error(e.into()))?;
        Ok(rows
            .into_iter()
            .filter_map(|Decoded(row)| uuid_of(row.get(self.id)).map(|id| (id, row)))
            .collect())
    }
}

/// One page of one parent's rows, and what of it the selection needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageKey {
    pub parent: Uuid,
    pub page: PageRequest,
    pub needs: PageNeeds,
}

/// Only the parent is hashed: the keys of one batch differ by parent and share the page, and
/// the loader hashes every key a dozen times over (hashing the whole page request was 4% of a
/// page of 50 organizations). Equal keys still hash alike.
impl std::hash::Hash for PageKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.parent.hash(state);
    }
}

/// One page of rows per parent id (children of an organization, people of an organization, ...).
pub struct PagesBy<E: EntityTrait> {
    db: ReadDb,
    group: E::Column,
    keys: &'static [E::Column],
    base: Box<dyn Fn() -> Select<E> + Send + Sync>,
    _entity: PhantomData<E>,
}

impl<E> Loader<PageKey> for PagesBy<E>
where
    E: EntityTrait + Send + Sync,
    E::Model: Send + Sync + Clone + Decode,
    E::Column: Send + Sync,
{
    type Value = Page<E::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[PageKey]) -> Result<HashMap<PageKey, Page<E::Model>>, LoadError> {
        let mut by_page: HashMap<(&PageRequest, PageNeeds), Vec<Uuid>> = HashMap::new();
        for key in keys {
            by_page
                .entry((&key.page, key.needs))
                .or_default()
                .push(key.parent);
        }
        let mut out = HashMap::with_capacity(keys.len());
        for ((page, needs), ids) in by_page {
            let select = (self.base)();
            let pages =
                fetch_pages_needing(&self.db, select, self.group, &ids, self.keys, page, needs)
                    .await
                    .map_err(load_error)?;
            for (parent, rows) in pages {
                let key = PageKey {
                    parent,
                    page: page.clone(),
                    needs,
                };
                out.insert(key, rows);
            }
        }
        Ok(out)
    }
}

pub type ByIdLoader<E> = BatchLoader<ById<E>, Uuid>;
pub type PagesLoader<E> = BatchLoader<PagesBy<E>, PageKey>;

fn empty_page<M>(total: Option<u64>) -> Page<M> {
    Page {
        rows: Vec::new(),
        has_previous: false,
        has_next: false,
        total,
    }
}

/// A page from a per-parent loader, rows included; a parent without rows gets an empty page.
pub async fn load_page<E>(
    loader: &PagesLoader<E>,
    parent: Uuid,
    page: PageRequest,
) -> async_graphql::Result<Page<E::Model>>
where
    E: EntityTrait + Send + Sync,
    E::Model: Send + Sync + Clone + Decode,
    E::Column: Send + Sync,
{
    load_page_needing(loader, parent, page, PageNeeds::Rows).await
}

/// A page from a per-parent loader, reading only what the connection field being resolved
/// selects: no rows for `totalCount` or `pageInfo { hasNextPage }` alone, the first and last
/// rows for cursors in `pageInfo` alone, and no statement at all when nothing is counted.
pub async fn load_selected_page<E>(
    ctx: &Context<'_>,
    loader: &PagesLoader<E>,
    parent: Uuid,
    page: PageRequest,
) -> async_graphql::Result<Page<E::Model>>
where
    E: EntityTrait + Send + Sync,
    E::Model: Send + Sync + Clone + Decode,
    E::Column: Send + Sync,
{
    let needs = page_needs(ctx);
    if needs == PageNeeds::Total && !page.counts() {
        return Ok(empty_page(None));
    }
    load_page_needing(loader, parent, page, needs).await
}

async fn load_page_needing<E>(
    loader: &PagesLoader<E>,
    parent: Uuid,
    page: PageRequest,
    needs: PageNeeds,
) -> async_graphql::Result<Page<E::Model>>
where
    E: EntityTrait + Send + Sync,
    E::Model: Send + Sync + Clone + Decode,
    E::Column: Send + Sync,
{
    Ok(loader
        .load_one(PageKey {
            parent,
            page,
            needs,
        })
        .await?
        .unwrap_or_else(|| empty_page(Some(0))))
}

/// What the selection of the connection field being resolved needs of its page.
pub fn page_needs(ctx: &Context<'_>) -> PageNeeds {
    let field = ctx.look_ahead();
    if field.field("edges").exists() || field.field("nodes").exists() {
        return PageNeeds::Rows;
    }
    let info = field.field("pageInfo");
    if info.field("startCursor").exists() || info.field("endCursor").exists() {
        PageNeeds::Ends
    } else if info.field("hasNextPage").exists() || info.field("hasPreviousPage").exists() {
        PageNeeds::More
    } else {
        PageNeeds::Total
    }
}

/// The positions of each person, oldest first.
pub struct PositionsByPerson {
    db: ReadDb,
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

fn by_id<E>(db: &ReadDb, id: E::Column, scope: Condition, cache: bool) -> ByIdLoader<E>
where
    E: EntityTrait + Send + Sync,
    E::Model: Send + Sync + Clone + Decode,
    E::Column: Send + Sync,
{
    BatchLoader::new(ById {
        db: db.clone(),
        id,
        scope,
    })
    .cached(cache)
}

fn pages_by<E>(
    db: &ReadDb,
    group: E::Column,
    keys: &'static [E::Column],
    base: impl Fn() -> Select<E> + Send + Sync + 'static,
    cache: bool,
) -> PagesLoader<E>
where
    E: EntityTrait + Send + Sync,
    E::Model: Send + Sync + Clone + Decode,
    E::Column: Send + Sync,
{
    BatchLoader::new(PagesBy {
        db: db.clone(),
        group,
        keys,
        base: Box::new(base),
        _entity: PhantomData,
    })
    .cached(cache)
}

/// Every loader of one request.
pub struct Loaders {
    pub areas: Lazy<ByIdLoader<area::Entity>>,
    pub organizations: Lazy<ByIdLoader<organization::Entity>>,
    pub linkage_groups: Lazy<ByIdLoader<linkage_group::Entity>>,
    /// Every group, whatever the viewer may read: for the scopes of grants.
    pub grant_groups: Lazy<ByIdLoader<linkage_group::Entity>>,
    /// People the viewer may read.
    pub people: Lazy<ByIdLoader<person::Entity>>,
    /// People the viewer may read, and the people of the first-secretary postings it may read:
    /// whoever may read a posting may read who holds it (personal data masked as usual).
    pub posted_people: Lazy<ByIdLoader<person::Entity>>,
    /// First-secretary postings the viewer may read.
    pub first_secretary_assignments: Lazy<ByIdLoader<first_secretary_assignment::Entity>>,
    /// Accounts the viewer may see: every one for administrators, else only their own.
    pub users: Lazy<ByIdLoader<user_account::Entity>>,
    /// The grants of each account, oldest first.
    pub grants: Lazy<BatchLoader<GrantsOfUser, Uuid>>,
    /// Children that are not archived, by name.
    pub children: Lazy<PagesLoader<organization::Entity>>,
    pub people_by_organization: Lazy<PagesLoader<person::Entity>>,
    pub current_members: Lazy<PagesLoader<linkage_group_member::Entity>>,
    pub all_members: Lazy<PagesLoader<linkage_group_member::Entity>>,
    /// Current memberships of each organization.
    pub memberships: Lazy<PagesLoader<linkage_group_member::Entity>>,
    pub positions: Lazy<BatchLoader<PositionsByPerson, Uuid>>,
    /// The groups each organization currently belongs to (all of them: for scope checks).
    pub groups_of_organization: Lazy<BatchLoader<GroupsOfOrganization, Uuid>>,
    pub activities: Lazy<ByIdLoader<joint_activity::Entity>>,
    pub participants: Lazy<BatchLoader<ParticipantsOfActivity, Uuid>>,
    pub attendance: Lazy<PagesLoader<attendance::Entity>>,
    pub attendee_counts: Lazy<BatchLoader<AttendeeCounts, Uuid>>,
    /// Supervision items the viewer may read.
    pub supervision_items: Lazy<ByIdLoader<supervision_item::Entity>>,
    /// The responsible organizations of each item, the lead first.
    pub supervision_assignments: Lazy<BatchLoader<AssignmentsOfItem, Uuid>>,
    pub supervision_timeline: Lazy<PagesLoader<supervision_event::Entity>>,
    pub supervision_reports: Lazy<PagesLoader<supervision_report::Entity>>,
    /// The supervision cadence of each group, whoever asks (derived fields need it).
    pub cadences: Lazy<BatchLoader<CadenceOfGroup, Uuid>>,
    /// The working-day calendar: one read for every derived field of a round, read again by
    /// the next round (and by a subscription's next event), so an import holds at once.
    pub work_calendar: Lazy<BatchLoader<CalendarLoader, ()>>,
    /// The reviews of each supervision round, of items the viewer may read.
    pub round_reviews: Lazy<BatchLoader<ReviewsOfRound, Uuid>>,
    /// The reviews of each supervision item the viewer may read, oldest round first.
    pub item_reviews: Lazy<BatchLoader<ReviewsOfItem, Uuid>>,
    /// A page of each supervision round's items, of items the viewer may read.
    pub round_items: Lazy<BatchLoader<ItemsOfRound, PageKey>>,
    /// Mentoring pairings the viewer may read.
    pub mentor_pairings: Lazy<ByIdLoader<mentor_pairing::Entity>>,
    /// People the viewer may read, and the mentors and mentees of the pairings it may read.
    pub pairing_people: Lazy<ByIdLoader<person::Entity>>,
    /// A page of each pairing's sessions, newest first (of pairings read through the scope).
    pub pairing_sessions: Lazy<BatchLoader<SessionsOfPairing, PageKey>>,
    /// Residents' appeals the viewer may read.
    pub resident_appeals: Lazy<ByIdLoader<resident_appeal::Entity>>,
}

/// One page of each mentoring pairing's sessions, newest first.
pub struct SessionsOfPairing {
    db: ReadDb,
}

impl Loader<PageKey> for SessionsOfPairing {
    type Value = Page<mentoring_session::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[PageKey],
    ) -> Result<HashMap<PageKey, Page<mentoring_session::Model>>, LoadError> {
        let mut by_page: HashMap<(&PageRequest, PageNeeds), Vec<Uuid>> = HashMap::new();
        for key in keys {
            by_page
                .entry((&key.page, key.needs))
                .or_default()
                .push(key.parent);
        }
        let mut out = HashMap::with_capacity(keys.len());
        for ((page, needs), pairing_ids) in by_page {
            let pages = mentoring::sessions_of_pairings(&self.db, &pairing_ids, page, needs)
                .await
                .map_err(load_error)?;
            for (parent, rows) in pages {
                let key = PageKey {
                    parent,
                    page: page.clone(),
                    needs,
                };
                out.insert(key, rows);
            }
        }
        Ok(out)
    }
}

/// The responsible organizations of each supervision item, the lead first.
pub struct AssignmentsOfItem {
    db: ReadDb,
}

impl Loader<Uuid> for AssignmentsOfItem {
    type Value = Vec<supervision_assignment::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<supervision_assignment::Model>>, LoadError> {
        let rows = supervision::assignments_of(&self.db, keys)
            .await
            .map_err(load_error)?;
        let mut out: HashMap<Uuid, Vec<supervision_assignment::Model>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            out.entry(row.item_id).or_default().push(row);
        }
        Ok(out)
    }
}

/// The whole working-day calendar, under the unit key.
pub struct CalendarLoader {
    db: ReadDb,
}

impl Loader<()> for CalendarLoader {
    type Value = Arc<WorkCalendar>;
    type Error = LoadError;

    async fn load(&self, _: &[()]) -> Result<HashMap<(), Arc<WorkCalendar>>, LoadError> {
        let calendar = WorkCalendar::load(&self.db).await.map_err(load_error)?;
        Ok(HashMap::from([((), Arc::new(calendar))]))
    }
}

/// The supervision cadence (days) of each linkage group.
pub struct CadenceOfGroup {
    db: ReadDb,
}

impl Loader<Uuid> for CadenceOfGroup {
    type Value = i32;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, i32>, LoadError> {
        Ok(supervision::cadences_of(&self.db, keys)
            .await
            .map_err(load_error)?
            .into_iter()
            .collect())
    }
}

/// The participating organizations of each activity, host first.
pub struct ParticipantsOfActivity {
    db: ReadDb,
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
        // Within a role, in the order they were listed (ids are time-ordered UUIDv7): the
        // order rows come back in differs between engines (SQLite follows an index).
        for list in out.values_mut() {
            list.sort_by_key(|p| {
                let rank = match p.role {
                    ParticipantRole::Host => 0,
                    ParticipantRole::CoHost => 1,
                    ParticipantRole::Participant => 2,
                };
                (rank, p.id)
            });
        }
        Ok(out)
    }
}

/// How many people are checked in at each activity.
pub struct AttendeeCounts {
    db: ReadDb,
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
    db: ReadDb,
}

impl Loader<Uuid> for GroupsOfOrganization {
    type Value = Vec<Uuid>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<Uuid>>, LoadError> {
        let rows = linkage_group_member::Entity::find()
            .filter(crate::services::one_of(
                &self.db,
                linkage_group_member::Column::OrganizationId,
                keys.iter().copied(),
            ))
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

/// The grants of each account, oldest first (those whose role or organization is gone are left
/// out, as for the viewer's own grants).
pub struct GrantsOfUser {
    db: ReadDb,
    /// The day postings' grants are read for.
    today: chrono::NaiveDate,
}

impl Loader<Uuid> for GrantsOfUser {
    type Value = Vec<(role_grant::Model, GrantInfo)>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<(role_grant::Model, GrantInfo)>>, LoadError> {
        let mut grants = accounts::grants_of_many(&self.db, keys, self.today)
            .await
            .map_err(load_error)?;
        Ok(keys
            .iter()
            .map(|k| (*k, grants.remove(k).unwrap_or_default()))
            .collect())
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
    /// On `user_account.id`.
    pub users: Condition,
    /// On `supervision_item`.
    pub supervision_items: Condition,
    /// On `first_secretary_assignment`.
    pub first_secretary_assignments: Condition,
    /// On `mentor_pairing`.
    pub mentor_pairings: Condition,
    /// On `resident_appeal`.
    pub resident_appeals: Condition,
}

impl LoaderScopes {
    pub fn of(viewer: Option<&Viewer>) -> Self {
        match viewer {
            Some(v) => Self {
                activities: activities::read_condition(&v.scope("joint_activity", "read")),
                supervision_items: supervision::read_condition(
                    &v.scope("supervision_item", "read"),
                ),
                people: v
                    .scope("person", "read")
                    .organization_condition(person::Column::OrganizationId),
                first_secretary_assignments: first_secretaries::read_condition(
                    &v.scope("first_secretary_assignment", "read"),
                ),
                linkage_groups: v.scope("linkage_group", "read").linkage_group_condition(),
                mentor_pairings: mentoring::pairing_condition(
                    &v.scope("mentor_pairing", "read"),
                    v.owns("mentor_pairing", "read")
                        .then(|| v.person_id())
                        .flatten(),
                ),
                resident_appeals: appeals::read_condition(&v.scope("resident_appeal", "read")),
                // Accounts are visible to administrators and to their owner.
                users: if v.is_admin() {
                    Condition::all()
                } else {
                    Condition::all().add(user_account::Column::Id.eq(v.id()))
                },
            },
            None => {
                let none = Scope::default();
                Self {
                    activities: activities::read_condition(&none),
                    supervision_items: supervision::read_condition(&none),
                    people: none.organization_condition(person::Column::OrganizationId),
                    first_secretary_assignments: first_secretaries::read_condition(&none),
                    linkage_groups: none.linkage_group_condition(),
                    mentor_pairings: mentoring::pairing_condition(&none, None),
                    resident_appeals: appeals::read_condition(&none),
                    users: Condition::all().add(user_account::Column::Id.is_null()),
                }
            }
        }
    }
}

/// The request's loaders, built when a resolver first asks for them: building them works out
/// the viewer's read scopes of eight object types (a Casbin check each), which an operation that
/// loads nothing (`{ __typename }`, a mutation answering with ids) should not pay for.
pub struct LazyLoaders {
    db: ReadDb,
    viewer: Option<Arc<Viewer>>,
    today: chrono::NaiveDate,
    /// A query operation: the loaders remember rows ([`Loaders::for_query`]).
    query: bool,
    loaders: std::sync::OnceLock<Loaders>,
}

impl LazyLoaders {
    /// `query`: the operation is a query, whose loaders may remember what they read; mutations
    /// and subscriptions read afresh every time.
    pub fn new(
        db: ReadDb,
        viewer: Option<Arc<Viewer>>,
        today: chrono::NaiveDate,
        query: bool,
    ) -> Self {
        Self {
            db,
            viewer,
            today,
            query,
            loaders: std::sync::OnceLock::new(),
        }
    }

    pub fn get(&self) -> &Loaders {
        self.loaders.get_or_init(|| {
            if self.query {
                Loaders::for_query(&self.db, self.viewer.clone(), self.today)
            } else {
                Loaders::new(&self.db, self.viewer.clone(), self.today)
            }
        })
    }
}

impl Loaders {
    /// Loaders that read the database each time they are asked (in batches). For mutations,
    /// whose later fields must see the changes of the earlier ones, and for subscriptions, whose
    /// later events must see the rows of their time.
    pub fn new(db: &ReadDb, viewer: Option<Arc<Viewer>>, today: chrono::NaiveDate) -> Self {
        Self::build(db, viewer, today, false)
    }

    /// Loaders that also remember what they read for the rest of the request, so that a row
    /// asked for at several depths of a query is read once. For query operations only.
    pub fn for_query(db: &ReadDb, viewer: Option<Arc<Viewer>>, today: chrono::NaiveDate) -> Self {
        Self::build(db, viewer, today, true)
    }

    fn build(
        db: &ReadDb,
        viewer: Option<Arc<Viewer>>,
        today: chrono::NaiveDate,
        cache: bool,
    ) -> Self {
        let b = &Arc::new(Build {
            db: db.clone(),
            viewer,
            scopes: std::sync::OnceLock::new(),
            today,
            cache,
        });
        Self {
            areas: Lazy::new(b, |b| {
                by_id(&b.db, area::Column::Id, Condition::all(), b.cache)
            }),
            // Every signed-in user reads the public card of any organization.
            organizations: Lazy::new(b, |b| {
                by_id(&b.db, organization::Column::Id, Condition::all(), b.cache)
            }),
            linkage_groups: Lazy::new(b, |b| {
                by_id(
                    &b.db,
                    linkage_group::Column::Id,
                    b.scopes().linkage_groups.clone(),
                    b.cache,
                )
            }),
            grant_groups: Lazy::new(b, |b| {
                by_id(&b.db, linkage_group::Column::Id, Condition::all(), b.cache)
            }),
            people: Lazy::new(b, |b| {
                by_id(
                    &b.db,
                    person::Column::Id,
                    b.scopes().people.clone(),
                    b.cache,
                )
            }),
            posted_people: Lazy::new(b, |b| {
                by_id(
                    &b.db,
                    person::Column::Id,
                    Condition::any().add(b.scopes().people.clone()).add(
                        person::Column::Id.in_subquery(
                            first_secretary_assignment::Entity::find()
                                .select_only()
                                .column(first_secretary_assignment::Column::PersonId)
                                .filter(b.scopes().first_secretary_assignments.clone())
                                .into_query(),
                        ),
                    ),
                    b.cache,
                )
            }),
            first_secretary_assignments: Lazy::new(b, |b| {
                by_id(
                    &b.db,
                    first_secretary_assignment::Column::Id,
                    b.scopes().first_secretary_assignments.clone(),
                    b.cache,
                )
            }),
            users: Lazy::new(b, |b| {
                by_id(
                    &b.db,
                    user_account::Column::Id,
                    b.scopes().users.clone(),
                    b.cache,
                )
            }),
            grants: Lazy::new(b, |b| {
                BatchLoader::new(GrantsOfUser {
                    db: b.db.clone(),
                    today: b.today,
                })
                .cached(b.cache)
            }),
            children: Lazy::new(b, |b| {
                pages_by(
                    &b.db,
                    organization::Column::ParentId,
                    OrganizationOrder::NameAsc.keys(),
                    || {
                        organization::Entity::find()
                            .filter(organization::Column::ArchivedAt.is_null())
                    },
                    b.cache,
                )
            }),
            people_by_organization: Lazy::new(b, |b| {
                let people_scope = b.scopes().people.clone();
                pages_by(
                    &b.db,
                    person::Column::OrganizationId,
                    PERSON_KEYS,
                    move || person::Entity::find().filter(people_scope.clone()),
                    b.cache,
                )
            }),
            current_members: Lazy::new(b, |b| {
                pages_by(
                    &b.db,
                    linkage_group_member::Column::LinkageGroupId,
                    MEMBER_KEYS,
                    || crate::services::linkage_groups::members_select(false),
                    b.cache,
                )
            }),
            all_members: Lazy::new(b, |b| {
                pages_by(
                    &b.db,
                    linkage_group_member::Column::LinkageGroupId,
                    MEMBER_KEYS,
                    || crate::services::linkage_groups::members_select(true),
                    b.cache,
                )
            }),
            memberships: Lazy::new(b, |b| {
                let groups_scope = b.scopes().linkage_groups.clone();
                pages_by(
                    &b.db,
                    linkage_group_member::Column::OrganizationId,
                    MEMBER_KEYS,
                    move || {
                        crate::services::linkage_groups::members_select(false).filter(
                            linkage_group_member::Column::LinkageGroupId.in_subquery(
                                linkage_group::Entity::find()
                                    .select_only()
                                    .column(linkage_group::Column::Id)
                                    .filter(groups_scope.clone())
                                    .into_query(),
                            ),
                        )
                    },
                    b.cache,
                )
            }),
            positions: Lazy::new(b, |b| {
                BatchLoader::new(PositionsByPerson { db: b.db.clone() }).cached(b.cache)
            }),
            groups_of_organization: Lazy::new(b, |b| {
                BatchLoader::new(GroupsOfOrganization { db: b.db.clone() }).cached(b.cache)
            }),
            activities: Lazy::new(b, |b| {
                by_id(
                    &b.db,
                    joint_activity::Column::Id,
                    b.scopes().activities.clone(),
                    b.cache,
                )
            }),
            participants: Lazy::new(b, |b| {
                BatchLoader::new(ParticipantsOfActivity { db: b.db.clone() }).cached(b.cache)
            }),
            attendance: Lazy::new(b, |b| {
                pages_by(
                    &b.db,
                    attendance::Column::ActivityId,
                    ATTENDANCE_KEYS,
                    attendance::Entity::find,
                    b.cache,
                )
            }),
            attendee_counts: Lazy::new(b, |b| {
                BatchLoader::new(AttendeeCounts { db: b.db.clone() }).cached(b.cache)
            }),
            supervision_items: Lazy::new(b, |b| {
                by_id(
                    &b.db,
                    supervision_item::Column::Id,
                    b.scopes().supervision_items.clone(),
                    b.cache,
                )
            }),
            supervision_assignments: Lazy::new(b, |b| {
                BatchLoader::new(AssignmentsOfItem { db: b.db.clone() }).cached(b.cache)
            }),
            supervision_timeline: Lazy::new(b, |b| {
                pages_by(
                    &b.db,
                    supervision_event::Column::ItemId,
                    supervision::EVENT_KEYS,
                    supervision_event::Entity::find,
                    b.cache,
                )
            }),
            supervision_reports: Lazy::new(b, |b| {
                pages_by(
                    &b.db,
                    supervision_report::Column::ItemId,
                    supervision::REPORT_KEYS,
                    supervision_report::Entity::find,
                    b.cache,
                )
            }),
            cadences: Lazy::new(b, |b| {
                BatchLoader::new(CadenceOfGroup { db: b.db.clone() }).cached(b.cache)
            }),
            work_calendar: Lazy::new(b, |b| {
                BatchLoader::new(CalendarLoader { db: b.db.clone() }).cached(b.cache)
            }),
            round_reviews: Lazy::new(b, |b| {
                BatchLoader::new(ReviewsOfRound {
                    db: b.db.clone(),
                    visible_items: b.scopes().supervision_items.clone(),
                })
                .cached(b.cache)
            }),
            item_reviews: Lazy::new(b, |b| {
                BatchLoader::new(ReviewsOfItem {
                    db: b.db.clone(),
                    visible_items: b.scopes().supervision_items.clone(),
                })
                .cached(b.cache)
            }),
            round_items: Lazy::new(b, |b| {
                BatchLoader::new(ItemsOfRound {
                    db: b.db.clone(),
                    visible_items: b.scopes().supervision_items.clone(),
                })
                .cached(b.cache)
            }),
            mentor_pairings: Lazy::new(b, |b| {
                by_id(
                    &b.db,
                    mentor_pairing::Column::Id,
                    b.scopes().mentor_pairings.clone(),
                    b.cache,
                )
            }),
            pairing_people: Lazy::new(b, |b| {
                by_id(
                    &b.db,
                    person::Column::Id,
                    Condition::any().add(b.scopes().people.clone()).add(
                        mentoring::people_of_pairings(b.scopes().mentor_pairings.clone()),
                    ),
                    b.cache,
                )
            }),
            pairing_sessions: Lazy::new(b, |b| {
                BatchLoader::new(SessionsOfPairing { db: b.db.clone() }).cached(b.cache)
            }),
            resident_appeals: Lazy::new(b, |b| {
                by_id(
                    &b.db,
                    resident_appeal::Column::Id,
                    b.scopes().resident_appeals.clone(),
                    b.cache,
                )
            }),
        }
    }
}

/// What the request's loaders are built from, each the first time it is used: an operation
/// uses a few of the forty, and building all of them (each with the viewer's scope for its
/// table, worked out by Casbin) was a twelfth of what a one-organization query cost.
struct Build {
    db: ReadDb,
    viewer: Option<Arc<Viewer>>,
    scopes: std::sync::OnceLock<LoaderScopes>,
    today: chrono::NaiveDate,
    cache: bool,
}

impl Build {
    fn scopes(&self) -> &LoaderScopes {
        self.scopes
            .get_or_init(|| LoaderScopes::of(self.viewer.as_deref()))
    }
}

/// A loader built by `make` the first time it is used (it is the loader it derefs to).
pub struct Lazy<T> {
    loader: std::sync::OnceLock<T>,
    build: Arc<Build>,
    make: fn(&Build) -> T,
}

impl<T> Lazy<T> {
    fn new(build: &Arc<Build>, make: fn(&Build) -> T) -> Self {
        Self {
            loader: std::sync::OnceLock::new(),
            build: build.clone(),
            make,
        }
    }
}

impl<T> std::ops::Deref for Lazy<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.loader.get_or_init(|| (self.make)(&self.build))
    }
}

/// The reviews of each supervision round, in the order of the items.
pub struct ReviewsOfRound {
    db: ReadDb,
    /// On `supervision_item`: the items the viewer may read.
    visible_items: Condition,
}

impl Loader<Uuid> for ReviewsOfRound {
    type Value = Vec<supervision_review::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<supervision_review::Model>>, LoadError> {
        let rows = rounds::reviews_of_rounds(&self.db, keys, self.visible_items.clone())
            .await
            .map_err(load_error)?;
        let mut out: HashMap<Uuid, Vec<supervision_review::Model>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            out.entry(row.round_id).or_default().push(row);
        }
        Ok(out)
    }
}

/// The reviews of each supervision item, oldest round first.
pub struct ReviewsOfItem {
    db: ReadDb,
    /// On `supervision_item`: the items the viewer may read.
    visible_items: Condition,
}

impl Loader<Uuid> for ReviewsOfItem {
    type Value = Vec<supervision_review::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<supervision_review::Model>>, LoadError> {
        let rows = rounds::reviews_of_items(&self.db, keys, self.visible_items.clone())
            .await
            .map_err(load_error)?;
        let mut out: HashMap<Uuid, Vec<supervision_review::Model>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            out.entry(row.item_id).or_default().push(row);
        }
        Ok(out)
    }
}

/// One page of each supervision round's items.
pub struct ItemsOfRound {
    db: ReadDb,
    /// On `supervision_item`: the items the viewer may read.
    visible_items: Condition,
}

impl Loader<PageKey> for ItemsOfRound {
    type Value = Page<supervision_item::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[PageKey],
    ) -> Result<HashMap<PageKey, Page<supervision_item::Model>>, LoadError> {
        let mut by_page: HashMap<(&PageRequest, PageNeeds), Vec<Uuid>> = HashMap::new();
        for key in keys {
            by_page
                .entry((&key.page, key.needs))
                .or_default()
                .push(key.parent);
        }
        let mut out = HashMap::with_capacity(keys.len());
        for ((page, needs), round_ids) in by_page {
            let pages = rounds::items_of_rounds(
                &self.db,
                &round_ids,
                self.visible_items.clone(),
                page,
                needs,
            )
            .await
            .map_err(load_error)?;
            for (parent, rows) in pages {
                let key = PageKey {
                    parent,
                    page: page.clone(),
                    needs,
                };
                out.insert(key, rows);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    /// Doubles its keys, one call per batch; 0 has no value, and a batch holding 1000 fails.
    /// While `stall_first` is set, its first call never finishes.
    #[derive(Default)]
    struct Doubler {
        batches: Mutex<Vec<Vec<u32>>>,
        stall_first: bool,
    }

    impl Doubler {
        fn batches(&self) -> Vec<Vec<u32>> {
            lock(&self.batches).clone()
        }
    }

    impl Loader<u32> for Doubler {
        type Value = u32;
        type Error = String;

        async fn load(&self, keys: &[u32]) -> Result<HashMap<u32, u32>, String> {
            let first = {
                let mut batches = lock(&self.batches);
                let mut keys = keys.to_vec();
                keys.sort_unstable();
                batches.push(keys);
                batches.len() == 1
            };
            // A database round trip.
            tokio::task::yield_now().await;
            if first && self.stall_first {
                std::future::pending::<()>().await;
            }
            if keys.contains(&1000) {
                return Err("refused".to_owned());
            }
            Ok(keys
                .iter()
                .filter(|k| **k != 0)
                .map(|k| (*k, k * 2))
                .collect())
        }
    }

    fn doubler() -> BatchLoader<Doubler, u32> {
        BatchLoader::new(Doubler::default())
    }

    /// What async-graphql does with the fields of a list: poll them all in one future.
    async fn fields_of_a_list(loader: &BatchLoader<Doubler, u32>, keys: std::ops::Range<u32>) {
        let values = futures_util::future::join_all(keys.clone().map(|k| loader.load_one(k))).await;
        for (k, value) in keys.zip(values) {
            assert_eq!(value, Ok(Some(k * 2)));
        }
    }

    /// A list of 50 objects with two levels of fields: one batch per level.
    async fn two_levels(loader: &BatchLoader<Doubler, u32>) {
        let values = futures_util::future::join_all((1..=50).map(|k| async move {
            let first = loader.load_one(k).await?;
            let second = loader.load_one(k + 100).await?;
            Ok::<_, String>((first, second))
        }))
        .await;
        for (k, value) in (1..=50).zip(values) {
            assert_eq!(value, Ok((Some(k * 2), Some((k + 100) * 2))));
        }
        let batches = loader.state_batches();
        assert_eq!(batches.len(), 2, "{batches:?}");
        assert_eq!(batches[0], (1..=50).collect::<Vec<_>>());
        assert_eq!(batches[1], (101..=150).collect::<Vec<_>>());
    }

    impl BatchLoader<Doubler, u32> {
        fn state_batches(&self) -> Vec<Vec<u32>> {
            self.loader.batches()
        }
    }

    #[tokio::test]
    async fn the_fields_of_a_round_share_one_batch() {
        for n in [1, 5, 50] {
            let loader = doubler();
            fields_of_a_list(&loader, 1..n + 1).await;
            assert_eq!(loader.state_batches().len(), 1);
        }
        two_levels(&doubler()).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn the_fields_of_a_round_share_one_batch_on_many_threads() {
        for _ in 0..20 {
            let loader = doubler();
            fields_of_a_list(&loader, 1..51).await;
            assert_eq!(loader.state_batches().len(), 1);
            two_levels(&doubler()).await;
        }
        // And from a task of the pool, as a server's requests run.
        tokio::spawn(async { two_levels(&doubler()).await })
            .await
            .unwrap();
    }

    /// An object of a list as async-graphql resolves it: its fields in a `FuturesUnordered`,
    /// the plain ones ready at once, the loaded one `depth` objects further down.
    fn object(
        loader: &BatchLoader<Doubler, u32>,
        key: u32,
        depth: usize,
    ) -> futures_util::future::BoxFuture<'_, Vec<Option<u32>>> {
        use futures_util::{StreamExt, stream::FuturesUnordered};
        Box::pin(async move {
            let mut fields: FuturesUnordered<futures_util::future::BoxFuture<'_, _>> =
                FuturesUnordered::new();
            fields.push(Box::pin(async { Vec::new() }));
            if depth == 0 {
                fields.push(Box::pin(async move {
                    vec![loader.load_one(key).await.ok().flatten()]
                }));
            } else {
                fields.push(object(loader, key, depth - 1));
            }
            fields.push(Box::pin(async { Vec::new() }));
            let mut values = Vec::new();
            while let Some(field) = fields.next().await {
                values.extend(field);
            }
            values
        })
    }

    /// Nested objects poll a field again as soon as its siblings finish; on a runtime that wakes
    /// a yielding task at once, that comes before the next object of the list is polled.
    async fn nested_objects() {
        for (n, depth) in [(5, 0), (50, 3), (40, 12)] {
            let loader = doubler();
            let values =
                futures_util::future::join_all((1..=n).map(|k| object(&loader, k, depth))).await;
            for (k, value) in (1..=n).zip(values) {
                assert_eq!(value, [Some(k * 2)]);
            }
            assert_eq!(
                loader.state_batches().len(),
                1,
                "{n} objects, depth {depth}"
            );
        }
    }

    #[tokio::test]
    async fn nested_objects_share_one_batch() {
        nested_objects().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn nested_objects_share_one_batch_on_many_threads() {
        nested_objects().await;
        tokio::spawn(nested_objects()).await.unwrap();
    }

    #[tokio::test]
    async fn keys_are_loaded_once_per_batch_and_missing_ones_have_no_value() {
        let loader = doubler();
        let (many, one, again) = tokio::join!(
            loader.load_many([3, 0, 3, 4]),
            loader.load_one(4),
            loader.load_one(0),
        );
        assert_eq!(many.unwrap(), HashMap::from([(3, 6), (4, 8)]));
        assert_eq!(one, Ok(Some(8)));
        assert_eq!(again, Ok(None));
        assert_eq!(loader.state_batches(), [vec![0, 3, 4]]);
        assert_eq!(loader.load_many([]).await, Ok(HashMap::new()));
        assert_eq!(loader.state_batches().len(), 1);
    }

    #[tokio::test]
    async fn an_error_reaches_every_caller_of_the_batch_and_is_not_kept() {
        let loader = doubler().cached(true);
        let (a, b) = tokio::join!(loader.load_one(1000), loader.load_one(1));
        assert_eq!(a, Err("refused".to_owned()));
        assert_eq!(b, Err("refused".to_owned()));
        assert_eq!(loader.load_one(1).await, Ok(Some(2)));
        assert_eq!(loader.state_batches().len(), 2);
    }

    #[tokio::test]
    async fn rows_are_remembered_only_when_asked_to() {
        let uncached = doubler();
        let cached = doubler().cached(true);
        for loader in [&uncached, &cached] {
            assert_eq!(loader.load_many([1, 2, 0]).await.map(|m| m.len()), Ok(2));
            assert_eq!(loader.load_many([2, 0, 1]).await.map(|m| m.len()), Ok(2));
            assert_eq!(loader.load_one(3).await, Ok(Some(6)));
        }
        assert_eq!(uncached.state_batches().len(), 3);
        // Known rows and known absences are not asked for again.
        assert_eq!(cached.state_batches(), [vec![0, 1, 2], vec![3]]);
    }

    #[tokio::test]
    async fn a_caller_dropped_while_loading_hands_the_batch_over() {
        let loader = BatchLoader::new(Doubler {
            stall_first: true,
            ..Doubler::default()
        });
        let mut waiting = Box::pin(loader.load_one(2));
        // The waiting caller joins the batch first, and yields.
        assert!(futures_util::FutureExt::now_or_never(&mut waiting).is_none());
        // The other one starts the batch and is dropped while the load stalls.
        let dropped =
            tokio::time::timeout(std::time::Duration::from_millis(50), loader.load_one(1)).await;
        assert!(dropped.is_err());
        assert_eq!(loader.state_batches(), [vec![1, 2]]);
        // The waiting one loads both keys again, and has its answer.
        assert_eq!(waiting.await, Ok(Some(4)));
        assert_eq!(loader.state_batches(), [vec![1, 2], vec![1, 2]]);
        assert_eq!(loader.load_one(1).await, Ok(Some(2)));
    }
}
