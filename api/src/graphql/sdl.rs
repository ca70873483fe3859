//! The schema as SDL, printed from the schema's own introspection exactly as graphql-js's
//! `printSchema(buildClientSchema(introspection))` prints it: the text `/schema.graphql` serves
//! and `lianjian export-schema` prints is then the schema every client tool sees, `@specifiedBy`
//! and all. `tests/api/contract.rs` compares the two with graphql-js itself.

use async_graphql::{Response, parser::types::Selection};
use serde::Deserialize;

/// graphql-js's `getIntrospectionQuery` with descriptions, `specifiedByURL`, repeatable
/// directives, the schema description, deprecated input values and `isOneOf`.
pub const INTROSPECTION_QUERY: &str = r#"
query IntrospectionQuery {
  __schema {
    description
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives {
      name
      description
      isRepeatable
      locations
      args(includeDeprecated: true) { ...InputValue }
    }
  }
}
fragment FullType on __Type {
  kind
  name
  description
  specifiedByURL
  isOneOf
  fields(includeDeprecated: true) {
    name
    description
    args(includeDeprecated: true) { ...InputValue }
    type { ...TypeRef }
    isDeprecated
    deprecationReason
  }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) {
    name
    description
    isDeprecated
    deprecationReason
  }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name
  description
  type { ...TypeRef }
  defaultValue
  isDeprecated
  deprecationReason
}
fragment TypeRef on __Type {
  kind
  name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType {
    kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
}
"#;

const DEFAULT_DEPRECATION_REASON: &str = "No longer supported";
const SPECIFIED_SCALARS: &[&str] = &["String", "Int", "Float", "Boolean", "ID"];
const SPECIFIED_DIRECTIVES: &[&str] = &["include", "skip", "deprecated", "specifiedBy", "oneOf"];

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "__schema")]
    schema: SchemaIntro,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SchemaIntro {
    description: Option<String>,
    query_type: Option<Named>,
    mutation_type: Option<Named>,
    subscription_type: Option<Named>,
    types: Vec<FullType>,
    directives: Vec<Directive>,
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FullType {
    kind: String,
    name: String,
    description: Option<String>,
    #[serde(rename = "specifiedByURL")]
    specified_by_url: Option<String>,
    #[serde(default)]
    is_one_of: Option<bool>,
    fields: Option<Vec<Field>>,
    input_fields: Option<Vec<InputValue>>,
    interfaces: Option<Vec<TypeRef>>,
    enum_values: Option<Vec<EnumValue>>,
    possible_types: Option<Vec<TypeRef>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Field {
    name: String,
    description: Option<String>,
    args: Vec<InputValue>,
    #[serde(rename = "type")]
    ty: TypeRef,
    deprecation_reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InputValue {
    name: String,
    description: Option<String>,
    #[serde(rename = "type")]
    ty: TypeRef,
    default_value: Option<String>,
    deprecation_reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EnumValue {
    name: String,
    description: Option<String>,
    deprecation_reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TypeRef {
    kind: String,
    name: Option<String>,
    of_type: Option<Box<TypeRef>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Directive {
    name: String,
    description: Option<String>,
    is_repeatable: Option<bool>,
    locations: Vec<String>,
    args: Vec<InputValue>,
}

/// Prints the answer to [`INTROSPECTION_QUERY`].
pub fn print_introspection(response: &Response) -> Result<String, String> {
    if let Some(error) = response.errors.first() {
        return Err(error.message.clone());
    }
    let json = response
        .data
        .clone()
        .into_json()
        .map_err(|e| e.to_string())?;
    let data: Data = serde_json::from_value(json).map_err(|e| e.to_string())?;
    Ok(print_schema(&data.schema))
}

fn print_schema(schema: &SchemaIntro) -> String {
    let mut parts = Vec::new();
    if let Some(definition) = print_schema_definition(schema) {
        parts.push(definition);
    }
    for directive in &schema.directives {
        if !SPECIFIED_DIRECTIVES.contains(&directive.name.as_str()) {
            parts.push(print_directive(directive));
        }
    }
    for ty in &schema.types {
        if SPECIFIED_SCALARS.contains(&ty.name.as_str()) || ty.name.starts_with("__") {
            continue;
        }
        parts.push(print_type(ty));
    }
    parts.join("\n\n")
}

fn print_schema_definition(schema: &SchemaIntro) -> Option<String> {
    let roots = [
        ("query", &schema.query_type, "Query"),
        ("mutation", &schema.mutation_type, "Mutation"),
        ("subscription", &schema.subscription_type, "Subscription"),
    ];
    let common = roots
        .iter()
        .all(|(_, ty, usual)| ty.as_ref().is_none_or(|t| t.name == *usual));
    if schema.description.is_none() && common {
        return None;
    }
    let operations = roots
        .iter()
        .filter_map(|(op, ty, _)| ty.as_ref().map(|t| format!("  {op}: {}", t.name)))
        .collect::<Vec<_>>()
        .join("\n");
    Some(format!(
        "{}schema {{\n{operations}\n}}",
        print_description(schema.description.as_deref(), "", true)
    ))
}

fn print_type(ty: &FullType) -> String {
    let description = print_description(ty.description.as_deref(), "", true);
    match ty.kind.as_str() {
        "SCALAR" => {
            let specified_by = ty
                .specified_by_url
                .as_deref()
                .map(|url| format!(" @specifiedBy(url: {})", print_string(url)))
                .unwrap_or_default();
            format!("{description}scalar {}{specified_by}", ty.name)
        }
        "OBJECT" | "INTERFACE" => {
            let keyword = if ty.kind == "OBJECT" {
                "type"
            } else {
                "interface"
            };
            let interfaces = ty.interfaces.as_deref().unwrap_or_default();
            let implements = if interfaces.is_empty() {
                String::new()
            } else {
                format!(
                    " implements {}",
                    interfaces
                        .iter()
                        .map(print_type_ref)
                        .collect::<Vec<_>>()
                        .join(" & ")
                )
            };
            let fields = ty
                .fields
                .as_deref()
                .unwrap_or_default()
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    format!(
                        "{}  {}{}: {}{}",
                        print_description(f.description.as_deref(), "  ", i == 0),
                        f.name,
                        print_args(&f.args, "  "),
                        print_type_ref(&f.ty),
                        print_deprecated(f.deprecation_reason.as_deref())
                    )
                })
                .collect::<Vec<_>>();
            format!(
                "{description}{keyword} {}{implements}{}",
                ty.name,
                print_block(&fields)
            )
        }
        "UNION" => {
            let members = ty.possible_types.as_deref().unwrap_or_default();
            let members = if members.is_empty() {
                String::new()
            } else {
                format!(
                    " = {}",
                    members
                        .iter()
                        .map(print_type_ref)
                        .collect::<Vec<_>>()
                        .join(" | ")
                )
            };
            format!("{description}union {}{members}", ty.name)
        }
        "ENUM" => {
            let values = ty
                .enum_values
                .as_deref()
                .unwrap_or_default()
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    format!(
                        "{}  {}{}",
                        print_description(v.description.as_deref(), "  ", i == 0),
                        v.name,
                        print_deprecated(v.deprecation_reason.as_deref())
                    )
                })
                .collect::<Vec<_>>();
            format!("{description}enum {}{}", ty.name, print_block(&values))
        }
        _ => {
            let fields = ty
                .input_fields
                .as_deref()
                .unwrap_or_default()
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    format!(
                        "{}  {}",
                        print_description(f.description.as_deref(), "  ", i == 0),
                        print_input_value(f)
                    )
                })
                .collect::<Vec<_>>();
            let one_of = if ty.is_one_of == Some(true) {
                " @oneOf"
            } else {
                ""
            };
            format!(
                "{description}input {}{one_of}{}",
                ty.name,
                print_block(&fields)
            )
        }
    }
}

