//! A small Chrome DevTools Protocol client for tests that need a real browser (the dashboard): it
//! starts a headless Chromium on a throw-away profile, opens a page and drives it with
//! `Page.navigate` and `Runtime.evaluate`. Chromium is killed when the `Browser` is dropped.

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite::Message};

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// Where Chromium is installed, if it is: `LIANJIAN_CHROMIUM`, else the usual names on `PATH`.
pub fn find_chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("LIANJIAN_CHROMIUM").map(PathBuf::from)
        && path.is_file()
    {
        return Some(path);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
    .find(|candidate| candidate.is_file())
}

/// Chromium's path, or `None` after a loud note that the test is skipped. With
/// `LIANJIAN_REQUIRE_BROWSER=1` (as CI runs) a missing browser fails the test instead.
pub fn chromium_or_skip(test: &str) -> Option<PathBuf> {
    if let Some(path) = find_chromium() {
        return Some(path);
    }
    let required = std::env::var("LIANJIAN_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{test}: Chromium is required (LIANJIAN_REQUIRE_BROWSER=1) but not installed: \
         install it with `apt-get install chromium`"
    );
    eprintln!(
        "\n*** {test} skipped: install chromium (apt-get install chromium) to run the dashboard test ***\n"
    );
    None
}

/// Browser tests run one at a time: each Chromium wants a core or two, and the machine is shared
/// with the rest of the suite. Tests hold the guard for their whole run.
pub async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    // tokio's lock works across the tests' runtimes and is not poisoned by a failed test.
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

