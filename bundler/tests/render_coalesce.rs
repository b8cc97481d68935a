//! Helm's values coalescing, with the cases of Helm's own `coalesce_test.go` (TestCoalesceValues,
//! TestMergeValues, TestCoalesceTables) rewritten as tables over ferry's renderer.

use ferry_bundler::render::{
    coalesce_tables, coalesce_values, merge_user_layers, merge_values, Chart, Metadata,
};
use rstest::rstest;
use serde_json::{json, Value};

fn chart(name: &str, values: Value, subcharts: Vec<Chart>) -> Chart {
    Chart {
        metadata: Metadata {
            name: name.into(),
            ..Metadata::default()
        },
        values,
        subcharts,
        ..Chart::default()
    }
}

/// Helm's moby → pequod → ahab, and spouter, chart tree.
fn moby() -> Chart {
    let ahab = chart(
        "ahab",
        json!({
            "global": {"nested": {"foo": "bar", "foo2": "bar2"}, "nested2": {"l2": "ahab"}},
            "scope": "ahab", "name": "ahab", "boat": true,
            "nested": {"foo": false, "boat": true},
            "object": {"foo": "bar"}
        }),
        vec![],
    );
    let pequod = chart(
        "pequod",
        json!({
            "name": "pequod", "scope": "pequod",
            "global": {"nested2": {"l1": "pequod"}},
            "boat": false,
            "ahab": {"boat": false, "nested": {"boat": false}}
        }),
        vec![ahab],
    );
    let spouter = chart(
        "spouter",
        json!({"scope": "spouter", "global": {"nested2": {"l1": "spouter"}}}),
        vec![],
    );
    chart(
        "moby",
        json!({
            "back": "exists", "bottom": "exists", "front": "exists", "left": "exists",
            "name": "moby", "nested": {"boat": true}, "override": "bad", "right": "exists",
            "scope": "moby", "top": "nope",
            "global": {"nested2": {"l0": "moby"}},
            "pequod": {"boat": "maybe", "ahab": {"boat": "maybe", "nested": {"boat": "maybe"}}}
        }),
        vec![pequod, spouter],
    )
}

/// The user's values of Helm's test, YAML with every spelling of null.
const USER_VALUES: &str = r#"
top: yup
bottom: null
right: Null
left: NULL
front: ~
back: ""
nested:
  boat: null

global:
  name: Ishmael
  subject: Queequeg
  nested:
    boat: true

pequod:
  boat: null
  global:
    name: Stinky
    harpooner: Tashtego
    nested:
      boat: false
      sail: true
      foo2: null
  ahab:
    scope: whale
    boat: null
    nested:
      foo: true
      boat: null
    object: null
"#;

fn user_values() -> Value {
    serde_saphyr::from_str(USER_VALUES).expect("test values parse")
}

fn at<'a>(values: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(values, |v, k| v.get(k))
}

