//! Progress off a terminal, through the real binary against a real docker-registry: a build's
//! stderr has one line per artifact fetched (name and size), and counts artifacts as items.

mod harness;
mod pty;

use ferry_testkit::Registry;
use harness::{push_image, Dir};

/// A registry with two images and a profile naming them.
fn site(registry: &Registry) -> Dir {
    push_image(registry, "demo/app", "1.0", "app");
    push_image(registry, "demo/db", "2.0", "db");
    let host = registry.host();
    let dir = Dir::new();
    dir.write(
        "profiles/site.yaml",
        &format!(
            "name: site\nversion: 1.0.0\ntype: full\nplatforms: [linux/amd64]\nlayers:\n  - name: apps\n    kind: addon\n    sources:\n      - images: [{host}/demo/app:1.0, {host}/demo/db:2.0]\n"
        ),
    );
    dir
}

#[test]
fn a_build_on_a_terminal_leaves_log_lines_whole_and_no_bar_behind() {
    let registry = Registry::start();
    let dir = site(&registry);
    let term = pty::Terminal::spawn(dir.tmp.path(), &["build", "--no-attached", "-o", "s.ferry"]);
    // Everything the build wrote until it exited: the final screen, not a moment of it.
    let (code, text) = term.exit_code();
    assert_eq!(code, Some(0), "{text}");
    let raw = text.as_bytes();
    let drawn = String::from_utf8_lossy(raw);
    assert!(
        drawn.contains("/2 items"),
        "the resolve bar was drawn, counting items: {drawn}"
    );
    let mut parser = vt100::Parser::new(pty::ROWS, pty::COLS, 0);
    parser.process(raw);
    // Row by row: `contents()` runs a row that fills the width into the next.
    let rows: Vec<String> = parser.screen().rows(0, pty::COLS).collect();
    let screen = rows.join("\n");
    let rows: Vec<&str> = rows
        .iter()
        .map(|r| r.trim_end())
        .filter(|r| !r.is_empty())
        .collect();
    // Every log record is a row of its own that starts with its timestamp: none was drawn
    // over by a bar, none ended up inside one.
    let logs: Vec<&&str> = rows.iter().filter(|r| r.contains(" INFO ")).collect();
    assert!(logs.len() >= 4, "{screen}");
    for row in &logs {
        assert!(
            row.starts_with("20"),
            "a log line cut or overdrawn: {row:?}\n{screen}"
        );
        assert_eq!(
            row.matches(" INFO ").count(),
            1,
            "two records on one row:\n{screen}"
        );
    }
    let host = registry.host();
    for name in ["demo/app:1.0", "demo/db:2.0"] {
        let fetched = format!("fetched {host}/{name} (");
        assert_eq!(
            logs.iter().filter(|r| r.contains(&fetched)).count(),
            1,
            "{screen}"
        );
    }
    // Every bar was cleared when its phase finished: no bar row is left on the screen.
    assert!(
        !rows.iter().any(|r| r.contains("[=") || r.contains("eta ")),
        "{screen}"
    );
}

#[test]
fn a_build_off_a_terminal_logs_one_line_per_artifact_fetched() {
    let registry = Registry::start();
    let host = registry.host();
    let dir = site(&registry);
    let build = ["build", "--no-attached", "-o", "site.ferry"];
    let out = dir.ferry(&build);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    for name in ["demo/app:1.0", "demo/db:2.0"] {
        let lines: Vec<&str> = err
            .lines()
            .filter(|l| l.contains(&format!("fetched {host}/{name} (")))
            .collect();
        assert_eq!(lines.len(), 1, "one line for {name}:\n{err}");
        let size = lines[0].rsplit_once('(').unwrap().1;
        assert!(
            size.ends_with("KiB)") && size.starts_with(|c: char| c.is_ascii_digit()),
            "{}",
            lines[0]
        );
    }
    let resolve = err
        .lines()
        .find(|l| l.contains("resolve") && l.contains("done"))
        .unwrap_or_else(|| panic!("no resolve line:\n{err}"));
    assert!(resolve.contains("2 items"), "{resolve}");
    assert!(!err.contains('\r'), "no bar drawn off a terminal:\n{err}");

    // Everything is cached now: nothing is fetched, so no such line.
    let out = dir.ferry(&["build", "--no-attached", "-o", "again.ferry"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("fetched "), "{err}");
}
