//! Checks of a parsed document against the request limits, made before validation and before
//! anything runs, so they hold on every transport: only known directives in their places, a
//! bounded number of fields, a bounded number of nodes a query may return, and a few mutation
//! fields per operation. `check_document` is the one entry point; the gate
//! ([`Api`](super::gate::Api)) calls it on every document before the schema sees it. That
//! order matters: async-graphql's own validation measures the nesting of fragments by expanding
//! every spread, and a 1 KB document of 26 fragments that each spread the one before twice took
//! it 55 seconds (debug build); checked first, such a document is refused at once.
//!
//! Every count is computed once per fragment (fragments are summarized, then resolved in
//! dependency order) with saturating arithmetic, so a "bomb" of fragments that each spread the
//! previous one twice costs as much to refuse as it costs to read.

use std::collections::{HashMap, HashSet};

use async_graphql::{
    ErrorExtensionValues, Pos, Positioned, ServerError, Value, Variables,
    parser::{
        parse_schema,
        types::{
            BaseType, Directive, DirectiveLocation, ExecutableDocument, Field, OperationDefinition,
            OperationType, Selection, SelectionSet, Type, TypeKind, TypeSystemDefinition,
            VariableDefinition,
        },
    },
};

use crate::{
    config::ServerConfig,
    services::pagination::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE},
};

/// The limits `check_document` holds a document to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryLimits {
    /// Most nodes an operation may return, counted like GitHub's GraphQL API counts them (see
    /// `node_count`).
    pub max_nodes: u64,
    /// Most fields a document may select, `__typename` included, each fragment counted once
    /// per spread.
    pub max_fields: u64,
    /// Most root fields of a mutation operation (aliases count, `__typename` does not).
    pub max_mutation_fields: u64,
}

impl QueryLimits {
    pub fn from_config(config: &ServerConfig) -> Self {
        Self {
            max_nodes: config.max_query_nodes,
            max_fields: config.max_query_fields,
            max_mutation_fields: u64::try_from(config.max_mutation_fields).unwrap_or(u64::MAX),
        }
    }
}

/// What the checks need to know about the schema: the named type each field returns, which
/// fields are connections, and which directives a document may use where. Built from the SDL,
/// so a new connection is counted without anyone keeping a list.
#[derive(Debug, Clone, Default)]
pub struct SchemaShape {
    /// Fields of every object and interface type, by type name then field name.
    types: HashMap<String, HashMap<String, FieldShape>>,
    query: String,
    mutation: String,
    subscription: String,
    /// Executable directives and where they may appear.
    directives: HashMap<String, Vec<DirectiveLocation>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct FieldShape {
    /// The named type the field returns, lists and non-null unwrapped.
    ty: String,
    kind: FieldKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldKind {
    Plain,
    /// Returns a `...Connection` and takes `first`: a page of `first` or `last` nodes.
    Connection,
    /// Takes a list argument `ids` (`nodes(ids:)`): one node per id.
    ById,
}

impl SchemaShape {
    /// Reads the shape from SDL as `Schema::sdl()` prints it.
    pub fn from_sdl(sdl: &str) -> Result<Self, String> {
        let document = parse_schema(sdl).map_err(|e| format!("cannot read the SDL: {e}"))?;
        let mut shape = Self {
            query: "Query".to_owned(),
            mutation: "Mutation".to_owned(),
            subscription: "Subscription".to_owned(),
            ..Self::default()
        };
        for definition in document.definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    let schema = schema.node;
                    if let Some(name) = schema.query {
                        shape.query = name.node.to_string();
                    }
                    if let Some(name) = schema.mutation {
                        shape.mutation = name.node.to_string();
                    }
                    if let Some(name) = schema.subscription {
                        shape.subscription = name.node.to_string();
                    }
                }
                TypeSystemDefinition::Type(ty) => {
                    let ty = ty.node;
                    let fields = match ty.kind {
                        TypeKind::Object(object) => object.fields,
                        TypeKind::Interface(interface) => interface.fields,
                        _ => continue,
                    };
                    let fields = fields
                        .into_iter()
                        .map(|field| {
                            let field = field.node;
                            let returns = named_type(&field.ty.node).to_owned();
                            let argument = |name: &str| {
                                field
                                    .arguments
                                    .iter()
                                    .find(|a| a.node.name.node.as_str() == name)
                            };
                            let kind =
                                if returns.ends_with("Connection") && argument("first").is_some() {
                                    FieldKind::Connection
                                } else if argument("ids").is_some_and(|a| {
                                    matches!(a.node.ty.node.base, BaseType::List(_))
                                }) {
                                    FieldKind::ById
                                } else {
                                    FieldKind::Plain
                                };
                            (
                                field.name.node.to_string(),
                                FieldShape { ty: returns, kind },
                            )
                        })
                        .collect();
                    shape.types.insert(ty.name.node.to_string(), fields);
                }
                TypeSystemDefinition::Directive(directive) => {
                    let directive = directive.node;
                    let locations: Vec<DirectiveLocation> = directive
                        .locations
                        .into_iter()
                        .map(|l| l.node)
                        .filter(is_executable_location)
                        .collect();
                    if !locations.is_empty() {
                        shape
                            .directives
                            .insert(directive.name.node.to_string(), locations);
                    }
                }
            }
        }
        Ok(shape)
    }

    fn field(&self, ty: Option<&str>, name: &str) -> Option<&FieldShape> {
        self.types.get(ty?)?.get(name)
    }

    fn root(&self, operation: OperationType) -> &str {
        match operation {
            OperationType::Query => &self.query,
            OperationType::Mutation => &self.mutation,
            OperationType::Subscription => &self.subscription,
        }
    }
}

