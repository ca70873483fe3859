//! The `lianjian` command line. Flags are read once here into a typed `Config`; every flag has an
//! environment variable, so service files can configure the server either way.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand, ValueEnum};
use migration::{Migrator, MigratorTrait};
use tracing_subscriber::EnvFilter;

use crate::{
    app::{AppState, build_router},
    clock::Clock,
    config::{Config, DatabaseConfig, ServerConfig},
    db::Db,
    graphql::Api,
    metrics::Metrics,
    services::{demo::DemoOutcome, supervision::escalation},
};

#[derive(Debug, Parser)]
#[command(
    name = "lianjian",
    version,
    about = "GraphQL API server for joint party-building committees"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,

    /// Log filter, e.g. `info` or `lianjian_api=debug,info`.
    #[arg(
        long,
        env = "LIANJIAN_LOG",
        default_value = "info,sqlx=warn",
        global = true
    )]
    log: String,

    /// Log lines as plain text, or one JSON object per line for log shippers (with the request
    /// span and its request id).
    #[arg(
        long = "log-format",
        env = "LIANJIAN_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text,
        global = true
    )]
    log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply pending migrations, then serve the API until SIGTERM or SIGINT.
    Serve {
        #[command(flatten)]
        database: DatabaseConfig,
        #[command(flatten)]
        server: ServerConfig,
        /// Load the hot-spring example into an empty database before serving.
        #[arg(long, env = "LIANJIAN_DEMO")]
        demo: bool,
    },
    /// Load the hot-spring example (areas, organizations, the joint committee, people, joint
    /// activities, the supervision ledger and its rounds) into an empty database; running it
    /// again changes nothing.
    DemoData {
        #[command(flatten)]
        database: DatabaseConfig,
        /// Time zone that decides today's date for memberships.
        #[arg(long, env = "LIANJIAN_TIMEZONE", default_value_t = crate::config::DEFAULT_TIMEZONE, value_parser = crate::config::parse_timezone)]
        timezone: chrono_tz::Tz,
        /// Treat DATE (YYYY-MM-DD) as today: the example's dates are laid out around it.
        #[arg(long, env = "LIANJIAN_TODAY")]
        today: Option<chrono::NaiveDate>,
    },
    /// Run the escalation pass of the supervision ledger now (the server runs it at start-up and
    /// after each local midnight): every item whose escalation level rose gets one ESCALATED
    /// entry and one deadline alert. Running it again for the same day writes nothing.
    Escalate {
        #[command(flatten)]
        database: DatabaseConfig,
        /// Time zone of calendar dates.
        #[arg(long, env = "LIANJIAN_TIMEZONE", default_value_t = crate::config::DEFAULT_TIMEZONE, value_parser = crate::config::parse_timezone)]
        timezone: chrono_tz::Tz,
        /// Treat DATE (YYYY-MM-DD) as today.
        #[arg(long, env = "LIANJIAN_TODAY")]
        today: Option<chrono::NaiveDate>,
        /// The day to escalate for, to catch up on a missed day (default: today).
        #[arg(long = "as-of")]
        as_of: Option<chrono::NaiveDate>,
    },
    /// Apply, roll back or list database migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Manage the working-day calendar (official holidays and make-up working days).
    Calendar {
        #[command(subcommand)]
        action: CalendarAction,
    },
    /// Copy a town's data into a new, empty database (e.g. from SQLite to PostgreSQL): migrates
    /// the target, refuses one that holds data (exit code 2), copies every table in one
    /// transaction, sets PostgreSQL sequences and checks the row counts of every table. Progress
    /// goes to standard error.
    MigrateData {
        /// The database to copy from; it is only read. Stop its servers first.
        #[arg(long)]
        from: String,
        /// PostgreSQL schema of the source (search_path).
        #[arg(long = "from-schema")]
        from_schema: Option<String>,
        /// The database to fill, e.g. `postgres://USER@HOST/DB`.
        #[arg(long)]
        to: String,
        /// PostgreSQL schema of the target (search_path); it must exist.
        #[arg(long = "to-schema")]
        to_schema: Option<String>,
        /// Rows read and written at a time.
        #[arg(long = "chunk-rows", default_value_t = crate::transfer::DEFAULT_CHUNK_ROWS, value_parser = clap::value_parser!(u64).range(1..=100_000))]
        chunk_rows: u64,
    },
    /// Import organizations or people from a spreadsheet (XLSX or CSV, the columns of the
    /// export): every row checked as the API checks it, all or nothing in one transaction.
    Import {
        #[command(subcommand)]
        what: crate::import::cli::ImportCommand,
    },
    /// Write a consistent copy of the SQLite database to a new FILE (`VACUUM INTO`), safe while a
    /// server uses the database. For PostgreSQL use pg_dump.
    Backup {
        #[command(flatten)]
        database: DatabaseConfig,
        /// The backup file to create; an existing file is refused.
        #[arg(long)]
        to: PathBuf,
    },
    /// Print the GraphQL schema (SDL) to standard output.
    ExportSchema,
    /// Build a data set for performance work on either engine: the demo, then organizations,
    /// people, joint activities, supervision items and appeals below it. Idempotent and
    /// resumable: a rerun finishes an interrupted run and changes nothing after a finished one.
    Generate(crate::generate::cli::GenerateArgs),
    /// Create an account with a role, e.g. the first administrator. The password is read from
    /// standard input (first line), so it stays out of the shell history and process list.
    CreateUser {
        #[command(flatten)]
        database: DatabaseConfig,
        /// Login name: 3 to 64 letters, digits, '_', '.' or '-'.
        #[arg(long)]
        username: String,
        /// admin, committee_staff, supervisor, org_secretary, first_secretary or member.
        #[arg(long)]
        role: String,
        /// Global id of the Organization or LinkageGroup the role applies to (none for admin).
        #[arg(long)]
        scope: Option<String>,
        /// Read the password from standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
enum MigrateAction {
    /// Apply every pending migration.
    Up {
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Roll back the most recent migrations.
    Down {
        #[command(flatten)]
        database: DatabaseConfig,
        /// How many migrations to roll back.
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List every migration and whether it is applied.
    Status {
        #[command(flatten)]
        database: DatabaseConfig,
    },
}

#[derive(Debug, Subcommand)]
enum CalendarAction {
    /// Load a year's official table from FILE (header `date,is_working_day,name`, as in
    /// `data/cn-workdays-2026.csv`), replacing the years it covers. A file with any bad line is
    /// refused whole and changes nothing.
    Import {
        #[command(flatten)]
        database: DatabaseConfig,
        /// The calendar file (UTF-8).
        file: PathBuf,
    },
}

/// Exit code for bad configuration, an unreachable database and a refused command (a
/// `migrate-data` target that holds data, an existing backup file).
const EXIT_CONFIG: u8 = 2;

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(&cli.log, cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure { code, message }) => {
            eprintln!("error: {message}");
            ExitCode::from(code)
        }
    }
}

struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn config(message: impl ToString) -> Self {
        Self {
            code: EXIT_CONFIG,
            message: message.to_string(),
        }
    }

    fn other(message: impl ToString) -> Self {
        Self {
            code: 1,
            message: message.to_string(),
        }
    }
}

