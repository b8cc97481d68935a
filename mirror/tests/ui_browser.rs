//! The web UI in a real browser: Debian's chromium, driven over WebDriver (chromedriver) from
//! this test, against the appliance serving a real fleet on a real socket. The browser logs in,
//! walks every page, pauses a rollout and rolls it back through the confirmation forms and logs
//! out. On every page axe-core (from npm, injected into the page) must find no violation of
//! serious or critical impact, and the browser's console must hold no error. Screenshots go to
//! `target/ui-screenshots/`; `dashboard.png` there is the one docs/ shows.
//!
//! Without chromium, chromedriver or axe-core (`scripts/setup` installs all three) the test says
//! so and passes, except under `CI`, where it fails.

mod ui_support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use ferry_mirror::fleet::rollout::State;
use ferry_mirror::server::serve_on;
use serde_json::{json, Value};
use ui_support::*;

fn axe_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/axe/node_modules/axe-core/axe.min.js")
}

fn screenshots() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("ui-screenshots")
}

/// chromedriver on a port found free, retried if another process took it first.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_driver() -> Driver {
    for _ in 0..5 {
        let port = ferry_testkit::free_port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let mut d = Driver { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if d.child.try_wait().unwrap().is_some() {
                break; // the port was taken: try another
            }
            if http(port, "GET", "/status", "").is_some_and(|b| b.contains("\"ready\"")) {
                return d;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    panic!("chromedriver did not come up");
}

/// A plain HTTP/1.1 request to chromedriver (which keeps the connection open, so its answer is
/// read by its Content-Length); the body of its answer.
fn http(port: u16, method: &str, path: &str, body: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut answer = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        let n = s.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&answer);
        if let Some((head, rest)) = text.split_once("\r\n\r\n") {
            let len = head.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse::<usize>().ok())?
            })?;
            if rest.len() >= len {
                return Some(rest[..len].to_owned());
            }
        }
    }
    None
}

async fn browser(driver: &Driver, profile: &std::path::Path) -> Client {
    let caps = json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1280,900", format!("--user-data-dir={}", profile.display()),
            ],
        },
        "goog:loggingPrefs": { "browser": "ALL" },
    });
    let Value::Object(caps) = caps else {
        unreachable!()
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a chromium session")
}

/// The console's error entries since the last call (chromedriver's log endpoint).
async fn console_errors(c: &Client, driver: &Driver) -> Vec<String> {
    let id = c.session_id().await.unwrap().expect("a session id");
    let body = http(
        driver.port,
        "POST",
        &format!("/session/{id}/se/log"),
        r#"{"type":"browser"}"#,
    )
    .expect("the browser log");
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    v["value"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["level"] == "SEVERE")
        .map(|e| e["message"].as_str().unwrap_or("").to_owned())
        .collect()
}

/// axe-core's violations of serious or critical impact on the current page.
async fn serious_violations(c: &Client, axe: &str) -> Vec<String> {
    c.execute(axe, vec![]).await.expect("axe-core loads");
    let result = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document).then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact,
                 nodes: v.nodes.map(n => n.html).slice(0, 3)}))));",
            vec![],
        )
        .await
        .expect("axe-core runs");
    result
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .map(|v| v.to_string())
        .collect()
}

async fn click(c: &Client, what: Locator<'_>) {
    c.find(what)
        .await
        .expect("the element")
        .click()
        .await
        .unwrap();
}

async fn type_into(c: &Client, what: Locator<'_>, text: &str) {
    c.find(what)
        .await
        .expect("the field")
        .send_keys(text)
        .await
        .unwrap();
}

async fn text_of(c: &Client, what: Locator<'_>) -> String {
    c.find(what)
        .await
        .expect("the element")
        .text()
        .await
        .unwrap()
}

