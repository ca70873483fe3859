//! The meeting-room dashboard (`GET /dashboard`) in a real headless Chromium, on the demo town
//! loaded on Monday 2026-06-15 (the day `demo.rs` counts its figures by hand). The oracle is the
//! API answered to the test (`statistics`, `supervisionItems`, the rounds' snapshots) and the
//! demo's hand-counted figures, never the page's own code.

use std::{collections::HashMap, time::Duration};

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use chrono::TimeZone;
use serde_json::{Value, json};

use crate::{
    browser::{self, Browser, Page},
    helpers::TestApp,
};

const TODAY: &str = "2026-06-15";
const YEAR_START: &str = "2026-01-01";
const WAIT: Duration = Duration::from_secs(20);

/// The demo town on 2026-06-15, 09:00 in Shanghai, served on a real port, with the demo
/// accounts' passwords.
struct Town {
    app: TestApp,
    base: String,
    passwords: HashMap<String, String>,
    group: String,
}

impl Town {
    async fn load() -> Town {
        let today: chrono::NaiveDate = TODAY.parse().unwrap();
        let morning = chrono::FixedOffset::east_opt(8 * 3600)
            .unwrap()
            .from_local_datetime(&today.and_hms_opt(9, 0, 0).unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc);
        let app = TestApp::spawn_at(morning).await;
        let outcome = lianjian_api::services::demo::load(
            &app.state.db.write,
            today,
            app.state.config.server.timezone,
        )
        .await
        .unwrap();
        let lianjian_api::services::demo::DemoOutcome::Loaded { accounts, .. } = outcome else {
            panic!("expected a load, got {outcome:?}");
        };
        let passwords = accounts
            .into_iter()
            .map(|a| (a.username, a.password))
            .collect();
        let group = app
            .graphql("{ linkageGroups { nodes { id } } }", json!({}))
            .await
            .ok()["linkageGroups"]["nodes"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let addr = app.serve().await;
        Town {
            app,
            base: format!("http://{addr}"),
            passwords,
            group,
        }
    }

    async fn token(&self, username: &str) -> String {
        let login = self
            .app
            .login_from("10.9.8.7", username, &self.passwords[username])
            .await;
        login.ok()["login"]["token"].as_str().unwrap().to_owned()
    }

    async fn ask(&self, token: &str, query: &str, variables: Value) -> Value {
        self.app
            .graphql_as(Some(token), query, variables)
            .await
            .ok()
            .clone()
    }
}

/// Every `[data-figure]` of the page: its text and the attributes that come with it.
async fn figures(page: &mut Page) -> HashMap<String, Value> {
    let list = page
        .eval(
            "Array.from(document.querySelectorAll('[data-figure]')).map(el => ({
                key: el.getAttribute('data-figure'), text: el.textContent.trim(),
                numerator: el.getAttribute('data-numerator'),
                denominator: el.getAttribute('data-denominator'),
                status: el.getAttribute('data-status'), date: el.getAttribute('data-date') }))",
        )
        .await;
    let mut out = HashMap::new();
    for figure in list.as_array().unwrap() {
        let key = figure["key"].as_str().unwrap().to_owned();
        assert!(
            out.insert(key.clone(), figure.clone()).is_none(),
            "two figures are named {key}"
        );
    }
    out
}

