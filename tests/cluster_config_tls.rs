//! The enclave's TLS path end to end through the real binary: `ferry tls init` makes a CA and a
//! server certificate, `ferry serve` serves HTTPS with them, skopeo pushes an image under
//! `docker.io/library/...`, `ferry cluster-config --for containerd --ca` writes hosts.toml from
//! the store, and a real containerd pulls `docker.io/library/...` through the mirror over TLS.
//! Anonymous pull is off: containerd logs in through the bearer token flow, and a user without
//! the pusher role is refused a push. Plus `ferry rewrite` on files. A missing client binary skips its test with a message.

mod harness;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use ferry_testkit::tools::installed;
use harness::{Daemon, Dir};

const USER: &str = "ci";
const PASSWORD: &str = "ci-password";
/// A user without a role: a puller.
const NODE: &str = "node";
const NODE_PASSWORD: &str = "node-Pa55word";
const IMAGE: &str = "docker.io/library/ferrytls";
const TAG: &str = "1.0";

fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?} could not start: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn wait_for(what: &str, mut ready: impl FnMut() -> bool, log: &Path) {
    for _ in 0..200 {
        if ready() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "{what} did not come up:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

#[test]
fn containerd_pulls_through_the_tls_mirror_with_generated_config() {
    if !installed("skopeo") || !installed("containerd") || !installed("ctr") {
        return;
    }
    let dir = Dir::new();
    dir.ok(&[
        "tls",
        "init",
        "--out",
        "tls",
        "--name",
        "mirror.enclave",
        "--name",
        "127.0.0.1",
    ]);
    // Refuses to replace an existing CA.
    let err = dir.fails(1, &["tls", "init", "--out", "tls", "--name", "127.0.0.1"]);
    assert!(err.contains("already exists"), "{err}");
    dir.write(
        "htpasswd",
        &format!(
            "{USER}:{}\n{NODE}:{}\n",
            bcrypt::hash(PASSWORD, 4).unwrap(),
            bcrypt::hash(NODE_PASSWORD, 4).unwrap()
        ),
    );

    let mirror = dir.serve_with(
        &[
            "--data",
            "data",
            "--push",
            "--htpasswd",
            "htpasswd",
            "--role",
            &format!("{USER}=pusher"),
            "--tls-cert",
            "tls/server.crt",
            "--tls-key",
            "tls/server.key",
        ],
        &[("FERRY_LOG", "debug")],
    );
    let (addr, serve_log) = (mirror.addr, mirror.log.clone());

    // skopeo trusts the CA from a cert dir holding only ca.crt (a *.key there means a client key).
    dir.write(
        "skopeo-certs/ca.crt",
        &std::fs::read_to_string(dir.path("tls/ca.crt")).unwrap(),
    );
    // A generated single-platform image (the testkit's seeded layers), tagged TAG.
    let mut layout = ferry_testkit::OciLayout::new();
    let image =
        ferry_testkit::images::image(&mut layout, "tls", "linux/amd64", &Default::default());
    layout.tag(TAG, &image.manifest);
    run(Command::new("skopeo")
        .args(["copy", "--quiet", "--preserve-digests", "--dest-cert-dir"])
        .arg(dir.path("skopeo-certs"))
        .arg("--dest-creds")
        .arg(format!("{USER}:{PASSWORD}"))
        .arg(format!("oci:{}:{TAG}", layout.path().display()))
        .arg(format!("docker://{addr}/{IMAGE}:{TAG}")));
    let digest = image.manifest.digest.clone();

    // A puller may not push: skopeo gets a token without push and then a 403.
    let denied = Command::new("skopeo")
        .args(["copy", "--quiet", "--dest-cert-dir"])
        .arg(dir.path("skopeo-certs"))
        .arg("--dest-creds")
        .arg(format!("{NODE}:{NODE_PASSWORD}"))
        .arg(format!("oci:{}:{TAG}", layout.path().display()))
        .arg(format!("docker://{addr}/{IMAGE}:denied"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&denied.stderr);
    assert!(!denied.status.success(), "a puller pushed");
    assert!(
        stderr.contains("denied") || stderr.contains("DENIED"),
        "{stderr}"
    );

    // Hosts come from the store: the pushed repository's first component.
    let mirror_url = format!("https://{addr}");
    let listed = dir.ok(&[
        "cluster-config",
        "--for",
        "containerd",
        "--mirror",
        &mirror_url,
        "--ca",
        "tls/ca.crt",
        "--out",
        "cc",
        "--data",
        "data",
    ]);
    assert!(listed.contains("certs.d/docker.io/hosts.toml"), "{listed}");
    let hosts_toml = std::fs::read_to_string(dir.path("cc/certs.d/docker.io/hosts.toml")).unwrap();
    let ca_abs = dir.path("tls/ca.crt");
    assert!(
        hosts_toml.contains(&format!("ca = \"{}\"", ca_abs.display())),
        "{hosts_toml}"
    );

    let base = dir.path("ctrd");
    let socket = base.join("c.sock");
    std::fs::create_dir_all(&base).unwrap();
    dir.write(
        "ctrd/config.toml",
        &format!(
            "version = 2\nroot = \"{root}\"\nstate = \"{state}\"\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n\
             [grpc]\n  address = \"{sock}\"\n[ttrpc]\n  address = \"{sock}.ttrpc\"\n",
            root = base.join("root").display(),
            state = base.join("state").display(),
            sock = socket.display(),
        ),
    );
    let ctrd_log = base.join("containerd.log");
    let log = std::fs::File::create(&ctrd_log).unwrap();
    let _containerd = Daemon(
        Command::new("containerd")
            .arg("--config")
            .arg(base.join("config.toml"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("containerd starts"),
    );
    wait_for("containerd", || socket.exists(), &ctrd_log);

    let ctr = |args: &[&str]| {
        let mut c = Command::new("ctr");
        c.arg("--address")
            .arg(&socket)
            .args(["--namespace", "ferrytls"])
            .args(args);
        c
    };
    let image = format!("{IMAGE}:{TAG}");
    let hosts_dir = dir.path("cc/certs.d").display().to_string();
    let pull = |user: Option<&str>| {
        let mut args = vec![
            "images",
            "pull",
            "--snapshotter",
            "native",
            "--hosts-dir",
            &hosts_dir,
        ];
        if let Some(user) = user {
            args.extend(["--user", user]);
        }
        args.push(&image);
        ctr(&args).output().expect("ctr runs")
    };
    // Anonymous pull is off.
    let anonymous = pull(None);
    assert!(!anonymous.status.success(), "an anonymous client pulled");
    // Refused by the mirror (its challenge to the anonymous token), not failing otherwise.
    let refusal = String::from_utf8_lossy(&anonymous.stderr);
    assert!(refusal.contains("insufficient_scope"), "{refusal}");
    let creds = format!("{NODE}:{NODE_PASSWORD}");
    let pulled = pull(Some(&creds));
    assert!(
        pulled.status.success(),
        "ctr pull over TLS failed:\n{}\n{}\ncontainerd log:\n{}\nmirror log:\n{}",
        String::from_utf8_lossy(&pulled.stdout),
        String::from_utf8_lossy(&pulled.stderr),
        std::fs::read_to_string(&ctrd_log).unwrap_or_default(),
        std::fs::read_to_string(&serve_log).unwrap_or_default(),
    );
    let listed = run(&mut ctr(&["images", "ls"]));
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.contains(&image) && listed.contains(&digest),
        "{listed}"
    );
    // There is no network beyond loopback: registry-1.docker.io, the hosts.toml `server`,
    // is unreachable, so the image can only have come from the mirror, over TLS.

    // Passwords and tokens never reach the mirror's log.
    let log = std::fs::read_to_string(&serve_log).unwrap();
    assert!(log.contains("registry listening"), "{log}");
    // containerd logged in with the OAuth2 password grant, skopeo with a GET and basic.
    assert!(log.contains("method=POST path=/token status=200"), "{log}");
    assert!(log.contains("method=GET path=/token"), "{log}");
    for secret in [PASSWORD, NODE_PASSWORD, "eyJ"] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
}

#[test]
fn cluster_config_lists_every_runtime_for_given_hosts() {
    let dir = Dir::new();
    dir.write(
        "ca.crt",
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    );
    for runtime in ["containerd", "k3s", "rke2", "crio", "openshift"] {
        let out = dir.ok(&[
            "cluster-config",
            "--for",
            runtime,
            "--mirror",
            "https://mirror.enclave:5443",
            "--hosts",
            "docker.io,quay.io",
            "--ca",
            "ca.crt",
        ]);
        assert!(out.contains("mirror.enclave:5443"), "{runtime}: {out}");
        assert!(out.contains("quay.io"), "{runtime}: {out}");
    }
    let err = dir.fails(
        1,
        &[
            "cluster-config",
            "--for",
            "containerd",
            "--mirror",
            "https://m.enclave",
            "--hosts",
            "../../etc",
        ],
    );
    assert!(err.contains("../../etc"), "{err}");
}

#[test]
fn rewrite_in_place_changes_only_references() {
    let dir = Dir::new();
    let original = "# keep me\nspec:\n  containers:\n    - name: web\n      image: nginx:1.27 # pinned\n    - name: t\n      image: \"{{ .Values.x }}\"\n";
    let path = dir.write("deploy.yaml", original);
    let printed = dir.ok(&["rewrite", "deploy.yaml", "--mirror", "mirror.enclave:5443"]);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        original,
        "not in place without the flag"
    );
    let expected = original.replace(
        "image: nginx:1.27",
        "image: mirror.enclave:5443/docker.io/library/nginx:1.27",
    );
    assert_eq!(printed, expected);
    dir.ok(&[
        "rewrite",
        "deploy.yaml",
        "--mirror",
        "mirror.enclave:5443",
        "--in-place",
    ]);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), expected);
}
