//! Go's lexer tests (`lex_test.go`) as tables.

use rstest::rstest;

use crate::lex::{lex, Kind};

/// Go's `lex_test.go`: the tokens of a text, as (kind, text), ending with EOF or an error.
#[rstest]
#[case::empty("", vec![(Kind::Eof, "")])]
#[case::spaces(" \t\n", vec![(Kind::Text, " \t\n"), (Kind::Eof, "")])]
#[case::text("now is the time", vec![(Kind::Text, "now is the time"), (Kind::Eof, "")])]
#[case::text_with_comment("hello-{{/* this is a comment */}}-world", vec![(Kind::Text, "hello-"), (Kind::Text, "-world"), (Kind::Eof, "")])]
#[case::punctuation("{{,@% }}", vec![(Kind::LeftDelim, "{{"), (Kind::Char, ","), (Kind::Char, "@"), (Kind::Char, "%"), (Kind::Space, " "), (Kind::RightDelim, "}}"), (Kind::Eof, "")])]
#[case::parens("{{((3))}}", vec![(Kind::LeftDelim, "{{"), (Kind::LeftParen, "("), (Kind::LeftParen, "("), (Kind::Number, "3"), (Kind::RightParen, ")"), (Kind::RightParen, ")"), (Kind::RightDelim, "}}"), (Kind::Eof, "")])]
#[case::empty_action("{{}}", vec![(Kind::LeftDelim, "{{"), (Kind::RightDelim, "}}"), (Kind::Eof, "")])]
#[case::block("{{block \"foo\" .}}", vec![(Kind::LeftDelim, "{{"), (Kind::Block, "block"), (Kind::Space, " "), (Kind::String, "\"foo\""), (Kind::Space, " "), (Kind::Dot, "."), (Kind::RightDelim, "}}"), (Kind::Eof, "")])]
#[case::quote("{{\"abc \\n\\t\\\" \"}}", vec![(Kind::LeftDelim, "{{"), (Kind::String, "\"abc \\n\\t\\\" \""), (Kind::RightDelim, "}}"), (Kind::Eof, "")])]
#[case::raw_quote_with_newline("{{`now is{{\n}}the time`}}", vec![(Kind::LeftDelim, "{{"), (Kind::RawString, "`now is{{\n}}the time`"), (Kind::RightDelim, "}}"), (Kind::Eof, "")])]
#[case::numbers("{{1 02 0x14 -7.2i 1e3 +1.2e-4 1_2 0x1.e_fp4}}", vec![(Kind::LeftDelim, "{{"), (Kind::Number, "1"), (Kind::Space, " "), (Kind::Number, "02"), (Kind::Space, " "), (Kind::Number, "0x14"), (Kind::Space, " "), (Kind::Number, "-7.2i"), (Kind::Space, " "), (Kind::Number, "1e3"), (Kind::Space, " "), (Kind::Number, "+1.2e-4"), (Kind::Space, " "), (Kind::Number, "1_2"), (Kind::Space, " "), (Kind::Number, "0x1.e_fp4"), (Kind::RightDelim, "}}"), (Kind::Eof, "")])]
#[case::characters("{{'a' '\\n' '\\'' '本'}}", vec![(Kind::LeftDelim, "{{"), (Kind::CharConstant, "'a'"), (Kind::Space, " "), (Kind::CharConstant, "'\\n'"), (Kind::Space, " "), (Kind::CharConstant, "'\\''"), (Kind::Space, " "), (Kind::CharConstant, "'本'"), (Kind::RightDelim, "}}"), (Kind::Eof, "")])]
#[case::bools_and_nil("{{true false nil}}", vec![(Kind::LeftDelim, "{{"), (Kind::Bool, "true"), (Kind::Space, " "), (Kind::Bool, "false"), (Kind::Space, " "), (Kind::Nil, "nil"), (Kind::RightDelim, "}}"), (Kind::Eof, "")])]
#[case::dots("{{.x . .2 .x.y.z}}", vec![(Kind::LeftDelim, "{{"), (Kind::Field, ".x"), (Kind::Space, " "), (Kind::Dot, "."), (Kind::Space, " "), (Kind::Number, ".2"), (Kind::Space, " "), (Kind::Field, ".x"), (Kind::Field, ".y"), (Kind::Field, ".z"), (Kind::RightDelim, "}}"), (Kind::Eof, "")])]
#[case::keywords("{{range if else end with}}", vec![(Kind::LeftDelim, "{{"), (Kind::Range, "range"), (Kind::Space, " "), (Kind::If, "if"), (Kind::Space, " "), (Kind::Else, "else"), (Kind::Space, " "), (Kind::End, "end"), (Kind::Space, " "), (Kind::With, "with"), (Kind::RightDelim, "}}"), (Kind::Eof, "")])]
#[case::variables("{{$c := printf $ $hello $23 $var.Field .Method}}", vec![(Kind::LeftDelim, "{{"), (Kind::Variable, "$c"), (Kind::Space, " "), (Kind::Declare, ":="), (Kind::Space, " "), (Kind::Identifier, "printf"), (Kind::Space, " "), (Kind::Variable, "$"), (Kind::Space, " "), (Kind::Variable, "$hello"), (Kind::Space, " "), (Kind::Variable, "$23"), (Kind::Space, " "), (Kind::Variable, "$var"), (Kind::Field, ".Field"), (Kind::Space, " "), (Kind::Field, ".Method"), (Kind::RightDelim, "}}"), (Kind::Eof, "")])]
#[case::pipeline("intro {{echo hi 1.2 |noargs|args 1 \"hi\"}} outro", vec![(Kind::Text, "intro "), (Kind::LeftDelim, "{{"), (Kind::Identifier, "echo"), (Kind::Space, " "), (Kind::Identifier, "hi"), (Kind::Space, " "), (Kind::Number, "1.2"), (Kind::Space, " "), (Kind::Pipe, "|"), (Kind::Identifier, "noargs"), (Kind::Pipe, "|"), (Kind::Identifier, "args"), (Kind::Space, " "), (Kind::Number, "1"), (Kind::Space, " "), (Kind::String, "\"hi\""), (Kind::RightDelim, "}}"), (Kind::Text, " outro"), (Kind::Eof, "")])]
#[case::two_declarations("{{$v , $w := 3}}", vec![(Kind::LeftDelim, "{{"), (Kind::Variable, "$v"), (Kind::Space, " "), (Kind::Char, ","), (Kind::Space, " "), (Kind::Variable, "$w"), (Kind::Space, " "), (Kind::Declare, ":="), (Kind::Space, " "), (Kind::Number, "3"), (Kind::RightDelim, "}}"), (Kind::Eof, "")])]
#[case::field_of_parenthesized("{{(.X).Y}}", vec![(Kind::LeftDelim, "{{"), (Kind::LeftParen, "("), (Kind::Field, ".X"), (Kind::RightParen, ")"), (Kind::Field, ".Y"), (Kind::RightDelim, "}}"), (Kind::Eof, "")])]
#[case::trimming("hello- {{- 3 -}} -world", vec![(Kind::Text, "hello-"), (Kind::LeftDelim, "{{"), (Kind::Number, "3"), (Kind::RightDelim, "}}"), (Kind::Text, "-world"), (Kind::Eof, "")])]
#[case::trimming_comment("hello- {{- /* hello */ -}} -world", vec![(Kind::Text, "hello-"), (Kind::Text, "-world"), (Kind::Eof, "")])]
#[case::long_pipeline("{{|||||}}", vec![(Kind::LeftDelim, "{{"), (Kind::Pipe, "|"), (Kind::Pipe, "|"), (Kind::Pipe, "|"), (Kind::Pipe, "|"), (Kind::Pipe, "|"), (Kind::RightDelim, "}}"), (Kind::Eof, "")])]
#[case::unmatched_right_delimiter("hello-{.}}-world", vec![(Kind::Text, "hello-{.}}-world"), (Kind::Eof, "")])]
#[case::bad_char("#{{\u{1}}}", vec![(Kind::Text, "#"), (Kind::LeftDelim, "{{"), (Kind::Error, "unrecognized character in action: U+0001")])]
#[case::unclosed_action("{{", vec![(Kind::LeftDelim, "{{"), (Kind::Error, "unclosed action")])]
#[case::eof_in_action("{{range", vec![(Kind::LeftDelim, "{{"), (Kind::Range, "range"), (Kind::Error, "unclosed action")])]
#[case::unclosed_quote("{{\"\n\"}}", vec![(Kind::LeftDelim, "{{"), (Kind::Error, "unterminated quoted string")])]
#[case::unclosed_raw_quote("{{`xx}}", vec![(Kind::LeftDelim, "{{"), (Kind::Error, "unterminated raw quoted string")])]
#[case::unclosed_char("{{'\n}}", vec![(Kind::LeftDelim, "{{"), (Kind::Error, "unterminated character constant")])]
#[case::bad_number("{{3k}}", vec![(Kind::LeftDelim, "{{"), (Kind::Error, "bad number syntax: \"3k\"")])]
#[case::unclosed_paren("{{(3}}", vec![(Kind::LeftDelim, "{{"), (Kind::LeftParen, "("), (Kind::Number, "3"), (Kind::Error, "unclosed left paren")])]
#[case::extra_right_paren("{{3)}}", vec![(Kind::LeftDelim, "{{"), (Kind::Number, "3"), (Kind::Error, "unexpected right paren")])]
#[case::bad_comment("hello-{{/*/}}-world", vec![(Kind::Text, "hello-"), (Kind::Error, "unclosed comment")])]
#[case::comment_close_apart("hello-{{/* */ }}-world", vec![(Kind::Text, "hello-"), (Kind::Error, "comment ends before closing delimiter")])]
fn go_lex(#[case] input: &str, #[case] want: Vec<(Kind, &str)>) {
    let got: Vec<(Kind, String)> = lex(input).into_iter().map(|t| (t.kind, t.text)).collect();
    let want: Vec<(Kind, String)> = want.into_iter().map(|(k, t)| (k, t.to_string())).collect();
    assert_eq!(got, want, "{input:?}");
}

