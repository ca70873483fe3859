//! Relay connections: every list that can grow without bound is a connection with keyset cursors,
//! `pageInfo` and `totalCount` (counted only when selected).

use async_graphql::{
    Context, OutputType, SimpleObject,
    connection::{Connection, Edge, EmptyFields},
};

use crate::{
    error::AppResult,
    services::pagination::{Page, PageRequest},
};

/// Fields every connection has besides `edges`, `nodes` and `pageInfo`.
#[derive(SimpleObject, Debug)]
pub struct ConnectionTotals {
    /// How many nodes match the filter, on all pages.
    pub total_count: u64,
}

pub type Conn<T> = Connection<String, T, ConnectionTotals, EmptyFields>;

/// Checks the Relay arguments of a connection field and notes whether `totalCount` is selected.
pub fn page_request(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> AppResult<PageRequest> {
    let mut page = PageRequest::from_args(first, after, last, before)?;
    page.with_total = ctx.look_ahead().field("totalCount").exists();
    Ok(page)
}

/// Turns a page of rows into a connection, converting each row with `node`.
pub fn connection<M, T: OutputType>(page: Page<M>, node: impl Fn(M) -> T) -> Conn<T> {
    let mut conn = Connection::with_additional_fields(
        page.has_previous,
        page.has_next,
        ConnectionTotals {
            total_count: page.total.unwrap_or_default(),
        },
    );
    conn.edges = page
        .rows
        .into_iter()
        .map(|(cursor, row)| Edge::new(cursor, node(row)))
        .collect();
    conn
}