fn named_type(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named_type(inner),
    }
}

fn is_executable_location(location: &DirectiveLocation) -> bool {
    matches!(
        location,
        DirectiveLocation::Query
            | DirectiveLocation::Mutation
            | DirectiveLocation::Subscription
            | DirectiveLocation::Field
            | DirectiveLocation::FragmentDefinition
            | DirectiveLocation::FragmentSpread
            | DirectiveLocation::InlineFragment
            | DirectiveLocation::VariableDefinition
    )
}

/// Checks a parsed document against the limits: directives first, then the number of fields
/// (which bounds the work of every later check and of validation), the number of nodes each
/// operation may return, and the root fields of each mutation operation. Every operation of
/// the document is checked, whichever one the request names.
pub fn check_document(
    document: &ExecutableDocument,
    variables: &Variables,
    shape: &SchemaShape,
    limits: &QueryLimits,
) -> Result<(), ServerError> {
    check_directives(document, shape)?;

    let fields = field_count(document);
    if fields > limits.max_fields {
        return Err(over_limit(
            format!(
                "this document selects {fields} fields (each fragment counted where it is spread); the limit is {}",
                limits.max_fields
            ),
            "query",
            fields,
            limits.max_fields,
            None,
        ));
    }

    for (_, operation) in document.operations.iter() {
        let nodes = node_count(document, &operation.node, variables, shape);
        if nodes > limits.max_nodes {
            return Err(over_limit(
                format!(
                    "this operation may return up to {nodes} nodes (each connection's first or last, default {DEFAULT_PAGE_SIZE}, times those of the connections above it); the limit is {}",
                    limits.max_nodes
                ),
                "query",
                nodes,
                limits.max_nodes,
                Some(operation.pos),
            ));
        }
        if operation.node.ty == OperationType::Mutation {
            let roots = mutation_field_count(document, &operation.node);
            if roots > limits.max_mutation_fields {
                return Err(over_limit(
                    format!(
                        "a request may carry at most {} mutation fields (aliases included); this one has {roots}",
                        limits.max_mutation_fields
                    ),
                    "mutation",
                    roots,
                    limits.max_mutation_fields,
                    Some(operation.pos),
                ));
            }
        }
    }
    Ok(())
}

/// A refusal of a document: BAD_USER_INPUT on `field`, with what it would cost and the limit.
fn over_limit(
    message: String,
    field: &str,
    cost: u64,
    limit: u64,
    pos: Option<Pos>,
) -> ServerError {
    let mut error = ServerError::new(message, pos);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", "BAD_USER_INPUT");
    extensions.set("field", field);
    extensions.set("cost", cost);
    extensions.set("limit", limit);
    error.extensions = Some(extensions);
    error
}

fn bad_directive(message: String, pos: Pos) -> ServerError {
    let mut error = ServerError::new(message, Some(pos));
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", "BAD_USER_INPUT");
    extensions.set("field", "query");
    error.extensions = Some(extensions);
    error
}

/// Refuses any directive the schema does not define as executable, and any executable one in a
/// place its definition does not name (`@skip` on an operation, say). async-graphql's own
/// validation does not look at every place (`__typename`, variable definitions, operations).
pub fn check_directives(
    document: &ExecutableDocument,
    shape: &SchemaShape,
) -> Result<(), ServerError> {
    let checker = DirectiveChecker { shape };
    for (_, operation) in document.operations.iter() {
        let operation = &operation.node;
        let (location, place) = match operation.ty {
            OperationType::Query => (DirectiveLocation::Query, "a query"),
            OperationType::Mutation => (DirectiveLocation::Mutation, "a mutation"),
            OperationType::Subscription => (DirectiveLocation::Subscription, "a subscription"),
        };
        checker.check(&operation.directives, location, place)?;
        for variable in &operation.variable_definitions {
            checker.check(
                &variable.node.directives,
                DirectiveLocation::VariableDefinition,
                "a variable definition",
            )?;
        }
        checker.walk(&operation.selection_set.node)?;
    }
    for fragment in document.fragments.values() {
        checker.check(
            &fragment.node.directives,
            DirectiveLocation::FragmentDefinition,
            "a fragment definition",
        )?;
        checker.walk(&fragment.node.selection_set.node)?;
    }
    Ok(())
}

