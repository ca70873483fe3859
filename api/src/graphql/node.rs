//! The `Node` interface and the `node` / `nodes` queries that fetch any object by global id.

use std::collections::HashMap;

use async_graphql::{Context, ID, Interface, Object, Result};
use uuid::Uuid;

use super::{
    accounts::User,
    activities::JointActivity,
    appeals::ResidentAppeal,
    areas::Area,
    audit::AuditEntry,
    context::ContextExt,
    first_secretaries::FirstSecretaryAssignment,
    ids::{self, NodeKind},
    linkage_groups::LinkageGroup,
    mentoring::{MentorPairing, MentoringSession},
    organizations::Organization,
    people::Person,
    rounds::SupervisionRound,
    supervision::SupervisionItem,
};
use crate::{
    error::AppError,
    services::{
        activities, appeals, areas, audit, first_secretaries, linkage_groups, mentoring,
        organizations, people,
        supervision::{self, rounds},
    },
};

/// Most ids `nodes` takes at once.
pub const MAX_NODES: usize = 100;

/// An object with a global id.
#[derive(Interface, Clone)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Node {
    Area(Area),
    Organization(Organization),
    LinkageGroup(LinkageGroup),
    Person(Person),
    User(User),
    JointActivity(JointActivity),
    AuditEntry(AuditEntry),
    SupervisionItem(SupervisionItem),
    SupervisionRound(SupervisionRound),
    FirstSecretaryAssignment(FirstSecretaryAssignment),
    MentorPairing(MentorPairing),
    MentoringSession(MentoringSession),
    ResidentAppeal(ResidentAppeal),
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// The object with this global id, or null when there is none.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let global = ids::decode("id", &id)?;
        let Some(kind) = global.kind else {
            return Ok(None);
        };
        let mut found = load(ctx, kind, &[global.id]).await?;
        Ok(found.remove(&global.id))
    }

    /// The objects with these global ids, in the same order, null where there is none.
    async fn nodes(&self, ctx: &Context<'_>, ids: Vec<ID>) -> Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(
                AppError::bad_input("ids", format!("ids takes at most {MAX_NODES} ids")).into(),
            );
        }
        let decoded = ids
            .iter()
            .map(|id| ids::decode("ids", id))
            .collect::<Result<Vec<_>, _>>()?;
        let mut by_kind: HashMap<NodeKind, Vec<Uuid>> = HashMap::new();
        for global in &decoded {
            if let Some(kind) = global.kind {
                by_kind.entry(kind).or_default().push(global.id);
            }
        }
        let mut found: HashMap<(NodeKind, Uuid), Node> = HashMap::new();
        for (kind, keys) in by_kind {
            for (id, node) in load(ctx, kind, &keys).await? {
                found.insert((kind, id), node);
            }
        }
        Ok(decoded
            .into_iter()
            .map(|g| g.kind.and_then(|kind| found.get(&(kind, g.id)).cloned()))
            .collect())
    }
}

async fn load(ctx: &Context<'_>, kind: NodeKind, keys: &[Uuid]) -> Result<HashMap<Uuid, Node>> {
    let db = &ctx.state()?.db.read;
    Ok(match kind {
        NodeKind::Area => areas::get_many(db, keys)
            .await?
            .into_iter()
            .map(|a| (a.id, Node::Area(Area(a))))
            .collect(),
        NodeKind::Organization => organizations::get_many(db, keys)
            .await?
            .into_iter()
            .map(|o| (o.id, Node::Organization(Organization(o))))
            .collect(),
        NodeKind::LinkageGroup => linkage_groups::readable(db, &ctx.actor(), keys)
            .await?
            .into_iter()
            .map(|g| (g.id, Node::LinkageGroup(LinkageGroup(g))))
            .collect(),
        NodeKind::Person => people::readable(db, &ctx.actor(), keys)
            .await?
            .into_iter()
            .map(|p| (p.id, Node::Person(Person(p))))
            .collect(),
        NodeKind::JointActivity => activities::readable(db, &ctx.actor(), keys)
            .await?
            .into_iter()
            .map(|a| (a.id, Node::JointActivity(JointActivity(a))))
            .collect(),
        NodeKind::AuditEntry => audit::readable(db, &ctx.actor(), keys)
            .await?
            .into_iter()
            .map(|e| (e.id, Node::AuditEntry(AuditEntry(e))))
            .collect(),
        NodeKind::SupervisionItem => supervision::readable(db, &ctx.actor(), keys)
            .await?
            .into_iter()
            .map(|i| (i.id, Node::SupervisionItem(SupervisionItem(i))))
            .collect(),
        NodeKind::SupervisionRound => rounds::readable(db, &ctx.actor(), keys)
            .await?
            .into_iter()
            .map(|r| (r.id, Node::SupervisionRound(SupervisionRound(r))))
            .collect(),
        NodeKind::FirstSecretaryAssignment => first_secretaries::readable(db, &ctx.actor(), keys)
            .await?
            .into_iter()
            .map(|p| {
                (
                    p.id,
                    Node::FirstSecretaryAssignment(FirstSecretaryAssignment(p)),
                )
            })
            .collect(),
        NodeKind::MentorPairing => mentoring::readable(db, &ctx.actor(), keys)
            .await?
            .into_iter()
            .map(|p| (p.id, Node::MentorPairing(MentorPairing(p))))
            .collect(),
        NodeKind::MentoringSession => mentoring::readable_sessions(db, &ctx.actor(), keys)
            .await?
            .into_iter()
            .map(|s| (s.id, Node::MentoringSession(MentoringSession::new(s))))
            .collect(),
        NodeKind::ResidentAppeal => appeals::readable(db, &ctx.actor(), keys)
            .await?
            .into_iter()
            .map(|a| (a.id, Node::ResidentAppeal(ResidentAppeal(a))))
            .collect(),
        // Accounts are visible to administrators and to their owner: the loader's scope.
        NodeKind::User => ctx
            .loaders()?
            .users
            .load_many(keys.iter().copied())
            .await?
            .into_iter()
            .map(|(id, u)| (id, Node::User(User(u))))
            .collect(),
    })
}