/// Clicks `what` (a link or a form's button) and waits until the page that follows is shown at
/// `path` and holds `text`: a click returns as soon as the browser took it, and on a busy machine
/// the next page may still be on its way.
async fn follow(c: &Client, what: Locator<'_>, path: &str, text: &str) {
    click(c, what).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let at = c.current_url().await.unwrap();
        let source = c.source().await.unwrap_or_default();
        if at.path() == path && source.contains(text) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "waited for {path} with {text:?}; the browser shows {at}:\n{source}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Checks the page now shown: heading, accessibility, console; saves its screenshot as `name`.
async fn check_page(c: &Client, driver: &Driver, axe: &str, name: &str, heading: &str) {
    let h1 = text_of(c, Locator::Css("h1")).await;
    assert!(
        h1.contains(heading),
        "{name}: heading {h1:?}, wanted {heading:?}"
    );
    let violations = serious_violations(c, axe).await;
    assert!(
        violations.is_empty(),
        "{name}: axe-core found {violations:#?}"
    );
    let errors = console_errors(c, driver).await;
    assert!(errors.is_empty(), "{name}: console errors {errors:#?}");
    let png = c.screenshot().await.expect("a screenshot");
    let dir = screenshots();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_walks_the_ui_in_chromium_and_rolls_back_a_rollout() {
    let axe_file = axe_path();
    let tools = ["chromium", "chromedriver"]
        .iter()
        .all(|t| ferry_testkit::tools::installed(t));
    if !tools || !axe_file.is_file() {
        let why = format!(
            "needs chromium, chromedriver and {} (scripts/setup)",
            axe_file.display()
        );
        // CI installs them: there a missing one is a failure, not a skip.
        assert!(std::env::var_os("CI").is_none(), "{why}");
        eprintln!("skipped: {why}");
        return;
    }
    let axe = std::fs::read_to_string(&axe_file).unwrap();
    let a = Appliance::new(false).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let (store, cfg) = (a.site.store.clone(), a.cfg.clone());
    tokio::spawn(async move { serve_on(listener, store, &cfg, std::future::pending()).await });

    let driver = start_driver();
    let profile = tempfile::tempdir().unwrap();
    let c = browser(&driver, profile.path()).await;
    let base = format!("http://{addr}");

    // Sent to the login page, then back to where it was going.
    c.goto(&format!("{base}/ui/")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().ends_with("/ui/login"));
    check_page(&c, &driver, &axe, "login", "Log in").await;
    type_into(&c, Locator::Css("#user"), "operator").await;
    type_into(&c, Locator::Css("#password"), PASSWORD).await;
    follow(&c, Locator::Css("button[type=submit]"), "/ui/", "Dashboard").await;
    check_page(&c, &driver, &axe, "dashboard", "Dashboard").await;

    let id = a.rollout;
    for (path, name, heading) in [
        ("/ui/bundles".to_owned(), "bundles", "Bundles"),
        ("/ui/clusters".into(), "clusters", "Clusters"),
        ("/ui/clusters/edge-02".into(), "cluster", "Cluster edge-02"),
        ("/ui/rollouts".into(), "rollouts", "Rollouts"),
        (format!("/ui/rollouts/{id}"), "rollout", "Rollout"),
        ("/ui/search".into(), "search", "Search"),
    ] {
        c.goto(&format!("{base}{path}")).await.unwrap();
        check_page(&c, &driver, &axe, name, heading).await;
    }
    // A search from the form: no cluster runs this image.
    type_into(&c, Locator::Css("#q"), "docker.io/library/busybox:1.36").await;
    follow(
        &c,
        Locator::Css("main button[type=submit]"),
        "/ui/search",
        "No cluster wants or runs it.",
    )
    .await;
    check_page(&c, &driver, &axe, "search-result", "Search").await;

    // An operator is not an admin: the audit page is refused.
    c.goto(&format!("{base}/ui/audit")).await.unwrap();
    let refused = text_of(&c, Locator::Css("h1")).await;
    assert_eq!(refused, "Forbidden");
    let errors = console_errors(&c, &driver).await;
    assert!(errors.len() == 1 && errors[0].contains("403"), "{errors:?}");
    // …and not offered in its navigation.
    c.goto(&format!("{base}/ui/")).await.unwrap();
    assert!(c.find(Locator::LinkText("Audit")).await.is_err());

    // Pause, confirmed on its own page, then roll back.
    c.goto(&format!("{base}/ui/rollouts/{id}")).await.unwrap();
    let (page, confirm_pause, confirm_back) = (
        format!("/ui/rollouts/{id}"),
        format!("/ui/rollouts/{id}/pause"),
        format!("/ui/rollouts/{id}/rollback"),
    );
    follow(&c, Locator::LinkText("Pause"), &confirm_pause, "Yes, pause").await;
    check_page(&c, &driver, &axe, "confirm-pause", "Pause rollout").await;
    let submit = Locator::Css("main button[type=submit]");
    follow(&c, submit, &page, "<strong>Paused</strong>").await;
    follow(
        &c,
        Locator::LinkText("Roll back"),
        &confirm_back,
        "Yes, roll back",
    )
    .await;
    follow(&c, submit, &page, "<strong>RolledBack</strong>").await;
    check_page(&c, &driver, &axe, "rolled-back", "Rollout").await;
    assert_eq!(a.rollout_state().await, State::RolledBack);

    // Logging out ends the session: the dashboard asks for a login again.
    follow(
        &c,
        Locator::Css("header form button"),
        "/ui/login",
        "Log in",
    )
    .await;
    c.goto(&format!("{base}/ui/")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().ends_with("/ui/login"));
    c.close().await.unwrap();
}
