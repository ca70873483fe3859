//! Spreadsheet exports (`GET /exports/{file}`), read back with `calamine` (XLSX) and `csv`, and
//! compared with what the GraphQL API answers the same caller (the oracle), or with values
//! written by hand: the Chinese labels below are the contract, copied from the specification
//! of the export, not from the code under test.
//!
//! The demo town is loaded on 2026-06-15 (Asia/Shanghai). Its ledger runs over the two months
//! before; the ledger period used here, 05-16 to 06-05 (load day - 30 to load day - 10), leaves
//! out the items closed before it (one closed on day -45, one on day -32) and those opened after
//! it, and overlaps rounds 3 (-35..-22) and 4 (-21..-8) of the 14-day cadence from day -63.

use std::{collections::HashMap, io::Cursor};

use axum::{
    body::Body,
    http::{HeaderMap, Request, StatusCode, header},
};
use calamine::{Data, DataType, Reader, Xlsx};
use entities::{organization, person, resident_appeal, user_account};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::appeal_statistics::{instant, uuid_of};
use crate::helpers::TestApp;

const TODAY: &str = "2026-06-15";
const FROM: &str = "2026-05-16";
const TO: &str = "2026-06-05";

const ACCOUNTS: [&str; 6] = [
    "admin",
    "staff",
    "supervisor",
    "secretary",
    "first-secretary",
    "member",
];

pub(crate) async fn demo() -> TestApp {
    let app = TestApp::spawn_at(instant("2026-06-15T10:00:00+08:00")).await;
    app.load_demo().await;
    app
}

pub(crate) async fn token_of(app: &TestApp, username: &str) -> String {
    let user = user_account::Entity::find()
        .filter(user_account::Column::Username.eq(username))
        .one(&app.state.db.read)
        .await
        .unwrap()
        .unwrap();
    app.state
        .tokens
        .issue(user.id, user.token_version)
        .unwrap()
        .0
}

async fn download(
    app: &TestApp,
    token: Option<&str>,
    uri: &str,
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut request = Request::get(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    app.request(request.body(Body::empty()).unwrap()).await
}

/// A download that must succeed, with the headers every export carries.
pub(crate) async fn fetch(app: &TestApp, token: &str, uri: &str) -> Vec<u8> {
    let (status, headers, body) = download(app, Some(token), uri).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{uri}: {}",
        String::from_utf8_lossy(&body)
    );
    assert_eq!(headers[header::CACHE_CONTROL], "private, no-store");
    let disposition = headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\""),
        "{disposition}"
    );
    let content_type = headers[header::CONTENT_TYPE].to_str().unwrap();
    if uri.contains(".xlsx") {
        assert_eq!(
            content_type,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
    } else {
        assert_eq!(content_type, "text/csv; charset=utf-8");
    }
    body
}

/// Every sheet of a workbook: its name and its rows (the header row first).
pub(crate) fn sheets(bytes: &[u8]) -> Vec<(String, Vec<Vec<Data>>)> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).expect("an XLSX file");
    book.sheet_names()
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).unwrap();
            let rows = range.rows().map(<[Data]>::to_vec).collect();
            (name, rows)
        })
        .collect()
}

pub(crate) fn sheet<'a>(book: &'a [(String, Vec<Vec<Data>>)], name: &str) -> &'a [Vec<Data>] {
    &book
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no sheet {name}"))
        .1
}

/// A cell as CSV shows it: dates as `YYYY-MM-DD`, times as `YYYY-MM-DD HH:MM`.
fn text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", *x as i64),
        Data::Float(x) => x.to_string(),
        Data::Int(n) => n.to_string(),
        Data::DateTime(_) => {
            // A serial number of days: a millisecond more absorbs its floating-point error.
            let t = cell.as_datetime().unwrap() + chrono::Duration::milliseconds(1);
            if t.format("%H:%M").to_string() == "00:00" {
                t.date().to_string()
            } else {
                t.format("%Y-%m-%d %H:%M").to_string()
            }
        }
        other => panic!("unexpected cell {other:?}"),
    }
}

pub(crate) fn texts(rows: &[Vec<Data>]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|row| row.iter().map(text).collect())
        .collect()
}

/// The records of a CSV download, which must start with UTF-8's byte-order mark.
pub(crate) fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let body = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .expect("a UTF-8 byte-order mark first");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// Every node of a connection, page by page; `query` takes `$after` and names the connection
/// at `field`.
async fn all_nodes(
    app: &TestApp,
    token: &str,
    query: &str,
    field: &str,
    variables: Value,
) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = Value::Null;
    loop {
        let mut vars = variables.clone();
        vars["after"] = after.clone();
        let response = app.graphql_as(Some(token), query, vars).await;
        let connection = &response.ok()[field];
        out.extend(connection["nodes"].as_array().unwrap().iter().cloned());
        if connection["pageInfo"]["hasNextPage"] != true {
            return out;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
}

async fn group_id(app: &TestApp) -> String {
    app.graphql("{ linkageGroups { nodes { id } } }", json!({}))
        .await
        .ok()["linkageGroups"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn status_label(status: &str) -> &'static str {
    match status {
        "OPEN" => "待办理",
        "IN_PROGRESS" => "办理中",
        "PENDING_REVIEW" => "待审核",
        "CLOSED" => "已办结",
        "REOPENED" => "重新办理",
        "CANCELLED" => "已撤销",
        other => panic!("{other}"),
    }
}

fn level_label(level: &str) -> &'static str {
    match level {
        "NONE" => "无",
        "REMIND" => "提醒",
        "URGE" => "催办",
        "SUPERVISE" => "督办",
        "REPORT" => "通报",
        other => panic!("{other}"),
    }
}

fn position_label(position: &str) -> &'static str {
    match position {
        "SECRETARY" => "书记",
        "DEPUTY_SECRETARY" => "副书记",
        "COMMITTEE_MEMBER" => "委员",
        "CADRE" => "村干部",
        "FIRST_SECRETARY" => "第一书记",
        "GRID_WORKER" => "网格员",
        "LEGAL_ADVISER" => "法律顾问",
        "VOLUNTEER" => "志愿者",
        other => panic!("{other}"),
    }
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// Co-responsible organizations compared as sets: the cell joins names with `、`.
fn sorted_names(cell: &str) -> Vec<String> {
    let mut names: Vec<String> = cell
        .split('、')
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect();
    names.sort();
    names
}

const ITEMS: &str = "query($group: ID!, $after: String) {
    supervisionItems(filter: { linkageGroupId: $group }, first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { id code title openedOn dueOn originalDueOn status escalationLevel closedOn cancelledOn
        closedOnTime leadOrganization { name } coResponsible { organization { name } } } } }";

