//! Limits that hold on every transport because the gate enforces them: a mutation operation
//! carries at most a few root fields (aliases count, fragments are followed), so one request
//! cannot multiply an attempt by aliasing it hundreds of times.

use std::collections::HashSet;

use async_graphql::{
    ServerError, Variables,
    parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet},
};

use crate::{config::ServerConfig, error::AppError};

/// The limits a document is held to, from the configuration.
#[derive(Debug, Clone)]
pub struct QueryLimits {
    pub max_mutation_fields: usize,
}

impl From<&ServerConfig> for QueryLimits {
    fn from(config: &ServerConfig) -> Self {
        Self {
            max_mutation_fields: config.max_mutation_fields,
        }
    }
}

/// What the limits need to know of the schema.
#[derive(Debug, Clone, Default)]
pub struct SchemaShape;

impl SchemaShape {
    pub fn from_sdl(_sdl: &str) -> Self {
        Self
    }
}

/// Checks a parsed document against the limits before anything runs. Every mutation operation
/// of the document is held to the limit, whichever one the request names.
pub fn check_document(
    document: &ExecutableDocument,
    _variables: &Variables,
    _shape: &SchemaShape,
    limits: &QueryLimits,
) -> Result<(), ServerError> {
    for (_, operation) in document.operations.iter() {
        if operation.node.ty != OperationType::Mutation {
            continue;
        }
        let fields = count_fields(
            document,
            &operation.node.selection_set.node,
            &mut HashSet::new(),
        );
        if fields > limits.max_mutation_fields {
            let error = AppError::bad_input(
                "mutation",
                format!(
                    "a request may carry at most {} mutation fields (aliases included); this one has {fields}",
                    limits.max_mutation_fields
                ),
            );
            return Err(
                async_graphql::Error::new_with_source(error).into_server_error(operation.pos)
            );
        }
    }
    Ok(())
}

/// Root fields of a selection set, following fragments as often as they are spread; `seen` holds
/// the fragments being expanded, to stop cycles (which the validation that runs later refuses).
fn count_fields<'a>(
    document: &'a ExecutableDocument,
    selection_set: &'a SelectionSet,
    seen: &mut HashSet<&'a str>,
) -> usize {
    selection_set
        .items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) if field.node.name.node.as_str() == "__typename" => 0,
            Selection::Field(_) => 1,
            Selection::InlineFragment(fragment) => {
                count_fields(document, &fragment.node.selection_set.node, seen)
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                match document.fragments.get(&spread.node.fragment_name.node) {
                    Some(fragment) if seen.insert(name) => {
                        let n = count_fields(document, &fragment.node.selection_set.node, seen);
                        seen.remove(name);
                        n
                    }
                    _ => 0,
                }
            }
        })
        .sum()
}
