//! Responses in the order of the selection set (GraphQL specification 7.2.2 and CollectFields):
//! async-graphql resolves the fields of an object concurrently and adds each to the response as
//! it completes, so two identical requests could answer with their fields in different orders.
//! The gate puts every object of a response back into the order in which its response keys first
//! appear in the operation, fragments expanded where they are spread.
//!
//! The order is worked out once per operation from the document alone: type conditions and
//! `@skip`/`@include` only leave keys out of an object, which does not change the relative order
//! of those that remain.

use async_graphql::{
    Name, Value,
    parser::types::{
        DocumentOperations, ExecutableDocument, OperationDefinition, Selection, SelectionSet,
    },
};

/// The response keys of one object, in selection order, each with the order of its own value.
#[derive(Debug, Default, PartialEq)]
pub struct KeyOrder {
    keys: Vec<(Name, KeyOrder)>,
}

/// Fragments may only be spread this deep; validation refuses cycles, but the order is also
/// worked out for documents that validation has not seen yet.
const MAX_FRAGMENT_DEPTH: usize = 64;

impl KeyOrder {
    /// The order of the operation that `operation_name` picks in `document`, or none when it
    /// picks no operation (the request then fails anyway).
    pub fn of_operation(document: &ExecutableDocument, operation_name: Option<&str>) -> Self {
        let operation: Option<&OperationDefinition> = match (&document.operations, operation_name) {
            (DocumentOperations::Single(op), _) => Some(&op.node),
            (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| &op.node),
            (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
                ops.values().next().map(|op| &op.node)
            }
            (DocumentOperations::Multiple(_), None) => None,
        };
        operation
            .map(|op| Self::of_sets(document, &[&op.selection_set.node]))
            .unwrap_or_default()
    }

    /// The merged order of the selection sets `sets` (the sets of every field with one response
    /// key, CollectFields' "fields" for that key).
    fn of_sets(document: &ExecutableDocument, sets: &[&SelectionSet]) -> Self {
        let mut grouped: Vec<(Name, Vec<&SelectionSet>)> = Vec::new();
        for set in sets {
            collect(document, set, &mut grouped, 0);
        }
        Self {
            keys: grouped
                .into_iter()
                .map(|(key, subsets)| {
                    let order = if subsets.is_empty() {
                        Self::default()
                    } else {
                        Self::of_sets(document, &subsets)
                    };
                    (key, order)
                })
                .collect(),
        }
    }

    fn position(&self, key: &Name) -> usize {
        self.keys
            .iter()
            .position(|(k, _)| k == key)
            .unwrap_or(usize::MAX)
    }

    /// Puts every object in `value` (lists followed) into this order.
    pub fn apply(&self, value: &mut Value) {
        if self.keys.is_empty() {
            return;
        }
        match value {
            Value::Object(map) => {
                // One walk through the object and the keys together: each key is looked for
                // after the one before it, so an object already in order (most are) costs one
                // comparison per key.
                let mut next = 0;
                let mut sorted = true;
                for (key, child) in map.iter_mut() {
                    let found = match self.keys[next..].iter().position(|(k, _)| k == key) {
                        Some(offset) => {
                            next += offset + 1;
                            Some(&self.keys[next - 1].1)
                        }
                        None => {
                            sorted = false;
                            self.keys.iter().find(|(k, _)| k == key).map(|(_, o)| o)
                        }
                    };
                    if let Some(order) = found {
                        order.apply(child);
                    }
                }
                if !sorted {
                    map.sort_by(|k1, _, k2, _| self.position(k1).cmp(&self.position(k2)));
                }
            }
            Value::List(items) => {
                for item in items {
                    self.apply(item);
                }
            }
            _ => {}
        }
    }
}

/// Adds the fields of `set` to `grouped` by response key, in the order they first appear, with
/// fragments expanded in place.
fn collect<'d>(
    document: &'d ExecutableDocument,
    set: &'d SelectionSet,
    grouped: &mut Vec<(Name, Vec<&'d SelectionSet>)>,
    depth: usize,
) {
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => {
                let field = &field.node;
                let key = field.response_key().node.clone();
                let index = match grouped.iter().position(|(k, _)| *k == key) {
                    Some(index) => index,
                    None => {
                        grouped.push((key, Vec::new()));
                        grouped.len() - 1
                    }
                };
                if !field.selection_set.node.items.is_empty() {
                    grouped[index].1.push(&field.selection_set.node);
                }
            }
            Selection::InlineFragment(fragment) => {
                collect(document, &fragment.node.selection_set.node, grouped, depth);
            }
            Selection::FragmentSpread(spread) => {
                if depth >= MAX_FRAGMENT_DEPTH {
                    continue;
                }
                if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node) {
                    collect(
                        document,
                        &fragment.node.selection_set.node,
                        grouped,
                        depth + 1,
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn ordered(query: &str, response: serde_json::Value) -> String {
        let document = parse_query(query).unwrap();
        let order = KeyOrder::of_operation(&document, None);
        let mut value = Value::from_json(response).unwrap();
        order.apply(&mut value);
        serde_json::to_string(&value).unwrap()
    }

    #[test]
    fn objects_follow_the_selection_set_through_lists_aliases_and_fragments() {
        // The response as a concurrent resolver might produce it: keys in completion order.
        let response = serde_json::json!({
            "b": { "nodes": [ { "y": 1, "x": 2 }, { "x": 3, "y": 4 } ], "total": 2 },
            "a": "first",
            "c": { "q": true, "p": false }
        });
        let query = r#"
            query { a b: list { total nodes { x ...Y } } ...C }
            fragment Y on Node { y }
            fragment C on Query { c { ... on T { p } q } }
        "#;
        assert_eq!(
            ordered(query, response),
            r#"{"a":"first","b":{"total":2,"nodes":[{"x":2,"y":1},{"x":3,"y":4}]},"c":{"p":false,"q":true}}"#
        );
    }

    #[test]
    fn a_key_selected_twice_keeps_its_first_place_and_merges_its_fields() {
        let response = serde_json::json!({ "z": 0, "o": { "second": 2, "first": 1 } });
        let query = "{ o { first } z o { second } }";
        assert_eq!(
            ordered(query, response),
            r#"{"o":{"first":1,"second":2},"z":0}"#
        );
    }

    #[test]
    fn named_operations_are_picked_by_name() {
        let document = parse_query("query A { x y } query B { y x }").unwrap();
        let mut value = Value::from_json(serde_json::json!({ "x": 1, "y": 2 })).unwrap();
        KeyOrder::of_operation(&document, Some("B")).apply(&mut value);
        assert_eq!(serde_json::to_string(&value).unwrap(), r#"{"y":2,"x":1}"#);
    }
}