/// The items sheet as the API answers: the group's items alive in the period (opened on or
/// before `to`, not closed or cancelled before `from`), by opening date then id.
async fn expected_items(app: &TestApp, token: &str, group: &str) -> Vec<Vec<String>> {
    let mut items: Vec<Value> = all_nodes(
        app,
        token,
        ITEMS,
        "supervisionItems",
        json!({ "group": group }),
    )
    .await
    .into_iter()
    .filter(|i| {
        s(&i["openedOn"]).as_str() <= TO
            && (i["closedOn"].is_null() || s(&i["closedOn"]).as_str() >= FROM)
            && (i["cancelledOn"].is_null() || s(&i["cancelledOn"]).as_str() >= FROM)
    })
    .collect();
    items.sort_by_key(|i| (s(&i["openedOn"]), uuid_of(&s(&i["id"]))));
    items
        .iter()
        .map(|i| {
            let co: Vec<String> = i["coResponsible"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| s(&a["organization"]["name"]))
                .collect();
            vec![
                s(&i["code"]),
                s(&i["title"]),
                s(&i["leadOrganization"]["name"]),
                sorted_names(&co.join("、")).join("、"),
                s(&i["openedOn"]),
                s(&i["dueOn"]),
                s(&i["originalDueOn"]),
                status_label(&s(&i["status"])).to_owned(),
                level_label(&s(&i["escalationLevel"])).to_owned(),
                s(&i["closedOn"]),
                match i["closedOnTime"].as_bool() {
                    Some(true) => "是".to_owned(),
                    Some(false) => "否".to_owned(),
                    None => String::new(),
                },
            ]
        })
        .collect()
}

/// The items sheet's rows with the co-responsible names sorted (see `sorted_names`).
fn normalized_items(rows: &[Vec<String>]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|row| {
            let mut row = row.clone();
            row[3] = sorted_names(&row[3]).join("、");
            row
        })
        .collect()
}

/// The rounds sheet as the API answers: the group's rounds overlapping the period, by number.
async fn expected_rounds(app: &TestApp, token: &str, group: &str) -> Vec<Vec<String>> {
    let response = app
        .graphql_as(
            Some(token),
            "query($group: ID!) { supervisionRounds(linkageGroupId: $group, first: 100) {
                nodes { number startsOn endsOn status closedAt
                  snapshot { opened closed closedOnTime overdue escalated carriedOver } } } }",
            json!({ "group": group }),
        )
        .await;
    let mut rounds: Vec<Value> = response.ok()["supervisionRounds"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| s(&r["startsOn"]).as_str() <= TO && s(&r["endsOn"]).as_str() >= FROM)
        .cloned()
        .collect();
    rounds.sort_by_key(|r| r["number"].as_i64());
    rounds
        .iter()
        .map(|r| {
            let snapshot = &r["snapshot"];
            let figure = |name: &str| {
                snapshot[name]
                    .as_i64()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            };
            vec![
                r["number"].to_string(),
                s(&r["startsOn"]),
                s(&r["endsOn"]),
                match s(&r["status"]).as_str() {
                    "OPEN" => "进行中".to_owned(),
                    "CLOSED" => "已结束".to_owned(),
                    other => panic!("{other}"),
                },
                // RFC 3339 in the deployment's zone, shown to the minute.
                r["closedAt"]
                    .as_str()
                    .map(|t| {
                        chrono::DateTime::parse_from_rfc3339(t)
                            .unwrap()
                            .naive_local()
                            .format("%Y-%m-%d %H:%M")
                            .to_string()
                    })
                    .unwrap_or_default(),
                figure("opened"),
                figure("closed"),
                figure("closedOnTime"),
                figure("overdue"),
                figure("escalated"),
                figure("carriedOver"),
            ]
        })
        .collect()
}

const STATISTICS: &str = "query($group: ID!, $from: Date!, $to: Date!) {
    statistics(linkageGroupId: $group, from: $from, to: $to) { asOf
      supervision { opened closed closedOnTime closedLate overdueNow extended averageWorkingDaysToClose
        onTimeRate { numerator denominator value asOf }
        byOrganization { organization { name } lead coResponsible closed closedOnTime overdueNow
          onTimeRate { numerator denominator value } } }
      activities { held cancelled byKind { kind count } participationByOrganization { organization { name } count } }
      mentoring { activePairings sessions neglectedPairings
        keyVillageCoverage { numerator denominator value } remoteVillageCoverage { numerator denominator value } }
      appeals { collected resolved rejected open
        resolutionRate { numerator denominator value } satisfactionRate { numerator denominator value }
        byVillage { organization { name } count } byCategory { category count } } } }";

/// The statistics sheet's rows by (figure, of): [numerator, denominator, value, as of].
type Figures = HashMap<(String, String), [String; 4]>;

fn figures_of(rows: &[Vec<String>]) -> Figures {
    rows.iter()
        .map(|r| {
            (
                (r[1].clone(), r[2].clone()),
                [r[3].clone(), r[4].clone(), r[5].clone(), r[6].clone()],
            )
        })
        .collect()
}