async fn dispatch(command: Command) -> Result<(), Failure> {
    match command {
        Command::Serve {
            database,
            server,
            demo,
        } => serve(Config { database, server }, demo).await,
        Command::DemoData {
            database,
            timezone,
            today,
        } => {
            let metrics = Metrics::new();
            let db = connect(&database, &metrics).await?;
            migrate_up(&db).await?;
            load_demo(&db, &Clock::new(timezone, today)).await
        }
        Command::Escalate {
            database,
            timezone,
            today,
            as_of,
        } => {
            let metrics = Metrics::new();
            let db = connect(&database, &metrics).await?;
            migrate_up(&db).await?;
            let clock = Clock::new(timezone, today);
            let as_of = as_of.unwrap_or_else(|| clock.today());
            let outcome = escalation::run_exclusive(
                &db.write,
                &crate::events::EventBus::new(),
                as_of,
                clock.now(),
                escalation::WhenBusy::Wait,
                |so_far| {
                    println!(
                        "{} items past a reminder date so far, {} escalated",
                        so_far.examined, so_far.escalated
                    )
                },
            )
            .await
            .map_err(|e| Failure::other(format!("escalation failed: {e}")))?
            .unwrap_or_default();
            println!(
                "escalation for {as_of}: {} items at a reminder or escalation level, {} escalated",
                outcome.examined, outcome.escalated
            );
            Ok(())
        }
        Command::Migrate { action } => migrate(action).await,
        Command::Calendar {
            action: CalendarAction::Import { database, file },
        } => import_calendar(&database, &file).await,
        Command::CreateUser {
            database,
            username,
            role,
            scope,
            password_stdin: _,
        } => create_user(&database, &username, &role, scope.as_deref()).await,
        Command::MigrateData {
            from,
            from_schema,
            to,
            to_schema,
            chunk_rows,
        } => {
            let mut from = DatabaseConfig::new(from);
            from.schema = from_schema;
            let mut to = DatabaseConfig::new(to);
            to.schema = to_schema;
            migrate_data(&from, &to, chunk_rows).await
        }
        Command::Import { what } => crate::import::cli::run(what).await.map_err(|e| match e {
            crate::import::cli::ImportCliError::Config(m) => Failure::config(m),
            crate::import::cli::ImportCliError::Other(m) => Failure::other(m),
        }),
        Command::Backup { database, to } => {
            let bytes = crate::transfer::backup(&database, &to)
                .await
                .map_err(transfer_failure)?;
            println!("backed up to {} ({bytes} bytes)", to.display());
            Ok(())
        }
        Command::Generate(args) => crate::generate::cli::run(args).await.map_err(|e| match e {
            crate::generate::cli::GenerateError::Config(m) => Failure::config(m),
            crate::generate::cli::GenerateError::Other(m) => Failure::other(m),
        }),
        Command::ExportSchema => {
            print!("{}", Api::new(None).sdl().await);
            Ok(())
        }
    }
}

