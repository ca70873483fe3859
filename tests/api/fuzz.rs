//! Property-based fuzzing of every place untrusted text is decoded: global ids, cursors, phone
//! and ID-card numbers, dates, working-day calendar files, and whole GraphQL requests against the
//! real schema. Each target first replays its committed corpus (`fixtures/fuzz/`: inputs that
//! once broke something, or that sit on an edge), then runs generated cases. Whatever comes in,
//! the answer is a value or a clear refusal (BAD_USER_INPUT naming the field), never a panic and
//! never INTERNAL.
//!
//! CI runs a bounded number of cases (`FUZZ_CASES`, default 48 per target); a longer run is
//! `FUZZ_CASES=20000 cargo test --test api fuzz::`. A failing case is shrunk and printed, and its
//! seed is kept under `tests/api/fuzz-regressions/` so that it runs first from then on.

use std::path::PathBuf;

use async_graphql::ID;
use lianjian_api::{
    error::AppError,
    graphql::ids::{self, NodeKind},
    services::{
        values::{IdNumber, Phone, id_number_check_digit, mask_id_number, mask_phone},
        workdays,
    },
};
use proptest::{
    prelude::*,
    strategy::ValueTree,
    test_runner::{Config, FileFailurePersistence, TestRunner},
};
use serde_json::{Value, json};

use crate::helpers::TestApp;

fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(48)
}

fn runner(name: &'static str) -> TestRunner {
    TestRunner::new(Config {
        cases: cases(),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            // One file per target, kept with the tests.
            Box::leak(
                format!(
                    "{}/tests/api/fuzz-regressions/{name}.txt",
                    env!("CARGO_MANIFEST_DIR")
                )
                .into_boxed_str(),
            ),
        ))),
        ..Config::default()
    })
}

/// The committed corpus of a target: `fixtures/fuzz/<name>.txt`, one input per record,
/// records separated by a line holding only `~~~`.
fn corpus(name: &str) -> Vec<String> {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests/api/fixtures/fuzz",
        &format!("{name}.txt"),
    ]
    .iter()
    .collect();
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("corpus {}: {e}", path.display()));
    text.split("\n~~~\n")
        .map(|record| record.strip_suffix('\n').unwrap_or(record).to_owned())
        .collect()
}

/// Text as a hostile client sends it: any characters, with the characters that matter to these
/// decoders (digits, separators, base64, quotes, braces, unicode look-alikes) more likely.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9+\\- xX]{0,24}",
        "[A-Za-z0-9+/=_:\\-]{0,64}",
        "[\\u{0}-\\u{7f}]{0,40}",
        "[０-９一二三四五六七八九十\\u{200b}\\u{feff}\\u{202e}]{0,20}",
    ]
}

fn bad_input_field(error: &AppError) -> Option<&str> {
    match error {
        AppError::BadUserInput { field, .. } => Some(field),
        _ => None,
    }
}

#[test]
fn global_ids_decode_or_are_refused_naming_the_field() {
    let check = |text: &str| {
        match ids::decode("id", &ID(text.to_owned())) {
            // Whatever decodes as a known kind names the node the server's own id for it names.
            Ok(global) => {
                if let Some(kind) = global.kind {
                    let canonical = ids::encode(kind, global.id);
                    assert_eq!(ids::decode("id", &canonical).unwrap(), global, "{text:?}");
                }
            }
            Err(e) => assert_eq!(bad_input_field(&e), Some("id"), "{text:?}: {e:?}"),
        }
    };
    for text in corpus("ids") {
        check(&text);
    }
    runner("ids")
        .run(&hostile_text(), |text| {
            check(&text);
            Ok(())
        })
        .unwrap();
    // Every kind and id survives the trip, and no id decodes as another kind.
    runner("ids-roundtrip")
        .run(&(0..NodeKind::ALL.len(), any::<u128>()), |(kind, id)| {
            let kind = NodeKind::ALL[kind];
            let id = uuid::Uuid::from_u128(id);
            let encoded = ids::encode(kind, id);
            let decoded = ids::decode("id", &encoded).unwrap();
            prop_assert_eq!((decoded.kind, decoded.id), (Some(kind), id));
            for other in NodeKind::ALL.iter().filter(|k| **k != kind) {
                prop_assert!(ids::decode_as("id", *other, &encoded).is_err());
            }
            Ok(())
        })
        .unwrap();
}

/// The check character of GB 11643-1999, computed here from the standard's definition
/// (weights 2^(17-i) mod 11) rather than from the table the code uses.
fn check_character(first17: &str) -> char {
    let sum: u32 = first17
        .bytes()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * (2u32.pow(17 - i as u32) % 11))
        .sum();
    match (12 - sum % 11) % 11 {
        10 => 'X',
        n => char::from_digit(n, 10).unwrap(),
    }
}

