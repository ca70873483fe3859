//! The writers of the exports. Each download is a task that reads the sheets page by page and
//! sends the file through a small channel into the response body, so a slow client slows the
//! reading down instead of filling memory, and a client that goes away stops it.
//!
//! - CSV: UTF-8 with a byte-order mark (spreadsheet programs then read Chinese), CRLF line ends,
//!   RFC 4180 quoting (the `csv` crate); a text cell that a spreadsheet would take for a formula
//!   (`=`, `+`, `-`, `@`, tab, carriage return first) gets a leading `'`.
//! - XLSX: `rust_xlsxwriter` in constant-memory mode on a blocking thread: each row goes to the
//!   sheet's temporary file as it comes; the workbook is then assembled in an unnamed temporary
//!   file and sent from there in chunks. Text is always written as text, never as a formula;
//!   dates and times are real spreadsheet dates.
//!
//! A failure after the response started ends the body with an error (the client sees a broken
//! download) and is logged with the export's name only: never a cell.

use std::io::{Read, Seek};

use crate::db::ReadDb;
use axum::body::{Body, Bytes};
use rust_xlsxwriter::{Format as CellFormat, Workbook, Worksheet, XlsxError};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::{
    error::AppError,
    services::exports::{Cell, Column, Row, Sheet},
};

/// UTF-8's byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";
/// Bytes per chunk of an XLSX file sent.
const CHUNK_BYTES: usize = 64 * 1024;
/// The most characters a spreadsheet cell holds.
const MAX_CELL_CHARS: usize = 32_767;

type Chunk = Result<Bytes, std::io::Error>;

/// Why a download stopped early.
#[derive(Debug)]
enum Stop {
    /// The client went away: nothing to report.
    Gone,
    /// Something failed; the detail is for the log.
    Failed(String),
}

impl From<AppError> for Stop {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Internal(detail) => Self::Failed(detail),
            other => Self::Failed(other.to_string()),
        }
    }
}

impl From<XlsxError> for Stop {
    fn from(e: XlsxError) -> Self {
        Self::Failed(format!("workbook: {e}"))
    }
}

impl From<std::io::Error> for Stop {
    fn from(e: std::io::Error) -> Self {
        Self::Failed(format!("temporary file: {e}"))
    }
}

impl From<csv::Error> for Stop {
    fn from(e: csv::Error) -> Self {
        Self::Failed(format!("csv: {e}"))
    }
}

/// The channel a download task feeds and the response body it becomes. Two chunks in flight at
/// most: the reading waits for the client.
fn channel() -> (mpsc::Sender<Chunk>, Body) {
    let (tx, rx) = mpsc::channel(2);
    (tx, Body::from_stream(ReceiverStream::new(rx)))
}

/// Ends a download: a failure is logged and breaks the body.
async fn finish(tx: &mpsc::Sender<Chunk>, export: &'static str, result: Result<(), Stop>) {
    match result {
        Ok(()) => {}
        Err(Stop::Gone) => tracing::debug!(export, "export: the client went away"),
        Err(Stop::Failed(detail)) => {
            tracing::error!(export, error = %detail, "export failed after the download started");
            let _ = tx
                .send(Err(std::io::Error::other("the export failed")))
                .await;
        }
    }
}

// ---- CSV -------------------------------------------------------------------------------------

/// One sheet as CSV, streamed.
pub(super) fn csv(db: ReadDb, mut sheet: Sheet, export: &'static str) -> Body {
    let (tx, body) = channel();
    tokio::spawn(async move {
        let result = write_csv(&db, &mut sheet, &tx).await;
        finish(&tx, export, result).await;
    });
    body
}

async fn write_csv(db: &ReadDb, sheet: &mut Sheet, tx: &mpsc::Sender<Chunk>) -> Result<(), Stop> {
    let headers: Row = sheet
        .columns
        .iter()
        .map(|c| Cell::Text(c.header.to_owned()))
        .collect();
    let mut head = BOM.to_vec();
    head.extend(csv_bytes(&[headers])?);
    send(tx, head).await?;
    while let Some(rows) = sheet.next_page(db).await? {
        send(tx, csv_bytes(&rows)?).await?;
    }
    Ok(())
}

