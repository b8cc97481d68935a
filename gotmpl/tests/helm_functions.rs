//! Helm's own template functions (helm/helm pkg/engine funcs.go and engine.go), with
//! Helm's test expectations (funcs_test.go) and go-yaml v2's output rules, called directly.

use ferry_gotmpl::{helm, FuncError, Runtime, Value};
use rstest::rstest;

/// Answers `include` and `tpl` with fixed text and records what it was asked.
#[derive(Default)]
struct Recorder {
    calls: Vec<String>,
}

impl Runtime for Recorder {
    fn include(&mut self, name: &str, data: &Value) -> Result<String, FuncError> {
        self.calls.push(format!("include {name} {data}"));
        if name == "missing" {
            return Err(FuncError::new(
                "template: no template \"missing\" associated with template \"gotpl\"",
            ));
        }
        Ok(format!("<{name} of {data}>"))
    }
    fn tpl(&mut self, text: &str, data: &Value) -> Result<String, FuncError> {
        self.calls.push(format!("tpl {text} {data}"));
        Ok(format!("[{text} with {data}]"))
    }
}

fn call_with(rt: &mut Recorder, name: &str, args: &[Value]) -> Result<Value, FuncError> {
    let funcs = helm::functions();
    let f = funcs
        .get(name)
        .unwrap_or_else(|| panic!("helm has no {name}"));
    f(rt, args)
}

fn call(name: &str, args: &[Value]) -> Result<Value, FuncError> {
    call_with(&mut Recorder::default(), name, args)
}

fn show(name: &str, args: &[Value]) -> String {
    call(name, args)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .to_string()
}

fn s(x: &str) -> Value {
    Value::String(x.into())
}
fn j(json: &str) -> Value {
    Value::from_json(&serde_json::from_str(json).expect("test json"))
}

