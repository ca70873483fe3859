//! Reading a file into rows of cells (XLSX with calamine, CSV with csv), and finding the columns
//! by the names in the header row.

use std::{collections::HashMap, io::Cursor, path::Path};

use calamine::{Data, DataType, Reader, Xlsx};
use chrono::NaiveDate;

use super::{ImportError, Kind};

/// One cell as the file holds it. A spreadsheet may hold a phone number as a number and a date
/// as a date; a CSV file holds text only.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
    /// A spreadsheet error value (`#N/A`, `#REF!`).
    Error(String),
}

/// Numbers below this many are whole numbers a spreadsheet keeps exactly (15 significant
/// digits): an 11-digit phone typed as a number reads back as it was typed, an 18-digit ID-card
/// number does not.
const EXACT_DIGITS_BELOW: f64 = 1e15;

impl Cell {
    /// The cell as trimmed text, `None` when blank; a spreadsheet error is the reason it cannot
    /// be read. Whole numbers read without a decimal point (`13812345678`, not `13812345678.0`),
    /// dates as `YYYY-MM-DD`.
    pub fn text(&self) -> Result<Option<String>, String> {
        let text = match self {
            Self::Empty => return Ok(None),
            Self::Text(text) => text.trim().to_owned(),
            Self::Number(n) if n.fract() == 0.0 && n.abs() < EXACT_DIGITS_BELOW => {
                format!("{}", *n as i64)
            }
            Self::Number(n) => n.to_string(),
            Self::Date(day) => day.format("%Y-%m-%d").to_string(),
            Self::Error(e) => return Err(format!("the cell holds the spreadsheet error {e}")),
        };
        Ok(Some(text).filter(|t| !t.is_empty()))
    }

    /// Whether the cell holds nothing (or only spaces).
    pub fn is_blank(&self) -> bool {
        matches!(self.text(), Ok(None))
    }

    /// A number too long for a spreadsheet to have kept every digit of.
    pub fn is_inexact_number(&self) -> bool {
        matches!(self, Self::Number(n) if n.abs() >= EXACT_DIGITS_BELOW)
    }
}

/// The rows of a file as read, the header row first. Each row carries its number as a
/// spreadsheet shows it (the header is row 1).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sheet {
    pub rows: Vec<(usize, Vec<Cell>)>,
}

impl Sheet {
    /// A sheet of text cells, the first row the header (as a CSV file reads).
    pub fn from_text_rows<S: AsRef<str>>(rows: &[Vec<S>]) -> Self {
        Self {
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, cells)| {
                    (
                        i + 1,
                        cells
                            .iter()
                            .map(|c| text_cell(c.as_ref().to_owned()))
                            .collect(),
                    )
                })
                .collect(),
        }
    }
}

fn text_cell(text: String) -> Cell {
    if text.trim().is_empty() {
        Cell::Empty
    } else {
        Cell::Text(text)
    }
}

/// Reads `path` by its extension: `.xlsx` (the sheet named `sheet_name`, else the first) or
/// `.csv` (UTF-8, with or without a byte-order mark), in any case.
pub fn read_file(path: &Path, sheet_name: &str) -> Result<Sheet, ImportError> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let format = match extension.as_deref() {
        Some("xlsx") => Format::Xlsx,
        Some("csv") => Format::Csv,
        _ => {
            return Err(ImportError::File(vec![
                "not an .xlsx or .csv file; save the spreadsheet in one of these formats"
                    .to_owned(),
            ]));
        }
    };
    let bytes = std::fs::read(path)
        .map_err(|e| ImportError::File(vec![format!("cannot read the file: {e}")]))?;
    match format {
        Format::Xlsx => read_xlsx(bytes, sheet_name),
        Format::Csv => read_csv(&bytes),
    }
    .map_err(|problem| ImportError::File(vec![problem]))
}

enum Format {
    Xlsx,
    Csv,
}

/// A CSV file: UTF-8 text, a byte-order mark allowed, quoted fields as RFC 4180 has them.
pub fn read_csv(bytes: &[u8]) -> Result<Sheet, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rows = Vec::new();
    for (i, record) in reader.byte_records().enumerate() {
        let record = record.map_err(|e| format!("not a readable CSV file: {e}"))?;
        let mut cells = Vec::with_capacity(record.len());
        for field in &record {
            let text = std::str::from_utf8(field).map_err(|_| {
                format!(
                    "not UTF-8 text (row {}); save it as \"CSV UTF-8\" or as .xlsx",
                    i + 1
                )
            })?;
            cells.push(text_cell(unguarded(text).to_owned()));
        }
        rows.push((i + 1, cells));
    }
    Ok(Sheet { rows })
}

