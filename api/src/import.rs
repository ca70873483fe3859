//! `lianjian import organizations|people FILE`: rows of a spreadsheet (XLSX or CSV, the columns of
//! the export) written through the same services as the API, all or nothing in one transaction.
//!
//! Every row is checked, not only up to the first bad one: the cells are parsed first, then each
//! row is written in a savepoint of the one transaction, so a row the services refuse is rolled
//! back alone and the rows after it are still checked against the database (an earlier row of the
//! file can be a later row's parent). At the end, if any row was refused (or on a dry run), the
//! whole transaction is rolled back. The report names each bad row, its column and the reason,
//! never echoing a phone or ID-card number.

pub mod cli;
mod organizations;
mod people;
pub mod read;

use std::{collections::HashMap, fmt, path::Path};

use chrono::NaiveDate;
use entities::organization;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};

pub use self::read::{Cell, Sheet};
use crate::{
    error::AppError,
    events::EventBus,
    generate::Progress,
    services::{Actor, begin_write},
};

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Organizations,
    People,
}

impl Kind {
    /// The columns of the file, in the export's order.
    pub fn columns(self) -> &'static [Column] {
        match self {
            Self::Organizations => organizations::COLUMNS,
            Self::People => people::COLUMNS,
        }
    }

    /// The sheet of a workbook to read (else its first sheet).
    pub fn sheet_name(self) -> &'static str {
        match self {
            Self::Organizations => "组织",
            Self::People => "人员",
        }
    }

    /// The plural noun of the summary ("imported 12 organizations").
    pub fn noun(self) -> &'static str {
        match self {
            Self::Organizations => "organizations",
            Self::People => "people",
        }
    }
}

/// One column of a file: its name in the header row and whether it must be there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    /// The column must be in the header row, and each row must fill it. (A people file needs
    /// 所属组织 or 组织编码, either of them: `Table::new` checks that pair.)
    pub required: bool,
}

const fn required(name: &'static str) -> Column {
    Column {
        name,
        required: true,
    }
}

const fn optional(name: &'static str) -> Column {
    Column {
        name,
        required: false,
    }
}

/// How to run an import.
#[derive(Debug, Clone)]
pub struct Options {
    /// Check everything, the database checks included, then roll back.
    pub dry_run: bool,
    /// The start of a position written without a date (the app's clock: `--today`).
    pub today: NaiveDate,
}

/// The audit trail's name for the import: `Actor::system(ACTOR)`.
pub const ACTOR: &str = "import";

/// What an import did, or would have done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub kind: Kind,
    pub dry_run: bool,
    /// Data rows read (blank rows are skipped).
    pub rows: usize,
    /// Rows written before the end of the transaction: all of them when it committed.
    pub imported: usize,
    /// Areas created for organizations whose 片区 named no area yet, in the order of the rows.
    pub areas_created: Vec<String>,
    /// Every problem, by row, in the order of the columns.
    pub errors: Vec<RowError>,
}

impl Report {
    /// Whether the rows are in the database now.
    pub fn committed(&self) -> bool {
        self.errors.is_empty() && !self.dry_run
    }

    /// The rows with at least one error.
    pub fn bad_rows(&self) -> usize {
        let mut rows: Vec<usize> = self.errors.iter().map(|e| e.row).collect();
        rows.dedup();
        rows.len()
    }
}

/// One problem of one row: `row 7, 手机号: must be a mainland mobile number ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The row as a spreadsheet numbers it: the header is row 1.
    pub row: usize,
    /// The column (its header), when the problem is in one.
    pub column: Option<&'static str>,
    pub reason: String,
}

impl RowError {
    pub fn new(row: usize, column: &'static str, reason: impl Into<String>) -> Self {
        Self {
            row,
            column: Some(column),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(column) => write!(f, "row {}, {column}: {}", self.row, self.reason),
            None => write!(f, "row {}: {}", self.row, self.reason),
        }
    }
}

/// Why nothing could be checked at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportError {
    /// The file cannot be read as a table of this kind: unreadable, not XLSX or CSV, a header
    /// without a required column or with an unknown one, no rows. Each problem is one line.
    File(Vec<String>),
    /// The database failed (not a refusal of a row): the import stopped and nothing changed.
    Database(String),
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(problems) => write!(f, "{}", problems.join("\n")),
            Self::Database(detail) => write!(f, "the database failed: {detail}"),
        }
    }
}

impl From<sea_orm::DbErr> for ImportError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Database(e.to_string())
    }
}

