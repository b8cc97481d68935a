//! A real OCI registry: Debian's `docker-registry` (CNCF distribution 2.8).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use tempfile::TempDir;

use crate::layout::OciLayout;
use crate::process::{free_port, nonce, stop, wait_for_peer};

pub struct Registry {
    child: Child,
    port: u16,
    dir: TempDir,
}

impl Registry {
    /// Starts a registry on 127.0.0.1 with filesystem storage in a temp dir, deletes enabled,
    /// no auth and no blob descriptor cache (so tests may tamper with storage underneath it).
    pub fn start() -> Self {
        Self::start_with(None)
    }

    /// [`Registry::start`], but every request needs HTTP basic auth by a user of `htpasswd`
    /// (bcrypt entries, `user:$2b$...`).
    pub fn start_with_htpasswd(htpasswd: &Path) -> Self {
        Self::start_with(Some(htpasswd))
    }

    fn start_with(htpasswd: Option<&Path>) -> Self {
        let dir = tempfile::tempdir().expect("registry tempdir");
        let auth = htpasswd.map_or(String::new(), |p| {
            format!(
                "auth:\n  htpasswd:\n    realm: testkit\n    path: {}\n",
                p.display()
            )
        });
        // A port can be taken between probing and binding; try a few.
        for _ in 0..5 {
            let port = free_port();
            let nonce = nonce();
            let config = format!(
                "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n  maintenance:\n    uploadpurging:\n      enabled: false\n{auth}http:\n  addr: 127.0.0.1:{port}\n  headers:\n    X-Testkit-Peer: [\"{nonce}\"]\n",
                dir.path().join("storage").display()
            );
            let config_path = dir.path().join("config.yml");
            fs::write(&config_path, config).expect("registry config");
            let log = fs::File::create(dir.path().join("registry.log")).expect("registry log");
            let mut child = Command::new("/usr/bin/docker-registry")
                .arg("serve")
                .arg(&config_path)
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log fd"))
                .stderr(log)
                .spawn()
                .expect("spawn /usr/bin/docker-registry");
            let up = if htpasswd.is_some() { 401 } else { 200 };
            // The nonce header proves the answer is this child's, not another peer's that
            // took the port between probing and binding.
            if wait_for_peer(
                &mut child,
                port,
                "/v2/",
                up,
                Some(&nonce),
                "docker-registry",
            ) {
                return Self { child, port, dir };
            }
            stop(&mut child);
        }
        panic!("docker-registry did not start on a free port after 5 tries");
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.host())
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Root of the registry's filesystem storage.
    pub fn storage_dir(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    /// Where the registry keeps the bytes of a blob (`sha256:<hex>` or `<hex>`), for
    /// tests that corrupt upstream content.
    pub fn blob_data_path(&self, digest: &str) -> PathBuf {
        let hex = digest.trim_start_matches("sha256:");
        self.storage_dir().join(format!(
            "docker/registry/v2/blobs/sha256/{}/{hex}/data",
            &hex[..2]
        ))
    }

    /// `skopeo copy --all --preserve-digests oci:<layout>:<tag> docker://<host>/<repo>:<dest_tag>`.
    pub fn push(&self, layout: &OciLayout, tag: &str, repo: &str, dest_tag: &str) {
        let dest = format!("docker://{}/{repo}:{dest_tag}", self.host());
        skopeo_copy(layout.path(), tag, &dest);
    }

    /// Pushes converting to Docker schema 2 (`skopeo --format v2s2`): digests change, so read
    /// them back with [`Registry::skopeo_digest`].
    pub fn push_as_docker(&self, layout: &OciLayout, tag: &str, repo: &str, dest_tag: &str) {
        let dest = format!("docker://{}/{repo}:{dest_tag}", self.host());
        let out = Command::new("skopeo")
            .args(["copy", "--format", "v2s2", "--dest-tls-verify=false", "-q"])
            .arg(format!("oci:{}:{tag}", layout.path().display()))
            .arg(&dest)
            .output()
            .expect("run skopeo copy");
        assert!(
            out.status.success(),
            "skopeo copy --format v2s2 to {dest} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Tags and pushes a descriptor of `layout` in one go.
    pub fn push_desc(
        &self,
        layout: &mut OciLayout,
        desc: &crate::Descriptor,
        repo: &str,
        dest_tag: &str,
    ) {
        let tag = format!("push-{}", desc.hex());
        layout.tag(&tag, desc);
        self.push(layout, &tag, repo, dest_tag);
    }

    /// PUTs manifest bytes straight to the registry (`/v2/<repo>/manifests/<tag>`), for
    /// documents skopeo would rewrite, such as a referrers tag index. What it names must
    /// already be pushed.
    pub fn put_manifest(&self, repo: &str, tag: &str, media_type: &str, bytes: &[u8]) {
        use std::io::{Read, Write};
        let mut s =
            std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("connect registry");
        write!(
            s,
            "PUT /v2/{repo}/manifests/{tag} HTTP/1.1\r\nHost: {}\r\nContent-Type: {media_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.host(),
            bytes.len()
        )
        .expect("write request");
        s.write_all(bytes).expect("write manifest");
        let mut answer = String::new();
        s.read_to_string(&mut answer).expect("read answer");
        assert!(
            answer.starts_with("HTTP/1.1 201"),
            "PUT manifest {repo}:{tag} failed: {answer}"
        );
    }

    /// `skopeo inspect --raw` digest of `repo:tag`, as skopeo computes it.
    pub fn skopeo_digest(&self, repo: &str, tag: &str) -> String {
        let out = Command::new("skopeo")
            .args(["inspect", "--tls-verify=false", "--raw"])
            .arg(format!("docker://{}/{repo}:{tag}", self.host()))
            .output()
            .expect("run skopeo inspect");
        assert!(
            out.status.success(),
            "skopeo inspect failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        use sha2::Digest as _;
        format!("sha256:{}", hex::encode(sha2::Sha256::digest(&out.stdout)))
    }

    /// Deletes a manifest by digest (the registry has deletes enabled).
    pub fn delete_manifest(&self, repo: &str, digest: &str) {
        let out = Command::new("skopeo")
            .args(["delete", "--tls-verify=false"])
            .arg(format!("docker://{}/{repo}@{digest}", self.host()))
            .output()
            .expect("run skopeo delete");
        assert!(
            out.status.success(),
            "skopeo delete failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The registry's log so far, for failing tests.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

pub fn skopeo_copy(layout_dir: &Path, tag: &str, dest: &str) {
    let out = Command::new("skopeo")
        .args([
            "copy",
            "--all",
            "--preserve-digests",
            "--dest-tls-verify=false",
            "-q",
        ])
        .arg(format!("oci:{}:{tag}", layout_dir.display()))
        .arg(dest)
        .output()
        .expect("run skopeo copy");
    assert!(
        out.status.success(),
        "skopeo copy oci:{}:{tag} {dest} failed: {}",
        layout_dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}