/// A CSV cell without the `'` that exports put before text a spreadsheet program would take for a
/// formula (`'=…`, `'+…`, `'-…`, `'@…`, a tab or a carriage return), so an exported file reads
/// back as it was written.
fn unguarded(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => text,
    }
}

/// An XLSX workbook: the sheet named `sheet_name` (surrounding spaces ignored), else the first.
pub fn read_xlsx(bytes: Vec<u8>, sheet_name: &str) -> Result<Sheet, String> {
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| format!("not a readable .xlsx workbook: {e}"))?;
    let names = book.sheet_names();
    let name = names
        .iter()
        .find(|n| n.trim() == sheet_name)
        .or_else(|| names.first())
        .cloned()
        .ok_or_else(|| "the workbook has no sheet".to_owned())?;
    let range = book
        .worksheet_range(&name)
        .map_err(|e| format!("sheet {name} cannot be read: {e}"))?;
    let Some((first_row, first_column)) = range.start() else {
        return Ok(Sheet::default());
    };
    // Cells left of the first used column are missing from the range: put them back, so the
    // columns keep their places.
    let lead = first_column as usize;
    let rows = range
        .rows()
        .enumerate()
        .map(|(i, row)| {
            let mut cells = vec![Cell::Empty; lead];
            cells.extend(row.iter().map(cell_of));
            (first_row as usize + i + 1, cells)
        })
        .collect();
    Ok(Sheet { rows })
}

fn cell_of(data: &Data) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        Data::String(s) => text_cell(s.clone()),
        Data::Int(n) => Cell::Text(n.to_string()),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Text(if *b { "是" } else { "否" }.to_owned()),
        Data::DateTime(_) | Data::DateTimeIso(_) => match data.as_date() {
            Some(day) => Cell::Date(day),
            None => Cell::Error("(an unreadable date)".to_owned()),
        },
        Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}

/// The spreadsheet letter of a column: 0 is A, 26 is AA.
pub fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// The data rows of a file of one kind, its columns found by name.
#[derive(Debug)]
pub(crate) struct Table {
    columns: HashMap<&'static str, usize>,
    pub(crate) rows: Vec<(usize, Vec<Cell>)>,
}

impl Table {
    /// Finds the columns in the header row (row 1), in any order. A missing required column, a
    /// name that is not a column of this kind (a typo must not drop a column silently), a column
    /// named twice, and values under a column without a name refuse the whole file; blank rows
    /// are skipped.
    pub(crate) fn new(kind: Kind, sheet: &Sheet) -> Result<Self, ImportError> {
        let mut problems = Vec::new();
        let Some((first, header)) = sheet.rows.first() else {
            return Err(ImportError::File(vec!["the file is empty".to_owned()]));
        };
        if *first != 1 {
            return Err(ImportError::File(vec![
                "row 1 is empty; the column names must be in row 1".to_owned(),
            ]));
        }
        let mut columns = HashMap::new();
        let mut unnamed = Vec::new();
        let mut unknown = false;
        for (index, cell) in header.iter().enumerate() {
            let name = match cell.text() {
                Ok(Some(name)) => name,
                Ok(None) => {
                    unnamed.push(index);
                    continue;
                }
                Err(reason) => {
                    problems.push(format!("row 1, column {}: {reason}", column_letter(index)));
                    continue;
                }
            };
            match kind.columns().iter().find(|c| c.name == name) {
                Some(column) => {
                    if columns.insert(column.name, index).is_some() {
                        problems.push(format!("column {name} is there twice"));
                    }
                }
                None => {
                    unknown = true;
                    problems.push(format!(
                        "unknown column \"{name}\" (column {})",
                        column_letter(index)
                    ));
                }
            }
        }
        // A file of the other kind: say so rather than list every column as unknown.
        let other = match kind {
            Kind::Organizations => Kind::People,
            Kind::People => Kind::Organizations,
        };
        let names: Vec<String> = header
            .iter()
            .filter_map(|c| c.text().ok().flatten())
            .collect();
        if columns.is_empty()
            && !names.is_empty()
            && names
                .iter()
                .all(|n| other.columns().iter().any(|c| c.name == n))
        {
            return Err(ImportError::File(vec![format!(
                "its columns are those of a file of {0}; import it with `lianjian import {0}`",
                other.noun()
            )]));
        }
        let data: Vec<(usize, Vec<Cell>)> = sheet.rows[1..]
            .iter()
            .filter(|(_, cells)| !cells.iter().all(Cell::is_blank))
            .cloned()
            .collect();
        for index in unnamed {
            if data
                .iter()
                .any(|(_, cells)| cells.get(index).is_some_and(|c| !c.is_blank()))
            {
                problems.push(format!(
                    "column {} has values but no name in row 1",
                    column_letter(index)
                ));
            }
        }
        let mut missing = false;
        for column in kind.columns().iter().filter(|c| c.required) {
            if !columns.contains_key(column.name) {
                missing = true;
                problems.push(format!("missing column {}", column.name));
            }
        }
        if kind == Kind::People
            && !columns.contains_key(super::people::ORGANIZATION)
            && !columns.contains_key(super::people::ORGANIZATION_CODE)
        {
            missing = true;
            problems.push(format!(
                "missing column {} or {}",
                super::people::ORGANIZATION,
                super::people::ORGANIZATION_CODE
            ));
        }
        if missing || unknown {
            let names: Vec<&str> = kind.columns().iter().map(|c| c.name).collect();
            problems.push(format!(
                "the columns of a file of {} are {}",
                kind.noun(),
                names.join(", ")
            ));
        }
        if problems.is_empty() && data.is_empty() {
            problems.push("no rows below the column names".to_owned());
        }
        if problems.is_empty() {
            Ok(Self {
                columns,
                rows: data,
            })
        } else {
            Err(ImportError::File(problems))
        }
    }

