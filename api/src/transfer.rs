//! Moving a town's data between databases: `lianjian migrate-data` copies every table into a new,
//! empty database (SQLite to PostgreSQL, or any engine to any engine) in one target transaction,
//! and `lianjian backup` writes a consistent copy of a SQLite database while a server uses it.

use std::{collections::BTreeSet, path::Path, str::FromStr};

use async_trait::async_trait;
use entities::{
    activity_participant, app_setting, appeal_event, area, attempt_counter, attendance,
    audit_entry, calendar_token, escalation_pass, event_outbox, event_outbox_pruned,
    first_secretary_assignment, joint_activity, linkage_group, linkage_group_member,
    mentor_pairing, mentoring_session, organization, person, person_position, resident_appeal,
    role_grant, supervision_assignment, supervision_escalation, supervision_event,
    supervision_item, supervision_report, supervision_review, supervision_round,
    supervision_round_item, user_account, work_calendar,
};
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    AccessMode, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, IdenStatic, IntoActiveModel, IsolationLevel, Iterable, ModelTrait,
    PrimaryKeyToColumn, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Statement,
    TransactionTrait, Value,
    sea_query::{Expr, UpdateStatement},
    sqlx::sqlite::SqliteConnectOptions,
};

use crate::{
    config::{DatabaseConfig, redact_url},
    db::Db,
    metrics::Metrics,
};

/// Rows read and written at a time by `migrate-data`.
pub const DEFAULT_CHUNK_ROWS: u64 = 1000;

/// Bind parameters in one INSERT: below SQLite's limit (32,766) and PostgreSQL's (65,535).
const MAX_BIND_PARAMETERS: usize = 30_000;

/// The bookkeeping table of sea-orm-migration: each side has its own, written by the migrations.
pub const MIGRATIONS_TABLE: &str = "seaql_migrations";

/// Every table of the schema, parents before children, so that each row's foreign keys point at
/// rows already copied. A new table is one line here; a test compares this list (names and
/// columns) with the tables of a freshly migrated database, so a missing line fails the suite.
pub fn tables() -> Vec<Table> {
    vec![
        table::<area::Entity>(),
        table::<audit_entry::Entity>(),
        // A parent may sort after its children: parent links are written once every
        // organization is in.
        table::<organization::Entity>().deferring(&[organization::Column::ParentId]),
        table::<linkage_group::Entity>(),
        table::<linkage_group_member::Entity>(),
        table::<person::Entity>(),
        table::<person_position::Entity>(),
        table::<user_account::Entity>(),
        table::<role_grant::Entity>(),
        // The token key `serve` generates on SQLite at start-up.
        table::<app_setting::Entity>().seeded(),
        table::<joint_activity::Entity>(),
        table::<activity_participant::Entity>(),
        table::<attendance::Entity>(),
        table::<calendar_token::Entity>(),
        table::<attempt_counter::Entity>(),
        // The official holiday tables a migration seeds.
        table::<work_calendar::Entity>().seeded(),
        table::<supervision_item::Entity>(),
        table::<supervision_assignment::Entity>(),
        table::<supervision_event::Entity>(),
        table::<supervision_report::Entity>(),
        table::<supervision_escalation::Entity>(),
        table::<supervision_round::Entity>(),
        table::<supervision_round_item::Entity>(),
        table::<supervision_review::Entity>(),
        table::<first_secretary_assignment::Entity>(),
        table::<mentor_pairing::Entity>(),
        table::<mentoring_session::Entity>(),
        table::<resident_appeal::Entity>(),
        table::<appeal_event::Entity>(),
        // Subscription events, kept by position so clients can resume across the move.
        table::<event_outbox::Entity>(),
        table::<event_outbox_pruned::Entity>(),
        // `serve` passes the day at start-up, even on an empty database.
        table::<escalation_pass::Entity>().seeded(),
    ]
}

/// One table the copier knows.
pub struct Table {
    pub name: &'static str,
    /// The columns the copy writes (those of the entity).
    pub columns: Vec<&'static str>,
    /// Rows that migrations or start-up put there themselves (the holiday calendar, the generated
    /// token key): they do not make a target "non-empty", and the source's rows replace them.
    pub seeded: bool,
    /// Columns inserted as NULL and written once every table is in (see `deferring`).
    pub deferred: Vec<&'static str>,
    copier: Box<dyn Copier>,
}

