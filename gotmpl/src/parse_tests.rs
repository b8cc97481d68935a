//! Go's parser tests (`parse_test.go`) as tables: a text parses to
//! the tree Go prints for it, or fails with Go's message.

use rstest::rstest;

use crate::parse::parse;

fn tree(input: &str) -> Result<String, String> {
    let has_func = |f: &str| crate::builtins::is_builtin(f) || f == "contains";
    let parsed = parse("test", input, &has_func).map_err(|e| e.to_string())?;
    Ok(parsed.top.root.iter().map(|n| n.to_string()).collect())
}

#[rstest]
#[case::empty("", "")]
#[case::comment("{{/*\n\n\n*/}}", "")]
#[case::spaces(" \t\n", "\" \\t\\n\"")]
#[case::text("some text", "\"some text\"")]
#[case::field("{{.X}}", "{{.X}}")]
#[case::simple_command("{{printf}}", "{{printf}}")]
#[case::dollar_invocation("{{$}}", "{{$}}")]
#[case::variable_invocation("{{with $x := 3}}{{$x 23}}{{end}}", "{{with $x := 3}}{{$x 23}}{{end}}")]
#[case::variable_with_fields("{{$.I}}", "{{$.I}}")]
#[case::multi_word_command("{{printf `%d` 23}}", "{{printf `%d` 23}}")]
#[case::pipeline("{{.X|.Y}}", "{{.X | .Y}}")]
#[case::pipeline_with_decl("{{$x := .X|.Y}}", "{{$x := .X | .Y}}")]
#[case::nested_pipeline("{{.X (.Y .Z) (.A | .B .C) (.E)}}", "{{.X (.Y .Z) (.A | .B .C) (.E)}}")]
#[case::field_applied_to_parentheses("{{(.Y .Z).Field}}", "{{(.Y .Z).Field}}")]
#[case::simple_if("{{if .X}}hello{{end}}", "{{if .X}}\"hello\"{{end}}")]
#[case::if_with_else(
    "{{if .X}}true{{else}}false{{end}}",
    "{{if .X}}\"true\"{{else}}\"false\"{{end}}"
)]
#[case::if_with_else_if(
    "{{if .X}}true{{else if .Y}}false{{end}}",
    "{{if .X}}\"true\"{{else}}{{if .Y}}\"false\"{{end}}{{end}}"
)]
#[case::if_else_chain(
    "+{{if .X}}X{{else if .Y}}Y{{else if .Z}}Z{{end}}+",
    "\"+\"{{if .X}}\"X\"{{else}}{{if .Y}}\"Y\"{{else}}{{if .Z}}\"Z\"{{end}}{{end}}{{end}}\"+\""
)]
#[case::simple_range("{{range .X}}hello{{end}}", "{{range .X}}\"hello\"{{end}}")]
#[case::chained_field_range("{{range .X.Y.Z}}hello{{end}}", "{{range .X.Y.Z}}\"hello\"{{end}}")]
#[case::nested_range(
    "{{range .X}}hello{{range .Y}}goodbye{{end}}{{end}}",
    "{{range .X}}\"hello\"{{range .Y}}\"goodbye\"{{end}}{{end}}"
)]
#[case::range_with_else(
    "{{range .X}}true{{else}}false{{end}}",
    "{{range .X}}\"true\"{{else}}\"false\"{{end}}"
)]
#[case::range_over_pipeline(
    "{{range .X|.M}}true{{else}}false{{end}}",
    "{{range .X | .M}}\"true\"{{else}}\"false\"{{end}}"
)]
#[case::range_ints("{{range .SI}}{{.}}{{end}}", "{{range .SI}}{{.}}{{end}}")]
#[case::range_1_var("{{range $x := .SI}}{{.}}{{end}}", "{{range $x := .SI}}{{.}}{{end}}")]
#[case::range_2_vars(
    "{{range $x, $y := .SI}}{{.}}{{end}}",
    "{{range $x, $y := .SI}}{{.}}{{end}}"
)]
#[case::range_with_break(
    "{{range .SI}}{{.}}{{break}}{{end}}",
    "{{range .SI}}{{.}}{{break}}{{end}}"
)]
#[case::range_with_continue(
    "{{range .SI}}{{.}}{{continue}}{{end}}",
    "{{range .SI}}{{.}}{{continue}}{{end}}"
)]
#[case::constants(
    "{{range .SI 1 -3.2 true false 'a' nil}}{{end}}",
    "{{range .SI 1 -3.2 true false 'a' nil}}{{end}}"
)]
#[case::template("{{template `x`}}", "{{template \"x\"}}")]
#[case::template_with_arg("{{template `x` .Y}}", "{{template \"x\" .Y}}")]
#[case::with("{{with .X}}hello{{end}}", "{{with .X}}\"hello\"{{end}}")]
#[case::with_with_else(
    "{{with .X}}hello{{else}}goodbye{{end}}",
    "{{with .X}}\"hello\"{{else}}\"goodbye\"{{end}}"
)]
#[case::with_with_else_with(
    "{{with .X}}hello{{else with .Y}}goodbye{{end}}",
    "{{with .X}}\"hello\"{{else}}{{with .Y}}\"goodbye\"{{end}}{{end}}"
)]
#[case::with_else_chain(
    "{{with .X}}X{{else with .Y}}Y{{else with .Z}}Z{{end}}",
    "{{with .X}}\"X\"{{else}}{{with .Y}}\"Y\"{{else}}{{with .Z}}\"Z\"{{end}}{{end}}{{end}}"
)]
#[case::trim_left("x \r\n\t{{- 3}}", "\"x\"{{3}}")]
#[case::trim_right("{{3 -}}\n\n\ty", "{{3}}\"y\"")]
#[case::trim_left_and_right("x \r\n\t{{- 3 -}}\n\n\ty", "\"x\"{{3}}\"y\"")]
#[case::trim_with_extra_spaces("x\n{{-  3   -}}\ny", "\"x\"{{3}}\"y\"")]
#[case::comment_trim_left("x \r\n\t{{- /* hi */}}", "\"x\"")]
#[case::comment_trim_right("{{/* hi */ -}}\n\n\ty", "\"y\"")]
#[case::comment_trim_left_and_right("x \r\n\t{{- /* */ -}}\n\n\ty", "\"x\"\"y\"")]
#[case::block_definition("{{block \"foo\" .}}hello{{end}}", "{{template \"foo\" .}}")]
#[case::newline_in_assignment("{{ $x \n := \n 1 \n }}", "{{$x := 1}}")]
#[case::newline_in_pipeline("{{\n\"x\"\n|\nprintf\n}}", "{{\"x\" | printf}}")]
#[case::newline_in_comment("{{/*\nhello\n*/}}", "")]
#[case::newline_in_trimmed_comment("{{-\n/*\nhello\n*/\n-}}", "")]
#[case::spaces_around_continue(
    "{{range .SI}}{{.}}{{ continue }}{{end}}",
    "{{range .SI}}{{.}}{{continue}}{{end}}"
)]
#[case::spaces_around_break(
    "{{range .SI}}{{.}}{{ break }}{{end}}",
    "{{range .SI}}{{.}}{{break}}{{end}}"
)]
#[case::bug0a("{{$x := 0}}{{$x}}", "{{$x := 0}}{{$x}}")]
#[case::bug1c("{{$x:=.}}{{$x +2}}", "{{$x := .}}{{$x +2}}")]
#[case::bug2a("{{range $x := 0}}{{$x}}{{end}}", "{{range $x := 0}}{{$x}}{{end}}")]
#[case::bug2b("{{range $x = 0}}{{$x}}{{end}}", "{{range $x = 0}}{{$x}}{{end}}")]
#[case::paren_nesting("{{ (( 1 )) }}", "{{((1))}}")]
#[case::paren_nesting_in_pipeline("{{ ((( 1 ))) | printf }}", "{{(((1))) | printf}}")]
#[case::defines_leave_the_top_level("a{{define \"x\"}}X{{end}}b", "\"a\"\"b\"")]
#[case::raw_string_keeps_newlines("{{`a\nb`}}", "{{`a\nb`}}")]
fn go_parse(#[case] input: &str, #[case] want: &str) {
    assert_eq!(tree(input), Ok(want.to_string()), "{input:?}");
}

