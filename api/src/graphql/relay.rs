//! Relay connections: every list that can grow without bound is a connection with keyset cursors,
//! `pageInfo` and `totalCount` (counted only when selected).

use async_graphql::{
    Context, OutputType, SimpleObject,
    connection::{Connection, Edge, EmptyFields},
};

use crate::{
    error::{AppError, AppResult},
    services::pagination::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, PageRequest},
};

/// Fields every connection has besides `edges`, `nodes` and `pageInfo`.
#[derive(SimpleObject, Debug)]
pub struct ConnectionTotals {
    /// How many nodes match the filter, on all pages.
    pub total_count: u64,
}

pub type Conn<T> = Connection<String, T, ConnectionTotals, EmptyFields>;

/// Checks the Relay arguments of a connection field and notes whether `totalCount` and any
/// cursor are selected.
pub fn page_request(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> AppResult<PageRequest> {
    let mut page = page_args(first, after, last, before)?;
    let selection = ctx.look_ahead();
    page.with_total = selection.field("totalCount").exists();
    let page_info = selection.field("pageInfo");
    page.without_cursors = !(selection.field("edges").field("cursor").exists()
        || page_info.field("startCursor").exists()
        || page_info.field("endCursor").exists());
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

/// The page the Relay arguments ask for: `first` or `last` (not both), each from 0 to 100,
/// `first` 20 when neither is given; a refusal names the argument.
fn page_args(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> AppResult<PageRequest> {
    let size = |field: &str, n: i32| -> AppResult<u64> {
        let n = u64::try_from(n)
            .map_err(|_| AppError::bad_input(field, format!("{field} must not be negative")))?;
        if n > MAX_PAGE_SIZE {
            return Err(AppError::bad_input(
                field,
                format!("{field} must be at most {MAX_PAGE_SIZE}"),
            ));
        }
        Ok(n)
    };
    let (limit, backward) = match (first, last) {
        (Some(_), Some(_)) => {
            return Err(AppError::bad_input(
                "last",
                "give either first or last, not both",
            ));
        }
        (Some(n), None) => (size("first", n)?, false),
        (None, Some(n)) => (size("last", n)?, true),
        (None, None) => (DEFAULT_PAGE_SIZE, before.is_some() && after.is_none()),
    };
    Ok(PageRequest {
        limit,
        backward,
        after,
        before,
        with_total: false,
        without_cursors: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_defaults_to_twenty() {
        let page = page_args(None, None, None, None).unwrap();
        assert_eq!(page.limit, 20);
        assert!(!page.backward);
    }

    #[test]
    fn page_size_is_bounded() {
        assert!(page_args(Some(100), None, None, None).is_ok());
        for (first, last, field) in [
            (Some(101), None, "first"),
            (Some(-1), None, "first"),
            (None, Some(101), "last"),
        ] {
            match page_args(first, None, last, None) {
                Err(AppError::BadUserInput { field: f, .. }) => assert_eq!(f, field),
                other => panic!("expected BAD_USER_INPUT, got {other:?}"),
            }
        }
    }

    #[test]
    fn first_and_last_together_are_refused() {
        assert!(page_args(Some(1), None, Some(1), None).is_err());
    }
}