#[rstest]
#[case("top", Some(json!("yup")))]
#[case("back", Some(json!("")))]
#[case("name", Some(json!("moby")))]
#[case("global.name", Some(json!("Ishmael")))]
#[case("global.subject", Some(json!("Queequeg")))]
#[case("global.harpooner", None)]
#[case("pequod.name", Some(json!("pequod")))]
#[case("pequod.ahab.name", Some(json!("ahab")))]
#[case("pequod.ahab.scope", Some(json!("whale")))]
#[case("pequod.ahab.nested.foo", Some(json!(true)))]
#[case("pequod.ahab.global.name", Some(json!("Ishmael")))]
#[case("pequod.ahab.global.nested.foo", Some(json!("bar")))]
#[case("pequod.ahab.global.subject", Some(json!("Queequeg")))]
#[case("pequod.ahab.global.harpooner", Some(json!("Tashtego")))]
#[case("pequod.global.name", Some(json!("Ishmael")))]
#[case("pequod.global.nested.foo", None)]
#[case("pequod.global.subject", Some(json!("Queequeg")))]
#[case("spouter.global.name", Some(json!("Ishmael")))]
#[case("spouter.global.harpooner", None)]
#[case("global.nested.boat", Some(json!(true)))]
#[case("pequod.global.nested.boat", Some(json!(true)))]
#[case("spouter.global.nested.boat", Some(json!(true)))]
#[case("pequod.global.nested.sail", Some(json!(true)))]
#[case("spouter.global.nested.sail", None)]
#[case("global.nested2.l0", Some(json!("moby")))]
#[case("global.nested2.l1", None)]
#[case("global.nested2.l2", None)]
#[case("pequod.global.nested2.l0", Some(json!("moby")))]
#[case("pequod.global.nested2.l1", Some(json!("pequod")))]
#[case("pequod.global.nested2.l2", None)]
#[case("pequod.ahab.global.nested2.l0", Some(json!("moby")))]
#[case("pequod.ahab.global.nested2.l1", Some(json!("pequod")))]
#[case("pequod.ahab.global.nested2.l2", Some(json!("ahab")))]
#[case("spouter.global.nested2.l0", Some(json!("moby")))]
#[case("spouter.global.nested2.l1", Some(json!("spouter")))]
#[case("spouter.global.nested2.l2", None)]
fn coalesce_values_as_helm(#[case] path: &str, #[case] want: Option<Value>) {
    let mut warnings = Vec::new();
    let values = coalesce_values(&moby(), &user_values(), &mut warnings);
    assert_eq!(at(&values, path), want.as_ref(), "{path}");
    // MergeValues gives the same answers for everything that is not null.
    let merged = merge_values(&moby(), &user_values(), &mut warnings);
    assert_eq!(at(&merged, path), want.as_ref(), "merged {path}");
}

#[rstest]
#[case("bottom")]
#[case("right")]
#[case("left")]
#[case("front")]
#[case("nested.boat")]
#[case("pequod.boat")]
#[case("pequod.ahab.boat")]
#[case("pequod.ahab.nested.boat")]
#[case("pequod.ahab.object")]
#[case("pequod.ahab.global.nested.foo2")]
fn coalescing_deletes_what_the_user_nulls(#[case] path: &str) {
    let mut warnings = Vec::new();
    let values = coalesce_values(&moby(), &user_values(), &mut warnings);
    assert_eq!(at(&values, path), None, "{path} should be gone");
}

#[rstest]
#[case("bottom")]
#[case("right")]
#[case("left")]
#[case("front")]
#[case("nested.boat")]
fn merging_keeps_nulls(#[case] path: &str) {
    let mut warnings = Vec::new();
    let values = merge_values(&moby(), &user_values(), &mut warnings);
    assert_eq!(at(&values, path), Some(&Value::Null), "{path}");
}

#[test]
fn coalescing_does_not_change_its_inputs() {
    let user = user_values();
    let tree = moby();
    let before = (user.clone(), tree.values.clone());
    let mut warnings = Vec::new();
    coalesce_values(&tree, &user, &mut warnings);
    assert_eq!((user, tree.values), before);
}

fn coalesce_tables_fixture(merge: bool) -> Value {
    let mut dst = json!({
        "name": "Ishmael",
        "address": {"street": "123 Spouter Inn Ct.", "city": "Nantucket", "country": null},
        "details": {"friends": ["Tashtego"]},
        "boat": "pequod",
        "hole": null
    });
    let src = json!({
        "occupation": "whaler",
        "address": {"state": "MA", "street": "234 Spouter Inn Ct.", "country": "US"},
        "details": "empty",
        "boat": {"mast": true},
        "hole": "black"
    });
    let mut warnings = Vec::new();
    let Value::Object(src) = src else {
        unreachable!()
    };
    coalesce_tables(dst.as_object_mut().unwrap(), src, "", merge, &mut warnings);
    assert_eq!(
        warnings.len(),
        2,
        "a table over a string and a string over a table: {warnings:?}"
    );
    dst
}

