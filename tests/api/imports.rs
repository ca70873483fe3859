//! `lianjian import organizations|people FILE`: good files land as written, a file with bad rows
//! imports nothing and names every bad row, a dry run writes nothing, and the real binary's exit
//! codes and output. The expected trees and reports are written by hand from the files.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use chrono::NaiveDate;
use lianjian_api::{
    generate::Quiet,
    import::{self, ImportError, Kind, Options, Report},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::TestApp;

const ORG_HEADER: [&str; 11] = [
    "名称",
    "简称",
    "编码",
    "层级",
    "单位类型",
    "片区",
    "上级组织",
    "上级编码",
    "联系方式",
    "重点村",
    "偏远村",
];

const PEOPLE_HEADER: [&str; 8] = [
    "姓名",
    "性别",
    "手机号",
    "身份证号",
    "政治面貌",
    "所属组织",
    "组织编码",
    "职务",
];

/// Valid resident ID numbers, their check digits worked out by hand (GB 11643, ISO 7064 MOD
/// 11-2), and one with a wrong check digit.
const ID_ZHANG: &str = "44011719800101123X";
const ID_LI: &str = "440117198506152345";
const ID_ZHAO: &str = "440117199003073455";
const ID_TAKEN: &str = "440117197511204563";
const ID_BAD_CHECK: &str = "440117198506152346";

/// Today for positions written without a date.
fn today() -> NaiveDate {
    day(2026, 12, 1)
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// One cell of a workbook written for a test.
#[derive(Clone)]
enum X {
    S(&'static str),
    N(f64),
    D(NaiveDate),
    Blank,
}

fn csv_file(dir: &tempfile::TempDir, name: &str, rows: &[Vec<&str>]) -> PathBuf {
    let path = dir.path().join(name);
    let mut writer = csv::Writer::from_path(&path).unwrap();
    for row in rows {
        writer.write_record(row).unwrap();
    }
    writer.flush().unwrap();
    path
}

/// A workbook whose first sheet is a note and whose second, `sheet`, holds `rows`: the import
/// must find the sheet by its name.
fn xlsx_file(dir: &tempfile::TempDir, name: &str, sheet: &str, rows: &[Vec<X>]) -> PathBuf {
    let path = dir.path().join(name);
    let mut book = rust_xlsxwriter::Workbook::new();
    let note = book.add_worksheet();
    note.set_name("说明").unwrap();
    note.write_string(0, 0, "填写说明：每行一条").unwrap();
    let data = book.add_worksheet();
    data.set_name(sheet).unwrap();
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match cell {
                X::S(s) => {
                    data.write_string(r, c, *s).unwrap();
                }
                X::N(n) => {
                    data.write_number(r, c, *n).unwrap();
                }
                X::D(d) => {
                    data.write_datetime_with_format(r, c, d, &date).unwrap();
                }
                X::Blank => {}
            }
        }
    }
    book.save(&path).unwrap();
    path
}

fn strings(rows: &[Vec<&'static str>]) -> Vec<Vec<X>> {
    rows.iter()
        .map(|row| {
            row.iter()
                .map(|s| if s.is_empty() { X::Blank } else { X::S(s) })
                .collect()
        })
        .collect()
}

async fn run(app: &TestApp, kind: Kind, path: &Path, dry_run: bool) -> Result<Report, ImportError> {
    import::import_file(
        &app.state.db.write,
        &app.state.events,
        kind,
        path,
        &Options {
            dry_run,
            today: today(),
        },
        &mut Quiet,
    )
    .await
}

/// `(row, column)` of every error of a report.
fn places(report: &Report) -> Vec<(usize, &'static str)> {
    report
        .errors
        .iter()
        .map(|e| (e.row, e.column.unwrap_or("-")))
        .collect()
}

async fn area(app: &TestApp, name: &str) -> String {
    app.create_area(name).await
}

async fn organization(
    app: &TestApp,
    name: &str,
    code: Option<&str>,
    area: &str,
    parent: Option<&str>,
) -> String {
    let response = app
        .graphql(
            "mutation($input: CreateOrganizationInput!) {
                createOrganization(input: $input) { organization { id } } }",
            json!({ "input": {
                "name": name, "level": "COMMITTEE", "unitType": "GOVERNMENT",
                "areaId": area, "parentId": parent, "externalCode": code,
            } }),
        )
        .await;
    response.ok()["createOrganization"]["organization"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Every organization as the administrator reads it, by name.
async fn tree(app: &TestApp) -> Vec<Value> {
    let response = app
        .graphql(
            "{ organizations(first: 100) { edges { node { name shortName externalCode level
                unitType contact keyVillage remote depth area { name } parent { name } } } } }",
            json!({}),
        )
        .await;
    let mut nodes: Vec<Value> = response.ok()["organizations"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    nodes.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    nodes
}