fn table<E>() -> Table
where
    E: EntityTrait + Sync,
    E::Model: IntoActiveModel<E::ActiveModel> + Sync,
    E::ActiveModel: Send + Sync,
    E::Column: Send + Sync,
{
    Table {
        name: E::default().table_name(),
        columns: E::Column::iter().map(|c| c.as_str()).collect(),
        seeded: false,
        deferred: Vec::new(),
        copier: Box::new(EntityCopier::<E> {
            deferred: Vec::new(),
        }),
    }
}

impl Table {
    fn seeded(mut self) -> Self {
        self.seeded = true;
        self
    }

    /// Columns inserted as NULL and written after every table is copied: for references that
    /// may point at rows not yet copied (within the table itself, or in a cycle of tables).
    fn deferring<C: ColumnTrait>(mut self, columns: &[C]) -> Self {
        self.deferred = columns.iter().map(|c| c.as_str()).collect();
        self.copier.defer(&self.deferred);
        self
    }
}

/// What a table copy leaves to do once every table is in: the deferred columns.
type Pending = Vec<UpdateStatement>;

#[async_trait]
trait Copier: Send + Sync {
    fn defer(&mut self, columns: &[&'static str]);

    /// Copies the table in chunks of `chunk` rows, ordered by primary key, calling `progress`
    /// with the rows copied so far after each chunk.
    async fn copy(
        &self,
        from: &DatabaseTransaction,
        to: &DatabaseTransaction,
        chunk: u64,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<(u64, Pending), DbErr>;
}

struct EntityCopier<E: EntityTrait> {
    deferred: Vec<E::Column>,
}

#[async_trait]
impl<E> Copier for EntityCopier<E>
where
    E: EntityTrait + Sync,
    E::Model: IntoActiveModel<E::ActiveModel> + Sync,
    E::ActiveModel: Send + Sync,
    E::Column: Send + Sync,
{
    fn defer(&mut self, columns: &[&'static str]) {
        self.deferred = E::Column::iter()
            .filter(|c| columns.contains(&c.as_str()))
            .collect();
    }

    async fn copy(
        &self,
        from: &DatabaseTransaction,
        to: &DatabaseTransaction,
        chunk: u64,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<(u64, Pending), DbErr> {
        let columns = E::Column::iter().count().max(1);
        let batch = (MAX_BIND_PARAMETERS / columns).clamp(1, chunk.max(1) as usize);
        let mut pending = Pending::new();
        let mut copied = 0u64;
        loop {
            let mut select = E::find();
            for key in E::PrimaryKey::iter() {
                select = select.order_by_asc(key.into_column());
            }
            let rows = select.offset(copied).limit(chunk).all(from).await?;
            if rows.is_empty() {
                break;
            }
            let read = rows.len() as u64;
            let mut models = Vec::with_capacity(rows.len());
            for mut row in rows {
                for column in &self.deferred {
                    let value = row.get(*column);
                    if !is_null(&value) {
                        pending.push(
                            E::update_many()
                                .col_expr(*column, Expr::val(value.clone()))
                                .filter(key_of::<E>(&row))
                                .into_query(),
                        );
                    }
                    row.try_set(*column, value.as_null())?;
                }
                models.push(row.into_active_model());
            }
            while !models.is_empty() {
                let rest = models.split_off(batch.min(models.len()));
                E::insert_many(std::mem::replace(&mut models, rest))
                    .exec_without_returning(to)
                    .await?;
            }
            copied += read;
            progress(copied);
            if read < chunk {
                break;
            }
        }
        Ok((copied, pending))
    }
}

/// The condition selecting one row by its primary key.
fn key_of<E: EntityTrait>(row: &E::Model) -> Condition {
    E::PrimaryKey::iter().fold(Condition::all(), |condition, key| {
        let column = key.into_column();
        condition.add(column.eq(row.get(column)))
    })
}

fn is_null(value: &Value) -> bool {
    *value == value.as_null()
}

/// Why `migrate-data` or `backup` stopped.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// Refused before anything was written: bad input, a target that holds data, an existing file,
    /// a database that cannot be opened.
    #[error("{0}")]
    Refused(String),
    /// Failed while copying or checking; the target transaction was rolled back.
    #[error("{0}")]
    Failed(String),
}

/// What `migrate-data` copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    /// Each table with its row count, in copy order.
    pub tables: Vec<(&'static str, u64)>,
    /// Sequences set past the largest copied value (PostgreSQL).
    pub sequences: Vec<String>,
}

/// Applies the migrations to `to`, refuses it if it holds data, then copies every table of `from`
/// into it in one transaction, sets its sequences, and compares the row counts of both sides
/// table by table. Any failure rolls the target back. `progress` receives one line per chunk and
/// table, with table names and counts only.
pub async fn migrate_data(
    from: &DatabaseConfig,
    to: &DatabaseConfig,
    chunk: u64,
    progress: &mut (dyn FnMut(String) + Send),
) -> Result<Copied, TransferError> {
    if chunk == 0 {
        return Err(TransferError::Refused(
            "the chunk size must be at least 1 row".into(),
        ));
    }
    check_schema_option("--from-schema", from)?;
    check_schema_option("--to-schema", to)?;
    if from.url == to.url && from.schema == to.schema {
        return Err(TransferError::Refused(
            "--from and --to name the same database".into(),
        ));
    }
    require_existing_sqlite_file("source", &from.url)?;
    let metrics = Metrics::new();
    let source = Db::connect(from, &metrics)
        .await
        .map_err(|e| TransferError::Refused(format!("source: {e}")))?;
    check_source_migrations(&source.write).await?;
    let target = Db::connect(to, &metrics)
        .await
        .map_err(|e| TransferError::Refused(format!("target: {e}")))?;
    Migrator::up(&target.write, None).await.map_err(|e| {
        TransferError::Failed(format!("migrating the target failed: {}", first_line(&e)))
    })?;

    let tables = tables();
    let source_tx = match source.backend() {
        // One snapshot of the source for every table.
        DbBackend::Postgres => {
            source
                .write
                .begin_with_config(
                    Some(IsolationLevel::RepeatableRead),
                    Some(AccessMode::ReadOnly),
                )
                .await
        }
        _ => source.write.begin().await,
    }
    .map_err(|e| TransferError::Failed(format!("reading the source failed: {}", first_line(&e))))?;
    let target_tx = target.write.begin().await.map_err(|e| {
        TransferError::Failed(format!("writing the target failed: {}", first_line(&e)))
    })?;

    let outcome = fill(&tables, &source_tx, &target_tx, to, chunk, progress).await;
    // The source was only read: ending its transaction changes nothing.
    let _ = source_tx.rollback().await;
    let copied = match outcome {
        Ok(copied) => copied,
        Err(e) => {
            let _ = target_tx.rollback().await;
            return Err(e);
        }
    };
    target_tx.commit().await.map_err(|e| {
        TransferError::Failed(format!("committing the target failed: {}", first_line(&e)))
    })?;
    let _ = source.close().await;
    let _ = target.close().await;
    Ok(copied)
}

/// Everything `migrate_data` does inside the two transactions: refuse a target holding data,
/// replace the seeded rows, copy, link deferred columns, set sequences, compare counts.
async fn fill(
    tables: &[Table],
    source_tx: &DatabaseTransaction,
    target_tx: &DatabaseTransaction,
    to: &DatabaseConfig,
    chunk: u64,
    progress: &mut (dyn FnMut(String) + Send),
) -> Result<Copied, TransferError> {
    let mut holding = Vec::new();
    for table in tables.iter().filter(|t| !t.seeded) {
        let rows = count(target_tx, table.name).await.map_err(|e| {
            TransferError::Failed(format!(
                "counting {} failed: {}",
                table.name,
                first_line(&e)
            ))
        })?;
        if rows > 0 {
            holding.push(format!("{}: {rows} rows", table.name));
        }
    }
    if !holding.is_empty() {
        let more = match holding.len() {
            n if n > 3 => format!(" and {} more", n - 3),
            _ => String::new(),
        };
        return Err(TransferError::Refused(format!(
            "the target {} is not empty ({}{more}); migrate-data only fills a new database",
            describe(to),
            holding[..holding.len().min(3)].join(", ")
        )));
    }

    let mut expected = Vec::with_capacity(tables.len());
    for table in tables {
        let rows = count(source_tx, table.name).await.map_err(|e| {
            TransferError::Failed(format!(
                "counting {} in the source failed: {}",
                table.name,
                first_line(&e)
            ))
        })?;
        expected.push(rows);
    }
    // Seeded rows are replaced by the source's, children's before parents'.
    for table in tables.iter().rev().filter(|t| t.seeded) {
        target_tx
            .execute_unprepared(&format!("DELETE FROM \"{}\"", table.name))
            .await
            .map_err(|e| {
                TransferError::Failed(format!(
                    "clearing {} failed: {}",
                    table.name,
                    first_line(&e)
                ))
            })?;
    }

    let mut pending = Vec::new();
    for (table, total) in tables.iter().zip(&expected) {
        let name = table.name;
        let (_, deferred) = table
            .copier
            .copy(source_tx, target_tx, chunk, &mut |done| {
                progress(format!("{name}: {done} of {total} rows"))
            })
            .await
            .map_err(|e| {
                TransferError::Failed(format!("copying {name} failed: {}", first_line(&e)))
            })?;
        if *total == 0 {
            progress(format!("{name}: 0 rows"));
        }
        pending.extend(deferred.into_iter().map(|update| (name, update)));
    }
    for (name, update) in &pending {
        target_tx.execute(update).await.map_err(|e| {
            TransferError::Failed(format!(
                "copying {name} failed while linking rows: {}",
                first_line(&e)
            ))
        })?;
    }

    let sequences = if target_tx.get_database_backend() == DbBackend::Postgres {
        let names: Vec<&str> = tables.iter().map(|t| t.name).collect();
        reset_sequences(target_tx, &names).await.map_err(|e| {
            TransferError::Failed(format!("setting sequences failed: {}", first_line(&e)))
        })?
    } else {
        Vec::new()
    };

    let mut copied = Vec::with_capacity(tables.len());
    for (table, source_rows) in tables.iter().zip(expected) {
        let target_rows = count(target_tx, table.name).await.map_err(|e| {
            TransferError::Failed(format!(
                "counting {} in the target failed: {}",
                table.name,
                first_line(&e)
            ))
        })?;
        if target_rows != source_rows {
            return Err(TransferError::Failed(format!(
                "row counts differ in {}: {source_rows} in the source, {target_rows} in the target; nothing was written",
                table.name
            )));
        }
        copied.push((table.name, target_rows));
    }
    Ok(Copied {
        tables: copied,
        sequences,
    })
}

/// Sets the sequence of every serial or identity column of `tables` (PostgreSQL) past the
/// column's largest value, so that the next insert does not collide with a copied row. Returns
/// the sequences set, as `table.column`.
pub async fn reset_sequences(
    db: &impl ConnectionTrait,
    tables: &[&str],
) -> Result<Vec<String>, DbErr> {
    let mut set = Vec::new();
    for table in tables {
        let quoted = quote(table);
        let columns = db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT attname::text AS name FROM pg_attribute \
                 WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped \
                 AND pg_get_serial_sequence($1, attname) IS NOT NULL ORDER BY attnum",
                [quoted.clone().into()],
            ))
            .await?;
        for row in columns {
            let column: String = row.try_get("", "name")?;
            db.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                format!(
                    "SELECT setval(pg_get_serial_sequence($1, $2), \
                     COALESCE((SELECT MAX({}) FROM {quoted}), 0) + 1, false)",
                    quote(&column)
                ),
                [quoted.clone().into(), column.clone().into()],
            ))
            .await?;
            set.push(format!("{table}.{column}"));
        }
    }
    Ok(set)
}

