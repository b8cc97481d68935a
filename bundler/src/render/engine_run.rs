//! Helm's `engine.Render`: every template of the chart and its enabled subcharts parsed into
//! one set (so any chart can include any other's `define`), in Helm's order, then each
//! non-partial template executed with its chart's objects. A template that fails to parse or
//! execute is reported and skipped; the others still render.

use std::collections::BTreeMap;

use ferry_gotmpl::{FuncMap, Templates, Value};

use super::chart_load::Chart;

/// One template file ready to parse, with the data its chart's templates share.
pub struct Renderable {
    /// Helm's name: `chart/templates/x.yaml`, `parent/charts/child/templates/x.yaml`.
    pub name: String,
    pub text: String,
    /// `chart/templates` for `.Template.BasePath`.
    pub base_path: String,
    /// The chart's full path, `parent/charts/child`.
    pub chart_path: String,
    /// The chart's top-level data (`.Values`, `.Chart`, …), shared by its templates as in
    /// Helm, so a template that `set`s into it is seen by the next.
    pub data: Value,
}

/// What a template's execution gave.
pub enum Outcome {
    Text(String),
    /// Helm's wording: `parse error at (file:line): msg` or `execution error at (…): msg`.
    Failed(String),
}

/// The objects every chart's templates see (besides its own `.Values`, `.Chart`, `.Files`).
pub struct SharedObjects {
    pub release: Value,
    pub capabilities: Value,
}

/// Walks the chart tree as Helm's `recAllTpls` does, giving each chart its data map. `values`
/// is the whole tree's coalesced values (the root's `.Values`).
pub fn collect_renderables(
    chart: &Chart,
    values: &Value,
    shared: &SharedObjects,
    out: &mut Vec<Renderable>,
) {
    collect(chart, values, None, shared, out);
}

fn collect(
    chart: &Chart,
    values: &Value,
    parent_path: Option<&str>,
    shared: &SharedObjects,
    out: &mut Vec<Renderable>,
) -> Value {
    let full_path = match parent_path {
        None => chart.name().to_owned(),
        Some(parent) => format!("{parent}/charts/{}", chart.name()),
    };
    let subcharts = Value::new_map();
    let data = Value::map_from([
        (
            "Chart".to_owned(),
            super::builtins::chart(&chart.metadata, parent_path.is_none()),
        ),
        (
            "Files".to_owned(),
            super::files::Files(chart.files.clone()).value(),
        ),
        ("Release".to_owned(), shared.release.clone()),
        ("Capabilities".to_owned(), shared.capabilities.clone()),
        ("Values".to_owned(), values.clone()),
        ("Subcharts".to_owned(), subcharts.clone()),
    ]);
    for sub in &chart.subcharts {
        let sub_values = match values {
            Value::Map(map) => match map.borrow().get(sub.name()) {
                Some(table @ Value::Map(_)) => table.clone(),
                _ => Value::new_map(),
            },
            _ => Value::new_map(),
        };
        let sub_data = collect(sub, &sub_values, Some(&full_path), shared, out);
        if let Value::Map(map) = &subcharts {
            map.borrow_mut().insert(sub.name().to_owned(), sub_data);
        }
    }
    for template in &chart.templates {
        // A library chart lends its helpers; its other templates are not even parsed.
        if chart.is_library() && !base_name(&template.name).starts_with('_') {
            continue;
        }
        out.push(Renderable {
            name: format!("{full_path}/{}", template.name),
            text: String::from_utf8_lossy(&template.data).into_owned(),
            base_path: format!("{full_path}/templates"),
            chart_path: full_path.clone(),
            data: data.clone(),
        });
    }
    data
}

pub fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Helm's `sortTemplates`: deepest paths first, and within a depth reverse lexical order, so
/// that where two files define the same name the shallower (parent) and lexically first one,
/// parsed last, wins.
pub fn sort_for_parsing(renderables: &mut [Renderable]) {
    renderables.sort_by(|a, b| {
        let depth = |s: &str| s.matches('/').count();
        depth(&b.name)
            .cmp(&depth(&a.name))
            .then_with(|| b.name.cmp(&a.name))
    });
}

/// Parses all renderables into one set, then executes every one that produces output
/// (not partials, not `NOTES.txt`). Results come back keyed by template name.
pub fn execute_all(renderables: &[Renderable], funcs: &FuncMap) -> BTreeMap<String, Outcome> {
    let mut set = Templates::new();
    let mut outcomes = BTreeMap::new();
    for r in renderables {
        match guarded(|| set.parse(&r.name, &r.text, funcs)) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                outcomes.insert(r.name.clone(), Outcome::Failed(parse_error_text(&e)));
            }
            Err(panic) => {
                outcomes.insert(r.name.clone(), Outcome::Failed(panic));
            }
        }
    }
    for r in renderables {
        let base = base_name(&r.name);
        if outcomes.contains_key(&r.name) || base.starts_with('_') || base.ends_with("NOTES.txt") {
            continue;
        }
        if let Value::Map(map) = &r.data {
            let template = Value::map_from([
                ("Name".to_owned(), Value::String(r.name.clone())),
                ("BasePath".to_owned(), Value::String(r.base_path.clone())),
            ]);
            map.borrow_mut().insert("Template".into(), template);
        }
        let outcome = match guarded(|| set.execute(&r.name, &r.data, funcs)) {
            Ok(Ok(text)) => Outcome::Text(text),
            Ok(Err(e)) => Outcome::Failed(exec_error_text(&e)),
            Err(panic) => Outcome::Failed(panic),
        };
        outcomes.insert(r.name.clone(), outcome);
    }
    outcomes
}