struct DirectiveChecker<'a> {
    shape: &'a SchemaShape,
}

impl DirectiveChecker<'_> {
    fn check(
        &self,
        directives: &[Positioned<Directive>],
        location: DirectiveLocation,
        place: &str,
    ) -> Result<(), ServerError> {
        for directive in directives {
            let name = directive.node.name.node.as_str();
            match self.shape.directives.get(name) {
                None => {
                    return Err(bad_directive(
                        format!("unknown directive @{name}"),
                        directive.pos,
                    ));
                }
                Some(locations) if !locations.contains(&location) => {
                    return Err(bad_directive(
                        format!("directive @{name} may not be used on {place}"),
                        directive.pos,
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    fn walk(&self, set: &SelectionSet) -> Result<(), ServerError> {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    self.check(&field.node.directives, DirectiveLocation::Field, "a field")?;
                    self.walk(&field.node.selection_set.node)?;
                }
                Selection::FragmentSpread(spread) => self.check(
                    &spread.node.directives,
                    DirectiveLocation::FragmentSpread,
                    "a fragment spread",
                )?,
                Selection::InlineFragment(fragment) => {
                    self.check(
                        &fragment.node.directives,
                        DirectiveLocation::InlineFragment,
                        "an inline fragment",
                    )?;
                    self.walk(&fragment.node.selection_set.node)?;
                }
            }
        }
        Ok(())
    }
}

/// What a selection set contributes without following its fragment spreads: its own count,
/// and each spread with the factor it is counted with.
#[derive(Debug, Default)]
struct Summary<'a> {
    own: u64,
    spreads: Vec<(u64, &'a str)>,
}

/// The count of every fragment: its own count plus its spreads', each fragment resolved once,
/// in dependency order, without recursion (a chain of thousands of fragments is fine). A
/// fragment in a cycle counts 0 where it closes the cycle; validation refuses cycles anyway.
fn resolve<'a>(summaries: &HashMap<&'a str, Summary<'a>>) -> HashMap<&'a str, u64> {
    let mut resolved: HashMap<&'a str, u64> = HashMap::with_capacity(summaries.len());
    let mut in_progress: HashSet<&'a str> = HashSet::new();
    for &start in summaries.keys() {
        if resolved.contains_key(start) {
            continue;
        }
        // Each frame: a fragment and how many of its spreads are done.
        let mut stack: Vec<(&'a str, usize)> = vec![(start, 0)];
        in_progress.insert(start);
        while let Some((name, next)) = stack.pop() {
            let summary = summaries.get(name);
            let pending = summary.and_then(|s| s.spreads.get(next)).map(|(_, t)| *t);
            match pending {
                Some(target)
                    if summaries.contains_key(target)
                        && !resolved.contains_key(target)
                        && !in_progress.contains(target) =>
                {
                    stack.push((name, next + 1));
                    in_progress.insert(target);
                    stack.push((target, 0));
                }
                Some(_) => stack.push((name, next + 1)),
                None => {
                    let total = summary.map_or(0, |s| {
                        s.spreads.iter().fold(s.own, |sum, (factor, target)| {
                            let each = resolved.get(target).copied().unwrap_or(0);
                            sum.saturating_add(factor.saturating_mul(each))
                        })
                    });
                    in_progress.remove(name);
                    resolved.insert(name, total);
                }
            }
        }
    }
    resolved
}

/// Adds the resolved spreads to a summary's own count.
fn total(summary: &Summary<'_>, fragments: &HashMap<&str, u64>) -> u64 {
    summary
        .spreads
        .iter()
        .fold(summary.own, |sum, (factor, target)| {
            let each = fragments.get(target).copied().unwrap_or(0);
            sum.saturating_add(factor.saturating_mul(each))
        })
}

/// Every field the document selects, `__typename` included, each fragment counted once per
/// spread; fragments no operation spreads count once (validation would still read them).
pub fn field_count(document: &ExecutableDocument) -> u64 {
    fn summarize<'a>(set: &'a SelectionSet, factor: u64, summary: &mut Summary<'a>) {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    summary.own = summary.own.saturating_add(factor);
                    summarize(&field.node.selection_set.node, factor, summary);
                }
                Selection::InlineFragment(fragment) => {
                    summarize(&fragment.node.selection_set.node, factor, summary)
                }
                Selection::FragmentSpread(spread) => summary
                    .spreads
                    .push((factor, spread.node.fragment_name.node.as_str())),
            }
        }
    }
    let fragments: HashMap<&str, Summary<'_>> = document
        .fragments
        .iter()
        .map(|(name, fragment)| {
            let mut summary = Summary::default();
            summarize(&fragment.node.selection_set.node, 1, &mut summary);
            (name.as_str(), summary)
        })
        .collect();
    let resolved = resolve(&fragments);
    let mut spread: HashSet<&str> = HashSet::new();
    let mut sum = 0u64;
    for (_, operation) in document.operations.iter() {
        let mut summary = Summary::default();
        summarize(&operation.node.selection_set.node, 1, &mut summary);
        sum = sum.saturating_add(total(&summary, &resolved));
        spread.extend(summary.spreads.iter().map(|(_, name)| *name));
    }
    // Fragments reached only through other fragments count through them; what is left was never
    // spread from an operation.
    let mut queue: Vec<&str> = spread.iter().copied().collect();
    while let Some(name) = queue.pop() {
        if let Some(summary) = fragments.get(name) {
            for (_, target) in &summary.spreads {
                if spread.insert(target) {
                    queue.push(target);
                }
            }
        }
    }
    for (name, count) in &resolved {
        if !spread.contains(name) {
            sum = sum.saturating_add(*count);
        }
    }
    sum
}