#[rstest]
#[case(r##"{"foo":"bar"}"##, "foo: bar")]
#[case(r##"{"a":{"b":[1,2],"c":"x"}}"##, "a:\n  b:\n  - 1\n  - 2\n  c: x")]
#[case(r##"[1,"a"]"##, "- 1\n- a")]
#[case(
    r##"[{"name":"a","value":"1"},{"name":"b"}]"##,
    "- name: a\n  value: \"1\"\n- name: b"
)]
#[case(r##"[[1,2],[3]]"##, "- - 1\n  - 2\n- - 3")]
#[case(
    r##"{"a":{},"b":[],"c":null,"d":true}"##,
    "a: {}\nb: []\nc: null\nd: true"
)]
#[case(r##"{}"##, "{}")]
#[case(r##"[]"##, "[]")]
#[case("null", "null")]
#[case(r##""""##, r##""""##)]
#[case(r##""plain""##, "plain")]
#[case(
    r##"{"a":3.0,"b":1e6,"c":1.5,"d":1e21,"e":0.000001,"f":-0.25,"g":123456789}"##,
    "a: 3\nb: 1000000\nc: 1.5\nd: 1e+21\ne: 1e-06\nf: -0.25\ng: 123456789"
)]
#[case(r##"{"a":"true","b":"1","c":"","d":"yes","e":"null","f":"1.5","g":"0x1F","h":"~","i":"on","j":"N"}"##, "a: \"true\"\nb: \"1\"\nc: \"\"\nd: \"yes\"\ne: \"null\"\nf: \"1.5\"\ng: \"0x1F\"\nh: \"~\"\ni: \"on\"\nj: \"N\"")]
#[case(r##"{"a":"2024-01-01","b":"1:20","c":"1e3","d":"-5","e":".5","f":"+1","g":"1_000","h":"08"}"##, "a: \"2024-01-01\"\nb: \"1:20\"\nc: \"1e3\"\nd: \"-5\"\ne: \".5\"\nf: \"+1\"\ng: \"1_000\"\nh: \"08\"")]
#[case(
    r##"{"a":"v1.2.3","b":"1.2.3","c":"nope","d":"True1","e":"0.0.0.0/0","f":"."}"##,
    "a: v1.2.3\nb: 1.2.3\nc: nope\nd: True1\ne: 0.0.0.0/0\nf: ."
)]
#[case(r##"{"a":"a: b","b":"- x","c":"*x","d":"#x","e":"x #y","f":" lead","g":"trail ","h":"it's: x"}"##, "a: 'a: b'\nb: '- x'\nc: '*x'\nd: '#x'\ne: 'x #y'\nf: ' lead'\ng: 'trail '\nh: 'it''s: x'")]
#[case(r##"{"a":"{x}","b":"@x","c":"%x","d":"x:y","e":"http://x.io/a?b=c","f":"a,b","g":"?x","h":"[x]","i":"x#y","j":"!x","k":"&a","l":"|","m":">-","n":"'q'","o":"\"dq\"","p":"`x`","q":"---","r":"-"}"##, "a: '{x}'\nb: '@x'\nc: '%x'\nd: x:y\ne: http://x.io/a?b=c\nf: a,b\ng: ?x\nh: '[x]'\ni: x#y\nj: '!x'\nk: '&a'\nl: '|'\nm: '>-'\n\"n\": '''q'''\no: '\"dq\"'\np: '`x`'\nq: '---'\nr: '-'")]
#[case(r##"{"a":"line1\nline2"}"##, "a: |-\n  line1\n  line2")]
#[case(r##"{"a":"line1\nline2\n"}"##, "a: |\n  line1\n  line2")]
#[case(r##"{"a":"x\n\n"}"##, "a: |+\n  x\n")]
#[case(r##"{"a":"a\n\nb","z":1}"##, "a: |-\n  a\n\n  b\nz: 1")]
#[case(r##"{"a":" lead\nx"}"##, "a: |2-\n   lead\n  x")]
#[case(
    r##"{"a":{"b":"l1\nl2\n"},"c":2}"##,
    "a:\n  b: |\n    l1\n    l2\nc: 2"
)]
#[case(r##"["l1\nl2"]"##, "- |-\n  l1\n  l2")]
#[case(r##"{"a":"trailing space \nx"}"##, "a: \"trailing space \\nx\"")]
#[case(
    r##"{"a":"tab\tx","b":"bell\u0007"}"##,
    "a: \"tab\\tx\"\nb: \"bell\\a\""
)]
#[case(
    r##"{"a":"héllo wörld","b":"🚀"}"##,
    "a: héllo wörld\nb: \"\\U0001F680\""
)]
#[case(
    r##"{"b":1,"a10":1,"a2":1,"_x":1,"B":1}"##,
    "_x: 1\nB: 1\na2: 1\na10: 1\nb: 1"
)]
#[case(
    r##"{"a b":1,"x:y":2,"":3,"true":4}"##,
    "\"\": 3\na b: 1\n\"true\": 4\nx:y: 2"
)]
#[case(r##"{"multi\nkey":1}"##, "? |-\n  multi\n  key\n: 1")]
#[case(
    r##"{"multi\nkey":{"a":1,"b":[2]}}"##,
    "? |-\n  multi\n  key\n: a: 1\n  b:\n  - 2"
)]
#[case(r##"{"image":{"repository":"nginx","tag":"1.25"},"replicas":1,"ports":[{"containerPort":80,"name":"http"}]}"##, "image:\n  repository: nginx\n  tag: \"1.25\"\nports:\n- containerPort: 80\n  name: http\nreplicas: 1")]
fn to_yaml_writes_what_helm_writes(#[case] json: &str, #[case] want: &str) {
    assert_eq!(show("toYaml", &[j(json)]), want);
}