#[test]
fn phone_and_id_numbers_parse_or_are_refused_naming_the_field() {
    let check = |text: &str| {
        match Phone::parse("phone", text) {
            Ok(phone) => {
                let digits = phone.as_str();
                assert_eq!(digits.len(), 11, "{text:?}");
                assert!(digits.starts_with('1') && digits.bytes().all(|b| b.is_ascii_digit()));
                // The digits were in the input, in order, and the mask hides the middle four.
                let typed: String = text.chars().filter(char::is_ascii_digit).collect();
                assert!(typed.ends_with(digits), "{text:?} -> {digits}");
                let masked = mask_phone(digits);
                assert_eq!(masked, format!("{}****{}", &digits[..3], &digits[7..]));
            }
            Err(e) => assert_eq!(bad_input_field(&e), Some("phone"), "{text:?}"),
        }
        match IdNumber::parse("idNumber", text) {
            Ok(number) => {
                let value = number.as_str();
                assert_eq!(value.len(), 18);
                assert_eq!(value.chars().last(), Some(check_character(&value[..17])));
                let masked = mask_id_number(value);
                assert_eq!(masked.chars().count(), 18);
                assert_eq!(&masked[4..14], "**********");
            }
            Err(e) => assert_eq!(bad_input_field(&e), Some("idNumber"), "{text:?}"),
        }
        // Masks never panic and never lengthen what they hide.
        assert!(mask_phone(text).chars().count() <= text.chars().count().max(11));
        assert_eq!(mask_id_number(text).chars().count(), text.chars().count());
    };
    for text in corpus("values") {
        check(&text);
    }
    runner("values")
        .run(&hostile_text(), |text| {
            check(&text);
            Ok(())
        })
        .unwrap();
    // Numbers built to be valid are accepted, whatever their digits: the check character agrees
    // with the definition.
    runner("id-numbers")
        .run(
            &(
                110000u32..=659999,
                1900i32..=2020,
                1u32..=12,
                1u32..=28,
                0u32..=999,
            ),
            |(region, year, month, day, seq)| {
                let first17 = format!("{region}{year:04}{month:02}{day:02}{seq:03}");
                let check = check_character(&first17);
                prop_assert_eq!(id_number_check_digit(&first17), Some(check));
                let number = format!("{first17}{check}");
                prop_assert!(IdNumber::parse("idNumber", &number).is_ok(), "{}", number);
                prop_assert!(
                    IdNumber::parse("idNumber", &number.to_lowercase()).is_ok(),
                    "{}",
                    number
                );
                Ok(())
            },
        )
        .unwrap();
}

/// A calendar file as a hostile or careless editor leaves it: real lines, shuffled, with bytes
/// added, dropped or swapped.
fn calendar_text() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("date,is_working_day,name".to_owned()),
        (
            2000i32..2100,
            0u32..14,
            0u32..33,
            any::<bool>(),
            "[a-z元旦春节]{0,6}"
        )
            .prop_map(|(y, m, d, w, n)| format!("{y}-{m:02}-{d:02},{w},{n}")),
        hostile_text(),
    ];
    prop::collection::vec(line, 0..12).prop_map(|lines| lines.join("\n"))
}

#[test]
fn calendar_files_parse_or_list_their_problems_by_line() {
    let check = |text: &str| match workdays::parse(text) {
        Ok(days) => {
            // Every day read is the date of a line of the file, and no day comes twice.
            let dates: Vec<chrono::NaiveDate> = text
                .lines()
                .filter_map(|line| line.split(',').next())
                .filter_map(|field| {
                    chrono::NaiveDate::parse_from_str(field.trim(), "%Y-%m-%d").ok()
                })
                .collect();
            let mut seen = std::collections::HashSet::new();
            for day in &days {
                assert!(seen.insert(day.day), "{} twice", day.day);
                assert!(dates.contains(&day.day), "{} in {text:?}", day.day);
            }
        }
        Err(problems) => {
            assert!(!problems.is_empty());
            let lines = text.lines().count().max(1);
            for problem in &problems {
                let number: usize = problem
                    .strip_prefix("line ")
                    .and_then(|rest| rest.split(':').next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("no line number in {problem:?}"));
                assert!(
                    (1..=lines + 1).contains(&number),
                    "{problem:?} in {lines} lines"
                );
            }
        }
    };
    for text in corpus("calendar") {
        check(&text);
    }
    runner("calendar")
        .run(&calendar_text(), |text| {
            check(&text);
            Ok(())
        })
        .unwrap();
}

