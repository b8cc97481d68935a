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

/// Runs `text` with Helm's functions.
fn run_helm(text: &str) -> Result<String, String> {
    let funcs = ferry_gotmpl::helm::functions();
    let mut set = Templates::new();
    set.parse("t", text, &funcs).map_err(|e| e.to_string())?;
    set.execute("t", &Value::Nil, &funcs)
        .map_err(|e| e.to_string())
}

/// Functions that would allocate without bound fail before allocating: a hostile count
/// costs an error, not the process (an allocation failure aborts).
#[rstest::rstest]
#[case::repeat_past_the_string_bound(
    "{{ repeat 1000000000000 \"ab\" }}",
    "repeat: result would exceed 64 MiB"
)]
#[case::until_past_the_list_bound(
    "{{ until 100000000 | len }}",
    "until: result would exceed 10000000 items"
)]
#[case::until_step_past_the_list_bound(
    "{{ untilStep 0 -9000000000 -3 | len }}",
    "untilStep: result would exceed 10000000 items"
)]
#[case::seq_past_the_list_bound(
    "{{ seq 1 2 90000000 }}",
    "seq: result would exceed 10000000 items"
)]
fn unbounded_results_are_errors(#[case] text: &str, #[case] message: &str) {
    let err = run_helm(text).expect_err("bounded");
    assert!(err.ends_with(message), "{err}");
}

/// Up to the bounds, the functions give what sprig gives.
#[rstest::rstest]
#[case::repeat_at_the_bound("{{ repeat 67108864 \"x\" | len }}", "67108864")]
#[case::until_at_the_bound("{{ until 1048576 | len }}", "1048576")]
#[case::until_step_down("{{ untilStep 10 1 -4 }}", "[10 6 2]")]
#[case::until_step_away("{{ untilStep 1 10 -1 }}", "[]")]
#[case::until_step_zero("{{ untilStep 1 10 0 }}", "[]")]
#[case::until_negative("{{ until -3 }}", "[0 -1 -2]")]
#[case::seq_down("{{ seq 5 2 }}", "5 4 3 2")]
fn bounded_results_are_sprigs(#[case] text: &str, #[case] expected: &str) {
    assert_eq!(run_helm(text).as_deref(), Ok(expected));
}
