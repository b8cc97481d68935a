//! sprig's documented examples and its own unit tests (Masterminds/sprig docs/*.md and
//! *_test.go, Masterminds/semver's constraint tests), rewritten as tables that call each
//! function directly. Results are compared as Go's `%v` prints them.

use ferry_gotmpl::{sprig, FuncError, Runtime, Value};
use rstest::rstest;

/// sprig's functions need no runtime; this one refuses `include` and `tpl`.
struct NoTemplates;

impl Runtime for NoTemplates {
    fn include(&mut self, name: &str, _: &Value) -> Result<String, FuncError> {
        Err(FuncError(format!("no template {name}")))
    }
    fn tpl(&mut self, _: &str, _: &Value) -> Result<String, FuncError> {
        Err(FuncError::new("no tpl"))
    }
}

fn call(name: &str, args: &[Value]) -> Result<Value, FuncError> {
    let funcs = sprig::functions();
    let f = funcs
        .get(name)
        .unwrap_or_else(|| panic!("sprig has no {name}"));
    f(&mut NoTemplates, args)
}

fn show(name: &str, args: &[Value]) -> String {
    match call(name, args) {
        Ok(v) => v.to_string(),
        Err(e) => panic!("{name} failed: {e}"),
    }
}

fn s(x: &str) -> Value {
    Value::String(x.into())
}
fn i(x: i64) -> Value {
    Value::Int(x)
}
fn f(x: f64) -> Value {
    Value::Float(x)
}
fn b(x: bool) -> Value {
    Value::Bool(x)
}
fn nil() -> Value {
    Value::Nil
}
fn l(items: &[Value]) -> Value {
    Value::list_from(items.iter().cloned())
}
fn ints(items: &[i64]) -> Value {
    Value::list_from(items.iter().map(|x| Value::Int(*x)))
}
/// A map or list as Helm reads values (numbers become float64).
fn j(json: &str) -> Value {
    Value::from_json(&serde_json::from_str(json).expect("test json"))
}
fn now() -> Value {
    call("now", &[]).expect("now")
}

#[rstest]
#[case("upper", vec![s("hello")], "HELLO")]
#[case("lower", vec![s("HELLO")], "hello")]
#[case("title", vec![s("hello world")], "Hello World")]
#[case("title", vec![s("hello-world_x y")], "Hello-World_x Y")]
#[case("untitle", vec![s("Hello World")], "hello world")]
#[case("untitle", vec![s("First Try")], "first try")]
#[case("trim", vec![s("   hello    ")], "hello")]
#[case("trim", vec![s("   5.00   ")], "5.00")]
#[case("trimAll", vec![s("$"), s("$5.00$")], "5.00")]
#[case("trimall", vec![s("$"), s("$5.00")], "5.00")]
#[case("trimAll", vec![s("-*"), s("*-a-b-*")], "a-b")]
#[case("trimPrefix", vec![s("-"), s("-hello")], "hello")]
#[case("trimPrefix", vec![s("$"), s("$5.00")], "5.00")]
#[case("trimPrefix", vec![s("x"), s("hello")], "hello")]
#[case("trimSuffix", vec![s("-"), s("hello-")], "hello")]
#[case("trimSuffix", vec![s("$"), s("5.00$")], "5.00")]
#[case("repeat", vec![i(3), s("hello")], "hellohellohello")]
#[case("repeat", vec![i(0), s("hello")], "")]
#[case("substr", vec![i(0), i(5), s("hello world")], "hello")]
#[case("substr", vec![i(0), i(3), s("fooo")], "foo")]
#[case("substr", vec![i(0), i(10), s("foo")], "foo")]
#[case("substr", vec![i(-1), i(2), s("foo")], "fo")]
#[case("substr", vec![i(1), i(-1), s("foo")], "oo")]
#[case("nospace", vec![s("hello w o r l d")], "helloworld")]
#[case("nospace", vec![s("h e l l o ")], "hello")]
#[case("trunc", vec![i(5), s("hello world")], "hello")]
#[case("trunc", vec![i(-5), s("hello world")], "world")]
#[case("trunc", vec![i(3), s("foooooo")], "foo")]
#[case("trunc", vec![i(-3), s("baaaaaar")], "aar")]
#[case("trunc", vec![i(-999), s("baaaaaar")], "baaaaaar")]
#[case("trunc", vec![i(0), s("baaaaaz")], "")]
#[case("trunc", vec![i(63), s("short")], "short")]
#[case("abbrev", vec![i(5), s("hello world")], "he...")]
#[case("abbrev", vec![i(3), s("hello world")], "hello world")]
#[case("abbrev", vec![i(20), s("hello world")], "hello world")]
#[case("abbrev", vec![i(10), s("")], "")]
#[case("abbrevboth", vec![i(5), i(10), s("1234 5678 9123")], "...5678...")]
#[case("abbrevboth", vec![i(0), i(3), s("1234 5678 9123")], "1234 5678 9123")]
#[case("abbrevboth", vec![i(1), i(8), s("abcdefghijklmno")], "abcde...")]
#[case("initials", vec![s("First Try")], "FT")]
#[case("initials", vec![s("Hello  World  again")], "HWa")]
#[case("wrap", vec![i(5), s("Hello World")], "Hello\nWorld")]
#[case("wrap", vec![i(80), s("short")], "short")]
#[case("wrap", vec![i(3), s("abcdefg hi")], "abcdefg\nhi")]
#[case("wrapWith", vec![i(5), s("\t"), s("Hello World")], "Hello\tWorld")]
#[case("wrapWith", vec![i(3), s("|"), s("abcdefg")], "abc|def|g")]
#[case("contains", vec![s("cat"), s("catch")], "true")]
#[case("contains", vec![s("cat"), s("fair catch")], "true")]
#[case("contains", vec![s("dog"), s("catch")], "false")]
#[case("hasPrefix", vec![s("cat"), s("catch")], "true")]
#[case("hasPrefix", vec![s("dog"), s("catch")], "false")]
#[case("hasSuffix", vec![s("cat"), s("ducat")], "true")]
#[case("hasSuffix", vec![s("cat"), s("catch")], "false")]
#[case("quote", vec![s("a"), s("b"), s("c")], r#""a" "b" "c""#)]
#[case("quote", vec![s(r#""a""#), s("b"), s("c")], r#""\"a\"" "b" "c""#)]
#[case("quote", vec![i(1), i(2), i(3)], r#""1" "2" "3""#)]
#[case("quote", vec![nil()], "")]
#[case("quote", vec![s("a"), nil(), s("b")], r#""a" "b""#)]
#[case("quote", vec![s("tab\there\nnl")], r#""tab\there\nnl""#)]
#[case("quote", vec![s("héllo")], r#""héllo""#)]
#[case("quote", vec![s("\u{7}\u{1}")], r#""\a\x01""#)]
#[case("squote", vec![s("a"), s("b"), s("c")], "'a' 'b' 'c'")]
#[case("squote", vec![i(1), i(2), i(3)], "'1' '2' '3'")]
#[case("squote", vec![nil()], "")]
#[case("cat", vec![s("hello"), s("beautiful"), s("world")], "hello beautiful world")]
#[case("cat", vec![s("a"), s("b"), s("c")], "a b c")]
#[case("cat", vec![s("a"), s("b"), nil()], "a b")]
#[case("cat", vec![i(1), f(2.5), b(true)], "1 2.5 true")]
#[case("indent", vec![i(4), s("a\nb\nc")], "    a\n    b\n    c")]
#[case("indent", vec![i(2), s("")], "  ")]
#[case("nindent", vec![i(4), s("a\nb\nc")], "\n    a\n    b\n    c")]
#[case("replace", vec![s(" "), s("-"), s("I Am Henry VIII")], "I-Am-Henry-VIII")]
#[case("replace", vec![s("a"), s(""), s("banana")], "bnn")]
#[case("plural", vec![s("one anchovy"), s("many anchovies"), i(2)], "many anchovies")]
#[case("plural", vec![s("1 char"), s("chars"), i(1)], "1 char")]
#[case("plural", vec![s("1 char"), s("chars"), i(0)], "chars")]
#[case("snakecase", vec![s("FirstName")], "first_name")]
#[case("snakecase", vec![s("HTTPServer")], "http_server")]
#[case("snakecase", vec![s("NoHTTPS")], "no_https")]
#[case("snakecase", vec![s("_camelCase")], "_camel_case")]
#[case("snakecase", vec![s("Wi_thF")], "wi_th_f")]
#[case("snakecase", vec![s("ALL")], "all")]
#[case("snakecase", vec![s("HELLO_WORLD")], "hello_world")]
#[case("snakecase", vec![s("HELLO____WORLD")], "hello____world")]
#[case("snakecase", vec![s("http2xx")], "http_2xx")]
#[case("snakecase", vec![s("HTTP2XX")], "http2_xx")]
#[case("snakecase", vec![s("HTTP20xOK")], "http_20x_ok")]
#[case("snakecase", vec![s("Duration2m3s")], "duration_2m3s")]
#[case("snakecase", vec![s("Bld4Floor3rd")], "bld4_floor_3rd")]
#[case("snakecase", vec![s(" _-_ ")], "_____")]
#[case("snakecase", vec![s("a1b2c3d")], "a_1b2c3d")]
#[case("snakecase", vec![s("A//B%%2c")], "a//b%%2c")]
#[case("snakecase", vec![s("  sentence case  ")], "__sentence_case__")]
#[case("snakecase", vec![s("FROM CamelCase to snake/kebab-case")], "from_camel_case_to_snake/kebab_case")]
#[case("snakecase", vec![s("abc_123_def")], "abc_123_def")]
#[case("kebabcase", vec![s("FirstName")], "first-name")]
#[case("kebabcase", vec![s("HTTPServer")], "http-server")]
#[case("kebabcase", vec![s("HELLO_WORLD")], "hello-world")]
#[case("camelcase", vec![s("http_server")], "HttpServer")]
#[case("camelcase", vec![s("_camel_case")], "_CamelCase")]
#[case("camelcase", vec![s("no_https")], "NoHttps")]
#[case("camelcase", vec![s("_complex__case_")], "_Complex_Case_")]
#[case("camelcase", vec![s(" complex -case ")], " Complex Case ")]
#[case("camelcase", vec![s("all")], "All")]
#[case("camelcase", vec![s("GOLANG_IS_GREAT")], "GolangIsGreat")]
// What helm template 3.17 gives (xstrings 1.5.0).
#[case("camelcase", vec![s("helloWorld")], "HelloWorld")]
#[case("camelcase", vec![s("GOLANG")], "Golang")]
#[case("camelcase", vec![s("HTTPServer")], "Httpserver")]
#[case("camelcase", vec![s("aBC")], "ABC")]
#[case("camelcase", vec![s("ABc")], "Abc")]
#[case("camelcase", vec![s("hello_WORLD")], "HelloWorld")]
#[case("camelcase", vec![s("ABC_DEF")], "AbcDef")]
#[case("camelcase", vec![s("fooBAR")], "FooBAR")]
#[case("camelcase", vec![s("foo-bar baz")], "FooBarBaz")]
#[case("camelcase", vec![s("x__y")], "X_Y")]
#[case("camelcase", vec![s("a1b_c2D")], "A1bC2D")]
#[case("camelcase", vec![s("ÉCOLE_été")], "ÉcoleÉté")]
#[case("camelcase", vec![s("__")], "___")]
#[case("camelcase", vec![s("A_")], "A_")]
#[case("upper", vec![s("straße")], "STRAßE")]
#[case("lower", vec![s("ÀÉÎ")], "àéî")]
#[case("nospace", vec![s("\u{a0}a b\tc")], "Âabc")]
#[case("camelcase", vec![s("a")], "A")]
#[case("swapcase", vec![s("This Is A.Test")], "tHIS iS a.tEST")]
#[case("shuffle", vec![s("")], "")]
#[case("split", vec![s("$"), s("foo$bar$baz")], "map[_0:foo _1:bar _2:baz]")]
#[case("split", vec![s(","), s("")], "map[_0:]")]
#[case("splitList", vec![s("$"), s("foo$bar$baz")], "[foo bar baz]")]
#[case("splitList", vec![s(""), s("abc")], "[a b c]")]
#[case("splitn", vec![s("$"), i(2), s("foo$bar$baz")], "map[_0:foo _1:bar$baz]")]
#[case("splitn", vec![s("$"), i(0), s("foo$bar$baz")], "map[]")]
#[case("join", vec![s("-"), l(&[s("a"), s("b"), s("c")])], "a-b-c")]
#[case("join", vec![s("-"), ints(&[1, 2, 3])], "1-2-3")]
#[case("join", vec![s("-"), s("abc")], "abc")]
#[case("join", vec![s("-"), l(&[s("1"), nil(), s("2")])], "1-2")]
#[case("join", vec![s(", "), j(r#"[1.5, "x", true]"#)], "1.5, x, true")]
#[case("sortAlpha", vec![l(&[s("c"), s("a"), s("b")])], "[a b c]")]
#[case("sortAlpha", vec![ints(&[2, 1, 4, 3])], "[1 2 3 4]")]
#[case("sortAlpha", vec![s("x")], "[x]")]
#[case("toString", vec![i(1)], "1")]
#[case("toString", vec![f(1.5)], "1.5")]
#[case("toString", vec![b(true)], "true")]
#[case("toString", vec![nil()], "<nil>")]
#[case("toString", vec![j(r#"{"a":1}"#)], "map[a:1]")]
#[case("toStrings", vec![ints(&[1, 2, 3])], "[1 2 3]")]
#[case("toStrings", vec![l(&[i(1), nil(), i(2)])], "[1 2]")]
#[case("toStrings", vec![nil()], "[]")]
#[case("toStrings", vec![s("one")], "[one]")]
fn strings(#[case] name: &str, #[case] args: Vec<Value>, #[case] want: &str) {
    assert_eq!(show(name, &args), want, "{name} {args:?}");
}

