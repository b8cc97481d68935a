//! Go's own `text/template` execution tests (`exec_test.go`), rewritten as tables.
//!
//! Data: Go's `tVal` (a `*template.T`) is an `Object` with the same fields and methods; its
//! typed maps and slices are `map[string]interface {}` and `[]interface {}` values.
//!
//! Skipped classes, which need Go features the engine does not model: complex numbers,
//! channels and iterators (`count` returns a list here instead), pointers and typed nils
//! (`.NIL`, `*V`, `(*T)(nil)`), `Stringer`/`error` fields, function-valued fields with `call`,
//! unexported fields, maps with non-string keys (`MII`, `MI32S`...), unsigned integers,
//! typed-argument checks of Go functions (`valueString`, `vfunc`, `dddArg`), and custom
//! delimiters. Where Go's test only says "fails", the expected message is Go's message for it.

mod common;

use common::*;
use ferry_gotmpl::Value;
use rstest::rstest;

fn ok(s: &str) -> Result<&str, &str> {
    Ok(s)
}

fn err(s: &str) -> Result<&str, &str> {
    Err(s)
}

fn check(input: &str, data: Value, want: Result<&str, &str>) {
    let got = run(input, &data);
    match (&got, want) {
        (Ok(out), Ok(w)) => assert_eq!(out, w, "{input}"),
        (Err(e), Err(w)) => assert!(e.contains(w), "{input}: error {e:?} lacks {w:?}"),
        _ => panic!("{input}: got {got:?}, want {want:?}"),
    }
}