/// Pieces of GraphQL that reach deep into the schema: root fields, arguments, fragments,
/// variables, directives, and the literals parsers trip on.
const PIECES: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ":",
    "...",
    "$v",
    "query",
    "mutation",
    "subscription",
    "fragment F on Query",
    "on",
    "...F",
    "@include(if: true)",
    "@skip(if: $v)",
    "__typename",
    "__schema { types { name } }",
    "__type(name: \"Organization\") { fields { name } }",
    "organizations",
    "organization",
    "node",
    "nodes",
    "people",
    "jointActivities",
    "supervisionItems",
    "residentAppeals",
    "auditLog",
    "viewer",
    "workingDays",
    "edges { cursor node { id } }",
    "nodes { id name }",
    "pageInfo { hasNextPage endCursor }",
    "totalCount",
    "first: 5",
    "first: -1",
    "first: 99999999999",
    "last: 3",
    "after: \"\"",
    "after: \"T3JnYW5pemF0aW9uOjE=\"",
    "before: \"%%%\"",
    "id: \"\"",
    "id: \"QXJlYTpub3QtYS11dWlk\"",
    "ids: [\"a\", \"b\"]",
    "filter: { from: \"2026-13-45T99:00:00Z\" }",
    "filter: { fromDate: \"0000-00-00\", toDate: \"9999-12-31\" }",
    "filter: { search: \"\\u0000%_\\\\\" }",
    "input: {}",
    "\"\\uD800\"",
    "\"\"\"block\"\"\"",
    "1e999",
    "-0",
    "null",
    "true",
    "ENUM_VALUE",
    "#",
    "\n",
    ",",
    "名称",
];

fn document() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..24).prop_map(|pieces| pieces.join(" "))
}

/// What a request may answer: data, or errors each with a code the API documents, and never
/// INTERNAL (a hostile document is the client's error, not the server's).
fn check_answer(body: &str, status: u16, response: &Value) {
    assert!(
        [200, 400, 413].contains(&status),
        "{status} for {body}: {response}"
    );
    let answers = match response {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    for answer in answers {
        for error in answer["errors"].as_array().into_iter().flatten() {
            let code = error["extensions"]["code"].as_str().unwrap_or_default();
            assert!(
                [
                    "BAD_USER_INPUT",
                    "NOT_FOUND",
                    "FORBIDDEN",
                    "UNAUTHENTICATED",
                    "CONFLICT",
                    "INVALID_TRANSITION",
                    "RATE_LIMITED",
                ]
                .contains(&code),
                "{code:?} for {body}: {error}"
            );
        }
    }
}

#[test]
fn graphql_requests_are_answered_with_data_or_coded_errors() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = runtime.block_on(async {
        let app = TestApp::spawn().await;
        app.load_demo().await;
        app
    });
    let send = |body: String| {
        let response =
            runtime.block_on(app.post_raw("application/json", body.clone().into_bytes()));
        check_answer(&body, response.status.as_u16(), &response.body);
    };
    for body in corpus("graphql") {
        send(body);
    }
    let request = prop_oneof![
        // A document, alone or with variables of any shape.
        (document(), any::<Option<i64>>()).prop_map(|(query, v)| {
            json!({ "query": query, "variables": { "v": v } }).to_string()
        }),
        // A valid query shape with hostile values in its variables.
        (hostile_text(), hostile_text()).prop_map(|(after, id)| {
            json!({
                "query": "query($after: String, $id: ID!) { organizations(first: 3, after: $after) { totalCount } node(id: $id) { id } }",
                "variables": { "after": after, "id": id },
            })
            .to_string()
        }),
        // A body that is not quite JSON, or JSON of the wrong shape.
        hostile_text(),
        prop::collection::vec(document(), 0..4).prop_map(|queries| {
            Value::Array(queries.into_iter().map(|q| json!({ "query": q })).collect()).to_string()
        }),
    ];
    runner("graphql")
        .run(&request, |body| {
            send(body);
            Ok(())
        })
        .unwrap();
}

#[tokio::test]
async fn cursors_that_were_not_handed_out_are_refused_naming_the_argument() {
    let app = TestApp::spawn().await;
    let town = app.create_area("温泉镇").await;
    for name in ["东村党支部", "西村党支部", "南村党支部"] {
        app.graphql(
            "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } } }",
            json!({ "input": { "name": name, "level": "BRANCH", "unitType": "VILLAGE", "areaId": town } }),
        )
        .await
        .ok();
    }
    let page = "query($after: String, $before: String) {
        organizations(first: 2, after: $after) { nodes { name } }
        before: organizations(last: 2, before: $before) { nodes { name } } }";
    let mut texts = corpus("cursors");
    let mut generator = TestRunner::deterministic();
    for _ in 0..cases() {
        texts.push(hostile_text().new_tree(&mut generator).unwrap().current());
    }
    // A real cursor with one character changed is not a cursor either.
    let real = app
        .graphql(
            "{ organizations(first: 1) { pageInfo { endCursor } } }",
            json!({}),
        )
        .await;
    let real = real.ok()["organizations"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    for i in 0..real.len() {
        let mut bytes = real.clone().into_bytes();
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        if let Ok(text) = String::from_utf8(bytes) {
            texts.push(text);
        }
    }
    for text in texts {
        for argument in ["after", "before"] {
            let response = app.graphql(page, json!({ argument: text })).await;
            if response.errors().is_empty() {
                // Only a real position may come back with data: pages of the three names.
                let data = response.ok();
                assert!(data["organizations"]["nodes"].as_array().unwrap().len() <= 2);
                continue;
            }
            let error = response.error("BAD_USER_INPUT");
            assert_eq!(error["extensions"]["field"], argument, "{text:?}: {error}");
        }
    }
}
