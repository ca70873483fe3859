//! A people file: one person per row, the organization by external code or exact name, the
//! positions in one cell (`书记（2021-06-01起）、网格员`).

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use entities::enums::{Gender, PoliticalStatus, Position};
use sea_orm::{DatabaseTransaction, TransactionTrait};
use uuid::Uuid;

use super::{
    Cell, Column, FileIndex, ImportError, Options, Outcome, Reference, RowError, optional,
    read::{RowReader, Table},
    refusal, required, resolve,
};
use crate::{
    error::AppError,
    generate::Progress,
    services::{
        Actor,
        labels::Label,
        people::{self, NewPerson, NewPosition},
        values::{IdNumber, Phone},
    },
};

const NAME: &str = "姓名";
const GENDER: &str = "性别";
const PHONE: &str = "手机号";
const ID_NUMBER: &str = "身份证号";
const POLITICAL_STATUS: &str = "政治面貌";
pub(super) const ORGANIZATION: &str = "所属组织";
pub(super) const ORGANIZATION_CODE: &str = "组织编码";
const POSITIONS: &str = "职务";

pub(super) const COLUMNS: &[Column] = &[
    required(NAME),
    optional(GENDER),
    optional(PHONE),
    optional(ID_NUMBER),
    required(POLITICAL_STATUS),
    // One of the two must be in the file (`Table::new`) and filled in each row.
    optional(ORGANIZATION),
    optional(ORGANIZATION_CODE),
    optional(POSITIONS),
];

/// One row's cells, parsed and checked as `createPerson` checks them.
struct Parsed {
    row: usize,
    name: Option<String>,
    gender: Option<Gender>,
    phone: Option<String>,
    id_number: Option<String>,
    political_status: Option<PoliticalStatus>,
    organization: Option<String>,
    organization_code: Option<String>,
    positions: Vec<NewPosition>,
    errors: Vec<RowError>,
}

fn parse(table: &Table, row: usize, cells: &[Cell], today: NaiveDate) -> Parsed {
    let mut r = RowReader::new(table, row, cells);
    let name = r.required(NAME);
    let gender = r.label(GENDER);
    // Phone and ID-card numbers are checked by the API's own value types here, so that a row
    // with both wrong names both; `people::create` checks them again. Neither is ever echoed.
    let phone = r.text(PHONE);
    if let Some(phone) = &phone
        && let Err(e) = Phone::parse("phone", phone)
    {
        personal_data_error(&mut r, PHONE, "phone", e);
    }
    let id_number = if r.cell(ID_NUMBER).is_inexact_number() {
        r.error(
            ID_NUMBER,
            "the spreadsheet holds it as a number, which keeps only 15 digits; format the column as text and type the number again",
        );
        None
    } else {
        let id_number = r.text(ID_NUMBER);
        match id_number.as_deref().map(|n| IdNumber::parse("idNumber", n)) {
            Some(Err(e)) => {
                personal_data_error(&mut r, ID_NUMBER, "idNumber", e);
                None
            }
            Some(Ok(number)) => Some(number.into_inner()),
            None => None,
        }
    };
    let political_status = r.required_label(POLITICAL_STATUS);
    let organization = r.text(ORGANIZATION);
    let organization_code = r.text(ORGANIZATION_CODE);
    if organization.is_none() && organization_code.is_none() {
        let column = if table.has(ORGANIZATION) {
            ORGANIZATION
        } else {
            ORGANIZATION_CODE
        };
        r.error(
            column,
            format!("is required (or {})", other_organization_column(column)),
        );
    }
    let positions = match r.cell(POSITIONS) {
        Cell::Date(_) => {
            r.error(
                POSITIONS,
                "holds a date alone; write positions as 书记 or 书记（2021-06-01起）",
            );
            Vec::new()
        }
        _ => match r.text(POSITIONS).map(|t| parse_positions(&t, today)) {
            Some(Ok(positions)) => positions,
            Some(Err(reason)) => {
                r.error(POSITIONS, reason);
                Vec::new()
            }
            None => Vec::new(),
        },
    };
    Parsed {
        row,
        name,
        gender,
        phone,
        id_number,
        political_status,
        organization,
        organization_code,
        positions,
        errors: r.errors,
    }
}

