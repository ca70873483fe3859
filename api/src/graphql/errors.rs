//! Gives every GraphQL error a stable `extensions.code`: service errors carry their own, and the
//! errors async-graphql raises itself (parse, validation, limits, bad arguments) are BAD_USER_INPUT.
//! Internal errors are logged here, once, and reach the client as a bare "internal error".

use std::sync::Arc;

use async_graphql::{
    Response, ServerError,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextRequest, NextSubscribe},
    futures_util::stream::BoxStream,
};
use futures_util::StreamExt;

use crate::error::AppError;

pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodes)
    }
}

#[async_trait::async_trait]
impl Extension for ErrorCodes {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        response.errors.iter_mut().for_each(classify);
        response
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        next.run(ctx, stream)
            .map(|mut response| {
                response.errors.iter_mut().for_each(classify);
                response
            })
            .boxed()
    }
}

fn classify(error: &mut ServerError) {
    let mut extensions = error.extensions.take().unwrap_or_default();
    if let Some(app) = error.source::<AppError>() {
        if let AppError::Internal(detail) = app {
            tracing::error!(error = %detail, path = ?error.path, "internal error");
        }
        app.write_extensions(&mut extensions);
    } else if extensions.get("code").is_none() {
        extensions.set("code", "BAD_USER_INPUT");
    }
    error.extensions = Some(extensions);
}