fn text(figures: &HashMap<String, Value>, key: &str) -> String {
    figures
        .get(key)
        .unwrap_or_else(|| panic!("no figure {key}; the page shows {:?}", figures.keys()))["text"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// What a rate looks like on the screen: a percentage with one decimal, '—' for 0/0.
fn percent(numerator: i64, denominator: i64) -> String {
    if denominator == 0 {
        "—".to_owned()
    } else {
        format!("{:.1}%", 100.0 * numerator as f64 / denominator as f64)
    }
}

/// A rate figure shows `rate`'s numerator and denominator, and its percentage.
fn assert_rate(figures: &HashMap<String, Value>, key: &str, rate: &Value) {
    let (n, d) = (
        rate["numerator"].as_i64().unwrap(),
        rate["denominator"].as_i64().unwrap(),
    );
    let figure = &figures[key];
    assert_eq!(figure["numerator"], n.to_string(), "{key}");
    assert_eq!(figure["denominator"], d.to_string(), "{key}");
    assert_eq!(figure["text"], percent(n, d), "{key}");
}

const READY: &str = "document.body.dataset.refreshes >= 1
    && document.getElementById('connection').dataset.state === 'live'
    && document.querySelector('[data-figure=\"overdue-total\"]').textContent !== '—'";

fn overdue_total_is(n: usize) -> String {
    format!("document.querySelector('[data-figure=\"overdue-total\"]').textContent === '{n}'")
}

async fn open_browser(test: &str) -> Option<(Browser, Page)> {
    let path = browser::chromium_or_skip(test)?;
    let browser = Browser::launch(path).await;
    let page = browser.new_page().await;
    Some((browser, page))
}

async fn sign_in_through_the_form(page: &mut Page, username: &str, password: &str) {
    page.wait_for(
        "the sign-in form",
        "!document.getElementById('login').hidden",
        WAIT,
    )
    .await;
    page.eval(&format!(
        "document.getElementById('username').value = {};
         document.getElementById('password').value = {};
         document.getElementById('login-form').requestSubmit(); true",
        json!(username),
        json!(password)
    ))
    .await;
}

/// The page's problems apart from what a test provokes on purpose: none expected (a script error,
/// a load the policy blocked, a failed request).
fn assert_no_problems(page: &Page) {
    assert!(page.problems.is_empty(), "{:#?}", page.problems);
}

#[tokio::test]
async fn the_dashboard_shows_the_figures_the_api_gives() {
    let _one = browser::one_at_a_time().await;
    let Some((_browser, mut page)) =
        open_browser("the_dashboard_shows_the_figures_the_api_gives").await
    else {
        return;
    };
    let town = Town::load().await;
    page.navigate(&format!("{}/dashboard", town.base)).await;
    sign_in_through_the_form(&mut page, "supervisor", &town.passwords["supervisor"]).await;
    page.wait_for("the figures", READY, WAIT).await;
    let shown = figures(&mut page).await;

    // The oracle: what the API answers the same account.
    let token = town.token("supervisor").await;
    let g = json!(town.group);
    let year = town
        .ask(
            &token,
            "query($g: ID!, $from: Date!, $to: Date!) { statistics(linkageGroupId: $g, from: $from, to: $to) {
                asOf supervision { overdueNow closed closedOnTime onTimeRate { numerator denominator }
                  byOrganization { organization { id name } overdueNow } }
                appeals { collected resolved rejected open resolutionRate { numerator denominator }
                  satisfactionRate { numerator denominator } } } }",
            json!({ "g": g, "from": YEAR_START, "to": TODAY }),
        )
        .await;
    let year = &year["statistics"];
    assert_eq!(year["asOf"], TODAY);

    // The server's day, not the browser's.
    assert_eq!(shown["as-of-date"]["date"], TODAY);

    // Overdue items: the total and each organization's equal the statistics; the levels equal
    // what the test counts from the ledger.
    let supervision = &year["supervision"];
    assert_eq!(
        text(&shown, "overdue-total"),
        supervision["overdueNow"].to_string()
    );
    assert_eq!(text(&shown, "overdue-total"), "10");
    assert_eq!(text(&shown, "overdue-level:TOTAL"), "10");
    let mut organizations_shown = 0;
    for figures in supervision["byOrganization"].as_array().unwrap() {
        let id = figures["organization"]["id"].as_str().unwrap();
        let overdue = figures["overdueNow"].as_i64().unwrap();
        match shown.get(&format!("overdue:{id}:TOTAL")) {
            Some(figure) => {
                assert_eq!(
                    figure["text"],
                    overdue.to_string(),
                    "{}",
                    figures["organization"]["name"]
                );
                organizations_shown += usize::from(overdue > 0);
            }
            None => assert_eq!(overdue, 0, "{} is missing", figures["organization"]["name"]),
        }
    }
    let rows_with_overdue = shown
        .iter()
        .filter(|(key, figure)| {
            key.ends_with(":TOTAL") && key.starts_with("overdue:") && figure["text"] != "0"
        })
        .count();
    assert_eq!(rows_with_overdue, organizations_shown);
    let mut cells = 0;
    for (level, by_hand) in [("REMIND", 4), ("URGE", 6), ("SUPERVISE", 2), ("REPORT", 2)] {
        let items = town
            .ask(
                &token,
                "query($f: SupervisionItemFilter) { supervisionItems(filter: $f, first: 100) {
                    totalCount nodes { leadOrganization { id } } } }",
                json!({ "f": { "linkageGroupId": g, "escalationLevels": [level] } }),
            )
            .await;
        let items = &items["supervisionItems"];
        assert_eq!(items["totalCount"], by_hand, "{level}");
        assert_eq!(
            text(&shown, &format!("overdue-level:{level}")),
            by_hand.to_string()
        );
        let mut per_organization: HashMap<&str, i64> = HashMap::new();
        for item in items["nodes"].as_array().unwrap() {
            *per_organization
                .entry(item["leadOrganization"]["id"].as_str().unwrap())
                .or_default() += 1;
        }
        for (organization, count) in &per_organization {
            assert_eq!(
                text(&shown, &format!("overdue:{organization}:{level}")),
                count.to_string(),
                "{organization} {level}"
            );
            cells += count;
        }
        // Every other organization's cell at that level shows 0.
        let shown_sum: i64 = shown
            .iter()
            .filter(|(key, _)| key.starts_with("overdue:") && key.ends_with(&format!(":{level}")))
            .map(|(_, figure)| figure["text"].as_str().unwrap().parse::<i64>().unwrap())
            .sum();
        assert_eq!(shown_sum, by_hand, "{level}");
    }
    assert_eq!(cells, 14);
    assert_eq!(text(&shown, "remind-total"), "4");

    // The on-time rate of every round: the frozen snapshots, and for the open round the
    // statistics over its days so far.
    let rounds = town
        .ask(
            &token,
            "query($g: ID!) { supervisionRounds(linkageGroupId: $g, first: 100) { nodes {
                number status startsOn endsOn snapshot { closed closedOnTime } } } }",
            json!({ "g": g }),
        )
        .await;
    let rounds = rounds["supervisionRounds"]["nodes"].as_array().unwrap();
    assert_eq!(rounds.len(), 5);
    for round in rounds {
        let number = round["number"].as_i64().unwrap();
        let key = format!("round-rate:{number}");
        let figure = &shown[&key];
        assert_eq!(figure["status"], round["status"], "{key}");
        let (on_time, closed) = if round["status"] == "CLOSED" {
            (
                round["snapshot"]["closedOnTime"].as_i64().unwrap(),
                round["snapshot"]["closed"].as_i64().unwrap(),
            )
        } else {
            let to = std::cmp::min(round["endsOn"].as_str().unwrap(), TODAY);
            let current = town
                .ask(
                    &token,
                    "query($g: ID!, $from: Date!, $to: Date!) { statistics(linkageGroupId: $g, from: $from, to: $to) {
                        supervision { closed closedOnTime } } }",
                    json!({ "g": g, "from": round["startsOn"], "to": to }),
                )
                .await;
            let s = &current["statistics"]["supervision"];
            (
                s["closedOnTime"].as_i64().unwrap(),
                s["closed"].as_i64().unwrap(),
            )
        };
        assert_eq!(figure["text"], percent(on_time, closed), "{key}");
        if closed > 0 {
            assert_eq!(figure["numerator"], on_time.to_string(), "{key}");
            assert_eq!(figure["denominator"], closed.to_string(), "{key}");
        }
    }
    // Round 4 (counted by hand in demo.rs): 3 closed, 2 on time.
    assert_eq!(text(&shown, "round-rate:4"), "66.7%");
    assert_eq!(shown["round-rate:4"]["denominator"], "3");

    // The year's on-time rate.
    assert_rate(
        &shown,
        "supervision-on-time-rate",
        &supervision["onTimeRate"],
    );
    assert_eq!(
        text(&shown, "supervision-closed"),
        supervision["closed"].to_string()
    );
    assert_eq!(
        text(&shown, "supervision-closed-on-time"),
        supervision["closedOnTime"].to_string()
    );

    // Appeals received this year: 民情 no. 143 of 2026-01-15 (resolved, partly satisfied) and
    // the four recent ones (open; two still within their handling time).
    let appeals = &year["appeals"];
    for (key, field, by_hand) in [
        ("appeals-collected", "collected", 5),
        ("appeals-resolved", "resolved", 1),
        ("appeals-open", "open", 4),
        ("appeals-rejected", "rejected", 0),
    ] {
        assert_eq!(text(&shown, key), appeals[field].to_string(), "{key}");
        assert_eq!(text(&shown, key), by_hand.to_string(), "{key}");
    }
    assert_rate(
        &shown,
        "appeals-resolution-rate",
        &appeals["resolutionRate"],
    );
    assert_eq!(text(&shown, "appeals-resolution-rate"), "33.3%");
    assert_rate(
        &shown,
        "appeals-satisfaction-rate",
        &appeals["satisfactionRate"],
    );
    assert_eq!(text(&shown, "appeals-satisfaction-rate"), "0.0%");

    // Upcoming joint activities: the demo's two confirmed and two planned ones ahead.
    let upcoming = town
        .ask(
            &token,
            "query($g: ID!, $d: Date!) { jointActivities(first: 10,
                filter: { linkageGroupId: $g, fromDate: $d, statuses: [PLANNED, CONFIRMED] }) {
                totalCount nodes { title } } }",
            json!({ "g": g, "d": TODAY }),
        )
        .await;
    assert_eq!(
        text(&shown, "activities-upcoming"),
        upcoming["jointActivities"]["totalCount"].to_string()
    );
    assert_eq!(text(&shown, "activities-upcoming"), "4");
    let titles = page
        .eval("Array.from(document.querySelectorAll('#activities-list [data-field=title]')).map(el => el.firstChild.textContent)")
        .await;
    let expected: Vec<Value> = upcoming["jointActivities"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].clone())
        .collect();
    assert_eq!(titles, Value::Array(expected));
    assert_eq!(titles[0], "联建委员会第二次联席会议");

    let screen = page.eval("document.body.innerText").await;
    let screen = screen.as_str().unwrap();
    for words in [
        "逾期督办事项",
        "催办",
        "督办",
        "通报",
        "提醒",
        "按时办结率",
        "近期联建活动",
        "本年度民情诉求办结",
        "更新于",
        "第4轮",
    ] {
        assert!(
            screen.contains(words),
            "{words} is not on the screen:\n{screen}"
        );
    }
    assert_no_problems(&page);
}