    /// The cell of `column` in `cells` (a row of this table); empty when the file has no such
    /// column or the row is short.
    pub(crate) fn cell<'a>(&self, cells: &'a [Cell], column: &str) -> &'a Cell {
        self.columns
            .get(column)
            .and_then(|i| cells.get(*i))
            .unwrap_or(&Cell::Empty)
    }

    /// Whether the file has `column`.
    pub(crate) fn has(&self, column: &str) -> bool {
        self.columns.contains_key(column)
    }
}

/// Reads the cells of one row, collecting the problems of each column.
pub(crate) struct RowReader<'a> {
    pub(crate) table: &'a Table,
    pub(crate) row: usize,
    pub(crate) cells: &'a [Cell],
    pub(crate) errors: Vec<super::RowError>,
}

impl<'a> RowReader<'a> {
    pub(crate) fn new(table: &'a Table, row: usize, cells: &'a [Cell]) -> Self {
        Self {
            table,
            row,
            cells,
            errors: Vec::new(),
        }
    }

    pub(crate) fn error(&mut self, column: &'static str, reason: impl Into<String>) {
        self.errors
            .push(super::RowError::new(self.row, column, reason));
    }

    pub(crate) fn cell(&self, column: &str) -> &'a Cell {
        self.table.cell(self.cells, column)
    }

    /// The text of an optional column.
    pub(crate) fn text(&mut self, column: &'static str) -> Option<String> {
        match self.cell(column).text() {
            Ok(text) => text,
            Err(reason) => {
                self.error(column, reason);
                None
            }
        }
    }

    /// The text of a column every row must fill.
    pub(crate) fn required(&mut self, column: &'static str) -> Option<String> {
        let cell = self.cell(column);
        let text = self.text(column);
        if text.is_none() && matches!(cell.text(), Ok(None)) {
            self.error(column, "is required");
        }
        text
    }

    /// A label of `T` (the Chinese label or the API's name) in an optional column.
    pub(crate) fn label<T: crate::services::labels::Label>(
        &mut self,
        column: &'static str,
    ) -> Option<T> {
        let text = self.text(column)?;
        self.parse_label(column, &text)
    }

    /// A label of `T` in a column every row must fill.
    pub(crate) fn required_label<T: crate::services::labels::Label>(
        &mut self,
        column: &'static str,
    ) -> Option<T> {
        let text = self.required(column)?;
        self.parse_label(column, &text)
    }

    fn parse_label<T: crate::services::labels::Label>(
        &mut self,
        column: &'static str,
        text: &str,
    ) -> Option<T> {
        let value = T::from_label(text);
        if value.is_none() {
            self.error(
                column,
                format!("\"{text}\" is not one of {}", T::labels().join(", ")),
            );
        }
        value
    }

    /// 是 / 否 (blank is 否).
    pub(crate) fn yes_no(&mut self, column: &'static str) -> bool {
        let Some(text) = self.text(column) else {
            return false;
        };
        match crate::services::labels::parse_yes_no(&text) {
            Some(value) => value,
            None => {
                self.error(column, format!("\"{text}\" is not 是 or 否"));
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_read_as_typed_and_long_ones_are_flagged() {
        assert_eq!(
            Cell::Number(13812345678.0).text(),
            Ok(Some("13812345678".into()))
        );
        assert_eq!(Cell::Number(1001.0).text(), Ok(Some("1001".into())));
        assert_eq!(Cell::Number(2.5).text(), Ok(Some("2.5".into())));
        assert!(!Cell::Number(13812345678.0).is_inexact_number());
        // An ID-card number typed as a number has lost its last digits.
        assert!(Cell::Number(440106199003071234.0).is_inexact_number());
        assert_eq!(
            Cell::Date(NaiveDate::from_ymd_opt(2021, 6, 1).unwrap_or_default()).text(),
            Ok(Some("2021-06-01".into()))
        );
        assert_eq!(Cell::Text("  村 ".into()).text(), Ok(Some("村".into())));
        assert_eq!(Cell::Text("\u{3000}".into()).text(), Ok(None));
        assert!(Cell::Error("#N/A".into()).text().is_err());
    }

    #[test]
    fn csv_cells_lose_the_formula_guard_of_exports_and_nothing_else() {
        let sheet = read_csv("名称,简称\n'=SUM(A1),'-1\n'普通,'\n".as_bytes()).unwrap();
        let cells = |row: usize| sheet.rows[row].1.clone();
        assert_eq!(
            cells(1),
            vec![text_cell("=SUM(A1)".to_owned()), text_cell("-1".to_owned())]
        );
        assert_eq!(
            cells(2),
            vec![text_cell("'普通".to_owned()), text_cell("'".to_owned())]
        );
    }

    #[test]
    fn csv_reads_with_or_without_a_byte_order_mark_and_refuses_other_encodings() {
        let plain = read_csv("名称,层级\n甲,党委\n".as_bytes()).unwrap();
        let bom = read_csv("\u{feff}名称,层级\n甲,党委\n".as_bytes()).unwrap();
        assert_eq!(plain, bom);
        assert_eq!(plain.rows[0].1[0], Cell::Text("名称".into()));
        assert_eq!(plain.rows[1].0, 2);
        // 名称 in GBK, as a Chinese Excel saves "CSV" by default.
        let gbk = [0xC3, 0xFB, 0xB3, 0xC6, b'\n'];
        assert!(read_csv(&gbk).unwrap_err().contains("UTF-8"));
    }

    #[test]
    fn columns_are_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
    }

    fn problems(kind: Kind, rows: &[Vec<&str>]) -> Vec<String> {
        match Table::new(kind, &Sheet::from_text_rows(rows)) {
            Err(ImportError::File(problems)) => problems,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_header_must_name_the_required_columns_and_nothing_unknown() {
        let found = problems(
            Kind::Organizations,
            &[
                vec!["名称", "层级", "片区", "上级组级"],
                vec!["甲", "党委", "景区", ""],
            ],
        );
        assert_eq!(found[0], "unknown column \"上级组级\" (column D)");
        assert_eq!(found[1], "missing column 单位类型");
        assert!(found[2].starts_with("the columns of a file of organizations are 名称, 简称"));
        let found = problems(
            Kind::People,
            &[vec!["姓名", "政治面貌", ""], vec!["张三", "群众", "x"]],
        );
        assert_eq!(
            &found[..2],
            [
                "column C has values but no name in row 1",
                "missing column 所属组织 or 组织编码"
            ]
        );
        let found = problems(Kind::People, &[vec!["名称", "层级"], vec!["甲", "党委"]]);
        assert_eq!(
            found,
            [
                "its columns are those of a file of organizations; import it with `lianjian import organizations`"
            ]
        );
        let found = problems(Kind::People, &[vec!["姓名", "政治面貌", "所属组织"]]);
        assert_eq!(found, ["no rows below the column names"]);
    }

    #[test]
    fn columns_come_in_any_order_and_blank_rows_are_skipped() {
        let sheet = Sheet::from_text_rows(&[
            vec!["片区", "单位类型", "层级", "名称"],
            vec!["", "", "", ""],
            vec!["景区", "村", "党支部", "甲"],
        ]);
        let table = Table::new(Kind::Organizations, &sheet).unwrap();
        assert_eq!(table.rows.len(), 1);
        let (row, cells) = &table.rows[0];
        assert_eq!(*row, 3);
        assert_eq!(table.cell(cells, "名称"), &Cell::Text("甲".into()));
        assert_eq!(table.cell(cells, "简称"), &Cell::Empty);
        assert!(!table.has("简称"));
    }
}
