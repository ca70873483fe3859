//! The `import` subcommand: flags, progress on standard error, the summary or every bad row.

use std::{io::IsTerminal, path::PathBuf};

use clap::{Args, Subcommand};
use migration::{Migrator, MigratorTrait};

use super::{ImportError, Kind, Options, Report};
use crate::{
    clock::Clock, config::DatabaseConfig, db::Db, events::EventBus, generate::Progress,
    metrics::Metrics,
};

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import organizations from a spreadsheet: every row checked, all or nothing.
    ///
    /// FILE is .xlsx (the sheet named 组织, else the first) or .csv (UTF-8), with the column
    /// names in row 1, in any order: 名称, 层级, 单位类型, 片区 (required), 简称, 编码, 上级组织,
    /// 上级编码, 联系方式, 重点村, 偏远村 (the columns of the export). 层级 and 单位类型 take the
    /// Chinese label or the API's name (党支部 or BRANCH); the parent is named by 上级组织
    /// (exact name) or 上级编码 (external code), in the database or on an earlier row; a 片区
    /// that names no area creates it; 重点村 and 偏远村 are 是 or 否 (blank: 否). A name
    /// already used under the same parent is refused.
    ///
    /// If any row is wrong, nothing is imported and every problem is printed to standard
    /// error as `row N, COLUMN: reason` (exit code 1). A file that cannot be read, a missing
    /// or unknown column: exit code 2.
    Organizations {
        #[command(flatten)]
        file: FileArgs,
    },
    /// Import people from a spreadsheet: every row checked, all or nothing.
    ///
    /// FILE is .xlsx (the sheet named 人员, else the first) or .csv (UTF-8), with the column
    /// names in row 1, in any order: 姓名, 政治面貌 (required), 所属组织 or 组织编码 (one of them
    /// required), 性别, 手机号, 身份证号, 职务 (the columns of the export). The organization is
    /// found by 组织编码 (external code) or 所属组织 (exact name; a name two organizations share
    /// needs the code). Phone and ID-card numbers are checked as the API checks them, and a
    /// masked number (138****5678) is refused. 职务 lists positions separated by 、, each
    /// 书记 (starting today) or 书记（2021-06-01起）.
    ///
    /// If any row is wrong, nothing is imported and every problem is printed to standard
    /// error as `row N, COLUMN: reason`, never with a phone or ID-card number (exit code 1). A
    /// file that cannot be read, a missing or unknown column: exit code 2.
    People {
        #[command(flatten)]
        file: FileArgs,
        /// Time zone that decides today's date, the start of a position given without one.
        #[arg(long, env = "LIANJIAN_TIMEZONE", default_value_t = crate::config::DEFAULT_TIMEZONE, value_parser = crate::config::parse_timezone)]
        timezone: chrono_tz::Tz,
        /// Treat DATE (YYYY-MM-DD) as today.
        #[arg(long, env = "LIANJIAN_TODAY")]
        today: Option<chrono::NaiveDate>,
    },
}

#[derive(Debug, Args)]
pub struct FileArgs {
    #[command(flatten)]
    database: DatabaseConfig,
    /// The spreadsheet: .xlsx or .csv.
    file: PathBuf,
    /// Check every row, the database's checks included, then roll everything back.
    #[arg(long)]
    dry_run: bool,
}

/// Why `import` failed: the file or the database could not be used (exit code 2), or rows are
/// wrong or the database failed midway (exit code 1).
pub enum ImportCliError {
    Config(String),
    Other(String),
}

/// Files with fewer rows than this finish too soon for a progress display to help.
const PROGRESS_MIN_ROWS: u64 = 200;

/// A bar on a terminal, a line every tenth (and at the end) otherwise; nothing for a small file.
enum Display {
    Bar(Option<indicatif::ProgressBar>),
    Lines {
        part: &'static str,
        total: u64,
        next: u64,
    },
    Off,
}

impl Progress for Display {
    fn start(&mut self, part: &'static str, total: u64) {
        if total < PROGRESS_MIN_ROWS {
            *self = Self::Off;
        }
        match self {
            Self::Bar(bar) => {
                let b = indicatif::ProgressBar::with_draw_target(
                    Some(total),
                    indicatif::ProgressDrawTarget::stderr(),
                );
                if let Ok(style) = indicatif::ProgressStyle::with_template(
                    "{msg:14} [{bar:40}] {pos}/{len} rows {per_sec} eta {eta}",
                ) {
                    b.set_style(style.progress_chars("=> "));
                }
                b.set_message(part);
                *bar = Some(b);
            }
            Self::Lines {
                part: p,
                total: t,
                next,
            } => {
                *p = part;
                *t = total;
                *next = 0;
            }
            Self::Off => {}
        }
    }

    fn advance(&mut self, done: u64) {
        match self {
            Self::Bar(Some(bar)) => bar.set_position(done),
            Self::Lines { part, total, next } => {
                if done >= *next || done == *total {
                    eprintln!("import: {part} {done}/{total} rows");
                    *next = done + (*total / 10).max(1);
                }
            }
            Self::Bar(None) | Self::Off => {}
        }
    }