#[rstest]
// Trivial cases.
#[case::empty("", Value::Nil, ok(""))]
#[case::text("some text", Value::Nil, ok("some text"))]
#[case::nil_action("{{nil}}", Value::Nil, err("nil is not a command"))]
// Ideal constants.
#[case::ideal_int("{{typeOf 3}}", int(0), ok("int"))]
#[case::ideal_float("{{typeOf 1.0}}", int(0), ok("float64"))]
#[case::ideal_exp_float("{{typeOf 1e1}}", int(0), ok("float64"))]
#[case::ideal_big_int("{{typeOf 0x7fffffffffffffff}}", int(0), ok("int"))]
#[case::ideal_too_big(
    "{{typeOf 0x8000000000000000}}",
    int(0),
    err("0x8000000000000000 overflows int")
)]
// Fields of structs.
#[case::field_x("-{{.X}}-", t_val(), ok("-x-"))]
#[case::field_u_v("-{{.U.V}}-", t_val(), ok("-v-"))]
#[case::field_missing_on_struct(
    "{{.unexported}}",
    t_val(),
    err("can't evaluate field unexported in type *template.T")
)]
// Fields on maps.
#[case::map_one("{{.MSI.one}}", t_val(), ok("1"))]
#[case::map_two("{{.MSI.two}}", t_val(), ok("2"))]
#[case::map_no("{{.MSI.NO}}", t_val(), ok("<no value>"))]
#[case::map_one_interface("{{.MXI.one}}", t_val(), ok("1"))]
#[case::map_wrong_args(
    "{{.MSI.one 1}}",
    t_val(),
    err("one is not a method but has arguments")
)]
// Dots of all kinds.
#[case::dot_int("<{{.}}>", int(13), ok("<13>"))]
#[case::dot_float("<{{.}}>", Value::Float(15.1), ok("<15.1>"))]
#[case::dot_bool("<{{.}}>", Value::Bool(true), ok("<true>"))]
#[case::dot_string("<{{.}}>", s("hello"), ok("<hello>"))]
#[case::dot_slice("<{{.}}>", ints(&[-1, -2, -3]), ok("<[-1 -2 -3]>"))]
#[case::dot_map("<{{.}}>", map(&[("two", int(22))]), ok("<map[two:22]>"))]
// Variables.
#[case::var_dollar_int("{{$}}", int(123), ok("123"))]
#[case::var_dollar_i("{{$.I}}", t_val(), ok("17"))]
#[case::var_dollar_u_v("{{$.U.V}}", t_val(), ok("v"))]
#[case::declare_in_action("{{$x := $.U.V}}{{$x}}", t_val(), ok("v"))]
#[case::simple_assignment("{{$x := 2}}{{$x = 3}}{{$x}}", t_val(), ok("3"))]
#[case::nested_assignment("{{$x := 2}}{{if true}}{{$x = 3}}{{end}}{{$x}}", t_val(), ok("3"))]
#[case::assignment_to_undeclared("{{$x = 3}}", t_val(), err("undefined variable: $x"))]
#[case::assignment_after_scope_ends(
    "{{if true}}{{$x := 1}}{{end}}{{$x = 2}}",
    t_val(),
    err("undefined variable: $x")
)]
#[case::nested_assignment_changes_last_declaration(
    "{{$x := 1}}{{if true}}{{$x := 2}}{{$x = 3}}{{end}}{{$x}}",
    t_val(),
    ok("1")
)]
// Pointers, read through as values.
#[case::pointer_int("{{.PI}}", t_val(), ok("23"))]
#[case::pointer_string("{{.PS}}", t_val(), ok("a string"))]
#[case::pointer_slice("{{.PSI}}", t_val(), ok("[21 22 23]"))]
#[case::pointer_slice_index("{{index .PSI 1}}", t_val(), ok("22"))]
// Empty interfaces holding values.
#[case::empty_nil("{{.Empty0}}", t_val(), ok("<no value>"))]
#[case::empty_with_int("{{.Empty1}}", t_val(), ok("3"))]
#[case::empty_with_string("{{.Empty2}}", t_val(), ok("empty2"))]
#[case::empty_with_slice("{{.Empty3}}", t_val(), ok("[7 8]"))]
#[case::empty_with_struct_field("{{.Empty4.V}}", t_val(), ok("UinEmpty"))]
// Method calls.
#[case::method0("-{{.Method0}}-", t_val(), ok("-M0-"))]
#[case::method1_const("-{{.Method1 1234}}-", t_val(), ok("-1234-"))]
#[case::method1_field("-{{.Method1 .I}}-", t_val(), ok("-17-"))]
#[case::method2("-{{.Method2 3 .X}}-", t_val(), ok("-Method2: 3 x-"))]
#[case::method2_raw("-{{.Method2 .U16 `str`}}-", t_val(), ok("-Method2: 16 str-"))]
#[case::method2_var(
    "{{if $x := .X}}-{{.Method2 .U16 $x}}{{end}}-",
    t_val(),
    ok("-Method2: 16 x-")
)]
#[case::method3_nil_constant("-{{.Method3 nil}}-", t_val(), ok("-Method3: <nil>-"))]
#[case::method3_nil_value("-{{.Method3 .MXI.unset}}-", t_val(), ok("-Method3: <nil>-"))]
#[case::method_on_var(
    "{{if $x := .}}-{{$x.Method2 .U16 $x.X}}{{end}}-",
    t_val(),
    ok("-Method2: 16 x-")
)]
#[case::method_on_chained_var(
    "{{range .MSIone}}{{if $.U.V}}{{$.U.V}}{{else}}WRONG{{end}}{{end}}",
    t_val(),
    ok("v")
)]
#[case::chained_method(
    "{{range .MSIone}}{{if $.GetU.V}}{{$.GetU.V}}{{else}}WRONG{{end}}{{end}}",
    t_val(),
    ok("v")
)]
#[case::chained_method_on_variable(
    "{{with $x := .}}{{with .SI}}{{$.GetU.V}}{{end}}{{end}}",
    t_val(),
    ok("v")
)]
#[case::method_error("{{.MyError true}}", t_val(), err("error calling MyError: my error"))]
#[case::method_no_error("{{.MyError false}}", t_val(), ok("false"))]
#[case::method_wrong_args(
    "{{.Method0 1}}",
    t_val(),
    err("Method0 has arguments but cannot be invoked as function")
)]
// Pipelines.
#[case::pipeline("-{{.Method0 | .Method2 .U16}}-", t_val(), ok("-Method2: 16 M0-"))]
#[case::parens_in_pipeline(
    "{{printf `%d %d %d` (1) (2 | add 3) (add 4 (add 5 6))}}",
    t_val(),
    ok("1 5 15")
)]
#[case::parens_dollar("{{($).X}}", t_val(), ok("x"))]
#[case::parens_dollar_get_u("{{($.GetU).V}}", t_val(), ok("v"))]
#[case::parens_dollar_in_pipe("{{($ | echo).X}}", t_val(), ok("x"))]
#[case::parens_spaces_and_args(
    "{{(makemap \"up\" \"down\" \"left\" \"right\").left}}",
    t_val(),
    ok("right")
)]
// If.
#[case::if_true("{{if true}}TRUE{{end}}", t_val(), ok("TRUE"))]
#[case::if_false("{{if false}}TRUE{{else}}FALSE{{end}}", t_val(), ok("FALSE"))]
#[case::if_nil("{{if nil}}TRUE{{end}}", t_val(), err("nil is not a command"))]
#[case::if_1("{{if 1}}NON-ZERO{{else}}ZERO{{end}}", t_val(), ok("NON-ZERO"))]
#[case::if_0("{{if 0}}NON-ZERO{{else}}ZERO{{end}}", t_val(), ok("ZERO"))]
#[case::if_1_5("{{if 1.5}}NON-ZERO{{else}}ZERO{{end}}", t_val(), ok("NON-ZERO"))]
#[case::if_0_0("{{if .FloatZero}}NON-ZERO{{else}}ZERO{{end}}", t_val(), ok("ZERO"))]
#[case::if_emptystring("{{if ``}}NON-EMPTY{{else}}EMPTY{{end}}", t_val(), ok("EMPTY"))]
#[case::if_string(
    "{{if `notempty`}}NON-EMPTY{{else}}EMPTY{{end}}",
    t_val(),
    ok("NON-EMPTY")
)]
#[case::if_emptyslice("{{if .SIEmpty}}NON-EMPTY{{else}}EMPTY{{end}}", t_val(), ok("EMPTY"))]
#[case::if_slice("{{if .SI}}NON-EMPTY{{else}}EMPTY{{end}}", t_val(), ok("NON-EMPTY"))]
#[case::if_emptymap("{{if .MSIEmpty}}NON-EMPTY{{else}}EMPTY{{end}}", t_val(), ok("EMPTY"))]
#[case::if_map("{{if .MSI}}NON-EMPTY{{else}}EMPTY{{end}}", t_val(), ok("NON-EMPTY"))]
#[case::if_map_unset("{{if .MXI.none}}NON-ZERO{{else}}ZERO{{end}}", t_val(), ok("ZERO"))]
#[case::if_map_not_unset("{{if not .MXI.none}}ZERO{{else}}NON-ZERO{{end}}", t_val(), ok("ZERO"))]
#[case::if_x_with_y(
    "{{if $x := true}}{{with $y := .I}}{{$x}},{{$y}}{{end}}{{end}}",
    t_val(),
    ok("true,17")
)]
#[case::if_x_with_x(
    "{{if $x := true}}{{with $x := .I}}{{$x}},{{end}}{{$x}}{{end}}",
    t_val(),
    ok("17,true")
)]
#[case::if_else_if("{{if false}}FALSE{{else if true}}TRUE{{end}}", t_val(), ok("TRUE"))]
#[case::if_else_chain(
    "{{if eq 1 3}}1{{else if eq 2 3}}2{{else if eq 3 3}}3{{end}}",
    t_val(),
    ok("3")
)]
// Print etc.
#[case::print("{{print \"hello, print\"}}", t_val(), ok("hello, print"))]
#[case::print_123("{{print 1 2 3}}", t_val(), ok("1 2 3"))]
#[case::print_nil("{{print nil}}", t_val(), ok("<nil>"))]
#[case::println("{{println 1 2 3}}", t_val(), ok("1 2 3\n"))]
#[case::printf_int("{{printf \"%04x\" 127}}", t_val(), ok("007f"))]
#[case::printf_float("{{printf \"%g\" 3.5}}", t_val(), ok("3.5"))]
#[case::printf_string("{{printf \"%s\" \"hello\"}}", t_val(), ok("hello"))]
#[case::printf_function("{{printf \"%#q\" zeroArgs}}", t_val(), ok("`zeroArgs`"))]
#[case::printf_field("{{printf \"%s\" .U.V}}", t_val(), ok("v"))]
#[case::printf_method("{{printf \"%s\" .Method0}}", t_val(), ok("M0"))]
#[case::printf_dot("{{with .I}}{{printf \"%d\" .}}{{end}}", t_val(), ok("17"))]
#[case::printf_var("{{with $x := .I}}{{printf \"%d\" $x}}{{end}}", t_val(), ok("17"))]
#[case::printf_lots(
    "{{printf \"%d %s %g %s\" 127 \"hello\" 7.5 .Method0}}",
    t_val(),
    ok("127 hello 7.5 M0")
)]
// HTML, JavaScript, URL query.
#[case::html(
    "{{html \"<script>alert(\\\"XSS\\\");</script>\"}}",
    Value::Nil,
    ok("&lt;script&gt;alert(&#34;XSS&#34;);&lt;/script&gt;")
)]
#[case::html_pipeline(
    "{{printf \"<script>alert(\\\"XSS\\\");</script>\" | html}}",
    Value::Nil,
    ok("&lt;script&gt;alert(&#34;XSS&#34;);&lt;/script&gt;")
)]
#[case::html_field("{{html .PS}}", t_val(), ok("a string"))]
#[case::html_untyped_nil("{{html .Empty0}}", t_val(), ok("&lt;nil&gt;"))]
#[case::js("{{js .}}", s("It'd be nice."), ok("It\\'d be nice."))]
#[case::urlquery(
    "{{\"http://www.example.org/\"|urlquery}}",
    Value::Nil,
    ok("http%3A%2F%2Fwww.example.org%2F")
)]
// Booleans.
#[case::not("{{not true}} {{not false}}", Value::Nil, ok("false true"))]
#[case::and(
    "{{and false 0}} {{and 1 0}} {{and 0 true}} {{and 1 1}}",
    Value::Nil,
    ok("false 0 0 1")
)]
#[case::or(
    "{{or 0 0}} {{or 1 0}} {{or 0 true}} {{or 1 1}}",
    Value::Nil,
    ok("0 1 true 1")
)]
#[case::or_short_circuit("{{or 0 1 (die)}}", Value::Nil, ok("1"))]
#[case::and_short_circuit("{{and 1 0 (die)}}", Value::Nil, ok("0"))]
#[case::or_short_circuit2("{{or 0 0 (die)}}", Value::Nil, err("error calling die: die"))]
#[case::and_short_circuit2("{{and 1 1 (die)}}", Value::Nil, err("error calling die: die"))]
#[case::and_pipe_true("{{1 | and 1}}", Value::Nil, ok("1"))]
#[case::and_pipe_false("{{0 | and 1}}", Value::Nil, ok("0"))]
#[case::or_pipe_true("{{1 | or 0}}", Value::Nil, ok("1"))]
#[case::or_pipe_false("{{0 | or 0}}", Value::Nil, ok("0"))]
#[case::and_undef("{{and 1 .Unknown}}", Value::Nil, ok("<no value>"))]
#[case::or_undef("{{or 0 .Unknown}}", Value::Nil, ok("<no value>"))]
#[case::boolean_if("{{if and true 1 `hi`}}TRUE{{else}}FALSE{{end}}", t_val(), ok("TRUE"))]
#[case::boolean_if_not(
    "{{if and true 1 `hi` | not}}TRUE{{else}}FALSE{{end}}",
    Value::Nil,
    ok("FALSE")
)]
#[case::boolean_if_pipe(
    "{{if true | not | and 1}}TRUE{{else}}FALSE{{end}}",
    Value::Nil,
    ok("FALSE")
)]
// Indexing.
#[case::index_slice_0("{{index .SI 0}}", t_val(), ok("3"))]
#[case::index_slice_1("{{index .SI 1}}", t_val(), ok("4"))]
#[case::index_slice_huge(
    "{{index .SI 10}}",
    t_val(),
    err("error calling index: index out of range: 10")
)]
#[case::index_slice_wrong(
    "{{index .SI `hello`}}",
    t_val(),
    err("cannot index slice/array with type string")
)]
#[case::index_slice_nil("{{index .SI nil}}", t_val(), err("cannot index slice/array with nil"))]
#[case::index_map_one("{{index .MSI `one`}}", t_val(), ok("1"))]
#[case::index_map_two("{{index .MSI `two`}}", t_val(), ok("2"))]
#[case::index_map_no("{{index .MSI `XXX`}}", t_val(), ok("<no value>"))]
#[case::index_map_nil(
    "{{index .MSI nil}}",
    t_val(),
    err("value is nil; should be of type string")
)]
#[case::index_map_empty_key("{{index .MSI ``}}", t_val(), ok("<no value>"))]
#[case::index_map_wrong(
    "{{index .MSI 10}}",
    t_val(),
    err("value has type int; should be string")
)]
#[case::index_double("{{index .SMSI 1 `eleven`}}", t_val(), ok("11"))]
#[case::index_nil("{{index nil 1}}", t_val(), err("index of untyped nil"))]
#[case::index_interface_field("{{index .Empty3 0}}", t_val(), ok("7"))]
#[case::index_string("{{index \"hi\" 1}}", Value::Nil, ok("105"))]
#[case::index_no_indexes("{{index .SI}}", t_val(), ok("[3 4 5]"))]
#[case::index_of_missing_nested("{{index .MSI `XXX` `y`}}", t_val(), err("index of nil pointer"))]
#[case::index_item_of_int("{{index 3 0}}", Value::Nil, err("can't index item of type int"))]
// Slicing.
#[case::slice_all("{{slice .SI}}", t_val(), ok("[3 4 5]"))]
#[case::slice_from_1("{{slice .SI 1}}", t_val(), ok("[4 5]"))]
#[case::slice_1_2("{{slice .SI 1 2}}", t_val(), ok("[4]"))]
#[case::slice_neg("{{slice .SI -1}}", t_val(), err("index out of range: -1"))]
#[case::slice_1_neg2("{{slice .SI 1 -2}}", t_val(), err("index out of range: -2"))]
#[case::slice_3_index_neg("{{slice .SI 1 2 -1}}", t_val(), err("index out of range: -1"))]
#[case::slice_2_1("{{slice .SI 2 1}}", t_val(), err("invalid slice index: 2 > 1"))]
#[case::slice_2_2_1("{{slice .SI 2 2 1}}", t_val(), err("invalid slice index: 2 > 1"))]
#[case::slice_out_of_range("{{slice .SI 4 5}}", t_val(), err("index out of range: 4"))]
#[case::slice_out_of_range_3("{{slice .SI 2 2 5}}", t_val(), err("index out of range: 5"))]
#[case::slice_array_all("{{slice .AI}}", t_val(), ok("[3 4 5]"))]
#[case::slice_array_1("{{slice .AI 1}}", t_val(), ok("[4 5]"))]
#[case::slice_array_1_2("{{slice .AI 1 2}}", t_val(), ok("[4]"))]
#[case::slice_string_all("{{slice .S}}", t_val(), ok("xyz"))]
#[case::slice_string_0_1("{{slice .S 0 1}}", t_val(), ok("x"))]
#[case::slice_string_1("{{slice .S 1}}", t_val(), ok("yz"))]
#[case::slice_string_1_2("{{slice .S 1 2}}", t_val(), ok("y"))]
#[case::slice_string_out_of_range("{{slice .S 1 5}}", t_val(), err("index out of range: 5"))]
#[case::slice_string_3_index("{{slice .S 1 2 2}}", t_val(), err("cannot 3-index slice a string"))]
#[case::slice_interface_field("{{slice .Empty3 0 1}}", t_val(), ok("[7]"))]
#[case::slice_of_nil("{{slice nil}}", t_val(), err("slice of untyped nil"))]
#[case::slice_of_int("{{slice 3}}", t_val(), err("can't slice item of type int"))]
// Len.
#[case::len_slice("{{len .SI}}", t_val(), ok("3"))]
#[case::len_map("{{len .MSI }}", t_val(), ok("3"))]
#[case::len_of_int("{{len 3}}", t_val(), err("error calling len: len of type int"))]
#[case::len_of_nothing(
    "{{len .Empty0}}",
    t_val(),
    err("error calling len: len of nil pointer")
)]
#[case::len_of_interface_field("{{len .Empty3}}", t_val(), ok("2"))]
#[case::len_of_string("{{len \"héllo\"}}", Value::Nil, ok("6"))]
#[case::len_wrong_args(
    "{{len 1 2}}",
    Value::Nil,
    err("wrong number of args for len: want 1 got 2")
)]
// With.
#[case::with_true("{{with true}}{{.}}{{end}}", t_val(), ok("true"))]
#[case::with_false("{{with false}}{{.}}{{else}}FALSE{{end}}", t_val(), ok("FALSE"))]
#[case::with_1("{{with 1}}{{.}}{{else}}ZERO{{end}}", t_val(), ok("1"))]
#[case::with_0("{{with 0}}{{.}}{{else}}ZERO{{end}}", t_val(), ok("ZERO"))]
#[case::with_1_5("{{with 1.5}}{{.}}{{else}}ZERO{{end}}", t_val(), ok("1.5"))]
#[case::with_0_0("{{with .FloatZero}}{{.}}{{else}}ZERO{{end}}", t_val(), ok("ZERO"))]
#[case::with_emptystring("{{with ``}}{{.}}{{else}}EMPTY{{end}}", t_val(), ok("EMPTY"))]
#[case::with_string(
    "{{with `notempty`}}{{.}}{{else}}EMPTY{{end}}",
    t_val(),
    ok("notempty")
)]
#[case::with_emptyslice("{{with .SIEmpty}}{{.}}{{else}}EMPTY{{end}}", t_val(), ok("EMPTY"))]
#[case::with_slice("{{with .SI}}{{.}}{{else}}EMPTY{{end}}", t_val(), ok("[3 4 5]"))]
#[case::with_emptymap("{{with .MSIEmpty}}{{.}}{{else}}EMPTY{{end}}", t_val(), ok("EMPTY"))]
#[case::with_map("{{with .MSIone}}{{.}}{{else}}EMPTY{{end}}", t_val(), ok("map[one:1]"))]
#[case::with_empty_interface_struct_field("{{with .Empty4}}{{.V}}{{end}}", t_val(), ok("UinEmpty"))]
#[case::with_x_int("{{with $x := .I}}{{$x}}{{end}}", t_val(), ok("17"))]
#[case::with_x_struct_u_v("{{with $x := $}}{{$x.U.V}}{{end}}", t_val(), ok("v"))]
#[case::with_variable_and_action("{{with $x := $}}{{$y := $.U.V}}{{$y}}{{end}}", t_val(), ok("v"))]
#[case::with_else_with("{{with 0}}{{.}}{{else with true}}{{.}}{{end}}", t_val(), ok("true"))]
#[case::with_else_with_chain(
    "{{with 0}}{{.}}{{else with false}}{{.}}{{else with `notempty`}}{{.}}{{end}}",
    t_val(),
    ok("notempty")
)]
// Range.
#[case::range_ints("{{range .SI}}-{{.}}-{{end}}", t_val(), ok("-3--4--5-"))]
#[case::range_empty_no_else("{{range .SIEmpty}}-{{.}}-{{end}}", t_val(), ok(""))]
#[case::range_ints_else("{{range .SI}}-{{.}}-{{else}}EMPTY{{end}}", t_val(), ok("-3--4--5-"))]
#[case::range_empty_else("{{range .SIEmpty}}-{{.}}-{{else}}EMPTY{{end}}", t_val(), ok("EMPTY"))]
#[case::range_break_else(
    "{{range .SI}}-{{.}}-{{break}}NOTREACHED{{else}}EMPTY{{end}}",
    t_val(),
    ok("-3-")
)]
#[case::range_continue_else(
    "{{range .SI}}-{{.}}-{{continue}}NOTREACHED{{else}}EMPTY{{end}}",
    t_val(),
    ok("-3--4--5-")
)]
#[case::range_bools("{{range .SB}}-{{.}}-{{end}}", t_val(), ok("-true--false-"))]
#[case::range_ints_method("{{range .SI | .MAdd .I}}-{{.}}-{{end}}", t_val(), ok("-20--21--22-"))]
#[case::range_map("{{range .MSI}}-{{.}}-{{end}}", t_val(), ok("-1--3--2-"))]
#[case::range_empty_map_no_else("{{range .MSIEmpty}}-{{.}}-{{end}}", t_val(), ok(""))]
#[case::range_map_else("{{range .MSI}}-{{.}}-{{else}}EMPTY{{end}}", t_val(), ok("-1--3--2-"))]
#[case::range_empty_map_else(
    "{{range .MSIEmpty}}-{{.}}-{{else}}EMPTY{{end}}",
    t_val(),
    ok("EMPTY")
)]
#[case::range_empty_interface(
    "{{range .Empty3}}-{{.}}-{{else}}EMPTY{{end}}",
    t_val(),
    ok("-7--8-")
)]
#[case::range_empty_nil("{{range .Empty0}}-{{.}}-{{end}}", t_val(), ok(""))]
#[case::range_x_si("{{range $x := .SI}}<{{$x}}>{{end}}", t_val(), ok("<3><4><5>"))]
#[case::range_x_y_si(
    "{{range $x, $y := .SI}}<{{$x}}={{$y}}>{{end}}",
    t_val(),
    ok("<0=3><1=4><2=5>")
)]
#[case::range_x_msione("{{range $x := .MSIone}}<{{$x}}>{{end}}", t_val(), ok("<1>"))]
#[case::range_x_y_msione(
    "{{range $x, $y := .MSIone}}<{{$x}}={{$y}}>{{end}}",
    t_val(),
    ok("<one=1>")
)]
#[case::range_x_psi("{{range $x := .PSI}}<{{$x}}>{{end}}", t_val(), ok("<21><22><23>"))]
#[case::declare_in_range(
    "{{range $x := .PSI}}<{{$foo:=$x}}{{$x}}>{{end}}",
    t_val(),
    ok("<21><22><23>")
)]
#[case::range_count(
    "{{range $i, $x := count 5}}[{{$i}}]{{$x}}{{end}}",
    t_val(),
    ok("[0]a[1]b[2]c[3]d[4]e")
)]
#[case::range_nil_count(
    "{{range $i, $x := count 0}}{{else}}empty{{end}}",
    t_val(),
    ok("empty")
)]
#[case::range_int(
    "{{range $v := .}}{{printf \"%T%d\" $v $v}}{{end}}",
    int(5),
    ok("int0int1int2int3int4")
)]
#[case::range_int_0(
    "{{range $v := .}}{{print $v}}{{else}}empty{{end}}",
    int(0),
    ok("empty")
)]
#[case::range_5(
    "{{range $v := 5}}{{printf \"%T%d\" $v $v}}{{end}}",
    Value::Nil,
    ok("int0int1int2int3int4")
)]
#[case::range_int_two_vars(
    "{{range $i, $v := 5}}{{end}}",
    Value::Nil,
    err("can't use 5 to iterate over more than one variable")
)]
#[case::range_float(
    "{{range .}}{{end}}",
    Value::Float(3.0),
    err("range can't iterate over 3")
)]
#[case::range_string("{{range .}}{{end}}", s("abc"), err("range can't iterate over abc"))]
#[case::issue56490(
    "{{$i := 0}}{{$x := 0}}{{range $i = .AI}}{{end}}{{$i}}",
    t_val(),
    ok("5")
)]
#[case::issue60801(
    "{{$k := 0}}{{$v := 0}}{{range $k, $v = .AI}}{{$k}}={{$v}} {{end}}",
    t_val(),
    ok("0=3 1=4 2=5 ")
)]
#[case::range_break_nested_if(
    "{{range .SI}}{{if eq . 4}}{{break}}{{end}}{{.}}{{end}}",
    t_val(),
    ok("3")
)]
#[case::range_continue_nested_with(
    "{{range .SI}}{{with eq . 4}}{{continue}}{{end}}{{.}}{{end}}",
    t_val(),
    ok("35")
)]
#[case::range_var_scope_ends("{{range $e := .SI}}{{$y := $e}}{{end}}{{$.X}}", t_val(), ok("x"))]
// Cute examples.
#[case::or_as_if_true("{{or .SI \"slice is empty\"}}", t_val(), ok("[3 4 5]"))]
#[case::or_as_if_false("{{or .SIEmpty \"slice is empty\"}}", t_val(), ok("slice is empty"))]
// Numbers.
#[case::decimal("{{print 1234}}", t_val(), ok("1234"))]
#[case::decimal_underscore("{{print 12_34}}", t_val(), ok("1234"))]
#[case::binary("{{print 0b101}}", t_val(), ok("5"))]
#[case::binary_underscore("{{print 0b_1_0_1}}", t_val(), ok("5"))]
#[case::binary_upper("{{print 0B101}}", t_val(), ok("5"))]
#[case::octal0("{{print 0377}}", t_val(), ok("255"))]
#[case::octal("{{print 0o377}}", t_val(), ok("255"))]
#[case::octal_underscore("{{print 0o_3_7_7}}", t_val(), ok("255"))]
#[case::octal_upper("{{print 0O377}}", t_val(), ok("255"))]
#[case::hex("{{print 0x123}}", t_val(), ok("291"))]
#[case::hex_underscore("{{print 0x1_23}}", t_val(), ok("291"))]
#[case::hex_upper("{{print 0X123ABC}}", t_val(), ok("1194684"))]
#[case::float("{{print 123.4}}", t_val(), ok("123.4"))]
#[case::float_underscore("{{print 0_0_1_2_3.4}}", t_val(), ok("123.4"))]
#[case::hex_float("{{print +0x1.ep+2}}", t_val(), ok("7.5"))]
#[case::hex_float_underscore("{{print +0x_1.e_0p+0_2}}", t_val(), ok("7.5"))]
#[case::hex_float_upper("{{print +0X1.EP+2}}", t_val(), ok("7.5"))]
#[case::print_multi("{{print 1_2_3_4 7.5_00_00_00}}", t_val(), ok("1234 7.5"))]
#[case::print_multi2("{{print 1234 0x0_1.e_0p+02}}", t_val(), ok("1234 7.5"))]
#[case::char_constant("{{print 'a' '\\n' '\\x41'}}", t_val(), ok("97 10 65"))]
#[case::negative("{{print -5 +3}}", t_val(), ok("-5 3"))]
// Fixed bugs.
#[case::bug0("{{range .MSIone}}{{if $.Method1 .}}X{{end}}{{end}}", t_val(), ok("X"))]
#[case::bug3("{{with $}}{{.Method0}}{{end}}", t_val(), ok("M0"))]
#[case::bug4("{{if .Empty0}}non-nil{{else}}nil{{end}}", t_val(), ok("nil"))]
#[case::bug7a("{{3 2}}", t_val(), err("can't give argument to non-function 3"))]
#[case::bug7b(
    "{{$x := 1}}{{$x 2}}",
    t_val(),
    err("can't give argument to non-function $x")
)]
#[case::bug7c(
    "{{$x := 1}}{{3 | $x}}",
    t_val(),
    err("can't give argument to non-function $x")
)]
#[case::bug9("{{.cause}}", map(&[("cause", s("neglect"))]), ok("neglect"))]
#[case::bug10("{{mapOfThree.three}}-{{(mapOfThree).three}}", int(0), ok("3-3"))]
#[case::bug12_xe("{{printf `%T` 0xef}}", Value::Nil, ok("int"))]
#[case::bug12_x_upper_e("{{printf `%T` 0xEE}}", Value::Nil, ok("int"))]
#[case::bug12_upper_xe("{{printf `%T` 0Xef}}", Value::Nil, ok("int"))]
#[case::bug13("{{print (.Copy).I}}", t_val(), ok("17"))]
#[case::bug14a("{{(nil).True}}", t_val(), err("nil is not a command"))]
#[case::bug14b("{{$x := nil}}{{$x.anything}}", t_val(), err("nil is not a command"))]
#[case::bug14c(
    "{{$x := (1.0)}}{{$y := (\"hello\")}}{{$x.anything}}{{$y.true}}",
    t_val(),
    err("can't evaluate field anything in type float64")
)]
#[case::bug16a(
    "{{true|printf}}",
    t_val(),
    err("wrong type for value; expected string; got bool")
)]
#[case::bug16b(
    "{{1|printf}}",
    t_val(),
    err("wrong type for value; expected string; got int")
)]
#[case::bug16g("{{\"aaa\" |twoArgs \"bbb\"}}", t_val(), ok("twoArgs=bbbaaa"))]
#[case::bug16i("{{\"aaa\"|oneArg}}", t_val(), ok("oneArg=aaa"))]
#[case::bug16k("{{\"aaa\"|printf }}", t_val(), ok("aaa"))]
#[case::bug18a("{{eq . '.'}}", int('.' as i64), ok("true"))]
#[case::bug18b("{{eq . 'e'}}", int('e' as i64), ok("true"))]
#[case::bug18c("{{eq . 'P'}}", int('P' as i64), ok("true"))]
// Interface values (TestInterfaceValues).
#[case::iface_index_nil("{{index .Nil 1}}", iface_data(), err("index of untyped nil"))]
#[case::iface_index_slice("{{index .Slice 2}}", iface_data(), ok("2"))]
#[case::iface_index_slice_two("{{index .Slice .Two}}", iface_data(), ok("2"))]
#[case::iface_call_nil("{{call .Nil 1}}", iface_data(), err("call of nil"))]
#[case::iface_and_index0("{{and (index .Slice 0) true}}", iface_data(), ok("0"))]
#[case::iface_and_zero("{{and .Zero true}}", iface_data(), ok("0"))]
#[case::iface_and_index1("{{and (index .Slice 1) false}}", iface_data(), ok("false"))]
#[case::iface_and_one("{{and .One false}}", iface_data(), ok("false"))]
#[case::iface_or_index0("{{or (index .Slice 0) false}}", iface_data(), ok("false"))]
#[case::iface_or_zero("{{or .Zero false}}", iface_data(), ok("false"))]
#[case::iface_or_index1("{{or (index .Slice 1) true}}", iface_data(), ok("1"))]
#[case::iface_or_one("{{or .One true}}", iface_data(), ok("1"))]
#[case::iface_not_index0("{{not (index .Slice 0)}}", iface_data(), ok("true"))]
#[case::iface_not_zero("{{not .Zero}}", iface_data(), ok("true"))]
#[case::iface_not_index1("{{not (index .Slice 1)}}", iface_data(), ok("false"))]
#[case::iface_not_one("{{not .One}}", iface_data(), ok("false"))]
#[case::iface_eq_index0("{{eq (index .Slice 0) .Zero}}", iface_data(), ok("true"))]
#[case::iface_eq_index1("{{eq (index .Slice 1) .One}}", iface_data(), ok("true"))]
#[case::iface_ne_index0("{{ne (index .Slice 0) .Zero}}", iface_data(), ok("false"))]
#[case::iface_ne_index1("{{ne (index .Slice 1) .One}}", iface_data(), ok("false"))]
#[case::iface_ge_index0("{{ge (index .Slice 0) .One}}", iface_data(), ok("false"))]
#[case::iface_ge_index1("{{ge (index .Slice 1) .Zero}}", iface_data(), ok("true"))]
#[case::iface_gt_index0("{{gt (index .Slice 0) .One}}", iface_data(), ok("false"))]
#[case::iface_gt_index1("{{gt (index .Slice 1) .Zero}}", iface_data(), ok("true"))]
#[case::iface_le_index0("{{le (index .Slice 0) .One}}", iface_data(), ok("true"))]
#[case::iface_le_index1("{{le (index .Slice 1) .Zero}}", iface_data(), ok("false"))]
#[case::iface_lt_index0("{{lt (index .Slice 0) .One}}", iface_data(), ok("true"))]
#[case::iface_lt_index1("{{lt (index .Slice 1) .Zero}}", iface_data(), ok("false"))]
// Builtin arity (TestFunctionCheckDuringCall).
#[case::call_nothing(
    "{{call}}",
    t_val(),
    err("wrong number of args for call: want at least 1 got 0")
)]
#[case::call_non_function(
    "{{call .True}}",
    t_val(),
    err("error calling call: non-function .True of type bool")
)]
#[case::issue31810("{{ (.)  }}", s("result"), ok("result"))]
fn go_exec(#[case] input: &str, #[case] data: Value, #[case] want: Result<&str, &str>) {
    check(input, data, want);
}