/// Checks the statistics sheet against the `statistics` query, figure by figure.
fn check_statistics(rows: &[Vec<String>], stats: &Value) {
    let figures = figures_of(rows);
    assert_eq!(figures.len(), rows.len(), "one row per figure: {rows:?}");
    let as_of = s(&stats["asOf"]);
    assert_eq!(as_of, TODAY);
    let count = |figure: &str, of: &str, n: &Value| {
        assert_eq!(
            figures.get(&(figure.to_owned(), of.to_owned())),
            Some(&[String::new(), String::new(), n.to_string(), as_of.clone()]),
            "{figure} {of}"
        );
    };
    let rate = |figure: &str, of: &str, r: &Value| {
        let value = r["value"]
            .as_f64()
            .map(|v| v.to_string())
            .unwrap_or_default();
        let row = figures
            .get(&(figure.to_owned(), of.to_owned()))
            .unwrap_or_else(|| panic!("no {figure} {of}"));
        assert_eq!(row[0], r["numerator"].to_string(), "{figure} {of}");
        assert_eq!(row[1], r["denominator"].to_string(), "{figure} {of}");
        let shown: Option<f64> = row[2].parse().ok();
        assert_eq!(
            shown.map(|v| (v * 1e9).round()),
            value.parse::<f64>().ok().map(|v| (v * 1e9).round()),
            "{figure} {of}"
        );
        assert_eq!(row[3], as_of);
    };
    let sup = &stats["supervision"];
    count("新增事项", "", &sup["opened"]);
    count("办结事项", "", &sup["closed"]);
    count("按时办结", "", &sup["closedOnTime"]);
    count("逾期办结", "", &sup["closedLate"]);
    count("当前逾期", "", &sup["overdueNow"]);
    count("延期事项", "", &sup["extended"]);
    rate("按时办结率", "", &sup["onTimeRate"]);
    let average = &figures[&("平均办结用时（工作日）".to_owned(), String::new())][2];
    assert_eq!(
        average.parse::<f64>().ok().map(|v| (v * 1e9).round()),
        sup["averageWorkingDaysToClose"]
            .as_f64()
            .map(|v| (v * 1e9).round())
    );
    for o in sup["byOrganization"].as_array().unwrap() {
        let name = s(&o["organization"]["name"]);
        count("牵头事项", &name, &o["lead"]);
        count("协办事项", &name, &o["coResponsible"]);
        count("牵头办结", &name, &o["closed"]);
        count("牵头按时办结", &name, &o["closedOnTime"]);
        count("牵头当前逾期", &name, &o["overdueNow"]);
        rate("牵头按时办结率", &name, &o["onTimeRate"]);
    }
    let act = &stats["activities"];
    count("开展活动", "", &act["held"]);
    count("取消活动", "", &act["cancelled"]);
    for o in act["participationByOrganization"].as_array().unwrap() {
        count("参加活动", &s(&o["organization"]["name"]), &o["count"]);
    }
    let men = &stats["mentoring"];
    count("在帮带结对", "", &men["activePairings"]);
    count("帮带次数", "", &men["sessions"]);
    count("帮带滞后结对", "", &men["neglectedPairings"]);
    rate("重点村第一书记覆盖率", "", &men["keyVillageCoverage"]);
    rate("偏远村第一书记覆盖率", "", &men["remoteVillageCoverage"]);
    let app = &stats["appeals"];
    count("收集诉求", "", &app["collected"]);
    count("已办结", "", &app["resolved"]);
    count("不予受理", "", &app["rejected"]);
    count("办理中", "", &app["open"]);
    rate("诉求办结率", "", &app["resolutionRate"]);
    rate("群众满意率", "", &app["satisfactionRate"]);
    for o in app["byVillage"].as_array().unwrap() {
        count(
            "按村（社区）收集",
            &s(&o["organization"]["name"]),
            &o["count"],
        );
    }
    // Kinds and categories are counted too (their labels are the sheet's business).
    let kinds: i64 = act["byKind"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["count"].as_i64().unwrap())
        .sum();
    let kind_rows: i64 = rows
        .iter()
        .filter(|r| r[1] == "按类型开展活动")
        .map(|r| r[5].parse::<i64>().unwrap())
        .sum();
    assert_eq!(kind_rows, kinds);
    let categories = app["byCategory"].as_array().unwrap().len();
    assert_eq!(
        rows.iter().filter(|r| r[1] == "按类别收集").count(),
        categories
    );
    // 8 ledger totals (6 counts, the average, the rate) and 6 per organization; 2 activity
    // totals; 3 mentoring counts and 2 rates; 4 appeal counts and 2 rates.
    let expected_rows = 8
        + 6 * sup["byOrganization"].as_array().unwrap().len()
        + 2
        + act["byKind"].as_array().unwrap().len()
        + act["participationByOrganization"].as_array().unwrap().len()
        + 5
        + 6
        + app["byVillage"].as_array().unwrap().len()
        + categories;
    assert_eq!(rows.len(), expected_rows, "{rows:?}");
}

fn ledger_uri(ext: &str, group: &str, extra: &str) -> String {
    format!("/exports/supervision-ledger.{ext}?linkageGroupId={group}&from={FROM}&to={TO}{extra}")
}

#[tokio::test]
async fn the_ledger_workbook_holds_items_rounds_and_statistics_as_the_api_answers() {
    let app = demo().await;
    let group = group_id(&app).await;
    let supervisor = token_of(&app, "supervisor").await;
    let bytes = fetch(&app, &supervisor, &ledger_uri("xlsx", &group, "")).await;
    let book = sheets(&bytes);
    let names: Vec<&str> = book.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["督办事项", "督办轮次", "统计"]);

    let items = sheet(&book, "督办事项");
    assert_eq!(
        texts(&items[..1]),
        [[
            "编号",
            "标题",
            "牵头单位",
            "协办单位",
            "交办日期",
            "办理时限",
            "原定时限",
            "状态",
            "督办等级",
            "办结日期",
            "按时办结"
        ]]
    );
    // Dates are spreadsheet dates, not text.
    for row in &items[1..] {
        for c in [4, 5, 6] {
            assert!(matches!(row[c], Data::DateTime(_)), "{:?}", row[c]);
        }
        assert!(
            matches!(row[9], Data::DateTime(_) | Data::Empty),
            "{:?}",
            row[9]
        );
    }
    let expected = expected_items(&app, &supervisor, &group).await;
    // The period leaves some of the 32 items out, and keeps most.
    assert!(
        expected.len() >= 20 && expected.len() < 32,
        "{}",
        expected.len()
    );
    assert!(expected.iter().any(|r| r[10] == "是") && expected.iter().any(|r| r[7] == "办理中"));
    assert_eq!(normalized_items(&texts(&items[1..])), expected);

    let rounds = sheet(&book, "督办轮次");
    assert_eq!(
        texts(&rounds[..1]),
        [[
            "轮次",
            "开始日期",
            "结束日期",
            "状态",
            "结束时间",
            "新增事项",
            "办结事项",
            "按时办结",
            "逾期事项",
            "升级督办",
            "结转事项"
        ]]
    );
    let expected = expected_rounds(&app, &supervisor, &group).await;
    assert_eq!(
        expected.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(),
        ["3", "4"]
    );
    assert_eq!(texts(&rounds[1..]), expected);
    assert!(matches!(rounds[1][1], Data::DateTime(_)));
    assert!(matches!(rounds[1][4], Data::DateTime(_)));

    let figures = sheet(&book, "统计");
    assert_eq!(
        texts(&figures[..1]),
        [["类别", "指标", "对象", "分子", "分母", "数值", "截至日期"]]
    );
    let stats = app
        .graphql_as(
            Some(&supervisor),
            STATISTICS,
            json!({ "group": group, "from": FROM, "to": TO }),
        )
        .await;
    check_statistics(&texts(&figures[1..]), &stats.ok()["statistics"]);
    assert!(matches!(figures[1][6], Data::DateTime(_)));
}

