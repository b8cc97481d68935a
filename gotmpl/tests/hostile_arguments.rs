//! Hostile arguments to Helm's and sprig's functions: maps that contain themselves, sizes
//! meant to exhaust memory, integers at the edges of int64. Each case renders through
//! `Templates` with `helm::functions()` and gives Go's output or an error, never a panic,
//! a stack overflow or an abort, and quickly (the suite runs in a debug build).

use std::time::{Duration, Instant};

use ferry_gotmpl::{helm, Templates, Value};
use rstest::rstest;

/// `$m` holds itself under `self`; `$n` is another such map; `$mm` holds itself twice.
const SELF_MAPS: &str = concat!(
    r#"{{- $m := dict "a" 1 }}{{ $_ := set $m "self" $m }}"#,
    r#"{{- $n := dict "b" 2 }}{{ $_ := set $n "self" $n }}"#,
    r#"{{- $mm := dict }}{{ $_ := set $mm "x" $mm }}{{ $_ := set $mm "y" $mm }}"#,
);

const CYCLE: &str = "json: unsupported value: encountered a cycle via map[string]interface {}";

enum Want {
    /// Exactly this output.
    Is(&'static str),
    /// Output starting with this.
    Starts(&'static str),
    /// An error whose message contains this.
    Fails(&'static str),
}
use Want::*;

fn render(body: &str) -> Result<String, String> {
    let text = format!("{SELF_MAPS}{body}");
    let funcs = helm::functions();
    let mut t = Templates::new();
    t.parse("hostile", &text, &funcs)
        .map_err(|e| e.to_string())?;
    t.execute("hostile", &Value::new_map(), &funcs)
        .map_err(|e| e.to_string())
}

/// Maps nested `depth` levels deep under "a", built by a `range`.
fn nested(depth: usize, then: &str) -> String {
    format!(
        r#"{{{{ $d := dict }}}}{{{{ range until {depth} }}}}{{{{ $d = dict "a" $d }}}}{{{{ end }}}}{then}"#
    )
}

#[rstest]
// Defect 1: walkers over a map that contains itself recursed without end.
#[case::to_json_drops_the_error("{{ toJson $m }}", Is(""))]
#[case::must_to_json("{{ mustToJson $m }}", Fails(CYCLE))]
#[case::must_to_pretty_json("{{ mustToPrettyJson $m }}", Fails(CYCLE))]
#[case::to_raw_json("{{ toRawJson $m }}", Fails(CYCLE))]
#[case::to_pretty_json("{{ toPrettyJson $m }}", Is(""))]
#[case::to_yaml("{{ toYaml $m }}", Is(""))]
#[case::must_to_yaml("{{ mustToYaml $m }}", Fails(CYCLE))]
#[case::to_yaml_pretty("{{ toYamlPretty $m }}", Is(""))]
#[case::to_toml(
    "{{ toToml $m }}",
    Is("toml: value nested deeper than 1000 levels (a map that contains itself?)")
)]
#[case::to_toml_inline(
    "{{ toToml (dict \"l\" (list $m)) }}",
    Starts("toml: value nested deeper than 1000")
)]
#[case::deep_copy(
    "{{ deepCopy $m }}",
    Fails("deepCopy: value nested deeper than 1000 levels")
)]
#[case::must_deep_copy("{{ mustDeepCopy $mm }}", Fails("deepCopy: value nested deeper"))]
#[case::merge_two_self_maps(
    r#"{{ $r := merge $m $n }}{{ keys $r | sortAlpha | join "," }} {{ $r.b }}"#,
    Is("a,b,self 2")
)]
#[case::merge_overwrite_two_self_maps(
    r#"{{ $r := mergeOverwrite $m $n }}{{ keys $r | sortAlpha | join "," }} {{ $r.a }}"#,
    Is("a,b,self 1")
)]
#[case::deep_equal_two_self_maps(
    r#"{{ $p := dict }}{{ $_ := set $p "s" $p }}{{ $q := dict }}{{ $_ := set $q "s" $q }}{{ deepEqual $p $q }}"#,
    Is("true")
)]
#[case::uniq_of_self_maps(
    r#"{{ $p := dict }}{{ $_ := set $p "s" $p }}{{ $q := dict }}{{ $_ := set $q "s" $q }}{{ len (uniq (list $p $q)) }}"#,
    Is("1")
)]
#[case::has_self_map("{{ has $n (list $m) }}", Is("false"))]
#[case::printf_v(
    "{{ printf \"%v\" $m }}",
    Starts("map[a:1 self:map[a:1 self:map[a:1 self:")
)]
#[case::print_action("{{ $m }}", Starts("map[a:1 self:map[a:1 self:"))]
#[case::to_string("{{ toString $m | trunc 24 }}", Is("map[a:1 self:map[a:1 sel"))]
#[case::cat("{{ cat $m | trunc 13 }}", Is("map[a:1 self:"))]
#[case::print_doubling_self_map("{{ $mm }}", Fails("output exceeds 64 MiB"))]
// Deep nesting without a cycle: the bound is 1000 levels, and 999 still work.
#[case::json_at_depth_999(&nested(999, "{{ mustToJson $d | len }}"), Is("5996"))]
#[case::json_past_the_bound(&nested(1000, "{{ mustToJson $d | len }}"), Fails(CYCLE))]
#[case::drop_of_deep_maps(&nested(200_000, "{{ len $d }}"), Is("1"))]
#[case::drop_of_nested_lists(
    r#"{{ $l := list }}{{ range until 200000 }}{{ $l = list $l }}{{ end }}{{ len $l }}"#,
    Is("1")
)]
#[case::yaml_past_the_bound(&nested(2000, "{{ toYamlPretty $d }}"), Is(""))]
#[case::deep_copy_at_depth_999(&nested(999, "{{ deepCopy $d | mustToJson | len }}"), Is("5996"))]
#[case::deep_equal_past_the_bound(
    &nested(1500, "{{ deepEqual $d (deepCopy (dict)) }}{{ deepEqual $d (dict \"a\" $d) }}"),
    Fails("deepEqual: value nested deeper than 1000 levels")
)]
// Defect 2: sizes given by the template were allocated unchecked.
#[case::repeat_huge(
    "{{ repeat 1000000000000 \"x\" }}",
    Fails("repeat: result would exceed 64 MiB")
)]
#[case::repeat_overflowing(
    "{{ repeat 9223372036854775807 \"ab\" }}",
    Fails("repeat: result would exceed")
)]
#[case::indent_huge(
    "{{ indent 1000000000000 \"a\" }}",
    Fails("indent: result would exceed")
)]
#[case::nindent_overflowing(
    "{{ nindent 9223372036854775807 \"a\\nb\" }}",
    Fails("nindent: result would exceed")
)]
#[case::rand_alpha(
    "{{ randAlpha 1000000000000 }}",
    Fails("randAlpha: result would exceed")
)]
#[case::rand_alpha_num(
    "{{ randAlphaNum 9223372036854775807 }}",
    Fails("randAlphaNum: result would exceed")
)]
#[case::rand_numeric("{{ randNumeric 1000000000000 }}", Fails("randNumeric: result would"))]
#[case::rand_ascii(
    "{{ randAscii 1000000000000 }}",
    Fails("randAscii: result would exceed")
)]
#[case::rand_bytes(
    "{{ randBytes 1000000000000 }}",
    Fails("randBytes: result would exceed")
)]
#[case::until_huge(
    "{{ until 1000000000000 }}",
    Fails("until: result would exceed 10000000 items")
)]
#[case::until_step_huge(
    "{{ untilStep 0 9223372036854775807 1 }}",
    Fails("untilStep: result would exceed")
)]
#[case::until_step_whole_range(
    "{{ untilStep -9223372036854775808 9223372036854775807 1 }}",
    Fails("untilStep: result would exceed")
)]
#[case::seq_huge("{{ seq 1000000000000 }}", Fails("seq: result would exceed"))]
#[case::wrap_with_long_newline(
    "{{ wrapWith 1 (repeat 1000000 \"x\") (repeat 1000 \"a \") }}",
    Fails("wrapWith: result would exceed")
)]
#[case::replace_multiplying(
    "{{ replace \"a\" (repeat 1000000 \"x\") (repeat 1000 \"a\") }}",
    Fails("replace: result would exceed")
)]
#[case::printf_huge_width("{{ printf \"%*d\" 9223372036854775807 1 }}", Is("%!(BADWIDTH)1"))]
#[case::printf_min_width("{{ printf \"%*d\" -9223372036854775808 1 }}", Is("%!(BADWIDTH)1"))]
#[case::printf_min_precision("{{ printf \"%.*d\" -9223372036854775808 1 }}", Is("%!(BADPREC)1"))]
#[case::substr_huge_end("{{ substr 0 9223372036854775807 \"abc\" }}", Is("abc"))]
#[case::trunc_min("{{ trunc -9223372036854775808 \"abc\" }}", Is("abc"))]
#[case::trunc_max("{{ trunc 9223372036854775807 \"abc\" }}", Is("abc"))]
#[case::wrap_huge_width("{{ wrap 9223372036854775807 \"a b\" }}", Is("a b"))]
#[case::chunk_huge("{{ chunk 9223372036854775807 (list 1 2) }}", Is("[[1 2]]"))]
// Defect 3: overflowing arithmetic (debug panics, release loops without end).
#[case::seq_max("{{ seq 9223372036854775807 }}", Is(""))]
#[case::seq_min("{{ seq -9223372036854775808 }}", Is(""))]
#[case::seq_to_max("{{ seq 9223372036854775806 9223372036854775807 }}", Is(""))]
#[case::seq_step_to_max("{{ seq 9223372036854775806 1 9223372036854775807 }}", Is(""))]
#[case::until_step_past_max(
    "{{ untilStep 9223372036854775800 9223372036854775807 5 }}",
    Is("[9223372036854775800 9223372036854775805]")
)]
#[case::until_step_past_min(
    "{{ untilStep -9223372036854775800 -9223372036854775808 -5 }}",
    Is("[-9223372036854775800 -9223372036854775805]")
)]
#[case::add_wraps("{{ add 9223372036854775807 1 }}", Is("-9223372036854775808"))]
#[case::add1_wraps("{{ add1 9223372036854775807 }}", Is("-9223372036854775808"))]
#[case::sub_wraps("{{ sub -9223372036854775808 1 }}", Is("9223372036854775807"))]
#[case::mul_wraps("{{ mul 9223372036854775807 9223372036854775807 }}", Is("1"))]
#[case::div_min_by_minus_one("{{ div -9223372036854775808 -1 }}", Is("-9223372036854775808"))]
#[case::mod_min_by_minus_one("{{ mod -9223372036854775808 -1 }}", Is("0"))]
#[case::max_min_edges(
    "{{ max -9223372036854775808 9223372036854775807 }} {{ min 9223372036854775807 -9223372036854775808 }}",
    Is("9223372036854775807 -9223372036854775808")
)]
#[case::int_of_huge_float(
    "{{ int 1e300 }} {{ int64 -1e300 }}",
    Is("-9223372036854775808 -9223372036854775808")
)]
#[case::int_of_nan("{{ int (float64 \"NaN\") }}", Is("-9223372036854775808"))]
#[case::int_of_inf("{{ int64 (float64 \"+Inf\") }}", Is("-9223372036854775808"))]
#[case::round_huge(
    "{{ round 1e300 2 }} {{ floor 1e300 }} {{ ceil -1e300 }}",
    Is("1e+300 1e+300 -1e+300")
)]
#[case::atoi_overflow(
    "{{ atoi \"99999999999999999999\" }} {{ atoi \"-99999999999999999999\" }}",
    Is("9223372036854775807 -9223372036854775808")
)]
#[case::rand_int_whole_range(
    "{{ $r := randInt -9223372036854775808 9223372036854775807 }}{{ kindOf $r }}",
    Is("int")
)]
fn hostile_arguments_give_go_output_or_an_error(#[case] body: &str, #[case] want: Want) {
    let started = Instant::now();
    let got = render(body);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(20), "{body:?} took {took:?}");
    match (want, &got) {
        (Is(text), Ok(out)) => assert_eq!(out, text, "{body:?}"),
        (Starts(text), Ok(out)) => assert!(
            out.starts_with(text),
            "{body:?} gave {:?}",
            &out[..out.len().min(200)]
        ),
        (Fails(text), Err(e)) => assert!(e.contains(text), "{body:?} failed with {e:?}"),
        (_, got) => panic!(
            "{body:?}: unexpected {:?}",
            got.as_ref().map(|o| &o[..o.len().min(200)])
        ),
    }
}