async fn send(tx: &mpsc::Sender<Chunk>, bytes: Vec<u8>) -> Result<(), Stop> {
    tx.send(Ok(Bytes::from(bytes)))
        .await
        .map_err(|_| Stop::Gone)
}

/// Rows as CSV records (RFC 4180 quoting, CRLF line ends).
fn csv_bytes(rows: &[Row]) -> Result<Vec<u8>, Stop> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for row in rows {
        writer.write_record(row.iter().map(csv_text))?;
    }
    writer
        .into_inner()
        .map_err(|e| Stop::Failed(format!("csv: {}", e.error())))
}

/// A cell as CSV text: dates as `YYYY-MM-DD`, local times as `YYYY-MM-DD HH:MM`, and text a
/// spreadsheet would read as a formula behind a `'`.
fn csv_text(cell: &Cell) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Text(text) if text.starts_with(['=', '+', '-', '@', '\t', '\r']) => {
            format!("'{text}")
        }
        Cell::Text(text) => text.clone(),
        Cell::Int(n) => n.to_string(),
        Cell::Float(x) => x.to_string(),
        Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
        Cell::DateTime(t) => t.format("%Y-%m-%d %H:%M").to_string(),
    }
}

// ---- XLSX ------------------------------------------------------------------------------------

/// What the reading task hands the workbook's thread.
enum Message {
    Sheet(&'static str, &'static [Column]),
    Rows(Vec<Row>),
    /// Every row was sent: save and send the file.
    Finish,
}

/// Sheets as one XLSX workbook, streamed once it is assembled.
pub(super) fn xlsx(db: ReadDb, sheets: Vec<Sheet>, export: &'static str) -> Body {
    let (tx, body) = channel();
    tokio::spawn(async move {
        let result = write_xlsx(&db, sheets, &tx).await;
        finish(&tx, export, result).await;
    });
    body
}

async fn write_xlsx(db: &ReadDb, sheets: Vec<Sheet>, tx: &mpsc::Sender<Chunk>) -> Result<(), Stop> {
    let (rows_tx, rows_rx) = mpsc::channel(2);
    let body = tx.clone();
    let writer = tokio::task::spawn_blocking(move || workbook(rows_rx, &body));
    let mut produced = produce(db, sheets, &rows_tx, tx).await;
    if produced.is_ok() && rows_tx.send(Message::Finish).await.is_err() {
        produced = Err(Stop::Failed("the workbook writer stopped".to_owned()));
    }
    // Without `Finish`, the writer stops at the closed channel and writes nothing.
    drop(rows_tx);
    let written = writer
        .await
        .unwrap_or_else(|e| Err(Stop::Failed(format!("the workbook writer failed: {e}"))));
    match (produced, written) {
        (Ok(()), Ok(())) => Ok(()),
        (Err(Stop::Gone), _) | (Ok(()), Err(Stop::Gone)) => Err(Stop::Gone),
        // The writer's own failure explains why it stopped taking rows.
        (_, Err(Stop::Failed(detail))) => Err(Stop::Failed(detail)),
        (Err(e), _) => Err(e),
    }
}

/// Reads every sheet page by page into the workbook's thread.
async fn produce(
    db: &ReadDb,
    sheets: Vec<Sheet>,
    rows_tx: &mpsc::Sender<Message>,
    body: &mpsc::Sender<Chunk>,
) -> Result<(), Stop> {
    let stopped = || Stop::Failed("the workbook writer stopped".to_owned());
    for mut sheet in sheets {
        rows_tx
            .send(Message::Sheet(sheet.name, sheet.columns))
            .await
            .map_err(|_| stopped())?;
        while let Some(rows) = sheet.next_page(db).await? {
            if body.is_closed() {
                return Err(Stop::Gone);
            }
            rows_tx
                .send(Message::Rows(rows))
                .await
                .map_err(|_| stopped())?;
        }
    }
    Ok(())
}