fn print_directive(directive: &Directive) -> String {
    format!(
        "{}directive @{}{}{} on {}",
        print_description(directive.description.as_deref(), "", true),
        directive.name,
        print_args(&directive.args, ""),
        if directive.is_repeatable == Some(true) {
            " repeatable"
        } else {
            ""
        },
        directive.locations.join(" | ")
    )
}

fn print_block(items: &[String]) -> String {
    if items.is_empty() {
        String::new()
    } else {
        format!(" {{\n{}\n}}", items.join("\n"))
    }
}

fn print_args(args: &[InputValue], indentation: &str) -> String {
    if args.is_empty() {
        return String::new();
    }
    if args
        .iter()
        .all(|a| a.description.as_deref().is_none_or(str::is_empty))
    {
        return format!(
            "({})",
            args.iter()
                .map(print_input_value)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let lines = args
        .iter()
        .enumerate()
        .map(|(i, a)| {
            format!(
                "{}  {indentation}{}",
                print_description(
                    a.description.as_deref(),
                    &format!("  {indentation}"),
                    i == 0
                ),
                print_input_value(a)
            )
        })
        .collect::<Vec<_>>();
    format!("(\n{}\n{indentation})", lines.join("\n"))
}

fn print_input_value(value: &InputValue) -> String {
    let mut text = format!("{}: {}", value.name, print_type_ref(&value.ty));
    if let Some(default) = value.default_value.as_deref() {
        text.push_str(" = ");
        text.push_str(&print_default(default));
    }
    text.push_str(&print_deprecated(value.deprecation_reason.as_deref()));
    text
}

/// A default value as graphql-js prints it after reading it back: the literal, re-printed in
/// its canonical form (`[1, 2]`, `{a: 1}`).
fn print_default(literal: &str) -> String {
    let wrapped = format!("{{ f(v: {literal}) }}");
    let Ok(document) = async_graphql::parser::parse_query(&wrapped) else {
        return literal.to_owned();
    };
    let value = document.operations.iter().find_map(|(_, op)| {
        op.node
            .selection_set
            .node
            .items
            .first()
            .and_then(|item| match &item.node {
                Selection::Field(field) => {
                    field.node.arguments.first().map(|(_, v)| v.node.clone())
                }
                _ => None,
            })
    });
    match value.and_then(|v| v.into_const()) {
        Some(value) => print_value(&value),
        None => literal.to_owned(),
    }
}

fn print_value(value: &async_graphql::Value) -> String {
    use async_graphql::Value;
    match value {
        Value::Null => "null".to_owned(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => print_string(s),
        Value::Boolean(b) => b.to_string(),
        Value::Enum(name) => name.to_string(),
        Value::List(items) => format!(
            "[{}]",
            items.iter().map(print_value).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(fields) => format!(
            "{{{}}}",
            fields
                .iter()
                .map(|(k, v)| format!("{k}: {}", print_value(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Binary(bytes) => print_string(&String::from_utf8_lossy(bytes)),
    }
}

fn print_type_ref(ty: &TypeRef) -> String {
    match (ty.kind.as_str(), &ty.of_type) {
        ("NON_NULL", Some(inner)) => format!("{}!", print_type_ref(inner)),
        ("LIST", Some(inner)) => format!("[{}]", print_type_ref(inner)),
        _ => ty.name.clone().unwrap_or_default(),
    }
}

fn print_deprecated(reason: Option<&str>) -> String {
    match reason {
        None => String::new(),
        Some(DEFAULT_DEPRECATION_REASON) => " @deprecated".to_owned(),
        Some(reason) => format!(" @deprecated(reason: {})", print_string(reason)),
    }
}

fn print_description(description: Option<&str>, indentation: &str, first_in_block: bool) -> String {
    let Some(description) = description else {
        return String::new();
    };
    let printed = if is_printable_as_block_string(description) {
        print_block_string(description)
    } else {
        print_string(description)
    };
    let prefix = if !indentation.is_empty() && !first_in_block {
        format!("\n{indentation}")
    } else {
        indentation.to_owned()
    };
    format!(
        "{prefix}{}\n",
        printed.replace('\n', &format!("\n{indentation}"))
    )
}

/// graphql-js's `printString`: a double-quoted string with JSON-like escapes.
fn print_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || (0x7f..=0x9f).contains(&(c as u32)) => {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn is_white_space(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// graphql-js's `isPrintableAsBlockString`.
fn is_printable_as_block_string(value: &str) -> bool {
    if value.is_empty() {
        return true;
    }
    let mut is_empty_line = true;
    let mut has_indent = false;
    let mut has_common_indent = true;
    let mut seen_non_empty_line = false;
    for c in value.chars() {
        match c {
            '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}' | '\u{f}' | '\r' => return false,
            '\n' => {
                if is_empty_line && !seen_non_empty_line {
                    return false;
                }
                seen_non_empty_line = true;
                is_empty_line = true;
                has_indent = false;
            }
            '\t' | ' ' => has_indent = has_indent || is_empty_line,
            _ => {
                has_common_indent = has_common_indent && has_indent;
                is_empty_line = false;
            }
        }
    }
    if is_empty_line {
        return false;
    }
    if has_common_indent && seen_non_empty_line {
        return false;
    }
    true
}

/// graphql-js's `printBlockString`.
fn print_block_string(value: &str) -> String {
    let escaped = value.replace("\"\"\"", "\\\"\"\"");
    let normalized = escaped.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = normalized.split('\n').collect();
    let is_single_line = lines.len() == 1;
    let force_leading_new_line = lines.len() > 1
        && lines[1..]
            .iter()
            .all(|line| line.is_empty() || line.starts_with(is_white_space));
    let has_trailing_triple_quotes = escaped.ends_with("\\\"\"\"");
    let has_trailing_quote = value.ends_with('"') && !has_trailing_triple_quotes;
    let has_trailing_slash = value.ends_with('\\');
    let force_trailing_newline = has_trailing_quote || has_trailing_slash;
    let print_as_multiple_lines = !is_single_line
        || value.encode_utf16().count() > 70
        || force_trailing_newline
        || force_leading_new_line
        || has_trailing_triple_quotes;
    let skip_leading_new_line = is_single_line && value.starts_with(is_white_space);
    let mut result = String::new();
    if (print_as_multiple_lines && !skip_leading_new_line) || force_leading_new_line {
        result.push('\n');
    }
    result.push_str(&escaped);
    if print_as_multiple_lines || force_trailing_newline {
        result.push('\n');
    }
    format!("\"\"\"{result}\"\"\"")
}
