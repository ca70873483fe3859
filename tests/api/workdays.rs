//! The working-day calendar: `workCalendar(year)` and `lianjian calendar import FILE` on the real
//! binary. Expected rows are written out by hand from `data/cn-workdays-2026.csv` and the files
//! below.

use std::{
    path::Path,
    process::{Command, Output},
};

use lianjian_api::config::DatabaseConfig;
use serde_json::{Value, json};

use crate::helpers::TestApp;

const WORK_CALENDAR: &str =
    "query($year: Int!) { workCalendar(year: $year) { date isWorkingDay name } }";

/// `data/cn-workdays-2026.csv`, which the migration seeds, copied by hand.
const OFFICIAL_2026: [(&str, bool, &str); 25] = [
    ("2026-01-01", false, "元旦"),
    ("2026-01-02", false, "元旦"),
    ("2026-01-04", true, "元旦"),
    ("2026-02-14", true, "春节"),
    ("2026-02-16", false, "春节"),
    ("2026-02-17", false, "春节"),
    ("2026-02-18", false, "春节"),
    ("2026-02-19", false, "春节"),
    ("2026-02-20", false, "春节"),
    ("2026-02-23", false, "春节"),
    ("2026-02-28", true, "春节"),
    ("2026-04-06", false, "清明节"),
    ("2026-05-01", false, "劳动节"),
    ("2026-05-04", false, "劳动节"),
    ("2026-05-05", false, "劳动节"),
    ("2026-05-09", true, "劳动节"),
    ("2026-06-19", false, "端午节"),
    ("2026-09-20", true, "国庆节"),
    ("2026-09-25", false, "中秋节"),
    ("2026-10-01", false, "国庆节"),
    ("2026-10-02", false, "国庆节"),
    ("2026-10-05", false, "国庆节"),
    ("2026-10-06", false, "国庆节"),
    ("2026-10-07", false, "国庆节"),
    ("2026-10-10", true, "国庆节"),
];

/// A 2027 file, not in date order: 02-06 is a Saturday, 01-01 a Friday, 02-08 a Monday.
const FILE_2027: &str = "date,is_working_day,name
2027-02-06,true,春节
2027-01-01,false,元旦
2027-02-08,false,春节
";

/// What `workCalendar(2027)` answers once `FILE_2027` is imported: its rows by date.
const IMPORTED_2027: [(&str, bool, &str); 3] = [
    ("2027-01-01", false, "元旦"),
    ("2027-02-06", true, "春节"),
    ("2027-02-08", false, "春节"),
];

/// Two bad lines among good ones: line 3 (`maybe`) and line 5 (`true` on a Wednesday).
const BAD_2027: &str = "date,is_working_day,name
2027-01-01,false,元旦
2027-02-07,maybe,春节
2027-02-09,false,春节
2027-02-10,true,春节
";

fn rows(expected: &[(&str, bool, &str)]) -> Value {
    expected
        .iter()
        .map(|(date, working, name)| json!({ "date": date, "isWorkingDay": working, "name": name }))
        .collect()
}

async fn work_calendar(app: &TestApp, year: i32) -> Value {
    app.graphql(WORK_CALENDAR, json!({ "year": year }))
        .await
        .ok()["workCalendar"]
        .clone()
}

/// Runs `lianjian calendar import FILE` on the app's database.
fn import(database: &DatabaseConfig, file: &Path) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lianjian"));
    command
        .args(["calendar", "import"])
        .arg(file)
        .args(["--database-url", &database.url]);
    if let Some(schema) = &database.schema {
        command.args(["--database-schema", schema]);
    }
    command.env("LIANJIAN_LOG", "off").output().unwrap()
}

fn written(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test]
async fn work_calendar_2026_is_the_official_table_by_date_for_any_signed_in_user() {
    let app = TestApp::spawn().await;
    // An account without any grant reads the calendar too.
    let nobody = app.user_with("nobody", &[]).await;
    let response = app
        .graphql_as(Some(&nobody), WORK_CALENDAR, json!({ "year": 2026 }))
        .await;
    assert_eq!(response.ok()["workCalendar"], rows(&OFFICIAL_2026));
    // A year without exceptions is an empty list.
    assert_eq!(work_calendar(&app, 2030).await, json!([]));
}

#[tokio::test]
async fn anonymous_callers_are_unauthenticated_and_years_outside_1900_to_2200_are_bad_input() {
    let app = TestApp::spawn().await;
    let response = app
        .graphql_as(None, WORK_CALENDAR, json!({ "year": 2026 }))
        .await;
    response.error("UNAUTHENTICATED");
    assert!(response.data().is_null());

    for year in [10000, 1899, 2201] {
        let response = app.graphql(WORK_CALENDAR, json!({ "year": year })).await;
        let error = response.error("BAD_USER_INPUT");
        assert_eq!(error["extensions"]["field"], "year", "{year}: {error}");
    }
    assert_eq!(work_calendar(&app, 1900).await, json!([]));
    assert_eq!(work_calendar(&app, 2200).await, json!([]));
}

#[tokio::test]
async fn importing_a_2027_file_twice_from_the_command_line_gives_the_same_rows() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let file = written(&dir, "cn-workdays-2027.csv", FILE_2027);
    let database = &app.state.config.database;
    assert_eq!(work_calendar(&app, 2027).await, json!([]));

    for _ in 0..2 {
        let output = import(database, &file);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            String::from_utf8(output.stdout).unwrap(),
            "imported 2027: 3 days\n"
        );
        assert_eq!(work_calendar(&app, 2027).await, rows(&IMPORTED_2027));
    }
    // The years the file does not cover keep their rows.
    assert_eq!(work_calendar(&app, 2026).await, rows(&OFFICIAL_2026));
    // One audit entry per import.
    assert_eq!(app.audits().await, 2);
}

#[tokio::test]
async fn a_file_with_two_bad_lines_names_both_exits_non_zero_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let database = &app.state.config.database;
    let good = import(database, &written(&dir, "good.csv", FILE_2027));
    assert!(good.status.success());

    let output = import(database, &written(&dir, "bad.csv", BAD_2027));
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).unwrap();
    let bad_lines: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("line "))
        .collect();
    assert_eq!(
        bad_lines,
        [
            "line 3: is_working_day must be true or false, not \"maybe\"",
            "line 5: 2027-02-10 is a Wednesday, a working day already: true changes nothing",
        ],
        "{stderr}"
    );
    assert!(stderr.contains("nothing changed"), "{stderr}");
    assert_eq!(work_calendar(&app, 2027).await, rows(&IMPORTED_2027));
    assert_eq!(app.audits().await, 1);
}
