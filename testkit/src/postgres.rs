//! PostgreSQL as a real peer: a fresh, empty database for each test, dropped when the test ends.
//!
//! Fleet store tests run on both backends with one line; write the test body as
//! `async fn case(url: &str)` and call it for each backend:
//!
//! ```no_run
//! # async fn case(_url: &str) {}
//! # async fn test() {
//! for backend in ferry_testkit::postgres::fleet_backends() {
//!     eprintln!("on {}", backend.name);
//!     case(&backend.url).await; // a temp SQLite file, then a fresh PostgreSQL database
//! }
//! # }
//! ```
//!
//! [`database`] alone gives just the PostgreSQL database (`postgres://postgres@127.0.0.1:PORT/NAME`).
//!
//! Where the server comes from:
//! - `FERRY_TEST_POSTGRES_URL` (`postgres://postgres@127.0.0.1:PORT`, set by `.ci/run` and
//!   `scripts/test`): a running server, shared by every test process (nextest runs one process
//!   per test, so one server for the whole suite saves an initdb per test);
//! - otherwise a private server, started once per test process from Debian's
//!   `/usr/lib/postgresql/*/bin` (as the `postgres` user through `runuser` when root, since
//!   PostgreSQL refuses to run as root) on a free port, with trust auth on 127.0.0.1 only.
//!
//! The private server is tied to the test process by a pipe: a small shell script runs it and
//! stops it and removes its data directory as soon as its stdin reaches end of file, which the
//! kernel guarantees when the test process exits, however it exits (Rust never drops statics).
//!
//! Missing PostgreSQL is a skip with a message, as for every peer, and a failure under CI
//! ([`crate::tools::skip`]).

use std::hash::{BuildHasher, Hasher};
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use crate::process::free_port;
use crate::tools::skip;

/// A database of its own on the test server, `DROP DATABASE … WITH (FORCE)` on drop (open
/// pools on it are disconnected, not waited for).
pub struct TestDatabase {
    url: String,
    name: String,
    server: &'static Server,
}

impl TestDatabase {
    /// `postgres://postgres@127.0.0.1:PORT/fleet_test_…`
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        if let Err(e) = self.server.psql(&sql) {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}

/// A fresh, empty database, or `None` (after [`skip`]) when PostgreSQL is not installed.
pub fn database() -> Option<TestDatabase> {
    let server = server()?;
    let name = format!("fleet_test_{}_{:016x}", std::process::id(), random());
    server
        .psql(&format!("CREATE DATABASE {name}"))
        .unwrap_or_else(|e| panic!("creating test database {name}: {e}"));
    Some(TestDatabase {
        url: format!("{}/{name}", server.base),
        name,
        server,
    })
}

/// One backend for a fleet store test: its name (`sqlite`, `postgres`) and database URL; what
/// holds the database (a temp directory, a [`TestDatabase`]) lives as long as this value.
pub struct FleetBackend {
    pub name: &'static str,
    pub url: String,
    _holds: Holds,
}

enum Holds {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres(#[allow(dead_code)] TestDatabase),
}

/// A temp SQLite file (`sqlite://<tmp>/ferry.db?mode=rwc`) and, when PostgreSQL is there, a
/// fresh PostgreSQL database: run the same test body on each.
pub fn fleet_backends() -> Vec<FleetBackend> {
    let dir = tempfile::tempdir().expect("temp dir for the SQLite fleet database");
    let mut backends = vec![FleetBackend {
        name: "sqlite",
        url: format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("ferry.db").display()
        ),
        _holds: Holds::Sqlite(dir),
    }];
    if let Some(db) = database() {
        backends.push(FleetBackend {
            name: "postgres",
            url: db.url.clone(),
            _holds: Holds::Postgres(db),
        });
    }
    backends
}

/// A server to create databases on: `base` is the URL without a database name.
struct Server {
    base: String,
    psql: PathBuf,
    /// The private server's script, whose stdin is its lifeline (see the module docs): never
    /// written, never waited for, closed by the kernel when this process exits.
    _lifeline: Option<Mutex<Child>>,
}

impl Server {
    /// Runs one statement on the server's `postgres` database.
    fn psql(&self, sql: &str) -> Result<(), String> {
        let out = Command::new(&self.psql)
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d"])
            .arg(format!("{}/postgres", self.base))
            .args(["-c", sql])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("running {}: {e}", self.psql.display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "psql {sql:?} on {}: {}",
                self.base,
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }
}

fn server() -> Option<&'static Server> {
    static SERVER: OnceLock<Option<Server>> = OnceLock::new();
    let server = SERVER.get_or_init(|| {
        let bin = bin_dir();
        match std::env::var("FERRY_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => {
                let psql = bin.map(|b| b.join("psql")).or_else(|| on_path("psql"))?;
                Some(Server {
                    base: server_base(&url),
                    psql,
                    _lifeline: None,
                })
            }
            _ => bin.map(|b| start_private(&b)),
        }
    });
    if server.is_none() {
        skip("PostgreSQL is not installed (Debian's postgresql: /usr/lib/postgresql/*/bin)");
    }
    server.as_ref()
}