#[tokio::test]
async fn the_dashboard_refreshes_itself_when_the_subscriptions_announce_a_change() {
    let _one = browser::one_at_a_time().await;
    let Some((_browser, mut page)) =
        open_browser("the_dashboard_refreshes_itself_when_the_subscriptions_announce_a_change")
            .await
    else {
        return;
    };
    let town = Town::load().await;
    let token = town.token("supervisor").await;
    page.navigate(&format!("{}/dashboard#token={token}", town.base))
        .await;
    page.wait_for("the figures", READY, WAIT).await;
    page.wait_for("the first count", &overdue_total_is(10), WAIT)
        .await;
    // Let the refresh that follows the socket's acknowledgement pass, so what comes next is the
    // subscriptions' doing.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    page.eval("window.notReloaded = true").await;
    let heard = page
        .eval("Number(document.getElementById('connection').dataset.events || 0)")
        .await
        .as_i64()
        .unwrap();

    // A joint activity scheduled for tomorrow joins the upcoming ones.
    let group = town
        .app
        .graphql(
            "query($g: ID!) { linkageGroup(id: $g) { leadOrganization { id }
                members(first: 5) { nodes { organization { id } } } } }",
            json!({ "g": town.group }),
        )
        .await;
    let group = group.ok()["linkageGroup"].clone();
    let lead = group["leadOrganization"]["id"].clone();
    let participant = group["members"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["organization"]["id"].clone())
        .find(|id| *id != lead)
        .unwrap();
    town.app
        .graphql(
            "mutation($input: ScheduleJointActivityInput!) { scheduleJointActivity(input: $input) { jointActivity { id } } }",
            json!({ "input": {
                "title": "看板刷新测试：联合巡查", "kind": "PATROL", "hostOrganizationId": lead,
                "participantOrganizationIds": [participant], "linkageGroupId": town.group,
                "venue": "看板测试集合点", "startsAt": "2026-06-16T10:00:00+08:00",
                "endsAt": "2026-06-16T11:30:00+08:00" } }),
        )
        .await
        .ok();
    page.wait_for(
        "the new activity",
        "document.querySelector('[data-figure=\"activities-upcoming\"]').textContent === '5'
            && document.querySelector('#activities-list [data-field=title]').firstChild.textContent === '看板刷新测试：联合巡查'",
        Duration::from_secs(15),
    )
    .await;

    // An overdue item cancelled leaves the overdue count, as the statistics say.
    let overdue = town
        .ask(
            &token,
            "query($g: ID) { supervisionItems(filter: { linkageGroupId: $g, overdue: true }, first: 1) { nodes { id } } }",
            json!({ "g": town.group }),
        )
        .await;
    let item = overdue["supervisionItems"]["nodes"][0]["id"].clone();
    town.app
        .graphql_as(
            Some(&token),
            "mutation($input: SupervisionTransitionInput!) { cancelSupervisionItem(input: $input) { supervisionItem { status } } }",
            json!({ "input": { "id": item, "note": "看板测试：撤销" } }),
        )
        .await
        .ok();
    page.wait_for(
        "the overdue count to drop",
        &overdue_total_is(9),
        Duration::from_secs(15),
    )
    .await;
    let now = town
        .ask(
            &token,
            "query($g: ID!) { statistics(linkageGroupId: $g, from: \"2026-01-01\", to: \"2026-06-15\") { supervision { overdueNow } } }",
            json!({ "g": town.group }),
        )
        .await;
    assert_eq!(now["statistics"]["supervision"]["overdueNow"], 9);

    // The page heard the events over its socket and was never reloaded.
    let after = page
        .eval("Number(document.getElementById('connection').dataset.events || 0)")
        .await
        .as_i64()
        .unwrap();
    assert!(
        after >= heard + 2,
        "events heard: {heard} before, {after} after"
    );
    assert_eq!(page.eval("window.notReloaded === true").await, true);
    assert_no_problems(&page);
}