fn other_organization_column(column: &str) -> &'static str {
    if column == ORGANIZATION {
        ORGANIZATION_CODE
    } else {
        ORGANIZATION
    }
}

fn personal_data_error(r: &mut RowReader<'_>, column: &'static str, field: &str, e: AppError) {
    let reason = match e {
        AppError::BadUserInput { message, .. } => super::reason_of(field, &message),
        other => other.to_string(),
    };
    r.error(column, reason);
}

/// The positions of a 职务 cell: each `书记` (starting `today`), `书记（2021-06-01起）`, or one
/// that ended, `书记（2018-01-01起至2021-05-31）`, separated by `、` (or `,` `，` `;` `；` or
/// line breaks), parentheses full-width or ASCII.
pub(super) fn parse_positions(text: &str, today: NaiveDate) -> Result<Vec<NewPosition>, String> {
    let mut positions = Vec::new();
    for item in text
        .split(['、', ',', '，', ';', '；', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        positions.push(parse_position(item, today)?);
    }
    Ok(positions)
}

fn parse_position(item: &str, today: NaiveDate) -> Result<NewPosition, String> {
    let form = || format!("\"{item}\" is not a position written as 书记 or 书记（2021-06-01起）");
    let (label, dates) = match item.find(['（', '(']) {
        None => (item, None),
        Some(open) => {
            let inner = item[open..]
                .strip_prefix(['（', '('])
                .and_then(|rest| rest.strip_suffix(['）', ')']))
                .ok_or_else(form)?;
            (item[..open].trim(), Some(inner.trim()))
        }
    };
    let position = Position::from_label(label).ok_or_else(|| {
        format!(
            "\"{label}\" is not one of {}",
            Position::labels().join(", ")
        )
    })?;
    let (started_on, ended_on) = match dates {
        None => (today, None),
        Some(dates) => {
            let dates = dates.strip_suffix('止').unwrap_or(dates).trim();
            let (start, end) = match dates.split_once(['至', '~', '～']) {
                Some((start, end)) => (start, Some(end.trim())),
                None => (dates, None),
            };
            let start = start.trim();
            let start = start.strip_suffix('起').unwrap_or(start).trim();
            let started_on = parse_date(start).ok_or_else(|| {
                format!("\"{start}\" in \"{item}\" is not a date written as 2021-06-01")
            })?;
            let ended_on = match end {
                None => None,
                Some(end) => Some(parse_date(end).ok_or_else(|| {
                    format!("\"{end}\" in \"{item}\" is not a date written as 2021-06-01")
                })?),
            };
            (started_on, ended_on)
        }
    };
    Ok(NewPosition {
        position,
        started_on,
        ended_on,
    })
}

/// A date as people write it: `2021-06-01`, `2021/6/1`, `2021.6.1` or `2021年6月1日`, in the
/// years the API's `Date` accepts (1900 to 9999).
fn parse_date(text: &str) -> Option<NaiveDate> {
    ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"]
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(text, format).ok())
        .filter(|day| (1900..=9999).contains(&day.year()))
}

