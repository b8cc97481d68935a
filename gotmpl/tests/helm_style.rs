//! Helm-style templates: helpers in `define`, `template`/`include` calls with built contexts,
//! whitespace trimming, `tpl`, later definitions overriding earlier ones, and the bounds that
//! keep hostile charts from exhausting the machine. Expected outputs are worked out from Go's
//! semantics by hand.

mod common;

use common::*;
use ferry_gotmpl::{Templates, Value};
use rstest::rstest;

fn values() -> Value {
    Value::from_json(&serde_json::json!({
        "Values": {
            "image": {"registry": "docker.io", "repository": "bitnami/nginx", "tag": "1.25"},
            "replicas": 3,
            "labels": {"app": "web", "tier": "front"},
            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
            "tplValue": "{{ .Values.image.repository }}:{{ .Values.image.tag }}",
            "empty": {}
        },
        "Release": {"Name": "rel", "Namespace": "ns"}
    }))
}

fn render(files: &[(&str, &str)], name: &str, data: &Value) -> Result<String, String> {
    let funcs = funcs();
    let mut set = Templates::new();
    for (file, text) in files {
        set.parse(file, text, &funcs).map_err(|e| e.to_string())?;
    }
    set.execute(name, data, &funcs).map_err(|e| e.to_string())
}

const HELPERS: &str = r#"{{/* Image reference. */}}
{{- define "chart.image" -}}
{{- $registry := .Values.image.registry -}}
{{- if $registry -}}
{{ $registry }}/{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end -}}
{{- end -}}

{{- define "chart.labels" -}}
{{- range $k, $v := .Values.labels }}
{{ $k }}: {{ $v | quote }}
{{- end }}
{{- end -}}

{{- define "chart.fullname" -}}
{{- printf "%s-%s" .Release.Name "web" | trunc63 -}}
{{- end -}}
"#;

#[rstest]
#[case::include_image(
    "image: {{ include \"chart.image\" . }}",
    ok("image: docker.io/bitnami/nginx:1.25")
)]
#[case::template_image(
    "image: {{ template \"chart.image\" . }}",
    ok("image: docker.io/bitnami/nginx:1.25")
)]
#[case::labels_block(
    "metadata:\n  labels:{{ include \"chart.labels\" . | indent2 }}\n",
    ok("metadata:\n  labels:\n  app: \"web\"\n  tier: \"front\"\n")
)]
#[case::trim_both_sides("a:\n  {{- \" b\" }}\n  {{- /* gone */ -}}\n  c", ok("a: bc"))]
#[case::env_range(
    "{{- range .Values.env }}\n- name: {{ .name }}\n  value: {{ .value | quote }}\n{{- end }}",
    ok("\n- name: A\n  value: \"1\"\n- name: B\n  value: \"2\"")
)]
#[case::replicas_float("replicas: {{ .Values.replicas }}", ok("replicas: 3"))]
#[case::float_eq_int_fails(
    "{{ if eq .Values.replicas 3 }}x{{ end }}",
    err("error calling eq: incompatible types for comparison")
)]
#[case::float_eq_float("{{ if eq .Values.replicas 3.0 }}three{{ end }}", ok("three"))]
#[case::nil_safe_parens("[{{ (.Values.missing).field }}]", ok("[<no value>]"))]
#[case::missing_nested_fails("{{ .Values.missing.field }}", err("template: page.yaml:1:10: executing \"page.yaml\" at <.Values.missing.fiel...>: nil pointer evaluating interface {}.field"))]
#[case::field_on_string_fails(
    "{{ .Values.image.tag.x }}",
    err("can't evaluate field x in type interface {}")
)]
#[case::with_else("{{ with .Values.empty }}full{{ else }}empty{{ end }}", ok("empty"))]
#[case::dict_like_context(
    "{{ template \"chart.image\" (makemap \"Values\" .Values) }}",
    ok("docker.io/bitnami/nginx:1.25")
)]
#[case::tpl_value("{{ tpl .Values.tplValue . }}", ok("bitnami/nginx:1.25"))]
#[case::tpl_define_then_include(
    "{{ tpl \"{{ define \\\"t.x\\\" }}X{{ end }}{{ include \\\"t.x\\\" . }}\" . }}",
    ok("X")
)]
#[case::tpl_strips_no_value("[{{ tpl \"{{ .nothing }}\" . }}]", ok("[]"))]
#[case::tpl_parse_error("{{ tpl \"{{ nope }}\" . }}", err("error calling tpl: cannot parse template \"{{ nope }}\": template: page.yaml:1: function \"nope\" not defined"))]
#[case::tpl_exec_error_names_file("{{ tpl \"{{ .a.b.c }}\" . }}", err("error during tpl function execution for \"{{ .a.b.c }}\": template: page.yaml:1:5: executing \"page.yaml\" at <.a.b.c>: nil pointer evaluating interface {}.b"))]
#[case::include_missing(
    "{{ include \"nope\" . }}",
    err(
        "error calling include: template: no template \"nope\" associated with template \"gotpl\""
    )
)]
#[case::template_missing("{{ template \"nope\" . }}", err("template: page.yaml:1:12: executing \"page.yaml\" at <{{template \"nope\" .}...>: template \"nope\" not defined"))]
#[case::include_error_chain("{{ include \"bad\" . }}", err("template: page.yaml:1:3: executing \"page.yaml\" at <include \"bad\" .>: error calling include: template: bad.tpl:1:28: executing \"bad\" at <.Values.nope.x>: nil pointer evaluating interface {}.x"))]
#[case::include_recursion_bounded(
    "{{ include \"loop\" . }}",
    err("rendering template has a nested reference name: loop: unable to execute template")
)]
#[case::template_recursion_bounded(
    "{{ template \"tloop\" . }}",
    err("exceeded maximum template depth")
)]
#[case::output_bounded("{{ include \"big\" . }}", err("output exceeds 64 MiB"))]
#[case::block_default(
    "{{ block \"blk\" . }}default {{ .Release.Name }}{{ end }}",
    ok("default rel")
)]
fn helm_style(#[case] page: &str, #[case] want: Result<&str, &str>) {
    let files = [
        ("_helpers.tpl", HELPERS),
        ("bad.tpl", "{{ define \"bad\" }}{{ .Values.nope.x }}{{ end }}"),
        ("loop.tpl", "{{ define \"loop\" }}{{ include \"loop\" . }}{{ end }}{{ define \"tloop\" }}{{ template \"tloop\" . }}{{ end }}"),
        (
            "big.tpl",
            "{{ define \"big\" }}{{ range 100000 }}0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789{{ end }}{{ end }}",
        ),
        ("page.yaml", page),
    ];
    let got = render(&files, "page.yaml", &values());
    match (&got, want) {
        (Ok(out), Ok(w)) => assert_eq!(out, w),
        (Err(e), Err(w)) => assert!(e.contains(w), "error {e:?} lacks {w:?}"),
        _ => panic!("got {got:?}, want {want:?}"),
    }
}

