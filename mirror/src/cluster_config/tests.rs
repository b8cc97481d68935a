use std::path::PathBuf;

use rstest::rstest;

use super::*;

const CA_PEM: &str = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";

fn hosts() -> Vec<String> {
    upstream_hosts([
        "docker.io/library/nginx",
        "docker.io/bitnami/redis",
        "registry.k8s.io/pause",
        "localhost:5000/dev/app",
        "charts/ingress-nginx",
        "files/readme",
        "spectro-packs/cni-calico",
        "library/not-a-host",
    ])
}

fn render(runtime: Runtime, ca: bool) -> String {
    let mirror = Mirror::parse("https://mirror.enclave:5443").unwrap();
    let ca_cert = CaCert {
        path: PathBuf::from("/etc/ferry/ca.crt"),
        pem: CA_PEM.to_owned(),
    };
    let files = generate(runtime, &hosts(), &mirror, ca.then_some(&ca_cert)).unwrap();
    files
        .iter()
        .map(|f| format!("=== {}\n{}", f.path.display(), f.content))
        .collect()
}

#[test]
fn hosts_are_the_registry_components_of_image_repositories() {
    assert_eq!(hosts(), ["docker.io", "localhost:5000", "registry.k8s.io"]);
}

#[rstest]
#[case::containerd(Runtime::Containerd, "containerd")]
#[case::k3s(Runtime::K3s, "k3s")]
#[case::rke2(Runtime::Rke2, "rke2")]
#[case::crio(Runtime::Crio, "crio")]
#[case::openshift(Runtime::Openshift, "openshift")]
fn snapshots(#[case] runtime: Runtime, #[case] name: &str) {
    insta::assert_snapshot!(format!("{name}_with_ca"), render(runtime, true));
    insta::assert_snapshot!(format!("{name}_without_ca"), render(runtime, false));
}

#[test]
fn generated_yaml_and_toml_parse() {
    for runtime in [Runtime::K3s, Runtime::Openshift] {
        for line in render(runtime, true)
            .split("=== ")
            .filter(|s| !s.is_empty())
        {
            let (_, body) = line.split_once('\n').unwrap();
            let parsed: Result<serde_json::Value, _> = serde_saphyr::from_str(body);
            assert!(parsed.is_ok(), "{runtime:?}: {parsed:?}\n{body}");
        }
    }
}

#[test]
fn plain_http_mirror_is_marked_insecure_for_containers_image() {
    let mirror = Mirror::parse("http://10.0.0.5:5000/").unwrap();
    assert_eq!(mirror.url(), "http://10.0.0.5:5000");
    let files = generate(Runtime::Crio, &hosts(), &mirror, None).unwrap();
    assert_eq!(files[0].content.matches("insecure = true").count(), 2);
}

#[rstest]
#[case::no_scheme("mirror.enclave:5443")]
#[case::ftp("ftp://mirror.enclave")]
#[case::path("https://mirror.enclave/v2")]
#[case::quote("https://mirror\".enclave")]
#[case::newline("https://mirror\n.enclave")]
#[case::userinfo("https://user@mirror.enclave")]
#[case::empty_port("https://mirror.enclave:")]
#[case::empty("https://")]
fn rejects_bad_mirror_urls(#[case] url: &str) {
    assert_eq!(
        Mirror::parse(url),
        Err(ClusterConfigError::MirrorUrl(url.to_owned()))
    );
}

#[rstest]
#[case::traversal("../../etc")]
#[case::dots("..")]
#[case::slash("docker.io/evil")]
#[case::quote("docker.io\"]\n[host.\"evil")]
#[case::newline("a.b\nserver = \"x\"")]
#[case::no_dot("library")]
#[case::empty("")]
#[case::bad_port("registry.io:http")]
fn rejects_hostile_hosts(#[case] host: &str) {
    let mirror = Mirror::parse("https://mirror.enclave:5443").unwrap();
    let err = generate(Runtime::Containerd, &[host.to_owned()], &mirror, None).unwrap_err();
    assert_eq!(err, ClusterConfigError::Host(host.to_owned()));
    if !host.contains('/') {
        assert!(upstream_hosts([format!("{host}/x/y").as_str()]).is_empty());
    }
}

#[test]
fn ca_paths_are_quoted_and_control_characters_refused() {
    let mirror = Mirror::parse("https://mirror.enclave:5443").unwrap();
    let odd = CaCert {
        path: PathBuf::from("/etc/ferry/my \"ca\".crt"),
        pem: CA_PEM.to_owned(),
    };
    let files = generate(Runtime::Containerd, &hosts(), &mirror, Some(&odd)).unwrap();
    assert!(files[0]
        .content
        .contains(r#"ca = "/etc/ferry/my \"ca\".crt""#));
    let bad = CaCert {
        path: PathBuf::from("/etc/ferry/ca\n.crt"),
        pem: CA_PEM.to_owned(),
    };
    assert!(matches!(
        generate(Runtime::K3s, &hosts(), &mirror, Some(&bad)),
        Err(ClusterConfigError::CaPath(_))
    ));
    assert_eq!(
        generate(Runtime::K3s, &[], &mirror, None),
        Err(ClusterConfigError::NoHosts)
    );
}