#[rstest]
#[case("b64enc", "coffee", "Y29mZmVl")]
#[case("b64dec", "Y29mZmVl", "coffee")]
#[case("b64dec", "Y29mZmVl\n", "coffee")]
#[case("b64dec", "!!!", "illegal base64 data at input byte 0")]
#[case("b32enc", "coffee", "MNXWMZTFMU======")]
#[case("b32enc", "Hello world!", "JBSWY3DPEB3W64TMMQQQ====")]
#[case("b32dec", "MNXWMZTFMU======", "coffee")]
#[case("b32dec", "JBSWY3DPEB3W64TMMQQQ====", "Hello world!")]
#[case("b32dec", "MNXW", "illegal base32 data at input byte 0")]
#[case("sha1sum", "Hello world!", "d3486ae9136e7856bc42212385ea797094475802")]
#[case("sha1sum", "", "da39a3ee5e6b4b0d3255bfef95601890afd80709")]
#[case(
    "sha256sum",
    "Hello world!",
    "c0535e4be2b79ffd93291305436bf889314e4a3faec05ecffcbb7df31ad9e51a"
)]
#[case(
    "sha256sum",
    "coffee",
    "37290d74ac4d186e3a8e5785d259d2ec04fac91ae28092e7620ec8bc99e830aa"
)]
#[case("adler32sum", "Hello world!", "487130206")]
#[case("adler32sum", "coffee", "142344809")]
#[case("adler32sum", "", "1")]
fn encodings_and_checksums_are_exact(#[case] name: &str, #[case] input: &str, #[case] want: &str) {
    assert_eq!(show(name, &[s(input)]), want);
}

#[test]
fn encodings_round_trip() {
    for word in [
        "",
        "a",
        "ab",
        "abc",
        "abcd",
        "abcde",
        "ünïcödé ✓",
        "line\nbreak",
    ] {
        let enc = call("b64enc", &[s(word)]).unwrap();
        assert_eq!(show("b64dec", &[enc]), word);
        let enc = call("b32enc", &[s(word)]).unwrap();
        assert_eq!(show("b32dec", &[enc]), word);
    }
}

#[rstest]
#[case("list", vec![i(1), i(2), i(3)], "[1 2 3]")]
#[case("tuple", vec![s("a"), s("b")], "[a b]")]
#[case("list", vec![], "[]")]
#[case("first", vec![ints(&[1, 2, 3])], "1")]
#[case("first", vec![ints(&[])], "<nil>")]
#[case("mustFirst", vec![ints(&[5])], "5")]
#[case("rest", vec![ints(&[1, 2, 3])], "[2 3]")]
#[case("rest", vec![ints(&[])], "[]")]
#[case("last", vec![ints(&[1, 2, 3])], "3")]
#[case("last", vec![ints(&[])], "<nil>")]
#[case("initial", vec![ints(&[1, 2, 3])], "[1 2]")]
#[case("initial", vec![ints(&[])], "[]")]
#[case("append", vec![ints(&[1, 2, 3]), i(4)], "[1 2 3 4]")]
#[case("push", vec![ints(&[]), s("x")], "[x]")]
#[case("mustAppend", vec![ints(&[1]), ints(&[2])], "[1 [2]]")]
#[case("prepend", vec![ints(&[1, 2, 3]), i(0)], "[0 1 2 3]")]
#[case("concat", vec![ints(&[1, 2, 3]), ints(&[4, 5]), ints(&[6])], "[1 2 3 4 5 6]")]
#[case("concat", vec![], "[]")]
#[case("reverse", vec![ints(&[1, 2, 3])], "[3 2 1]")]
#[case("reverse", vec![ints(&[])], "[]")]
#[case("uniq", vec![ints(&[1, 1, 1, 2])], "[1 2]")]
#[case("uniq", vec![l(&[s("a"), s("b"), s("a"), i(1), f(1.0)])], "[a b 1 1]")]
#[case("without", vec![ints(&[1, 2, 3, 4]), i(1), i(3)], "[2 4]")]
#[case("without", vec![ints(&[1, 2]), i(5)], "[1 2]")]
#[case("has", vec![i(4), ints(&[1, 2, 3, 4])], "true")]
#[case("has", vec![s("hello"), ints(&[1, 2])], "false")]
#[case("has", vec![i(1), nil()], "false")]
#[case("has", vec![i(1), j("[1]")], "false")]
#[case("has", vec![f(1.0), j("[1]")], "true")]
#[case("compact", vec![l(&[i(1), s(""), nil(), s("foo"), b(false), i(0)])], "[1 foo]")]
#[case("compact", vec![l(&[s("a"), l(&[]), j("{}"), s("b")])], "[a b]")]
#[case("slice", vec![ints(&[1, 2, 3, 4, 5]), i(1), i(3)], "[2 3]")]
#[case("slice", vec![ints(&[1, 2, 3, 4, 5]), i(3)], "[4 5]")]
#[case("slice", vec![ints(&[1, 2, 3, 4, 5])], "[1 2 3 4 5]")]
#[case("slice", vec![ints(&[1, 2, 3, 4, 5]), s("1"), f(2.0)], "[2]")]
#[case("chunk", vec![i(3), ints(&[1, 2, 3, 4, 5, 6, 7])], "[[1 2 3] [4 5 6] [7]]")]
#[case("chunk", vec![i(2), ints(&[1, 2, 3, 4])], "[[1 2] [3 4]]")]
#[case("chunk", vec![i(2), ints(&[])], "[]")]
#[case("until", vec![i(5)], "[0 1 2 3 4]")]
#[case("until", vec![i(-3)], "[0 -1 -2]")]
#[case("until", vec![i(0)], "[]")]
#[case("untilStep", vec![i(3), i(6), i(2)], "[3 5]")]
#[case("untilStep", vec![i(0), i(10), i(-1)], "[]")]
#[case("untilStep", vec![i(10), i(0), i(-3)], "[10 7 4 1]")]
#[case("untilStep", vec![i(0), i(5), i(0)], "[]")]
#[case("seq", vec![i(5)], "1 2 3 4 5")]
#[case("seq", vec![i(-3)], "1 0 -1 -2 -3")]
#[case("seq", vec![i(0), i(2)], "0 1 2")]
#[case("seq", vec![i(2), i(-2)], "2 1 0 -1 -2")]
#[case("seq", vec![i(0), i(2), i(10)], "0 2 4 6 8 10")]
#[case("seq", vec![i(0), i(-2), i(-5)], "0 -2 -4")]
#[case("seq", vec![i(5), i(1), i(0)], "")]
#[case("seq", vec![], "")]
fn lists(#[case] name: &str, #[case] args: Vec<Value>, #[case] want: &str) {
    assert_eq!(show(name, &args), want, "{name} {args:?}");
}