pub struct Browser {
    child: Child,
    browser_url: String,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts Chromium and waits for its DevTools address. A start that fails (Chromium exits,
    /// or prints no address within 30 seconds on a machine busy with the rest of the suite) is
    /// tried again, twice; the third failure fails the test with what Chromium printed.
    pub async fn launch(path: PathBuf) -> Browser {
        let mut failures = Vec::new();
        for _ in 0..3 {
            match Self::try_launch(path.clone()).await {
                Ok(browser) => return browser,
                Err(failure) => failures.push(failure),
            }
        }
        panic!(
            "Chromium did not print its DevTools address:\n{}",
            failures.join("\n---\n")
        );
    }

    async fn try_launch(path: PathBuf) -> Result<Browser, String> {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(&path)
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-extensions",
                "--no-first-run",
                "--no-default-browser-check",
                "--mute-audio",
                // The machine's network is closed: without these Chromium spends its start-up
                // on connections that are refused.
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-quic",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", path.display()));
        let stderr = child.stderr.take().unwrap();
        let (sender, receiver) = std::sync::mpsc::channel::<Result<String, String>>();
        // Chromium prints its DevTools address on stderr, then goes on logging there: keep
        // reading until it exits, or a full pipe would stall it. Until the address comes, the
        // last lines are kept to explain a failed start.
        std::thread::spawn(move || {
            let mut last = std::collections::VecDeque::new();
            let mut found = false;
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    found = true;
                    let _ = sender.send(Ok(url.trim().to_owned()));
                } else if !found {
                    if last.len() == 20 {
                        last.pop_front();
                    }
                    last.push_back(line);
                }
            }
            if !found {
                let _ = sender.send(Err(Vec::from(last).join("\n")));
            }
        });
        let answer =
            tokio::task::spawn_blocking(move || receiver.recv_timeout(Duration::from_secs(30)))
                .await
                .unwrap();
        let browser_url = match answer {
            Ok(Ok(url)) => url,
            Ok(Err(printed)) => {
                let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
                return Err(format!(
                    "Chromium exited ({status}); it printed:\n{printed}"
                ));
            }
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("no address within 30 seconds".to_owned());
            }
        };
        let port = browser_url
            .strip_prefix("ws://")
            .and_then(|rest| rest.split('/').next())
            .and_then(|host| host.rsplit(':').next())
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("unexpected DevTools address {browser_url}"));
        Ok(Browser {
            child,
            browser_url,
            port,
            _profile: profile,
        })
    }

    /// A new tab, driven over its own DevTools socket.
    pub async fn new_page(&self) -> Page {
        let (socket, _) = tokio_tungstenite::connect_async(self.browser_url.as_str())
            .await
            .unwrap();
        let mut browser = Page::new(socket);
        let target = browser
            .call("Target.createTarget", json!({ "url": "about:blank" }))
            .await;
        let id = target["targetId"].as_str().unwrap().to_owned();
        let url = format!("ws://127.0.0.1:{}/devtools/page/{id}", self.port);
        let (socket, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .unwrap();
        let mut page = Page::new(socket);
        // Exceptions and console errors (a script error, a blocked load) are collected for the
        // test to look at.
        page.call("Runtime.enable", json!({})).await;
        page.call("Log.enable", json!({})).await;
        page
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Page {
    socket: Socket,
    next_id: u64,
    /// Uncaught exceptions, console errors and log entries of level error, as text.
    pub problems: Vec<String>,
}

impl Page {
    fn new(socket: Socket) -> Page {
        Page {
            socket,
            next_id: 0,
            problems: Vec::new(),
        }
    }

    /// Sends one DevTools command and waits for its answer, noting the events in between.
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let command = json!({ "id": id, "method": method, "params": params });
        self.socket
            .send(Message::text(command.to_string()))
            .await
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = tokio::time::timeout(left, self.socket.next())
                .await
                .unwrap_or_else(|_| panic!("no answer to {method}"))
                .unwrap_or_else(|| panic!("DevTools closed during {method}"))
                .unwrap();
            let Message::Text(text) = message else {
                continue;
            };
            let message: Value = serde_json::from_str(&text).unwrap();
            if message["id"] == id {
                if let Some(error) = message.get("error") {
                    panic!("{method} failed: {error}");
                }
                return message["result"].clone();
            }
            self.note(&message);
        }
    }

    fn note(&mut self, event: &Value) {
        let params = &event["params"];
        match event["method"].as_str() {
            Some("Runtime.exceptionThrown") => self.problems.push(format!(
                "exception: {}",
                params["exceptionDetails"]["exception"]["description"]
                    .as_str()
                    .unwrap_or_else(|| params["exceptionDetails"]["text"]
                        .as_str()
                        .unwrap_or_default())
            )),
            Some("Runtime.consoleAPICalled") if params["type"] == "error" => self
                .problems
                .push(format!("console.error: {}", params["args"])),
            Some("Log.entryAdded") if params["entry"]["level"] == "error" => {
                let entry = &params["entry"];
                self.problems.push(format!(
                    "{} {}: {}",
                    entry["source"].as_str().unwrap_or_default(),
                    entry["url"].as_str().unwrap_or_default(),
                    entry["text"].as_str().unwrap_or_default()
                ));
            }
            _ => {}
        }
    }

    /// Opens `url` and waits until the document has loaded.
    pub async fn navigate(&mut self, url: &str) {
        let result = self.call("Page.navigate", json!({ "url": url })).await;
        if let Some(error) = result.get("errorText") {
            panic!("navigating to {url}: {error}");
        }
        self.wait_for(
            "the page to load",
            "document.readyState === 'complete' && location.href !== 'about:blank'",
            Duration::from_secs(20),
        )
        .await;
    }

    /// Evaluates `expression` in the page (promises awaited) and returns its value as JSON.
    pub async fn eval(&mut self, expression: &str) -> Value {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
            )
            .await;
        if let Some(details) = result.get("exceptionDetails") {
            panic!("evaluating `{expression}` threw: {details}");
        }
        result["result"]["value"].clone()
    }

    /// Evaluates `expression` until it gives something truthy, and returns that; fails with the
    /// page's text after `timeout`.
    pub async fn wait_for(&mut self, what: &str, expression: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let value = self.eval(expression).await;
            let truthy = match &value {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::Number(n) => n.as_f64() != Some(0.0),
                Value::String(s) => !s.is_empty(),
                _ => true,
            };
            if truthy {
                return value;
            }
            if Instant::now() > deadline {
                let text = self
                    .eval("document.body ? document.body.innerText : ''")
                    .await;
                panic!(
                    "timed out after {timeout:?} waiting for {what} (`{expression}` is {value});\n\
                     problems: {:?}\npage:\n{}",
                    self.problems,
                    text.as_str().unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
