//! Limits that hold on every transport because the schema enforces them: a mutation operation
//! carries at most a few root fields (aliases count, fragments are followed), so one request
//! cannot multiply an attempt by aliasing it hundreds of times.

use std::{collections::HashSet, sync::Arc};

use async_graphql::{
    ServerResult, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery},
    parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet},
};

use crate::error::AppError;

pub struct MutationFieldLimit {
    pub max: usize,
}

impl ExtensionFactory for MutationFieldLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(MutationFieldLimit { max: self.max })
    }
}

#[async_trait::async_trait]
impl Extension for MutationFieldLimit {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        // Every mutation operation of the document is held to the limit, whichever one the
        // request names: the check runs before the operation is chosen, and before anything runs.
        for (_, operation) in document.operations.iter() {
            if operation.node.ty != OperationType::Mutation {
                continue;
            }
            let fields = count_fields(
                &document,
                &operation.node.selection_set.node,
                &mut HashSet::new(),
            );
            if fields > self.max {
                let error = AppError::bad_input(
                    "mutation",
                    format!(
                        "a request may carry at most {} mutation fields (aliases included); this one has {fields}",
                        self.max
                    ),
                );
                return Err(
                    async_graphql::Error::new_with_source(error).into_server_error(operation.pos)
                );
            }
        }
        Ok(document)
    }
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