#[rstest]
#[case("dict", vec![s("name1"), s("value1"), s("name2"), s("value2")], "map[name1:value1 name2:value2]")]
#[case("dict", vec![s("a")], "map[a:]")]
#[case("dict", vec![i(1), i(2), b(true), nil()], "map[1:2 true:<nil>]")]
#[case("dict", vec![], "map[]")]
#[case("get", vec![j(r#"{"a":1}"#), s("a")], "1")]
#[case("get", vec![j(r#"{"a":1}"#), s("missing")], "")]
#[case("get", vec![nil(), s("missing")], "")]
#[case("set", vec![j(r#"{"a":1}"#), s("b"), i(2)], "map[a:1 b:2]")]
#[case("unset", vec![j(r#"{"a":1,"b":2}"#), s("a")], "map[b:2]")]
#[case("unset", vec![j(r#"{"a":1}"#), s("zzz")], "map[a:1]")]
#[case("hasKey", vec![j(r#"{"a":null}"#), s("a")], "true")]
#[case("hasKey", vec![j(r#"{"a":1}"#), s("b")], "false")]
#[case("hasKey", vec![nil(), s("b")], "false")]
#[case("pluck", vec![s("name1"), j(r#"{"name1":"value1"}"#), j(r#"{"name1":"value2"}"#), j("{}")], "[value1 value2]")]
#[case("keys", vec![j(r#"{"b":1,"a":2}"#)], "[a b]")]
#[case("keys", vec![j(r#"{"b":1}"#), j(r#"{"a":2}"#)], "[b a]")]
#[case("pick", vec![j(r#"{"a":1,"b":2,"c":3}"#), s("a"), s("c"), s("z")], "map[a:1 c:3]")]
#[case("omit", vec![j(r#"{"a":1,"b":2,"c":3}"#), s("a"), s("c")], "map[b:2]")]
#[case("values", vec![j(r#"{"b":1,"a":2}"#)], "[2 1]")]
#[case("dig", vec![s("user"), s("role"), s("humanName"), s("guest"), j(r#"{"user":{"role":{"humanName":"admin"}}}"#)], "admin")]
#[case("dig", vec![s("user"), s("missing"), s("guest"), j(r#"{"user":{"role":{}}}"#)], "guest")]
#[case("dig", vec![s("a"), s("d"), j(r#"{"a":[1]}"#)], "[1]")]
#[case("deepCopy", vec![j(r#"{"a":{"b":[1,2]}}"#)], "map[a:map[b:[1 2]]]")]
#[case("mustDeepCopy", vec![i(3)], "3")]
#[case("merge", vec![j(r#"{"a":{"b":"c"}}"#), j(r#"{"a":{"b":"d"}}"#)], "map[a:map[b:c]]")]
#[case("merge", vec![j(r#"{"a":{"b":"d"}}"#), j(r#"{"a":{"b":"c"}}"#)], "map[a:map[b:d]]")]
#[case("merge", vec![j(r#"{"a":false,"b":"","c":0}"#), j(r#"{"a":true,"b":"x","c":5}"#)], "map[a:true b:x c:5]")]
#[case("merge", vec![j(r#"{"a":"keep"}"#), j(r#"{"a":{"nested":1}}"#)], "map[a:keep]")]
#[case("merge", vec![j(r#"{"a":[1]}"#), j(r#"{"a":[2,3],"b":[4]}"#)], "map[a:[1] b:[4]]")]
#[case("merge", vec![j(r#"{"a":1}"#), j(r#"{"a":null,"b":null}"#)], "map[a:1]")]
#[case("merge", vec![nil(), j(r#"{"a":1}"#)], "map[a:1]")]
#[case("mergeOverwrite", vec![j(r#"{"default":"default","overwrite":"me","key":true}"#), j(r#"{"overwrite":"overwritten","key":false}"#)], "map[default:default key:false overwrite:overwritten]")]
#[case("mergeOverwrite", vec![j(r#"{"a":{"b":1,"c":2}}"#), j(r#"{"a":{"b":3}}"#)], "map[a:map[b:3 c:2]]")]
#[case("mergeOverwrite", vec![j(r#"{"a":[1]}"#), j(r#"{"a":[2]}"#)], "map[a:[2]]")]
#[case("mergeOverwrite", vec![j(r#"{"a":1}"#), j(r#"{"a":null}"#)], "map[a:<nil>]")]
#[case("mustMergeOverwrite", vec![j(r#"{"a":{"x":1}}"#), j(r#"{"a":"flat"}"#)], "map[a:flat]")]
fn dicts(#[case] name: &str, #[case] args: Vec<Value>, #[case] want: &str) {
    assert_eq!(show(name, &args), want, "{name} {args:?}");
}

