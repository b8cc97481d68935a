//! Helm charts: deterministic chart directories and .tgz packages, `index.yaml`, a real static
//! HTTP repository, and charts pushed to a registry as OCI artifacts.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use flate2::{Compression, GzBuilder};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::images::{self, Image};
use crate::layout::OciLayout;
use crate::process::{stop, wait_for};
use crate::registry::Registry;

/// A static HTTP server (Python's `http.server`) serving a directory on 127.0.0.1.
pub struct HelmRepo {
    child: Child,
    port: u16,
    dir: PathBuf,
}

/// A static file server on 127.0.0.1 that binds port 0 and prints the port it got, so no
/// other server can answer in its place. It answers `status` to the first `fails` requests
/// for anything but `/`, then serves normally: a flaky upstream for retry tests when
/// `fails > 0`.
const STATIC_SERVER: &str = r#"
import functools, http.server, sys
directory, fails, status = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        global fails
        if self.path != "/" and fails > 0:
            fails -= 1
            self.send_error(status)
            return
        super().do_GET()
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=directory))
print(server.server_address[1], flush=True)
server.serve_forever()
"#;

impl HelmRepo {
    pub fn start(dir: impl Into<PathBuf>) -> Self {
        Self::spawn(dir.into(), 0, 200)
    }

    /// Like [`HelmRepo::start`], but the first `fail_first` file requests get `status`.
    pub fn start_flaky(dir: impl Into<PathBuf>, fail_first: u32, status: u16) -> Self {
        Self::spawn(dir.into(), fail_first, status)
    }

    fn spawn(dir: PathBuf, fails: u32, status: u16) -> Self {
        let mut child = Command::new("python3")
            .args(["-c", STATIC_SERVER])
            .arg(&dir)
            .arg(fails.to_string())
            .arg(status.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn python3 static file server");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let Ok(port) = line.trim().parse::<u16>() else {
            stop(&mut child);
            panic!("python3 static file server did not say its port (said {line:?})");
        };
        wait_for(&mut child, port, "/", 200, "python3 static file server");
        Self { child, port, dir }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for HelmRepo {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// Writes a small chart `<parent>/<name>/` whose values and templates name `images`.
pub fn write_chart(
    parent: &Path,
    name: &str,
    version: &str,
    app_version: &str,
    images: &[&str],
) -> PathBuf {
    let dir = parent.join(name);
    fs::create_dir_all(dir.join("templates")).expect("chart dir");
    fs::write(
        dir.join("Chart.yaml"),
        format!("apiVersion: v2\nname: {name}\nversion: {version}\nappVersion: \"{app_version}\"\ndescription: test chart {name}\ntype: application\n"),
    )
    .expect("Chart.yaml");
    let mut values = String::from("replicaCount: 1\nimages:\n");
    let mut containers = String::new();
    for (i, image) in images.iter().enumerate() {
        values.push_str(&format!("  c{i}: \"{image}\"\n"));
        containers.push_str(&format!(
            "        - name: c{i}\n          image: {{{{ .Values.images.c{i} }}}}\n"
        ));
    }
    fs::write(dir.join("values.yaml"), values).expect("values.yaml");
    fs::write(
        dir.join("templates/deployment.yaml"),
        format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{{{ .Release.Name }}}}-{name}\nspec:\n  replicas: {{{{ .Values.replicaCount }}}}\n  template:\n    spec:\n      containers:\n{containers}"),
    )
    .expect("deployment.yaml");
    dir
}

/// Chart.yaml of a chart written by [`write_chart`], as the JSON Helm puts in an OCI config.
pub fn chart_json(name: &str, version: &str, app_version: &str) -> Value {
    json!({
        "apiVersion": "v2", "name": name, "version": version, "appVersion": app_version,
        "description": format!("test chart {name}"), "type": "application",
    })
}

/// Packs a chart directory into `<out_dir>/<name>-<version>.tgz` deterministically: sorted
/// entries under `<dirname>/`, mtime 0, uid/gid 0, gzip header without a time.
pub fn pack_chart(chart_dir: &Path, name: &str, version: &str, out_dir: &Path) -> PathBuf {
    let top = chart_dir
        .file_name()
        .expect("chart dir name")
        .to_string_lossy()
        .into_owned();
    let mut files = Vec::new();
    collect_files(chart_dir, chart_dir, &mut files);
    files.sort();
    let out = out_dir.join(format!("{name}-{version}.tgz"));
    let file = fs::File::create(&out).expect("create chart tgz");
    let gz = GzBuilder::new()
        .mtime(0)
        .write(file, Compression::default());
    let mut tar = tar::Builder::new(gz);
    for rel in files {
        let data = fs::read(chart_dir.join(&rel)).expect("read chart file");
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_uid(0);
        h.set_gid(0);
        h.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut h, format!("{top}/{rel}"), &data[..])
            .expect("append chart file");
    }
    let gz = tar.into_inner().expect("finish tar");
    gz.finish()
        .expect("finish gzip")
        .flush()
        .expect("flush chart tgz");
    out
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in fs::read_dir(dir).expect("read chart dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            collect_files(root, &path, out);
        } else {
            let rel = path.strip_prefix(root).expect("under root");
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// One chart version in an `index.yaml`.
#[derive(Debug, Clone)]
pub struct ChartEntry {
    pub name: String,
    pub version: String,
    pub app_version: String,
    /// The packaged chart, to compute its digest.
    pub file: PathBuf,
    /// URL as written in the index: relative (`podinfo-6.5.0.tgz`) or absolute.
    pub url: String,
    /// Write the `digest` field (Helm repos sometimes omit it).
    pub with_digest: bool,
}

/// Writes `<repo_dir>/index.yaml` (apiVersion v1) for `entries`, grouped by chart name.
pub fn write_index(repo_dir: &Path, entries: &[ChartEntry]) -> PathBuf {
    let mut by_name: std::collections::BTreeMap<&str, Vec<&ChartEntry>> = Default::default();
    for e in entries {
        by_name.entry(&e.name).or_default().push(e);
    }
    let mut y = String::from("apiVersion: v1\nentries:\n");
    for (name, list) in by_name {
        y.push_str(&format!("  {name}:\n"));
        for e in list {
            y.push_str(&format!("  - apiVersion: v2\n    name: {}\n    version: {}\n    appVersion: \"{}\"\n    created: \"2024-01-01T00:00:00Z\"\n", e.name, e.version, e.app_version));
            if e.with_digest {
                let bytes = fs::read(&e.file).expect("read chart tgz");
                y.push_str(&format!(
                    "    digest: {}\n",
                    hex::encode(Sha256::digest(&bytes))
                ));
            }
            y.push_str(&format!("    urls:\n    - {}\n", e.url));
        }
    }
    y.push_str("generated: \"2024-01-01T00:00:00Z\"\n");
    let path = repo_dir.join("index.yaml");
    fs::write(&path, y).expect("write index.yaml");
    path
}

/// Pushes a packaged chart to `<registry>/<repo>:<version>` as a Helm OCI artifact.
pub fn push_chart_oci(
    registry: &Registry,
    tgz: &Path,
    chart: &Value,
    repo: &str,
    version: &str,
) -> Image {
    let mut layout = OciLayout::new();
    let bytes = fs::read(tgz).expect("read chart tgz");
    let image = images::helm_chart(&mut layout, chart, &bytes);
    registry.push_desc(&mut layout, &image.manifest, repo, version);
    image
}
