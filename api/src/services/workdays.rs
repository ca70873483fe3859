//! Working-day arithmetic over the `work_calendar` table: Monday to Friday work, Saturday and
//! Sunday do not, unless the table lists the day as an exception (an official holiday on a
//! weekday, a make-up working day 调休 on a weekend). Also reading one year's exceptions, and
//! importing a year's official table from a file (`lianjian calendar import`).

use std::{
    collections::{BTreeMap, HashMap},
    ops::RangeInclusive,
};

use chrono::{Datelike, NaiveDate, Weekday};
use entities::work_calendar;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use serde_json::json;

use super::{Actor, Change, Write, new_id, values::Name};
use crate::error::{AppError, AppResult};

/// The most working days a due date may lie ahead (about two years of working days): a bound on
/// input, and on the loops below.
pub const MAX_WORKING_DAYS: u32 = 500;

/// The calendar's exceptions, read from the database for one request or one pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    exceptions: BTreeMap<NaiveDate, bool>,
}

impl WorkCalendar {
    pub fn new(exceptions: impl IntoIterator<Item = (NaiveDate, bool)>) -> Self {
        Self {
            exceptions: exceptions.into_iter().collect(),
        }
    }

    /// The whole table: a few dozen rows a year, one statement.
    pub async fn load(db: &impl ConnectionTrait) -> AppResult<Self> {
        let rows = work_calendar::Entity::find().all(db).await?;
        Ok(Self::new(
            rows.into_iter().map(|r| (r.day, r.is_working_day)),
        ))
    }

    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        match self.exceptions.get(&day) {
            Some(working) => *working,
            None => !matches!(day.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// The `n`-th working day after `start` (`start` itself when `n` is 0). `None` past the
    /// end of the calendar's date range.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> Option<NaiveDate> {
        let mut day = start;
        let mut left = n;
        while left > 0 {
            day = day.succ_opt()?;
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        Some(day)
    }

    /// Working days `d` with `from < d <= to`; when `to` is before `from`, minus the working days
    /// `d` with `to < d <= from`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i32 {
        let (low, high, sign) = if to >= from {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        let count = low
            .iter_days()
            .skip(1)
            .take_while(|d| *d <= high)
            .filter(|d| self.is_working_day(*d))
            .count();
        sign * i32::try_from(count).unwrap_or(i32::MAX)
    }

    /// The exceptions of one year, in date order.
    pub fn exceptions_of(&self, year: i32) -> impl Iterator<Item = (NaiveDate, bool)> + '_ {
        self.exceptions
            .iter()
            .filter(move |(d, _)| d.year() == year)
            .map(|(d, w)| (*d, *w))
    }
}

/// The years the calendar may hold: what `workCalendar(year)` answers and an import accepts.
pub const YEARS: RangeInclusive<i32> = 1900..=2200;

/// The longest holiday name (the column is `VARCHAR(50)`).
pub const NAME_MAX_CHARS: usize = 50;

/// The first line of a calendar file, as in `data/cn-workdays-2026.csv`.
pub const HEADER: &str = "date,is_working_day,name";

/// Rows inserted per statement: well below the bind-parameter limits of SQLite and PostgreSQL
/// whatever the number of years in a file.
const INSERT_CHUNK: usize = 500;

/// The first and last day of `year`, for range conditions on `work_calendar.day`.
fn year_bounds(year: i32) -> AppResult<(NaiveDate, NaiveDate)> {
    let out_of_range = || {
        AppError::bad_input(
            "year",
            format!(
                "year must be between {} and {}, not {year}",
                YEARS.start(),
                YEARS.end()
            ),
        )
    };
    if !YEARS.contains(&year) {
        return Err(out_of_range());
    }
    match (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) {
        (Some(first), Some(last)) => Ok((first, last)),
        _ => Err(out_of_range()),
    }
}

/// The exceptions of one year, in date order, with their holiday's name. Every signed-in user
/// may read them: the calendar is public information.
pub async fn exceptions_in_year(
    db: &impl ConnectionTrait,
    actor: &Actor,
    year: i32,
) -> AppResult<Vec<work_calendar::Model>> {
    actor.require_signed_in()?;
    let (first, last) = year_bounds(year)?;
    Ok(work_calendar::Entity::find()
        .filter(work_calendar::Column::Day.between(first, last))
        .order_by_asc(work_calendar::Column::Day)
        .all(db)
        .await?)
}

/// How many exceptions an import wrote for one year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportedYear {
    pub year: i32,
    pub days: usize,
}