/// Helm's own merge test (pkg/engine/funcs_test.go TestMerge): dst wins, maps merge deep,
/// lists are not merged, empty values in dst are filled.
#[test]
fn merge_gives_precedence_to_the_destination_and_mutates_it() {
    let dst = j(r#"{"a":"one","c":3,"d":{"f":5},"g":[8,9],"i":"eye","k":{"l":true}}"#);
    let src1 = j(r#"{"a":1,"b":2,"d":{"e":"four"},"g":[6,7],"i":"aye","j":"jay","k":{"l":false}}"#);
    let src2 = j(r#"{"h":10,"i":"i","j":"j"}"#);
    let out = call("merge", &[dst.clone(), src1, src2]).unwrap();
    let want = "map[a:one b:2 c:3 d:map[e:four f:5] g:[8 9] h:10 i:eye j:jay k:map[l:true]]";
    assert_eq!(out.to_string(), want);
    assert_eq!(dst.to_string(), want, "merge changes dst in place");
}

#[test]
fn set_and_unset_change_the_shared_map() {
    let d = j(r#"{"a":1}"#);
    call("set", &[d.clone(), s("b"), s("x")]).unwrap();
    assert_eq!(d.to_string(), "map[a:1 b:x]");
    call("unset", &[d.clone(), s("a")]).unwrap();
    assert_eq!(d.to_string(), "map[b:x]");
}

#[test]
fn deep_copy_is_not_shared() {
    let d = j(r#"{"a":{"b":1}}"#);
    let copy = call("deepCopy", std::slice::from_ref(&d)).unwrap();
    let inner = call("get", &[copy.clone(), s("a")]).unwrap();
    call("set", &[inner, s("b"), i(2)]).unwrap();
    assert_eq!(d.to_string(), "map[a:map[b:1]]");
    assert_eq!(copy.to_string(), "map[a:map[b:2]]");
}

#[rstest]
#[case("add", vec![i(1), i(2), i(3)], "6")]
#[case("add", vec![s("3"), f(2.9)], "5")]
#[case("add", vec![], "0")]
#[case("add", vec![s("1_000"), s("0x10"), s("010")], "1024")]
#[case("add1", vec![i(1)], "2")]
#[case("add1", vec![f(1.9)], "2")]
#[case("sub", vec![i(3), i(2)], "1")]
#[case("sub", vec![f(3.0), s("5")], "-2")]
#[case("div", vec![i(10), i(3)], "3")]
#[case("div", vec![i(-7), i(2)], "-3")]
#[case("mod", vec![i(10), i(3)], "1")]
#[case("mod", vec![i(-7), i(2)], "-1")]
#[case("mul", vec![i(1), i(2), i(3)], "6")]
#[case("mul", vec![s("4")], "4")]
#[case("max", vec![i(1), i(2), i(3)], "3")]
#[case("biggest", vec![i(1), f(5.5)], "5")]
#[case("min", vec![i(1), i(2), i(3)], "1")]
#[case("min", vec![i(7)], "7")]
#[case("add1f", vec![f(1.5)], "2.5")]
#[case("addf", vec![f(1.5), i(2), i(2)], "5.5")]
#[case("addf", vec![f(1.1), f(2.2)], "3.3")]
#[case("addf", vec![f(0.1), f(0.2)], "0.3")]
#[case("subf", vec![f(7.5), i(2), i(3)], "2.5")]
#[case("subf", vec![f(0.3), f(0.1)], "0.2")]
#[case("mulf", vec![f(1.5), i(2), i(2)], "6")]
#[case("mulf", vec![f(1.1), f(3.0)], "3.3")]
#[case("divf", vec![i(10), i(4)], "2.5")]
#[case("divf", vec![i(1), i(3)], "0.3333333333333333")]
#[case("divf", vec![i(2), i(3)], "0.6666666666666667")]
#[case("maxf", vec![f(1.0), f(2.5), f(3.0)], "3")]
#[case("maxf", vec![s("1.5"), i(1)], "1.5")]
#[case("minf", vec![f(1.5), f(2.0), f(3.0)], "1.5")]
#[case("floor", vec![f(123.9999)], "123")]
#[case("floor", vec![s("-1.5")], "-2")]
#[case("ceil", vec![f(123.001)], "124")]
#[case("round", vec![f(123.555555), i(3)], "123.556")]
#[case("round", vec![f(2.5), i(0)], "3")]
#[case("round", vec![f(2.4), i(0)], "2")]
#[case("round", vec![f(2.45), i(1), f(0.6)], "2.4")]
// sprig's numeric_test.go (a piped value is the last argument).
#[case("biggest", vec![i(1), i(2), i(3), i(345), i(5), i(6), i(7)], "345")]
#[case("max", vec![i(345)], "345")]
#[case("maxf", vec![i(1), i(2), i(3), f(345.7), i(5), i(6), i(7)], "345.7")]
#[case("min", vec![i(1), i(2), i(3), i(345), i(5), i(6), i(7)], "1")]
#[case("minf", vec![f(1.4), i(2), i(3), f(345.6), i(5), i(6), i(7)], "1.4")]
#[case("minf", vec![i(345)], "345")]
#[case("add1", vec![i(3)], "4")]
#[case("add1f", vec![f(3.4)], "4.4")]
#[case("add", vec![i(1), i(2), i(3)], "6")]
#[case("addf", vec![f(1.5), f(2.2), i(3)], "6.7")]
#[case("div", vec![i(5), i(4)], "1")]
#[case("divf", vec![i(5), i(4), i(2)], "0.625")]
#[case("mul", vec![s("2"), i(3), s("4"), i(1)], "24")]
#[case("mulf", vec![s("2.4"), i(10), s("4"), f(1.2)], "115.2")]
#[case("sub", vec![i(14), i(3)], "11")]
#[case("subf", vec![f(4.5), i(1), i(3)], "0.5")]
#[case("ceil", vec![i(123)], "123")]
#[case("ceil", vec![s("123.01")], "124")]
#[case("floor", vec![s("123.9999")], "123")]
#[case("round", vec![f(123.5555), i(3)], "123.556")]
#[case("round", vec![s("123.55555"), i(3)], "123.556")]
#[case("round", vec![f(123.500001), i(0)], "124")]
#[case("round", vec![f(123.49999999), i(0)], "123")]
#[case("round", vec![f(123.2329999), i(2), f(0.3)], "123.23")]
#[case("round", vec![f(123.233), i(2), f(0.3)], "123.24")]
#[case("seq", vec![i(0), i(1), i(3)], "0 1 2 3")]
#[case("seq", vec![i(0), i(3), i(10)], "0 3 6 9")]
#[case("seq", vec![i(3), i(3), i(2)], "")]
#[case("seq", vec![i(3), i(-3), i(2)], "3")]
#[case("seq", vec![i(0), i(4)], "0 1 2 3 4")]
#[case("seq", vec![i(-5)], "1 0 -1 -2 -3 -4 -5")]
#[case("seq", vec![i(0)], "1 0")]
#[case("seq", vec![i(0), i(1), i(2), i(3)], "")]
#[case("seq", vec![i(0), i(-4)], "0 -1 -2 -3 -4")]
#[case("untilStep", vec![i(0), i(-10), i(-2)], "[0 -2 -4 -6 -8]")]
#[case("untilStep", vec![i(3), i(0), i(1)], "[]")]
#[case("untilStep", vec![i(3), i(99), i(-1)], "[]")]
#[case("int", vec![s("5")], "5")]
#[case("int", vec![f(5.9)], "5")]
#[case("int", vec![f(-5.9)], "-5")]
#[case("int", vec![s("3.0")], "3")]
#[case("int", vec![s("3.5")], "0")]
#[case("int", vec![s("abc")], "0")]
#[case("int", vec![s("08")], "0")]
#[case("int", vec![b(true)], "1")]
#[case("int", vec![nil()], "0")]
#[case("int64", vec![s("0x1F")], "31")]
#[case("int64", vec![s("-0b101")], "-5")]
#[case("int", vec![f(1e19)], "-9223372036854775808")]
#[case("float64", vec![s("1_000.5")], "1000.5")]
#[case("float64", vec![s("1__0")], "0")]
#[case("float64", vec![s("1.5")], "1.5")]
#[case("float64", vec![i(3)], "3")]
#[case("float64", vec![s("x")], "0")]
#[case("float64", vec![s("1e6")], "1e+06")]
#[case("atoi", vec![s("42")], "42")]
#[case("atoi", vec![s("-42")], "-42")]
#[case("atoi", vec![s("4x")], "0")]
#[case("atoi", vec![s(" 4")], "0")]
#[case("toDecimal", vec![s("0777")], "511")]
#[case("toDecimal", vec![s("777")], "511")]
#[case("toDecimal", vec![i(777)], "511")]
#[case("toDecimal", vec![s("8")], "0")]
fn math(#[case] name: &str, #[case] args: Vec<Value>, #[case] want: &str) {
    assert_eq!(show(name, &args), want, "{name} {args:?}");
}

#[test]
fn integer_results_are_ints_and_float_results_are_floats() {
    assert!(matches!(call("add", &[f(1.5)]).unwrap(), Value::Int(1)));
    assert!(matches!(call("addf", &[i(1)]).unwrap(), Value::Float(_)));
    assert!(matches!(call("floor", &[i(1)]).unwrap(), Value::Float(_)));
    let v = call("randInt", &[i(10), i(20)]).unwrap();
    let Value::Int(n) = v else {
        panic!("randInt gives an int")
    };
    assert!((10..20).contains(&n));
    assert_eq!(
        call("randInt", &[i(10), i(20)]).unwrap().to_string(),
        n.to_string()
    );
}

#[rstest]
#[case("default", vec![s("foo"), nil()], "foo")]
#[case("default", vec![s("foo"), s("")], "foo")]
#[case("default", vec![s("foo"), s("bar")], "bar")]
#[case("default", vec![i(1), i(0)], "1")]
#[case("default", vec![s("foo"), b(false)], "foo")]
#[case("default", vec![s("foo"), b(true)], "true")]
#[case("default", vec![s("foo"), l(&[])], "foo")]
#[case("default", vec![s("foo"), j("{}")], "foo")]
#[case("default", vec![s("foo"), j(r#"{"a":1}"#)], "map[a:1]")]
#[case("default", vec![s("foo"), f(0.0)], "foo")]
#[case("default", vec![s("foo"), f(0.5)], "0.5")]
#[case("default", vec![s("foo")], "foo")]
#[case("empty", vec![nil()], "true")]
#[case("empty", vec![s("")], "true")]
#[case("empty", vec![i(0)], "true")]
#[case("empty", vec![f(0.0)], "true")]
#[case("empty", vec![b(false)], "true")]
#[case("empty", vec![l(&[])], "true")]
#[case("empty", vec![j("{}")], "true")]
#[case("empty", vec![s("x")], "false")]
#[case("empty", vec![i(1)], "false")]
#[case("empty", vec![j("[0]")], "false")]
#[case("coalesce", vec![nil(), s(""), s("b")], "b")]
#[case("coalesce", vec![nil(), s("")], "<nil>")]
#[case("coalesce", vec![i(0), j("{}"), l(&[i(1)])], "[1]")]
#[case("all", vec![i(1), s("a")], "true")]
#[case("all", vec![i(0), s("a")], "false")]
#[case("all", vec![], "true")]
#[case("any", vec![i(0), s(""), s("a")], "true")]
#[case("any", vec![i(0), s("")], "false")]
#[case("any", vec![], "false")]
#[case("ternary", vec![s("foo"), s("bar"), b(true)], "foo")]
#[case("ternary", vec![s("foo"), s("bar"), b(false)], "bar")]
#[case("toJson", vec![j(r#"{"a":1,"b":"<x>&"}"#)], r#"{"a":1,"b":"\u003cx\u003e\u0026"}"#)]
#[case("toJson", vec![f(1e21)], "1e+21")]
#[case("toJson", vec![f(0.0000001)], "1e-7")]
#[case("toJson", vec![f(1e6)], "1000000")]
#[case("toJson", vec![f(0.5)], "0.5")]
#[case("toJson", vec![nil()], "null")]
#[case("toJson", vec![s("tab\t\u{1}")], r#""tab\t\u0001""#)]
#[case("toJson", vec![l(&[i(1), s("a"), b(false), nil()])], r#"[1,"a",false,null]"#)]
#[case("toJson", vec![f(f64::NAN)], "")]
#[case("mustToJson", vec![j(r#"{"z":[],"a":{}}"#)], r#"{"a":{},"z":[]}"#)]
#[case("toRawJson", vec![j(r#"{"a":1,"b":"<x>&"}"#)], r#"{"a":1,"b":"<x>&"}"#)]
#[case("toPrettyJson", vec![j(r#"{"a":[1,2],"b":{}}"#)], "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {}\n}")]
#[case("fromJson", vec![s(r#"{"a":1}"#)], "map[a:1]")]
#[case("fromJson", vec![s(r#"[1, "x"]"#)], "[1 x]")]
#[case("fromJson", vec![s("bad")], "<nil>")]
#[case("mustFromJson", vec![s("2.5")], "2.5")]
fn defaults_and_json(#[case] name: &str, #[case] args: Vec<Value>, #[case] want: &str) {
    assert_eq!(show(name, &args), want, "{name} {args:?}");
}

#[rstest]
#[case("regexMatch", vec![s(r"^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[A-Za-z]{2,}$"), s("test@acme.com")], "true")]
#[case("regexMatch", vec![s("^a"), s("ba")], "false")]
#[case("regexMatch", vec![s("("), s("x")], "false")]
#[case("regexMatch", vec![s(r"^\d+$"), s("٣")], "false")]
#[case("regexMatch", vec![s(r"^\w+$"), s("héllo")], "false")]
#[case("regexMatch", vec![s(r"^[\d\s]+$"), s("1 2\t3")], "true")]
#[case("mustRegexMatch", vec![s("^[a-z]+$"), s("abc")], "true")]
#[case("regexFindAll", vec![s("[2,4,6,8]"), s("123456789"), i(-1)], "[2 4 6 8]")]
#[case("regexFindAll", vec![s("[2,4,6,8]"), s("123456789"), i(3)], "[2 4 6]")]
#[case("regexFindAll", vec![s("[2,4,6,8]"), s("123456789"), i(0)], "[]")]
#[case("regexFind", vec![s("[a-zA-Z][1-9]"), s("abcd1234")], "d1")]
#[case("regexFind", vec![s("z"), s("abc")], "")]
#[case("regexReplaceAll", vec![s("a(x*)b"), s("-ab-axxb-"), s("${1}W")], "-W-xxW-")]
#[case("regexReplaceAll", vec![s("a(x*)b"), s("-ab-axxb-"), s("$1W")], "---")]
#[case("regexReplaceAll", vec![s("a(x*)b"), s("-ab-axxb-"), s("$1")], "--xx-")]
#[case("regexReplaceAll", vec![s(r"(?P<first>\w+) (?P<last>\w+)"), s("Ada Lovelace"), s("${last}, ${first}")], "Lovelace, Ada")]
#[case("regexReplaceAll", vec![s(r"\s+"), s("a  b \t c"), s(" ")], "a b c")]
#[case("regexReplaceAllLiteral", vec![s("a(x*)b"), s("-ab-axxb-"), s("${1}")], "-${1}-${1}-")]
#[case("regexSplit", vec![s("z+"), s("pizza"), i(-1)], "[pi a]")]
#[case("regexSplit", vec![s("z+"), s("pizza"), i(1)], "[pizza]")]
#[case("regexSplit", vec![s("z+"), s("pizza"), i(0)], "[]")]
#[case("regexSplit", vec![s("a"), s("banana"), i(-1)], "[b n n ]")]
#[case("regexSplit", vec![s(""), s("abc"), i(-1)], "[a b c]")]
#[case("regexSplit", vec![s("x"), s(""), i(-1)], "[]")]
#[case("regexMatch", vec![s("^a{$"), s("a{")], "true")]
#[case("regexMatch", vec![s("^{x}$"), s("{x}")], "true")]
#[case("regexMatch", vec![s("^a{2}$"), s("aa")], "true")]
#[case("regexMatch", vec![s(r"^\Q1.2+\E$"), s("1.2+")], "true")]
#[case("regexFindAll", vec![s(r"[a-z&&]+"), s("a&&b"), i(-1)], "[a&&b]")]
#[case("regexQuoteMeta", vec![s("1.2.3")], r"1\.2\.3")]
#[case("regexQuoteMeta", vec![s("a-b#c[d]")], r"a-b#c\[d\]")]
fn regexes(#[case] name: &str, #[case] args: Vec<Value>, #[case] want: &str) {
    assert_eq!(show(name, &args), want, "{name} {args:?}");
}

#[test]
fn quoted_patterns_match_their_text() {
    for text in ["1.2.3", "a+b*c?", "(x|y)", "[a]{2}", "^$", r"back\slash"] {
        let pattern = call("regexQuoteMeta", &[s(text)]).unwrap();
        let anchored = Value::String(format!("^{pattern}$"));
        assert_eq!(show("regexMatch", &[anchored, s(text)]), "true", "{text}");
    }
}

#[rstest]
#[case("typeOf", vec![i(1)], "int")]
#[case("typeOf", vec![s("")], "string")]
#[case("typeOf", vec![f(1.0)], "float64")]
#[case("typeOf", vec![l(&[])], "[]interface {}")]
#[case("typeOf", vec![j("{}")], "map[string]interface {}")]
#[case("typeOf", vec![nil()], "<nil>")]
#[case("typeOf", vec![b(true)], "bool")]
#[case("kindOf", vec![s("")], "string")]
#[case("kindOf", vec![l(&[])], "slice")]
#[case("kindOf", vec![j("{}")], "map")]
#[case("kindOf", vec![i(1)], "int")]
#[case("kindOf", vec![f(1.0)], "float64")]
#[case("kindOf", vec![nil()], "invalid")]
#[case("kindIs", vec![s("int"), i(1)], "true")]
#[case("kindIs", vec![s("map"), j("{}")], "true")]
#[case("kindIs", vec![s("slice"), s("x")], "false")]
#[case("typeIs", vec![s("string"), s("x")], "true")]
#[case("typeIs", vec![s("int"), f(1.0)], "false")]
#[case("typeIsLike", vec![s("*string"), s("x")], "false")]
#[case("typeIsLike", vec![s("string"), s("x")], "true")]
#[case("typeIsLike", vec![s("int"), s("x")], "false")]
#[case("deepEqual", vec![ints(&[1, 2]), ints(&[1, 2])], "true")]
#[case("deepEqual", vec![i(1), f(1.0)], "false")]
#[case("deepEqual", vec![j(r#"{"a":[1]}"#), j(r#"{"a":[1]}"#)], "true")]
#[case("deepEqual", vec![j(r#"{"a":[1]}"#), j(r#"{"a":[2]}"#)], "false")]
fn reflection(#[case] name: &str, #[case] args: Vec<Value>, #[case] want: &str) {
    assert_eq!(show(name, &args), want, "{name} {args:?}");
}

#[rstest]
#[case("base", "foo/bar/baz", "baz")]
#[case("base", "", ".")]
#[case("base", "/", "/")]
#[case("base", "a/b/", "b")]
#[case("osBase", "/x/y.txt", "y.txt")]
#[case("dir", "/foo/bar/baz", "/foo/bar")]
#[case("dir", "baz", ".")]
#[case("dir", "/", "/")]
#[case("dir", "a/b/", "a/b")]
#[case("osDir", "a//b/c", "a/b")]
#[case("clean", "foo/../bar", "bar")]
#[case("clean", "/../a", "/a")]
#[case("clean", "a//b/./c/..", "a/b")]
#[case("clean", "", ".")]
#[case("clean", "../../x", "../../x")]
#[case("osClean", "./a/", "a")]
#[case("ext", "foo.bar", ".bar")]
#[case("ext", "a/b.tar.gz", ".gz")]
#[case("ext", "a.b/c", "")]
#[case("osExt", "noext", "")]
#[case("isAbs", "/a", "true")]
#[case("isAbs", "a", "false")]
#[case("osIsAbs", "/", "true")]
fn paths(#[case] name: &str, #[case] path: &str, #[case] want: &str) {
    assert_eq!(show(name, &[s(path)]), want);
}

#[rstest]
#[case("http://admin:secret@server.com:8080/api?list=false#anchor", "map[fragment:anchor host:server.com:8080 hostname:server.com opaque: path:/api query:list=false scheme:http userinfo:admin:secret]")]
#[case("https://example.com", "map[fragment: host:example.com hostname:example.com opaque: path: query: scheme:https userinfo:]")]
#[case("mailto:someone@example.com", "map[fragment: host: hostname: opaque:someone@example.com path: query: scheme:mailto userinfo:]")]
#[case(
    "/relative/p%20ath?q=1",
    "map[fragment: host: hostname: opaque: path:/relative/p ath query:q=1 scheme: userinfo:]"
)]
#[case(
    "http://[::1]:443/x",
    "map[fragment: host:[::1]:443 hostname:::1 opaque: path:/x query: scheme:http userinfo:]"
)]
fn url_parse(#[case] url: &str, #[case] want: &str) {
    assert_eq!(show("urlParse", &[s(url)]), want);
}

#[rstest]
#[case(
    r#"{"fragment":"fragment","host":"host:80","path":"/path","query":"query","scheme":"http"}"#,
    "http://host:80/path?query#fragment"
)]
#[case(
    r#"{"host":"example.com","path":"a b","scheme":"https","userinfo":"u:p"}"#,
    "https://u:p@example.com/a%20b"
)]
#[case(r#"{"scheme":"mailto","opaque":"x@y"}"#, "mailto:x@y")]
#[case(r#"{"path":"/only"}"#, "/only")]
fn url_join(#[case] parts: &str, #[case] want: &str) {
    assert_eq!(show("urlJoin", &[j(parts)]), want);
}