/// The workbook's thread: writes the rows as they come, then saves the workbook into an unnamed
/// temporary file (gone when closed) and sends it into the body in chunks.
fn workbook(mut rows: mpsc::Receiver<Message>, body: &mpsc::Sender<Chunk>) -> Result<(), Stop> {
    let mut book = Workbook::new();
    let bold = CellFormat::new().set_bold();
    let formats = Formats {
        date: CellFormat::new().set_num_format("yyyy-mm-dd"),
        time: CellFormat::new().set_num_format("yyyy-mm-dd hh:mm"),
    };
    let mut sheets = 0usize;
    let mut next_row: u32 = 0;
    while let Some(message) = rows.blocking_recv() {
        match message {
            Message::Sheet(name, columns) => {
                let sheet = book.add_worksheet_with_constant_memory()?;
                sheet.set_name(name)?;
                for (c, column) in columns.iter().enumerate() {
                    let c =
                        u16::try_from(c).map_err(|_| Stop::Failed("too many columns".into()))?;
                    sheet.set_column_width(c, column.width)?;
                    sheet.write_string_with_format(0, c, column.header, &bold)?;
                }
                sheet.set_freeze_panes(1, 0)?;
                sheets += 1;
                next_row = 1;
            }
            Message::Rows(page) => {
                let index = sheets
                    .checked_sub(1)
                    .ok_or_else(|| Stop::Failed("rows before a sheet".into()))?;
                let sheet = book.worksheet_from_index(index)?;
                for row in &page {
                    write_row(sheet, next_row, row, &formats)?;
                    next_row = next_row.saturating_add(1);
                }
            }
            Message::Finish => {
                let mut file = tempfile::tempfile()?;
                book.save_to_writer(&mut file)?;
                file.rewind()?;
                return send_file(file, body);
            }
        }
    }
    Err(Stop::Gone)
}

struct Formats {
    date: CellFormat,
    time: CellFormat,
}

fn write_row(sheet: &mut Worksheet, row: u32, cells: &Row, formats: &Formats) -> Result<(), Stop> {
    for (c, cell) in cells.iter().enumerate() {
        let c = u16::try_from(c).map_err(|_| Stop::Failed("too many columns".into()))?;
        match cell {
            Cell::Empty => {}
            // Always a string cell: text that looks like a formula stays text.
            Cell::Text(text) => {
                sheet.write_string(row, c, clip(text))?;
            }
            #[allow(clippy::cast_precision_loss)]
            Cell::Int(n) => {
                sheet.write_number(row, c, *n as f64)?;
            }
            Cell::Float(x) => {
                sheet.write_number(row, c, *x)?;
            }
            Cell::Date(d) => {
                sheet.write_date_with_format(row, c, d, &formats.date)?;
            }
            Cell::DateTime(t) => {
                sheet.write_datetime_with_format(row, c, t, &formats.time)?;
            }
        }
    }
    Ok(())
}

/// Text cut to what a cell holds.
fn clip(text: &str) -> &str {
    match text.char_indices().nth(MAX_CELL_CHARS) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

fn send_file(mut file: std::fs::File, body: &mpsc::Sender<Chunk>) -> Result<(), Stop> {
    loop {
        let mut chunk = vec![0u8; CHUNK_BYTES];
        let n = file.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        chunk.truncate(n);
        body.blocking_send(Ok(Bytes::from(chunk)))
            .map_err(|_| Stop::Gone)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_text_is_quoted_and_other_cells_are_plain() {
        for (text, expected) in [
            ("=1+1", "'=1+1"),
            ("+86 138", "'+86 138"),
            ("-5", "'-5"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("温泉村", "温泉村"),
            ("a=b", "a=b"),
        ] {
            assert_eq!(csv_text(&Cell::Text(text.to_owned())), expected);
        }
        assert_eq!(csv_text(&Cell::Int(-3)), "-3");
        assert_eq!(
            csv_text(&Cell::Date("2026-06-01".parse().unwrap())),
            "2026-06-01"
        );
        assert_eq!(
            csv_text(&Cell::DateTime("2026-06-01T09:30:00".parse().unwrap())),
            "2026-06-01 09:30"
        );
        assert_eq!(csv_text(&Cell::Empty), "");
    }

    #[test]
    fn csv_records_are_quoted_as_rfc_4180_says() {
        let bytes = csv_bytes(&[vec![
            Cell::Text("a,b".into()),
            Cell::Text("say \"hi\"".into()),
            Cell::Text("two\nlines".into()),
        ]])
        .unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
        );
    }

    #[test]
    fn long_text_is_clipped_to_a_cell() {
        let long = "村".repeat(MAX_CELL_CHARS + 5);
        assert_eq!(clip(&long).chars().count(), MAX_CELL_CHARS);
        assert_eq!(clip("短"), "短");
    }
}