/// The nodes an operation may return, as GitHub's GraphQL API counts them: every connection
/// field costs its page size (`first` or `last`, 20 when neither is given) times the page sizes
/// of the connections above it, and `nodes(ids:)` costs one per id; the costs of the whole
/// operation are added up, fragments counted where they are spread. Connections under `@skip`
/// or `@include` count too.
pub fn node_count(
    document: &ExecutableDocument,
    operation: &OperationDefinition,
    variables: &Variables,
    shape: &SchemaShape,
) -> u64 {
    let counter = NodeCounter {
        shape,
        variables,
        definitions: &operation.variable_definitions,
    };
    let fragments: HashMap<&str, Summary<'_>> = document
        .fragments
        .iter()
        .map(|(name, fragment)| {
            let mut summary = Summary::default();
            let ty = fragment.node.type_condition.node.on.node.as_str();
            counter.summarize(&fragment.node.selection_set.node, Some(ty), 1, &mut summary);
            (name.as_str(), summary)
        })
        .collect();
    let resolved = resolve(&fragments);
    let mut summary = Summary::default();
    counter.summarize(
        &operation.selection_set.node,
        Some(shape.root(operation.ty)),
        1,
        &mut summary,
    );
    total(&summary, &resolved)
}

struct NodeCounter<'a> {
    shape: &'a SchemaShape,
    variables: &'a Variables,
    definitions: &'a [Positioned<VariableDefinition>],
}

impl NodeCounter<'_> {
    /// `factor` is the product of the page sizes of the connections above `set`; `ty` its type,
    /// `None` when unknown (a field the schema lacks; validation refuses it later).
    fn summarize<'d>(
        &self,
        set: &'d SelectionSet,
        ty: Option<&str>,
        factor: u64,
        summary: &mut Summary<'d>,
    ) {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let children = &field.selection_set.node;
                    match self.shape.field(ty, field.name.node.as_str()) {
                        Some(shape) => {
                            let size = match shape.kind {
                                FieldKind::Plain => None,
                                FieldKind::Connection => Some(self.page_size(field)),
                                FieldKind::ById => Some(self.ids(field)),
                            };
                            let factor = match size {
                                Some(size) => {
                                    let nodes = factor.saturating_mul(size);
                                    summary.own = summary.own.saturating_add(nodes);
                                    nodes
                                }
                                None => factor,
                            };
                            self.summarize(children, Some(&shape.ty), factor, summary);
                        }
                        None => self.summarize(children, None, factor, summary),
                    }
                }
                Selection::InlineFragment(fragment) => {
                    let fragment = &fragment.node;
                    let ty = match &fragment.type_condition {
                        Some(condition) => Some(condition.node.on.node.as_str()),
                        None => ty,
                    };
                    self.summarize(&fragment.selection_set.node, ty, factor, summary);
                }
                Selection::FragmentSpread(spread) => summary
                    .spreads
                    .push((factor, spread.node.fragment_name.node.as_str())),
            }
        }
    }

    /// `first` or `last` (the larger, should a client give both), or the default page size.
    fn page_size(&self, field: &Field) -> u64 {
        let first = self.argument(field, "first").and_then(as_count);
        let last = self.argument(field, "last").and_then(as_count);
        match (first, last) {
            (None, None) => DEFAULT_PAGE_SIZE,
            (first, last) => first.unwrap_or(0).max(last.unwrap_or(0)),
        }
    }

    /// How many ids `ids` holds (a single id counts one).
    fn ids(&self, field: &Field) -> u64 {
        match self.argument(field, "ids") {
            Some(Value::List(ids)) => u64::try_from(ids.len()).unwrap_or(u64::MAX),
            Some(Value::Null) | None => 0,
            Some(_) => 1,
        }
    }

    /// An argument's value with variables replaced by the request's values (or the variable's
    /// default); `None` when absent or null.
    fn argument(&self, field: &Field, name: &str) -> Option<Value> {
        let value = &field.get_argument(name)?.node;
        let value = value
            .clone()
            .into_const_with(|variable| {
                let value = self.variables.get(&variable).cloned().or_else(|| {
                    self.definitions
                        .iter()
                        .find(|d| d.node.name.node == variable)
                        .and_then(|d| d.node.default_value().cloned())
                });
                Ok::<_, std::convert::Infallible>(value.unwrap_or(Value::Null))
            })
            .ok()?;
        (value != Value::Null).then_some(value)
    }
}