#[tokio::test]
async fn the_ledger_as_csv_starts_with_a_bom_and_holds_the_same_rows() {
    let app = demo().await;
    let group = group_id(&app).await;
    let staff = token_of(&app, "staff").await;
    let book = sheets(&fetch(&app, &staff, &ledger_uri("xlsx", &group, "")).await);
    for (param, name) in [
        ("", "督办事项"),
        ("&sheet=items", "督办事项"),
        ("&sheet=rounds", "督办轮次"),
        ("&sheet=statistics", "统计"),
    ] {
        let (status, headers, body) =
            download(&app, Some(&staff), &ledger_uri("csv", &group, param)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.starts_with(b"\xEF\xBB\xBF"));
        let disposition = headers[header::CONTENT_DISPOSITION].to_str().unwrap();
        assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");
        let rows = csv_rows(&body);
        assert!(rows.len() > 1, "{name}: {rows:?}");
        assert_eq!(rows, texts(sheet(&book, name)), "{name}");
    }
    let items = csv_rows(&fetch(&app, &staff, &ledger_uri("csv", &group, "")).await);
    assert_eq!(
        normalized_items(&items[1..]),
        expected_items(&app, &staff, &group).await
    );
    // ISO dates, CRLF line ends.
    let raw = fetch(&app, &staff, &ledger_uri("csv", &group, "")).await;
    let raw = String::from_utf8(raw).unwrap();
    assert!(raw.contains("\r\n"));
    assert!(items[1][4].len() == 10 && items[1][4].as_bytes()[4] == b'-');
}

/// A secretary reads the items of its subtree but not the group's figures: the workbook holds
/// those items, no rounds and a statistics sheet without rows; the statistics CSV alone is
/// FORBIDDEN, as the `statistics` query is.
#[tokio::test]
async fn readers_without_the_group_s_figures_get_their_items_only() {
    let app = demo().await;
    let group = group_id(&app).await;
    let secretary = token_of(&app, "secretary").await;
    let book = sheets(&fetch(&app, &secretary, &ledger_uri("xlsx", &group, "")).await);
    let items = texts(&sheet(&book, "督办事项")[1..]);
    let expected = expected_items(&app, &secretary, &group).await;
    assert!(!expected.is_empty());
    assert_eq!(normalized_items(&items), expected);
    assert_eq!(sheet(&book, "督办轮次").len(), 1);
    assert_eq!(sheet(&book, "统计").len(), 1);
    let forbidden = app
        .graphql_as(
            Some(&secretary),
            STATISTICS,
            json!({ "group": group, "from": FROM, "to": TO }),
        )
        .await;
    assert_eq!(forbidden.code(), "FORBIDDEN");
    let (status, _, body) = download(
        &app,
        Some(&secretary),
        &ledger_uri("csv", &group, "&sheet=statistics"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
}

/// People as the API shows them to the caller: (name, phone, ID number, organization, positions
/// held today).
async fn api_people(app: &TestApp, token: &str) -> Vec<[String; 5]> {
    let nodes = all_nodes(
        app,
        token,
        "query($after: String) { people(first: 100, after: $after) {
            pageInfo { hasNextPage endCursor }
            nodes { name phone idNumber organization { name }
              positions { position startedOn endedOn } } } }",
        "people",
        json!({}),
    )
    .await;
    let mut out: Vec<[String; 5]> = nodes
        .iter()
        .map(|p| {
            let held: Vec<String> = p["positions"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|h| h["endedOn"].is_null() || s(&h["endedOn"]).as_str() > TODAY)
                .map(|h| {
                    format!(
                        "{}（{}起）",
                        position_label(&s(&h["position"])),
                        s(&h["startedOn"])
                    )
                })
                .collect();
            [
                s(&p["name"]),
                s(&p["phone"]),
                s(&p["idNumber"]),
                s(&p["organization"]["name"]),
                held.join("、"),
            ]
        })
        .collect();
    out.sort();
    out
}

