//! Objects whose selection reads their row alone, answered without a future per field.
//!
//! async-graphql resolves every field of every object as a boxed future polled through a
//! `FuturesUnordered`, then gathers the results in a map: about 5,000 instructions for a person
//! of whom only the name is shown, which made the 250 people of a page of 50 organizations
//! (`people(first: 5) { nodes { name } }`) a seventh of the whole request. `Plain<T>` is `T` to
//! the schema (same name, same fields, same registration) and answers a selection made only of
//! [`PlainFields::PLAIN`] fields (and `__typename`), without arguments, directives or fragments,
//! straight from the row; any other selection goes to `T`'s own resolvers as before. A plain
//! field is one whose resolver reads the row and nothing else: no context, no permission, no
//! loader, no argument, so both ways give the same value (`tests/api/plain_fields.rs` compares
//! them for every plain field of every such type).

use std::borrow::Cow;

use async_graphql::{
    ContextSelectionSet, EnumType, OutputType, Positioned, ScalarType, ServerResult, Value,
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

impl<T: OutputType + PlainFields> OutputType for Plain<T> {
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
        match plain_object(&self.0, ctx) {
            Some(value) => Ok(value),
            None => self.0.resolve(ctx, field).await,
        }
    }
}

/// The object's value when every field of the selection is plain, `None` otherwise.
fn plain_object<T: OutputType + PlainFields>(
    object: &T,
    ctx: &ContextSelectionSet<'_>,
) -> Option<Value> {
    let items = &ctx.item.node.items;
    let mut fields = Vec::with_capacity(items.len());
    for selection in items {
        let Selection::Field(field) = &selection.node else {
            return None;
        };
        let field = &field.node;
        let name = field.name.node.as_str();
        if !field.arguments.is_empty()
            || !field.directives.is_empty()
            || !field.selection_set.node.items.is_empty()
            || !(name == "__typename" || T::PLAIN.contains(&name))
        {
            return None;
        }
        fields.push(field);
    }
    let mut map = IndexMap::with_capacity(fields.len());
    for field in fields {
        let name = field.name.node.as_str();
        let value = if name == "__typename" {
            Value::String(object.introspection_type_name().into_owned())
        } else {
            object.plain_field(name)?
        };
        // A response key selected twice keeps its first value, as async-graphql merges them.
        map.entry(field.response_key().node.clone())
            .or_insert(value);
    }
    Some(Value::Object(map))
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
