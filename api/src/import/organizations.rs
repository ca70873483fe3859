//! An organizations file: one organization per row, a parent by name or external code, in the
//! database already or on an earlier row.

use std::collections::HashMap;

use entities::{
    area,
    enums::{OrganizationLevel, UnitType},
    organization,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, TransactionTrait,
};
use uuid::Uuid;

use super::{
    Column, FileIndex, ImportError, Outcome, Reference, RowError, optional,
    read::{RowReader, Table},
    refusal, required, resolve,
};
use crate::{
    events::EventBus,
    generate::Progress,
    services::{
        Actor, areas,
        organizations::{self, NewOrganization},
    },
};

pub(super) const NAME: &str = "名称";
const SHORT_NAME: &str = "简称";
const CODE: &str = "编码";
const LEVEL: &str = "层级";
const UNIT_TYPE: &str = "单位类型";
const AREA: &str = "片区";
const PARENT: &str = "上级组织";
const PARENT_CODE: &str = "上级编码";
const CONTACT: &str = "联系方式";
const KEY_VILLAGE: &str = "重点村";
const REMOTE: &str = "偏远村";

pub(super) const COLUMNS: &[Column] = &[
    required(NAME),
    optional(SHORT_NAME),
    optional(CODE),
    required(LEVEL),
    required(UNIT_TYPE),
    required(AREA),
    optional(PARENT),
    optional(PARENT_CODE),
    optional(CONTACT),
    optional(KEY_VILLAGE),
    optional(REMOTE),
];

/// The column of an API field of `createOrganization`.
fn column_of(field: &str) -> Option<&'static str> {
    Some(match field {
        "name" => NAME,
        "shortName" => SHORT_NAME,
        "externalCode" => CODE,
        "level" => LEVEL,
        "unitType" => UNIT_TYPE,
        "areaId" => AREA,
        "parentId" => PARENT,
        "contact" => CONTACT,
        "keyVillage" => KEY_VILLAGE,
        "remote" => REMOTE,
        _ => return None,
    })
}

/// One row's cells, parsed; `None` where a cell was missing or wrong.
struct Parsed {
    row: usize,
    name: Option<String>,
    short_name: Option<String>,
    code: Option<String>,
    level: Option<OrganizationLevel>,
    unit_type: Option<UnitType>,
    area: Option<String>,
    parent_name: Option<String>,
    parent_code: Option<String>,
    contact: Option<String>,
    key_village: bool,
    remote: bool,
    errors: Vec<RowError>,
}

fn parse(table: &Table, row: usize, cells: &[super::Cell]) -> Parsed {
    let mut r = RowReader::new(table, row, cells);
    let name = r.required(NAME);
    let short_name = r.text(SHORT_NAME);
    let code = r.text(CODE);
    let level = r.required_label(LEVEL);
    let unit_type = r.required_label(UNIT_TYPE);
    let area = r.required(AREA);
    let parent_name = r.text(PARENT);
    let parent_code = r.text(PARENT_CODE);
    let contact = r.text(CONTACT);
    let key_village = r.yes_no(KEY_VILLAGE);
    let remote = r.yes_no(REMOTE);
    Parsed {
        row,
        name,
        short_name,
        code,
        level,
        unit_type,
        area,
        parent_name,
        parent_code,
        contact,
        key_village,
        remote,
        errors: r.errors,
    }
}