/// Go's `TestPos`: offsets and lines of tokens.
#[rstest]
#[case::empty("", vec![(Kind::Eof, 0, 1)])]
#[case::sample("0123{{hello}}xyz", vec![(Kind::Text, 0, 1), (Kind::LeftDelim, 4, 1), (Kind::Identifier, 6, 1), (Kind::RightDelim, 11, 1), (Kind::Text, 13, 1), (Kind::Eof, 16, 1)])]
#[case::trim_after("{{x -}}\n{{y}}", vec![(Kind::LeftDelim, 0, 1), (Kind::Identifier, 2, 1), (Kind::RightDelim, 5, 1), (Kind::LeftDelim, 8, 2), (Kind::Identifier, 10, 2), (Kind::RightDelim, 11, 2), (Kind::Eof, 13, 2)])]
#[case::trim_before("{{x}}\n{{- y}}", vec![(Kind::LeftDelim, 0, 1), (Kind::Identifier, 2, 1), (Kind::RightDelim, 3, 1), (Kind::LeftDelim, 6, 2), (Kind::Identifier, 10, 2), (Kind::RightDelim, 11, 2), (Kind::Eof, 13, 2)])]
#[case::long_comment("{{/*\n*/}}\n{{undefinedFunction \"test\"}}", vec![(Kind::Text, 9, 2), (Kind::LeftDelim, 10, 3), (Kind::Identifier, 12, 3), (Kind::Space, 29, 3), (Kind::String, 30, 3), (Kind::RightDelim, 36, 3), (Kind::Eof, 38, 3)])]
fn go_lex_positions(#[case] input: &str, #[case] want: Vec<(Kind, usize, usize)>) {
    let got: Vec<(Kind, usize, usize)> = lex(input)
        .into_iter()
        .map(|t| (t.kind, t.pos, t.line))
        .collect();
    assert_eq!(got, want, "{input:?}");
}
