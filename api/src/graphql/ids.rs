//! Global ids: the type name and the UUID, base64url-encoded, so that clients treat them as opaque.

use async_graphql::ID;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// The node types a global id can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeKind {
    Area,
    Organization,
    LinkageGroup,
    Person,
    User,
    JointActivity,
}

impl NodeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Area => "Area",
            Self::Organization => "Organization",
            Self::LinkageGroup => "LinkageGroup",
            Self::Person => "Person",
            Self::User => "User",
            Self::JointActivity => "JointActivity",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        match name {
            "Area" => Some(Self::Area),
            "Organization" => Some(Self::Organization),
            "LinkageGroup" => Some(Self::LinkageGroup),
            "Person" => Some(Self::Person),
            "User" => Some(Self::User),
            "JointActivity" => Some(Self::JointActivity),
            _ => None,
        }
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
    fn unknown_types_decode_without_kind() {
        let other = ID(URL_SAFE_NO_PAD.encode(format!("Planet:{}", Uuid::now_v7())));
        assert_eq!(decode("id", &other).unwrap().kind, None);
        assert!(decode_as("id", NodeKind::Area, &other).is_err());
    }
}
