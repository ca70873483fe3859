//! Objects whose selection reads their row alone, answered without a future per field.
//!
//! async-graphql resolves every field of every object as a boxed future polled through a
//! `FuturesUnordered`, then gathers the results in a map: about 5,000 instructions for a person
//! of whom only the name is shown, which made the 250 people of a page of 50 organizations
//! (`people(first: 5) { nodes { name } }`) a seventh of the whole request. `Plain<T>` is `T` to
//! the schema (same name, same fields, same registration). Given a selection of fields without
//! directives or fragments, it reads its [`PlainFields::PLAIN`] fields (and `__typename`)
//! straight from the row and resolves the others through `T`'s own resolvers, together, without
//! a box per field; any other selection goes to `T` as a whole, as before. A plain field is one
//! whose resolver reads the row and nothing else: no context, no permission, no loader, no
//! argument, so both ways give the same value (`tests/api/plain_fields.rs` compares them for
//! every plain field of every such type, alone and beside other fields).

use std::{borrow::Cow, future::Future, pin::Pin};

use async_graphql::{
    ContainerType, ContextSelectionSet, EnumType, OutputType, Positioned, ScalarType, ServerResult,
    Value,
    indexmap::IndexMap,
    parser::types::{Field, Selection},
    registry::Registry,
    resolver_utils::enum_value,
};

/// The fields of an object type that read its row alone.
pub trait PlainFields {
    /// The names of the plain fields.
    const PLAIN: &'static [&'static str];

    /// The value of the plain field `name`, as its resolver gives it; `None` for any other field.
    fn plain_field(&self, name: &str) -> Option<Value>;
}

/// `T`, answering selections of plain fields directly (see the module's documentation). Use it
/// for every connection of `T` alike: a connection type is registered under its node's name, and
/// two Rust types may not register the same name.
pub struct Plain<T>(pub T);

impl<T: ContainerType + PlainFields> OutputType for Plain<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        self.0.introspection_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        match fields_alone(ctx) {
            // Boxed once per object: an object's fields may hold objects of its own type (an
            // organization's parent), and a future cannot hold itself.
            Some(fields) => {
                let resolving: BoxFuture<'_, Value> =
                    Box::pin(resolve_fields(&self.0, ctx, fields));
                Ok(resolving.await)
            }
            None => self.0.resolve(ctx, field).await,
        }
    }
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The fields of the selection, when it holds nothing else (no fragment) and none of them has a
/// directive.
fn fields_alone<'a>(ctx: &ContextSelectionSet<'a>) -> Option<Vec<&'a Positioned<Field>>> {
    let items = &ctx.item.node.items;
    let mut fields = Vec::with_capacity(items.len());
    for selection in items {
        let Selection::Field(field) = &selection.node else {
            return None;
        };
        if !field.node.directives.is_empty() {
            return None;
        }
        fields.push(field);
    }
    Some(fields)
}

/// The object's value: its plain fields from the row, the others through their resolvers, all
/// of them together, as async-graphql resolves a selection (a field whose resolver fails is
/// left out and its error reported; a response key selected twice keeps its first value).
async fn resolve_fields<T: ContainerType + PlainFields>(
    object: &T,
    ctx: &ContextSelectionSet<'_>,
    fields: Vec<&Positioned<Field>>,
) -> Value {
    let mut values: Vec<Option<Value>> = Vec::with_capacity(fields.len());
    let mut resolved = Vec::new();
    for (n, field) in fields.iter().enumerate() {
        let name = field.node.name.node.as_str();
        let value = if name == "__typename" {
            Some(Value::String(object.introspection_type_name().into_owned()))
        } else if T::PLAIN.contains(&name) {
            object.plain_field(name)
        } else {
            None
        };
        if value.is_none() {
            resolved.push((n, ctx.with_field(field)));
        }
        values.push(value);
    }
    if !resolved.is_empty() {
        let results =
            futures_util::future::join_all(resolved.iter().map(|(_, c)| object.resolve_field(c)))
                .await;
        for ((n, _), result) in resolved.iter().zip(results) {
            match result {
                Ok(value) => values[*n] = Some(value.unwrap_or_default()),
                Err(error) => ctx.add_error(error),
            }
        }
    }
    let mut map = IndexMap::with_capacity(fields.len());
    for (field, value) in fields.iter().zip(values) {
        if let Some(value) = value {
            map.entry(field.node.response_key().node.clone())
                .or_insert(value);
        }
    }
    if map.is_empty() {
        Value::Null
    } else {
        Value::Object(map)
    }
}

/// A string field's value.
pub fn string(value: &str) -> Value {
    Value::String(value.to_owned())
}

/// An optional string field's value.
pub fn optional_string(value: Option<&str>) -> Value {
    value.map_or(Value::Null, string)
}

/// An enum field's value.
pub fn enumerated<E: EnumType>(value: E) -> Value {
    enum_value(value)
}

/// An optional enum field's value.
pub fn optional_enum<E: EnumType>(value: Option<E>) -> Value {
    value.map_or(Value::Null, enum_value)
}

/// A scalar field's value.
pub fn scalar<S: ScalarType>(value: &S) -> Value {
    value.to_value()
}

/// An optional scalar field's value.
pub fn optional_scalar<S: ScalarType>(value: Option<&S>) -> Value {
    value.map_or(Value::Null, ScalarType::to_value)
}