async fn connect(database: &DatabaseConfig, metrics: &Metrics) -> Result<Db, Failure> {
    Db::connect(database, metrics)
        .await
        .map_err(Failure::config)
}

async fn migrate_up(db: &Db) -> Result<(), Failure> {
    Migrator::up(&db.write, None)
        .await
        .map_err(|e| Failure::other(format!("migrations failed: {e}")))
}

async fn load_demo(db: &Db, clock: &Clock) -> Result<(), Failure> {
    match crate::services::demo::load(&db.write, clock.today(), clock.zone()).await {
        Ok(DemoOutcome::Loaded {
            areas,
            organizations,
            people,
            accounts,
            activities,
            items,
            pairings,
            appeals,
        }) => {
            println!(
                "demo data loaded: {areas} areas, {organizations} organizations, 1 linkage group, {people} people, {activities} joint activities, {items} supervision items, {pairings} mentoring pairings, {appeals} residents' appeals"
            );
            println!("demo accounts (the passwords are shown only now):");
            for account in accounts {
                println!(
                    "  {:16} {:18} {}",
                    account.username, account.password, account.grant
                );
            }
            Ok(())
        }
        Ok(DemoOutcome::AlreadyLoaded) => {
            println!("demo data already loaded; nothing changed");
            Ok(())
        }
        Err(e) => Err(Failure::other(format!("cannot load demo data: {e}"))),
    }
}