impl From<AppError> for ImportError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Internal(detail) => Self::Database(detail),
            other => Self::Database(other.to_string()),
        }
    }
}

/// Reads `path` (by its extension, `.xlsx` or `.csv`) and imports it.
pub async fn import_file(
    db: &DatabaseConnection,
    events: &EventBus,
    kind: Kind,
    path: &Path,
    options: &Options,
    progress: &mut dyn Progress,
) -> Result<Report, ImportError> {
    let sheet = read::read_file(path, kind.sheet_name())?;
    import_sheet(db, events, kind, &sheet, options, progress).await
}

/// Imports the rows of `sheet` (its first row holds the column names): all in one transaction,
/// committed only when every row is right and this is no dry run.
pub async fn import_sheet(
    db: &DatabaseConnection,
    events: &EventBus,
    kind: Kind,
    sheet: &Sheet,
    options: &Options,
    progress: &mut dyn Progress,
) -> Result<Report, ImportError> {
    let table = read::Table::new(kind, sheet)?;
    let actor = Actor::system(ACTOR);
    let tx = begin_write(db).await?;
    progress.start(kind.noun(), table.rows.len() as u64);
    let outcome = match kind {
        Kind::Organizations => organizations::import(&tx, &actor, events, &table, progress).await?,
        Kind::People => people::import(&tx, &actor, &table, options, progress).await?,
    };
    progress.finish();
    let mut errors = outcome.errors;
    // By row, then in the order of the columns (a problem of no column last).
    let columns = kind.columns();
    errors.sort_by_key(|e| {
        let column = e
            .column
            .and_then(|c| columns.iter().position(|k| k.name == c))
            .unwrap_or(columns.len());
        (e.row, column)
    });
    let report = Report {
        kind,
        dry_run: options.dry_run,
        rows: table.rows.len(),
        imported: outcome.imported,
        areas_created: outcome.areas_created,
        errors,
    };
    if report.committed() {
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    tracing::debug!(
        kind = kind.noun(),
        rows = report.rows,
        bad_rows = report.bad_rows(),
        dry_run = report.dry_run,
        committed = report.committed(),
        "import finished"
    );
    Ok(report)
}

/// What one kind's import wrote and found, before the transaction ends.
#[derive(Debug, Default)]
struct Outcome {
    imported: usize,
    areas_created: Vec<String>,
    errors: Vec<RowError>,
}

/// The reason of a service's refusal, without the field's API name it starts with (the report
/// names the column instead): `phone must be a mainland mobile number` becomes `must be a
/// mainland mobile number`.
fn reason_of(field: &str, message: &str) -> String {
    match message.strip_prefix(field) {
        Some(rest) if rest.starts_with(' ') => rest.trim_start().to_owned(),
        _ => message.to_owned(),
    }
}

/// A service's refusal of a row as the row's error, its API field mapped to a column by
/// `column_of`. Internal errors are not refusals: they stop the import.
fn refusal(
    row: usize,
    error: AppError,
    column_of: impl Fn(&str) -> Option<&'static str>,
) -> Result<RowError, ImportError> {
    let (field, message) = match &error {
        AppError::BadUserInput { field, message } => (Some(field.as_str()), message.clone()),
        AppError::Conflict {
            message,
            details: crate::error::ConflictDetails::Taken { field },
        } => (Some(field.as_str()), message.clone()),
        AppError::Internal(_) => return Err(error.into()),
        other => (None, other.to_string()),
    };
    let column = field.and_then(&column_of);
    let reason = match field {
        Some(field) if column.is_some() => reason_of(field, &message),
        _ => message,
    };
    Ok(RowError {
        row,
        column,
        reason,
    })
}

/// Where the rows of the file are, by the names and codes of organizations they define: for
/// references to an earlier row, and for a better message about a later one.
#[derive(Debug, Default)]
struct FileIndex {
    by_name: HashMap<String, Vec<usize>>,
    by_code: HashMap<String, Vec<usize>>,
}

impl FileIndex {
    /// The first row after `row` defining `key`.
    fn later(rows: Option<&Vec<usize>>, row: usize) -> Option<usize> {
        rows.and_then(|rows| rows.iter().copied().find(|r| *r > row))
    }

    /// The last row before `row` defining `key` that was not written.
    fn failed_before(
        rows: Option<&Vec<usize>>,
        row: usize,
        written: &HashMap<usize, uuid::Uuid>,
    ) -> Option<usize> {
        rows.and_then(|rows| {
            rows.iter()
                .copied()
                .rfind(|r| *r < row && !written.contains_key(r))
        })
    }
}

/// A reference to an organization by name, by external code or both.
struct Reference<'a> {
    name: Option<&'a str>,
    code: Option<&'a str>,
    name_column: &'static str,
    code_column: &'static str,
}