/// Phone and ID-card numbers appear in full only for the people an account is entitled to
/// (DESIGN 4.4, by hand: the administrator everyone's, the town's secretary those of the town
/// committee's subtree, nobody else anyone's); every other number appears masked or not at all.
#[tokio::test]
async fn people_exports_never_show_numbers_a_caller_is_not_entitled_to() {
    let app = demo().await;
    let db = &app.state.db.read;
    let everyone = person::Entity::find().all(db).await.unwrap();
    let organizations = organization::Entity::find().all(db).await.unwrap();
    let town = organizations
        .iter()
        .find(|o| o.name == "中共从化南平静修小镇委员会")
        .unwrap();
    let path_of: HashMap<Uuid, &str> = organizations
        .iter()
        .map(|o| (o.id, o.path.as_str()))
        .collect();
    let in_town = |p: &person::Model| path_of[&p.organization_id].starts_with(&town.path);
    assert!(everyone.iter().any(in_town) && !everyone.iter().all(in_town));
    for account in ACCOUNTS {
        let token = token_of(&app, account).await;
        let entitled = |p: &person::Model| match account {
            "admin" => true,
            "secretary" => in_town(p),
            _ => false,
        };
        let csv = fetch(&app, &token, "/exports/people.csv").await;
        let xlsx = fetch(&app, &token, "/exports/people.xlsx").await;
        let rows = csv_rows(&csv);
        assert_eq!(
            rows[0],
            [
                "姓名",
                "性别",
                "手机号",
                "身份证号",
                "政治面貌",
                "所属组织",
                "组织编码",
                "职务"
            ]
        );
        let book = sheets(&xlsx);
        assert_eq!(book.len(), 1);
        assert_eq!(book[0].0, "人员");
        assert_eq!(texts(&book[0].1), rows, "{account}");
        // The same people, with the same (masked or full) numbers, as the API answers.
        let mut from_file: Vec<[String; 5]> = rows[1..]
            .iter()
            .map(|r| {
                [
                    r[0].clone(),
                    r[2].clone(),
                    r[3].clone(),
                    r[5].clone(),
                    r[7].clone(),
                ]
            })
            .collect();
        from_file.sort();
        let expected = api_people(&app, &token).await;
        assert_eq!(from_file, expected, "{account}");
        let readable = expected.len();
        match account {
            "admin" => assert_eq!(readable, everyone.len()),
            "supervisor" => assert_eq!(readable, 0),
            _ => assert!(readable > 0, "{account}"),
        }
        // By hand, over every person in the database.
        let (csv_text, xlsx_text) = (String::from_utf8_lossy(&csv), xlsx_strings(&book));
        let mut shown_in_full = 0;
        for p in &everyone {
            for number in [&p.phone, &p.id_number].into_iter().flatten() {
                let in_file = csv_text.contains(number.as_str());
                assert_eq!(
                    in_file,
                    xlsx_text.contains(number.as_str()),
                    "{account}: {}",
                    p.name
                );
                if entitled(p) {
                    shown_in_full += usize::from(in_file);
                } else {
                    assert!(!in_file, "{account} sees {}'s number in full", p.name);
                }
            }
        }
        match account {
            "admin" | "secretary" => assert!(shown_in_full > 10, "{account}: {shown_in_full}"),
            _ => assert_eq!(shown_in_full, 0),
        }
    }
}

/// Every string cell of a workbook, joined: what a reader of the file could see.
fn xlsx_strings(book: &[(String, Vec<Vec<Data>>)]) -> String {
    let mut out = String::new();
    for (_, rows) in book {
        for row in rows {
            for cell in row {
                out.push_str(&text(cell));
                out.push('\u{1}');
            }
        }
    }
    out
}

/// People by organization in the order of the organizations file (parents before children:
/// depth, name), then by name; organizations' internal fields only where the caller reads them.
#[tokio::test]
async fn organizations_and_people_files_have_the_import_columns_in_tree_order() {
    let app = demo().await;
    // The demo sets no codes or contacts: every organization gets both.
    for (i, o) in organization::Entity::find()
        .all(&app.state.db.write)
        .await
        .unwrap()
        .into_iter()
        .enumerate()
    {
        use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
        let mut o = o.into_active_model();
        o.external_code = Set(Some(format!("ORG-{i:03}")));
        o.contact = Set(Some(format!("020-8{i:06}")));
        o.update(&app.state.db.write).await.unwrap();
    }
    let member = token_of(&app, "member").await;
    let rows = csv_rows(&fetch(&app, &member, "/exports/organizations.csv").await);
    assert_eq!(
        rows[0],
        [
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
            "偏远村"
        ]
    );
    let nodes = all_nodes(
        &app,
        &member,
        "query($after: String) { organizations(first: 100, after: $after) {
            pageInfo { hasNextPage endCursor }
            nodes { name shortName externalCode level unitType area { name }
              parent { name externalCode } contact keyVillage remote depth } } }",
        "organizations",
        json!({}),
    )
    .await;
    let level = |l: &str| match l {
        "COMMITTEE" => "党委",
        "GENERAL_BRANCH" => "党总支",
        "BRANCH" => "党支部",
        other => panic!("{other}"),
    };
    let unit = |u: &str| match u {
        "VILLAGE" => "村",
        "COMMUNITY" => "社区",
        "SCENIC_UNIT" => "景区单位",
        "ENTERPRISE" => "企业",
        "GOVERNMENT" => "机关",
        "SCHOOL" => "学校",
        "OTHER" => "其他",
        other => panic!("{other}"),
    };
    let yes = |b: &Value| if b == true { "是" } else { "否" }.to_owned();
    let mut expected: Vec<Vec<String>> = nodes
        .iter()
        .map(|o| {
            vec![
                s(&o["name"]),
                s(&o["shortName"]),
                s(&o["externalCode"]),
                level(&s(&o["level"])).to_owned(),
                unit(&s(&o["unitType"])).to_owned(),
                s(&o["area"]["name"]),
                s(&o["parent"]["name"]),
                s(&o["parent"]["externalCode"]),
                s(&o["contact"]),
                yes(&o["keyVillage"]),
                yes(&o["remote"]),
            ]
        })
        .collect();
    let mut from_file = rows[1..].to_vec();
    // The member reads some organizations' internal fields, and not others'.
    assert!(
        from_file
            .iter()
            .any(|r| !r[2].is_empty() && !r[8].is_empty())
    );
    assert!(from_file.iter().any(|r| r[2].is_empty() && r[8].is_empty()));
    assert!(
        from_file
            .iter()
            .any(|r| !r[6].is_empty() && r[7].is_empty())
    );
    // Parents before children, shallower first.
    let depth: HashMap<String, i64> = nodes
        .iter()
        .map(|o| (s(&o["name"]), o["depth"].as_i64().unwrap()))
        .collect();
    let depths: Vec<i64> = from_file.iter().map(|r| depth[&r[0]]).collect();
    assert!(depths.windows(2).all(|w| w[0] <= w[1]), "{depths:?}");
    let position: HashMap<&str, usize> = from_file
        .iter()
        .enumerate()
        .map(|(i, r)| (r[0].as_str(), i))
        .collect();
    for (i, r) in from_file.iter().enumerate() {
        if !r[6].is_empty() {
            assert!(position[r[6].as_str()] < i, "{} before its parent", r[0]);
        }
    }
    expected.sort();
    from_file.sort();
    assert_eq!(from_file, expected);

    // The people file follows the organizations file's order.
    let orgs = csv_rows(&fetch(&app, &member, "/exports/organizations.csv").await);
    let org_rank: HashMap<&str, usize> = orgs[1..]
        .iter()
        .enumerate()
        .map(|(i, r)| (r[0].as_str(), i))
        .collect();
    let people = csv_rows(&fetch(&app, &member, "/exports/people.csv").await);
    assert!(people.len() > 3);
    let keys: Vec<(usize, &str)> = people[1..]
        .iter()
        .map(|r| (org_rank[r[5].as_str()], r[0].as_str()))
        .collect();
    assert!(keys.windows(2).all(|w| w[0].0 <= w[1].0), "{keys:?}");
}