/// The column of an API field of `createPerson`.
fn column_of(field: &str, organization_column: &'static str) -> Option<&'static str> {
    Some(match field {
        "name" => NAME,
        "gender" => GENDER,
        "phone" => PHONE,
        "idNumber" => ID_NUMBER,
        "politicalStatus" => POLITICAL_STATUS,
        "organizationId" => organization_column,
        f if f.starts_with("positions") => POSITIONS,
        _ => return None,
    })
}

pub(super) async fn import(
    tx: &DatabaseTransaction,
    actor: &Actor,
    table: &Table,
    options: &Options,
    progress: &mut dyn Progress,
) -> Result<Outcome, ImportError> {
    let parsed: Vec<Parsed> = table
        .rows
        .iter()
        .map(|(row, cells)| parse(table, *row, cells, options.today))
        .collect();
    // People refer to organizations in the database only.
    let file = FileIndex::default();
    let written: HashMap<usize, Uuid> = HashMap::new();
    // The first row of each ID-card number, so a repeat names it without echoing the number.
    let mut id_numbers: HashMap<String, usize> = HashMap::new();
    let mut outcome = Outcome::default();
    for (done, mut p) in parsed.into_iter().enumerate() {
        progress.advance(done as u64);
        let row = p.row;
        let reference = Reference {
            name: p.organization.as_deref(),
            code: p.organization_code.as_deref(),
            name_column: ORGANIZATION,
            code_column: ORGANIZATION_CODE,
        };
        let organization = if reference.name.is_some() || reference.code.is_some() {
            match resolve(tx, row, &reference, &file, &written).await? {
                Ok(found) => found,
                Err(e) => {
                    p.errors.push(e);
                    None
                }
            }
        } else {
            None
        };
        if let Some(number) = &p.id_number {
            match id_numbers.get(number) {
                Some(first) => p.errors.push(RowError::new(
                    row,
                    ID_NUMBER,
                    format!("is the same as on row {first}"),
                )),
                None => {
                    id_numbers.insert(number.clone(), row);
                }
            }
        }
        if !p.errors.is_empty() {
            outcome.errors.append(&mut p.errors);
            continue;
        }
        let (Some(name), Some(political_status), Some(organization)) =
            (p.name, p.political_status, organization)
        else {
            continue;
        };
        let savepoint = tx.begin().await?;
        let created = people::create(
            &savepoint,
            actor,
            NewPerson {
                name,
                gender: p.gender,
                phone: p.phone,
                id_number: p.id_number,
                political_status,
                organization_id: organization.id,
                positions: p.positions,
            },
        )
        .await;
        match created {
            Ok(_) => {
                savepoint.commit().await?;
                outcome.imported += 1;
            }
            Err(e) => {
                savepoint.rollback().await?;
                let organization_column = if reference.code.is_some() {
                    ORGANIZATION_CODE
                } else {
                    ORGANIZATION
                };
                outcome
                    .errors
                    .push(refusal(row, e, |f| column_of(f, organization_column))?);
            }
        }
    }
    progress.advance(table.rows.len() as u64);
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn read(text: &str) -> Result<Vec<(Position, NaiveDate, Option<NaiveDate>)>, String> {
        parse_positions(text, day(2026, 12, 1)).map(|positions| {
            positions
                .into_iter()
                .map(|p| (p.position, p.started_on, p.ended_on))
                .collect()
        })
    }

    #[test]
    fn positions_with_and_without_dates() {
        assert_eq!(
            read("书记（2021-06-01起）、网格员").unwrap(),
            [
                (Position::Secretary, day(2021, 6, 1), None),
                (Position::GridWorker, day(2026, 12, 1), None),
            ]
        );
        assert_eq!(
            read(" 第一书记(2024/3/5起) ， 志愿者;委员（2020年1月2日起）").unwrap(),
            [
                (Position::FirstSecretary, day(2024, 3, 5), None),
                (Position::Volunteer, day(2026, 12, 1), None),
                (Position::CommitteeMember, day(2020, 1, 2), None),
            ]
        );
        assert_eq!(
            read("副书记（2018-01-01起至2021-05-31止）、DEPUTY_SECRETARY（2021-06-01）").unwrap(),
            [
                (
                    Position::DeputySecretary,
                    day(2018, 1, 1),
                    Some(day(2021, 5, 31))
                ),
                (Position::DeputySecretary, day(2021, 6, 1), None),
            ]
        );
        assert_eq!(read("").unwrap(), []);
    }

    #[test]
    fn a_wrong_position_or_date_is_named() {
        assert!(
            read("主任")
                .unwrap_err()
                .starts_with("\"主任\" is not one of 书记, 副书记")
        );
        assert_eq!(
            read("书记（2021-13-01起）").unwrap_err(),
            "\"2021-13-01\" in \"书记（2021-13-01起）\" is not a date written as 2021-06-01"
        );
        assert!(
            read("书记（2021-06-01起")
                .unwrap_err()
                .contains("is not a position written")
        );
        assert!(read("书记（1899-12-31起）").is_err());
    }
}