#[allow(clippy::too_many_arguments)]
fn org(
    name: &str,
    short: Option<&str>,
    code: Option<&str>,
    level: &str,
    unit: &str,
    contact: Option<&str>,
    flags: (bool, bool),
    depth: i64,
    area: &str,
    parent: Option<&str>,
) -> Value {
    json!({
        "name": name, "shortName": short, "externalCode": code, "level": level,
        "unitType": unit, "contact": contact, "keyVillage": flags.0, "remote": flags.1,
        "depth": depth, "area": { "name": area },
        "parent": parent.map(|p| json!({ "name": p })),
    })
}

/// The scenic area's committee, in the database before the files: a parent by name and by
/// code.
async fn scenic_committee(app: &TestApp) {
    let scenic = area(app, "温泉风景区").await;
    organization(app, "温泉风景区党委", Some("WQ-001"), &scenic, None).await;
}

/// A good organizations file: parents by name and by code, on an earlier row and in the
/// database; an area (温泉镇) that does not exist yet.
fn good_organizations() -> Vec<Vec<&'static str>> {
    vec![
        ORG_HEADER.to_vec(),
        vec![
            "温泉镇党委",
            "镇党委",
            "WZ-100",
            "党委",
            "机关",
            "温泉镇",
            "",
            "",
            "020-87654321",
            "",
            "",
        ],
        vec![
            "南平村党总支部",
            "南平村",
            "WZ-110",
            "GENERAL_BRANCH",
            "村",
            "温泉镇",
            "温泉镇党委",
            "",
            "",
            "是",
            "否",
        ],
        vec![
            "南平村第一党支部",
            "",
            "",
            "党支部",
            "村",
            "温泉镇",
            "",
            "WZ-110",
            "",
            "否",
            "是",
        ],
        vec![
            "景区管委会党支部",
            "",
            "",
            "党支部",
            "机关",
            "温泉风景区",
            "温泉风景区党委",
            "",
            "",
            "",
            "",
        ],
        vec![
            "碧水湾党支部",
            "碧水湾",
            "",
            "branch",
            "景区单位",
            "温泉风景区",
            "",
            "WQ-001",
            "",
            "",
            "",
        ],
        vec![
            "石坑村党支部",
            "石坑村",
            "WZ-120",
            "党支部",
            "村",
            "温泉镇",
            "温泉镇党委",
            "WZ-100",
            "",
            "是",
            "是",
        ],
    ]
}

/// The tree the good file gives, with the committee that was there before.
fn good_tree() -> Vec<Value> {
    let mut expected = vec![
        org(
            "南平村党总支部",
            Some("南平村"),
            Some("WZ-110"),
            "GENERAL_BRANCH",
            "VILLAGE",
            None,
            (true, false),
            1,
            "温泉镇",
            Some("温泉镇党委"),
        ),
        org(
            "南平村第一党支部",
            None,
            None,
            "BRANCH",
            "VILLAGE",
            None,
            (false, true),
            2,
            "温泉镇",
            Some("南平村党总支部"),
        ),
        org(
            "景区管委会党支部",
            None,
            None,
            "BRANCH",
            "GOVERNMENT",
            None,
            (false, false),
            1,
            "温泉风景区",
            Some("温泉风景区党委"),
        ),
        org(
            "温泉镇党委",
            Some("镇党委"),
            Some("WZ-100"),
            "COMMITTEE",
            "GOVERNMENT",
            Some("020-87654321"),
            (false, false),
            0,
            "温泉镇",
            None,
        ),
        org(
            "温泉风景区党委",
            None,
            Some("WQ-001"),
            "COMMITTEE",
            "GOVERNMENT",
            None,
            (false, false),
            0,
            "温泉风景区",
            None,
        ),
        org(
            "石坑村党支部",
            Some("石坑村"),
            Some("WZ-120"),
            "BRANCH",
            "VILLAGE",
            None,
            (true, true),
            1,
            "温泉镇",
            Some("温泉镇党委"),
        ),
        org(
            "碧水湾党支部",
            Some("碧水湾"),
            None,
            "BRANCH",
            "SCENIC_UNIT",
            None,
            (false, false),
            1,
            "温泉风景区",
            Some("温泉风景区党委"),
        ),
    ];
    expected.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    expected
}