/// What an import did: the years it replaced, in order, and their new number of days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOutcome {
    pub years: Vec<ImportedYear>,
}

/// Reads a calendar file: the header `date,is_working_day,name`, then one line per exception
/// (`2027-01-01,false,元旦`). Blank lines are skipped, a leading byte-order mark and spaces around
/// fields are ignored. Every line is checked; the error lists each problem as `line N: reason`,
/// in line order.
pub fn parse(text: &str) -> Result<Vec<work_calendar::Model>, Vec<String>> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut lines = text.lines().enumerate().map(|(i, line)| (i + 1, line));
    let mut problems = Vec::new();
    if text.lines().all(|line| line.trim().is_empty()) {
        return Err(vec![format!(
            "line 1: the file is empty: expected the header {HEADER} and one line per day"
        )]);
    }
    let header_ok = match lines.next() {
        Some((_, first)) if first.split(',').map(str::trim).eq(HEADER.split(',')) => true,
        Some((_, first)) => {
            problems.push(format!(
                "line 1: the first line must be the header {HEADER}, not \"{}\"",
                first.trim()
            ));
            false
        }
        None => false,
    };
    let mut days = Vec::new();
    let mut first_seen: HashMap<NaiveDate, usize> = HashMap::new();
    let mut last_line = 1;
    for (number, line) in lines {
        last_line = number;
        if line.trim().is_empty() {
            continue;
        }
        match parse_row(line) {
            Ok(row) => match first_seen.get(&row.day) {
                Some(first) => problems.push(format!(
                    "line {number}: {} is listed twice (first on line {first})",
                    row.day
                )),
                None => {
                    first_seen.insert(row.day, number);
                    days.push(row);
                }
            },
            Err(reasons) => {
                problems.extend(reasons.into_iter().map(|r| format!("line {number}: {r}")));
            }
        }
    }
    if header_ok && days.is_empty() && problems.is_empty() {
        problems.push(format!(
            "line {}: no days: the file has only its header",
            last_line + 1
        ));
    }
    if problems.is_empty() {
        Ok(days)
    } else {
        Err(problems)
    }
}

/// One line of a calendar file, or every reason it is wrong.
fn parse_row(line: &str) -> Result<work_calendar::Model, Vec<String>> {
    let fields: Vec<&str> = line.split(',').map(str::trim).collect();
    let [day, working, name] = fields[..] else {
        return Err(vec![format!(
            "expected 3 fields ({HEADER}), found {}",
            fields.len()
        )]);
    };
    let day = parse_day(day);
    let working = match working {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(format!(
            "is_working_day must be true or false, not \"{other}\""
        )),
    };
    let name = Name::parse("name", name, NAME_MAX_CHARS).map_err(|e| e.to_string());
    match (day, working, name) {
        (Ok(day), Ok(is_working_day), Ok(name)) => {
            let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
            if is_working_day && !weekend {
                Err(vec![format!(
                    "{day} is a {}, a working day already: true changes nothing",
                    weekday_name(day.weekday())
                )])
            } else if !is_working_day && weekend {
                Err(vec![format!(
                    "{day} is a {}, a day off already: false changes nothing",
                    weekday_name(day.weekday())
                )])
            } else {
                Ok(work_calendar::Model {
                    day,
                    is_working_day,
                    name: name.into_inner(),
                })
            }
        }
        (day, working, name) => Err([day.err(), working.err(), name.err()]
            .into_iter()
            .flatten()
            .collect()),
    }
}

