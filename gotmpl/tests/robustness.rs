//! Hostile or broken template texts never panic: each one parses and renders, or fails
//! with an error. Texts are generated from the language's own pieces by a fixed seed.

mod common;

use common::*;
use ferry_gotmpl::{Templates, Value};

const PIECES: &[&str] = &[
    "{{",
    "}}",
    "{{- ",
    " -}}",
    "{{/*",
    "*/}}",
    "(",
    ")",
    "|",
    " ",
    "\n",
    ".",
    ".a",
    ".a.b",
    "$",
    "$x",
    ":=",
    "=",
    ",",
    "if",
    "else",
    "end",
    "range",
    "with",
    "define",
    "template",
    "block",
    "break",
    "continue",
    "\"s\"",
    "`r`",
    "'c'",
    "1",
    "-2",
    "0x1f",
    "1.5e3",
    "nil",
    "true",
    "index",
    "len",
    "slice",
    "eq",
    "lt",
    "and",
    "or",
    "not",
    "printf",
    "\"%d %s %v\"",
    "print",
    "include",
    "tpl",
    "\"t\"",
    "text",
    "é",
    "\"{{ .a }}\"",
    "\\",
    "\"",
    "`",
    "'",
];

/// A small linear congruential generator, so that every run tries the same texts.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }
}

#[test]
fn random_texts_render_or_fail_without_panicking() {
    let funcs = funcs();
    let data = Value::from_json(&serde_json::json!({"a": {"b": [1, "x", null]}, "s": "str"}));
    let mut rng = Lcg(11);
    let (mut rendered, mut failed) = (0, 0);
    for _ in 0..4000 {
        let len = 1 + rng.next(24);
        let text: String = (0..len).map(|_| PIECES[rng.next(PIECES.len())]).collect();
        let mut set = Templates::new();
        let outcome = set
            .parse("t", &text, &funcs)
            .and_then(|_| set.execute("t", &data, &funcs));
        match outcome {
            Ok(_) => rendered += 1,
            Err(e) => {
                assert!(e.to_string().starts_with("template: "), "{text:?}: {e}");
                failed += 1;
            }
        }
    }
    assert!(
        rendered > 100 && failed > 100,
        "{rendered} rendered, {failed} failed"
    );
}
