//! Responses come in the order of the selection set (GraphQL specification 7.2.2), whatever
//! order the fields finished in: front-end snapshot tests and response caches compare bytes.

use axum::{
    body::Body,
    http::{Request, header},
};
use serde_json::json;

use crate::helpers::TestApp;

/// Fields that finish at different times: loader fields (people, parent, area, children) before
/// and after fields that are ready at once (name, id, level), an alias and a fragment.
const QUERY: &str = r#"
query Order {
  organizations(first: 20) {
    totalCount
    nodes {
      people(first: 2) { totalCount nodes { name } }
      name
      parent { name id }
      id
      ...Counts
      level
      title: name
      area { name }
    }
    pageInfo { hasNextPage }
  }
  viewer { user { username } }
}
fragment Counts on Organization { children { totalCount } }
"#;

/// The keys of one organization node, in the order QUERY selects them (written by hand).
const NODE_KEYS: [&str; 8] = [
    "\"people\":",
    "\"name\":",
    "\"parent\":",
    "\"id\":",
    "\"children\":",
    "\"level\":",
    "\"title\":",
    "\"area\":",
];

async fn post(app: &TestApp) -> Vec<u8> {
    let body = serde_json::to_vec(&json!({ "query": QUERY })).unwrap();
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {}", app.admin_token))
        .body(Body::from(body))
        .unwrap();
    let (status, _, body) = app.request(request).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_identical_requests_at_once_answer_the_same_bytes_in_selection_order() {
    let app = TestApp::spawn().await;
    app.load_demo().await;

    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move { post(&app).await }));
    }
    let mut bodies = Vec::new();
    for task in tasks {
        bodies.push(task.await.unwrap());
    }
    let text = String::from_utf8(bodies[0].clone()).unwrap();
    for (i, body) in bodies.iter().enumerate() {
        assert_eq!(
            String::from_utf8_lossy(body),
            text,
            "response {i} differs from the first"
        );
    }
    assert!(!text.contains("\"errors\""), "{text}");

    // The top level, then the connection, then each node, in selection order.
    let starts = |keys: &[&str], within: &str| -> Vec<usize> {
        keys.iter()
            .map(|k| {
                within
                    .find(k)
                    .unwrap_or_else(|| panic!("{k} missing in {within}"))
            })
            .collect()
    };
    let top = starts(&["\"organizations\":", "\"viewer\":"], &text);
    assert!(top.is_sorted(), "{text}");
    let connection = starts(&["\"totalCount\":", "\"nodes\":", "\"pageInfo\":"], &text);
    assert!(connection.is_sorted(), "{text}");

    let nodes = &text[text.find("\"nodes\":").unwrap()..text.find("\"pageInfo\":").unwrap()];
    // Each node starts with its `people` key; split on it and check every node.
    let node_texts: Vec<&str> = nodes.split("{\"people\":").skip(1).collect();
    assert_eq!(node_texts.len(), 20, "{text}");
    for node in node_texts {
        let node = format!("{{\"people\":{node}");
        // Within a node, the nested objects' own keys come first in their turn: search after
        // each previous key.
        let mut at = 0;
        for key in NODE_KEYS {
            let found = node[at..]
                .find(key)
                .unwrap_or_else(|| panic!("{key} out of order in {node}"));
            at += found + key.len();
            if key == "\"people\":" {
                // Skip the people connection, whose nodes hold `name` keys of their own.
                let inner = node[at..].find("]}").unwrap();
                at += inner;
            }
            if key == "\"parent\":" {
                let inner = node[at..].find('}').unwrap_or(0);
                if node[at..].starts_with('{') {
                    at += inner;
                }
            }
        }
        // `parent { name id }` in that order where there is a parent.
        if let Some(p) = node.find("\"parent\":{") {
            assert!(node[p..].starts_with("\"parent\":{\"name\":"), "{node}");
        }
        assert!(node.contains("\"people\":{\"totalCount\":"), "{node}");
    }
}