/// Audit entries of the import, by action.
async fn import_audits(app: &TestApp) -> Vec<(String, String)> {
    let mut entries: Vec<(String, String)> = entities::audit_entry::Entity::find()
        .filter(entities::audit_entry::Column::RequestId.eq("import"))
        .all(&app.state.db.read)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.target_type))
        .collect();
    entries.sort();
    entries
}

#[tokio::test]
async fn a_good_organizations_csv_imports_the_tree_as_written() {
    let app = TestApp::spawn().await;
    scenic_committee(&app).await;
    let audits_before = app.audits().await;
    let dir = tempfile::tempdir().unwrap();
    let path = csv_file(&dir, "组织.CSV", &good_organizations());

    let report = run(&app, Kind::Organizations, &path, false).await.unwrap();
    assert_eq!(report.errors, []);
    assert_eq!((report.rows, report.imported), (6, 6));
    assert_eq!(report.areas_created, ["温泉镇"]);
    assert!(report.committed());
    assert_eq!(tree(&app).await, good_tree());

    // Each row and the new area were written as the API writes them, in the import's name.
    assert_eq!(app.audits().await - audits_before, 7);
    let mut expected = vec![("createArea".to_owned(), "Area".to_owned())];
    expected.extend(vec![
        (
            "createOrganization".to_owned(),
            "Organization".to_owned()
        );
        6
    ]);
    assert_eq!(import_audits(&app).await, expected);

    // The same file again: every row is a duplicate now, and nothing changes.
    let again = run(&app, Kind::Organizations, &path, false).await.unwrap();
    assert!(!again.committed());
    assert_eq!(
        places(&again),
        [
            (2, "名称"),
            (2, "编码"),
            (3, "名称"),
            (3, "编码"),
            (4, "名称"),
            (5, "名称"),
            (6, "名称"),
            (7, "名称"),
            (7, "编码"),
        ]
    );
    assert_eq!(
        again.errors[0].reason,
        "an organization named \"温泉镇党委\" exists at the top (without a parent) already"
    );
    assert_eq!(
        again.errors[1].reason,
        "the code \"WZ-100\" belongs to \"温泉镇党委\" already"
    );
    assert_eq!(app.count_rows("organization").await, 7);
    assert_eq!(app.audits().await - audits_before, 7);
}

