//! Global ids: the type name and the UUID, base64url-encoded, so that clients treat them as opaque.

use async_graphql::ID;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// The node types a global id can name. Everything the API says of a kind is in
/// [`NodeKind::info`], the one table to extend when a domain adds a node type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeKind {
    Area,
    Organization,
    LinkageGroup,
    Person,
    User,
    JointActivity,
    AuditEntry,
    SupervisionItem,
    SupervisionRound,
    FirstSecretaryAssignment,
    MentorPairing,
    MentoringSession,
    ResidentAppeal,
}

/// What the API says of one kind of node.
pub struct KindInfo {
    /// The GraphQL type, which is also the prefix inside the kind's global ids.
    pub type_name: &'static str,
    /// `AuditEntry.targetType` of changes to nodes of this kind, when they are audited.
    pub audit_target: Option<&'static str>,
}

impl NodeKind {
    pub const ALL: [NodeKind; 13] = [
        Self::Area,
        Self::Organization,
        Self::LinkageGroup,
        Self::Person,
        Self::User,
        Self::JointActivity,
        Self::AuditEntry,
        Self::SupervisionItem,
        Self::SupervisionRound,
        Self::FirstSecretaryAssignment,
        Self::MentorPairing,
        Self::MentoringSession,
        Self::ResidentAppeal,
    ];

    pub const fn info(self) -> KindInfo {
        const fn kind(type_name: &'static str, audited: bool) -> KindInfo {
            KindInfo {
                type_name,
                audit_target: if audited { Some(type_name) } else { None },
            }
        }
        match self {
            Self::Area => kind("Area", true),
            Self::Organization => kind("Organization", true),
            Self::LinkageGroup => kind("LinkageGroup", true),
            Self::Person => kind("Person", true),
            Self::User => kind("User", true),
            Self::JointActivity => kind("JointActivity", true),
            Self::AuditEntry => kind("AuditEntry", false),
            Self::SupervisionItem => kind("SupervisionItem", true),
            Self::SupervisionRound => kind("SupervisionRound", true),
            Self::FirstSecretaryAssignment => kind("FirstSecretaryAssignment", true),
            Self::MentorPairing => kind("MentorPairing", true),
            Self::MentoringSession => kind("MentoringSession", true),
            Self::ResidentAppeal => kind("ResidentAppeal", true),
        }
    }

    pub fn as_str(self) -> &'static str {
        self.info().type_name
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The kind of the objects an audit entry of `target_type` changed.
    pub fn from_audit_target(target_type: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.info().audit_target == Some(target_type))
    }
}

pub fn encode(kind: NodeKind, id: Uuid) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{}", kind.as_str(), id.simple())))
}

/// A well-formed global id: the type name may still be one this server does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalId {
    pub kind: Option<NodeKind>,
    pub id: Uuid,
}

/// Decodes any global id; a string that is not one is BAD_USER_INPUT on `field`.
pub fn decode(field: &str, id: &ID) -> AppResult<GlobalId> {
    let malformed = || AppError::bad_input(field, format!("{field} is not a valid id"));
    let bytes = URL_SAFE_NO_PAD
        .decode(id.as_str())
        .map_err(|_| malformed())?;
    let text = String::from_utf8(bytes).map_err(|_| malformed())?;
    let (name, uuid) = text.split_once(':').ok_or_else(malformed)?;
    let id = Uuid::parse_str(uuid).map_err(|_| malformed())?;
    Ok(GlobalId {
        kind: NodeKind::from_name(name),
        id,
    })
}

/// Decodes a global id that must name a `kind`.
pub fn decode_as(field: &str, kind: NodeKind, id: &ID) -> AppResult<Uuid> {
    let global = decode(field, id)?;
    if global.kind != Some(kind) {
        return Err(AppError::bad_input(
            field,
            format!("{field} must be the id of a {}", kind.as_str()),
        ));
    }
    Ok(global.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        let id = Uuid::now_v7();
        let global = encode(NodeKind::Area, id);
        assert_eq!(decode_as("id", NodeKind::Area, &global).unwrap(), id);
    }

    #[test]
    fn malformed_ids_name_the_field() {
        for bad in ["", "!!!", "QXJlYQ", &URL_SAFE_NO_PAD.encode("Area:nope")] {
            match decode("areaId", &ID(bad.to_owned())) {
                Err(AppError::BadUserInput { field, .. }) => assert_eq!(field, "areaId"),
                other => panic!("expected BAD_USER_INPUT for {bad:?}, got {other:?}"),
            }
        }
    }

    #[test]
    fn type_names_are_unique_and_round_trip() {
        for kind in NodeKind::ALL {
            assert_eq!(NodeKind::from_name(kind.as_str()), Some(kind));
            let id = Uuid::now_v7();
            assert_eq!(decode("id", &encode(kind, id)).unwrap().kind, Some(kind));
        }
    }

    #[test]
    fn unknown_types_decode_without_kind() {
        let other = ID(URL_SAFE_NO_PAD.encode(format!("Planet:{}", Uuid::now_v7())));
        assert_eq!(decode("id", &other).unwrap().kind, None);
        assert!(decode_as("id", NodeKind::Area, &other).is_err());
    }
}
