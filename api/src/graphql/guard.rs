//! Sign-in, checked by the gate ([`Api`](super::gate::Api)) that every transport goes through
//! (HTTP POST, GET, batches, WebSocket, a test): without a signed-in viewer an operation may
//! only select `login` and the introspection fields.
//!
//! A WebSocket carries its token for its whole life, so the viewer of a socket is read again
//! from the database for every operation it starts (and, through
//! [`ContextExt::viewer_source`](super::context::ContextExt::viewer_source), for every event a
//! subscription delivers): a password reset, a disabled account, an expired token or a revoked
//! grant takes effect at once. Once the token is no longer valid, the socket is closed.

use std::{
    collections::HashSet,
    sync::{Arc, OnceLock},
};

use async_graphql::{
    Positioned,
    parser::types::{
        DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection,
        SelectionSet,
    },
};

use super::context::RequestContext;
use crate::{app::AppState, authz::Viewer, error::AppError};

/// Root fields anonymous callers may use: signing in and reading the schema.
pub const ANONYMOUS_FIELDS: &[&str] = &["login", "__typename", "__schema", "__type"];

/// Close code of a socket whose token is no longer valid (expired, password changed or reset,
/// account disabled or deleted). graphql-transport-ws uses 4401 for "Unauthorized".
pub const CLOSE_UNAUTHORIZED: u16 = 4401;
/// Close code of a socket whose `connection_init` carried a token that is not valid.
pub const CLOSE_FORBIDDEN: u16 = 4403;
/// Close code when the database could not be asked about the token (RFC 6455 "internal error").
pub const CLOSE_INTERNAL: u16 = 1011;

/// Why the server ends a socket: set once, read by the task that writes to the socket.
#[derive(Clone, Debug, Default)]
pub struct SocketClose(Arc<CloseState>);

#[derive(Debug, Default)]
struct CloseState {
    reason: OnceLock<(u16, &'static str)>,
    notify: tokio::sync::Notify,
}

impl SocketClose {
    /// Asks for the socket to be closed; the first reason wins.
    pub fn close(&self, code: u16, reason: &'static str) {
        let _ = self.0.reason.set((code, reason));
        self.0.notify.notify_waiters();
    }

    pub fn reason(&self) -> Option<(u16, &'static str)> {
        self.0.reason.get().copied()
    }

    /// Resolves once `close` was called.
    pub async fn closed(&self) -> (u16, &'static str) {
        loop {
            let notified = self.0.notify.notified();
            if let Some(reason) = self.reason() {
                return reason;
            }
            notified.await;
        }
    }
}

/// What a WebSocket keeps between operations (its connection data): the token it signed in
/// with, never the viewer read at that time.
#[derive(Clone, Debug)]
pub struct SocketSession {
    pub token: Option<String>,
    /// The peer address, for sign-in throttling.
    pub address: String,
    pub close: SocketClose,
}

impl SocketSession {
    /// The viewer as the database says now. A token that stopped being valid closes the socket
    /// and answers UNAUTHENTICATED; a database failure answers INTERNAL and keeps the socket.
    pub async fn viewer(&self, state: &AppState) -> Result<Option<Arc<Viewer>>, AppError> {
        let Some(token) = &self.token else {
            return Ok(None);
        };
        match state.viewer_from_token(token).await {
            Ok(viewer) => Ok(Some(Arc::new(viewer))),
            Err(AppError::Unauthenticated) => {
                self.close
                    .close(CLOSE_UNAUTHORIZED, "token no longer valid");
                Err(AppError::Unauthenticated)
            }
            Err(other) => Err(other),
        }
    }

    /// The request context of one operation started on this socket.
    pub(crate) fn context(&self, viewer: Option<Arc<Viewer>>) -> RequestContext {
        let mut context = RequestContext {
            address: self.address.clone(),
            ..RequestContext::default()
        };
        context.actor.user_id = viewer.as_ref().map(|v| v.id());
        context.viewer = viewer;
        context
    }
}

/// The operation a request runs: the only one, or the one named.
fn operation_of<'a>(
    document: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'a Positioned<OperationDefinition>> {
    match (&document.operations, operation_name) {
        (DocumentOperations::Single(op), None) => Some(op),
        (DocumentOperations::Single(_), Some(_)) => None,
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        (DocumentOperations::Multiple(_), None) => None,
    }
}

/// Whether the request runs a query, a mutation or a subscription; `None` when the document
/// has no such operation (the request then fails).
pub fn operation_type(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<OperationType> {
    operation_of(document, operation_name).map(|op| op.node.ty)
}

/// Whether the operation that would run selects, at its root, only fields open to anonymous
/// callers (fragments included). When the operation cannot be told (an unknown name, several
/// operations and no name), the answer is no.
pub fn is_anonymous_operation(document: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    let Some(operation) = operation_of(document, operation_name) else {
        return false;
    };
    let mut seen = HashSet::new();
    only_anonymous_fields(document, &operation.node.selection_set.node, &mut seen)
}

fn only_anonymous_fields<'a>(
    document: &'a ExecutableDocument,
    selection_set: &'a SelectionSet,
    seen: &mut HashSet<&'a str>,
) -> bool {
    selection_set.items.iter().all(|item| match &item.node {
        Selection::Field(field) => ANONYMOUS_FIELDS.contains(&field.node.name.node.as_str()),
        Selection::InlineFragment(fragment) => {
            only_anonymous_fields(document, &fragment.node.selection_set.node, seen)
        }
        Selection::FragmentSpread(spread) => {
            let name = spread.node.fragment_name.node.as_str();
            // A cycle is refused by validation later; here it only must not recurse forever.
            if !seen.insert(name) {
                return true;
            }
            document.fragments.get(name).is_some_and(|fragment| {
                only_anonymous_fields(document, &fragment.node.selection_set.node, seen)
            })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    fn anonymous(query: &str, name: Option<&str>) -> bool {
        is_anonymous_operation(&parse_query(query).unwrap(), name)
    }

    #[test]
    fn only_sign_in_and_introspection_are_anonymous() {
        assert!(anonymous("mutation { login(input: {}) { token } }", None));
        assert!(anonymous(
            "{ __typename __schema { types { name } } }",
            None
        ));
        assert!(anonymous(
            "query { ...F } fragment F on Query { __typename ... on Query { __type(name: \"X\") { name } } }",
            None
        ));
        assert!(!anonymous("{ organizations { totalCount } }", None));
        assert!(!anonymous(
            "{ __typename ... on Query { areas { totalCount } } }",
            None
        ));
        assert!(!anonymous(
            "query { ...F } fragment F on Query { ...G } fragment G on Query { areas { totalCount } }",
            None
        ));
        assert!(!anonymous("query { ...Missing }", None));
        // Several operations: the named one decides, no name or an unknown one is refused.
        let two = "query A { __typename } query B { areas { totalCount } }";
        assert!(anonymous(two, Some("A")));
        assert!(!anonymous(two, Some("B")));
        assert!(!anonymous(two, None));
        assert!(!anonymous(two, Some("C")));
        assert!(!anonymous("{ __typename }", Some("A")));
    }
}