#[test]
fn url_parse_then_join_round_trips() {
    for url in [
        "http://admin:secret@server.com:8080/api?list=false#anchor",
        "https://a.b/c/d?e=f",
    ] {
        let parts = call("urlParse", &[s(url)]).unwrap();
        assert_eq!(show("urlJoin", &[parts]), url);
    }
}

/// 2006-01-02 15:04:05 UTC, Go's reference time read in UTC.
const REFERENCE: i64 = 1_136_214_245;

#[rstest]
#[case("2006-01-02", "2006-01-02")]
#[case("Mon Jan 2 15:04:05 MST 2006", "Mon Jan 2 15:04:05 UTC 2006")]
#[case("Jan _2, 06 3:04PM .000", "Jan  2, 06 3:04PM .000")]
#[case("Monday January 2 2006 15h", "Monday January 2 2006 15h")]
#[case("2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05Z")]
#[case("2006-01-02T15:04:05-0700", "2006-01-02T15:04:05+0000")]
#[case("02/01/06 03:04:05.999 pm", "02/01/06 03:04:05 pm")]
#[case("002 __2", "002   2")]
#[case("Janet", "Janet")]
fn date_layouts_follow_go(#[case] layout: &str, #[case] want: &str) {
    assert_eq!(show("date", &[s(layout), i(REFERENCE)]), want);
}