/// The data of Go's `TestInterfaceValues`.
fn iface_data() -> Value {
    map(&[
        ("Slice", ints(&[0, 1, 2, 3])),
        ("One", int(1)),
        ("Two", int(2)),
        ("Nil", Value::Nil),
        ("Zero", int(0)),
    ])
}

/// Go's `TestComparison`: `{{if EXPR}}true{{else}}false{{end}}`.
#[rstest]
#[case("eq true true", ok("true"))]
#[case("eq true false", ok("false"))]
#[case("eq 1.5 1.5", ok("true"))]
#[case("eq 1.5 2.5", ok("false"))]
#[case("eq 1 1", ok("true"))]
#[case("eq 1 2", ok("false"))]
#[case("eq `xy` `xy`", ok("true"))]
#[case("eq `xy` `xyz`", ok("false"))]
#[case("eq .Three .Three", ok("true"))]
#[case("eq .Three .Four", ok("false"))]
#[case("eq 3 4 5 6 3", ok("true"))]
#[case("eq 3 4 5 6 7", ok("false"))]
#[case("ne true true", ok("false"))]
#[case("ne true false", ok("true"))]
#[case("ne 1.5 1.5", ok("false"))]
#[case("ne 1.5 2.5", ok("true"))]
#[case("ne 1 1", ok("false"))]
#[case("ne 1 2", ok("true"))]
#[case("ne `xy` `xy`", ok("false"))]
#[case("ne `xy` `xyz`", ok("true"))]
#[case("lt 1.5 1.5", ok("false"))]
#[case("lt 1.5 2.5", ok("true"))]
#[case("lt 1 1", ok("false"))]
#[case("lt 1 2", ok("true"))]
#[case("lt `xy` `xy`", ok("false"))]
#[case("lt `xy` `xyz`", ok("true"))]
#[case("le 1.5 1.5", ok("true"))]
#[case("le 1.5 2.5", ok("true"))]
#[case("le 2.5 1.5", ok("false"))]
#[case("le 1 1", ok("true"))]
#[case("le 1 2", ok("true"))]
#[case("le 2 1", ok("false"))]
#[case("le `xy` `xy`", ok("true"))]
#[case("le `xy` `xyz`", ok("true"))]
#[case("le `xyz` `xy`", ok("false"))]
#[case("gt 1.5 1.5", ok("false"))]
#[case("gt 1.5 2.5", ok("false"))]
#[case("gt 1 1", ok("false"))]
#[case("gt 2 1", ok("true"))]
#[case("gt 1 2", ok("false"))]
#[case("gt `xy` `xy`", ok("false"))]
#[case("gt `xy` `xyz`", ok("false"))]
#[case("ge 1.5 1.5", ok("true"))]
#[case("ge 1.5 2.5", ok("false"))]
#[case("ge 2.5 1.5", ok("true"))]
#[case("ge 1 1", ok("true"))]
#[case("ge 1 2", ok("false"))]
#[case("ge 2 1", ok("true"))]
#[case("ge `xy` `xy`", ok("true"))]
#[case("ge `xy` `xyz`", ok("false"))]
#[case("ge `xyz` `xy`", ok("true"))]
#[case("eq .NegOne .Three", ok("false"))]
#[case("lt .NegOne .Three", ok("true"))]
#[case("eq (index `x` 0) 'x'", ok("true"))]
#[case("eq (index `x` 0) 'y'", ok("false"))]
#[case("eq .NilIface .NilIface", ok("true"))]
#[case("eq .NilIface 0", ok("false"))]
#[case("eq 0 .NilIface", ok("false"))]
#[case("eq .Map nil", ok("false"))]
#[case("eq nil .Missing", ok("true"))]
#[case(
    "eq `xy` 1",
    err("error calling eq: incompatible types for comparison")
)]
#[case("eq 2 2.0", err("error calling eq: incompatible types for comparison"))]
#[case("lt true true", err("error calling lt: invalid type for comparison"))]
#[case("lt 1 `x`", err("error calling lt: incompatible types for comparison"))]
#[case("lt .Map 1", err("error calling lt: invalid type for comparison"))]
#[case(
    "eq .Map .Map",
    err("error calling eq: non-comparable type map[]: map[string]interface {}")
)]
#[case(
    "eq .Map .List",
    err(
        "error calling eq: non-comparable types map[]: map[string]interface {}, []interface {}: []"
    )
)]
#[case("eq 1", err("error calling eq: missing argument for comparison"))]
#[case("ne 1", err("wrong number of args for ne: want 2 got 1"))]
fn go_comparison(#[case] expr: &str, #[case] want: Result<&str, &str>) {
    let data = map(&[
        ("Three", int(3)),
        ("Four", int(4)),
        ("NegOne", int(-1)),
        ("NilIface", Value::Nil),
        ("Map", map(&[])),
        ("List", ints(&[])),
    ]);
    check(
        &format!("{{{{if {expr}}}}}true{{{{else}}}}false{{{{end}}}}"),
        data,
        want,
    );
}