/// Writes a consistent copy of the SQLite database to `file` with `VACUUM INTO`, which reads one
/// snapshot while a server keeps writing. Returns the size of the copy in bytes.
pub async fn backup(database: &DatabaseConfig, file: &Path) -> Result<u64, TransferError> {
    if !database.url.starts_with("sqlite:") {
        return Err(TransferError::Refused(
            "backup copies SQLite databases; back up PostgreSQL with pg_dump (e.g. pg_dump --format=custom --file=lianjian.dump)".into(),
        ));
    }
    require_existing_sqlite_file("database", &database.url)?;
    if file.exists() {
        return Err(TransferError::Refused(format!(
            "{} already exists; back up to a new file",
            file.display()
        )));
    }
    let Some(path) = file.to_str() else {
        return Err(TransferError::Refused(format!(
            "{} is not a UTF-8 path",
            file.display()
        )));
    };
    let metrics = Metrics::new();
    let db = Db::connect(database, &metrics)
        .await
        .map_err(|e| TransferError::Refused(e.to_string()))?;
    let done = db
        .write
        .execute_unprepared(&format!("VACUUM INTO '{}'", path.replace('\'', "''")))
        .await
        .map_err(|e| {
            TransferError::Failed(format!(
                "backup to {} failed: {}",
                file.display(),
                first_line(&e)
            ))
        });
    let _ = db.close().await;
    done?;
    std::fs::metadata(file).map(|m| m.len()).map_err(|e| {
        TransferError::Failed(format!("cannot read the backup {}: {e}", file.display()))
    })
}