#[rstest]
#[case("now", vec![], "2025-01-01 00:00:00 +0000 UTC")]
#[case("htmlDate", vec![i(0)], "1970-01-01")]
#[case("htmlDateInZone", vec![i(REFERENCE), s("Europe/Paris")], "2006-01-02")]
#[case("dateInZone", vec![s("2006-01-02 15:04"), i(REFERENCE), s("UTC")], "2006-01-02 15:04")]
#[case("date_in_zone", vec![s("15:04"), i(REFERENCE), s("UTC")], "15:04")]
#[case("date", vec![s("2006"), s("not a time")], "2025")]
#[case("unixEpoch", vec![i(REFERENCE)], "1136214245")]
#[case("duration", vec![s("95")], "1m35s")]
#[case("duration", vec![i(3600)], "1h0m0s")]
#[case("duration", vec![s("0")], "0s")]
#[case("duration", vec![s("x")], "0s")]
#[case("duration", vec![i(86_461)], "24h1m1s")]
#[case("durationRound", vec![s("2h10m5s")], "2h")]
#[case("durationRound", vec![s("3000h")], "4mo")]
#[case("durationRound", vec![s("9000h")], "1y")]
#[case("durationRound", vec![s("1s")], "0s")]
#[case("durationRound", vec![s("-90s")], "1m")]
#[case("durationRound", vec![i(2_000_000_000)], "2s")]
#[case("toDate", vec![s("2006-01-02"), s("2017-12-31")], "2017-12-31 00:00:00 +0000 UTC")]
#[case("toDate", vec![s("2006-01-02T15:04:05Z07:00"), s("2017-12-31T10:00:00+02:00")], "2017-12-31 08:00:00 +0000 UTC")]
#[case("toDate", vec![s("2006-01-02 15:04:05"), s("2020-02-29 23:59:58.25")], "2020-02-29 23:59:58.25 +0000 UTC")]
#[case("toDate", vec![s("Jan 2 2006"), s("Feb 3 2021")], "2021-02-03 00:00:00 +0000 UTC")]
#[case("toDate", vec![s("2006-01-02"), s("bad")], "0001-01-01 00:00:00 +0000 UTC")]
#[case("ago", vec![i(ferry_gotmpl::sprig::FIXED_NOW - 90)], "1m30s")]
#[case("ago", vec![i(ferry_gotmpl::sprig::FIXED_NOW)], "0s")]
fn dates(#[case] name: &str, #[case] args: Vec<Value>, #[case] want: &str) {
    assert_eq!(show(name, &args), want, "{name} {args:?}");
}

#[rstest]
#[case("1.5h", "2025-01-01 01:30:00 +0000 UTC")]
#[case("-24h", "2024-12-31 00:00:00 +0000 UTC")]
#[case("90m30s", "2025-01-01 01:30:30 +0000 UTC")]
#[case("1.5s", "2025-01-01 00:00:01.5 +0000 UTC")]
#[case("bad", "2025-01-01 00:00:00 +0000 UTC")]
fn date_modify_adds_a_go_duration(#[case] spec: &str, #[case] want: &str) {
    assert_eq!(show("dateModify", &[s(spec), now()]), want);
}

#[test]
fn dates_chain_as_charts_use_them() {
    let later = call("dateModify", &[s("48h"), now()]).unwrap();
    assert_eq!(
        show("date", &[s("2006-01-02"), later.clone()]),
        "2025-01-03"
    );
    assert_eq!(show("unixEpoch", &[later]), "1735862400");
    let parsed = call("toDate", &[s("2006-01-02"), s("2024-02-29")]).unwrap();
    assert_eq!(show("htmlDate", &[parsed]), "2024-02-29");
}

// Masterminds/semver v3.4.0 constraints_test.go, TestConstraintsCheck, with the answers of
// semver 3.3 (Helm 3.17's; tests/against_helm.rs asks Helm itself): a prerelease version
// passes only constraints that name a prerelease, one by one.
#[rstest]
#[case("*", "1.2.3", true)]
#[case("~0.0.0", "1.2.3", true)]
#[case("0.x.x", "1.2.3", false)]
#[case("0.0.x", "1.2.3", false)]
#[case("0.0.0", "1.2.3", false)]
#[case("*", "1.2.3", true)]
#[case("^0.0.0", "1.2.3", false)]
#[case("= 2.0", "1.2.3", false)]
#[case("= 2.0", "2.0.0", true)]
#[case("4.1", "4.1.0", true)]
#[case("4.1.x", "4.1.3", true)]
#[case("1.x", "1.4", true)]
#[case("!=4.1", "4.1.0", false)]
#[case("!=4.1-alpha", "4.1.0-alpha", false)]
#[case("!=4.1-alpha", "4.1.1-alpha", false)]
#[case("!=4.1-alpha", "4.1.0", true)]
#[case("!=4.1", "5.1.0", true)]
#[case("!=4.x", "5.1.0", true)]
#[case("!=4.x", "4.1.0", false)]
#[case("!=4.1.x", "4.2.0", true)]
#[case("!=4.2.x", "4.2.3", false)]
#[case(">1.1", "4.1.0", true)]
#[case(">1.1", "1.1.0", false)]
#[case("<1.1", "0.1.0", true)]
#[case("<1.1", "1.1.0", false)]
#[case("<1.1", "1.1.1", false)]
#[case("<1.x", "1.1.1", false)]
#[case("<1.x", "0.1.1", true)]
#[case("<1.x", "2.0.0", false)]
#[case("<1.1.x", "1.2.1", false)]
#[case("<1.1.x", "1.1.500", false)]
#[case("<1.1.x", "1.0.500", true)]
#[case("<1.2.x", "1.1.1", true)]
#[case(">=1.1", "4.1.0", true)]
#[case(">=1.1", "4.1.0-beta", false)]
#[case(">=1.1", "1.1.0", true)]
#[case(">=1.1", "0.0.9", false)]
#[case("<=1.1", "0.1.0", true)]
#[case("<=1.1", "0.1.0-alpha", false)]
#[case("<=1.1-a", "0.1.0-alpha", true)]
#[case("<=1.1", "1.1.0", true)]
#[case("<=1.x", "1.1.0", true)]
#[case("<=2.x", "3.0.0", false)]
#[case("<=1.1", "1.1.1", true)]
#[case("<=1.1.x", "1.2.500", false)]
#[case("<=4.5", "3.4.0", true)]
#[case("<=4.5", "3.7.0", true)]
#[case("<=4.5", "4.6.3", false)]
#[case(">1.1, <2", "1.1.1", false)]
#[case(">1.1, <2", "1.2.1", true)]
#[case(">1.1, <3", "4.3.2", false)]
#[case(">=1.1, <2, !=1.2.3", "1.2.3", false)]
#[case(">1.1 <2", "1.1.1", false)]
#[case(">1.1 <2", "1.2.1", true)]
#[case(">1.1    <3", "4.3.2", false)]
#[case(">=1.1    <2    !=1.2.3", "1.2.3", false)]
#[case(">=1.1, <2, !=1.2.3 || > 3", "4.1.2", true)]
#[case(">=1.1, <2, !=1.2.3 || > 3", "3.1.2", false)]
#[case(">=1.1, <2, !=1.2.3 || >= 3", "3.0.0", true)]
#[case(">=1.1, <2, !=1.2.3 || > 3", "3.0.0", false)]
#[case(">=1.1, <2, !=1.2.3 || > 3", "1.2.3", false)]
#[case(">=1.1 <2 !=1.2.3", "1.2.3", false)]
#[case(">=1.1 <2 !=1.2.3 || > 3", "4.1.2", true)]
#[case(">=1.1 <2 !=1.2.3 || > 3", "3.1.2", false)]
#[case(">=1.1 <2 !=1.2.3 || >= 3", "3.0.0", true)]
#[case(">=1.1 <2 !=1.2.3 || > 3", "3.0.0", false)]
#[case(">=1.1 <2 !=1.2.3 || > 3", "1.2.3", false)]
#[case("> 1.1, <     2", "1.1.1", false)]
#[case(">   1.1, <2", "1.2.1", true)]
#[case(">1.1, <  3", "4.3.2", false)]
#[case(">= 1.1, <     2, !=1.2.3", "1.2.3", false)]
#[case("> 1.1 < 2", "1.1.1", false)]
#[case(">1.1 < 2", "1.2.1", true)]
#[case("> 1.1    <3", "4.3.2", false)]
#[case(">=1.1    < 2    != 1.2.3", "1.2.3", false)]
#[case(">= 1.1, <2, !=1.2.3 || > 3", "4.1.2", true)]
#[case(">= 1.1, <2, != 1.2.3 || > 3", "3.1.2", false)]
#[case(">= 1.1, <2, != 1.2.3 || >= 3", "3.0.0", true)]
#[case(">= 1.1, <2, !=1.2.3 || > 3", "3.0.0", false)]
#[case(">= 1.1, <2, !=1.2.3 || > 3", "1.2.3", false)]
#[case(">= 1.1 <2 != 1.2.3", "1.2.3", false)]
#[case(">= 1.1 <2 != 1.2.3 || > 3", "4.1.2", true)]
#[case(">= 1.1 <2 != 1.2.3 || > 3", "3.1.2", false)]
#[case(">= 1.1 <2 != 1.2.3 || >= 3", "3.0.0", true)]
#[case(">= 1.1 < 2 !=1.2.3 || > 3", "3.0.0", false)]
#[case(">=1.1 < 2 !=1.2.3 || > 3", "1.2.3", false)]
#[case(">= 1.0.0  <= 2.0.0-beta", "1.0.1-beta", false)]
#[case(">= 1.0.0  <= 2.0.0-beta", "1.0.1", true)]
#[case(">= 1.0.0  <= 2.0.0-beta", "3.0.0", false)]
#[case(">= 1.0.0  <= 2.0.0-beta || > 3", "1.0.1-beta", false)]
#[case(">= 1.0.0  <= 2.0.0-beta || > 3", "3.0.1-beta", false)]
#[case(">= 1.0.0  <= 2.0.0-beta != 1.0.1 || > 3", "1.0.1-beta", false)]
#[case(">= 1.0.0  <= 2.0.0-beta != 1.0.1-beta || > 3", "1.0.1-beta", false)]
#[case(">= 1.0.0-0  <= 2.0.0", "1.0.1-beta", false)]
#[case("1.1 - 2", "1.1.1", true)]
#[case("1.5.0 - 4.5", "3.7.0", true)]
#[case("1.1-3", "4.3.2", false)]
#[case("^1.1", "1.1.1", true)]
#[case("^1.1", "4.3.2", false)]
#[case("^1.x", "1.1.1", true)]
#[case("^2.x", "1.1.1", false)]
#[case("^1.x", "2.1.1", false)]
#[case("^1.x", "1.1.1-beta1", false)]
#[case("^1.1.2-alpha", "1.2.1-beta1", true)]
#[case("^1.2.x-alpha", "1.1.1-beta1", false)]
#[case("^0.0.1", "0.0.1", true)]
#[case("^0.0.1", "0.3.1", false)]
#[case("~*", "2.1.1", true)]
#[case("~1", "2.1.1", false)]
#[case("~1", "1.3.5", true)]
#[case("~1", "1.4", true)]
#[case("~1.x", "2.1.1", false)]
#[case("~1.x", "1.3.5", true)]
#[case("~1.x", "1.4", true)]
#[case("~1.1", "1.1.1", true)]
#[case("~1.1", "1.1.1-alpha", false)]
#[case("~1.1-alpha", "1.1.1-beta", true)]
#[case("~1.1.1-beta", "1.1.1-alpha", false)]
#[case("~1.1.1-beta", "1.1.1", true)]
#[case("~1.2.3", "1.2.5", true)]
#[case("~1.2.3", "1.2.2", false)]
#[case("~1.2.3", "1.3.2", false)]
#[case("~1.1", "1.2.3", false)]
#[case("~1.3", "2.4.5", false)]
#[case("1.0.0 - 2.0.0 <=2.0.0", "1.5.0", true)]
#[case("1.0.0 - 2.0.0, <=2.0.0", "1.5.0", true)]
// What charts ask of Capabilities.KubeVersion.GitVersion, with cloud prereleases.
#[case(">=1.21-0", "v1.25.3-gke.1302", true)]
#[case(">=1.21-0", "v1.20.0", false)]
#[case(">=1.21.0", "v1.25.3-gke.1302", false)]
#[case("<1.22", "v1.21.5-eks-bc4871b", false)]
#[case("<1.22-0", "v1.21.5-eks-bc4871b", true)]
#[case(">= 1.19-0 < 1.22-0", "v1.21.1", true)]
#[case(">=1.16.0-0 <1.19.0-0", "1.19.0", false)]
#[case(">=1.16.0-0 <1.30.0", "v1.25.3-gke.1", false)]
#[case(">=1.16.0-0", "v1.33.0", true)]
#[case("^1.20.0-0 || <1.10", "v1.9.3", true)]
#[case(">=1.19.0 || >=1.19-0", "v1.30.1+k3s1", true)]
#[case("1.2 - 1.4.5", "1.3.9", true)]
#[case("1.2 - 1.4.5", "1.4.6", false)]
#[case("~1.2.3", "1.2.9", true)]
#[case("~1.2.3", "1.3.0", false)]
#[case("^0.2.3", "0.2.9", true)]
#[case("^0.2.3", "0.3.0", false)]
#[case("1.2.x", "1.2.99", true)]
#[case("", "1.0.0", false)]
fn semver_compare(#[case] constraint: &str, #[case] version: &str, #[case] want: bool) {
    let got = call("semverCompare", &[s(constraint), s(version)]);
    match got {
        Ok(v) => assert_eq!(v.to_string(), want.to_string(), "{constraint} vs {version}"),
        Err(e) => assert!(!want, "{constraint} vs {version}: {e}"),
    }
}

