//! `ferry lock` against a registry that wants a login, with the credentials where docker keeps
//! them: a `credHelpers` entry in `$DOCKER_CONFIG/config.json` runs `docker-credential-<name> get`
//! (a real helper script on PATH) and its answer logs in. The registry is ferry's own mirror
//! with htpasswd users and no anonymous pull, so a pull without credentials is refused.

mod harness;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use harness::Dir;

const USER: &str = "ci";
const PASSWORD: &str = "ci-Pa55word";

/// `ferry lock` with only `config_dir` for credentials and `bin` first on PATH.
fn lock(dir: &Dir, config_dir: &str) -> std::process::Output {
    let path = format!(
        "{}:{}",
        dir.path("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new(assert_cmd::cargo::cargo_bin("ferry"))
        .current_dir(dir.tmp.path())
        .args(["lock", "-p", "profiles"])
        .env("DOCKER_CONFIG", dir.path(config_dir))
        .env("HOME", dir.path("home"))
        .env("PATH", path)
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("XDG_CONFIG_HOME")
        .output()
        .unwrap()
}

#[test]
fn a_credential_helper_logs_lock_in() {
    if !ferry_testkit::tools::installed("skopeo") {
        return;
    }
    let dir = Dir::new();
    dir.write(
        "htpasswd",
        &format!("{USER}:{}\n", bcrypt::hash(PASSWORD, 4).unwrap()),
    );
    let served = dir.serve(&[
        "--data",
        "data",
        "--push",
        "--htpasswd",
        "htpasswd",
        "--role",
        &format!("{USER}=pusher"),
    ]);
    let addr = served.addr;
    let mut layout = ferry_testkit::OciLayout::new();
    let image =
        ferry_testkit::images::image(&mut layout, "cred", "linux/amd64", &Default::default());
    layout.tag("1.0", &image.manifest);
    let pushed = Command::new("skopeo")
        .args(["copy", "--quiet", "--dest-tls-verify=false", "--dest-creds"])
        .arg(format!("{USER}:{PASSWORD}"))
        .arg(format!("oci:{}:1.0", layout.path().display()))
        .arg(format!("docker://{addr}/team/app:1.0"))
        .output()
        .unwrap();
    assert!(
        pushed.status.success(),
        "{}",
        String::from_utf8_lossy(&pushed.stderr)
    );

    dir.write(
        "profiles/site.yaml",
        &format!(
            "name: site\nversion: 1.0.0\ntype: full\nlayers:\n  - name: apps\n    kind: addon\n    sources:\n      - images: [{addr}/team/app:1.0]\n"
        ),
    );
    // The helper records what it was asked for and answers as docker-credential-* do.
    let asked = dir.path("helper-asked");
    let helper = dir.write(
        "bin/docker-credential-ferrytest",
        &format!(
            "#!/bin/sh\n[ \"$1\" = get ] || exit 2\ncat > {}\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"{USER}\",\"Secret\":\"{PASSWORD}\"}}' {addr}\n",
            asked.display()
        ),
    );
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();

    // Without credentials the mirror refuses.
    dir.write("anonymous/config.json", "{}");
    let out = lock(&dir, "anonymous");
    assert!(!out.status.success(), "an anonymous lock succeeded");
    let refused = String::from_utf8_lossy(&out.stderr).to_lowercase();
    assert!(
        refused.contains(&addr.to_string())
            && [
                "401",
                "unauthori",
                "not authorized",
                "authenticat",
                "denied"
            ]
            .iter()
            .any(|w| refused.contains(w)),
        "refused for want of credentials, naming the registry: {refused}"
    );

    dir.write(
        "docker/config.json",
        &format!(r#"{{"auths": {{"{addr}": {{}}}}, "credHelpers": {{"{addr}": "ferrytest"}}}}"#),
    );
    let out = lock(&dir, "docker");
    assert!(
        out.status.success(),
        "lock with the helper's credentials: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&asked).unwrap(), addr.to_string());
    let lockfile = std::fs::read_to_string(dir.path("ferry.lock")).unwrap();
    assert!(lockfile.contains(&image.manifest.digest), "{lockfile}");

    // A helper that is not installed is named, with the host, and the pull goes on without.
    dir.write(
        "missing/config.json",
        &format!(r#"{{"credHelpers": {{"{addr}": "not-installed"}}}}"#),
    );
    let out = lock(&dir, "missing");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("docker-credential-not-installed"),
        "{stderr}"
    );
    assert!(stderr.contains(&addr.to_string()), "{stderr}");
}