fn ok(s: &str) -> Result<&str, &str> {
    Ok(s)
}

fn err(s: &str) -> Result<&str, &str> {
    Err(s)
}

#[test]
fn later_definitions_replace_earlier_ones_but_empty_ones_do_not() {
    let got = render(
        &[
            (
                "a.tpl",
                "{{ define \"x\" }}first{{ end }}{{ define \"y\" }}kept{{ end }}",
            ),
            (
                "b.tpl",
                "{{ define \"x\" }}second{{ end }}{{ define \"y\" }} {{ end }}",
            ),
            ("page", "{{ template \"x\" }} {{ template \"y\" }}"),
        ],
        "page",
        &Value::Nil,
    );
    assert_eq!(got.as_deref(), Ok("second kept"));
}

#[test]
fn two_definitions_in_one_text_are_an_error() {
    let got = render(
        &[(
            "a.tpl",
            "{{ define \"x\" }}1{{ end }}{{ define \"x\" }}2{{ end }}",
        )],
        "a.tpl",
        &Value::Nil,
    );
    assert_eq!(
        got,
        Err("template: a.tpl:1: template: multiple definition of template \"x\"".into())
    );
}

#[test]
fn maps_are_shared_so_a_helper_can_change_the_callers_context() {
    // Sprig's `set` mutates the map in place; `makemap` builds a map that a later stage sees.
    let got = render(
        &[(
            "p",
            "{{ $m := makemap \"a\" \"1\" }}{{ $n := $m }}{{ $n.a }}",
        )],
        "p",
        &Value::Nil,
    );
    assert_eq!(got.as_deref(), Ok("1"));
}

#[test]
fn names_lists_every_template_sorted() {
    let funcs = funcs();
    let mut set = Templates::new();
    set.parse("f", HELPERS, &funcs).unwrap();
    assert_eq!(
        set.names(),
        ["chart.fullname", "chart.image", "chart.labels", "f"]
    );
    assert!(set.contains("chart.image"));
    assert!(!set.contains("nope"));
}

#[test]
fn a_map_that_holds_itself_prints_finitely() {
    // `set $m "self" $m` makes such a map in a chart; Go would recurse until it crashed.
    let m = Value::new_map();
    if let Value::Map(inner) = &m {
        inner.borrow_mut().insert("self".into(), m.clone());
    }
    let out = render(&[("p", "{{ . }}")], "p", &m).unwrap();
    assert!(out.starts_with("map[self:map[self:"), "{out}");
    assert!(out.contains("<nested too deep>"));
    assert_eq!(out.matches("map[").count(), 100);
    // Break the cycle so the test does not leak it.
    if let Value::Map(inner) = &m {
        inner.borrow_mut().clear();
    }
}