#[rstest]
#[case(
    "1.2.3-alpha.1+build.5",
    "1",
    "2",
    "3",
    "alpha.1",
    "build.5",
    "1.2.3-alpha.1+build.5"
)]
#[case("v1.25", "1", "25", "0", "", "", "1.25.0")]
#[case("2", "2", "0", "0", "", "", "2.0.0")]
fn semver_parses_loosely(
    #[case] text: &str,
    #[case] major: &str,
    #[case] minor: &str,
    #[case] patch: &str,
    #[case] pre: &str,
    #[case] meta: &str,
    #[case] shown: &str,
) {
    let v = call("semver", &[s(text)]).unwrap();
    let Value::Object(o) = &v else {
        panic!("semver gives an object")
    };
    let field = |n: &str| o.field(n).map(|x| x.to_string()).unwrap_or_default();
    assert_eq!(
        [
            field("Major"),
            field("Minor"),
            field("Patch"),
            field("Prerelease"),
            field("Metadata")
        ],
        [major, minor, patch, pre, meta]
    );
    assert_eq!(field("Original"), text);
    assert_eq!(v.to_string(), shown);
}

#[test]
fn semver_objects_compare() {
    let a = call("semver", &[s("1.2.3")]).unwrap();
    let b = call("semver", &[s("1.3.0")]).unwrap();
    let Value::Object(o) = &a else {
        panic!("object")
    };
    let cmp = |m: &str| {
        o.method(m, std::slice::from_ref(&b))
            .unwrap()
            .unwrap()
            .to_string()
    };
    assert_eq!(cmp("Compare"), "-1");
    assert_eq!(cmp("LessThan"), "true");
    assert_eq!(cmp("GreaterThan"), "false");
    assert_eq!(cmp("Equal"), "false");
}

#[rstest]
#[case(
    "randAlphaNum",
    10,
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)]
#[case("randAlpha", 7, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")]
#[case("randNumeric", 12, "0123456789")]
#[case("randAscii", 20, " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~")]
#[case("randAlphaNum", 0, "")]
fn random_strings_have_length_and_alphabet_and_repeat(
    #[case] name: &str,
    #[case] n: i64,
    #[case] alphabet: &str,
) {
    let out = show(name, &[i(n)]);
    assert_eq!(out.chars().count(), n as usize);
    assert!(out.chars().all(|c| alphabet.contains(c)), "{out}");
    assert_eq!(show(name, &[i(n)]), out, "reproducible");
}