/// Finds the organization a row refers to: in the database (the rows written so far included),
/// by code or by exact name; an archived one, two of one name, a name and a code that disagree,
/// or a reference to a row of the file that has errors or comes later are the row's errors.
async fn resolve(
    db: &impl ConnectionTrait,
    row: usize,
    reference: &Reference<'_>,
    file: &FileIndex,
    written: &HashMap<usize, uuid::Uuid>,
) -> Result<Result<Option<organization::Model>, RowError>, ImportError> {
    let by_code = match reference.code {
        None => None,
        Some(code) => {
            let column = reference.code_column;
            let rows = file.by_code.get(code);
            match organization::Entity::find()
                .filter(organization::Column::ExternalCode.eq(code))
                .one(db)
                .await?
            {
                Some(org) if org.archived_at.is_some() => {
                    return Ok(Err(RowError::new(
                        row,
                        column,
                        format!("\"{code}\" is the code of an archived organization"),
                    )));
                }
                Some(org) => Some(org),
                None => {
                    let reason = if let Some(bad) = FileIndex::failed_before(rows, row, written) {
                        format!("\"{code}\" is the code of row {bad}, which has errors")
                    } else if let Some(later) = FileIndex::later(rows, row) {
                        format!(
                            "\"{code}\" is the code of row {later}, below this one; put an organization above the rows that refer to it"
                        )
                    } else {
                        format!("no organization has the code \"{code}\"")
                    };
                    return Ok(Err(RowError::new(row, column, reason)));
                }
            }
        }
    };
    let by_name = match reference.name {
        None => None,
        Some(name) => {
            let column = reference.name_column;
            let rows = file.by_name.get(name);
            let found = organization::Entity::find()
                .filter(organization::Column::Name.eq(name))
                .all(db)
                .await?;
            let (active, archived): (Vec<_>, Vec<_>) =
                found.into_iter().partition(|o| o.archived_at.is_none());
            // An earlier row that was not written matters only when nothing else has the name:
            // any such row keeps the whole file from being imported anyway.
            match active.len() {
                // The code decides between organizations of one name.
                _ if by_code.as_ref().is_some_and(|c| c.name == name) => by_code.clone(),
                1 => active.into_iter().next(),
                0 => {
                    let reason = if let Some(bad) = FileIndex::failed_before(rows, row, written) {
                        format!("\"{name}\" is on row {bad}, which has errors")
                    } else if let Some(later) = FileIndex::later(rows, row) {
                        format!(
                            "\"{name}\" is on row {later}, below this one; put an organization above the rows that refer to it"
                        )
                    } else if !archived.is_empty() {
                        format!("\"{name}\" is archived")
                    } else {
                        format!("no organization is named \"{name}\"")
                    };
                    return Ok(Err(RowError::new(row, column, reason)));
                }
                n => {
                    return Ok(Err(RowError::new(
                        row,
                        column,
                        format!(
                            "{n} organizations are named \"{name}\"; fill in {} to choose one",
                            reference.code_column
                        ),
                    )));
                }
            }
        }
    };
    match (by_name, by_code) {
        (Some(a), Some(b)) if a.id != b.id => Ok(Err(RowError::new(
            row,
            reference.code_column,
            format!(
                "\"{}\" is the code of \"{}\", not of \"{}\"",
                reference.code.unwrap_or_default(),
                b.name,
                a.name
            ),
        ))),
        (a, b) => Ok(Ok(b.or(a))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_lose_the_api_field_they_start_with() {
        assert_eq!(
            reason_of("phone", "phone must be a mainland mobile number"),
            "must be a mainland mobile number"
        );
        assert_eq!(
            reason_of("idNumber", "another person has this ID-card number"),
            "another person has this ID-card number"
        );
        assert_eq!(reason_of("name", "names no area"), "names no area");
    }

    #[test]
    fn a_row_error_reads_row_column_reason() {
        assert_eq!(
            RowError::new(7, "手机号", "must be a mainland mobile number").to_string(),
            "row 7, 手机号: must be a mainland mobile number"
        );
        let whole_row = RowError {
            row: 3,
            column: None,
            reason: "not allowed".into(),
        };
        assert_eq!(whole_row.to_string(), "row 3: not allowed");
    }
}
