//! Prometheus metrics of one server. Each server (and each test app) has its own recorder, so
//! counts never mix between apps in one process.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::Duration,
};

use metrics::{Counter, Recorder};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Clone)]
pub struct Metrics {
    recorder: Arc<PrometheusRecorder>,
    handle: PrometheusHandle,
    /// Every SQL statement executed, on any connection.
    pub sql_statements: Counter,
    /// The operation labels allowed, by their lowercase form: the root fields of the schema.
    operations: Arc<RwLock<HashMap<String, String>>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets(LATENCY_BUCKETS)
            .map(PrometheusBuilder::build_recorder)
            // The bucket list is a non-empty constant, so this branch is never taken.
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            metrics::describe_counter!("lianjian_sql_statements_total", "SQL statements executed");
            metrics::describe_counter!(
                "lianjian_graphql_requests_total",
                "GraphQL operations by operation name and outcome"
            );
            metrics::describe_histogram!(
                "lianjian_graphql_request_duration_seconds",
                metrics::Unit::Seconds,
                "Time to answer a GraphQL operation"
            );
        });
        let sql_statements = recorder.register_counter(
            &metrics::Key::from_static_name("lianjian_sql_statements_total"),
            &metrics::Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!())),
        );
        Self {
            recorder: Arc::new(recorder),
            handle,
            sql_statements,
            operations: Arc::default(),
        }
    }

    /// Allows the root fields of a schema (given as SDL) as operation labels.
    pub fn label_operations_of(&self, sdl: &str) {
        let names = root_fields(sdl);
        if let Ok(mut operations) = self.operations.write() {
            operations.extend(names.into_iter().map(|n| (n.to_lowercase(), n)));
        }
    }

    /// Counts one GraphQL operation and its latency.
    pub fn record_operation(&self, operation: &str, ok: bool, elapsed: Duration) {
        let operation = self.operation_label(operation);
        let outcome = if ok { "ok" } else { "error" };
        metrics::with_local_recorder(self.recorder.as_ref(), || {
            metrics::counter!(
                "lianjian_graphql_requests_total",
                "operation" => operation.clone(),
                "outcome" => outcome
            )
            .increment(1);
            metrics::histogram!(
                "lianjian_graphql_request_duration_seconds",
                "operation" => operation
            )
            .record(elapsed.as_secs_f64());
        });
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        self.handle.render()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Operation names come from clients, and every distinct label is a series kept until the
    /// server stops: only names of root fields (in any case, labelled as the schema spells them)
    /// are kept, so the number of series is bounded by the schema.
    fn operation_label(&self, name: &str) -> String {
        if name.is_empty() {
            return "anonymous".to_owned();
        }
        if name.len() > 64 {
            return "other".to_owned();
        }
        self.operations
            .read()
            .ok()
            .and_then(|known| known.get(&name.to_lowercase()).cloned())
            .unwrap_or_else(|| "other".to_owned())
    }
}

/// The field names of the `Query`, `Mutation` and `Subscription` types of a schema.
fn root_fields(sdl: &str) -> Vec<String> {
    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
    let Ok(document) = async_graphql::parser::parse_schema(sdl) else {
        return Vec::new();
    };
    document
        .definitions
        .iter()
        .filter_map(|definition| match definition {
            TypeSystemDefinition::Type(t)
                if matches!(
                    t.node.name.node.as_str(),
                    "Query" | "Mutation" | "Subscription"
                ) =>
            {
                match &t.node.kind {
                    TypeKind::Object(object) => Some(object),
                    _ => None,
                }
            }
            _ => None,
        })
        .flat_map(|object| object.fields.iter())
        .map(|field| field.node.name.node.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_root_fields_become_labels() {
        let metrics = Metrics::new();
        metrics.label_operations_of(
            "type Query { areas(first: Int): [String!]! node(id: ID!): String }\n\
             type Mutation { createArea(name: String!): String }\n\
             type Area { name: String }",
        );
        assert_eq!(metrics.operation_label("areas"), "areas");
        assert_eq!(metrics.operation_label("Areas"), "areas");
        assert_eq!(metrics.operation_label("CREATEAREA"), "createArea");
        assert_eq!(metrics.operation_label("name"), "other");
        assert_eq!(metrics.operation_label("ListAreas"), "other");
        assert_eq!(metrics.operation_label(""), "anonymous");
    }
}
