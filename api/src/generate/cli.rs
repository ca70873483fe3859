//! The `generate` subcommand: flags, progress on standard error, row counts at the end.

use std::io::IsTerminal;

use clap::{Args, ValueEnum};
use migration::{Migrator, MigratorTrait};

use super::{Options, Progress, Shape};
use crate::{
    clock::Clock, config::DatabaseConfig, db::Db, metrics::Metrics, services::demo::DemoOutcome,
};

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    database: DatabaseConfig,
    /// Time zone of calendar dates.
    #[arg(long, env = "LIANJIAN_TIMEZONE", default_value_t = crate::config::DEFAULT_TIMEZONE, value_parser = crate::config::parse_timezone)]
    timezone: chrono_tz::Tz,
    /// Treat DATE (YYYY-MM-DD) as today when the demo is loaded; a rerun keeps the day of the
    /// first load, so it builds the same rows.
    #[arg(long, env = "LIANJIAN_TODAY")]
    today: Option<chrono::NaiveDate>,
    /// How big a data set to build.
    #[arg(long, value_enum, ignore_case = true)]
    scale: Scale,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scale {
    /// The demo alone, exactly what `demo-data` loads.
    #[value(name = "S")]
    S,
    /// The demo and 1,000 organizations, 30,000 people, 100,000 activities, 10,000 items, 5,000 appeals.
    #[value(name = "M")]
    M,
    /// The demo and 10,000 organizations, 300,000 people, 1,000,000 activities, 100,000 items, 30,000 appeals.
    #[value(name = "L")]
    L,
}

impl Scale {
    pub fn shape(self) -> Shape {
        match self {
            Self::S => Shape::s(),
            Self::M => Shape::m(),
            Self::L => Shape::l(),
        }
    }
}

/// Why `generate` failed: the database could not be opened (exit code 2), or anything else.
pub enum GenerateError {
    Config(String),
    Other(String),
}

/// A bar on a terminal, a line every tenth (and at the end) of each part otherwise.
enum Report {
    Bar(Option<indicatif::ProgressBar>),
    Lines {
        part: &'static str,
        total: u64,
        next: u64,
    },
}

impl Progress for Report {
    fn start(&mut self, part: &'static str, total: u64) {
        match self {
            Self::Bar(bar) => {
                let b = indicatif::ProgressBar::with_draw_target(
                    Some(total),
                    indicatif::ProgressDrawTarget::stderr(),
                );
                if let Ok(style) = indicatif::ProgressStyle::with_template(
                    "{msg:18} [{bar:40}] {pos}/{len} {per_sec} eta {eta}",
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
        }
    }

    fn advance(&mut self, done: u64) {
        match self {
            Self::Bar(Some(bar)) => bar.set_position(done),
            Self::Bar(None) => {}
            Self::Lines { part, total, next } => {
                if done >= *next || done == *total {
                    eprintln!("generate: {part} {done}/{total}");
                    *next = done + (*total / 10).max(1);
                }
            }
        }
    }

    fn finish(&mut self) {
        if let Self::Bar(bar) = self
            && let Some(bar) = bar.take()
        {
            bar.finish();
        }
    }
}

pub async fn run(args: GenerateArgs) -> Result<(), GenerateError> {
    let started = std::time::Instant::now();
    let metrics = Metrics::new();
    let db = Db::connect(&args.database, &metrics)
        .await
        .map_err(|e| GenerateError::Config(e.to_string()))?;
    Migrator::up(&db.write, None)
        .await
        .map_err(|e| GenerateError::Other(format!("migrations failed: {e}")))?;
    let clock = Clock::new(args.timezone, args.today);
    let options = Options {
        today: clock.today(),
        zone: args.timezone,
        stop_after_chunks: None,
    };
    let mut report = if std::io::stderr().is_terminal() {
        Report::Bar(None)
    } else {
        Report::Lines {
            part: "",
            total: 0,
            next: 0,
        }
    };
    let outcome = super::generate(&db.write, args.scale.shape(), &options, &mut report)
        .await
        .map_err(|e| GenerateError::Other(format!("generate failed: {e}")))?;
    match &outcome.demo {
        DemoOutcome::Loaded { accounts, .. } => {
            println!("demo data loaded; demo accounts (the passwords are shown only now):");
            for account in accounts {
                println!(
                    "  {:16} {:18} {}",
                    account.username, account.password, account.grant
                );
            }
        }
        DemoOutcome::AlreadyLoaded => println!("demo data already loaded"),
    }
    println!(
        "data set {:?} laid out around {} in {:.1}s",
        args.scale,
        outcome.anchor,
        started.elapsed().as_secs_f64()
    );
    let counts = super::table_counts(&db.write)
        .await
        .map_err(|e| GenerateError::Other(format!("cannot count rows: {e}")))?;
    for (table, n) in counts {
        println!("{table:24} {n}");
    }
    Ok(())
}