async fn count(db: &impl ConnectionTrait, table: &str) -> Result<u64, DbErr> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT COUNT(*) AS n FROM {}", quote(table)),
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("no count of {table}")))?;
    let n: i64 = row.try_get("", "n")?;
    Ok(n.max(0) as u64)
}

/// The source must be a lianjian database with exactly the migrations this binary knows, so
/// that both sides have the same tables and columns.
async fn check_source_migrations(db: &impl ConnectionTrait) -> Result<(), TransferError> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT version FROM {MIGRATIONS_TABLE}"),
        ))
        .await
        .map_err(|_| {
            TransferError::Refused(
                "the source is not a lianjian database (it has no migrations table)".into(),
            )
        })?;
    let mut applied = BTreeSet::new();
    for row in rows {
        let version: String = row
            .try_get("", "version")
            .map_err(|e| TransferError::Failed(format!("reading the source's migrations: {e}")))?;
        applied.insert(version);
    }
    let known: BTreeSet<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    if let Some(unknown) = applied.difference(&known).next() {
        return Err(TransferError::Refused(format!(
            "the source has migration {unknown}, which this lianjian does not know: use the lianjian that wrote it"
        )));
    }
    let pending = known.difference(&applied).count();
    if pending > 0 {
        return Err(TransferError::Refused(format!(
            "the source has {pending} pending migration(s): run `lianjian migrate up` on it first"
        )));
    }
    Ok(())
}

/// A schema option applies to PostgreSQL only.
fn check_schema_option(flag: &str, database: &DatabaseConfig) -> Result<(), TransferError> {
    if database.schema.is_some() && database.url.starts_with("sqlite:") {
        return Err(TransferError::Refused(format!(
            "{flag} applies to PostgreSQL only"
        )));
    }
    Ok(())
}

/// A SQLite URL whose file is missing would open a new, empty database: refuse it instead.
fn require_existing_sqlite_file(what: &str, url: &str) -> Result<(), TransferError> {
    if !url.starts_with("sqlite:") || url.contains(":memory:") || url.contains("mode=memory") {
        return Ok(());
    }
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| TransferError::Refused(format!("bad {what} URL {}: {e}", redact_url(url))))?;
    let file = options.get_filename();
    if !file.exists() {
        return Err(TransferError::Refused(format!(
            "the {what} database {} does not exist",
            file.display()
        )));
    }
    Ok(())
}

fn describe(database: &DatabaseConfig) -> String {
    match &database.schema {
        Some(schema) => format!("{} (schema {schema})", redact_url(&database.url)),
        None => redact_url(&database.url),
    }
}

fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

fn first_line(error: &DbErr) -> String {
    error
        .to_string()
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}
