//! The gate: the only way to run an operation. Every transport (HTTP POST and GET, batches,
//! WebSocket, a test, the next transport) hands its request to [`Api`], which
//!
//! 1. reads who is asking: the viewer the HTTP layer read with the request (for an operation
//!    that needs one), or, on a socket, the viewer read again from the database with the grants
//!    of now;
//! 2. parses the document once and checks it before anything runs: anonymous callers may only
//!    sign in and read the schema, and the document must stay within the limits
//!    ([`limits`](super::limits));
//! 3. runs it on the schema, with the request's DataLoaders, when its turn comes: at most
//!    `--max-operations` queries and mutations run at once, the others wait (a subscription
//!    waits for its turn to start, then streams without holding one);
//! 4. gives every error its `extensions.code` (and `extensions.field` where async-graphql's own
//!    argument errors leave it out).
//!
//! The schema itself carries no extensions, so resolving a field costs nothing beyond the
//! resolver: the checks above run once per operation, not once per field.

use std::{any::TypeId, sync::Arc};

use async_graphql::{
    Data, Executor, Request, Response, ServerError, Variables,
    futures_util::stream::{self, BoxStream, StreamExt},
    parser::types::{ExecutableDocument, OperationType},
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{
    context::RequestContext,
    errors, guard, input_errors,
    limits::{self, QueryLimits, SchemaShape},
    loaders::LazyLoaders,
    order::KeyOrder,
    schema::{AppSchema, build_schema},
    sdl,
};
use crate::{app::AppState, error::AppError};

/// The API: the schema behind its gate. Cheap to clone.
#[derive(Clone)]
pub struct Api(Arc<Inner>);

struct Inner {
    schema: AppSchema,
    state: Option<AppState>,
    /// The schema as the limits see it; built from the schema's own SDL, so it cannot fail
    /// unless async-graphql printed something it cannot read back.
    shape: Result<SchemaShape, String>,
    limits: QueryLimits,
    /// Turns to run: what the operations running at once hold (their futures, rows and
    /// responses) is what the server's memory grows with under load, and beyond a few per
    /// database connection more at once only wait longer for the database.
    turns: Arc<Semaphore>,
    /// The SDL as async-graphql exports it, for tools inside the server.
    source_sdl: String,
    sdl: tokio::sync::OnceCell<String>,
    documents: Documents,
}

/// The parsed documents of the last [`DOCUMENTS_KEPT`] query texts: parsing is a fifth of what
/// a one-organization query costs the server, and a front end sends the same few texts with
/// different variables. A document is a function of its text alone, so a kept one cannot go
/// stale; everything after parsing (limits, validation, permissions) runs for every request.
struct Documents(std::sync::Mutex<lru::LruCache<String, ExecutableDocument>>);

const DOCUMENTS_KEPT: usize = 128;
/// Longer texts are parsed every time, so the cache stays within a few MiB.
const DOCUMENT_KEPT_BYTES: usize = 4096;

impl Documents {
    fn new() -> Self {
        let kept =
            std::num::NonZeroUsize::new(DOCUMENTS_KEPT).unwrap_or(std::num::NonZeroUsize::MIN);
        Self(std::sync::Mutex::new(lru::LruCache::new(kept)))
    }

    /// Gives `request` its parsed document from the cache, or parses it and keeps it. A text
    /// that does not parse is not kept: its error comes from `parsed_query` as before.
    fn prime(&self, request: &mut Request) {
        if request.query.len() > DOCUMENT_KEPT_BYTES {
            return;
        }
        let kept = self
            .0
            .lock()
            .ok()
            .and_then(|mut kept| kept.get(&request.query).cloned());
        match kept {
            Some(document) => request.set_parsed_query(document),
            None => {
                if let Ok(document) = request.parsed_query() {
                    let document = document.clone();
                    if let Ok(mut kept) = self.0.lock() {
                        kept.put(request.query.clone(), document);
                    }
                }
            }
        }
    }
}

/// What the gate keeps of a request to explain errors after it ran.
struct Echo {
    query: String,
    variables: Variables,
    /// The order of the selection set, which the response is put back into.
    order: KeyOrder,
    /// What the operation is, once the document is parsed.
    kind: Option<OperationType>,
}

impl Api {
    /// Gives `request` the parsed document of its text from the documents kept, or parses it
    /// and keeps it (see [`Documents`]). Before anything reads the document.
    pub fn prime(&self, request: &mut Request) {
        self.0.documents.prime(request);
    }

    /// The API over `state`; `None` only for printing the schema.
    pub fn new(state: Option<AppState>) -> Self {
        let schema = build_schema(state.as_ref());
        let limits = QueryLimits::from_config(
            &state
                .as_ref()
                .map(|s| s.config.server.clone())
                .unwrap_or_default(),
        );
        let source_sdl = schema.sdl();
        let shape = SchemaShape::from_sdl(&source_sdl);
        let max_operations = state
            .as_ref()
            .map_or(crate::config::DEFAULT_MAX_OPERATIONS, |s| {
                s.config.server.max_operations
            })
            .max(1);
        Self(Arc::new(Inner {
            schema,
            state,
            shape,
            limits,
            turns: Arc::new(Semaphore::new(max_operations)),
            source_sdl,
            sdl: tokio::sync::OnceCell::new(),
            documents: Documents::new(),
        }))
    }

    /// The schema as SDL, printed the way graphql-js's `printSchema` prints the introspected
    /// schema, so that what `/schema.graphql` serves is what a client's tools see.
    pub async fn sdl(&self) -> String {
        self.0
            .sdl
            .get_or_init(|| async {
                let introspection = self
                    .0
                    .schema
                    .execute(Request::new(sdl::INTROSPECTION_QUERY))
                    .await;
                match sdl::print_introspection(&introspection) {
                    Ok(text) => text,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot print the schema");
                        String::new()
                    }
                }
            })
            .await
            .clone()
    }

    /// The SDL as async-graphql exports it (types in name order, without `@specifiedBy`): for
    /// tools inside the server, such as the metrics' list of root fields.
    pub fn source_sdl(&self) -> &str {
        &self.0.source_sdl
    }

    /// Runs one operation through the gate.
    pub async fn execute(&self, request: impl Into<Request>) -> Response {
        let _turn = self.turn().await;
        match self.admit(request.into(), None).await {
            Ok((request, echo)) => finish(self.0.schema.execute(request).await, &echo),
            Err(refusal) => *refusal,
        }
    }

    /// Waits until fewer than `--max-operations` operations run, and holds a turn until the
    /// permit is dropped. The semaphore is never closed; were it, the operation would run
    /// without waiting rather than fail.
    async fn turn(&self) -> Option<OwnedSemaphorePermit> {
        self.0.turns.clone().acquire_owned().await.ok()
    }

    /// Operations that could start now without waiting.
    pub fn free_turns(&self) -> usize {
        self.0.turns.available_permits()
    }

    /// Steps 1 and 2: who asks, and whether the document may run at all.
    async fn admit(
        &self,
        mut request: Request,
        session: Option<&Data>,
    ) -> Result<(Request, Echo), Box<Response>> {
        let mut echo = Echo {
            query: request.query.clone(),
            variables: request.variables.clone(),
            order: KeyOrder::default(),
            kind: None,
        };
        let refuse = |error: ServerError, echo: &Echo| {
            Err(Box::new(finish(Response::from_errors(vec![error]), echo)))
        };

        let operation_name = request.operation_name.clone();
        let variables = request.variables.clone();
        // The HTTP layer primes its requests itself (it reads the document to decide whether to
        // read the viewer) and sends them with their context; others are primed here.
        if data_of::<RequestContext>(&request.data).is_none() {
            self.prime(&mut request);
        }
        let open_to_anyone = match request.parsed_query() {
            Ok(document) => {
                echo.kind = guard::operation_type(document, operation_name.as_deref());
                guard::is_anonymous_operation(document, operation_name.as_deref())
            }
            Err(e) => return refuse(e, &echo),
        };
        if let Some(session) = session.and_then(data_of::<guard::SocketSession>) {
            let Some(state) = &self.0.state else {
                return refuse(
                    app_error(AppError::internal("application state missing")),
                    &echo,
                );
            };
            // A socket: the viewer of this operation is read now, with the grants of now, for
            // every operation, so that a socket whose token is no longer valid is closed.
            match session.viewer(state).await {
                Ok(viewer) => request = request.data(session.context(viewer)),
                Err(e) => return refuse(app_error(e), &echo),
            }
        }
        let viewer = data_of::<RequestContext>(&request.data).and_then(|c| c.viewer.clone());
        if let Some(state) = &self.0.state
            && data_of::<LazyLoaders>(&request.data).is_none()
        {
            let loaders = LazyLoaders::new(
                state.db.read.clone(),
                viewer.clone(),
                state.clock.today(),
                echo.kind == Some(OperationType::Query),
            );
            request = request.data(loaders);
        }
        if viewer.is_none() && !open_to_anyone {
            return refuse(app_error(AppError::Unauthenticated), &echo);
        }
        let document = match request.parsed_query() {
            Ok(document) => document,
            Err(e) => return refuse(e, &echo),
        };
        let shape = match &self.0.shape {
            Ok(shape) => shape,
            Err(e) => return refuse(app_error(AppError::internal(e)), &echo),
        };
        if let Err(e) = limits::check_document(document, &variables, shape, &self.0.limits) {
            return refuse(e, &echo);
        }
        if let Some(field) = input_errors::nul_field(document, &variables) {
            let message = format!("{field} must not contain the NUL character (U+0000)");
            return refuse(app_error(AppError::bad_input(&field, message)), &echo);
        }
        // Only now: the limits bound how far fragments expand.
        echo.order = KeyOrder::of_operation(document, operation_name.as_deref());
        Ok((request, echo))
    }
}