/// Go's `TestExecError`: an error deep in nested templates names the innermost template,
/// the file's line and column, and the command.
#[test]
fn nested_template_error_names_the_innermost_place() {
    let text = "line 1\nline 2\nline 3\n{{template \"one\" .}}\n{{define \"one\"}}{{template \"two\" .}}{{end}}\n{{define \"two\"}}{{template \"three\" .}}{{end}}\n{{define \"three\"}}{{index \"hi\" $}}{{end}}";
    let funcs = funcs();
    let mut set = ferry_gotmpl::Templates::new();
    set.parse("top", text, &funcs).unwrap();
    let err = set.execute("top", &int(5), &funcs).unwrap_err();
    assert_eq!(
        err.to_string(),
        "template: top:7:20: executing \"three\" at <index \"hi\" $>: error calling index: index out of range: 5"
    );
    assert_eq!(
        (err.template.as_str(), err.line, err.column),
        ("top", 7, Some(20))
    );
}

/// Go's `TestBlock`: a block's body is the default; a later definition replaces it.
#[test]
fn block_is_replaced_by_a_later_definition() {
    let funcs = funcs();
    let mut set = ferry_gotmpl::Templates::new();
    set.parse(
        "outer",
        "a({{block \"inner\" .}}bar({{.}})baz{{end}})b",
        &funcs,
    )
    .unwrap();
    let before = set.clone();
    set.parse(
        "overlay",
        "{{define \"inner\"}}foo({{.}})bar{{end}}",
        &funcs,
    )
    .unwrap();
    assert_eq!(
        before.execute("outer", &s("hello"), &funcs).unwrap(),
        "a(bar(hello)baz)b"
    );
    assert_eq!(
        set.execute("outer", &s("goodbye"), &funcs).unwrap(),
        "a(foo(goodbye)bar)b"
    );
}