#[test]
fn uuid_and_bytes_have_their_shapes() {
    let u = show("uuidv4", &[]);
    let re =
        regex::Regex::new("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
            .unwrap();
    assert!(re.is_match(&u), "{u}");
    let bytes = call("randBytes", &[i(24)]).unwrap();
    let decoded = show("b64dec", std::slice::from_ref(&bytes));
    assert!(!decoded.is_empty());
    assert_eq!(bytes.to_string().len(), 32);
    assert_eq!(show("shuffle", &[s("hello")]).len(), 5);
    let mut shuffled: Vec<char> = show("shuffle", &[s("abcdef")]).chars().collect();
    shuffled.sort();
    assert_eq!(shuffled.into_iter().collect::<String>(), "abcdef");
}

#[test]
fn htpasswd_checks_the_user_name() {
    assert_eq!(
        show("htpasswd", &[s("bad:user"), s("x")]),
        "invalid username: bad:user"
    );
    assert!(
        call("htpasswd", &[s("u"), s("p"), s("sha")]).is_err(),
        "sprig 3.3 takes two arguments"
    );
}

#[test]
fn bcrypt_forms_have_bcrypts_shape() {
    let h = show("htpasswd", &[s("user"), s("pw")]);
    let (user, hash) = h.split_once(':').unwrap();
    assert_eq!(user, "user");
    assert!(hash.starts_with("$2a$10$") && hash.len() == 60, "{hash}");
    let b = show("bcrypt", &[s("pw")]);
    assert!(b.starts_with("$2a$10$") && b.len() == 60);
    assert_eq!(
        show(
            "derivePassword",
            &[i(1), s("long"), s("pw"), s("user"), s("example.com")]
        )
        .len(),
        14
    );
    assert_eq!(
        show(
            "derivePassword",
            &[i(1), s("pin"), s("pw"), s("user"), s("x")]
        )
        .len(),
        4
    );
}

#[rstest]
#[case("rsa", "RSA PRIVATE KEY")]
#[case("ecdsa", "EC PRIVATE KEY")]
#[case("ed25519", "PRIVATE KEY")]
#[case("dsa", "DSA PRIVATE KEY")]
fn private_keys_are_marked_pem_placeholders(#[case] kind: &str, #[case] block: &str) {
    let pem = show("genPrivateKey", &[s(kind)]);
    assert!(
        pem.starts_with(&format!("-----BEGIN {block}-----\n")),
        "{pem}"
    );
    assert!(pem.ends_with(&format!("-----END {block}-----\n")));
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let decoded = show("b64dec", &[s(&body)]);
    assert!(
        decoded.starts_with("ferry placeholder, not a key"),
        "{decoded}"
    );
}

#[test]
fn certificates_have_cert_and_key_fields() {
    assert_eq!(show("genPrivateKey", &[s("foo")]), "Unknown type foo");
    let ca = call("genCA", &[s("my-ca"), i(365)]).unwrap();
    let cert = call("get", &[ca.clone(), s("Cert")]).unwrap().to_string();
    let key = call("get", &[ca.clone(), s("Key")]).unwrap().to_string();
    assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(key.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    let signed = call(
        "genSignedCert",
        &[
            s("svc"),
            l(&[s("10.0.0.1")]),
            l(&[s("svc.local")]),
            i(30),
            ca.clone(),
        ],
    )
    .unwrap();
    assert!(call("get", &[signed, s("Cert")])
        .unwrap()
        .to_string()
        .contains("CERTIFICATE"));
    let own = call(
        "genSelfSignedCertWithKey",
        &[s("x"), l(&[]), l(&[]), i(1), s("MYKEY")],
    )
    .unwrap();
    assert_eq!(call("get", &[own, s("Key")]).unwrap().to_string(), "MYKEY");
    let with_key = call("genCAWithKey", &[s("x"), i(1), s("K")]).unwrap();
    assert_eq!(call("get", &[with_key, s("Key")]).unwrap().to_string(), "K");
    let custom = call("buildCustomCert", &[s("Y2VydA=="), s("a2V5")]).unwrap();
    assert_eq!(custom.to_string(), "map[Cert:cert Key:key]");
    let self_signed = call("genSelfSignedCert", &[s("x"), l(&[]), l(&[]), i(1)]).unwrap();
    assert!(call("get", &[self_signed, s("Key")])
        .unwrap()
        .to_string()
        .contains("PRIVATE KEY"));
}

#[test]
fn aes_placeholder_round_trips() {
    let enc = call("encryptAES", &[s("secretkey"), s("plaintext")]).unwrap();
    assert_ne!(enc.to_string(), "plaintext");
    assert_eq!(show("decryptAES", &[s("secretkey"), enc]), "plaintext");
}

#[rstest]
#[case("env", vec![s("HOME")], "")]
#[case("expandenv", vec![s("Your path is set to $PATH and ${HOME}.")], "Your path is set to  and .")]
#[case("expandenv", vec![s("cost: 5$")], "cost: 5$")]
#[case("getHostByName", vec![s("example.com")], "")]
#[case("hello", vec![], "Hello!")]
fn no_outside_world(#[case] name: &str, #[case] args: Vec<Value>, #[case] want: &str) {
    assert_eq!(show(name, &args), want);
}

#[rstest]
#[case("fail", vec![s("boom")], "boom")]
#[case("substr", vec![i(0), i(10), i(5)], "wrong type for value; expected string; got int")]
#[case("substr", vec![i(2), i(1), s("abc")], "slice bounds out of range")]
#[case("upper", vec![nil()], "wrong type for value; expected string; got interface {}")]
#[case("upper", vec![], "wrong number of args for upper: want 1 got 0")]
#[case("trunc", vec![f(3.0), s("x")], "wrong type for value; expected int; got interface {}")]
#[case("ternary", vec![s("a"), s("b"), s("true")], "expected bool; got interface {}")]
#[case("first", vec![s("abc")], "Cannot find first on type string")]
#[case("mustFirst", vec![j("{}")], "Cannot find first on type map")]
#[case("mustLast", vec![i(1)], "Cannot find last on type int")]
#[case("append", vec![s("x"), i(1)], "Cannot push on type string")]
#[case("mustPrepend", vec![s("x"), i(1)], "Cannot prepend on type string")]
#[case("mustUniq", vec![s("x")], "Cannot find uniq on type string")]
#[case("mustHas", vec![i(1), s("x")], "Cannot find has on type string")]
#[case("mustSlice", vec![s("x"), i(1)], "list should be type of slice or array but string")]
#[case("slice", vec![ints(&[1]), i(0), i(5)], "slice index out of range")]
#[case("concat", vec![ints(&[1]), s("x")], "Cannot concat type string as list")]
#[case("div", vec![i(1), i(0)], "integer divide by zero")]
#[case("mod", vec![i(1), s("0")], "integer divide by zero")]
#[case("divf", vec![i(1), i(0)], "decimal division by 0")]
#[case("repeat", vec![i(-1), s("x")], "negative Repeat count")]
#[case("semverCompare", vec![s("bad constraint"), s("1.0.0")], "improper constraint")]
#[case("semverCompare", vec![s(">=1.0"), s("notaversion")], "Invalid Semantic Version")]
#[case("semver", vec![s("1.2.3-01")], "Version segment starts with 0")]
#[case("mustRegexMatch", vec![s("("), s("x")], "error parsing regexp")]
#[case("regexFind", vec![s("[z-a]"), s("x")], "regexp: Compile(`[z-a]`): error parsing regexp")]
#[case("mustFromJson", vec![s("{")], "EOF")]
#[case("mustToJson", vec![f(f64::NAN)], "json: unsupported value: NaN")]
#[case("mustToRawJson", vec![f(f64::INFINITY)], "json: unsupported value: +Inf")]
#[case("dig", vec![s("a"), s("b")], "dig needs at least three arguments")]
#[case("dig", vec![s("a"), s("b"), s("d"), j(r#"{"a":"flat"}"#)], "interface conversion: interface {} is string, not map[string]interface {}")]
#[case("set", vec![nil(), s("a"), s("b")], "assignment to entry in nil map")]
#[case("get", vec![s("x"), s("a")], "expected map[string]interface {}; got interface {}")]
#[case("mustDateModify", vec![s("bad"), i(0)], "expected time.Time")]
#[case("mustToDate", vec![s("2006-01-02"), s("x")], "cannot parse")]
#[case("decryptAES", vec![s("k"), s("Zm9v")], "ferry cannot decrypt")]
#[case("chunk", vec![i(0), ints(&[1])], "integer divide by zero")]
#[case("randInt", vec![i(5), i(5)], "invalid argument to Intn")]
#[case("derivePassword", vec![i(1), s("nope"), s("p"), s("u"), s("s")], "cannot find password template nope")]
fn errors_read_as_go_and_sprig_word_them(
    #[case] name: &str,
    #[case] args: Vec<Value>,
    #[case] want: &str,
) {
    match call(name, &args) {
        Ok(v) => panic!("{name} {args:?} gave {v} instead of an error"),
        Err(e) => assert!(e.0.contains(want), "{name}: {e} does not contain {want:?}"),
    }
}

#[test]
fn must_date_modify_reports_go_duration_errors() {
    let e = call("mustDateModify", &[s("5 days"), now()]).unwrap_err();
    assert!(e.0.starts_with("time: "), "{e}");
}

#[test]
fn the_map_has_every_sprig_name() {
    let names = [
        "hello",
        "ago",
        "date",
        "date_in_zone",
        "date_modify",
        "dateInZone",
        "dateModify",
        "duration",
        "durationRound",
        "htmlDate",
        "htmlDateInZone",
        "must_date_modify",
        "mustDateModify",
        "mustToDate",
        "now",
        "toDate",
        "unixEpoch",
        "abbrev",
        "abbrevboth",
        "trunc",
        "trim",
        "upper",
        "lower",
        "title",
        "untitle",
        "substr",
        "repeat",
        "trimall",
        "trimAll",
        "trimSuffix",
        "trimPrefix",
        "nospace",
        "initials",
        "randAlphaNum",
        "randAlpha",
        "randAscii",
        "randNumeric",
        "swapcase",
        "shuffle",
        "snakecase",
        "camelcase",
        "kebabcase",
        "wrap",
        "wrapWith",
        "contains",
        "hasPrefix",
        "hasSuffix",
        "quote",
        "squote",
        "cat",
        "indent",
        "nindent",
        "replace",
        "plural",
        "sha1sum",
        "sha256sum",
        "adler32sum",
        "toString",
        "atoi",
        "int64",
        "int",
        "float64",
        "seq",
        "toDecimal",
        "split",
        "splitList",
        "splitn",
        "toStrings",
        "until",
        "untilStep",
        "add1",
        "add",
        "sub",
        "div",
        "mod",
        "mul",
        "randInt",
        "add1f",
        "addf",
        "subf",
        "divf",
        "mulf",
        "biggest",
        "max",
        "min",
        "maxf",
        "minf",
        "ceil",
        "floor",
        "round",
        "join",
        "sortAlpha",
        "default",
        "empty",
        "coalesce",
        "all",
        "any",
        "compact",
        "mustCompact",
        "fromJson",
        "toJson",
        "toPrettyJson",
        "toRawJson",
        "mustFromJson",
        "mustToJson",
        "mustToPrettyJson",
        "mustToRawJson",
        "ternary",
        "deepCopy",
        "mustDeepCopy",
        "typeOf",
        "typeIs",
        "typeIsLike",
        "kindOf",
        "kindIs",
        "deepEqual",
        "env",
        "expandenv",
        "getHostByName",
        "base",
        "dir",
        "clean",
        "ext",
        "isAbs",
        "osBase",
        "osClean",
        "osDir",
        "osExt",
        "osIsAbs",
        "b64enc",
        "b64dec",
        "b32enc",
        "b32dec",
        "tuple",
        "list",
        "dict",
        "get",
        "set",
        "unset",
        "hasKey",
        "pluck",
        "keys",
        "pick",
        "omit",
        "merge",
        "mergeOverwrite",
        "mustMerge",
        "mustMergeOverwrite",
        "values",
        "append",
        "push",
        "mustAppend",
        "mustPush",
        "prepend",
        "mustPrepend",
        "first",
        "mustFirst",
        "rest",
        "mustRest",
        "last",
        "mustLast",
        "initial",
        "mustInitial",
        "reverse",
        "mustReverse",
        "uniq",
        "mustUniq",
        "without",
        "mustWithout",
        "has",
        "mustHas",
        "slice",
        "mustSlice",
        "concat",
        "dig",
        "chunk",
        "mustChunk",
        "bcrypt",
        "htpasswd",
        "genPrivateKey",
        "derivePassword",
        "buildCustomCert",
        "genCA",
        "genCAWithKey",
        "genSelfSignedCert",
        "genSelfSignedCertWithKey",
        "genSignedCert",
        "genSignedCertWithKey",
        "encryptAES",
        "decryptAES",
        "randBytes",
        "uuidv4",
        "semver",
        "semverCompare",
        "fail",
        "regexMatch",
        "mustRegexMatch",
        "regexFindAll",
        "mustRegexFindAll",
        "regexFind",
        "mustRegexFind",
        "regexReplaceAll",
        "mustRegexReplaceAll",
        "regexReplaceAllLiteral",
        "mustRegexReplaceAllLiteral",
        "regexSplit",
        "mustRegexSplit",
        "regexQuoteMeta",
        "urlParse",
        "urlJoin",
    ];
    let funcs = sprig::functions();
    let missing: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !funcs.contains_key(n))
        .collect();
    assert!(missing.is_empty(), "missing: {missing:?}");
    assert_eq!(funcs.len(), names.len(), "no names beyond sprig's");
}