pub(super) async fn import(
    tx: &DatabaseTransaction,
    actor: &Actor,
    events: &EventBus,
    table: &Table,
    progress: &mut dyn Progress,
) -> Result<Outcome, ImportError> {
    let parsed: Vec<Parsed> = table
        .rows
        .iter()
        .map(|(row, cells)| parse(table, *row, cells))
        .collect();
    let mut file = FileIndex::default();
    for p in &parsed {
        if let Some(name) = &p.name {
            file.by_name.entry(name.clone()).or_default().push(p.row);
        }
        if let Some(code) = &p.code {
            file.by_code.entry(code.clone()).or_default().push(p.row);
        }
    }
    let mut outcome = Outcome::default();
    // Rows written so far: row -> organization id.
    let mut written: HashMap<usize, Uuid> = HashMap::new();
    let mut rows_of: HashMap<Uuid, usize> = HashMap::new();
    let mut areas_by_name: HashMap<String, Uuid> = HashMap::new();
    for (done, mut p) in parsed.into_iter().enumerate() {
        progress.advance(done as u64);
        let row = p.row;
        let reference = Reference {
            name: p.parent_name.as_deref(),
            code: p.parent_code.as_deref(),
            name_column: PARENT,
            code_column: PARENT_CODE,
        };
        let parent = if reference.name.is_some() || reference.code.is_some() {
            match resolve(tx, row, &reference, &file, &written).await? {
                Ok(parent) => parent,
                Err(e) => {
                    p.errors.push(e);
                    None
                }
            }
        } else {
            None
        };
        let parent_failed =
            parent.is_none() && (reference.name.is_some() || reference.code.is_some());
        if let Some(name) = &p.name
            && !parent_failed
            && let Some(reason) =
                duplicate(tx, name, parent.as_ref().map(|o| o.id), &rows_of).await?
        {
            p.errors.push(RowError::new(row, NAME, reason));
        }
        if let Some(code) = &p.code
            && let Some(reason) = code_taken(tx, code, &rows_of).await?
        {
            p.errors.push(RowError::new(row, CODE, reason));
        }
        if !p.errors.is_empty() {
            outcome.errors.append(&mut p.errors);
            continue;
        }
        let (Some(name), Some(level), Some(unit_type), Some(area_name)) =
            (p.name, p.level, p.unit_type, p.area)
        else {
            continue;
        };
        // The row's writes (an area it names for the first time, the organization) stand or
        // fall together, and a refused row leaves the transaction as it was.
        let savepoint = tx.begin().await?;
        let written_row = write_row(
            &savepoint,
            actor,
            events,
            &mut areas_by_name,
            &area_name,
            NewOrganization {
                name,
                short_name: p.short_name,
                level,
                unit_type,
                area_id: Uuid::nil(),
                parent_id: parent.as_ref().map(|o| o.id),
                external_code: p.code,
                contact: p.contact,
                key_village: p.key_village,
                remote: p.remote,
            },
        )
        .await;
        match written_row {
            Ok((created, new_area)) => {
                savepoint.commit().await?;
                if let Some(new_area) = new_area {
                    areas_by_name.insert(new_area.name.clone(), new_area.id);
                    outcome.areas_created.push(new_area.name);
                }
                written.insert(row, created.id);
                rows_of.insert(created.id, row);
                outcome.imported += 1;
            }
            Err(failure) => {
                savepoint.rollback().await?;
                let columns = |field: &str| match (field, &reference) {
                    // A parent named by its code alone: the code is what the row wrote.
                    ("parentId", Reference { name: None, .. }) => Some(PARENT_CODE),
                    (field, _) => column_of(field),
                };
                let error = match failure {
                    RowFailure::Area(e) => refusal(row, e, |f| (f == "name").then_some(AREA))?,
                    RowFailure::Organization(e) => refusal(row, e, columns)?,
                };
                outcome.errors.push(error);
            }
        }
    }
    progress.advance(table.rows.len() as u64);
    Ok(outcome)
}

enum RowFailure {
    Area(crate::error::AppError),
    Organization(crate::error::AppError),
}

/// Writes one row in `savepoint`: the area first when none of its name exists yet (returned
/// when created), then the organization.
async fn write_row(
    savepoint: &DatabaseTransaction,
    actor: &Actor,
    events: &EventBus,
    areas_by_name: &mut HashMap<String, Uuid>,
    area_name: &str,
    mut input: NewOrganization,
) -> Result<(organization::Model, Option<area::Model>), RowFailure> {
    let mut new_area = None;
    input.area_id = match areas_by_name.get(area_name) {
        Some(id) => *id,
        None => {
            let existing = area::Entity::find()
                .filter(area::Column::Name.eq(area_name))
                .one(savepoint)
                .await
                .map_err(|e| RowFailure::Area(e.into()))?;
            match existing {
                Some(found) => {
                    areas_by_name.insert(found.name.clone(), found.id);
                    found.id
                }
                None => {
                    let created = areas::create(
                        savepoint,
                        actor,
                        events,
                        areas::NewArea {
                            name: area_name.to_owned(),
                            description: None,
                        },
                    )
                    .await
                    .map_err(RowFailure::Area)?;
                    let id = created.id;
                    new_area = Some(created);
                    id
                }
            }
        }
    };
    let created = organizations::create(savepoint, actor, input)
        .await
        .map_err(RowFailure::Organization)?;
    Ok((created, new_area))
}

/// Why `name` cannot be imported under `parent`: an organization of that name is there already
/// (not archived), in the database or on an earlier row. Branches of one name under different
/// parents (第一党支部) are fine; the same file imported twice is refused row by row.
async fn duplicate(
    db: &impl ConnectionTrait,
    name: &str,
    parent: Option<Uuid>,
    rows_of: &HashMap<Uuid, usize>,
) -> Result<Option<String>, ImportError> {
    let parent_condition = match parent {
        Some(id) => organization::Column::ParentId.eq(id),
        None => organization::Column::ParentId.is_null(),
    };
    let existing = organization::Entity::find()
        .filter(organization::Column::Name.eq(name))
        .filter(parent_condition)
        .filter(organization::Column::ArchivedAt.is_null())
        .one(db)
        .await?;
    let place = if parent.is_some() {
        "under the same parent"
    } else {
        "at the top (without a parent)"
    };
    Ok(existing.map(|org| match rows_of.get(&org.id) {
        Some(row) => format!("row {row} has the same name {place}"),
        None => format!("an organization named \"{name}\" exists {place} already"),
    }))
}

/// Why `code` cannot be an organization's external code: another organization (archived ones
/// too: the code stays theirs) has it, in the database or on an earlier row.
async fn code_taken(
    db: &impl ConnectionTrait,
    code: &str,
    rows_of: &HashMap<Uuid, usize>,
) -> Result<Option<String>, ImportError> {
    let existing = organization::Entity::find()
        .filter(organization::Column::ExternalCode.eq(code))
        .one(db)
        .await?;
    Ok(existing.map(|org| match rows_of.get(&org.id) {
        Some(row) => format!("row {row} has the same code"),
        None => format!("the code \"{code}\" belongs to \"{}\" already", org.name),
    }))
}