/// Go's `TestMissingMapKey` under Helm's `missingkey=zero` for `map[string]interface {}`.
#[test]
fn missing_map_key_prints_no_value() {
    assert_eq!(
        run("{{.x}} {{.y}}", &map(&[("x", int(99))])).as_deref(),
        Ok("99 <no value>")
    );
}

/// Go's `TestTree`: a recursive template with trim markers walks a binary tree.
#[test]
fn recursive_template_walks_a_tree() {
    fn node(val: i64, left: Option<Value>, right: Option<Value>) -> Value {
        let mut entries = vec![("Val", int(val))];
        if let Some(l) = left {
            entries.push(("Left", l));
        }
        if let Some(r) = right {
            entries.push(("Right", r));
        }
        map(&entries)
    }
    let leaf = |v| node(v, None, None);
    let tree = node(
        1,
        Some(node(
            2,
            Some(node(3, Some(leaf(4)), None)),
            Some(node(5, Some(leaf(6)), None)),
        )),
        Some(node(
            7,
            Some(node(8, Some(leaf(9)), None)),
            Some(node(10, Some(leaf(11)), None)),
        )),
    );
    let text = "\n\t{{- define \"tree\" -}}\n\t[\n\t\t{{- .Val -}}\n\t\t{{- with .Left -}}\n\t\t\t{{template \"tree\" . -}}\n\t\t{{- end -}}\n\t\t{{- with .Right -}}\n\t\t\t{{- template \"tree\" . -}}\n\t\t{{- end -}}\n\t]\n\t{{- end -}}\n";
    let funcs = funcs();
    let mut set = ferry_gotmpl::Templates::new();
    set.parse("root", text, &funcs).unwrap();
    assert_eq!(
        set.execute("tree", &tree, &funcs).unwrap(),
        "[1[2[3[4]][5[6]]][7[8[9]][10[11]]]]"
    );
}

/// Go's `TestMaxExecDepth`: runaway recursion is an error, not a crash.
#[test]
fn runaway_recursion_is_an_error() {
    let err = run(
        "{{define \"r\"}}{{template \"r\" .}}{{end}}{{template \"r\" .}}",
        &Value::Nil,
    )
    .unwrap_err();
    assert!(
        err.contains("exceeded maximum template depth (100)"),
        "{err}"
    );
}

/// Deeply nested control structures and parentheses within the parser's bound execute.
#[test]
fn deep_nesting_within_the_bound_executes() {
    let text = format!(
        "{}{}x{}{}",
        "{{if true}}".repeat(60),
        "{{with 1}}".repeat(30),
        "{{end}}".repeat(90),
        format_args!("{{{{{}1{}}}}}", "(".repeat(90), ")".repeat(90))
    );
    assert_eq!(run(&text, &Value::Nil).as_deref(), Ok("x1"));
}
