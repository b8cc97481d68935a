//! What Helm does with a template's text after execution: `<no value>` becomes empty, a
//! whitespace-only result is dropped, the rest is split into YAML documents as
//! `releaseutil.SplitManifests` splits it, and each document is read. Test hooks (Helm's
//! `helm.sh/hook: test`, and anything under `templates/tests/`) are marked: they are not
//! deployed. Other hooks (`pre-install`, …) are deployed and stay ordinary documents.

use serde_json::Value;

use crate::discover::{chart_yaml_options, yaml_error_message, yaml_error_position};

/// Helm's post-processing of executed text (`missingkey=zero` still prints `<no value>`).
pub fn clean_output(text: &str) -> String {
    text.replace("<no value>", "")
}

/// Splits on lines starting with `---` exactly as Helm's `(?:^|\s*\n)---\s*` does: the
/// separator may follow whitespace and swallows the whitespace after it; empty pieces drop
/// out and every document is trimmed.
pub fn split_manifests(text: &str) -> Vec<String> {
    let text = text.trim();
    let bytes = text.as_bytes();
    let mut docs = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // `^` is the start of the text only; a newline the previous separator swallowed
        // cannot start another one.
        let at_line_start = i == 0 || (i > start && bytes[i - 1] == b'\n');
        if at_line_start && bytes[i..].starts_with(b"---") {
            // The separator began at the whitespace before the newline, if any.
            let mut cut = i;
            if i > 0 {
                cut = i - 1;
                while cut > start && bytes[cut - 1].is_ascii_whitespace() {
                    cut -= 1;
                }
            }
            docs.push(&text[start..cut]);
            let mut next = i + 3;
            while next < bytes.len() && bytes[next].is_ascii_whitespace() {
                next += 1;
            }
            start = next;
            i = next;
            continue;
        }
        i += 1;
    }
    docs.push(&text[start..]);
    docs.into_iter()
        .filter(|d| !d.is_empty())
        .map(|d| d.trim().to_owned())
        .collect()
}

/// Whether the object is only a test hook, never deployed: every event of its `helm.sh/hook`
/// annotation, a comma-separated list read as Helm reads it (each entry trimmed, case
/// ignored), is `test` or Helm 2's `test-success` (which Helm 3 still reads as `test`) or
/// `test-failure` (an event Helm 3 no longer knows, so it skips the object: not deployed
/// either). `testing` or `post-test` are not test hooks. An object that is also another hook
/// (`post-install,test`) runs on install, so its images are needed: `helm template
/// --skip-tests` would drop it, but ferry must carry it.
pub fn is_test_hook(object: &Value) -> bool {
    let Some(hooks) = object
        .pointer("/metadata/annotations")
        .and_then(|a| a.get("helm.sh/hook"))
        .and_then(Value::as_str)
    else {
        return false;
    };
    hooks.split(',').all(|hook| {
        let hook = hook.trim();
        ["test", "test-success", "test-failure"]
            .iter()
            .any(|test| hook.eq_ignore_ascii_case(test))
    })
}

/// A document read from rendered text with ferry's YAML limits: its object (`None` for an
/// empty or comment-only document), or why it could not be read (`line L, column C: …`,
/// counted within the document).
pub fn parse_document(doc: &str) -> Result<Option<Value>, String> {
    if doc.trim().is_empty() {
        return Ok(None);
    }
    match serde_saphyr::from_str_with_options::<Value>(doc, chart_yaml_options()) {
        Ok(Value::Null) => Ok(None),
        Ok(value @ Value::Object(_)) => Ok(Some(value)),
        Ok(other) => Err(format!(
            "not a mapping: {}",
            truncate(&other.to_string(), 80)
        )),
        Err(e) => {
            let (line, column) = yaml_error_position(&e);
            Err(format!(
                "line {line}, column {column}: {}",
                yaml_error_message(&e)
            ))
        }
    }
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}
