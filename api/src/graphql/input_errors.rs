//! Names the input field of the argument errors async-graphql raises itself (a `Date` out of
//! range, an `Int` beyond 32 bits), as `extensions.field`, like every refusal of the services.
//! Arguments of mutations are named without their `input.` prefix (`startsAt`), filters with
//! theirs (`filter.toDate`).

use async_graphql::{
    ServerError, Value, Variables,
    parser::types::{ExecutableDocument, Selection, SelectionSet},
};

use super::scalars::{DATE_HINT, DATE_TIME_HINT};
use crate::error::AppError;

const INT_HINT: &str = "expected a whole number from -2147483648 to 2147483647";

/// Names the field of an argument error async-graphql raised itself; `query` and `variables`
/// are the request's, to find an integer too wide for `Int`.
pub fn name_field(error: &mut ServerError, query: &str, variables: &Variables) {
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
            // Raised while executing, without the argument's name: the
            // only integers that fail to parse as `Int` are those beyond 32 bits.
            let field = wide_integer_path(query, variables);
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
    first_argument_path(
        &document,
        variables,
        &|value| matches!(value, Value::Number(n) if is_wide(n)),
    )
}

/// The field (as services name it: `username`, `filter.search`, `after`) of the first string
/// given to any field of the operation, literally or through a variable, that holds a NUL
/// character. No value of this API holds one, and PostgreSQL cannot store one in text: the
/// gate refuses the request before anything runs.
pub fn nul_field(document: &ExecutableDocument, variables: &Variables) -> Option<String> {
    let path = first_argument_path(
        document,
        variables,
        &|value| matches!(value, Value::String(s) if s.contains('\0')),
    )?;
    Some(path.strip_prefix("input.").unwrap_or(&path).to_owned())
}

/// The path of the first argument value, or part of one, that `hit` picks.
fn first_argument_path(
    document: &ExecutableDocument,
    variables: &Variables,
    hit: &dyn Fn(&Value) -> bool,
) -> Option<String> {
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
                        if let Some(path) = find(&value, name.node.as_str(), hit) {
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

fn find(value: &Value, path: &str, hit: &dyn Fn(&Value) -> bool) -> Option<String> {
    if hit(value) {
        return Some(path.to_owned());
    }
    match value {
        Value::List(items) => items.iter().find_map(|v| find(v, path, hit)),
        Value::Object(fields) => fields
            .iter()
            .find_map(|(k, v)| find(v, &format!("{path}.{k}"), hit)),
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