#[tokio::test]
async fn a_good_organizations_workbook_imports_the_same_tree() {
    let app = TestApp::spawn().await;
    scenic_committee(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let mut rows = strings(&good_organizations());
    // Columns in another order: swap 名称 and 片区 everywhere.
    for row in &mut rows {
        row.swap(0, 5);
    }
    let path = xlsx_file(&dir, "organizations.xlsx", "组织", &rows);

    let report = run(&app, Kind::Organizations, &path, false).await.unwrap();
    assert_eq!(report.errors, []);
    assert_eq!(report.imported, 6);
    assert_eq!(tree(&app).await, good_tree());
}

#[tokio::test]
async fn a_good_people_workbook_imports_people_their_numbers_and_positions() {
    let app = TestApp::spawn().await;
    let town = area(&app, "温泉镇").await;
    let committee = organization(&app, "温泉镇党委", Some("WZ-100"), &town, None).await;
    organization(
        &app,
        "南平村党总支部",
        Some("NP-1"),
        &town,
        Some(&committee),
    )
    .await;
    organization(&app, "石坑村党支部", Some("SK-1"), &town, Some(&committee)).await;
    let audits_before = app.audits().await;
    let dir = tempfile::tempdir().unwrap();
    let rows = vec![
        PEOPLE_HEADER.iter().map(|h| X::S(h)).collect(),
        vec![
            X::S("张三"),
            X::S("男"),
            // A phone typed as a number.
            X::N(13955550101.0),
            X::S("44011719800101123x"),
            X::S("中共党员"),
            X::S("南平村党总支部"),
            X::Blank,
            X::S("书记（2021-06-01起）、网格员"),
        ],
        vec![
            X::S("李四"),
            X::S("女"),
            X::S("+86 139-5555-0102"),
            X::S(ID_LI),
            X::S("PROBATIONARY_MEMBER"),
            X::Blank,
            X::S("SK-1"),
            X::S("第一书记(2024/3/5起)"),
        ],
        vec![
            X::S("王五"),
            X::Blank,
            X::Blank,
            X::Blank,
            X::S("群众"),
            X::S("石坑村党支部"),
            X::S("SK-1"),
            X::Blank,
        ],
        vec![
            X::S("赵六"),
            X::S("女"),
            X::Blank,
            X::S(ID_ZHAO),
            X::S("共青团员"),
            X::S("南平村党总支部"),
            X::Blank,
            X::S("委员（2019-01-01起至2021-12-31止）；志愿者"),
        ],
    ];
    let path = xlsx_file(&dir, "people.XLSX", "人员", &rows);

    let report = run(&app, Kind::People, &path, false).await.unwrap();
    assert_eq!(report.errors, []);
    assert_eq!((report.rows, report.imported), (4, 4));
    assert!(report.areas_created.is_empty());

    let people = entities::person::Entity::find()
        .all(&app.state.db.read)
        .await
        .unwrap();
    let orgs = entities::organization::Entity::find()
        .all(&app.state.db.read)
        .await
        .unwrap();
    let org_name = |id| {
        orgs.iter()
            .find(|o| o.id == id)
            .map(|o| o.name.clone())
            .unwrap()
    };
    let mut found: Vec<Value> = people
        .iter()
        .map(|p| {
            json!([
                p.name,
                p.gender.map(|g| format!("{g:?}")),
                p.phone,
                p.id_number,
                format!("{:?}", p.political_status),
                org_name(p.organization_id)
            ])
        })
        .collect();
    found.sort_by_key(|v| v[0].as_str().unwrap().to_owned());
    assert_eq!(
        found,
        [
            json!([
                "张三",
                "Male",
                "13955550101",
                ID_ZHANG,
                "FullMember",
                "南平村党总支部"
            ]),
            json!([
                "李四",
                "Female",
                "13955550102",
                ID_LI,
                "ProbationaryMember",
                "石坑村党支部"
            ]),
            json!(["王五", null, null, null, "Masses", "石坑村党支部"]),
            json!([
                "赵六",
                "Female",
                null,
                ID_ZHAO,
                "LeagueMember",
                "南平村党总支部"
            ]),
        ]
    );

    let positions = entities::person_position::Entity::find()
        .all(&app.state.db.read)
        .await
        .unwrap();
    let person_name = |id| {
        people
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.name.clone())
            .unwrap()
    };
    let mut held: Vec<(String, String, NaiveDate, Option<NaiveDate>)> = positions
        .iter()
        .map(|p| {
            (
                person_name(p.person_id),
                format!("{:?}", p.position),
                p.started_on,
                p.ended_on,
            )
        })
        .collect();
    held.sort();
    assert_eq!(
        held,
        [
            ("张三".into(), "GridWorker".into(), today(), None),
            ("张三".into(), "Secretary".into(), day(2021, 6, 1), None),
            (
                "李四".into(),
                "FirstSecretary".into(),
                day(2024, 3, 5),
                None
            ),
            (
                "赵六".into(),
                "CommitteeMember".into(),
                day(2019, 1, 1),
                Some(day(2021, 12, 31))
            ),
            ("赵六".into(), "Volunteer".into(), today(), None),
        ]
    );
    assert_eq!(app.audits().await - audits_before, 4);
    assert_eq!(
        import_audits(&app).await,
        vec![("createPerson".to_owned(), "Person".to_owned()); 4]
    );
}