#[rstest]
#[case::empty_action("{{}}", "template: test:1: missing value for command")]
#[case::newline_in_empty_action("{{\n}}", "template: test:2: missing value for command")]
#[case::unclosed_action("hello{{range", "template: test:1: unclosed action")]
#[case::unmatched_end("{{end}}", "template: test:1: unexpected {{end}}")]
#[case::unmatched_else("{{else}}", "template: test:1: unexpected {{else}}")]
#[case::unmatched_else_after_if(
    "{{if .X}}hello{{end}}{{else}}",
    "template: test:1: unexpected {{else}}"
)]
#[case::multiple_else(
    "{{if .X}}1{{else}}2{{else}}3{{end}}",
    "template: test:1: expected end; found {{else}}"
)]
#[case::missing_end("hello{{range .x}}", "template: test:1: unexpected EOF")]
#[case::missing_end_after_else("hello{{range .x}}{{else}}", "template: test:1: unexpected EOF")]
#[case::undefined_function(
    "hello{{undefined}}",
    "template: test:1: function \"undefined\" not defined"
)]
#[case::undefined_variable("{{$x}}", "template: test:1: undefined variable \"$x\"")]
#[case::variable_undefined_after_end(
    "{{with $x := 4}}{{end}}{{$x}}",
    "template: test:1: undefined variable \"$x\""
)]
#[case::variable_undefined_in_template(
    "{{template $v}}",
    "template: test:1: unexpected \"$v\" in template clause"
)]
#[case::template_with_field_ref(
    "{{template .X}}",
    "template: test:1: unexpected \".X\" in template clause"
)]
#[case::invalid_punctuation("{{printf 3, 4}}", "template: test:1: unexpected \",\" in operand")]
#[case::multidecl_outside_range(
    "{{with $v, $u := 3}}{{end}}",
    "template: test:1: too many declarations in with"
)]
#[case::too_many_decls_in_range(
    "{{range $u, $v, $w := 3}}{{end}}",
    "template: test:1: too many declarations in range"
)]
#[case::dot_applied_to_parentheses(
    "{{printf (printf .).}}",
    "template: test:1: unexpected <.> in operand"
)]
#[case::adjacent_args("{{printf 3`x`}}", "template: test:1: unexpected \"`x`\" in operand")]
#[case::adjacent_args_with_dot("{{printf `x`.}}", "template: test:1: unexpected <.> in operand")]
#[case::extra_end_after_if(
    "{{if .X}}a{{else if .Y}}b{{end}}{{end}}",
    "template: test:1: unexpected {{end}}"
)]
#[case::break_outside_range(
    "{{range .}}{{end}} {{break}}",
    "template: test:1: {{break}} outside {{range}}"
)]
#[case::continue_outside_range(
    "{{range .}}{{end}} {{continue}}",
    "template: test:1: {{continue}} outside {{range}}"
)]
#[case::break_in_range_else(
    "{{range .}}{{else}}{{break}}{{end}}",
    "template: test:1: {{break}} outside {{range}}"
)]
#[case::continue_in_range_else(
    "{{range .}}{{else}}{{continue}}{{end}}",
    "template: test:1: {{continue}} outside {{range}}"
)]
#[case::bug0b("{{$x += 1}}{{$x}}", "template: test:1: undefined variable \"$x\"")]
#[case::bug0c("{{$x ! 2}}{{$x}}", "template: test:1: undefined variable \"$x\"")]
#[case::bug0e(
    "{{range $x := $y := 3}}{{end}}",
    "template: test:1: undefined variable \"$y\""
)]
#[case::bug1a("{{$x:=.}}{{$x!2}}", "template: test:1: bad character U+0021 '!'")]
#[case::bug1b("{{$x:=.}}{{$x+2}}", "template: test:1: bad character U+002B '+'")]
#[case::dot_after_integer("{{1.E}}", "template: test:1: illegal number syntax: \"1.E\"")]
#[case::dot_after_float("{{0.1.E}}", "template: test:1: unexpected . after term \"0.1\"")]
#[case::dot_after_boolean("{{true.E}}", "template: test:1: unexpected . after term \"true\"")]
#[case::dot_after_char("{{'a'.any}}", "template: test:1: unexpected . after term \"'a'\"")]
#[case::dot_after_string(
    "{{\"hello\".guys}}",
    "template: test:1: unexpected . after term \"\\\"hello\\\"\""
)]
#[case::dot_after_dot("{{..E}}", "template: test:1: unexpected . after term \".\"")]
#[case::dot_after_nil("{{nil.E}}", "template: test:1: unexpected . after term \"nil\"")]
#[case::wrong_pipeline_dot(
    "{{12|.}}",
    "template: test:1: non executable command in pipeline stage 2"
)]
#[case::wrong_pipeline_number(
    "{{.|12|printf}}",
    "template: test:1: non executable command in pipeline stage 2"
)]
#[case::wrong_pipeline_string(
    "{{.|printf|\"error\"}}",
    "template: test:1: non executable command in pipeline stage 3"
)]
#[case::wrong_pipeline_char(
    "{{12|printf|'e'}}",
    "template: test:1: non executable command in pipeline stage 3"
)]
#[case::wrong_pipeline_boolean(
    "{{.|true}}",
    "template: test:1: non executable command in pipeline stage 2"
)]
#[case::wrong_pipeline_nil(
    "{{'c'|nil}}",
    "template: test:1: non executable command in pipeline stage 2"
)]
#[case::empty_pipeline(
    "{{printf \"%d\" ( ) }}",
    "template: test:1: missing value for parenthesized pipeline"
)]
#[case::block_without_pipeline(
    "{{block \"foo\"}}hello{{end}}",
    "template: test:1: missing value for block clause"
)]
#[case::multiple_definition(
    "{{define \"a\"}}1{{end}}{{define \"a\"}}2{{end}}",
    "template: test:1: template: multiple definition of template \"a\""
)]
#[case::define_needs_a_name(
    "{{define x}}{{end}}",
    "template: test:1: unexpected \"x\" in define clause"
)]
#[case::deep_nesting(&format!("{{{{{}1{}}}}}", "(".repeat(101), ")".repeat(101)), "template: test:1: max expression depth exceeded")]
// The lexer's errors (lex_test.go).
#[case::unterminated_quote("{{\"\\n\"}}{{\"abc}}", "template: test:1: unterminated quoted string")]
#[case::unterminated_raw_quote_names_its_line(
    "hello\n\n{{`unterminated\n\n\n\n}}\n some more\n\n",
    "template: test:3: unterminated raw quoted string"
)]
#[case::unterminated_char("{{'a}}", "template: test:1: unterminated character constant")]
#[case::unclosed_comment("{{/* x ", "template: test:1: unclosed comment")]
#[case::comment_before_delimiter(
    "{{/* x */ 3}}",
    "template: test:1: comment ends before closing delimiter"
)]
#[case::unclosed_paren("{{(3}}", "template: test:1: unclosed left paren")]
#[case::extra_paren("{{3)}}", "template: test:1: unexpected right paren")]
#[case::bad_number("{{3k}}", "template: test:1: bad number syntax: \"3k\"")]
#[case::unrecognized_character(
    "{{\u{1}}}",
    "template: test:1: unrecognized character in action: U+0001"
)]
#[case::bad_colon("{{$x := 1}}{{$x : 3}}", "template: test:1: expected :=")]
#[case::unclosed_action_in_later_line(
    "{{range\n.x\n",
    "template: test:3: unclosed action started at test:1"
)]
fn go_parse_errors(#[case] input: &str, #[case] want: &str) {
    assert_eq!(tree(input), Err(want.to_string()), "{input:?}");
}

