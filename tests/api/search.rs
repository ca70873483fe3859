//! `search` filters: a substring of the lowered text, whatever the engine. On PostgreSQL the
//! searched columns also carry their grams (see the migration `search_grams`), which narrow the
//! rows the substring test reads; these tests hold both engines to the same answers, worked
//! out here from the unfiltered lists.

use serde_json::{Value, json};

use crate::helpers::TestApp;

/// Every node of a list, page by page.
async fn all_nodes(app: &TestApp, list: &str, fields: &str, filter: Value) -> Vec<Value> {
    let query = format!(
        "query($filter: {}, $after: String) {{ {list}(filter: $filter, first: 100, after: $after) {{
            nodes {{ {fields} }} pageInfo {{ hasNextPage endCursor }} }} }}",
        filter_type(list)
    );
    let mut nodes = Vec::new();
    let mut after = Value::Null;
    loop {
        let response = app
            .graphql(&query, json!({ "filter": filter, "after": after }))
            .await;
        let page = &response.ok()[list];
        nodes.extend(page["nodes"].as_array().unwrap().iter().cloned());
        if page["pageInfo"]["hasNextPage"] != true {
            return nodes;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

fn filter_type(list: &str) -> &'static str {
    match list {
        "people" => "PersonFilter",
        "organizations" => "OrganizationFilter",
        "supervisionItems" => "SupervisionItemFilter",
        "residentAppeals" => "ResidentAppealFilter",
        other => panic!("no filter type for {other}"),
    }
}

fn ids(nodes: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> = nodes
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

/// The ids of the nodes one of whose `fields` holds `needle`, compared as the API documents it
/// (trimmed, lowercase), with `str::contains`.
fn expected(nodes: &[Value], fields: &[&str], needle: &str) -> Vec<String> {
    let needle = needle.trim().to_lowercase();
    let matching: Vec<Value> = nodes
        .iter()
        .filter(|n| {
            fields.iter().any(|f| {
                n[*f]
                    .as_str()
                    .is_some_and(|text| text.to_lowercase().contains(&needle))
            })
        })
        .cloned()
        .collect();
    ids(&matching)
}

/// Needles drawn from a text: its first character, its first two, three from its middle, and
/// its first and third characters together (two characters it holds, not next to each other).
fn needles_from(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut needles = vec![chars[..1].iter().collect::<String>()];
    if chars.len() >= 2 {
        needles.push(chars[..2].iter().collect());
    }
    if chars.len() >= 4 {
        let middle = chars.len() / 2 - 1;
        needles.push(chars[middle..middle + 3].iter().collect());
    }
    if chars.len() >= 3 {
        needles.push([chars[0], chars[2]].iter().collect());
    }
    needles
}

#[tokio::test]
async fn searches_over_the_demo_match_a_substring_test_of_every_row() {
    let app = TestApp::spawn().await;
    app.load_demo().await;
    let lists: [(&str, &[&str], &[&str]); 4] = [
        ("people", &["name"], &["陈", "伟", "李明", "zz"]),
        (
            "organizations",
            &["name", "shortName"],
            &["党", "党支部", "村党", "风景", "QQ"],
        ),
        (
            "supervisionItems",
            &["title", "code"],
            &["防汛", "DB-", "2026"],
        ),
        (
            "residentAppeals",
            &["content", "code"],
            &["路", "路灯", "SS-", "%", "_"],
        ),
    ];
    for (list, fields, fixed) in lists {
        let selection = format!("id {}", fields.join(" "));
        let everything = all_nodes(&app, list, &selection, json!({})).await;
        assert!(
            everything.len() > 3,
            "{list}: the demo holds rows to search"
        );
        let mut needles: Vec<String> = fixed.iter().map(|s| (*s).to_owned()).collect();
        for node in everything.iter().step_by(everything.len() / 3) {
            needles.extend(needles_from(node[fields[0]].as_str().unwrap()));
        }
        // Case and surrounding blanks do not matter.
        needles.push(format!("  {} ", needles[0]));
        for needle in needles {
            let found = all_nodes(&app, list, &selection, json!({ "search": needle })).await;
            assert_eq!(
                ids(&found),
                expected(&everything, fields, &needle),
                "{list} searched for {needle:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_search_needs_its_characters_together_and_in_order() {
    let app = TestApp::spawn().await;
    let area = app.create_area("温泉镇").await;
    let village = app
        .graphql(
            "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } } }",
            json!({ "input": { "name": "南平村党支部", "level": "BRANCH", "unitType": "VILLAGE", "areaId": area } }),
        )
        .await
        .ok()["createOrganization"]["organization"]["id"]
        .clone();
    let names = [
        "陈伟东",
        "陈伟伟东", // holds 陈伟 and 伟东, not 陈伟东
        "东伟陈",
        "伟伟",
        "Anna 陈",
        "ANNABEL",
        "百分之%百",
        "下_划线",
        "陈",
        "引号\"名",
        "反\\斜",
        "{花,括}",
    ];
    for name in names {
        app.graphql(
            "mutation($input: CreatePersonInput!) { createPerson(input: $input) { person { id } } }",
            json!({ "input": { "name": name, "politicalStatus": "FULL_MEMBER", "organizationId": village } }),
        )
        .await
        .ok();
    }
    // Written out by hand from the names above.
    let cases: [(&str, &[&str]); 21] = [
        ("陈伟东", &["陈伟东"]),
        ("陈伟", &["陈伟东", "陈伟伟东"]),
        ("伟东", &["陈伟东", "陈伟伟东"]),
        ("伟伟", &["陈伟伟东", "伟伟"]),
        ("伟伟伟", &[]),
        ("东伟", &["东伟陈"]),
        ("陈", &["Anna 陈", "东伟陈", "陈", "陈伟东", "陈伟伟东"]),
        ("anna", &["ANNABEL", "Anna 陈"]),
        ("a 陈", &["Anna 陈"]),
        // Two characters, whatever their case and the blanks around them.
        ("Na", &["ANNABEL", "Anna 陈"]),
        (" 陈伟 ", &["陈伟东", "陈伟伟东"]),
        ("%", &["百分之%百"]),
        ("之%", &["百分之%百"]),
        ("_", &["下_划线"]),
        ("划_", &[]),
        // Characters that mean something inside a PostgreSQL array literal.
        ("号\"", &["引号\"名"]),
        ("\"名", &["引号\"名"]),
        ("反\\", &["反\\斜"]),
        ("{花,", &["{花,括}"]),
        (",括}", &["{花,括}"]),
        ("}", &["{花,括}"]),
    ];
    let query = "query($s: String) { people(filter: { search: $s }, first: 100) { totalCount nodes { name } } }";
    for (needle, want) in cases {
        let response = app.graphql(query, json!({ "s": needle })).await;
        let mut got: Vec<&str> = response.ok()["people"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["name"].as_str().unwrap())
            .collect();
        got.sort();
        let mut want = want.to_vec();
        want.sort();
        assert_eq!(got, want, "search {needle:?}");
        assert_eq!(
            response.ok()["people"]["totalCount"],
            want.len(),
            "count {needle:?}"
        );
    }
}

/// A people search pages in name order, with counts, like the unsearched list: the expected
/// pages are the unsearched list's people in its own order, kept where the name holds the needle.
#[tokio::test]
async fn people_searches_page_in_name_order_with_their_counts() {
    let app = TestApp::spawn().await;
    app.load_demo().await;
    let everyone = all_nodes(&app, "people", "id name", json!({})).await;
    let query = "query($s: String, $after: String, $before: String, $first: Int, $last: Int) {
        people(filter: { search: $s }, first: $first, after: $after, last: $last, before: $before) {
            totalCount countUpTo(limit: 2) { count exact }
            nodes { id } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";
    // The three characters most names hold, and a surname.
    let mut frequency = std::collections::BTreeMap::<char, usize>::new();
    for person in &everyone {
        let name = person["name"].as_str().unwrap();
        for c in name.chars().collect::<std::collections::BTreeSet<_>>() {
            *frequency.entry(c).or_default() += 1;
        }
    }
    let mut common: Vec<(usize, char)> = frequency.into_iter().map(|(c, n)| (n, c)).collect();
    common.sort_by(|a, b| b.cmp(a));
    let mut needles: Vec<String> = common.iter().take(3).map(|(_, c)| c.to_string()).collect();
    needles.push("陈".to_owned());
    let mut longest = 0;
    for needle in &needles {
        let needle = needle.as_str();
        let want: Vec<String> = everyone
            .iter()
            .filter(|n| n["name"].as_str().unwrap().contains(needle))
            .map(|n| n["id"].as_str().unwrap().to_owned())
            .collect();
        // Forwards one at a time, then backwards from the end one at a time.
        let mut forwards = Vec::new();
        let mut after = Value::Null;
        loop {
            let response = app
                .graphql(query, json!({ "s": needle, "first": 1, "after": after }))
                .await;
            let page = &response.ok()["people"];
            assert_eq!(page["totalCount"], want.len(), "{needle}");
            assert_eq!(page["countUpTo"]["count"], want.len().min(2), "{needle}");
            assert_eq!(page["countUpTo"]["exact"], want.len() <= 2, "{needle}");
            forwards.extend(
                page["nodes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n["id"].as_str().unwrap().to_owned()),
            );
            if page["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = page["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(forwards, want, "{needle} forwards");
        let mut backwards = Vec::new();
        let mut before = Value::Null;
        loop {
            let response = app
                .graphql(query, json!({ "s": needle, "last": 1, "before": before }))
                .await;
            let page = &response.ok()["people"];
            let ids: Vec<String> = page["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["id"].as_str().unwrap().to_owned())
                .collect();
            backwards.splice(0..0, ids);
            if page["pageInfo"]["hasPreviousPage"] != true {
                break;
            }
            before = page["pageInfo"]["startCursor"].clone();
        }
        assert_eq!(backwards, want, "{needle} backwards");
        longest = longest.max(want.len());
    }
    assert!(
        longest >= 3,
        "some needle's matches take three pages or more"
    );
}

#[tokio::test]
async fn each_searched_column_keeps_its_grams_on_postgres() {
    let app = TestApp::spawn().await;
    if !app.on_postgres() {
        return;
    }
    let area = app.create_area("温泉镇").await;
    app.graphql(
        "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } } }",
        json!({ "input": { "name": "Ab陈伟陈伟", "shortName": "x", "level": "BRANCH", "unitType": "VILLAGE", "areaId": area } }),
    )
    .await
    .ok();
    // Every character and every pair of neighbours of the lowered name, once each.
    let want = "{a,ab,b,b陈,伟,伟陈,陈,陈伟}";
    let grams = "SELECT COUNT(*) AS n FROM organization WHERE name = 'Ab陈伟陈伟' \
        AND ARRAY(SELECT g FROM unnest(name_grams) AS g ORDER BY g COLLATE \"C\")::text = '{want}' \
        AND short_name_grams = '{x}'";
    assert_eq!(app.count_where(&grams.replace("{want}", want)).await, 1);
}