/// Runs one engine call so that a bug in the engine (a panic) costs one file, not the run.
fn guarded<T>(call: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)).map_err(|payload| {
        let detail = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        format!("internal error of the template engine: {detail}")
    })
}

/// `parse error at (file:line): message`, as Helm's `cleanupParseError` words it.
pub fn parse_error_text(e: &ferry_gotmpl::Error) -> String {
    format!("parse error at ({}:{}): {}", e.template, e.line, e.message)
}

/// `execution error at (file:line:col): message`, naming the innermost failing place of a
/// chain of `include`s and dropping Go's `executing … at <…>:` wrapping, so that `fail` and
/// `required` read as Helm shows them: `execution error at (…): the chart's message`.
pub fn exec_error_text(e: &ferry_gotmpl::Error) -> String {
    // Go's own rendering of the place (`name:line:col`, no column for parse errors).
    let shown = e.to_string();
    let mut location = shown
        .strip_prefix("template: ")
        .and_then(|rest| rest.strip_suffix(e.message.as_str()))
        .and_then(|rest| rest.strip_suffix(": "))
        .unwrap_or(&e.template)
        .to_owned();
    let mut message = e.message.as_str();
    loop {
        if message.starts_with("executing ") {
            if let Some(i) = message.find(">: ") {
                message = &message[i + 3..];
                continue;
            }
        }
        // The chart's own words for `fail` and `required`; the inner error for `include`
        // and `tpl`. Other functions keep their name: it says what failed.
        if let Some(rest) = ["error calling fail: ", "error calling required: "]
            .iter()
            .find_map(|p| message.strip_prefix(p))
        {
            message = rest;
            break;
        }
        if let Some(rest) = ["error calling include: ", "error calling tpl: "]
            .iter()
            .find_map(|p| message.strip_prefix(p))
            .filter(|rest| rest.starts_with("template: "))
        {
            message = rest;
            continue;
        }
        // `tpl` wraps the inner error after the text it ran; a recursion through `tpl`
        // would repeat that text at every level, so only the innermost place is kept.
        if let Some(rest) = message
            .strip_prefix("error calling tpl: error during tpl function execution for ")
            .and_then(|rest| rest.find("\": template: ").map(|i| &rest[i + 3..]))
        {
            message = rest;
            continue;
        }
        if let Some(rest) = message.strip_prefix("template: ") {
            if let Some(i) = rest.find(": ") {
                // A place without a line (`again: exceeded maximum template depth`) says
                // less than the outer one that has one.
                if rest[..i].contains(':') {
                    location = rest[..i].to_owned();
                }
                message = &rest[i + 2..];
                continue;
            }
        }
        break;
    }
    format!("execution error at ({location}): {message}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn renderable(name: &str) -> Renderable {
        Renderable {
            name: name.into(),
            text: String::new(),
            base_path: String::new(),
            chart_path: String::new(),
            data: Value::Nil,
        }
    }

    #[test]
    fn templates_parse_deepest_first_then_in_reverse_name_order() {
        let mut list: Vec<Renderable> = [
            "app/templates/a.yaml",
            "app/templates/_helpers.tpl",
            "app/charts/lib/templates/_lib.tpl",
            "app/templates/b.yaml",
            "app/charts/db/templates/x.yaml",
        ]
        .into_iter()
        .map(renderable)
        .collect();
        sort_for_parsing(&mut list);
        let order: Vec<&str> = list.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            order,
            [
                "app/charts/lib/templates/_lib.tpl",
                "app/charts/db/templates/x.yaml",
                "app/templates/b.yaml",
                "app/templates/a.yaml",
                "app/templates/_helpers.tpl",
            ]
        );
    }

    #[test]
    fn a_recursion_through_tpl_names_only_the_innermost_place() {
        let level = r#"error calling tpl: error during tpl function execution for "{{ include \"a\" . }}": template: c/templates/x.yaml:1:3: executing "c/templates/x.yaml" at <include "a" .>: error calling include: template: c/templates/x.yaml:1:23: executing "a" at <tpl .Values.a .>: "#;
        let e = ferry_gotmpl::Error {
            template: "c/templates/x.yaml".into(),
            line: 1,
            column: Some(23),
            message: format!(
                "{}{}template: a: exceeded maximum template depth (100)",
                r#"executing "a" at <tpl .Values.a .>: "#,
                level.repeat(3)
            ),
        };
        assert_eq!(
            exec_error_text(&e),
            "execution error at (c/templates/x.yaml:1:23): exceeded maximum template depth (100)"
        );
    }

    #[test]
    fn an_engine_panic_becomes_a_message() {
        let got: Result<(), String> = guarded(|| panic!("stack exhausted at {}", 3));
        assert_eq!(
            got,
            Err("internal error of the template engine: stack exhausted at 3".into())
        );
        assert_eq!(guarded(|| 7), Ok(7));
    }
}