async fn serve(config: Config, demo: bool) -> Result<(), Failure> {
    // Signals are caught from the start: a SIGTERM during start-up ends the server cleanly
    // instead of killing it.
    let shutdown = shutdown_signal()?;
    let metrics = Metrics::new();
    let db = connect(&config.database, &metrics).await?;
    migrate_up(&db).await?;
    if demo {
        load_demo(
            &db,
            &Clock::new(config.server.timezone, config.server.today),
        )
        .await?;
    }
    let bind = config.server.bind;
    let state = AppState::build(config, db.clone(), metrics)
        .await
        .map_err(|e| match e {
            crate::error::AppError::BadUserInput { message, .. } => Failure::config(message),
            other => Failure::other(other),
        })?;
    // The port opens only once everything is ready to answer.
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| Failure::config(format!("cannot listen on {bind}: {e}")))?;
    if let Some(day) = state.clock.pinned() {
        tracing::info!(today = %day, "today is pinned by --today");
    }
    // The daily escalation pass: now, then after each local midnight.
    let daily = tokio::spawn(escalation::daily(
        state.db.write.clone(),
        state.events.clone(),
        state.clock.clone(),
    ));
    // Old subscription events leave the outbox after the retention period.
    let pruning = tokio::spawn(crate::events::dispatch::prune_periodically(
        state.db.write.clone(),
        chrono::Duration::days(i64::from(state.config.server.event_retention_days)),
    ));
    let dispatch = state.dispatch.clone();
    let router = build_router(state);
    tracing::info!(%bind, "lianjian is listening");
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .map_err(|e| Failure::other(format!("server failed: {e}")))?;
    daily.abort();
    pruning.abort();
    dispatch.stop();
    tracing::info!("requests finished; closing the database");
    db.close()
        .await
        .map_err(|e| Failure::other(format!("closing the database failed: {e}")))?;
    Ok(())
}

async fn migrate(action: MigrateAction) -> Result<(), Failure> {
    let metrics = Metrics::new();
    let failed = |e: sea_orm::DbErr| Failure::other(format!("migration failed: {e}"));
    match action {
        MigrateAction::Up { database } => {
            let db = connect(&database, &metrics).await?;
            Migrator::up(&db.write, None).await.map_err(failed)?;
            println!("all migrations applied");
        }
        MigrateAction::Down { database, steps } => {
            let db = connect(&database, &metrics).await?;
            Migrator::down(&db.write, Some(steps))
                .await
                .map_err(failed)?;
            println!("rolled back {steps} migration(s)");
        }
        MigrateAction::Status { database } => {
            let db = connect(&database, &metrics).await?;
            for migration in Migrator::get_migration_with_status(&db.write)
                .await
                .map_err(failed)?
            {
                let status = match migration.status() {
                    migration::MigrationStatus::Applied => "applied",
                    migration::MigrationStatus::Pending => "pending",
                };
                println!("{status:8} {}", migration.name());
            }
        }
    }
    Ok(())
}

async fn migrate_data(
    from: &DatabaseConfig,
    to: &DatabaseConfig,
    chunk_rows: u64,
) -> Result<(), Failure> {
    let copied = crate::transfer::migrate_data(from, to, chunk_rows, &mut |line| {
        eprintln!("migrate-data: {line}")
    })
    .await
    .map_err(transfer_failure)?;
    let rows: u64 = copied.tables.iter().map(|(_, rows)| rows).sum();
    for sequence in &copied.sequences {
        eprintln!("migrate-data: sequence of {sequence} set past its largest value");
    }
    println!(
        "copied {} tables, {rows} rows; the row counts of every table match",
        copied.tables.len()
    );
    Ok(())
}

fn transfer_failure(e: crate::transfer::TransferError) -> Failure {
    match e {
        crate::transfer::TransferError::Refused(message) => Failure::config(message),
        crate::transfer::TransferError::Failed(message) => Failure::other(message),
    }
}

