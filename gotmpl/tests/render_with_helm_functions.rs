//! End to end: Helm's function map through the template engine, as charts call it
//! (pipelines, `include` and `tpl` through the running set, contexts built with `dict`/`set`).

use ferry_gotmpl::{helm, Templates, Value};
use rstest::rstest;

fn values(json: &str) -> Value {
    let values = Value::from_json(&serde_json::from_str(json).expect("test json"));
    Value::map_from([("Values".to_string(), values)])
}

const HELPERS: &str = r#"{{- define "chart.image" -}}
{{- $registry := .root.Values.global.registry | default "docker.io" -}}
{{ $registry }}/{{ .image.repository }}:{{ .image.tag | default "latest" }}
{{- end -}}
{{- define "chart.labels" -}}
app: {{ .Values.name | quote }}
tier: {{ .Values.tier | default "web" }}
{{- end -}}
{{- define "chart.config" -}}
a: 1
list: [x, y]
{{- end -}}"#;

fn render(template: &str, data: &Value) -> Result<String, String> {
    let funcs = helm::functions();
    let mut set = Templates::new();
    set.parse("chart/templates/_helpers.tpl", HELPERS, &funcs)
        .map_err(|e| e.to_string())?;
    set.parse("chart/templates/t.yaml", template, &funcs)
        .map_err(|e| e.to_string())?;
    set.execute("chart/templates/t.yaml", data, &funcs)
        .map_err(|e| e.to_string())
}

const VALUES: &str = r#"{
  "name": "web",
  "global": {"registry": "registry.example.com"},
  "app": {"image": {"repository": "org/app", "tag": "1.2.3"}},
  "side": {"image": {"repository": "org/side"}},
  "resources": {"limits": {"cpu": "100m", "memory": 128}},
  "list": ["b", "", "a", "b"],
  "replicas": 3,
  "t": "{{ .Values.name }}-suffix",
  "kube": "v1.25.3-gke.1302"
}"#;

#[rstest]
#[case(
    r#"{{ include "chart.image" (dict "root" $ "image" .Values.app.image) }}"#,
    "registry.example.com/org/app:1.2.3"
)]
#[case(
    r#"{{ include "chart.image" (dict "root" . "image" .Values.side.image) }}"#,
    "registry.example.com/org/side:latest"
)]
#[case(
    r#"{{ template "chart.image" (dict "root" . "image" .Values.app.image) }}"#,
    "registry.example.com/org/app:1.2.3"
)]
#[case(
    "labels:\n  {{- include \"chart.labels\" . | nindent 2 }}",
    "labels:\n  app: \"web\"\n  tier: web"
)]
#[case(r#"{{ tpl .Values.t . }}"#, "web-suffix")]
#[case(
    r#"{{ toYaml .Values.resources | indent 2 }}"#,
    "  limits:\n    cpu: 100m\n    memory: 128"
)]
#[case(r#"{{ .Values.list | compact | uniq | sortAlpha | join "," }}"#, "a,b")]
#[case(
    r#"{{ $d := dict "a" 1 }}{{ $_ := set $d "b" 2 }}{{ $d | toJson }}"#,
    r#"{"a":1,"b":2}"#
)]
#[case(
    r#"{{ $_ := unset .Values "list" }}{{ hasKey .Values "list" }}"#,
    "false"
)]
#[case(r#"{{ if semverCompare ">=1.21-0" .Values.kube }}networking.k8s.io/v1{{ else }}extensions/v1beta1{{ end }}"#, "networking.k8s.io/v1")]
#[case(r#"{{ semverCompare "<1.22" .Values.kube }}"#, "false")]
#[case(r#"{{ .Values.missing | default "fallback" }}"#, "fallback")]
#[case(r#"{{ ternary "on" "off" (eq .Values.name "web") }}"#, "on")]
#[case(r#"{{ .Values.replicas | int | add 1 }}"#, "4")]
#[case(r#"{{ .Values.replicas }} {{ mulf .Values.replicas 1.5 }}"#, "3 4.5")]
// YAML 1.1, as Helm reads it: a bare `y` is true.
#[case(
    r#"{{ (fromYaml (include "chart.config" .)).list | toJson }}"#,
    r#"["x",true]"#
)]
#[case(
    r#"{{ merge (dict "tier" "api") (dict "tier" "web" "x" 1) | toJson }}"#,
    r#"{"tier":"api","x":1}"#
)]
#[case(r#"{{ lookup "v1" "Secret" "ns" "name" | toYaml }}"#, "{}")]
#[case(r#"{{ now | date "2006-01-02" }}"#, "2025-01-01")]
#[case(
    r#"{{ printf "%s-%d" .Values.name (add 1 2) | trunc 5 | upper }}"#,
    "WEB-3"
)]
#[case(
    r#"{{- range $k, $v := .Values.app.image }}{{ $k }}={{ $v }};{{ end }}"#,
    "repository=org/app;tag=1.2.3;"
)]
#[case(
    r#"{{ list "a" "b" | last }}{{ index (list 1 2) 0 }}{{ .Values.list | len }}"#,
    "b14"
)]
#[case(r#"{{ "a.b.c" | splitList "." | rest | join "/" }}"#, "b/c")]
#[case(r#"{{ .Values.name | sha256sum | trunc 8 }}"#, "4b5e57f6")]
#[case(
    r#"{{ regexReplaceAll "[^a-z0-9-]" "My_App.v2" "-" | lower }}"#,
    "-y--pp-v2"
)]
#[case(r#"{{ required "name is required" .Values.name }}"#, "web")]
fn charts_render_with_helm_functions(#[case] template: &str, #[case] want: &str) {
    assert_eq!(
        render(template, &values(VALUES)).unwrap(),
        want,
        "{template}"
    );
}