#[tokio::test]
async fn the_dashboard_signs_in_from_the_fragment_and_refuses_a_bad_password() {
    let _one = browser::one_at_a_time().await;
    let Some((_browser, mut page)) =
        open_browser("the_dashboard_signs_in_from_the_fragment_and_refuses_a_bad_password").await
    else {
        return;
    };
    let town = Town::load().await;
    let dashboard = format!("{}/dashboard", town.base);
    page.navigate(&dashboard).await;

    // A wrong password: an error on the page, no board.
    sign_in_through_the_form(&mut page, "supervisor", "not-the-password").await;
    let error = page
        .wait_for(
            "the sign-in error",
            "!document.getElementById('login-error').hidden && document.getElementById('login-error').textContent",
            WAIT,
        )
        .await;
    assert!(
        error.as_str().unwrap().contains("用户名或密码错误"),
        "{error}"
    );
    assert_eq!(
        page.eval("document.getElementById('board').hidden").await,
        true
    );

    // A token in the fragment signs the screen in, and leaves the address bar at once.
    let token = town.token("supervisor").await;
    page.navigate(&format!("{dashboard}#token={token}")).await;
    page.wait_for("the figures", READY, WAIT).await;
    page.wait_for("the overdue count", &overdue_total_is(10), WAIT)
        .await;
    assert_eq!(page.eval("location.hash").await, "");
    assert_eq!(
        page.eval("document.getElementById('login').hidden").await,
        true
    );

    // The tab keeps it: the page opened again needs no sign-in.
    page.call("Page.navigate", json!({ "url": "about:blank" }))
        .await;
    page.wait_for("a blank page", "location.href === 'about:blank'", WAIT)
        .await;
    page.navigate(&dashboard).await;
    page.wait_for("the figures again", READY, WAIT).await;

    // A second group, chosen with ?group=: the picker appears and switches between the two.
    let lead = town
        .app
        .graphql(
            "query($g: ID!) { linkageGroup(id: $g) { leadOrganization { id } } }",
            json!({ "g": town.group }),
        )
        .await
        .ok()["linkageGroup"]["leadOrganization"]["id"]
        .clone();
    let other = town
        .app
        .graphql(
            "mutation($input: CreateLinkageGroupInput!) { createLinkageGroup(input: $input) { linkageGroup { id } } }",
            json!({ "input": { "name": "看板测试联建组", "leadOrganizationId": lead,
                "memberOrganizationIds": [lead], "cadenceStartsOn": "2026-06-01" } }),
        )
        .await
        .ok()["createLinkageGroup"]["linkageGroup"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    page.navigate(&format!(
        "{dashboard}?group={other}#token={}",
        town.app.admin_token
    ))
    .await;
    page.wait_for(
        "the other group",
        "document.getElementById('group-name').textContent.includes('看板测试联建组')
            && document.querySelector('[data-figure=\"overdue-total\"]').textContent === '0'",
        WAIT,
    )
    .await;
    assert_eq!(
        page.eval("document.getElementById('group-picker').options.length")
            .await,
        2
    );
    assert_eq!(
        page.eval("document.getElementById('group-picker-label').hidden")
            .await,
        false
    );
    page.eval(&format!(
        "const p = document.getElementById('group-picker'); p.value = {}; p.dispatchEvent(new Event('change')); true",
        json!(town.group)
    ))
    .await;
    page.wait_for("the demo group again", &overdue_total_is(10), WAIT)
        .await;
    assert_eq!(
        page.eval("new URLSearchParams(location.search).get('group')")
            .await,
        town.group.as_str()
    );

    // Signing out forgets the token.
    page.eval("document.getElementById('sign-out').click(); true")
        .await;
    page.wait_for(
        "the sign-in form",
        "!document.getElementById('login').hidden && document.getElementById('board').hidden",
        WAIT,
    )
    .await;
    assert_eq!(
        page.eval("sessionStorage.getItem('lianjian.dashboard.token')")
            .await,
        Value::Null
    );

    // A token that is not valid: back to the form, saying so.
    page.navigate(&format!("{dashboard}#token=not-a-token"))
        .await;
    let error = page
        .wait_for(
            "the expired-token message",
            "!document.getElementById('login').hidden && document.getElementById('login-error').textContent",
            WAIT,
        )
        .await;
    assert!(error.as_str().unwrap().contains("登录已失效"), "{error}");
    assert_no_problems(&page);
}

#[tokio::test]
async fn the_dashboard_and_its_assets_are_served_without_internet() {
    let app = TestApp::spawn().await;
    let get = |path: &str| {
        Request::get(path)
            .header(header::HOST, "10.0.0.5:8080")
            .body(Body::empty())
            .unwrap()
    };
    // No token needed: the page signs in itself.
    let (status, headers, body) = app.request(get("/dashboard")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    let policy = headers["content-security-policy"].to_str().unwrap();
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self' ws://10.0.0.5:8080 wss://10.0.0.5:8080",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(directive), "{directive} not in {policy}");
    }
    assert!(!policy.contains("unsafe"), "{policy}");
    assert!(!policy.contains('*'), "{policy}");
    let page = String::from_utf8(body).unwrap();
    assert!(page.contains("督办看板"));
    let mut served = vec![("/dashboard".to_owned(), page.clone())];
    let mut assets = 0;
    for attribute in page
        .split("src=\"")
        .skip(1)
        .chain(page.split("href=\"").skip(1))
    {
        let target = &attribute[..attribute.find('"').unwrap()];
        if target.starts_with("data:") {
            continue;
        }
        assert!(target.starts_with("/dashboard/"), "{target}");
        let (status, headers, body) = app.request(get(target)).await;
        assert_eq!(status, StatusCode::OK, "{target}");
        let content_type = headers["content-type"].to_str().unwrap();
        let expected = if target.ends_with(".js") {
            "text/javascript; charset=utf-8"
        } else {
            "text/css; charset=utf-8"
        };
        assert_eq!(content_type, expected, "{target}");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        served.push((target.to_owned(), String::from_utf8(body).unwrap()));
        assets += 1;
    }
    assert_eq!(assets, 2);
    for (path, body) in &served {
        for remote in ["http://", "https://", "ws://", "wss://", "//cdn", "cdn."] {
            assert!(
                !body.to_lowercase().contains(remote),
                "{path} refers to something outside the server: {remote}"
            );
        }
    }
    // No web fonts, no imported or remote style sheets, no background images.
    let styles = &served.iter().find(|(p, _)| p.ends_with(".css")).unwrap().1;
    for remote in ["url(", "@import", "@font-face"] {
        assert!(!styles.contains(remote), "the styles use {remote}");
    }
    // The script talks to this server's API and socket only.
    let script = &served.iter().find(|(p, _)| p.ends_with(".js")).unwrap().1;
    assert!(script.contains("fetch('/graphql'"));
    assert!(script.contains("'/graphql/ws'"));
    let (status, _, _) = app.request(get("/dashboard/secrets.txt")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