/// No personal data at all: no resident's name, phone (in full or masked) or address, for any
/// account; the rows are the appeals the API lists for the caller, newest receipt first.
#[tokio::test]
async fn appeals_exports_carry_no_personal_data() {
    let app = demo().await;
    let group = group_id(&app).await;
    let appeals = resident_appeal::Entity::find()
        .all(&app.state.db.read)
        .await
        .unwrap();
    assert_eq!(appeals.len(), 148);
    let mut personal: Vec<String> = Vec::new();
    for a in &appeals {
        if let Some(phone) = &a.resident_phone {
            personal.push(phone.clone());
            personal.push(format!("{}****{}", &phone[..3], &phone[phone.len() - 4..]));
        }
        personal.extend(a.resident_name.clone());
        personal.extend(a.address.clone());
    }
    // What the appeals say of themselves may not happen to contain a resident's name.
    let texts_of_appeals: String = appeals
        .iter()
        .map(|a| {
            format!(
                "{}|{}|{}|{}",
                a.content,
                a.resolution.clone().unwrap_or_default(),
                a.rejection_reason.clone().unwrap_or_default(),
                a.grid.clone().unwrap_or_default()
            )
        })
        .collect();
    personal.retain(|p| !texts_of_appeals.contains(p.as_str()));
    assert!(personal.len() > 300, "{}", personal.len());
    for account in ACCOUNTS {
        let token = token_of(&app, account).await;
        for uri in [
            "/exports/appeals.csv".to_owned(),
            "/exports/appeals.xlsx".to_owned(),
            format!("/exports/appeals.csv?linkageGroupId={group}&from=2020-01-01&to={TODAY}"),
        ] {
            let bytes = fetch(&app, &token, &uri).await;
            let (rows, shown) = if uri.contains(".xlsx") {
                let book = sheets(&bytes);
                assert_eq!(book[0].0, "民情诉求");
                (texts(&book[0].1), xlsx_strings(&book))
            } else {
                (
                    csv_rows(&bytes),
                    String::from_utf8_lossy(&bytes).into_owned(),
                )
            };
            assert_eq!(
                rows[0],
                [
                    "编号",
                    "村（社区）",
                    "网格",
                    "类别",
                    "诉求内容",
                    "状态",
                    "登记日期",
                    "办理时限",
                    "逾期",
                    "办结日期",
                    "办理结果",
                    "不予受理理由",
                    "群众评价",
                    "督办事项"
                ]
            );
            for p in &personal {
                assert!(!shown.contains(p.as_str()), "{account} {uri}: {p}");
            }
            let codes: Vec<String> = rows[1..].iter().map(|r| r[0].clone()).collect();
            let listed: Vec<String> = all_nodes(
                &app,
                &token,
                "query($after: String) { residentAppeals(first: 100, after: $after) {
                    pageInfo { hasNextPage endCursor } nodes { code } } }",
                "residentAppeals",
                json!({}),
            )
            .await
            .iter()
            .map(|a| s(&a["code"]))
            .collect();
            assert_eq!(codes, listed, "{account} {uri}");
            match account {
                "admin" | "staff" | "supervisor" => assert_eq!(codes.len(), 148),
                "member" => assert!(codes.is_empty()),
                _ => assert!(!codes.is_empty(), "{account}"),
            }
        }
    }
}

#[tokio::test]
async fn activities_exports_list_what_the_api_lists() {
    let app = demo().await;
    let group = group_id(&app).await;
    for account in ["admin", "member", "secretary"] {
        let token = token_of(&app, account).await;
        let (uri, filter) = if account == "admin" {
            (
                format!(
                    "/exports/activities.xlsx?linkageGroupId={group}&from=2026-05-01&to=2026-07-31"
                ),
                json!({ "linkageGroupId": group, "fromDate": "2026-05-01", "toDate": "2026-07-31" }),
            )
        } else {
            ("/exports/activities.xlsx".to_owned(), json!({}))
        };
        let book = sheets(&fetch(&app, &token, &uri).await);
        assert_eq!(book[0].0, "联建活动");
        let rows = &book[0].1;
        assert_eq!(
            texts(&rows[..1]),
            [[
                "标题",
                "类型",
                "状态",
                "联建组",
                "主办单位",
                "协办单位",
                "参加单位",
                "地点",
                "开始时间",
                "结束时间",
                "人数上限",
                "签到人数",
                "取消原因"
            ]]
        );
        let listed = all_nodes(
            &app,
            &token,
            "query($filter: JointActivityFilter, $after: String) {
                jointActivities(filter: $filter, first: 100, after: $after) {
                  pageInfo { hasNextPage endCursor }
                  nodes { title startsAt venue attendeeCount host { name } } } }",
            "jointActivities",
            json!({ "filter": filter }),
        )
        .await;
        let expected: Vec<Vec<String>> = listed
            .iter()
            .map(|a| {
                vec![
                    s(&a["title"]),
                    chrono::DateTime::parse_from_rfc3339(&s(&a["startsAt"]))
                        .unwrap()
                        .naive_local()
                        .format("%Y-%m-%d %H:%M")
                        .to_string(),
                    s(&a["venue"]),
                    a["attendeeCount"].to_string(),
                    s(&a["host"]["name"]),
                ]
            })
            .collect();
        let got: Vec<Vec<String>> = texts(&rows[1..])
            .into_iter()
            .map(|r| {
                vec![
                    r[0].clone(),
                    r[8].clone(),
                    r[7].clone(),
                    r[11].clone(),
                    r[4].clone(),
                ]
            })
            .collect();
        assert_eq!(got, expected, "{account}");
        if account != "member" {
            assert!(!got.is_empty(), "{account}");
        }
        for row in &rows[1..] {
            assert!(matches!(row[8], Data::DateTime(_)));
        }
    }
}