async fn create_user(
    database: &DatabaseConfig,
    username: &str,
    role: &str,
    scope: Option<&str>,
) -> Result<(), Failure> {
    use crate::{
        authz::Role,
        graphql::ids::{self, NodeKind},
        services::{
            Actor,
            accounts::{self, GrantScope, NewUser},
        },
    };
    let role = Role::parse(&role.to_lowercase())
        .ok_or_else(|| Failure::config(format!("unknown role {role}")))?;
    let scope = match scope {
        None => GrantScope::System,
        Some(id) => {
            let global =
                ids::decode("scope", &async_graphql::ID(id.to_owned())).map_err(Failure::config)?;
            match global.kind {
                Some(NodeKind::Organization) => GrantScope::Organization(global.id),
                Some(NodeKind::LinkageGroup) => GrantScope::LinkageGroup(global.id),
                _ => {
                    return Err(Failure::config(
                        "--scope must be an Organization or LinkageGroup id",
                    ));
                }
            }
        }
    };
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .map_err(|e| Failure::other(format!("cannot read the password: {e}")))?;
    let password = password.trim_end_matches(['\r', '\n']).to_owned();
    let metrics = Metrics::new();
    let db = connect(database, &metrics).await?;
    migrate_up(&db).await?;
    let actor = Actor::system("create-user");
    let user = accounts::create_user(
        &db.write,
        &actor,
        NewUser {
            username: username.to_owned(),
            password,
            person_id: None,
        },
    )
    .await
    .map_err(|e| Failure::other(format!("cannot create the user: {e}")))?;
    accounts::grant_role(&db.write, &actor, user.id, role, scope)
        .await
        .map_err(|e| Failure::other(format!("cannot grant the role: {e}")))?;
    println!("created {} with role {}", user.username, role.as_str());
    Ok(())
}

async fn import_calendar(database: &DatabaseConfig, file: &std::path::Path) -> Result<(), Failure> {
    use crate::{
        error::AppError,
        services::{Actor, workdays},
    };
    let text = std::fs::read_to_string(file)
        .map_err(|e| Failure::other(format!("cannot read {}: {e}", file.display())))?;
    let metrics = Metrics::new();
    let db = connect(database, &metrics).await?;
    migrate_up(&db).await?;
    let outcome = workdays::import(&db.write, &Actor::system("calendar-import"), &text)
        .await
        .map_err(|e| match e {
            // Every bad line, one per line, under the file's name.
            AppError::BadUserInput { message, .. } => Failure::other(format!(
                "{} was not imported; nothing changed:\n{message}",
                file.display()
            )),
            // The operator sees what went wrong: there is no client to hide it from.
            AppError::Internal(detail) => {
                Failure::other(format!("cannot import {}: {detail}", file.display()))
            }
            other => Failure::other(format!("cannot import {}: {other}", file.display())),
        })?;
    for year in outcome.years {
        let unit = if year.days == 1 { "day" } else { "days" };
        println!("imported {}: {} {unit}", year.year, year.days);
    }
    Ok(())
}

/// Registers for SIGTERM and SIGINT now, and resolves on the first of them; axum then stops
/// accepting and lets requests in flight finish.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, Failure> {
    #[cfg(unix)]
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| Failure::other(format!("cannot handle SIGTERM: {e}")))?;
    #[cfg(unix)]
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .map_err(|e| Failure::other(format!("cannot handle SIGINT: {e}")))?;
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = terminate.recv() => {},
            _ = interrupt.recv() => {},
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutdown signal received; finishing requests in flight");
    })
}

/// Logs go to standard error: text with colours only on a terminal (a file or a pipe gets no
/// escape codes), or JSON lines carrying the spans an event happened in, so the request id of
/// the HTTP layer's `request` span is on every line logged while a request is handled.
fn init_tracing(filter: &str, format: LogFormat) {
    use std::io::IsTerminal;

    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text if std::io::stderr().is_terminal() => builder.try_init(),
        LogFormat::Text => builder.with_ansi(false).try_init(),
        LogFormat::Json => builder
            .with_ansi(false)
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .try_init(),
    };
}
