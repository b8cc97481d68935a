//! The 82 cases ferry used to evaluate the existing Go template crates (docs/template-engine.md:
//! gtmpl-ng passed 64, lithos-gotmpl 39), run against ferry's own engine with Helm's functions.
//! Data is a Go map literal, so whole JSON numbers are `int` here, as the evaluation assumed.

use ferry_gotmpl::{helm, Templates, Value};

struct Case {
    id: u64,
    cat: String,
    tmpl: String,
    data: serde_json::Value,
    expect: Option<String>,
    err: Option<String>,
}

fn case(json: &serde_json::Value) -> Case {
    let text = |k: &str| json[k].as_str().map(str::to_owned);
    Case {
        id: json["id"].as_u64().unwrap_or_default(),
        cat: text("cat").unwrap_or_default(),
        tmpl: text("tmpl").unwrap_or_default(),
        data: json["data"].clone(),
        expect: text("expect"),
        err: text("err"),
    }
}

fn go_literal(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::Number(n) if n.is_i64() => Value::Int(n.as_i64().unwrap_or(0)),
        serde_json::Value::Array(a) => Value::list_from(a.iter().map(go_literal)),
        serde_json::Value::Object(o) => {
            Value::map_from(o.iter().map(|(k, v)| (k.clone(), go_literal(v))))
        }
        other => Value::from_json(other),
    }
}

#[test]
fn every_evaluation_case_passes() {
    let text = include_str!("data/crate-evaluation-cases.json");
    let cases: Vec<serde_json::Value> = serde_json::from_str(text).expect("cases parse");
    let cases: Vec<Case> = cases.iter().map(case).collect();
    assert_eq!(cases.len(), 82);
    let funcs = helm::functions();
    let mut failures = Vec::new();
    for case in &cases {
        let mut set = Templates::new();
        let result = set
            .parse("case.tpl", &case.tmpl, &funcs)
            .and_then(|()| set.execute("case.tpl", &go_literal(&case.data), &funcs));
        let ok = match (&result, &case.expect, &case.err) {
            (Ok(out), Some(want), _) => out == want,
            (Err(e), None, Some(want)) => e.to_string().contains(want.as_str()),
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "#{} {} {:?}: got {result:?}",
                case.id, case.cat, case.tmpl
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