#[tokio::test]
async fn refusals_come_before_the_download_and_name_the_parameter() {
    let app = demo().await;
    let group = group_id(&app).await;
    let staff = token_of(&app, "staff").await;

    // No token, or a bad one: 401 with a challenge.
    for token in [None, Some("not-a-token")] {
        let (status, headers, body) = download(&app, token, "/exports/people.xlsx").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer");
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    }
    // An unknown file.
    let (status, _, _) = download(&app, Some(&staff), "/exports/passwords.csv").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = download(&app, Some(&staff), "/exports/people.pdf").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let bad = |uri: String, field: &'static str| {
        let app = &app;
        let staff = &staff;
        async move {
            let (status, headers, body) = download(app, Some(staff), &uri).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
            assert_eq!(headers[header::CACHE_CONTROL], "private, no-store");
            let body: Value = serde_json::from_slice(&body).unwrap();
            let ext = &body["errors"][0]["extensions"];
            assert_eq!(ext["code"], "BAD_USER_INPUT", "{uri}");
            assert_eq!(ext["field"], field, "{uri}: {body}");
            body["errors"][0]["message"].as_str().unwrap().to_owned()
        }
    };
    bad(
        format!("/exports/supervision-ledger.xlsx?linkageGroupId={group}&from=2026-13-01&to={TO}"),
        "from",
    )
    .await;
    bad(
        format!("/exports/supervision-ledger.csv?linkageGroupId={group}&from={FROM}&to=06/05/2026"),
        "to",
    )
    .await;
    bad(
        format!("/exports/supervision-ledger.xlsx?linkageGroupId={group}&from={TO}&to={FROM}"),
        "to",
    )
    .await;
    bad(
        format!("/exports/supervision-ledger.xlsx?linkageGroupId={group}&to={TO}"),
        "from",
    )
    .await;
    bad(
        format!("/exports/supervision-ledger.xlsx?from={FROM}&to={TO}"),
        "linkageGroupId",
    )
    .await;
    bad(
        format!("/exports/supervision-ledger.csv?linkageGroupId={group}&from={FROM}&to={TO}&sheet=people"),
        "sheet",
    )
    .await;
    bad("/exports/activities.csv?from=yesterday".to_owned(), "from").await;
    bad("/exports/activities.csv?group=1".to_owned(), "group").await;
    bad(
        "/exports/appeals.xlsx?linkageGroupId=nonsense".to_owned(),
        "linkageGroupId",
    )
    .await;

    // A group the caller may not read answers exactly like one that does not exist.
    let orgs = app
        .graphql("{ organizations(first: 2) { nodes { id } } }", json!({}))
        .await;
    let org = s(&orgs.ok()["organizations"]["nodes"][0]["id"]);
    let other = app
        .graphql(
            "mutation($input: CreateLinkageGroupInput!) { createLinkageGroup(input: $input) { linkageGroup { id } } }",
            json!({ "input": { "name": "另一个联建组", "leadOrganizationId": org,
                "memberOrganizationIds": [org] } }),
        )
        .await;
    let other = s(&other.ok()["createLinkageGroup"]["linkageGroup"]["id"]);
    let missing = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("LinkageGroup:{}", Uuid::now_v7().simple()))
    };
    for file in ["supervision-ledger.xlsx", "activities.csv", "appeals.xlsx"] {
        let answer = |id: &str| format!("/exports/{file}?linkageGroupId={id}&from={FROM}&to={TO}");
        let (s1, _, unreadable) = download(&app, Some(&staff), &answer(&other)).await;
        let (s2, _, nonexistent) = download(&app, Some(&staff), &answer(&missing)).await;
        assert_eq!(s1, StatusCode::BAD_REQUEST, "{file}");
        assert_eq!((s1, &unreadable), (s2, &nonexistent), "{file}");
        let body: Value = serde_json::from_slice(&unreadable).unwrap();
        assert_eq!(body["errors"][0]["extensions"]["field"], "linkageGroupId");
        // The administrator reads it.
        let (status, _, _) = download(&app, Some(&app.admin_token), &answer(&other)).await;
        assert_eq!(status, StatusCode::OK, "{file}");
    }
}

