use crate::helpers::TestApp;

/// Every change of the API shows up in review as a change of this snapshot.
#[tokio::test]
async fn sdl_snapshot() {
    let app = TestApp::spawn().await;
    let (status, _, body) = app.get("/schema.graphql").await;
    assert_eq!(status, axum::http::StatusCode::OK);
    let sdl = String::from_utf8(body).unwrap();
    assert!(sdl.contains("interface Node"));
    insta::assert_snapshot!("schema", sdl);
}