#[rstest]
#[case(false, "name", Some(json!("Ishmael")))]
#[case(false, "occupation", Some(json!("whaler")))]
#[case(false, "address.street", Some(json!("123 Spouter Inn Ct.")))]
#[case(false, "address.city", Some(json!("Nantucket")))]
#[case(false, "address.state", Some(json!("MA")))]
#[case(false, "address.country", None)]
#[case(false, "details.friends", Some(json!(["Tashtego"])))]
#[case(false, "boat", Some(json!("pequod")))]
#[case(false, "hole", None)]
#[case(true, "address.country", Some(Value::Null))]
#[case(true, "hole", Some(Value::Null))]
#[case(true, "address.state", Some(json!("MA")))]
fn coalesce_tables_as_helm(#[case] merge: bool, #[case] path: &str, #[case] want: Option<Value>) {
    let dst = coalesce_tables_fixture(merge);
    assert_eq!(at(&dst, path), want.as_ref(), "{path} (merge {merge})");
}

#[test]
fn a_user_null_for_a_key_without_default_stays_null() {
    // Helm 3.19/4: only a null over a default deletes; a null with nothing under it is kept.
    let mut dst = json!({"extra": null}).as_object().unwrap().clone();
    let src = json!({"other": 1}).as_object().unwrap().clone();
    coalesce_tables(&mut dst, src, "", false, &mut Vec::new());
    assert_eq!(Value::Object(dst), json!({"extra": null, "other": 1}));
}

#[rstest]
#[case(vec![json!({"a": {"b": 1, "c": 2}}), json!({"a": {"b": 3}})], json!({"a": {"b": 3, "c": 2}}))]
#[case(vec![json!({"a": {"b": 1}}), json!({"a": null})], json!({"a": null}))]
#[case(vec![json!({"a": [1, 2]}), json!({"a": [3]})], json!({"a": [3]}))]
#[case(vec![json!({"a": "x"}), json!({"a": {"b": 1}})], json!({"a": {"b": 1}}))]
#[case(vec![], json!({}))]
fn user_layers_merge_like_helm_values_options(#[case] layers: Vec<Value>, #[case] want: Value) {
    assert_eq!(merge_user_layers(&layers), want);
}

/// The user's map over a chart's scalar is kept with a warning; a user scalar over a chart's
/// map silently wins (Helm's coalesceValues).
#[rstest]
#[case(json!("nginx"), json!({"tag": "x"}), Some("skipped value for app.image: Not a table."))]
#[case(json!({"tag": "x"}), json!("nginx"), None)]
#[case(json!({"tag": "x"}), json!({"repository": "nginx"}), None)]
fn shapes_that_differ_keep_the_users_value(
    #[case] chart_default: Value,
    #[case] user_value: Value,
    #[case] warning: Option<&str>,
) {
    let tree = chart("app", json!({ "image": chart_default }), vec![]);
    let mut warnings = Vec::new();
    let values = coalesce_values(
        &tree,
        &json!({ "image": user_value.clone() }),
        &mut warnings,
    );
    if user_value.is_object() && tree.values["image"].is_object() {
        assert_eq!(values["image"], json!({"tag": "x", "repository": "nginx"}));
    } else {
        assert_eq!(values["image"], user_value);
    }
    assert_eq!(
        warnings,
        warning.map(str::to_owned).into_iter().collect::<Vec<_>>()
    );
}

#[test]
fn a_user_null_over_a_default_null_is_deleted() {
    // Helm 3.17.3 (`helm template -f`): `t: {n: null}` over defaults `t: {n: null}` has no `n`.
    let mut dst = json!({"n": null}).as_object().unwrap().clone();
    let src = json!({"n": null, "a": 1}).as_object().unwrap().clone();
    coalesce_tables(&mut dst, src, "", false, &mut Vec::new());
    assert_eq!(Value::Object(dst), json!({"a": 1}));
}