/// A page size from an argument value. Sizes the connection refuses before it reads anything
/// (negative, above `MAX_PAGE_SIZE`, beyond an `Int`) count at most `MAX_PAGE_SIZE`, so that the
/// client hears about the argument (`first must be at most 100`, naming `first`) rather than
/// about the cost.
fn as_count(value: Value) -> Option<u64> {
    match value {
        Value::Number(n) => Some(
            n.as_u64()
                .or_else(|| n.as_f64().filter(|f| *f > 0.0).map(|f| f as u64))
                .unwrap_or(0)
                .min(MAX_PAGE_SIZE),
        ),
        _ => None,
    }
}

/// Root fields of a mutation operation, following fragments as often as they are spread;
/// `__typename` is free.
pub fn mutation_field_count(document: &ExecutableDocument, operation: &OperationDefinition) -> u64 {
    fn summarize<'a>(set: &'a SelectionSet, summary: &mut Summary<'a>) {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) if field.node.name.node.as_str() == "__typename" => {}
                Selection::Field(_) => summary.own = summary.own.saturating_add(1),
                Selection::InlineFragment(fragment) => {
                    summarize(&fragment.node.selection_set.node, summary)
                }
                Selection::FragmentSpread(spread) => summary
                    .spreads
                    .push((1, spread.node.fragment_name.node.as_str())),
            }
        }
    }
    let fragments: HashMap<&str, Summary<'_>> = document
        .fragments
        .iter()
        .map(|(name, fragment)| {
            let mut summary = Summary::default();
            summarize(&fragment.node.selection_set.node, &mut summary);
            (name.as_str(), summary)
        })
        .collect();
    let resolved = resolve(&fragments);
    let mut summary = Summary::default();
    summarize(&operation.selection_set.node, &mut summary);
    total(&summary, &resolved)
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;
    use serde_json::json;

    use super::*;

    const SDL: &str = r#"
        schema { query: Query mutation: Mutation }
        interface Node { id: ID! }
        type Item implements Node {
            id: ID!
            b(first: Int, after: String, last: Int, before: String): ItemConnection!
            notAConnection(first: Int): [Item!]!
            connectionWithoutFirst: ItemConnection!
        }
        type ItemConnection { nodes: [Item!]! edges: [ItemEdge!]! totalCount: Int! }
        type ItemEdge { node: Item! cursor: String! }
        union SearchResult = Item
        type Query {
            a(first: Int, after: String, last: Int, before: String): ItemConnection!
            node(id: ID!): Node
            nodes(ids: [ID!]!): [Node]!
            search: [SearchResult!]!
        }
        type Mutation { m: Int! }
        directive @include(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
        directive @skip(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
        directive @deprecated(reason: String) on FIELD_DEFINITION | ENUM_VALUE
    "#;

    fn shape() -> SchemaShape {
        SchemaShape::from_sdl(SDL).unwrap()
    }

    fn nodes_with(query: &str, variables: serde_json::Value) -> u64 {
        let document = parse_query(query).unwrap();
        let variables = Variables::from_json(variables);
        let shape = shape();
        let costs: Vec<u64> = document
            .operations
            .iter()
            .map(|(_, op)| node_count(&document, &op.node, &variables, &shape))
            .collect();
        assert_eq!(costs.len(), 1);
        costs[0]
    }

    fn nodes(query: &str) -> u64 {
        nodes_with(query, json!({}))
    }

    fn fields(query: &str) -> u64 {
        field_count(&parse_query(query).unwrap())
    }

    #[test]
    fn nested_connections_multiply() {
        assert_eq!(
            nodes("{ a(first: 10) { nodes { b(first: 5) { nodes { id } } } } }"),
            10 + 10 * 5
        );
        assert_eq!(
            nodes(
                "{ a(first: 10) { edges { node { b(first: 5) { edges { node { b(first: 2) { totalCount } } } } } } } }"
            ),
            10 + 50 + 100
        );
        // Siblings add up.
        assert_eq!(
            nodes(
                "{ x: a(first: 3) { totalCount } y: a(first: 4) { nodes { b(first: 1) { totalCount } } } }"
            ),
            3 + 4 + 4
        );
    }

    #[test]
    fn absent_sizes_count_the_default_page() {
        assert_eq!(nodes("{ a { nodes { b { totalCount } } } }"), 20 + 20 * 20);
        assert_eq!(nodes("{ a(first: null) { totalCount } }"), 20);
        assert_eq!(
            nodes("{ a(last: 3) { nodes { b(last: 2) { nodes { id } } } } }"),
            3 + 6
        );
        // Both given (the resolver refuses it): the larger.
        assert_eq!(nodes("{ a(first: 2, last: 7) { totalCount } }"), 7);
        assert_eq!(nodes("{ a(first: -5) { totalCount } }"), 0);
        // Sizes the connection refuses count no more than the largest page.
        assert_eq!(
            nodes("{ a(first: 1000) { nodes { b(last: 2147483648) { totalCount } } } }"),
            100 + 100 * 100
        );
    }

    #[test]
    fn sizes_come_from_variables_and_their_defaults() {
        let query = "query($n: Int, $m: Int = 7) { a(first: $n) { nodes { b(first: $m) { totalCount } } } }";
        assert_eq!(nodes_with(query, json!({ "n": 4 })), 4 + 4 * 7);
        assert_eq!(nodes_with(query, json!({ "n": 4, "m": 100 })), 4 + 400);
        assert_eq!(nodes_with(query, json!({})), 20 + 20 * 7);
        assert_eq!(nodes_with(query, json!({ "m": null })), 20 + 20 * 20);
    }

    #[test]
    fn fragments_count_where_they_are_spread() {
        let fragment = "fragment F on Item { b(first: 5) { totalCount } }";
        assert_eq!(
            nodes(&format!(
                "{{ a(first: 10) {{ nodes {{ ...F }} }} }} {fragment}"
            )),
            10 + 50
        );
        assert_eq!(
            nodes(&format!(
                "{{ a(first: 10) {{ nodes {{ ...F ...F }} }} }} {fragment}"
            )),
            10 + 50 + 50
        );
        assert_eq!(
            nodes(&format!(
                "{{ x: a(first: 10) {{ nodes {{ ...F }} }} y: a(first: 3) {{ nodes {{ ...F }} }} ...Top }} \
                 fragment Top on Query {{ a(first: 2) {{ nodes {{ ...F }} }} }} {fragment}"
            )),
            (10 + 50) + (3 + 15) + (2 + 10)
        );
        // A fragment's variables are the operation's.
        assert_eq!(
            nodes_with(
                "query($k: Int) { a(first: 2) { nodes { ...G } } } fragment G on Item { b(first: $k) { totalCount } }",
                json!({ "k": 9 })
            ),
            2 + 18
        );
    }

    #[test]
    fn types_are_followed_through_interfaces_unions_and_fragments() {
        assert_eq!(
            nodes(
                "{ node(id: \"x\") { id ... on Item { b(first: 4) { nodes { b(first: 3) { totalCount } } } } } }"
            ),
            4 + 12
        );
        assert_eq!(
            nodes("{ search { ... on Item { b(first: 2) { totalCount } } } }"),
            2
        );
        assert_eq!(
            nodes("{ node(id: \"x\") { ...I } } fragment I on Item { b(first: 6) { totalCount } }"),
            6
        );
        // Inline fragments without a type keep the type they are in.
        assert_eq!(
            nodes("{ a(first: 5) { nodes { ... { b(first: 5) { totalCount } } } } }"),
            5 + 25
        );
    }

    #[test]
    fn nodes_by_id_count_one_per_id() {
        assert_eq!(
            nodes(
                "{ nodes(ids: [\"1\", \"2\", \"3\"]) { ... on Item { b(first: 5) { totalCount } } } }"
            ),
            3 + 15
        );
        assert_eq!(
            nodes_with(
                "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
                json!({ "ids": ["1", "2", "3", "4"] })
            ),
            4
        );
    }

    #[test]
    fn only_connections_with_first_count() {
        assert_eq!(
            nodes(
                "{ a(first: 2) { nodes { notAConnection(first: 50) { id } connectionWithoutFirst { totalCount } } } }"
            ),
            2
        );
        // Unknown fields (validation refuses them later) count nothing below them.
        assert_eq!(nodes("{ unknown { a(first: 50) { totalCount } } }"), 0);
    }

    #[test]
    fn every_field_counts_once_per_spread() {
        assert_eq!(fields("{ a { nodes { id } } __typename }"), 4);
        assert_eq!(
            fields("{ ...F ...F } fragment F on Query { __typename a { totalCount } }"),
            6
        );
        assert_eq!(
            fields("{ a { nodes { ... on Item { id ...G } } } } fragment G on Item { id }"),
            4
        );
        // A fragment no operation spreads is still read once.
        assert_eq!(
            fields("{ __typename } fragment U on Query { __typename x: __typename }"),
            3
        );
        // Every operation of a document counts.
        assert_eq!(fields("query A { __typename } query B { __typename }"), 2);
    }

    #[test]
    fn a_fragment_bomb_is_counted_without_expanding_it() {
        let bomb = |levels: usize| {
            let mut query = String::from("{ ...F0 } fragment F0 on Query { __typename }");
            for k in 1..=levels {
                query.push_str(&format!(
                    " fragment F{k} on Query {{ ...F{} ...F{} }}",
                    k - 1,
                    k - 1
                ));
            }
            query.replace("{ ...F0 }", &format!("{{ ...F{levels} }}"))
        };
        assert_eq!(fields(&bomb(3)), 8);
        assert_eq!(fields(&bomb(40)), 1 << 40);
        assert_eq!(fields(&bomb(70)), u64::MAX);
        let document = parse_query(bomb(70)).unwrap();
        let error =
            check_document(&document, &Variables::default(), &shape(), &limits()).unwrap_err();
        assert!(error.message.contains("fields"), "{}", error.message);
    }

    #[test]
    fn fragment_cycles_end() {
        // Validation refuses cycles; counting must still end (the spread that closes the cycle
        // counts nothing, which one depends on where counting starts).
        let count = fields(
            "{ ...A } fragment A on Query { __typename ...B } fragment B on Query { __typename ...A }",
        );
        assert!((1..=2).contains(&count), "{count}");
    }

    #[test]
    fn mutation_fields_count_root_fields_only() {
        let document = parse_query(
            "mutation { a: m b: m __typename ...F ... { e: m } } fragment F on Mutation { c: m d: m }",
        )
        .unwrap();
        let (_, operation) = document.operations.iter().next().unwrap();
        assert_eq!(mutation_field_count(&document, &operation.node), 5);
    }

    fn limits() -> QueryLimits {
        QueryLimits {
            max_nodes: 100,
            max_fields: 20,
            max_mutation_fields: 2,
        }
    }

    fn check(query: &str) -> Result<(), ServerError> {
        check_document(
            &parse_query(query).unwrap(),
            &Variables::default(),
            &shape(),
            &limits(),
        )
    }

    fn refusal(query: &str) -> (String, serde_json::Value) {
        let error = check(query).unwrap_err();
        let extensions = serde_json::to_value(error.extensions.unwrap()).unwrap();
        (error.message, extensions)
    }

    #[test]
    fn refusals_name_the_cost_and_the_limit() {
        assert!(check("{ a(first: 10) { nodes { b(first: 9) { totalCount } } } }").is_ok());
        let (message, extensions) =
            refusal("{ a(first: 10) { nodes { b(first: 10) { totalCount } } } }");
        assert_eq!(
            extensions,
            json!({ "code": "BAD_USER_INPUT", "field": "query", "cost": 110, "limit": 100 })
        );
        assert!(
            message.contains("110") && message.contains("100"),
            "{message}"
        );

        let many = format!("{{ {} }}", "__typename ".repeat(21));
        let (_, extensions) = refusal(&many);
        assert_eq!(
            extensions,
            json!({ "code": "BAD_USER_INPUT", "field": "query", "cost": 21, "limit": 20 })
        );
        assert!(check(&format!("{{ {} }}", "__typename ".repeat(20))).is_ok());

        let (_, extensions) = refusal("mutation { a: m b: m c: m }");
        assert_eq!(
            extensions,
            json!({ "code": "BAD_USER_INPUT", "field": "mutation", "cost": 3, "limit": 2 })
        );
        // Any operation of the document, not only the one that would run.
        assert!(check("query Q { __typename } mutation M { a: m b: m c: m }").is_err());
    }

    #[test]
    fn unknown_directives_are_refused_everywhere() {
        for query in [
            "query @foo { __typename }",
            "mutation @foo { m }",
            "query($x: Int @foo) { __typename }",
            "{ __typename @foo }",
            "{ a @foo { totalCount } }",
            "{ a { nodes { id @foo } } }",
            "{ ...F @foo } fragment F on Query { __typename }",
            "{ ... @foo { __typename } }",
            "{ ... on Query @foo { __typename } }",
            "{ ...F } fragment F on Query @foo { __typename }",
            "{ ...F } fragment F on Query { a { nodes { id @foo } } }",
            // Defined, but not for documents.
            "{ __typename @deprecated }",
        ] {
            let (message, extensions) = refusal(query);
            assert_eq!(extensions["code"], "BAD_USER_INPUT", "{query}");
            assert!(
                message.contains("@foo") || message.contains("@deprecated"),
                "{query}: {message}"
            );
        }
    }

    #[test]
    fn skip_and_include_only_where_they_belong() {
        for query in [
            "{ __typename @skip(if: true) a { totalCount } }",
            "{ a @include(if: false) { totalCount } ...F @skip(if: false) ... @include(if: true) { __typename } } fragment F on Query { __typename }",
        ] {
            assert!(check(query).is_ok(), "{query}");
        }
        for query in [
            "query @skip(if: true) { __typename }",
            "query($x: Int @include(if: true)) { __typename }",
            "{ ...F } fragment F on Query @skip(if: true) { __typename }",
        ] {
            let (message, _) = refusal(query);
            assert!(message.contains("may not be used on"), "{query}: {message}");
        }
    }

    /// The README's example queries: each ```graphql block, split at its `# title` lines.
    fn readme_queries() -> Vec<(String, String)> {
        let readme = include_str!("../../../README.md");
        let mut queries = Vec::new();
        for block in readme.split("```graphql").skip(1) {
            let block = block.split("```").next().unwrap();
            let mut title = String::new();
            let mut text = String::new();
            for line in block.lines().chain(["# end"]) {
                if let Some(comment) = line.trim().strip_prefix('#') {
                    if !text.trim().is_empty() {
                        queries.push((title.clone(), std::mem::take(&mut text)));
                    }
                    title = comment.trim().to_owned();
                } else {
                    text.push_str(line);
                    text.push('\n');
                }
            }
        }
        queries
    }

    /// The real schema's costs, written by hand: the README's queries, the demo test's query,
    /// GraphiQL's introspection query.
    #[test]
    fn the_real_schema_counts_as_written_by_hand() {
        let shape = SchemaShape::from_sdl(crate::graphql::Api::new(None).source_sdl()).unwrap();
        let limits = QueryLimits::from_config(&ServerConfig::default());
        let mut directives: Vec<&str> = shape.directives.keys().map(String::as_str).collect();
        directives.sort_unstable();
        assert_eq!(directives, ["include", "skip"]);
        let measure = |query: &str| {
            let document = parse_query(query).unwrap();
            let (_, operation) = document.operations.iter().next().unwrap();
            let nodes = node_count(&document, &operation.node, &Variables::default(), &shape);
            assert!(check_document(&document, &Variables::default(), &shape, &limits).is_ok());
            (nodes, field_count(&document))
        };
        // (nodes, fields): linkageGroups 20 + 20 * members 30; organizations 20 + 20 * people
        // 5; organizations 20 + 20 * descendants 20 (ancestors is a plain list).
        let expected: HashMap<&str, (u64, u64)> = HashMap::from([
            ("The committee's members, with their area", (620, 16)),
            (
                "Villages of the town, with their secretaries and first secretaries",
                (120, 14),
            ),
            ("A subtree and a path to the root", (420, 13)),
            // supervisionItems 20; 13 fields.
            ("Overdue items, most urgent first", (20, 13)),
            // supervisionItems 20 + 20 * timeline 3; 18 fields.
            (
                "Items reported to the lead organization or under supervision",
                (80, 18),
            ),
            // supervisionItems 20 (coResponsible is a plain list); 11 fields.
            ("Due within three working days", (20, 11)),
            // linkageGroups 20 + 20 * supervisionRounds 2 + 40 * items 20; 27 fields.
            (
                "The current round and the last closed one, with its frozen snapshot",
                (860, 27),
            ),
            // linkageGroups 20 (statistics' lists are plain lists); 32 fields.
            (
                "A committee's figures for 2026 (also `statistics(linkageGroupId:, from:, to:)`)",
                (20, 32),
            ),
            // firstSecretaryAssignments 20; 14 fields.
            ("Key villages and their first secretaries", (20, 14)),
            // mentorPairings 20 + 20 * sessions 3; 19 fields.
            ("Neglected pairings, with their latest sessions", (80, 19)),
            // linkageGroups 20; 19 fields.
            ("The committee's mentoring figures for 2026", (20, 19)),
            // linkageGroups 20 (byVillage and byCategory are plain lists); 27 fields.
            ("The town's appeals since 2020", (20, 27)),
        ]);
        let queries = readme_queries();
        assert_eq!(queries.len(), expected.len(), "{queries:?}");
        for (title, query) in &queries {
            let measured = measure(query);
            if let Some(expected) = expected.get(title.as_str()) {
                assert_eq!(measured, *expected, "{title}");
            }
        }
        // The README's curl example and the demo test's members by area.
        assert_eq!(
            measure(
                "{ linkageGroups { edges { node { name members(first: 30) { totalCount } } } } }"
            ),
            (620, 6)
        );
        assert_eq!(
            measure(
                "{ linkageGroups { totalCount edges { node { name leadOrganization { name } \
                 members(first: 100) { totalCount edges { node { role organization { area { name } } } } } } } } }"
            ),
            (20 + 20 * 100, 15)
        );
        // A list screen with details passes, a third level of full pages does not.
        let two = "{ organizations(first: 100) { nodes { name people(first: 100) { nodes { name } } } } }";
        assert_eq!(measure(two).0, 100 + 100 * 100);
        let three = "{ organizations(first: 100) { nodes { children(first: 100) { nodes { people(first: 100) { totalCount } } } } } }";
        let document = parse_query(three).unwrap();
        let error = check_document(&document, &Variables::default(), &shape, &limits).unwrap_err();
        assert_eq!(
            error.extensions.unwrap().get("cost"),
            Some(&Value::from(100 + 100 * 100 + 100 * 100 * 100))
        );
        // GraphiQL's introspection: TypeRef 2 + 9 * 3 = 29 fields, InputValue 6 + 29 = 35,
        // FullType 4 + 71 (fields) + 36 + 30 + 5 + 30 = 176, the operation 1 + 1 + 9 + 177 + 41.
        let introspection = include_str!("../../../tests/api/fixtures/introspection.graphql");
        assert_eq!(measure(introspection), (0, 229));
    }
}
