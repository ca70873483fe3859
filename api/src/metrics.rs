//! Prometheus metrics of one server. Each server (and each test app) has its own recorder, so
//! counts never mix between apps in one process.

use std::{sync::Arc, time::Duration};

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
        }
    }

    /// Counts one GraphQL operation and its latency.
    pub fn record_operation(&self, operation: &str, ok: bool, elapsed: Duration) {
        let operation = operation_label(operation);
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

/// Operation names come from clients: keep labels short and plain so they cannot bloat the output.
fn operation_label(name: &str) -> String {
    let clean: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect();
    if clean.is_empty() {
        "anonymous".to_owned()
    } else {
        clean
    }
}
