//! Relay connections: every list that can grow without bound is a connection with keyset cursors,
//! `pageInfo`, `totalCount` and `countUpTo` (counted only when selected).

use async_graphql::{
    ComplexObject, Context, OutputType, SimpleObject, Value,
    connection::{Connection, Edge, EmptyFields},
};

use crate::{
    error::{AppError, AppResult},
    services::pagination::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, PageRequest},
};

/// `countUpTo`'s bound when its `limit` is not given.
pub const COUNT_UP_TO_DEFAULT: u64 = 1_000;
/// The largest `limit` `countUpTo` takes.
pub const COUNT_UP_TO_MAX: u64 = 10_000;

/// Fields every connection has besides `edges`, `nodes` and `pageInfo`.
#[derive(SimpleObject, Debug)]
#[graphql(complex)]
pub struct ConnectionTotals {
    /// How many nodes match the filter, on all pages. Counting reads every matching row: on a
    /// long list, `countUpTo` answers sooner.
    pub total_count: u64,
    /// What was counted for `totalCount` or `countUpTo`: exact, or one past the largest `limit`.
    #[graphql(skip)]
    pub counted: Option<u64>,
}

#[ComplexObject]
impl ConnectionTotals {
    /// How many nodes match the filter, on all pages, counted no further than `limit` (1 to
    /// 10,000; 1,000 when not given): `exact` is false when more than `limit` match, and `count`
    /// is then `limit` ("1,000+"). It stops reading at the bound, so it stays quick on lists
    /// where `totalCount` has to read every row.
    async fn count_up_to(
        &self,
        #[graphql(default_with = "COUNT_UP_TO_DEFAULT as i32")] limit: i32,
    ) -> async_graphql::Result<CountUpTo> {
        let limit = count_limit(i64::from(limit))?;
        let counted = self.counted.unwrap_or_default();
        Ok(CountUpTo {
            count: counted.min(limit),
            exact: counted <= limit,
        })
    }
}

/// A count that stops at a bound (`countUpTo`).
#[derive(SimpleObject, Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountUpTo {
    /// How many nodes match, or the bound when more do.
    pub count: u64,
    /// True when `count` is every matching node; false when more than `count` match.
    pub exact: bool,
}

/// `countUpTo`'s `limit`, checked.
fn count_limit(limit: i64) -> AppResult<u64> {
    u64::try_from(limit)
        .ok()
        .filter(|n| (1..=COUNT_UP_TO_MAX).contains(n))
        .ok_or_else(|| {
            AppError::bad_input(
                "limit",
                format!("limit must be from 1 to {COUNT_UP_TO_MAX}"),
            )
        })
}

/// The largest `limit` of the `countUpTo` fields selected on a connection, checked.
fn count_up_to_selected(selection: &async_graphql::Lookahead<'_>) -> AppResult<Option<u64>> {
    let mut most = None;
    for field in selection.field("countUpTo").selection_fields() {
        let arguments = field
            .arguments()
            .map_err(|e| AppError::bad_input("limit", e.message))?;
        let limit = match arguments.iter().find(|(name, _)| name.as_str() == "limit") {
            None | Some((_, Value::Null)) => COUNT_UP_TO_DEFAULT,
            Some((_, Value::Number(n))) => count_limit(n.as_i64().unwrap_or(-1))?,
            Some(_) => count_limit(-1)?,
        };
        most = Some(most.map_or(limit, |m: u64| m.max(limit)));
    }
    Ok(most)
}

pub type Conn<T> = Connection<String, T, ConnectionTotals, EmptyFields>;

/// Checks the Relay arguments of a connection field and notes whether `totalCount`, any cursor
/// and whether more pages follow are selected.
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
    page.count_up_to = count_up_to_selected(&selection)?;
    let page_info = selection.field("pageInfo");
    page.without_cursors = !(selection.field("edges").field("cursor").exists()
        || page_info.field("startCursor").exists()
        || page_info.field("endCursor").exists());
    page.without_more =
        !(page_info.field("hasNextPage").exists() || page_info.field("hasPreviousPage").exists());
    Ok(page)
}

/// Turns a page of rows into a connection, converting each row with `node`.
pub fn connection<M, T: OutputType>(page: Page<M>, node: impl Fn(M) -> T) -> Conn<T> {
    let mut conn = Connection::with_additional_fields(
        page.has_previous,
        page.has_next,
        ConnectionTotals {
            total_count: page.total.unwrap_or_default(),
            counted: page.total,
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
        count_up_to: None,
        without_cursors: false,
        without_more: false,
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