impl Executor for Api {
    async fn execute(&self, request: Request) -> Response {
        Api::execute(self, request).await
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let api = self.clone();
        stream::once(async move {
            let session = session_data.unwrap_or_default();
            let mut turn = api.turn().await;
            match api.admit(request, Some(&session)).await {
                Ok((request, echo)) => {
                    if echo.kind == Some(OperationType::Subscription) {
                        // It may stream for hours: its events do not hold a turn.
                        turn = None;
                    }
                    api.0
                        .schema
                        .execute_stream_with_session_data(request, session)
                        .map(move |response| {
                            let _held_until_the_stream_ends = &turn;
                            finish(response, &echo)
                        })
                        .boxed()
                }
                Err(refusal) => stream::once(async move { *refusal }).boxed(),
            }
        })
        .flatten()
        .boxed()
    }
}

fn data_of<T: 'static>(data: &Data) -> Option<&T> {
    data.get(&TypeId::of::<T>())
        .and_then(|d| d.downcast_ref::<T>())
}

fn app_error(error: AppError) -> ServerError {
    let mut server_error = ServerError::new(error.to_string(), None);
    server_error.source = Some(Arc::new(error));
    server_error
}

/// Step 4: every error gets its code, and the data the order of the selection set.
fn finish(mut response: Response, echo: &Echo) -> Response {
    echo.order.apply(&mut response.data);
    for error in &mut response.errors {
        input_errors::name_field(error, &echo.query, &echo.variables);
        errors::classify(error);
    }
    response
}

#[cfg(test)]
mod tests {
    use async_graphql::value;

    use super::*;
    use crate::config::DEFAULT_MAX_OPERATIONS;

    /// With every turn taken, an operation waits (however often the runtime polls it) and runs
    /// as soon as one is given back; its own turn is given back when it has answered.
    #[tokio::test]
    async fn an_operation_waits_for_a_turn() {
        let api = Api::new(None);
        assert_eq!(api.free_turns(), DEFAULT_MAX_OPERATIONS);
        let mut held = Vec::new();
        for _ in 0..DEFAULT_MAX_OPERATIONS {
            held.push(api.turn().await);
        }
        assert_eq!(api.free_turns(), 0);
        let waiting = tokio::spawn({
            let api = api.clone();
            async move { api.execute("{ __typename }").await }
        });
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        assert!(!waiting.is_finished());

        held.pop();
        let response = waiting.await.unwrap();
        assert_eq!(response.data, value!({ "__typename": "Query" }));
        assert!(response.errors.is_empty());
        assert_eq!(api.free_turns(), 1);
        drop(held);
        assert_eq!(api.free_turns(), DEFAULT_MAX_OPERATIONS);
    }
}