#[test]
fn to_yaml_folds_plain_text_past_80_columns() {
    let words = ["aaaaaaaaa"; 10].join(" ");
    let first = ["aaaaaaaaa"; 8].join(" ");
    let want = format!("k: {first}\n  aaaaaaaaa aaaaaaaaa");
    assert_eq!(
        show("toYaml", &[Value::map_from([("k".into(), s(&words))])]),
        want
    );
    let quoted = format!("{words} #");
    let out = show("toYaml", &[Value::map_from([("k".into(), s(&quoted))])]);
    assert_eq!(out, format!("k: '{first}\n  aaaaaaaaa aaaaaaaaa #'"));
}

#[test]
fn to_yaml_keeps_ints_and_objects() {
    // "n" and "y" are YAML 1.1 booleans, so go-yaml quotes them even as keys.
    let v = Value::map_from([("n".into(), Value::Int(5)), ("num".into(), Value::Int(6))]);
    assert_eq!(show("toYaml", &[v]), "\"n\": 5\nnum: 6");
    assert_eq!(show("toYaml", &[Value::Float(f64::NAN)]), "");
    let e = call("mustToYaml", &[Value::Float(f64::NAN)]).unwrap_err();
    assert!(e.0.contains("unsupported value"), "{e}");
    assert_eq!(show("mustToYaml", &[j(r##"{"a":[true]}"##)]), "a:\n- true");
}

#[rstest]
#[case(r##"{"a":[1,2],"b":{"c":1.5}}"##, "a:\n  - 1\n  - 2\nb:\n  c: 1.5")]
#[case(r##"{"a":[{"x":1,"y":2}]}"##, "a:\n  - x: 1\n    \"y\": 2")]
#[case(r##"{"big":1e6}"##, "big: 1e+06")]
fn to_yaml_pretty_indents_lists(#[case] json: &str, #[case] want: &str) {
    assert_eq!(show("toYamlPretty", &[j(json)]), want);
}

#[rstest]
#[case("fromYaml", "hello: world", "map[hello:world]")]
#[case("fromYaml", "- one\n- two\n", "map[Error:error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}]")]
#[case("fromYaml", r##"["one", "two"]"##, "map[Error:error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}]")]
#[case("fromYaml", "", "map[]")]
#[case(
    "fromYaml",
    "a: yes\nb: 0755\nc: 1e3\nd: ~",
    "map[a:true b:493 c:1000 d:<nil>]"
)]
#[case("fromYaml", "a:\n  b: [1, 2]\n", "map[a:map[b:[1 2]]]")]
#[case("fromYaml", "---\na: 1\n", "map[a:1]")]
#[case("fromYaml", "a: 1\n---\nb: 2\n", "map[a:1]")]
#[case("fromYaml", "# only a comment\n", "map[]")]
#[case("fromYaml", "a: &x 1\nb: *x\n", "map[a:1 b:1]")]
#[case("fromYaml", "1: one\ntrue: yes\n", "map[1:one true:true]")]
#[case(
    "fromYaml",
    "n: 1\n\"y\": 2\non: 3\n1.5: x\n~: z\n",
    "map[1.5:x false:1 null:z true:3 y:2]"
)]
#[case(
    "fromYamlArray",
    "- one\n- 2\n- name: helm\n",
    "[one 2 map[name:helm]]"
)]
#[case(
    "fromYamlArray",
    r##"["one", 2, { "name": "helm" }]"##,
    "[one 2 map[name:helm]]"
)]
#[case("fromYamlArray", "hello: world", "[error unmarshaling JSON: while decoding JSON: json: cannot unmarshal object into Go value of type []interface {}]")]
#[case("fromYamlArray", "", "[]")]
#[case("fromJson", r##"{"hello":"world"}"##, "map[hello:world]")]
#[case(
    "fromJson",
    r##"["one", "two"]"##,
    "map[Error:json: cannot unmarshal array into Go value of type map[string]interface {}]"
)]
#[case("fromJson", "null", "map[]")]
#[case(
    "fromJsonArray",
    r##"["one", 2, { "name": "helm" }]"##,
    "[one 2 map[name:helm]]"
)]
#[case(
    "fromJsonArray",
    r##"{"hello": "world"}"##,
    "[json: cannot unmarshal object into Go value of type []interface {}]"
)]
#[case(
    "fromToml",
    "a = 1\nb = 1.5\n[t]\nc = \"x\"\n",
    "map[a:1 b:1.5 t:map[c:x]]"
)]
#[case(
    "fromToml",
    "[[p]]\nn = true\n[[p]]\nn = false\n",
    "map[p:[map[n:true] map[n:false]]]"
)]
#[case("fromToml", "i = { x = [1, 2] }", "map[i:map[x:[1 2]]]")]
fn from_functions_read_text(#[case] name: &str, #[case] input: &str, #[case] want: &str) {
    assert_eq!(show(name, &[s(input)]), want);
}