/// A date written exactly as `YYYY-MM-DD`, that exists, in `YEARS`.
fn parse_day(text: &str) -> Result<NaiveDate, String> {
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shaped {
        return Err(format!("date \"{text}\" is not written as YYYY-MM-DD"));
    }
    // The shape is right, so chrono's parse fails only for a day that does not exist.
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("date {text} does not exist"))?;
    if !YEARS.contains(&day.year()) {
        return Err(format!(
            "date {text} is outside the years {} to {}",
            YEARS.start(),
            YEARS.end()
        ));
    }
    Ok(day)
}

fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// Imports a calendar file (see `parse`): the years it covers are replaced by its rows, in one
/// transaction with its audit entry, so a corrected file replaces its year and the same file
/// imported twice changes nothing. A file with any bad line is refused whole: BAD_USER_INPUT on
/// `file`, one `line N: reason` per line of the message, and nothing is written. Administrators
/// and the operator only.
pub async fn import<C>(db: &C, actor: &Actor, text: &str) -> AppResult<ImportOutcome>
where
    C: TransactionTrait,
{
    actor.require_admin()?;
    let days = parse(text).map_err(|problems| AppError::bad_input("file", problems.join("\n")))?;
    let mut per_year: BTreeMap<i32, usize> = BTreeMap::new();
    for day in &days {
        *per_year.entry(day.day.year()).or_default() += 1;
    }
    let w = Write::begin(db, actor).await?;
    let mut replaced = Vec::with_capacity(per_year.len());
    for year in per_year.keys() {
        let (first, last) = year_bounds(*year)?;
        let deleted = work_calendar::Entity::delete_many()
            .filter(work_calendar::Column::Day.between(first, last))
            .exec(&w)
            .await?;
        replaced.push(json!({ "year": year, "days": deleted.rows_affected }));
    }
    for chunk in days.chunks(INSERT_CHUNK) {
        work_calendar::Entity::insert_many(
            chunk.iter().cloned().map(work_calendar::ActiveModel::from),
        )
        .exec_without_returning(&w)
        .await?;
    }
    let years: Vec<ImportedYear> = per_year
        .into_iter()
        .map(|(year, days)| ImportedYear { year, days })
        .collect();
    let after: Vec<_> = years
        .iter()
        .map(|y| json!({ "year": y.year, "days": y.days }))
        .collect();
    w.audit(
        Change::of("importWorkCalendar", "WorkCalendar", new_id())
            .before(json!({ "years": replaced }))
            .after(json!({ "years": after })),
    )
    .await?;
    w.commit().await?;
    Ok(ImportOutcome { years })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// The 2026 Spring Festival of `data/cn-workdays-2026.csv`, written out by hand: 2026-02-14
    /// (Saturday) is a make-up working day, 02-16 to 02-20 and 02-23 (Monday) are off, 02-28
    /// (Saturday) is a make-up working day.
    fn spring_festival_2026() -> WorkCalendar {
        WorkCalendar::new([
            (d("2026-02-14"), true),
            (d("2026-02-16"), false),
            (d("2026-02-17"), false),
            (d("2026-02-18"), false),
            (d("2026-02-19"), false),
            (d("2026-02-20"), false),
            (d("2026-02-23"), false),
            (d("2026-02-28"), true),
        ])
    }

    #[test]
    fn weekends_rest_unless_listed() {
        let cal = spring_festival_2026();
        assert!(cal.is_working_day(d("2026-02-13"))); // Friday
        assert!(cal.is_working_day(d("2026-02-14"))); // make-up Saturday
        assert!(!cal.is_working_day(d("2026-02-15"))); // Sunday
        assert!(!cal.is_working_day(d("2026-02-18"))); // Wednesday, holiday
        assert!(!cal.is_working_day(d("2026-03-01"))); // Sunday
    }

    #[test]
    fn adding_working_days_across_the_spring_festival() {
        let cal = spring_festival_2026();
        // From Friday 02-13: 1 -> Sat 02-14 (make-up), 2 -> Tue 02-24, 3 -> 02-25, 4 -> 02-26,
        // 5 -> 02-27, 6 -> Sat 02-28 (make-up), 7 -> Mon 03-02.
        let expected = [
            "2026-02-13",
            "2026-02-14",
            "2026-02-24",
            "2026-02-25",
            "2026-02-26",
            "2026-02-27",
            "2026-02-28",
            "2026-03-02",
        ];
        for (n, want) in expected.iter().enumerate() {
            assert_eq!(
                cal.add_working_days(d("2026-02-13"), n as u32),
                Some(d(want)),
                "n = {n}"
            );
        }
    }

    #[test]
    fn counting_working_days_both_ways() {
        let cal = spring_festival_2026();
        assert_eq!(
            cal.working_days_between(d("2026-02-13"), d("2026-02-13")),
            0
        );
        assert_eq!(
            cal.working_days_between(d("2026-02-13"), d("2026-02-24")),
            2
        );
        assert_eq!(
            cal.working_days_between(d("2026-02-24"), d("2026-02-13")),
            -2
        );
        // Sunday to Monday of an ordinary week: one working day.
        assert_eq!(
            cal.working_days_between(d("2026-03-08"), d("2026-03-09")),
            1
        );
        // Friday to Sunday: none.
        assert_eq!(
            cal.working_days_between(d("2026-03-06"), d("2026-03-08")),
            0
        );
    }

    // ---- The calendar file ----

    const GOOD_2027: &str =
        "date,is_working_day,name\n2027-01-01,false,元旦\n2027-02-07,true,春节\n";

    fn row(day: &str, working: bool, name: &str) -> work_calendar::Model {
        work_calendar::Model {
            day: d(day),
            is_working_day: working,
            name: name.to_owned(),
        }
    }

    #[test]
    fn a_good_file_gives_its_rows_in_file_order() {
        assert_eq!(
            parse(GOOD_2027).unwrap(),
            vec![
                row("2027-01-01", false, "元旦"),
                row("2027-02-07", true, "春节")
            ]
        );
    }

    #[test]
    fn a_byte_order_mark_crlf_blank_lines_and_spaces_around_fields_are_accepted() {
        let text = "\u{FEFF}date, is_working_day ,name\r\n\r\n 2027-01-01 , false , 元旦 \r\n";
        assert_eq!(parse(text).unwrap(), vec![row("2027-01-01", false, "元旦")]);
    }

    #[test]
    fn a_fifty_character_name_is_accepted_and_fifty_one_is_not() {
        let fifty = "节".repeat(50);
        let text = format!("date,is_working_day,name\n2027-01-01,false,{fifty}\n");
        assert_eq!(parse(&text).unwrap()[0].name, fifty);
        let text = format!("date,is_working_day,name\n2027-01-01,false,{fifty}节\n");
        assert_eq!(
            parse(&text).unwrap_err(),
            ["line 2: name must be at most 50 characters"]
        );
    }

    #[test]
    fn every_bad_line_is_reported_with_its_number() {
        let long = "节".repeat(51);
        let text = format!(
            "date,is_working_day,name
2027-01-01,false,元旦
2027-02-30,false,春节
2027/02/06,true,春节
2027-02-07,yes,春节
2027-02-08,false,
2027-02-09,false,{long}
2027-02-10,true,春节
2027-02-13,false,春节
2027-01-01,false,元旦
2027-02-11,false
2027-13-01,maybe,   
1899-12-30,true,旧历
2027-02-12,false,\u{200B}
"
        );
        assert_eq!(
            parse(&text).unwrap_err(),
            [
                "line 3: date 2027-02-30 does not exist",
                "line 4: date \"2027/02/06\" is not written as YYYY-MM-DD",
                "line 5: is_working_day must be true or false, not \"yes\"",
                "line 6: name must not be empty",
                "line 7: name must be at most 50 characters",
                "line 8: 2027-02-10 is a Wednesday, a working day already: true changes nothing",
                "line 9: 2027-02-13 is a Saturday, a day off already: false changes nothing",
                "line 10: 2027-01-01 is listed twice (first on line 2)",
                "line 11: expected 3 fields (date,is_working_day,name), found 2",
                "line 12: date 2027-13-01 does not exist",
                "line 12: is_working_day must be true or false, not \"maybe\"",
                "line 12: name must not be empty",
                "line 13: date 1899-12-30 is outside the years 1900 to 2200",
                "line 14: name must contain a visible character, not only invisible ones",
            ]
        );
    }

    #[test]
    fn a_missing_header_an_empty_file_and_a_file_without_rows_are_refused() {
        assert_eq!(
            parse("2027-01-01,false,元旦\n2027-02-07,true,春节\n").unwrap_err(),
            [
                "line 1: the first line must be the header date,is_working_day,name, not \"2027-01-01,false,元旦\""
            ]
        );
        assert_eq!(
            parse("day,working,name\n2027-02-10,true,春节\n").unwrap_err(),
            [
                "line 1: the first line must be the header date,is_working_day,name, not \"day,working,name\"",
                "line 2: 2027-02-10 is a Wednesday, a working day already: true changes nothing",
            ]
        );
        for empty in ["", "\n", "  \r\n\n", "\u{FEFF}"] {
            assert_eq!(
                parse(empty).unwrap_err(),
                [
                    "line 1: the file is empty: expected the header date,is_working_day,name and one line per day"
                ],
                "{empty:?}"
            );
        }
        assert_eq!(
            parse("date,is_working_day,name\n").unwrap_err(),
            ["line 2: no days: the file has only its header"]
        );
        assert_eq!(
            parse("date,is_working_day,name\n\n\n").unwrap_err(),
            ["line 4: no days: the file has only its header"]
        );
    }

    #[test]
    fn the_official_files_of_data_parse() {
        // 23 and 25 lines below their headers.
        let y2025 = parse(include_str!("../../../data/cn-workdays-2025.csv")).unwrap();
        let y2026 = parse(include_str!("../../../data/cn-workdays-2026.csv")).unwrap();
        assert_eq!((y2025.len(), y2026.len()), (23, 25));
        assert_eq!(y2026[0], row("2026-01-01", false, "元旦"));
        assert_eq!(y2026[24], row("2026-10-10", true, "国庆节"));
    }

    // ---- Importing ----

    async fn days_of(db: &sea_orm::DatabaseConnection, year: i32) -> Vec<work_calendar::Model> {
        exceptions_in_year(db, &Actor::system("test"), year)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn an_import_replaces_its_years_and_leaves_the_others() {
        use entities::audit_entry;
        use sea_orm::PaginatorTrait;

        let db = crate::services::test_db().await;
        let operator = Actor::system("test");
        let seeded_2026 = days_of(&db, 2026).await;
        assert_eq!(seeded_2026.len(), 25);

        let outcome = import(&db, &operator, GOOD_2027).await.unwrap();
        assert_eq!(
            outcome.years,
            [ImportedYear {
                year: 2027,
                days: 2
            }]
        );
        let imported = days_of(&db, 2027).await;
        assert_eq!(
            imported,
            [
                row("2027-01-01", false, "元旦"),
                row("2027-02-07", true, "春节")
            ]
        );
        // The same file again: the same rows.
        import(&db, &operator, GOOD_2027).await.unwrap();
        assert_eq!(days_of(&db, 2027).await, imported);

        // A corrected file replaces the year.
        let corrected = "date,is_working_day,name\n2027-02-08,false,春节\n";
        let outcome = import(&db, &operator, corrected).await.unwrap();
        assert_eq!(
            outcome.years,
            [ImportedYear {
                year: 2027,
                days: 1
            }]
        );
        assert_eq!(days_of(&db, 2027).await, [row("2027-02-08", false, "春节")]);
        assert_eq!(days_of(&db, 2026).await, seeded_2026);

        let entries = audit_entry::Entity::find()
            .filter(audit_entry::Column::Action.eq("importWorkCalendar"))
            .order_by_asc(audit_entry::Column::CreatedAt)
            .order_by_asc(audit_entry::Column::Id)
            .all(&db)
            .await
            .unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[2].target_type, "WorkCalendar");
        assert_eq!(
            entries[2].before,
            Some(json!({ "years": [{ "year": 2027, "days": 2 }] }))
        );
        assert_eq!(
            entries[2].after,
            Some(json!({ "years": [{ "year": 2027, "days": 1 }] }))
        );

        // A bad file writes nothing, not even an audit entry.
        let bad = "date,is_working_day,name\n2027-03-01,false,x\n2027-03-06,false,y\n";
        match import(&db, &operator, bad).await {
            Err(AppError::BadUserInput { field, message }) => {
                assert_eq!(field, "file");
                assert_eq!(
                    message,
                    "line 3: 2027-03-06 is a Saturday, a day off already: false changes nothing"
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(days_of(&db, 2027).await, [row("2027-02-08", false, "春节")]);
        assert_eq!(audit_entry::Entity::find().count(&db).await.unwrap(), 3);
    }

    #[tokio::test]
    async fn anonymous_callers_may_neither_import_nor_read() {
        let db = crate::services::test_db().await;
        let anonymous = Actor::default();
        assert!(matches!(
            import(&db, &anonymous, GOOD_2027).await,
            Err(AppError::Unauthenticated)
        ));
        assert!(matches!(
            exceptions_in_year(&db, &anonymous, 2026).await,
            Err(AppError::Unauthenticated)
        ));
        assert!(days_of(&db, 2027).await.is_empty());
    }

    #[tokio::test]
    async fn a_year_outside_1900_to_2200_is_bad_input_on_year() {
        let db = crate::services::test_db().await;
        for year in [1899, 2201, 10000, -1] {
            match exceptions_in_year(&db, &Actor::system("test"), year).await {
                Err(AppError::BadUserInput { field, .. }) => assert_eq!(field, "year"),
                other => panic!("{year}: {other:?}"),
            }
        }
        assert!(days_of(&db, 1900).await.is_empty());
        assert!(days_of(&db, 2200).await.is_empty());
    }

    // ---- Properties of the arithmetic over the real 2025 and 2026 tables ----

    /// The exceptions of `data/`, read with a plain split (not with `parse`, which is tested
    /// above on its own).
    fn real_calendar() -> WorkCalendar {
        let files = [
            include_str!("../../../data/cn-workdays-2025.csv"),
            include_str!("../../../data/cn-workdays-2026.csv"),
        ];
        WorkCalendar::new(files.iter().flat_map(|file| {
            file.lines().skip(1).map(|line| {
                let mut fields = line.split(',');
                let day = d(fields.next().unwrap());
                (day, fields.next().unwrap() == "true")
            })
        }))
    }

    static REAL: std::sync::LazyLock<WorkCalendar> = std::sync::LazyLock::new(real_calendar);

    /// A day of 2025 to 2027 (1,095 days, none of them in a leap year).
    fn any_day() -> impl proptest::strategy::Strategy<Value = NaiveDate> {
        use proptest::strategy::Strategy;
        (0u64..1095).prop_map(|offset| d("2025-01-01") + chrono::Days::new(offset))
    }

    #[test]
    fn the_real_calendar_holds_both_years() {
        assert_eq!(REAL.exceptions_of(2025).count(), 23);
        assert_eq!(REAL.exceptions_of(2026).count(), 25);
        // 2026-01-04, a Sunday, is a make-up working day; 2025-10-08, a Wednesday, is off.
        assert!(REAL.is_working_day(d("2026-01-04")));
        assert!(!REAL.is_working_day(d("2025-10-08")));
    }

    proptest::proptest! {
        #[test]
        fn counting_the_days_added_gives_n(start in any_day(), n in 0u32..=300) {
            let end = REAL.add_working_days(start, n).unwrap();
            proptest::prop_assert_eq!(REAL.working_days_between(start, end), n as i32);
            if n >= 1 {
                proptest::prop_assert!(REAL.is_working_day(end), "{} is not a working day", end);
            }
        }

        #[test]
        fn counting_backwards_is_minus_counting_forwards(a in any_day(), b in any_day()) {
            proptest::prop_assert_eq!(
                REAL.working_days_between(a, b),
                -REAL.working_days_between(b, a)
            );
        }
    }
}