#[tokio::test]
async fn an_organizations_file_with_bad_rows_imports_nothing_and_names_every_bad_row() {
    let app = TestApp::spawn().await;
    scenic_committee(&app).await;
    let (orgs, areas, audits, events) = (
        app.count_rows("organization").await,
        app.count_rows("area").await,
        app.audits().await,
        app.count_rows("event_outbox").await,
    );
    let dir = tempfile::tempdir().unwrap();
    let row = |cells: [&'static str; 11]| cells.to_vec();
    let rows = vec![
        ORG_HEADER.to_vec(),
        // 2: good (a new area, written, then rolled back with the rest).
        row([
            "温泉镇党委",
            "",
            "",
            "党委",
            "机关",
            "温泉镇",
            "",
            "",
            "",
            "",
            "",
        ]),
        // 3: a level that is no label.
        row([
            "甲党支部",
            "",
            "",
            "支部",
            "村",
            "温泉镇",
            "温泉镇党委",
            "",
            "",
            "",
            "",
        ]),
        // 4: a parent nobody has.
        row([
            "乙党支部",
            "",
            "",
            "党支部",
            "村",
            "温泉镇",
            "不存在党委",
            "",
            "",
            "",
            "",
        ]),
        // 5: no name.
        row([
            "",
            "",
            "",
            "党支部",
            "村",
            "温泉镇",
            "温泉镇党委",
            "",
            "",
            "",
            "",
        ]),
        // 6: a duplicate of the committee in the database.
        row([
            "温泉风景区党委",
            "",
            "",
            "党委",
            "机关",
            "温泉风景区",
            "",
            "",
            "",
            "",
            "",
        ]),
        // 7: neither 是 nor 否.
        row([
            "丙党支部",
            "",
            "",
            "党支部",
            "村",
            "温泉镇",
            "温泉镇党委",
            "",
            "",
            "也许",
            "",
        ]),
        // 8: a parent code nobody has.
        row([
            "丁党支部",
            "",
            "",
            "党支部",
            "村",
            "温泉镇",
            "",
            "WQ-999",
            "",
            "",
            "",
        ]),
        // 9: the parent is row 3, which has errors.
        row([
            "戊党小组",
            "",
            "",
            "党支部",
            "村",
            "温泉镇",
            "甲党支部",
            "",
            "",
            "",
            "",
        ]),
        // 10: a code the database holds.
        row([
            "己党支部",
            "",
            "WQ-001",
            "党支部",
            "村",
            "温泉镇",
            "温泉镇党委",
            "",
            "",
            "",
            "",
        ]),
        // 11: two wrong cells.
        row([
            "庚党支部",
            "",
            "",
            "党支部",
            "乡镇",
            "",
            "温泉镇党委",
            "",
            "",
            "",
            "",
        ]),
        // 12: good, below row 2.
        row([
            "辛党支部",
            "",
            "",
            "党支部",
            "村",
            "温泉镇",
            "温泉镇党委",
            "",
            "",
            "",
            "",
        ]),
        // 13: the same name as row 2, at the top too.
        row([
            "温泉镇党委",
            "",
            "",
            "党委",
            "机关",
            "温泉镇",
            "",
            "",
            "",
            "",
            "",
        ]),
        // 14: a parent on a later row.
        row([
            "壬党支部",
            "",
            "",
            "党支部",
            "村",
            "温泉镇",
            "癸党总支部",
            "",
            "",
            "",
            "",
        ]),
        // 15: name and code of different organizations.
        row([
            "癸党总支部",
            "",
            "",
            "党总支",
            "村",
            "温泉镇",
            "温泉镇党委",
            "WQ-001",
            "",
            "",
            "",
        ]),
    ];
    let path = csv_file(&dir, "bad.csv", &rows);

    let report = run(&app, Kind::Organizations, &path, false).await.unwrap();
    assert_eq!(
        places(&report),
        [
            (3, "层级"),
            (4, "上级组织"),
            (5, "名称"),
            (6, "名称"),
            (7, "重点村"),
            (8, "上级编码"),
            (9, "上级组织"),
            (10, "编码"),
            (11, "单位类型"),
            (11, "片区"),
            (13, "名称"),
            (14, "上级组织"),
            (15, "上级编码"),
        ],
        "{:#?}",
        report.errors
    );
    let reasons: Vec<&str> = report.errors.iter().map(|e| e.reason.as_str()).collect();
    assert_eq!(reasons[0], "\"支部\" is not one of 党委, 党总支, 党支部");
    assert_eq!(reasons[1], "no organization is named \"不存在党委\"");
    assert_eq!(reasons[2], "is required");
    assert_eq!(
        reasons[3],
        "an organization named \"温泉风景区党委\" exists at the top (without a parent) already"
    );
    assert_eq!(reasons[4], "\"也许\" is not 是 or 否");
    assert_eq!(reasons[5], "no organization has the code \"WQ-999\"");
    assert_eq!(reasons[6], "\"甲党支部\" is on row 3, which has errors");
    assert_eq!(
        reasons[7],
        "the code \"WQ-001\" belongs to \"温泉风景区党委\" already"
    );
    assert_eq!(
        reasons[8],
        "\"乡镇\" is not one of 村, 社区, 景区单位, 企业, 机关, 学校, 其他"
    );
    assert_eq!(reasons[9], "is required");
    assert_eq!(
        reasons[10],
        "row 2 has the same name at the top (without a parent)"
    );
    assert_eq!(
        reasons[11],
        "\"癸党总支部\" is on row 15, below this one; put an organization above the rows that refer to it"
    );
    assert_eq!(
        reasons[12],
        "\"WQ-001\" is the code of \"温泉风景区党委\", not of \"温泉镇党委\""
    );
    assert_eq!(report.bad_rows(), 12);
    assert_eq!((report.rows, report.imported), (14, 2));
    assert!(!report.committed());

    assert_eq!(app.count_rows("organization").await, orgs);
    assert_eq!(app.count_rows("area").await, areas);
    assert_eq!(app.audits().await, audits);
    assert_eq!(app.count_rows("event_outbox").await, events);
}

#[tokio::test]
async fn a_people_workbook_with_bad_rows_imports_nothing_and_never_echoes_a_number() {
    let app = TestApp::spawn().await;
    let town = area(&app, "温泉镇").await;
    let committee = organization(&app, "温泉镇党委", Some("WZ-100"), &town, None).await;
    let nanping = organization(
        &app,
        "南平村党总支部",
        Some("NP-1"),
        &town,
        Some(&committee),
    )
    .await;
    let shikeng = organization(&app, "石坑村党支部", Some("SK-1"), &town, Some(&committee)).await;
    organization(&app, "第一党支部", Some("NP-1-1"), &town, Some(&nanping)).await;
    organization(&app, "第一党支部", Some("SK-1-1"), &town, Some(&shikeng)).await;
    app.graphql(
        "mutation($input: CreatePersonInput!) { createPerson(input: $input) { person { id } } }",
        json!({ "input": { "name": "钱七", "idNumber": ID_TAKEN, "politicalStatus": "MASSES",
                           "organizationId": committee } }),
    )
    .await
    .ok();
    let (people, positions, audits) = (
        app.count_rows("person").await,
        app.count_rows("person_position").await,
        app.audits().await,
    );
    let dir = tempfile::tempdir().unwrap();
    let person = |name: &'static str,
                  gender: &'static str,
                  phone: X,
                  id: X,
                  status: &'static str,
                  org: &'static str,
                  code: &'static str,
                  positions: &'static str| {
        let s = |t: &'static str| if t.is_empty() { X::Blank } else { X::S(t) };
        vec![
            s(name),
            s(gender),
            phone,
            id,
            s(status),
            s(org),
            s(code),
            s(positions),
        ]
    };
    let rows = vec![
        PEOPLE_HEADER.iter().map(|h| X::S(h)).collect(),
        // 2: good.
        person(
            "张三",
            "男",
            X::S("13955550101"),
            X::S(ID_ZHANG),
            "中共党员",
            "南平村党总支部",
            "",
            "书记",
        ),
        // 3: a phone that is no mobile number.
        person(
            "李四",
            "",
            X::S("12377"),
            X::Blank,
            "群众",
            "南平村党总支部",
            "",
            "",
        ),
        // 4: a masked phone, copied from a masked export.
        person(
            "王五",
            "",
            X::S("139****0103"),
            X::Blank,
            "群众",
            "南平村党总支部",
            "",
            "",
        ),
        // 5: a wrong check digit.
        person(
            "赵六",
            "",
            X::Blank,
            X::S(ID_BAD_CHECK),
            "群众",
            "南平村党总支部",
            "",
            "",
        ),
        // 6: no name.
        person("", "", X::Blank, X::Blank, "群众", "南平村党总支部", "", ""),
        // 7: a political status that is no label.
        person(
            "孙八",
            "",
            X::Blank,
            X::Blank,
            "党员",
            "南平村党总支部",
            "",
            "",
        ),
        // 8: an organization nobody has.
        person("周九", "", X::Blank, X::Blank, "群众", "不存在村", "", ""),
        // 9: a name two organizations share, without the code.
        person("吴十", "", X::Blank, X::Blank, "群众", "第一党支部", "", ""),
        // 10: the ID-card number of row 2.
        person(
            "郑一",
            "",
            X::Blank,
            X::S(ID_ZHANG),
            "群众",
            "南平村党总支部",
            "",
            "",
        ),
        // 11: the ID-card number of someone in the database.
        person(
            "冯二",
            "",
            X::Blank,
            X::S(ID_TAKEN),
            "群众",
            "南平村党总支部",
            "",
            "",
        ),
        // 12: a position that is no label.
        person(
            "陈三",
            "",
            X::Blank,
            X::Blank,
            "群众",
            "南平村党总支部",
            "",
            "主任",
        ),
        // 13: an ID-card number typed as a number: its last digits are lost.
        person(
            "褚四",
            "",
            X::Blank,
            X::N(440117199003073455.0),
            "群众",
            "南平村党总支部",
            "",
            "",
        ),
        // 14: three wrong cells.
        person(
            "卫五",
            "未知",
            X::S("1395555010"),
            X::S("123"),
            "群众",
            "南平村党总支部",
            "",
            "",
        ),
        // 15: a position that ends before it starts (the service refuses it).
        person(
            "蒋六",
            "",
            X::Blank,
            X::Blank,
            "群众",
            "",
            "SK-1",
            "书记（2021-06-01起至2020-01-01）",
        ),
        // 16: good, the shared name chosen by its code.
        person(
            "沈七",
            "女",
            X::N(13955550116.0),
            X::Blank,
            "群众",
            "第一党支部",
            "SK-1-1",
            "网格员",
        ),
        // 17: a date where the positions go.
        {
            let mut cells = person(
                "韩八",
                "",
                X::Blank,
                X::Blank,
                "群众",
                "南平村党总支部",
                "",
                "",
            );
            cells[7] = X::D(day(2021, 6, 1));
            cells
        },
    ];
    let path = xlsx_file(&dir, "people.xlsx", "人员", &rows);

    let report = run(&app, Kind::People, &path, false).await.unwrap();
    assert_eq!(
        places(&report),
        [
            (3, "手机号"),
            (4, "手机号"),
            (5, "身份证号"),
            (6, "姓名"),
            (7, "政治面貌"),
            (8, "所属组织"),
            (9, "所属组织"),
            (10, "身份证号"),
            (11, "身份证号"),
            (12, "职务"),
            (13, "身份证号"),
            (14, "性别"),
            (14, "手机号"),
            (14, "身份证号"),
            (15, "职务"),
            (17, "职务"),
        ],
        "{:#?}",
        report.errors
    );
    let reason = |row: usize, column: &str| {
        report
            .errors
            .iter()
            .find(|e| e.row == row && e.column == Some(column))
            .map(|e| e.reason.clone())
            .unwrap()
    };
    assert_eq!(
        reason(3, "手机号"),
        "must be a mainland mobile number such as 13812345678"
    );
    assert_eq!(reason(4, "手机号"), reason(3, "手机号"));
    assert_eq!(
        reason(5, "身份证号"),
        "has a wrong check digit; the number is probably mistyped"
    );
    assert_eq!(
        reason(9, "所属组织"),
        "2 organizations are named \"第一党支部\"; fill in 组织编码 to choose one"
    );
    assert_eq!(reason(10, "身份证号"), "is the same as on row 2");
    assert_eq!(
        reason(11, "身份证号"),
        "another person has this ID-card number"
    );
    assert!(reason(13, "身份证号").contains("keeps only 15 digits"));
    assert_eq!(reason(15, "职务"), "endedOn must not be before startedOn");
    for error in &report.errors {
        let text = error.to_string();
        for number in ["13955550", "12377", "0103", "440117"] {
            assert!(!text.contains(number), "{text}");
        }
    }
    assert_eq!((report.rows, report.imported), (16, 2));
    assert!(!report.committed());
    assert_eq!(app.count_rows("person").await, people);
    assert_eq!(app.count_rows("person_position").await, positions);
    assert_eq!(app.audits().await, audits);
}

