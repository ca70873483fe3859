//! `GET /exports/{file}`: spreadsheet downloads for committee offices, each as `.xlsx` and as
//! `.csv` (UTF-8 with a byte-order mark): `supervision-ledger`, `activities`, `appeals`,
//! `organizations` and `people`. The bearer token's viewer decides what a file holds; the rows
//! come from `services::exports`, which reads them through the same scopes as the API. Refusals
//! (a bad parameter, a group the caller may not read) are answered before the download starts,
//! as JSON in the shape of a GraphQL error; the rows are then streamed page by page, so a long
//! file is never held in memory. Nothing here logs the token, the query string or a cell.

mod write;

use std::sync::Arc;

use axum::{
    body::Body,
    extract::{Path, Query, State, rejection::QueryRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::NaiveDate;
use serde_json::json;
use uuid::Uuid;

use super::NoViewer;
use crate::{
    app::HttpState,
    error::AppError,
    graphql::{
        ids::{self, NodeKind},
        scalars::{DATE_HINT, MAX_YEAR, MIN_YEAR},
    },
    services::{
        Actor,
        exports::{self, LedgerSheet, Period},
    },
};

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    SupervisionLedger,
    Activities,
    Appeals,
    Organizations,
    People,
}

impl Kind {
    fn of(stem: &str) -> Option<Self> {
        Some(match stem {
            "supervision-ledger" => Self::SupervisionLedger,
            "activities" => Self::Activities,
            "appeals" => Self::Appeals,
            "organizations" => Self::Organizations,
            "people" => Self::People,
            _ => return None,
        })
    }

    /// The file's name in Chinese, for `filename*`.
    fn chinese(self) -> &'static str {
        match self {
            Self::SupervisionLedger => "督办台账",
            Self::Activities => "联建活动",
            Self::Appeals => "民情诉求",
            Self::Organizations => "组织",
            Self::People => "人员",
        }
    }

    /// The query parameters the file takes.
    fn parameters(self, format: Format) -> &'static [&'static str] {
        match (self, format) {
            (Self::SupervisionLedger, Format::Csv) => &["linkageGroupId", "from", "to", "sheet"],
            (Self::SupervisionLedger | Self::Activities | Self::Appeals, _) => {
                &["linkageGroupId", "from", "to"]
            }
            (Self::Organizations | Self::People, _) => &[],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Xlsx,
    Csv,
}

impl Format {
    fn content_type(self) -> &'static str {
        match self {
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Csv => "text/csv; charset=utf-8",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Self::Xlsx => "xlsx",
            Self::Csv => "csv",
        }
    }
}

/// `supervision-ledger.xlsx` → (ledger, XLSX); anything else is no file.
fn parse_file(file: &str) -> Option<(Kind, Format)> {
    let (stem, extension) = file.rsplit_once('.')?;
    let format = match extension {
        "xlsx" => Format::Xlsx,
        "csv" => Format::Csv,
        _ => return None,
    };
    Some((Kind::of(stem)?, format))
}

/// The checked query parameters.
#[derive(Debug, Default)]
struct Params {
    linkage_group: Option<Uuid>,
    period: Period,
    sheet: Option<LedgerSheet>,
}

impl Params {
    /// Unknown or repeated parameters are refused too: a misspelt filter must not silently
    /// widen a download. Empty values count as absent.
    fn parse(kind: Kind, format: Format, pairs: &[(String, String)]) -> Result<Self, AppError> {
        let allowed = kind.parameters(format);
        let mut seen: Vec<&str> = Vec::new();
        let mut params = Self::default();
        for (name, value) in pairs {
            let Some(name) = allowed.iter().copied().find(|a| a == name) else {
                return Err(AppError::bad_input(
                    name.as_str(),
                    if allowed.is_empty() {
                        format!("{name}: this file takes no parameters")
                    } else {
                        format!("{name}: unknown parameter; use {}", allowed.join(", "))
                    },
                ));
            };
            if seen.contains(&name) {
                return Err(AppError::bad_input(name, format!("{name}: given twice")));
            }
            seen.push(name);
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            match name {
                "linkageGroupId" => {
                    params.linkage_group = Some(ids::decode_as(
                        "linkageGroupId",
                        NodeKind::LinkageGroup,
                        &async_graphql::ID(value.to_owned()),
                    )?);
                }
                "from" => params.period.from = Some(parse_date("from", value)?),
                "to" => params.period.to = Some(parse_date("to", value)?),
                "sheet" => {
                    params.sheet = Some(match value {
                        "items" => LedgerSheet::Items,
                        "rounds" => LedgerSheet::Rounds,
                        "statistics" => LedgerSheet::Statistics,
                        _ => {
                            return Err(AppError::bad_input(
                                "sheet",
                                "sheet: one of items, rounds, statistics",
                            ));
                        }
                    });
                }
                _ => {}
            }
        }
        Ok(params)
    }
}