#[rstest]
#[case("fromYaml", "a: [")]
#[case("fromJson", "{")]
#[case("fromToml", "a = ")]
fn from_functions_put_errors_in_the_map(#[case] name: &str, #[case] input: &str) {
    let v = call(name, &[s(input)]).unwrap();
    let Value::Map(m) = &v else {
        panic!("{name} gives a map")
    };
    let error = m
        .borrow()
        .get("Error")
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(!error.is_empty(), "{name} {input:?}");
}

#[test]
fn yaml_numbers_are_float64_as_helm_reads_them() {
    let v = call("fromYaml", &[s("num: 3")]).unwrap();
    let n =
        ferry_gotmpl::sprig::functions()["get"](&mut Recorder::default(), &[v, s("num")]).unwrap();
    assert!(matches!(n, Value::Float(x) if x == 3.0));
    assert_eq!(show("typeOf", &[n]), "float64");
}

#[test]
fn yaml_round_trips_through_to_yaml_and_from_yaml() {
    let values = j(
        r##"{"image":{"registry":"docker.io","repository":"bitnami/nginx","tag":"1.25.3"},"list":["a","true",""],"n":2}"##,
    );
    let text = call("toYaml", std::slice::from_ref(&values)).unwrap();
    let back = call("fromYaml", &[text]).unwrap();
    assert_eq!(back.to_string(), values.to_string());
}