#[tokio::test]
async fn a_dry_run_checks_everything_and_writes_nothing() {
    let app = TestApp::spawn().await;
    scenic_committee(&app).await;
    let (orgs, areas, audits) = (
        app.count_rows("organization").await,
        app.count_rows("area").await,
        app.audits().await,
    );
    let dir = tempfile::tempdir().unwrap();
    let path = csv_file(&dir, "good.csv", &good_organizations());

    let report = run(&app, Kind::Organizations, &path, true).await.unwrap();
    assert_eq!(report.errors, []);
    assert_eq!((report.rows, report.imported), (6, 6));
    assert_eq!(report.areas_created, ["温泉镇"]);
    assert!(report.dry_run && !report.committed());
    assert_eq!(app.count_rows("organization").await, orgs);
    assert_eq!(app.count_rows("area").await, areas);
    assert_eq!(app.audits().await, audits);

    // The database's checks run too: a dry run of a file whose parent is missing finds it.
    let mut rows = good_organizations();
    rows[4][6] = "不存在党委";
    let path = csv_file(&dir, "bad.csv", &rows);
    let report = run(&app, Kind::Organizations, &path, true).await.unwrap();
    assert_eq!(places(&report), [(5, "上级组织")]);
}

#[tokio::test]
async fn a_file_without_a_required_column_or_with_an_unknown_one_is_refused_whole() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let path = csv_file(
        &dir,
        "no-unit.csv",
        &[
            vec!["名称", "层级", "片区", "上级组级"],
            vec!["温泉镇党委", "党委", "温泉镇", ""],
        ],
    );
    let Err(ImportError::File(problems)) = run(&app, Kind::Organizations, &path, false).await
    else {
        panic!("expected a file error");
    };
    assert_eq!(
        problems,
        [
            "unknown column \"上级组级\" (column D)",
            "missing column 单位类型",
            "the columns of a file of organizations are 名称, 简称, 编码, 层级, 单位类型, 片区, 上级组织, 上级编码, 联系方式, 重点村, 偏远村",
        ]
    );

    let path = csv_file(
        &dir,
        "people.csv",
        &[vec!["姓名", "政治面貌"], vec!["张三", "群众"]],
    );
    let Err(ImportError::File(problems)) = run(&app, Kind::People, &path, false).await else {
        panic!("expected a file error");
    };
    assert_eq!(problems[0], "missing column 所属组织 or 组织编码");

    let path = dir.path().join("people.xls");
    std::fs::write(&path, b"not a workbook").unwrap();
    let Err(ImportError::File(problems)) = run(&app, Kind::People, &path, false).await else {
        panic!("expected a file error");
    };
    assert_eq!(
        problems,
        ["not an .xlsx or .csv file; save the spreadsheet in one of these formats"]
    );
    assert_eq!(app.count_rows("organization").await, 0);
    assert_eq!(app.audits().await, 0);
}