/// A failure once the download has started cannot change the status any more: the body ends
/// with an error, so the client sees a broken download, never a silently short file. A round
/// whose stored snapshot cannot be read fails that way.
#[tokio::test]
async fn a_failure_after_the_headers_breaks_the_download() {
    use http_body_util::BodyExt;
    use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
    use tower::ServiceExt;
    let app = demo().await;
    let group = group_id(&app).await;
    let round = entities::supervision_round::Entity::find()
        .filter(entities::supervision_round::Column::Number.eq(3))
        .one(&app.state.db.write)
        .await
        .unwrap()
        .unwrap();
    let mut round = round.into_active_model();
    round.snapshot = Set(Some(json!({ "unreadable": true })));
    round.update(&app.state.db.write).await.unwrap();
    for extra in [".xlsx?", ".csv?sheet=rounds&"] {
        let uri =
            format!("/exports/supervision-ledger{extra}linkageGroupId={group}&from={FROM}&to={TO}");
        let response = app
            .router
            .clone()
            .oneshot(
                Request::get(uri.as_str())
                    .header(header::AUTHORIZATION, format!("Bearer {}", app.admin_token))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{uri}");
        assert!(response.into_body().collect().await.is_err(), "{uri}");
    }
    // The items alone are still fine.
    let items = fetch(&app, &app.admin_token, &ledger_uri("csv", &group, "")).await;
    assert!(csv_rows(&items).len() > 20);
}

/// A long export is read page by page and streamed: every one of 5,000 generated people comes
/// out, in name order, in both formats; text that a spreadsheet would take for a formula stays
/// text.
#[tokio::test]
async fn a_large_export_streams_every_row_and_never_writes_a_formula() {
    let app = TestApp::spawn().await;
    let area = app.create_area("测试片区").await;
    let org = crate::appeal_statistics::create_org(&app, &area, "=1+1联建测试", None).await;
    let org_id = uuid_of(&org);
    let now = chrono::Utc::now();
    let n = 5_000usize;
    let people: Vec<person::ActiveModel> = (0..n)
        .map(|i| person::ActiveModel {
            id: sea_orm::Set(Uuid::now_v7()),
            name: sea_orm::Set(if i == 7 {
                "@SUM(A1)".to_owned()
            } else {
                format!("人员{i:05}")
            }),
            gender: sea_orm::Set(None),
            phone: sea_orm::Set(Some(format!("139{i:08}"))),
            id_number: sea_orm::Set(None),
            political_status: sea_orm::Set(entities::enums::PoliticalStatus::Masses),
            organization_id: sea_orm::Set(org_id),
            created_at: sea_orm::Set(now),
            updated_at: sea_orm::Set(now),
        })
        .collect();
    for chunk in people.chunks(500) {
        person::Entity::insert_many(chunk.to_vec())
            .exec(&app.state.db.write)
            .await
            .unwrap();
    }
    // Two small organizations besides: another root and a child of the large one.
    let root = crate::appeal_statistics::create_org(&app, &area, "甲村党支部", None).await;
    let child =
        crate::appeal_statistics::create_org(&app, &area, "子支部", Some(org.as_str())).await;
    for (org, name) in [
        (&child, "张三"),
        (&root, "李四"),
        (&child, "王五"),
        (&root, "赵六"),
        (&child, "孙七"),
    ] {
        app.graphql(
            "mutation($input: CreatePersonInput!) { createPerson(input: $input) { person { id } } }",
            json!({ "input": { "name": name, "politicalStatus": "MASSES", "organizationId": org } }),
        )
        .await
        .ok();
    }
    let before = app.sql_statements().await;
    let csv = fetch(&app, &app.admin_token, "/exports/people.csv").await;
    let statements = app.sql_statements().await - before;
    // Ten pages of 500 at least, each a few statements: never one read of everything.
    assert!(statements >= 10, "{statements}");
    let all_rows = csv_rows(&csv);
    assert_eq!(all_rows.len(), n + 6);
    // Each organization's people together; the child's after both roots'.
    let orgs: Vec<&str> = all_rows[1..].iter().map(|r| r[5].as_str()).collect();
    let mut runs: Vec<&str> = orgs.clone();
    runs.dedup();
    assert_eq!(runs.len(), 3, "{runs:?}");
    assert_eq!(runs[2], "子支部");
    let names_of = |org: &str| -> Vec<&str> {
        all_rows[1..]
            .iter()
            .filter(|r| r[5] == org)
            .map(|r| r[0].as_str())
            .collect()
    };
    assert_eq!(names_of("子支部").len(), 3);
    assert_eq!(names_of("甲村党支部").len(), 2);
    let rows: Vec<Vec<String>> = std::iter::once(all_rows[0].clone())
        .chain(
            all_rows[1..]
                .iter()
                .filter(|r| r[5] == "'=1+1联建测试")
                .cloned(),
        )
        .collect();
    assert_eq!(rows.len(), n + 1);
    let mut names: Vec<String> = rows[1..].iter().map(|r| r[0].clone()).collect();
    // By name (the generated ones in the order of their numbers, whatever the collation).
    let generated: Vec<&String> = names.iter().filter(|n| n.starts_with("人员")).collect();
    assert!(generated.windows(2).all(|w| w[0] < w[1]));
    let mut expected: Vec<String> = (0..n)
        .map(|i| {
            if i == 7 {
                "'@SUM(A1)".to_owned()
            } else {
                format!("人员{i:05}")
            }
        })
        .collect();
    expected.sort();
    names.sort();
    assert_eq!(names, expected);
    assert!(rows[1..].iter().all(|r| r[5] == "'=1+1联建测试"));
    assert!(
        rows[1..]
            .iter()
            .all(|r| r[2].starts_with("139") && r[2].len() == 11)
    );

    let xlsx = fetch(&app, &app.admin_token, "/exports/people.xlsx").await;
    let book = sheets(&xlsx);
    let sheet_rows = &book[0].1;
    assert_eq!(sheet_rows.len(), n + 6);
    // The same cells, but for the CSV's guard on formula-like text.
    let unguarded: Vec<Vec<String>> = all_rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|c| match c.strip_prefix('\'') {
                    Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest.to_owned(),
                    _ => c.clone(),
                })
                .collect()
        })
        .collect();
    assert_eq!(texts(sheet_rows), unguarded);
    assert!(
        sheet_rows
            .iter()
            .any(|r| r[0] == Data::String("@SUM(A1)".to_owned()))
    );
    assert!(
        sheet_rows
            .iter()
            .any(|r| r[5] == Data::String("=1+1联建测试".to_owned()))
    );
    assert_eq!(formulas(&xlsx), 0);
    let organizations = sheets(&fetch(&app, &app.admin_token, "/exports/organizations.xlsx").await);
    assert_eq!(organizations[0].0, "组织");
    assert!(
        organizations[0]
            .1
            .iter()
            .any(|r| r[0] == Data::String("=1+1联建测试".to_owned()))
    );
    let organizations =
        csv_rows(&fetch(&app, &app.admin_token, "/exports/organizations.csv").await);
    assert!(organizations.iter().any(|r| r[0] == "'=1+1联建测试"));
    // The child names its parent (guarded as well).
    assert!(
        organizations
            .iter()
            .any(|r| r[0] == "子支部" && r[6] == "'=1+1联建测试")
    );
}

/// How many cells of a workbook hold a formula.
fn formulas(bytes: &[u8]) -> usize {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    book.sheet_names()
        .into_iter()
        .map(|name| {
            book.worksheet_formula(&name)
                .unwrap()
                .used_cells()
                .filter(|(_, _, f)| !f.is_empty())
                .count()
        })
        .sum()
}
