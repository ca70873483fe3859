//! Names the input field of the argument errors async-graphql raises itself (a `Date` out of
//! range, an `Int` beyond 32 bits), as `extensions.field`, like every refusal of the services.
//! Arguments of mutations are named without their `input.` prefix (`startsAt`), filters with
//! theirs (`filter.toDate`).

use std::sync::{Arc, Mutex};

use async_graphql::{
    Response, ServerError, ServerResult, Value, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest},
    parser::types::{ExecutableDocument, Selection, SelectionSet},
};

use super::scalars::{DATE_HINT, DATE_TIME_HINT};
use crate::error::AppError;

const INT_HINT: &str = "expected a whole number from -2147483648 to 2147483647";

pub struct InputErrors;

impl ExtensionFactory for InputErrors {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(InputErrorsExtension::default())
    }
}

/// One request's query text and variables, kept to find the offending value when an error
/// does not say where it is.
#[derive(Default)]
struct InputErrorsExtension {
    request: Mutex<Option<(String, Variables)>>,
}

#[async_trait::async_trait]
impl Extension for InputErrorsExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        if let Ok(mut request) = self.request.lock() {
            *request = Some((query.to_owned(), variables.clone()));
        }
        next.run(ctx, query, variables).await
    }

    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        if response.errors.is_empty() {
            return response;
        }
        let request = self.request.lock().ok().and_then(|mut r| r.take());
        for error in &mut response.errors {
            name_field(error, request.as_ref());
        }
        response
    }
}

fn name_field(error: &mut ServerError, request: Option<&(String, Variables)>) {
    if error.source::<AppError>().is_some() {
        return;
    }
    let (field, type_name) =
        if let Some(rest) = error.message.strip_prefix("Invalid value for argument \"") {
            // `Invalid value for argument "filter.toDate", expected type "Date"`
            let Some((path, rest)) = rest.split_once('"') else {
                return;
            };
            let type_name = rest
                .strip_prefix(", expected type \"")
                .and_then(|t| t.split_once('"'))
                .map(|(t, _)| t.to_owned());
            (Some(path.to_owned()), type_name)
        } else if error.message.starts_with("Failed to parse \"Int\"") {
            // Raised while executing or measuring complexity, without the argument's name: the
            // only integers that fail to parse as `Int` are those beyond 32 bits.
            let field = request.and_then(|(query, variables)| wide_integer_path(query, variables));
            (field, Some("Int".to_owned()))
        } else {
            return;
        };
    let Some(field) = field else {
        return;
    };
    let field = field
        .strip_prefix("input.")
        .map(str::to_owned)
        .unwrap_or(field);
    let hint = match type_name.as_deref() {
        Some("Date") => Some(DATE_HINT),
        Some("DateTime") => Some(DATE_TIME_HINT),
        Some("Int") => Some(INT_HINT),
        _ => None,
    };
    if let Some(hint) = hint {
        error.message = format!("{field}: {hint}");
    }
    let mut extensions = error.extensions.take().unwrap_or_default();
    if extensions.get("code").is_none() {
        extensions.set("code", "BAD_USER_INPUT");
    }
    extensions.set("field", field);
    error.extensions = Some(extensions);
}

/// The path (`argument.field.field`) of the first integer beyond 32 bits given to any field of
/// the query, literally or through a variable.
fn wide_integer_path(query: &str, variables: &Variables) -> Option<String> {
    let document = async_graphql::parser::parse_query(query).ok()?;
    let mut sets: Vec<&SelectionSet> = document
        .operations
        .iter()
        .map(|(_, op)| &op.node.selection_set.node)
        .collect();
    sets.extend(
        document
            .fragments
            .values()
            .map(|f| &f.node.selection_set.node),
    );
    while let Some(set) = sets.pop() {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    for (name, value) in &field.node.arguments {
                        let Ok(value) = value.node.clone().into_const_with(|variable| {
                            variables.get(&variable).cloned().ok_or(())
                        }) else {
                            continue;
                        };
                        if let Some(path) = find_wide(&value, name.node.as_str()) {
                            return Some(path);
                        }
                    }
                    sets.push(&field.node.selection_set.node);
                }
                Selection::InlineFragment(fragment) => {
                    sets.push(&fragment.node.selection_set.node);
                }
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    None
}

fn find_wide(value: &Value, path: &str) -> Option<String> {
    match value {
        Value::Number(n) if is_wide(n) => Some(path.to_owned()),
        Value::List(items) => items.iter().find_map(|v| find_wide(v, path)),
        Value::Object(fields) => fields
            .iter()
            .find_map(|(k, v)| find_wide(v, &format!("{path}.{k}"))),
        _ => None,
    }
}

fn is_wide(n: &async_graphql::Number) -> bool {
    match n.as_i64() {
        Some(i) => i32::try_from(i).is_err(),
        // Beyond i64 or not whole: `Int` refuses either.
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_integers_are_found_in_literals_variables_and_fragments() {
        let vars = Variables::from_json(serde_json::json!({
            "input": { "title": "x", "capacity": 4_294_967_296_i64 },
            "first": 5,
        }));
        assert_eq!(
            wide_integer_path(
                "mutation($input: In!) { schedule(input: $input) { id } }",
                &vars
            )
            .as_deref(),
            Some("input.capacity")
        );
        assert_eq!(
            wide_integer_path(
                "query($first: Int) { a(first: $first) { b(last: 3000000000) } }",
                &vars
            )
            .as_deref(),
            Some("last")
        );
        assert_eq!(
            wide_integer_path(
                "{ ...F } fragment F on Query { a(filter: { n: [1, -2147483649] }) }",
                &vars
            )
            .as_deref(),
            Some("filter.n")
        );
        assert_eq!(wide_integer_path("{ a(first: 2147483647) }", &vars), None);
    }
}