/// A `Date` as the API takes it: `YYYY-MM-DD`, years 1900 to 9999.
fn parse_date(field: &str, value: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .filter(|d| (MIN_YEAR..=MAX_YEAR).contains(&chrono::Datelike::year(d)))
        .ok_or_else(|| AppError::bad_input(field, format!("{field}: {DATE_HINT}")))
}

/// An error in the shape of a GraphQL error, with `extensions.field` for bad input.
fn error_response(status: StatusCode, code: &str, message: &str, field: Option<&str>) -> Response {
    let mut extensions = json!({ "code": code });
    if let Some(field) = field {
        extensions["field"] = json!(field);
    }
    let mut response = (
        status,
        axum::Json(json!({ "errors": [{ "message": message, "extensions": extensions }] })),
    )
        .into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    response
}

fn unauthorized() -> Response {
    let mut response = error_response(
        StatusCode::UNAUTHORIZED,
        "UNAUTHENTICATED",
        "send a valid token: Authorization: Bearer <token>",
        None,
    );
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

fn failure(e: AppError) -> Response {
    match e {
        AppError::Unauthenticated => unauthorized(),
        AppError::BadUserInput { field, message } => error_response(
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            &message,
            Some(&field),
        ),
        AppError::Forbidden => {
            error_response(StatusCode::FORBIDDEN, "FORBIDDEN", "not allowed", None)
        }
        AppError::NotFound(what) => error_response(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!("{what} not found"),
            None,
        ),
        AppError::Internal(detail) => {
            tracing::error!(error = %detail, "export failed");
            error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "internal error",
                None,
            )
        }
        other => error_response(
            StatusCode::BAD_REQUEST,
            other.code(),
            &other.to_string(),
            None,
        ),
    }
}

pub async fn export(
    State(http): State<HttpState>,
    Path(file): Path<String>,
    headers: HeaderMap,
    params: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let Some((kind, format)) = parse_file(&file) else {
        return error_response(StatusCode::NOT_FOUND, "NOT_FOUND", "no such export", None);
    };
    let state = &http.state;
    let viewer = match super::bearer_viewer(state, &headers, "export").await {
        Ok(viewer) => viewer,
        Err(NoViewer::Unauthenticated) => return unauthorized(),
        Err(NoViewer::Unavailable) => {
            return error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "INTERNAL",
                "the service is unavailable; try again shortly",
                None,
            );
        }
    };
    let Ok(Query(pairs)) = params else {
        return failure(AppError::bad_input(
            "query",
            "query: the query string is not form-encoded",
        ));
    };
    let params = match Params::parse(kind, format, &pairs) {
        Ok(params) => params,
        Err(e) => return failure(e),
    };
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let actor = Actor::user(Arc::new(viewer), request_id);
    let db = &state.db.read;
    let ledger_sheets = match (format, params.sheet) {
        (Format::Xlsx, _) => vec![
            LedgerSheet::Items,
            LedgerSheet::Rounds,
            LedgerSheet::Statistics,
        ],
        (Format::Csv, sheet) => vec![sheet.unwrap_or(LedgerSheet::Items)],
    };
    let prepared = match kind {
        Kind::SupervisionLedger => {
            exports::supervision_ledger(
                db,
                &actor,
                &state.clock,
                params.linkage_group,
                params.period,
                &ledger_sheets,
            )
            .await
        }
        Kind::Activities => {
            exports::activities(
                db,
                &actor,
                state.clock.zone(),
                params.linkage_group,
                params.period,
            )
            .await
        }
        Kind::Appeals => {
            exports::appeals(
                db,
                &actor,
                &state.clock,
                params.linkage_group,
                params.period,
            )
            .await
        }
        Kind::Organizations => exports::organizations(&actor).await,
        Kind::People => exports::people(&actor, &state.clock).await,
    };
    let sheets = match prepared {
        Ok(sheets) => sheets,
        Err(e) => return failure(e),
    };
    let (ascii, chinese) = file_names(kind, format, &params, &ledger_sheets);
    let body = match format {
        Format::Xlsx => write::xlsx(db.clone(), sheets, kind_label(kind)),
        Format::Csv => match sheets.into_iter().next() {
            Some(sheet) => write::csv(db.clone(), sheet, kind_label(kind)),
            None => Body::empty(),
        },
    };
    download(format, &ascii, &chinese, body)
}