#[rstest]
#[case::decimal("73", "73")]
#[case::underscore("7_3", "73")]
#[case::binary("0b10_010_01", "73")]
#[case::octal("073", "59")]
#[case::octal_o("0o73", "59")]
#[case::hex("0x73", "115")]
#[case::negative("-73", "-73")]
#[case::plus("+73", "73")]
#[case::exponent_is_float("1e9", "1e+09")]
#[case::negative_float("-1.2", "-1.2")]
#[case::hex_exponent("0x_1p4", "16")]
#[case::hex_negative_exponent("0x_1p-4", "0.0625")]
#[case::minus_zero_hex("-0x0", "0")]
#[case::deadbeef("0xdeadbeef", "3735928559")]
#[case::char_a("'a'", "97")]
#[case::char_newline("'\\n'", "10")]
#[case::char_backslash("'\\\\'", "92")]
#[case::char_quote("'\\''", "39")]
#[case::char_hex("'\\xFF'", "255")]
#[case::char_unicode("'パ'", "12497")]
#[case::char_u("'\\u30d1'", "12497")]
#[case::char_big_u("'\\U000030d1'", "12497")]
#[case::hex_ef_is_int("0xef", "239")]
fn go_numbers(#[case] text: &str, #[case] want: &str) {
    let parsed = parse("n", &format!("{{{{{text}}}}}"), &|_| false).expect(text);
    let crate::ast::Node::Action { pipe } = &parsed.top.root[0] else {
        panic!("not an action")
    };
    let crate::ast::Arg::Number { value, .. } = &pipe.cmds[0].args[0] else {
        panic!("not a number")
    };
    assert_eq!(value.as_ref().map(|v| v.to_string()), Ok(want.to_string()));
}

#[rstest]
#[case::plus_minus("+-2")]
#[case::hex_point("0x123.")]
#[case::exponent_point("1e.")]
#[case::hex_i("0xi.")]
#[case::char_unclosed("'x")]
#[case::two_chars("'xx'")]
#[case::char_too_large("'433937734937734969526500969526500'")]
#[case::complex("4i")]
#[case::integer_overflow("99999999999999999999")]
fn go_bad_numbers(#[case] text: &str) {
    assert!(
        parse("n", &format!("{{{{{text}}}}}"), &|_| false).is_err(),
        "{text}"
    );
}