    fn finish(&mut self) {
        if let Self::Bar(bar) = self
            && let Some(bar) = bar.take()
        {
            bar.finish_and_clear();
        }
    }
}

pub async fn run(command: ImportCommand) -> Result<(), ImportCliError> {
    let (kind, args, clock) = match command {
        ImportCommand::Organizations { file } => (
            Kind::Organizations,
            file,
            Clock::new(crate::config::DEFAULT_TIMEZONE, None),
        ),
        ImportCommand::People {
            file,
            timezone,
            today,
        } => (Kind::People, file, Clock::new(timezone, today)),
    };
    let shown = args.file.display().to_string();
    let refused = |e: ImportError| match e {
        ImportError::File(problems) if problems.len() == 1 => {
            ImportCliError::Config(format!("{shown} was not imported: {}", problems[0]))
        }
        ImportError::File(problems) => ImportCliError::Config(format!(
            "{shown} was not imported:\n{}",
            problems.join("\n")
        )),
        ImportError::Database(detail) => ImportCliError::Other(format!(
            "{shown} was not imported; nothing changed: the database failed: {detail}"
        )),
    };
    // The file first: a file that cannot be imported needs no database.
    let sheet = super::read::read_file(&args.file, kind.sheet_name()).map_err(&refused)?;
    let metrics = Metrics::new();
    let db = Db::connect(&args.database, &metrics)
        .await
        .map_err(|e| ImportCliError::Config(e.to_string()))?;
    Migrator::up(&db.write, None)
        .await
        .map_err(|e| ImportCliError::Other(format!("migrations failed: {e}")))?;
    let options = Options {
        dry_run: args.dry_run,
        today: clock.today(),
    };
    let mut display = if std::io::stderr().is_terminal() {
        Display::Bar(None)
    } else {
        Display::Lines {
            part: "",
            total: 0,
            next: 0,
        }
    };
    let report = super::import_sheet(
        &db.write,
        &EventBus::new(),
        kind,
        &sheet,
        &options,
        &mut display,
    )
    .await
    .map_err(&refused)?;
    let _ = db.close().await;
    match summary(&report, &shown) {
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
            Ok(())
        }
        Err(message) => Err(ImportCliError::Other(message)),
    }
}

/// The lines of a successful import (or dry run), or the message listing every bad row.
pub fn summary(report: &Report, file: &str) -> Result<Vec<String>, String> {
    let dry = if report.dry_run { "dry run: " } else { "" };
    if !report.errors.is_empty() {
        let mut message = format!(
            "{dry}nothing was imported: {} of {} {} of {file} {} errors",
            report.bad_rows(),
            report.rows,
            if report.rows == 1 { "row" } else { "rows" },
            if report.bad_rows() == 1 {
                "has"
            } else {
                "have"
            },
        );
        for error in &report.errors {
            message.push('\n');
            message.push_str(&error.to_string());
        }
        return Err(message);
    }
    let mut lines = Vec::new();
    let areas = &report.areas_created;
    let area_noun = if areas.len() == 1 { "area" } else { "areas" };
    if report.dry_run {
        lines.push(format!(
            "dry run: {} {} would be imported from {file}; nothing was written",
            report.imported,
            if report.imported == 1 { "row" } else { "rows" },
        ));
        if !areas.is_empty() {
            lines.push(format!(
                "dry run: {} {area_noun} would be created: {}",
                areas.len(),
                areas.join(", ")
            ));
        }
    } else {
        let noun = match (report.kind, report.imported) {
            (Kind::Organizations, 1) => "organization",
            (Kind::People, 1) => "person",
            (kind, _) => kind.noun(),
        };
        lines.push(format!("imported {} {noun} from {file}", report.imported));
        if !areas.is_empty() {
            lines.push(format!(
                "created {} {area_noun}: {}",
                areas.len(),
                areas.join(", ")
            ));
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::RowError;

    fn report(dry_run: bool, errors: Vec<RowError>) -> Report {
        Report {
            kind: Kind::Organizations,
            dry_run,
            rows: 3,
            imported: 3 - errors.len(),
            areas_created: vec!["温泉镇".into()],
            errors,
        }
    }

    #[test]
    fn summaries_say_what_was_done() {
        assert_eq!(
            summary(&report(false, vec![]), "o.csv").unwrap(),
            [
                "imported 3 organizations from o.csv",
                "created 1 area: 温泉镇"
            ]
        );
        assert_eq!(
            summary(&report(true, vec![]), "o.csv").unwrap(),
            [
                "dry run: 3 rows would be imported from o.csv; nothing was written",
                "dry run: 1 area would be created: 温泉镇"
            ]
        );
        let errors = vec![
            RowError::new(2, "层级", "\"支部\" is not one of 党委, 党总支, 党支部"),
            RowError::new(2, "片区", "is required"),
        ];
        assert_eq!(
            summary(&report(false, errors), "o.csv").unwrap_err(),
            "nothing was imported: 1 of 3 rows of o.csv has errors\n\
             row 2, 层级: \"支部\" is not one of 党委, 党总支, 党支部\n\
             row 2, 片区: is required"
        );
    }
}