#[rstest]
#[case(
    r#"{{ required "A valid .Values.who entry required!" .Values.who }}"#,
    "A valid .Values.who entry required!"
)]
#[case(
    r#"{{ fail "chart cannot run without a license" }}"#,
    "chart cannot run without a license"
)]
#[case(
    r#"{{ .Values.replicas | until }}"#,
    "wrong type for value; expected int; got interface {}"
)]
#[case(r#"{{ first "x" }}"#, "Cannot find first on type string")]
fn chart_errors_carry_the_message(#[case] template: &str, #[case] want: &str) {
    let err = render(template, &values(VALUES)).unwrap_err();
    assert!(err.contains(want), "{err}");
    assert!(err.contains("chart/templates/t.yaml"), "{err}");
}

/// sprig's own template tests (Masterminds/sprig *_test.go), run through the engine with
/// Helm's function map and no data.
#[rstest]
#[case::defaults(r#"{{ coalesce 1 }}"#, "1")]
#[case::defaults(r#"{{ coalesce "" 0 nil 2 }}"#, "2")]
#[case::defaults(r#"{{ $two := 2 }}{{ coalesce "" 0 nil $two }}"#, "2")]
#[case::defaults(r#"{{ $two := 2 }}{{ coalesce "" $two 0 0 0 }}"#, "2")]
#[case::defaults(r#"{{ $two := 2 }}{{ coalesce "" $two 3 4 5 }}"#, "2")]
#[case::defaults(r#"{{ coalesce }}"#, "<no value>")]
#[case::defaults(r#"{{ all 1 }}"#, "true")]
#[case::defaults(r#"{{ all "" 0 nil 2 }}"#, "false")]
#[case::defaults(r#"{{ $two := 2 }}{{ all "" 0 nil $two }}"#, "false")]
#[case::defaults(r#"{{ $two := 2 }}{{ all "" $two 0 0 0 }}"#, "false")]
#[case::defaults(r#"{{ $two := 2 }}{{ all "" $two 3 4 5 }}"#, "false")]
#[case::defaults(r#"{{ all }}"#, "true")]
#[case::defaults(r#"{{ any 1 }}"#, "true")]
#[case::defaults(r#"{{ any "" 0 nil 2 }}"#, "true")]
#[case::defaults(r#"{{ $two := 2 }}{{ any "" 0 nil $two }}"#, "true")]
#[case::defaults(r#"{{ $two := 2 }}{{ any "" $two 3 4 5 }}"#, "true")]
#[case::defaults(r#"{{ $zero := 0 }}{{ any "" $zero 0 0 0 }}"#, "false")]
#[case::defaults(r#"{{ any }}"#, "false")]
#[case::dict(r#"{{ dict "foo" 1 "bar" 2 | keys | sortAlpha }}"#, "[bar foo]")]
#[case::dict(r#"{{ dict | keys }}"#, "[]")]
#[case::dict(
    r#"{{ keys (dict "foo" 1) (dict "bar" 2) (dict "bar" 3) | uniq | sortAlpha }}"#,
    "[bar foo]"
)]
#[case::dict(
    r#"{{- $d := dict "one" 1 "two" 222222 }}{{ pick $d "two" | len -}}"#,
    "1"
)]
#[case::dict(
    r#"{{- $d := dict "one" 1 "two" 222222 }}{{ pick $d "two" -}}"#,
    "map[two:222222]"
)]
#[case::dict(
    r#"{{- $d := dict "one" 1 "two" 222222 }}{{ pick $d "one" "two" | len -}}"#,
    "2"
)]
#[case::dict(
    r#"{{- $d := dict "one" 1 "two" 222222 }}{{ pick $d "one" "two" "three" | len -}}"#,
    "2"
)]
#[case::dict(r#"{{- $d := dict }}{{ pick $d "two" | len -}}"#, "0")]
#[case::dict(
    r#"{{- $d := dict "one" 1 "two" 222222 }}{{ omit $d "one" | len -}}"#,
    "1"
)]
#[case::dict(
    r#"{{- $d := dict "one" 1 "two" 222222 }}{{ omit $d "one" -}}"#,
    "map[two:222222]"
)]
#[case::dict(
    r#"{{- $d := dict "one" 1 "two" 222222 }}{{ omit $d "one" "two" | len -}}"#,
    "0"
)]
#[case::dict(
    r#"{{- $d := dict "one" 1 "two" 222222 }}{{ omit $d "two" "three" | len -}}"#,
    "1"
)]
#[case::dict(r#"{{- $d := dict }}{{ omit $d "two" | len -}}"#, "0")]
#[case::dict(r#"{{- $d := dict "one" 1 }}{{ get $d "one" -}}"#, "1")]
#[case::dict(r#"{{- $d := dict "one" 1 "two" "2" }}{{ get $d "two" -}}"#, "2")]
#[case::dict(r#"{{- $d := dict }}{{ get $d "two" -}}"#, "")]
#[case::dict(
    r#"{{- $d := dict "a" 1 "b" 2 }}{{ values $d | sortAlpha | join "," }}"#,
    "1,2"
)]
#[case::dict(
    r#"{{- $d := dict "a" "first" "b" 2 }}{{ values $d | sortAlpha | join "," }}"#,
    "2,first"
)]
#[case::dict(
    r#"{{- $d := dict "a" 1 "b" 2 | deepCopy }}{{ values $d | sortAlpha | join "," }}"#,
    "1,2"
)]
#[case::dict(
    r#"{{- $d := dict "a" 1 "b" 2 | deepCopy }}{{ keys $d | sortAlpha | join "," }}"#,
    "a,b"
)]
#[case::dict(
    r#"{{- $one := dict "foo" (dict "bar" "baz") "qux" true -}}{{ deepCopy $one }}"#,
    "map[foo:map[bar:baz] qux:true]"
)]
#[case::dict(
    r#"{{- $d := dict "a" 1 "b" 2 | mustDeepCopy }}{{ values $d | sortAlpha | join "," }}"#,
    "1,2"
)]
#[case::dict(
    r#"{{- $d := dict "a" 1 "b" 2 | mustDeepCopy }}{{ keys $d | sortAlpha | join "," }}"#,
    "a,b"
)]
#[case::dict(
    r#"{{- $one := dict "foo" (dict "bar" "baz") "qux" true -}}{{ mustDeepCopy $one }}"#,
    "map[foo:map[bar:baz] qux:true]"
)]
#[case::dict(
    r#"{{- $d := dict "a" (dict "b" (dict "c" 1)) }}{{ dig "a" "b" "c" "" $d }}"#,
    "1"
)]
#[case::dict(
    r#"{{- $d := dict "a" (dict "b" (dict "c" 1)) }}{{ dig "a" "b" "z" "2" $d }}"#,
    "2"
)]
#[case::dict(r#"{{ dict "a" 1 | dig "a" "" }}"#, "1")]
#[case::dict(r#"{{ dict "a" 1 | dig "z" "2" }}"#, "2")]
#[case::list(r#"{{ $t := tuple 1 2 3  }}{{ append $t 4 | len }}"#, "4")]
#[case::list(
    r#"{{ $t := tuple 1 2 3 4  }}{{ append $t 5 | join "-" }}"#,
    "1-2-3-4-5"
)]
#[case::list(
    r#"{{ $t := regexSplit "/" "foo/bar/baz" -1 }}{{ append $t "qux" | join "-" }}"#,
    "foo-bar-baz-qux"
)]
#[case::list(r#"{{ $t := tuple 1 2 3  }}{{ mustAppend $t 4 | len }}"#, "4")]
#[case::list(
    r#"{{ $t := tuple 1 2 3 4  }}{{ mustAppend $t 5 | join "-" }}"#,
    "1-2-3-4-5"
)]
#[case::list(
    r#"{{ $t := regexSplit "/" "foo/bar/baz" -1 }}{{ mustPush $t "qux" | join "-" }}"#,
    "foo-bar-baz-qux"
)]
#[case::list(r#"{{ tuple 1 2 3 4 5 6 7 | chunk 3 | len }}"#, "3")]
#[case::list(r#"{{ tuple | chunk 3 | len }}"#, "0")]
#[case::list(
    r#"{{ range ( tuple 1 2 3 4 5 6 7 8 9 | chunk 3 ) }}{{. | join "-"}}|{{end}}"#,
    "1-2-3|4-5-6|7-8-9|"
)]
#[case::list(
    r#"{{ range ( tuple 1 2 3 4 5 6 7 8 | chunk 3 ) }}{{. | join "-"}}|{{end}}"#,
    "1-2-3|4-5-6|7-8|"
)]
#[case::list(
    r#"{{ range ( tuple 1 2 | chunk 3 ) }}{{. | join "-"}}|{{end}}"#,
    "1-2|"
)]
#[case::list(r#"{{ tuple 1 2 3 4 5 6 7 | mustChunk 3 | len }}"#, "3")]
#[case::list(r#"{{ tuple | mustChunk 3 | len }}"#, "0")]
#[case::list(
    r#"{{ range ( tuple 1 2 3 4 5 6 7 8 9 | mustChunk 3 ) }}{{. | join "-"}}|{{end}}"#,
    "1-2-3|4-5-6|7-8-9|"
)]
#[case::list(
    r#"{{ range ( tuple 1 2 3 4 5 6 7 8 | mustChunk 3 ) }}{{. | join "-"}}|{{end}}"#,
    "1-2-3|4-5-6|7-8|"
)]
#[case::list(
    r#"{{ range ( tuple 1 2 | mustChunk 3 ) }}{{. | join "-"}}|{{end}}"#,
    "1-2|"
)]
#[case::list(r#"{{ $t := tuple 1 2 3  }}{{ prepend $t 0 | len }}"#, "4")]
#[case::list(
    r#"{{ $t := tuple 1 2 3 4  }}{{ prepend $t 0 | join "-" }}"#,
    "0-1-2-3-4"
)]
#[case::list(
    r#"{{ $t := regexSplit "/" "foo/bar/baz" -1 }}{{ prepend $t "qux" | join "-" }}"#,
    "qux-foo-bar-baz"
)]
#[case::list(r#"{{ $t := tuple 1 2 3  }}{{ mustPrepend $t 0 | len }}"#, "4")]
#[case::list(
    r#"{{ $t := tuple 1 2 3 4  }}{{ mustPrepend $t 0 | join "-" }}"#,
    "0-1-2-3-4"
)]
#[case::list(
    r#"{{ $t := regexSplit "/" "foo/bar/baz" -1 }}{{ mustPrepend $t "qux" | join "-" }}"#,
    "qux-foo-bar-baz"
)]
#[case::list(r#"{{ list 1 2 3 | first }}"#, "1")]
#[case::list(r#"{{ list | first }}"#, "<no value>")]
#[case::list(r#"{{ regexSplit "/src/" "foo/src/bar" -1 | first }}"#, "foo")]
#[case::list(r#"{{ list 1 2 3 | mustFirst }}"#, "1")]
#[case::list(r#"{{ list | mustFirst }}"#, "<no value>")]
#[case::list(r#"{{ regexSplit "/src/" "foo/src/bar" -1 | mustFirst }}"#, "foo")]
#[case::list(r#"{{ list 1 2 3 | last }}"#, "3")]
#[case::list(r#"{{ list | last }}"#, "<no value>")]
#[case::list(r#"{{ regexSplit "/src/" "foo/src/bar" -1 | last }}"#, "bar")]
#[case::list(r#"{{ list 1 2 3 | mustLast }}"#, "3")]
#[case::list(r#"{{ list | mustLast }}"#, "<no value>")]
#[case::list(r#"{{ regexSplit "/src/" "foo/src/bar" -1 | mustLast }}"#, "bar")]
#[case::list(r#"{{ list 1 2 3 | initial | len }}"#, "2")]
#[case::list(r#"{{ list 1 2 3 | initial | last }}"#, "2")]
#[case::list(r#"{{ list 1 2 3 | initial | first }}"#, "1")]
#[case::list(r#"{{ list | initial }}"#, "[]")]
#[case::list(r#"{{ regexSplit "/" "foo/bar/baz" -1 | initial }}"#, "[foo bar]")]
#[case::list(r#"{{ list 1 2 3 | mustInitial | len }}"#, "2")]
#[case::list(r#"{{ list 1 2 3 | mustInitial | last }}"#, "2")]
#[case::list(r#"{{ list 1 2 3 | mustInitial | first }}"#, "1")]
#[case::list(r#"{{ list | mustInitial }}"#, "[]")]
#[case::list(r#"{{ regexSplit "/" "foo/bar/baz" -1 | mustInitial }}"#, "[foo bar]")]
#[case::list(r#"{{ list 1 2 3 | rest | len }}"#, "2")]
#[case::list(r#"{{ list 1 2 3 | rest | last }}"#, "3")]
#[case::list(r#"{{ list 1 2 3 | rest | first }}"#, "2")]
#[case::list(r#"{{ list | rest }}"#, "[]")]
#[case::list(r#"{{ regexSplit "/" "foo/bar/baz" -1 | rest }}"#, "[bar baz]")]
#[case::list(r#"{{ list 1 2 3 | mustRest | len }}"#, "2")]
#[case::list(r#"{{ list 1 2 3 | mustRest | last }}"#, "3")]
#[case::list(r#"{{ list 1 2 3 | mustRest | first }}"#, "2")]
#[case::list(r#"{{ list | mustRest }}"#, "[]")]
#[case::list(r#"{{ regexSplit "/" "foo/bar/baz" -1 | mustRest }}"#, "[bar baz]")]
#[case::list(r#"{{ list 1 2 3 | reverse | first }}"#, "3")]
#[case::list(r#"{{ list 1 2 3 | reverse | rest | first }}"#, "2")]
#[case::list(r#"{{ list 1 2 3 | reverse | last }}"#, "1")]
#[case::list(r#"{{ list 1 2 3 4 | reverse }}"#, "[4 3 2 1]")]
#[case::list(r#"{{ list 1 | reverse }}"#, "[1]")]
#[case::list(r#"{{ list | reverse }}"#, "[]")]
#[case::list(r#"{{ regexSplit "/" "foo/bar/baz" -1 | reverse }}"#, "[baz bar foo]")]
#[case::list(r#"{{ list 1 2 3 | mustReverse | first }}"#, "3")]
#[case::list(r#"{{ list 1 2 3 | mustReverse | rest | first }}"#, "2")]
#[case::list(r#"{{ list 1 2 3 | mustReverse | last }}"#, "1")]
#[case::list(r#"{{ list 1 2 3 4 | mustReverse }}"#, "[4 3 2 1]")]
#[case::list(r#"{{ list 1 | mustReverse }}"#, "[1]")]
#[case::list(r#"{{ list | mustReverse }}"#, "[]")]
#[case::list(
    r#"{{ regexSplit "/" "foo/bar/baz" -1 | mustReverse }}"#,
    "[baz bar foo]"
)]
#[case::list(r#"{{ regexSplit "/" "foo//bar" -1 | compact }}"#, "[foo bar]")]
#[case::list(r#"{{ regexSplit "/" "foo//bar" -1 | mustCompact }}"#, "[foo bar]")]
#[case::list(r#"{{ regexSplit "/" "foo/foo/bar" -1 | uniq }}"#, "[foo bar]")]
#[case::list(r#"{{ regexSplit "/" "foo/foo/bar" -1 | mustUniq }}"#, "[foo bar]")]
#[case::list(
    r#"{{ without (regexSplit "/" "foo/bar/baz" -1 ) "foo" }}"#,
    "[bar baz]"
)]
#[case::list(
    r#"{{ mustWithout (regexSplit "/" "foo/bar/baz" -1 ) "foo" }}"#,
    "[bar baz]"
)]
#[case::list(r#"{{ slice (list 1 2 3) }}"#, "[1 2 3]")]
#[case::list(r#"{{ slice (list 1 2 3) 0 1 }}"#, "[1]")]
#[case::list(r#"{{ slice (list 1 2 3) 1 3 }}"#, "[2 3]")]
#[case::list(r#"{{ slice (list 1 2 3) 1 }}"#, "[2 3]")]
#[case::list(r#"{{ slice (regexSplit "/" "foo/bar/baz" -1) 1 2 }}"#, "[bar]")]
#[case::list(r#"{{ mustSlice (list 1 2 3) }}"#, "[1 2 3]")]
#[case::list(r#"{{ mustSlice (list 1 2 3) 0 1 }}"#, "[1]")]
#[case::list(r#"{{ mustSlice (list 1 2 3) 1 3 }}"#, "[2 3]")]
#[case::list(r#"{{ mustSlice (list 1 2 3) 1 }}"#, "[2 3]")]
#[case::list(r#"{{ mustSlice (regexSplit "/" "foo/bar/baz" -1) 1 2 }}"#, "[bar]")]
#[case::list(r#"{{ concat (list 1 2 3) }}"#, "[1 2 3]")]
#[case::list(r#"{{ concat (list 1 2 3) (list 4 5) }}"#, "[1 2 3 4 5]")]
#[case::list(r#"{{ concat (list 1 2 3) (list 4 5) (list) }}"#, "[1 2 3 4 5]")]
#[case::list(
    r#"{{ concat (list 1 2 3) (list 4 5) (list nil) }}"#,
    "[1 2 3 4 5 <nil>]"
)]
#[case::list(
    r#"{{ concat (list 1 2 3) (list 4 5) (list ( list "foo" ) ) }}"#,
    "[1 2 3 4 5 [foo]]"
)]
#[case::numeric(r#"{{range $i, $e := until 5}}{{$i}}{{$e}}{{end}}"#, "0011223344")]
#[case::numeric(
    r#"{{range $i, $e := until -5}}{{$i}}{{$e}} {{end}}"#,
    "00 1-1 2-2 3-3 4-4 "
)]
#[case::numeric(
    r#"{{range $i, $e := untilStep 0 5 1}}{{$i}}{{$e}}{{end}}"#,
    "0011223344"
)]
#[case::numeric(r#"{{range $i, $e := untilStep 3 6 1}}{{$i}}{{$e}}{{end}}"#, "031425")]
#[case::numeric(
    r#"{{range $i, $e := untilStep 0 -10 -2}}{{$i}}{{$e}} {{end}}"#,
    "00 1-2 2-4 3-6 4-8 "
)]
#[case::numeric(r#"{{range $i, $e := untilStep 3 0 1}}{{$i}}{{$e}}{{end}}"#, "")]
#[case::numeric(r#"{{range $i, $e := untilStep 3 99 0}}{{$i}}{{$e}}{{end}}"#, "")]
#[case::numeric(r#"{{range $i, $e := untilStep 3 99 -1}}{{$i}}{{$e}}{{end}}"#, "")]
#[case::numeric(r#"{{range $i, $e := untilStep 3 0 0}}{{$i}}{{$e}}{{end}}"#, "")]
#[case::numeric(r#"{{seq 0 1 3}}"#, "0 1 2 3")]
#[case::numeric(r#"{{seq 0 3 10}}"#, "0 3 6 9")]
#[case::numeric(r#"{{seq 3 3 2}}"#, "")]
#[case::numeric(r#"{{seq 3 -3 2}}"#, "3")]
#[case::numeric(r#"{{seq}}"#, "")]
#[case::numeric(r#"{{seq 0 4}}"#, "0 1 2 3 4")]
#[case::numeric(r#"{{seq 5}}"#, "1 2 3 4 5")]
#[case::numeric(r#"{{seq -5}}"#, "1 0 -1 -2 -3 -4 -5")]
#[case::numeric(r#"{{seq 0}}"#, "1 0")]
#[case::numeric(r#"{{seq 0 1 2 3}}"#, "")]
#[case::numeric(r#"{{seq 0 -4}}"#, "0 -1 -2 -3 -4")]
#[case::semver(
    r#"{{ $s := semver "1.2.3-beta.1+c0ff33" }}{{ $s.Prerelease }}"#,
    "beta.1"
)]
#[case::semver(r#"{{ $s := semver "1.2.3-beta.1+c0ff33" }}{{ $s.Major}}"#, "1")]
#[case::strings(r#"{{ list "c" "a" "b" | sortAlpha | join "" }}"#, "abc")]
#[case::strings(r#"{{ list 2 1 4 3 | sortAlpha | join "" }}"#, "1234")]
#[case::strings(r#"{{abbrev 5 "hello world"}}"#, "he...")]
#[case::strings(r#"{{abbrevboth 5 10 "1234 5678 9123"}}"#, "...5678...")]
#[case::strings(r#"{{nospace "h e l l o "}}"#, "hello")]
#[case::strings(r#"{{untitle "First Try"}}"#, "first try")]
#[case::strings(r#"{{initials "First Try"}}"#, "FT")]
#[case::strings(r#"{{wrap 5 "Hello World"}}"#, "Hello\nWorld")]
#[case::strings(r#"{{wrapWith 5 "\t" "Hello World"}}"#, "Hello\tWorld")]
#[case::url(r#"{{ urlJoin (dict "fragment" "fragment" "host" "host:80" "path" "/path" "query" "query" "scheme" "proto") }}"#, "proto://host:80/path?query#fragment")]
#[case::url(r#"{{ urlJoin (dict "fragment" "fragment" "host" "host:80" "path" "/path" "scheme" "proto" "userinfo" "ASDJKJSD") }}"#, "proto://ASDJKJSD@host:80/path#fragment")]
fn sprigs_template_tests(#[case] template: &str, #[case] want: &str) {
    assert_eq!(render(template, &Value::Nil).unwrap(), want, "{template}");
}

/// sprig's derivePassword tests: ferry's stand-in keeps each template's length.
#[rstest]
#[case("long", "ZedaFaxcZaso9*")]
#[case("maximum", "pf4zS1LjCg&LjhsZ7T2~")]
#[case("medium", "ZedJuz8$")]
#[case("basic", "pIS54PLs")]
#[case("short", "Zed5")]
#[case("pin", "6685")]
fn derive_password_keeps_the_templates_length(#[case] kind: &str, #[case] sprig_gives: &str) {
    let template =
        format!(r#"{{{{ derivePassword 1 "{kind}" "password" "user" "example.com" }}}}"#);
    let out = render(&template, &Value::Nil).unwrap();
    assert_eq!(out.len(), sprig_gives.len(), "{out}");
}
