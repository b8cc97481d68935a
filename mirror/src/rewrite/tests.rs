use rstest::rstest;

use super::*;

const MIRROR: &str = "mirror.enclave:5443";

fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/rewrite/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Each changed line, for the snapshot to show exactly what moved.
fn changes(r: &Rewritten) -> String {
    r.changes
        .iter()
        .map(|c| format!("{}: {} -> {}\n", c.line, c.from, c.to))
        .collect()
}

#[rstest]
#[case::kubernetes_manifests("deployment.yaml")]
#[case::helm_values("values.yaml")]
fn rewrites_fixture(#[case] name: &str) {
    let input = fixture(name);
    let r = rewrite(&input, MIRROR).unwrap();
    insta::assert_snapshot!(format!("{name}.changes"), changes(&r));
    insta::assert_snapshot!(name, r.text);

    // Only changed values differ: same line count, and every other line byte-identical.
    let before: Vec<&str> = input.lines().collect();
    let after: Vec<&str> = r.text.lines().collect();
    assert_eq!(before.len(), after.len());
    let changed: Vec<usize> = r.changes.iter().map(|c| c.line).collect();
    for (i, (b, a)) in before.iter().zip(&after).enumerate() {
        if !changed.contains(&(i + 1)) {
            assert_eq!(b, a, "line {} changed", i + 1);
        }
    }
    // The result still parses as YAML, and a second run changes nothing.
    for doc in r.text.split("\n---\n") {
        let parsed: Result<serde_json::Value, _> = serde_saphyr::from_str(doc);
        assert!(parsed.is_ok(), "{parsed:?}");
    }
    assert_eq!(rewrite(&r.text, MIRROR).unwrap().changes, vec![]);
}

#[test]
fn keeps_crlf_and_trailing_comments() {
    let r = rewrite("image: nginx:1.27 # web\r\nname: x\r\n", MIRROR).unwrap();
    assert_eq!(
        r.text,
        "image: mirror.enclave:5443/docker.io/library/nginx:1.27 # web\r\nname: x\r\n"
    );
}

#[rstest]
#[case::templated("image: {{ .Values.image }}\n")]
#[case::flow_map("image: {repository: nginx}\n")]
#[case::unterminated_quote("image: \"nginx:1\n")]
#[case::escaped("image: \"ngi\\x6ex:1\"\n")]
#[case::trailing_garbage("image: nginx:1 extra\n")]
#[case::url("image: https://example.com/a:1\n")]
#[case::traversal("image: ../../etc/passwd\n")]
#[case::upper_case("image: Nginx:1\n")]
#[case::empty("image: \"\"\n")]
#[case::registry_without_repository("registry: docker.io\n")]
#[case::registry_not_a_host("registry: local\nrepository: a/b\n")]
#[case::multibyte("image: ngïnx:1\n")]
#[case::nul("image: nginx\0:1\n")]
fn leaves_non_references_alone(#[case] input: &str) {
    let r = rewrite(input, MIRROR).unwrap();
    assert_eq!(r.text, input);
    assert!(r.changes.is_empty());
}

#[rstest]
#[case::path("mirror.enclave/v2")]
#[case::scheme("https://mirror.enclave")]
#[case::bare_word("mirror")]
#[case::newline("mirror.enclave\nimage: x")]
fn rejects_bad_mirrors(#[case] mirror: &str) {
    assert_eq!(
        rewrite("image: nginx\n", mirror),
        Err(RewriteError::Mirror(mirror.to_owned()))
    );
}

#[test]
fn siblings_are_found_only_within_one_mapping() {
    // `a.registry` and `b.repository` are in different mappings: the repository is prefixed
    // itself and the lone registry is left alone.
    let input = "a:\n  registry: docker.io\nb:\n  repository: x/y\n";
    let r = rewrite(input, MIRROR).unwrap();
    assert_eq!(
        r.text,
        "a:\n  registry: docker.io\nb:\n  repository: mirror.enclave:5443/docker.io/x/y\n"
    );
    // Separate sequence items are separate mappings too.
    let input = "- registry: quay.io\n  name: a\n- repository: x/y\n";
    let r = rewrite(input, MIRROR).unwrap();
    assert_eq!(
        r.text,
        "- registry: quay.io\n  name: a\n- repository: mirror.enclave:5443/docker.io/x/y\n"
    );
}

proptest::proptest! {
    /// Arbitrary text (biased towards YAML-ish lines) never panics, keeps its line count, and a
    /// second pass changes nothing.
    #[test]
    fn arbitrary_text_is_safe_and_idempotent(
        lines in proptest::collection::vec(
            "( |-|  - )*(image|repository|registry|name|x)?(:)?( )*(\"|')?[a-z0-9./:@-]{0,20}(\"|')?( #.*)?(\r)?",
            0..12,
        )
    ) {
        let text = lines.join("\n");
        let once = rewrite(&text, MIRROR).unwrap();
        proptest::prop_assert_eq!(once.text.lines().count(), text.lines().count());
        let twice = rewrite(&once.text, MIRROR).unwrap();
        proptest::prop_assert_eq!(twice.changes, vec![]);
    }
}
