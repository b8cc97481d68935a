//! Profile `variables:`: parsed strictly, each mistake reported at its file and line.

use std::path::Path;

use ferry_bundler::format::profile_definition::VariableType;
use ferry_bundler::profile::{Profile, ProfileError};
use rstest::rstest;
use serde_json::json;

fn profile(variables: &str) -> String {
    format!(
        "name: site\nversion: 1.0.0\ntype: infra\nvariables:\n{variables}layers:\n  - name: a\n    kind: addon\n    sources:\n      - images: [busybox:1.36]\n"
    )
}

fn parse(text: &str) -> Result<Profile, ProfileError> {
    Profile::parse(Path::new("p/site.yaml"), text)
}

#[test]
fn variables_of_every_type_are_read() {
    let p = parse(&profile(concat!(
        "  - name: site\n    type: string\n    pattern: '[a-z0-9-]+'\n    required: true\n    description: Site name\n",
        "  - {name: replicas, type: number, default: 3}\n",
        "  - {name: debug, type: bool, default: false, secret: true}\n",
    )))
    .unwrap();
    let vars: Vec<_> = p.variables.iter().map(|v| &v.0).collect();
    assert_eq!(vars.len(), 3);
    assert_eq!(vars[0].name, "site");
    assert_eq!(vars[0].var_type, VariableType::String);
    assert_eq!(vars[0].pattern.as_deref(), Some("[a-z0-9-]+"));
    assert!(vars[0].required && !vars[0].secret);
    assert_eq!(vars[0].description.as_deref(), Some("Site name"));
    assert_eq!(vars[1].default, Some(json!(3)));
    assert_eq!(vars[2].default, Some(json!(false)));
    assert!(vars[2].secret);
}

#[test]
fn a_profile_without_variables_has_none() {
    let text = "name: s\nversion: 1\ntype: infra\nlayers:\n  - {name: a, kind: addon, sources: [{images: [busybox:1.36]}]}\n";
    assert!(parse(text).unwrap().variables.is_empty());
}

#[rstest]
#[case::bad_name(
    "  - {name: 1site, type: string}\n",
    "variable \"1site\": a variable name"
)]
#[case::dash_name("  - {name: my-site, type: string}\n", "variable \"my-site\"")]
#[case::string_default_for_number(
    "  - {name: n, type: number, default: \"3\"}\n",
    "default \"3\" is not a number"
)]
#[case::number_default_for_bool(
    "  - {name: b, type: bool, default: 1}\n",
    "default 1 is not a bool"
)]
#[case::bool_default_for_string(
    "  - {name: s, type: string, default: true}\n",
    "default true is not a string"
)]
#[case::bad_pattern(
    "  - {name: s, type: string, pattern: '[a-z'}\n",
    "pattern \"[a-z\" is not a valid regular expression"
)]
#[case::pattern_on_number(
    "  - {name: n, type: number, pattern: '[0-9]+'}\n",
    "a pattern applies only to string variables"
)]
#[case::default_not_matching(
    "  - {name: s, type: string, pattern: '[a-z]+', default: North}\n",
    "default \"North\" does not match the pattern"
)]
#[case::unknown_type("  - {name: s, type: list}\n", "list")]
#[case::unknown_field("  - {name: s, type: string, secrett: true}\n", "secrett")]
#[case::duplicate(
    "  - {name: s, type: string}\n  - {name: s, type: bool}\n",
    "variable \"s\" is declared twice"
)]
fn bad_variables_are_refused_with_file_and_line(#[case] vars: &str, #[case] expected: &str) {
    let err = parse(&profile(vars)).unwrap_err();
    let text = err.to_string();
    assert!(text.contains(expected), "{text}");
    match err {
        ProfileError::Parse { path, line, .. } => {
            assert_eq!(path, Path::new("p/site.yaml"));
            assert!(
                (5..=6).contains(&line),
                "line {line} points into the variables: {text}"
            );
        }
        other => panic!("not a parse error with a position: {other}"),
    }
}

#[test]
fn the_fleet_test_profiles_load_with_their_variable() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/fleet");
    for (dir, version, replicas) in [("v1", "1.0.0", 2), ("v2", "1.1.0", 3)] {
        let profiles = ferry_bundler::profile::load_dir(&root.join(dir)).unwrap();
        let [p] = profiles.as_slice() else {
            panic!("{dir}: one profile")
        };
        assert_eq!(
            (p.name.as_str(), p.version.as_str()),
            ("edge-infra", version)
        );
        let site = &p.variables[0].0;
        assert_eq!(site.name, "site");
        assert!(site.required);
        let re = ferry_bundler::profile::full_match(site.pattern.as_deref().unwrap()).unwrap();
        assert!(re.is_match("north-07") && !re.is_match("North 07"));
        let ferry_bundler::profile::Source::Chart(chart) = &p.layers[0].sources[0] else {
            panic!("{dir}: podinfo chart first")
        };
        assert!(chart.path.as_ref().unwrap().join("Chart.yaml").is_file());
        assert_eq!(chart.set.as_ref().unwrap()["replicaCount"], json!(replicas));
    }
}