/// Runs `lianjian import KIND FILE ARGS` on the app's database.
fn lianjian_import(app: &TestApp, kind: &str, file: &Path, args: &[&str]) -> Output {
    Command::new(crate::process::BINARY)
        .args(["import", kind])
        .arg(file)
        .args(database_args_of(app))
        .args(args)
        .env("LIANJIAN_LOG", "off")
        .output()
        .unwrap()
}

fn database_args_of(app: &TestApp) -> Vec<String> {
    let database = &app.state.config.database;
    let mut args = vec!["--database-url".to_owned(), database.url.clone()];
    if let Some(schema) = &database.schema {
        args.extend(["--database-schema".to_owned(), schema.clone()]);
    }
    args
}

#[tokio::test]
async fn the_binary_exits_0_1_or_2_and_prints_no_personal_data() {
    let app = TestApp::spawn().await;
    scenic_committee(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let orgs = csv_file(&dir, "orgs.csv", &good_organizations());
    let shown = orgs.display().to_string();

    // A dry run, then the import.
    let output = lianjian_import(&app, "organizations", &orgs, &["--dry-run"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!(
            "dry run: 6 rows would be imported from {shown}; nothing was written\n\
             dry run: 1 area would be created: 温泉镇\n"
        )
    );
    assert_eq!(app.count_rows("organization").await, 1);
    let output = lianjian_import(&app, "organizations", &orgs, &[]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!("imported 6 organizations from {shown}\ncreated 1 area: 温泉镇\n")
    );
    assert_eq!(tree(&app).await, good_tree());

    // Bad rows: exit code 1, every row on standard error, no number in sight.
    let people = csv_file(
        &dir,
        "people.csv",
        &[
            PEOPLE_HEADER.to_vec(),
            vec![
                "张三",
                "男",
                "13955550101",
                ID_ZHANG,
                "中共党员",
                "南平村党总支部",
                "",
                "书记",
            ],
            vec![
                "李四",
                "",
                "139****0102",
                "",
                "群众",
                "南平村党总支部",
                "",
                "",
            ],
            vec![
                "王五",
                "",
                "",
                ID_BAD_CHECK,
                "群众",
                "",
                "WZ-110",
                "网格员（2021-02-30起）",
            ],
        ],
    );
    let output = lianjian_import(&app, "people", &people, &["--today", "2026-12-01"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stderr,
        format!(
            "error: nothing was imported: 2 of 3 rows of {} have errors\n\
             row 3, 手机号: must be a mainland mobile number such as 13812345678\n\
             row 4, 身份证号: has a wrong check digit; the number is probably mistyped\n\
             row 4, 职务: \"2021-02-30\" in \"网格员（2021-02-30起）\" is not a date written as 2021-06-01\n",
            people.display()
        )
    );
    for number in ["13955550101", "0102", ID_ZHANG, ID_BAD_CHECK, "440117"] {
        assert!(!stderr.contains(number), "{stderr}");
    }
    assert_eq!(app.count_rows("person").await, 0);

    // A missing column, a file of another format, a file that is not there: exit code 2.
    let missing = csv_file(
        &dir,
        "missing.csv",
        &[vec!["姓名", "所属组织"], vec!["张三", "南平村党总支部"]],
    );
    let output = lianjian_import(&app, "people", &missing, &[]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        format!(
            "error: {} was not imported:\nmissing column 政治面貌\n\
             the columns of a file of people are 姓名, 性别, 手机号, 身份证号, 政治面貌, 所属组织, 组织编码, 职务\n",
            missing.display()
        )
    );
    let text = dir.path().join("people.txt");
    std::fs::write(&text, "姓名\n").unwrap();
    let output = lianjian_import(&app, "people", &text, &[]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        format!(
            "error: {} was not imported: not an .xlsx or .csv file; save the spreadsheet in one of these formats\n",
            text.display()
        )
    );
    let output = lianjian_import(&app, "people", &dir.path().join("gone.csv"), &[]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert_eq!(app.count_rows("person").await, 0);
}