#[test]
fn merge_with_from_yaml_as_in_helms_tests() {
    let dict = j(r##"{"a":{"b":"c"}}"##);
    let parsed = call("fromYaml", &[s(r##"{"a":{"b":"d"}}"##)]).unwrap();
    assert_eq!(
        show("merge", &[dict.clone(), parsed.clone()]),
        "map[a:map[b:c]]"
    );
    let parsed = call("fromYaml", &[s(r##"{"a":{"b":"d"}}"##)]).unwrap();
    assert_eq!(
        show("merge", &[parsed, j(r##"{"a":{"b":"c"}}"##)]),
        "map[a:map[b:d]]"
    );
}

#[rstest]
#[case(r##"{"foo":"bar"}"##, "foo = \"bar\"\n")]
#[case(r##"{"mast":{"sail":"white"}}"##, "[mast]\n  sail = \"white\"\n")]
#[case(r##"{"a":1,"b":[1,2],"c":{"d":{"e":true}},"t":[{"x":1},{"x":2}]}"##, "a = 1.0\nb = [1.0, 2.0]\n\n[c]\n  [c.d]\n    e = true\n\n[[t]]\n  x = 1.0\n\n[[t]]\n  x = 2.0\n")]
#[case(
    r##"{"a b":"q\"uote","skip":null,"n":0.5}"##,
    "\"a b\" = \"q\\\"uote\"\nn = 0.5\n"
)]
#[case(r##"{}"##, "")]
#[case(
    r##"[1]"##,
    "toml: top-level values must be Go maps or structs; got []interface {}"
)]
fn to_toml_writes_burntsushi_layout(#[case] json: &str, #[case] want: &str) {
    assert_eq!(show("toToml", &[j(json)]), want);
}

#[rstest]
#[case(r##"{"foo":"bar"}"##, r##"{"foo":"bar"}"##)]
#[case(
    r##"{"b":[1.5,null],"a":"<&>"}"##,
    r##"{"a":"\u003c\u0026\u003e","b":[1.5,null]}"##
)]
fn to_json_is_gos_encoding(#[case] json: &str, #[case] want: &str) {
    assert_eq!(show("toJson", &[j(json)]), want);
    assert_eq!(show("mustToJson", &[j(json)]), want);
}

#[rstest]
#[case(Value::Nil, None)]
#[case(s(""), None)]
#[case(s("x"), Some("x"))]
#[case(Value::Bool(false), Some("false"))]
#[case(Value::Int(0), Some("0"))]
#[case(Value::Float(0.0), Some("0"))]
#[case(j("[]"), Some("[]"))]
#[case(j("{}"), Some("map[]"))]
fn required_fails_only_on_nil_and_empty_string(#[case] value: Value, #[case] want: Option<&str>) {
    let got = call(
        "required",
        &[s("A valid .Values.who entry required!"), value],
    );
    match want {
        Some(w) => assert_eq!(got.unwrap().to_string(), w),
        None => assert_eq!(got.unwrap_err().0, "A valid .Values.who entry required!"),
    }
}

#[test]
fn include_and_tpl_go_to_the_running_templates() {
    let mut rt = Recorder::default();
    let out = call_with(&mut rt, "include", &[s("chart.labels"), j(r##"{"a":1}"##)]).unwrap();
    assert_eq!(out.to_string(), "<chart.labels of map[a:1]>");
    let out = call_with(
        &mut rt,
        "tpl",
        &[s("{{ .Values.x }}"), j(r##"{"Values":{"x":2}}"##)],
    )
    .unwrap();
    assert_eq!(
        out.to_string(),
        "[{{ .Values.x }} with map[Values:map[x:2]]]"
    );
    assert_eq!(
        rt.calls,
        [
            "include chart.labels map[a:1]",
            "tpl {{ .Values.x }} map[Values:map[x:2]]"
        ]
    );
    let e = call_with(&mut rt, "include", &[s("missing"), Value::Nil]).unwrap_err();
    assert!(e.0.contains("no template"), "{e}");
    let e = call_with(&mut rt, "tpl", &[Value::Int(1), Value::Nil]).unwrap_err();
    assert!(e.0.contains("expected string"), "{e}");
}

#[test]
fn lookup_is_empty_as_in_helm_template() {
    let args = [
        s("v1"),
        s("Namespace"),
        s(""),
        s("unlikelynamespace99999999"),
    ];
    assert_eq!(show("lookup", &args), "map[]");
    assert!(call("lookup", &args[..2]).is_err());
}

#[test]
fn fail_stops_with_the_chart_message() {
    assert_eq!(
        call("fail", &[s("value x is required")]).unwrap_err().0,
        "value x is required"
    );
}

#[test]
fn helm_map_is_sprig_without_env_plus_helms_own() {
    let helm_map = helm::functions();
    let sprig_map = ferry_gotmpl::sprig::functions();
    assert!(!helm_map.contains_key("env") && !helm_map.contains_key("expandenv"));
    for name in sprig_map
        .keys()
        .filter(|n| !["env", "expandenv"].contains(n))
    {
        assert!(helm_map.contains_key(name), "{name}");
    }
    for name in [
        "toToml",
        "fromToml",
        "toYaml",
        "mustToYaml",
        "toYamlPretty",
        "fromYaml",
        "fromYamlArray",
        "toJson",
        "mustToJson",
        "fromJson",
        "fromJsonArray",
        "include",
        "tpl",
        "required",
        "lookup",
    ] {
        assert!(helm_map.contains_key(name), "{name}");
    }
}