/// `postgres://u@h:p/db?x` -> `postgres://u@h:p`: databases are named per test.
fn server_base(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find(['/', '?']) {
        Some(i) => url[..after_scheme + i].to_owned(),
        None => url.to_owned(),
    }
}

/// The newest of Debian's `/usr/lib/postgresql/<major>/bin` that has a server.
fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let major = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            (bin.join("postgres").is_file() && bin.join("initdb").is_file()).then_some((major, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn on_path(binary: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(binary))
        .find(|p| p.is_file())
}

/// The script that owns a private server: initdb, start, report `ready <dir>` once the
/// postmaster says so (its postmaster.pid status line, which is only written after it bound
/// the port, so another server already on the port cannot fool it), then wait for stdin to
/// close and stop it (fast shutdown) and remove everything. Everything it says goes to its
/// stdout, which the test reads until `ready`: its stderr is not the test's, so the script
/// outliving the test process by its cleanup does not hold the runner's output open.
const RUN_PRIVATE: &str = r#"set -eu
exec 2>&1
bin=$1 port=$2 tmp=$3
dir=$(mktemp -d "$tmp/ferry-pg.XXXXXX")
trap 'rm -rf "$dir"' EXIT
if ! "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale --no-sync --no-instructions >"$dir/log" 2>&1; then
  cat "$dir/log" >&2; echo failed; exit 1
fi
"$bin/postgres" -D "$dir/data" -k "$dir" -h 127.0.0.1 -p "$port" -c fsync=off \
  -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 \
  </dev/null >>"$dir/log" 2>&1 &
pg=$!
i=0
until [ "$(sed -n 8p "$dir/data/postmaster.pid" 2>/dev/null | tr -d ' ')" = ready ]; do
  i=$((i + 1))
  if ! kill -0 "$pg" 2>/dev/null || [ "$i" -gt 600 ]; then
    kill -INT "$pg" 2>/dev/null || true
    cat "$dir/log" >&2; echo failed; exit 1
  fi
  sleep 0.05
done
echo "ready $dir"
cat >/dev/null || true
kill -INT "$pg" 2>/dev/null || true
wait "$pg" || true
"#;

fn start_private(bin: &Path) -> Server {
    let root = is_root();
    // runuser keeps the environment: a root-only TMPDIR would not do for the postgres user.
    let tmp = if root {
        PathBuf::from("/tmp")
    } else {
        std::env::temp_dir()
    };
    let mut last_port = 0;
    for _attempt in 0..3 {
        let port = free_port();
        last_port = port;
        let mut cmd = if root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", "sh", "-c", RUN_PRIVATE, "sh"]);
            c
        } else {
            let mut c = Command::new("sh");
            c.args(["-c", RUN_PRIVATE, "sh"]);
            c
        };
        cmd.arg(bin)
            .arg(port.to_string())
            .arg(&tmp)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            // Its own process group: Ctrl-C on the test run must not kill the script before it
            // cleans up; it stops when the test process's end closes its stdin.
            .process_group(0);
        let mut child = cmd.spawn().expect("spawning the private PostgreSQL server");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut said = Vec::new();
        let ready = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|line| {
                let ready = line.starts_with("ready ");
                said.push(line);
                ready
            });
        if ready {
            return Server {
                base: format!("postgres://postgres@127.0.0.1:{port}"),
                psql: bin.join("psql"),
                _lifeline: Some(Mutex::new(child)),
            };
        }
        drop(child.stdin.take());
        let _ = child.wait();
        eprintln!(
            "private PostgreSQL on 127.0.0.1:{port} did not start:\n{}",
            said.join("\n")
        );
    }
    panic!("the private PostgreSQL server did not start (last on 127.0.0.1:{last_port}, as the postgres user when root); its output is above");
}

/// Whether this process runs as root, from /proc (no libc in this crate).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|rest| rest.split_whitespace().nth(1).map(|e| e == "0"))
        })
        .unwrap_or(false)
}

fn random() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_base_drops_database_and_options() {
        assert_eq!(
            server_base("postgres://postgres@127.0.0.1:5433/postgres"),
            "postgres://postgres@127.0.0.1:5433"
        );
        assert_eq!(
            server_base("postgresql://u:p@h:1?sslmode=disable"),
            "postgresql://u:p@h:1"
        );
        assert_eq!(server_base("postgres://h:1"), "postgres://h:1");
    }

    #[test]
    fn a_database_is_fresh_and_dropped() {
        let Some(db) = database() else { return };
        let server = db.server;
        let name = db.name.clone();
        let exists = |name: &str| {
            let out = Command::new(&server.psql)
                .args(["-X", "-qAt", "-d"])
                .arg(format!("{}/postgres", server.base))
                .args([
                    "-c",
                    &format!("SELECT count(*) FROM pg_database WHERE datname = '{name}'"),
                ])
                .output()
                .unwrap();
            String::from_utf8(out.stdout).unwrap().trim() == "1"
        };
        assert!(exists(&name));
        assert!(db.url().ends_with(&format!("/{name}")));
        drop(db);
        assert!(!exists(&name));
    }
}