/// The export's name in logs.
fn kind_label(kind: Kind) -> &'static str {
    match kind {
        Kind::SupervisionLedger => "supervision-ledger",
        Kind::Activities => "activities",
        Kind::Appeals => "appeals",
        Kind::Organizations => "organizations",
        Kind::People => "people",
    }
}

/// The file's name, in ASCII (`filename`) and in Chinese (`filename*`): the export, the sheet of
/// a ledger CSV, and the period when both ends are given.
fn file_names(
    kind: Kind,
    format: Format,
    params: &Params,
    ledger_sheets: &[LedgerSheet],
) -> (String, String) {
    let mut ascii = kind_label(kind).to_owned();
    let mut chinese = kind.chinese().to_owned();
    if kind == Kind::SupervisionLedger
        && format == Format::Csv
        && let Some(sheet) = ledger_sheets.first()
    {
        let (en, zh) = match sheet {
            LedgerSheet::Items => ("items", "督办事项"),
            LedgerSheet::Rounds => ("rounds", "督办轮次"),
            LedgerSheet::Statistics => ("statistics", "统计"),
        };
        ascii.push('-');
        ascii.push_str(en);
        chinese.push('-');
        chinese.push_str(zh);
    }
    if let (Some(from), Some(to)) = (params.period.from, params.period.to) {
        ascii.push_str(&format!("_{from}_{to}"));
        chinese.push_str(&format!("_{from}至{to}"));
    }
    let extension = format.extension();
    (
        format!("{ascii}.{extension}"),
        format!("{chinese}.{extension}"),
    )
}

/// `filename*`'s encoding (RFC 8187): UTF-8, every byte but the unreserved ones as `%XX`.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn download(format: Format, ascii: &str, chinese: &str, body: Body) -> Response {
    let disposition = format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        percent_encode(chinese)
    );
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn file_names_name_an_export_and_a_format() {
        assert_eq!(
            parse_file("supervision-ledger.xlsx"),
            Some((Kind::SupervisionLedger, Format::Xlsx))
        );
        assert_eq!(parse_file("people.csv"), Some((Kind::People, Format::Csv)));
        assert_eq!(parse_file("people.xls"), None);
        assert_eq!(parse_file("secrets.csv"), None);
        assert_eq!(parse_file("people"), None);
    }

    #[test]
    fn bad_parameters_name_themselves() {
        for (kind, format, list, field) in [
            (
                Kind::Activities,
                Format::Xlsx,
                vec![("from", "2026-13-01")],
                "from",
            ),
            (
                Kind::Activities,
                Format::Csv,
                vec![("to", "yesterday")],
                "to",
            ),
            (
                Kind::Appeals,
                Format::Xlsx,
                vec![("from", "1899-12-31")],
                "from",
            ),
            (
                Kind::Appeals,
                Format::Xlsx,
                vec![("linkageGroupId", "nope")],
                "linkageGroupId",
            ),
            (
                Kind::Activities,
                Format::Xlsx,
                vec![("group", "x")],
                "group",
            ),
            (
                Kind::SupervisionLedger,
                Format::Xlsx,
                vec![("sheet", "items")],
                "sheet",
            ),
            (
                Kind::SupervisionLedger,
                Format::Csv,
                vec![("sheet", "people")],
                "sheet",
            ),
            (
                Kind::People,
                Format::Csv,
                vec![("from", "2026-01-01")],
                "from",
            ),
            (
                Kind::Activities,
                Format::Csv,
                vec![("from", "2026-01-01"), ("from", "2026-01-02")],
                "from",
            ),
        ] {
            match Params::parse(kind, format, &pairs(&list)) {
                Err(AppError::BadUserInput { field: f, .. }) => assert_eq!(f, field, "{list:?}"),
                other => panic!("{list:?}: {other:?}"),
            }
        }
        let params = Params::parse(
            Kind::SupervisionLedger,
            Format::Csv,
            &pairs(&[("from", "2026-01-01"), ("to", ""), ("sheet", "rounds")]),
        )
        .unwrap();
        assert_eq!(params.period.from, "2026-01-01".parse().ok());
        assert_eq!(params.period.to, None);
        assert_eq!(params.sheet, Some(LedgerSheet::Rounds));
    }

    #[test]
    fn chinese_file_names_are_percent_encoded() {
        assert_eq!(percent_encode("组织.csv"), "%E7%BB%84%E7%BB%87.csv");
    }
}
