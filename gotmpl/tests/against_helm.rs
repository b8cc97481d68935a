//! The functions against the real Helm: one chart whose template prints every case, rendered
//! by `helm template` (3.17, installed by scripts/setup) and by ferry, compared case by case.
//! Each case is printed through `toJson`, so any text at all lands in valid YAML.

use ferry_gotmpl::{helm, Templates, Value};

const VALUES: &str = r#"
int: 3
float: 1.5
big: 1000000
huge: 1e21
tiny: 0.000001
neg: -0.25
whole: 3.0
yes: yes
str: hello world
list: [b, "", a, b, 1, 2.5]
nested:
  b: [1, {c: d}]
  a: {}
  z: []
  "y": 1
  n: no
  a10: 1
  a2: 2
  _x: 3
  B: 4
tricky:
  t: "true"
  one: "1"
  empty: ""
  date: "2024-01-01"
  colon: "a: b"
  dash: "- x"
  star: "*x"
  hash: "x #y"
  lead: " lead"
  trail: "trail "
  quote: "it's: x"
  url: "http://x.io/a?b=c"
  octal: "0755"
  sexagesimal: "1:20"
  exp: "1e3"
  multi: "line1\nline2"
  multinl: "line1\nline2\n"
  multinl2: "x\n\n"
  leadnl: " lead\nx"
  spacenl: "trailing space \nx"
  tab: "a\tb"
  uni: "héllo wörld"
  emoji: "🚀"
  long: "aaaaaaaaa aaaaaaaaa aaaaaaaaa aaaaaaaaa aaaaaaaaa aaaaaaaaa aaaaaaaaa aaaaaaaaa aaaaaaaaa aaaaaaaaa"
  longq: "aaaaaaaaa aaaaaaaaa aaaaaaaaa aaaaaaaaa aaaaaaaaa aaaaaaaaa aaaaaaaaa aaaaaaaaa aaaaaaaaa #"
  "multi\nkey": 1
image:
  registry: docker.io
  repository: bitnami/nginx
  tag: "1.25.3"
kube: v1.25.3-gke.1302
tpl: "{{ .Values.str | upper }}"
"#;

/// Template expressions; each is printed as `cN: {{ EXPR | toJson }}`.
const CASES: &[&str] = &[
    "toYaml .Values",
    "toYaml .Values.tricky",
    "toYaml .Values.nested",
    "toYaml .Values.list",
    "toYaml .Values.int",
    "toYaml .Values.str",
    "toYaml .Values.huge",
    "toYamlPretty .Values.nested",
    "toYamlPretty .Values.image",
    "toToml .Values.image",
    "toToml (dict \"a\" 1 \"b\" (list 1 2) \"c\" (dict \"d\" (dict \"e\" true)) \"t\" (list (dict \"x\" 1) (dict \"x\" 2)))",
    "toJson .Values",
    "toPrettyJson .Values.nested",
    "toRawJson (dict \"a\" \"<&>\")",
    "fromYaml \"a: yes\\nb: 0755\\nc: 1e3\\nd: ~\\ne: 2024-01-01\\nf: 0x1F\" | toJson",
    "fromYaml \"- a\" | toJson",
    "fromYamlArray \"a: 1\" | toJson",
    "fromJson \"[1]\" | toJson",
    "fromJsonArray \"{}\" | toJson",
    "printf \"%v %v %v %v %v %v\" .Values.int .Values.float .Values.big .Values.huge .Values.tiny .Values.whole",
    "list (snakecase \"HTTPServer\") (snakecase \"FirstName\") (snakecase \"http2xx\") (camelcase \"http_server\") (kebabcase \"NoHTTPS\") (camelcase \"GOLANG_IS_GREAT\")",
    "list (title \"hello-world_x it's\") (untitle \"Hello World\") (swapcase \"This Is A.Test\") (initials \"First Try\")",
    "list (wrap 5 \"Hello World\") (wrapWith 3 \"|\" \"abcdefg\") (abbrev 5 \"hello world\") (abbrevboth 5 10 \"1234 5678 9123\")",
    "list (trunc 3 \"foooooo\") (trunc -3 \"baaaaaar\") (substr 1 3 \"hello\") (nospace \"a b c\") (repeat 2 \"ab\")",
    "list (quote \"a\" 1 nil \"tab\\there\" \"é\" \"\\u0001\") (squote \"a\" 2) (cat \"a\" nil 1.5)",
    "list (regexMatch \"^\\\\d+$\" \"123\") (regexFindAll \"[2,4]\" \"1234\" -1) (regexReplaceAll \"a(x*)b\" \"-ab-axxb-\" \"${1}W\") (regexReplaceAll \"a(x*)b\" \"-ab-axxb-\" \"$1W\") (regexSplit \"z+\" \"pizza\" -1) (regexQuoteMeta \"a.b[c]\")",
    "list (semverCompare \">=1.21-0\" .Values.kube) (semverCompare \">=1.21.0\" .Values.kube) (semverCompare \"<1.22\" \"v1.21.5-eks-1\") (semverCompare \"^1.2.3\" \"1.9.0\") (semverCompare \"~1.2.3\" \"1.3.0\") (semverCompare \"1.2 - 1.4.5\" \"1.4.5\") (semverCompare \">1.1\" \"1.1.5\") (semverCompare \"!=4.x\" \"4.1.0\")",
    "list (semver \"v1.25\").Major (semver \"1.2.3-beta.1+c0ff33\").Prerelease (semver \"2\")",
    "list (b64enc \"coffee\") (b64dec \"Y29mZmVl\") (b32enc \"coffee\") (b64dec \"!!\") (sha1sum \"x\") (sha256sum \"x\") (adler32sum \"x\")",
    "list (int \"3.0\") (int \"08\") (int64 \"0x1F\") (int 5.9) (float64 \"1e6\") (atoi \"42\") (toDecimal \"0777\") (add \"3\" 2.9) (add1 1.9)",
    "list (addf 1.1 2.2) (subf 0.3 0.1) (mulf 1.1 3) (divf 1 3) (divf 2 3) (maxf 1 2.5) (round 123.5555 3) (round 2.45 1 0.6) (floor \"-1.5\") (ceil 1.2)",
    "list (seq 5) (seq 0 2 10) (seq -3) (until 3) (untilStep 10 0 -3)",
    "list (div 7 2) (mod -7 2) (mul 2 \"3\") (max 1 5 3) (min 4 2) (sub 1 3)",
    "list (default \"d\" false) (default \"d\" 0) (default \"d\" .Values.missing) (empty (list)) (coalesce \"\" 0 \"x\") (ternary 1 2 true) (all 1 \"\") (any 0 \"a\")",
    "list (typeOf 1) (typeOf .Values.int) (typeOf .Values.list) (typeOf .Values.nested) (kindOf \"x\") (kindOf .Values.list) (typeIsLike \"*string\" \"x\") (deepEqual 1 1.0)",
    "list (splitList \",\" \"a,b,,c\") (split \"$\" \"a$b\") (splitn \"$\" 2 \"a$b$c\") (join \"-\" .Values.list) (sortAlpha .Values.list) (toStrings .Values.list)",
    "list (.Values.list | uniq) (.Values.list | compact) (without .Values.list \"b\") (has \"a\" .Values.list) (has 1 .Values.list) (first .Values.list) (rest .Values.list) (last .Values.list) (initial .Values.list) (reverse .Values.list) (slice .Values.list 1 3) (chunk 4 .Values.list) (concat (list 1) .Values.list)",
    "list (dict \"a\" 1 \"b\") (get .Values.image \"tag\") (hasKey .Values.image \"tag\") (pluck \"tag\" .Values.image (dict \"tag\" \"x\")) (pick .Values.image \"tag\") (omit .Values.image \"tag\") (keys .Values.image | sortAlpha) (dig \"image\" \"tag\" \"none\" (merge (dict) .Values)) (dig \"image\" \"nope\" \"none\" (merge (dict) .Values))",
    "merge (dict \"a\" false \"b\" \"\" \"c\" (dict \"x\" 1) \"l\" (list 1)) (dict \"a\" true \"b\" \"y\" \"c\" (dict \"x\" 2 \"y\" 3) \"l\" (list 2) \"n\" 1)",
    "mergeOverwrite (dict \"a\" true \"b\" \"x\" \"c\" (dict \"x\" 1 \"z\" 9) \"l\" (list 1)) (dict \"a\" false \"b\" \"\" \"c\" (dict \"x\" 2) \"l\" (list 2))",
    "list (base \"a/b.c\") (dir \"a/b/c\") (clean \"a//b/../c/\") (ext \"x.tar.gz\") (isAbs \"/x\") (osBase \"/\")",
    "list (urlParse \"http://u:p@h.io:80/p%20q?x=1#f\") (urlJoin (dict \"scheme\" \"https\" \"host\" \"h\" \"path\" \"a b\"))",
    "list (duration \"95\") (durationRound \"2h10m5s\") (durationRound \"3000h\") (htmlDate 0) (date \"Mon Jan _2 15:04:05 MST 2006\" 1136214245) (toDate \"2006-01-02\" \"2017-12-31\" | unixEpoch)",
    "list (tpl .Values.tpl .) (required \"x\" 0) (lookup \"v1\" \"Secret\" \"ns\" \"n\")",
    "list (semverCompare \">=1.21-0\" \"v1.21.0-0\") (semverCompare \">1.21-0\" \"1.21.0\") (semverCompare \"<=1.21\" \"1.21.9\") (semverCompare \"<=1.21.0\" \"1.21.1\") (semverCompare \"=1.2.x\" \"1.2.4-beta\") (semverCompare \"1.2.x-0\" \"1.2.4-beta\") (semverCompare \"^0.0.3\" \"0.0.4\") (semverCompare \"^0.2\" \"0.2.9\") (semverCompare \"~1\" \"1.9.9\") (semverCompare \"*\" \"v1.33.0-rc.1\") (semverCompare \">=1.19.0-0 <1.25.0-0\" \"v1.24.17-eks-c12679a\") (semverCompare \"> 1.4 < 1.6 || >= 2\" \"2.0.0\") (semverCompare \">=1.2.3, <2\" \"1.5.0\")",
    "list (semver \"1.2.3\").Minor ((semver \"1.2.3\").Compare (semver \"1.3.0\")) ((semver \"1.2.3\").LessThan (semver \"1.2.4\")) (semver \"v1.2.3+meta\") (semver \"1.2.3\").Original",
    "list (snakecase \"ALL\") (snakecase \"HTTP20xOK\") (snakecase \"Duration2m3s\") (snakecase \"a1b2c3d\") (snakecase \"  sentence case  \") (snakecase \"FROM CamelCase to snake/kebab-case\") (kebabcase \"HELLO_WORLD\") (camelcase \"_complex__case_\") (camelcase \" complex -case \") (camelcase \"helloWorld\")",
    "list (title \"élan vital\") (upper \"straße\") (lower \"ÀÉÎ\") (title \"x.y_z\") (nospace \"\\u00a0a b\\tc\")",
    "list (quote \"\\u00a0\" \"\\u2028\" \"\\u007f\" \"🚀\") (squote nil) (cat nil) (quote)",
    "list (indent 2 \"a\\n\\nb\") (nindent 0 \"x\") (replace \"\" \"-\" \"ab\") (plural \"one\" \"many\" 0) (trimAll \"ab\" \"abxba\") (trimPrefix \"a\" \"aab\") (trimSuffix \"b\" \"abb\") (trim \"\\t x \\n\")",
    "list (wrap 10 \"The quick brown fox jumps over the lazy dog\") (wrapWith 10 \"<br>\" \"The quick brown fox jumps over the lazy dog\") (wrap 3 \"a verylongword b\")",
    "list (abbrev 4 \"abcdef\") (abbrevboth 10 16 \"abcdefghijklmnopqrstuvwxyz\") (abbrevboth 0 5 \"abcdefgh\") (trunc 2 \"héllo\") (substr 0 2 \"héllo\")",
    "list (splitList \"\" \"héllo\") (splitn \"-\" -1 \"a-b-c\") (join \", \" (list 1.5 true nil \"x\")) (toStrings (list 1 nil)) (toString 1e6) (toString .Values.big) (toString .Values.tiny)",
    "list (regexFindAll \"\\\\w+\" \"héllo wörld\" -1) (regexMatch \"\\\\bfoo\\\\b\" \"a foo b\") (regexReplaceAll \"(?P<x>\\\\d)\" \"a1b2\" \"<${x}>\") (regexReplaceAllLiteral \"\\\\d\" \"a1\" \"$0\") (regexSplit \"a\" \"banana\" 2) (regexSplit \"\" \"abc\" -1) (regexFind \"[[:upper:]]+\" \"abCDe\") (regexMatch \"^\\\\p{Greek}+$\" \"αβγ\")",
    "list (add 1.9 \"2\" true) (sub \"10\" 2.5) (mul 1.5 2) (div 10 \"3\") (mod 10 3.9) (max \"5\" 3.2 -1) (add)",
    "list (addf 0.1 0.2) (mulf 0.1 3) (subf 1 0.9) (divf 10 3) (divf 1 7) (addf 1e20 1) (mulf 123456789 987654321) (addf \"1.5\" true) (minf 1 \"x\")",
    "list (round 2.5 0) (round -2.5 0) (round 1.005 2) (round 123.456 -1) (floor 1e20) (ceil -0.5) (int \"1e3\") (int \" 5\") (int64 \"+7\") (float64 true) (float64 \"inf\") (atoi \"0x10\") (toDecimal 8) (toDecimal \"-17\")",
    "list (seq 1 1) (seq 2 1) (seq 1 -1 1) (seq 10 -3 1) (until 0) (untilStep 0 1 5)",
    "list (default 1 nil) (default \"\" \"\") (default (list) (list 0)) (empty \"0\") (empty 0.0) (coalesce nil nil) (ternary \"a\" \"b\" false) (all) (any nil) (compact (list 0 false \"\" nil (dict) (list) \"ok\"))",
    "list (typeOf 1.5) (typeOf true) (typeOf nil) (typeOf (dict)) (typeOf \"x\") (kindOf 1) (kindOf nil) (kindOf (dict)) (kindIs \"float64\" 1.5) (typeIs \"bool\" false) (deepEqual (list 1 (dict \"a\" 1)) (list 1 (dict \"a\" 1))) (deepEqual .Values.list .Values.list)",
    "list (has 2.5 .Values.list) (uniq (list 1 1.0 \"1\")) (without (list 1 2 1) 1) (slice (list 1 2 3) 1 1) (reverse (list)) (first (list nil)) (prepend (list) 1) (append (list 1) (list 2)) (sortAlpha (list \"B\" \"a\" \"_\" \"1\"))",
    "list (dict \"b\" 2 \"a\" 1 \"a\" 3) (set (dict) \"k\" nil) (unset (dict \"a\" 1) \"b\") (pluck \"a\" (dict \"a\" 1) (dict \"b\" 2) (dict \"a\" 3)) (values (dict \"b\" 2 \"a\" 1) | sortAlpha) (keys (dict \"b\" 2 \"a\" 1) (dict \"c\" 3) | sortAlpha) (dig \"a\" \"b\" 0 (dict \"a\" (dict \"b\" nil)))",
    "merge (dict \"a\" (dict \"b\" (dict \"c\" 1))) (dict \"a\" (dict \"b\" (dict \"d\" 2) \"e\" 3)) (dict \"a\" (dict \"b\" (dict \"c\" 9)))",
    "mergeOverwrite (dict \"a\" (dict \"b\" 1) \"c\" (dict)) (dict \"a\" (dict) \"c\" (dict \"x\" 1)) (dict \"a\" nil)",
    "merge (dict \"l\" (list) \"m\" (dict) \"s\" \"\") (dict \"l\" (list 1) \"m\" (dict \"x\" 1) \"s\" \"set\")",
    "list (base \"\") (base \"a/\") (dir \"\") (dir \"a\") (clean \"/../..\") (clean \"a/./b/../../..\") (ext \".bashrc\") (ext \"a.b.\") (isAbs \"\") (osDir \"/a/b/\")",
    "list (urlParse \"https://example.com\") (urlParse \"mailto:x@y.z\") (urlParse \"/p?q#f\") (urlParse \"http://[::1]:8080/x\") (urlJoin (dict \"scheme\" \"mailto\" \"opaque\" \"x@y\")) (urlJoin (dict \"path\" \"rel/p\" \"host\" \"h\")) (urlJoin (dict \"host\" \"h\" \"fragment\" \"a b\" \"query\" \"q=1 2\"))",
    "list (b64dec \"Y29mZmVl\\n\") (b64dec \"Y29mZmV\") (b32dec \"MNXW\") (b32dec \"MNXWMZTFMU======\") (b64enc \"\") (b32enc \"a\") (sha1sum \"\") (adler32sum \"Hello world!\")",
    "list (duration \"0\") (duration \"-5\") (duration \"3661\") (duration \"86400\") (durationRound \"0s\") (durationRound \"-48h\") (durationRound \"1h0m1s\") (durationRound \"8761h\")",
    "list (date \"2006-01-02T15:04:05.000Z07:00\" 0) (date \"Jan _2 3:04:05 PM\" 1136214245) (dateInZone \"15:04 MST\" 0 \"UTC\") (htmlDateInZone 86399 \"UTC\") (unixEpoch (toDate \"2006-01-02 15:04:05\" \"2020-02-29 23:59:58\")) (date \"2006-01-02\" (dateModify \"-1.5h\" (toDate \"2006-01-02\" \"2020-03-01\"))) (toDate \"2006-01-02\" \"nope\" | unixEpoch)",
    "toYaml (dict \"k\" (list (list 1 (list 2)) (dict) (list) nil true \"\" \"x\"))",
    "toYaml (dict \"a\" (list (dict \"long\" \"bbbbbbbbbb bbbbbbbbbb bbbbbbbbbb bbbbbbbbbb bbbbbbbbbb bbbbbbbbbb bbbbbbbbbb bbbbbbbbbb\" \"multi\" \"x\\ny\\n\")))",
    "toYaml (dict \"1\" 1 \"key with: colon\" 2 \"-dash\" 3 \"?q\" 4 \"true\" 5 \"Yes\" 6 \"NULL\" 7 \"~\" 8 \"0x10\" 9 \"1e2\" 10 \"a\\tb\" 11 \" \" 12 \"#\" 13 \"@at\" 14)",
    "toYaml (list \"True\" \"FALSE\" \"Off\" \"y\" \"Y\" \"nO\" \"null\" \"Null\" \"nil\" \".inf\" \"-.Inf\" \".NaN\" \"1_000\" \"0o17\" \"0b101\" \"+1.5\" \"1.\" \".\" \"-\" \"--\" \"---\" \"...\" \"= x\" \"<<\" \"%x\" \"x:\" \"x: \" \":x\" \"- \" \"a - b\" \"a # b\" \"a#b\" \"[a]\" \"a]\" \"{\" \"}\" \",\" \"a,b\" \"!\" \"&\" \"*\" \"|\" \">\" \"'\" \"\\\"\" \"`\")",
    "toYaml (list 0.1 1e-7 123456789.5 1.5e300 -1e-300 100000000000000000000.0 12345678901234567890.0 0.5 2.0 -0.0)",
    "toYaml (list \"line\\n\" \"\\n\" \"\\n\\n\" \" \\n\" \"a\\n \" \"a \\nb\" \"\\ta\\nb\" \"a\\n\\tb\" \"a\\r\\nb\" \"\\u00e9\\nx\" \"🚀\\nx\" \"a\\u0085b\" \"a\\u2028b\")",
    "toYaml (dict (printf \"%0130d\" 0) 1)",
    "toYamlPretty (dict \"a\" (list (list 1) (dict \"b\" (list 2))) \"c\" \"x\\ny\" \"d\" 1e6 \"e\" (dict) \"f\" (list))",
    "toToml (dict \"s\" \"é\\t\\\"q\\\"\\u0001\" \"i\" 1.5 \"b\" false \"arr\" (list \"a\" \"b\") \"nested\" (dict \"deep\" (dict \"x\" (list 1 2)) \"k\" \"v\") \"aot\" (list (dict \"n\" 1 \"sub\" (dict \"z\" 1))) \"key.with.dots\" 1 \"\" 2)",
    "fromToml \"a = 1\\nb = \\\"x\\\"\\n[t]\\nc = [1, 2]\\n[[arr]]\\nn = 1.5\" | toJson",
    "fromYaml \"a: 0o17\\nb: 0x1F\\nc: 1_000\\nd: .inf\\ne: -.5\\nf: 12e3\\ng: 0b11\\nh: 08\\ni: +5\\nj: 2001-12-14t21:59:43.10-05:00\" | toJson",
    "fromYaml \"merge: &m {a: 1}\\nuse:\\n  <<: *m\\n  b: 2\" | toJson",
    "toJson (list \"\\u2028\" \"\\u0000\" \"\\b\\f\" \"<>\" \"é\" 1e21 1e-7 100 -0.5)",
    "toPrettyJson (list (dict) (list) (dict \"a\" (list 1)))",
    "printf \"%v|%v|%v|%v|%v\" (dict \"a\" 1.5 \"b\" (list 1e6 nil)) (list) (dict) nil .Values.nested.b",
    "list (toString (list 1 2)) (toString (dict \"a\" (list))) (cat (list 1) (dict \"a\" 2)) (quote (list 1))",
    "list (deepCopy .Values.image) (get (deepCopy (dict \"a\" (dict \"b\" 1))) \"a\")",
    "list (semverCompare \"~1.2.x\" \"1.2.9\") (semverCompare \"^1.x\" \"1.9.0\") (semverCompare \"1.x || 3.x\" \"3.1.0\") (semverCompare \">=1.0.0-alpha\" \"1.0.0-beta\") (semverCompare \"<1.0.0-beta\" \"1.0.0-alpha\") (semverCompare \">=1.2.3-0\" \"1.2.3-alpha.1\") (semverCompare \"=1.2.3\" \"v1.2.3\") (semverCompare \"1.2.3\" \"1.2.3+build\") (semverCompare \"!=1.2.3\" \"1.2.4\") (semverCompare \">= 1.20.0-0, < 1.30.0-0\" \"1.29.99-gke.3\") (semverCompare \"^0.0\" \"0.0.9\") (semverCompare \"~0\" \"0.9.0\") (semverCompare \"<=1.x\" \"1.9.9\") (semverCompare \">1.x\" \"2.0.0\") (semverCompare \"<2.x\" \"1.9.9\")",
    "list (semverCompare \">=1.21-0\" \"1.21\") (semverCompare \">=v1.21\" \"1.21.0\") (semverCompare \"1.2.3 - 2.3.4\" \"2.3.4\") (semverCompare \"1.2 - 2\" \"2.9.9\") (semverCompare \">=1.2.3 <=1.2.3\" \"1.2.3\") (semverCompare \"=1.2.x-alpha\" \"1.2.3-beta\") (semverCompare \"!=1.2.x\" \"1.3.0\") (semverCompare \"~1.2.3-beta\" \"1.2.4-alpha\") (semverCompare \"^1.2.3-beta\" \"1.3.0-alpha\")",
    "toYaml (dict \"a\" (dict \"b\" (dict \"c\" (list (dict \"d\" \"cccccccccc cccccccccc cccccccccc cccccccccc cccccccccc cccccccccc cccccccccc cccccccccc cccccccccc\")))))",
    "toYaml (list \"cccccccccc cccccccccc cccccccccc cccccccccc cccccccccc cccccccccc cccccccccc cccccccccc cccccccccc\" \"dddddddddd  dddddddddd dddddddddd dddddddddd dddddddddd dddddddddd dddddddddd dddddddddd: dddddddddd\" \"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee e\" \"\\\"ffffffffff ffffffffff ffffffffff ffffffffff ffffffffff ffffffffff ffffffffff ffffffffff ffffffffff\\tg\")",
    "toYaml (dict \"a01\" 1 \"a1\" 2 \"a001\" 3 \"a10b\" 4 \"a10a\" 5 \"a9\" 6 \"é\" 7 \"z\" 8 \"Z\" 9 \"10\" 11 \"9\" 12 \"-\" 13 \"a_b\" 14 \"aB\" 15 \"ab\" 16)",
    "toYaml (dict \"x\" (dict \"y\" (list (list (dict \"z\" (list 1))) (dict))))",
    "toYaml (list (dict \"a\" \"x\\ny\") (dict \"b\" (list \"p\\nq\\n\")) (list \"r\\ns\"))",
    "toYaml (dict \"s\" \"  \" \"t\" \"\\t\" \"u\" \"a  b\" \"v\" \"a\\\\b\" \"w\" \"'\" \"x\" \"it's\" \"y\" \"\\\"q\\\"\" \"z\" \"a'b: c\")",
    "toYamlPretty (list (dict \"a\" 1 \"b\" (list 1 (list 2))) \"long long long long long long long long long long long long long long long long long long\")",
    "toToml (dict \"a\" (dict \"b\" (dict \"c\" (dict \"d\" 1))) \"e\" (list (dict \"f\" (list (dict \"g\" 1)))))",
    "toToml (dict \"mixed\" (list 1 \"a\" true) \"empty\" (list) \"nested\" (list (list 1 2) (list 3)) \"float\" 1e21 \"neg\" -0.5 \"unicode key é\" \"v\")",
    "toToml (dict \"inline\" (list (dict \"a\" 1) 2))",
    "printf \"%v %v %v %v\" (list 1e6 1.5e-7 123456.0 1e21) (dict \"k\" 1e6) 100000.0 0.0001",
    "printf \"%s %d %q %x %5.2f %t %T %T\" \"s\" 42 \"q\" 255 3.14159 true 1.5 (list)",
    "list (toJson 1e6) (toJson 123456789012.0) (toJson 0.1) (toJson -1e-7) (toJson 1.5e300) (toJson (list 1e20 1e21))",
    "list (date \"Monday, 02-Jan-06 15:04:05 MST\" 1700000000) (date \"2006-01-02T15:04:05.999999999Z07:00\" 1700000000) (date \"3:04:05pm\" 1700000000) (date \"06 1 2 3 4 5\" 1700000000) (date \"__2 002\" 1700000000) (date \".000 ,999\" 1700000000)",
    "list (toDate \"2006-01-02T15:04:05Z07:00\" \"2023-11-14T22:13:20Z\" | unixEpoch) (toDate \"2006-01-02T15:04:05Z07:00\" \"2023-11-14T22:13:20+01:00\" | unixEpoch) (toDate \"02/01/2006\" \"14/11/2023\" | unixEpoch) (toDate \"Jan 2, 2006 at 3:04pm\" \"Nov 14, 2023 at 10:13pm\" | unixEpoch) (toDate \"2006-01-02 15:04:05.000\" \"2023-11-14 22:13:20.123\" | date \"15:04:05.000\")",
    "list (dateModify \"+1h30m\" (toDate \"2006-01-02\" \"2023-11-14\")) (dateModify \"-90s\" (toDate \"2006-01-02\" \"2023-11-14\")) (dateModify \"1.5h\" (toDate \"2006-01-02\" \"2023-11-14\") | date \"15:04\") (dateModify \"1000ms\" (toDate \"2006-01-02\" \"2023-11-14\"))",
    "list (regexFindAll \"(?i)AB\" \"ab Ab aB\" -1) (regexMatch \"(?m)^b$\" \"a\\nb\") (regexMatch \"^a.b$\" \"a\\nb\") (regexMatch \"(?s)^a.b$\" \"a\\nb\") (regexReplaceAll \"(a)(b)?\" \"a ab\" \"[$2]\") (regexReplaceAll \"x*\" \"abc\" \"-\") (regexFindAll \"a*\" \"baaab\" -1) (regexSplit \"x*\" \"abc\" -1) (regexReplaceAll \"\\\\$\" \"a$b\" \"$$\")",
    "list (regexMatch \"[[:alpha:]]+\" \"abc\") (regexMatch \"^[^[:space:]]+$\" \"a b\") (regexFindAll \"[a-c-e]\" \"a-e\" -1) (regexMatch \"\\\\Aabc\\\\z\" \"abc\") (regexFind \"a{2,}\" \"caaat\") (regexFind \"a{,2}\" \"a{,2}\") (regexQuoteMeta \"#&-~ \")",
    "list (splitList \"/\" \"/a//b/\") (splitn \"/\" 2 \"/a/b\") (split \"\" \"ab\") (join \"\" (list)) (sortAlpha (list \"b10\" \"b9\" \"B\" \"a\")) (trimAll \" \" \"  x  \") (trimSuffix \"\" \"x\")",
    "list (indent 3 \"\") (nindent 2 \"a\\r\\nb\") (repeat 0 \"x\") (substr 2 2 \"abc\") (substr 0 -1 \"abc\") (trunc 10 \"\") (abbrev 3 \"abcdef\") (initials \"\") (wrap 0 \"a b\") (untitle \"\")",
    "list (add1f \"x\") (add1f 0.1) (divf 1 1e-10) (mulf 0.1 0.1) (subf 1e16 1) (addf 1e-10 1) (round 0.5 0) (round -0.5 0) (round 1.15 1) (round 2.675 2)",
    "list (int \"0b11\") (int \"0o17\") (int \"017\") (int \"-0x10\") (int \"1_000\") (int \"9223372036854775808\") (int64 \"9223372036854775807\") (int 1e19) (float64 \"0x10\") (float64 \"1_000.5\") (float64 \".5\") (float64 \"+2\")",
    "list (toString nil) (toString (list nil)) (toStrings (list \"a\" 1 1.5 true nil (list 1))) (cat \"x\" (list) (dict)) (quote nil \"\") (squote \"\")",
    "list (typeOf (dict \"a\" 1).a) (kindOf (semver \"1.2.3\")) (typeOf (semver \"1.2.3\")) (typeOf (now)) (kindOf (now))",
    "list (urlParse \"//host/path\") (urlParse \"http://host\") (urlParse \"x:y\") (urlParse \"http://h/a%2Fb\") (urlParse \"http://user@host\") (urlJoin (dict \"scheme\" \"http\" \"host\" \"h\" \"path\" \"/a%2Fb\"))",
    "list (mergeOverwrite (dict \"a\" (list 1)) (dict \"a\" (list))) (merge (dict \"a\" (dict)) (dict \"a\" (dict \"b\" 1))) (mergeOverwrite (dict \"a\" 1) (dict \"a\" (dict \"b\" 1))) (merge (dict \"a\" nil) (dict \"a\" 1)) (merge (dict) (dict \"a\" nil))",
    "list (keys .Values.image | sortAlpha) (pick .Values \"int\" \"str\") (hasKey .Values \"int\") (get .Values \"str\") (omit .Values.image \"registry\") (values .Values.image | sortAlpha) (kindIs \"map\" .Values) (empty .Values.missing) (default \"x\" .Values.nested.a)",
    "list (.Values.image.tag | quote) (printf \"%s/%s:%s\" .Values.image.registry .Values.image.repository .Values.image.tag) (.Values.str | trunc 63 | trimSuffix \"-\") (.Values.int | toString) (.Values.float | int) (.Values.big | int64) (.Values.whole | toString) (.Values.huge | toString)",
    "list (ternary \"a\" \"b\" (gt .Values.int 2.0)) (has \"a\" .Values.list) (.Values.list | len) (index .Values.list 0) (toJson .Values.list) (.Values.list | sortAlpha | uniq)",
    "toYamlPretty .Values.tricky",
    "toYamlPretty (list 0.1 1e-7 123456789.5 3.0 1e21 -0.0 \"1\" \"true\" \"y\" \"\" \"<<\" \"2024-01-01\" nil (dict) (list))",
    "toYamlPretty (dict \"k\" (list (list 1 (list 2)) (dict \"a\" (list (dict \"b\" 1)))) \"m\" \"a\\nb\\n\" \"n\" \" x\\ny\")",
    // Masterminds/semver's constraint tests, asked of Helm's own semver.
    "list (semverCompare \"*\" \"1.2.3\") (semverCompare \"~0.0.0\" \"1.2.3\") (semverCompare \"0.x.x\" \"1.2.3\") (semverCompare \"0.0.x\" \"1.2.3\") (semverCompare \"0.0.0\" \"1.2.3\") (semverCompare \"*\" \"1.2.3\") (semverCompare \"^0.0.0\" \"1.2.3\") (semverCompare \"= 2.0\" \"1.2.3\") (semverCompare \"= 2.0\" \"2.0.0\") (semverCompare \"4.1\" \"4.1.0\") (semverCompare \"4.1.x\" \"4.1.3\") (semverCompare \"1.x\" \"1.4\") (semverCompare \"!=4.1\" \"4.1.0\") (semverCompare \"!=4.1-alpha\" \"4.1.0-alpha\") (semverCompare \"!=4.1-alpha\" \"4.1.1-alpha\") (semverCompare \"!=4.1-alpha\" \"4.1.0\") (semverCompare \"!=4.1\" \"5.1.0\") (semverCompare \"!=4.x\" \"5.1.0\") (semverCompare \"!=4.x\" \"4.1.0\") (semverCompare \"!=4.1.x\" \"4.2.0\")",
    "list (semverCompare \"!=4.2.x\" \"4.2.3\") (semverCompare \">1.1\" \"4.1.0\") (semverCompare \">1.1\" \"1.1.0\") (semverCompare \"<1.1\" \"0.1.0\") (semverCompare \"<1.1\" \"1.1.0\") (semverCompare \"<1.1\" \"1.1.1\") (semverCompare \"<1.x\" \"1.1.1\") (semverCompare \"<1.x\" \"0.1.1\") (semverCompare \"<1.x\" \"2.0.0\") (semverCompare \"<1.1.x\" \"1.2.1\") (semverCompare \"<1.1.x\" \"1.1.500\") (semverCompare \"<1.1.x\" \"1.0.500\") (semverCompare \"<1.2.x\" \"1.1.1\") (semverCompare \">=1.1\" \"4.1.0\") (semverCompare \">=1.1\" \"4.1.0-beta\") (semverCompare \">=1.1\" \"1.1.0\") (semverCompare \">=1.1\" \"0.0.9\") (semverCompare \"<=1.1\" \"0.1.0\") (semverCompare \"<=1.1\" \"0.1.0-alpha\") (semverCompare \"<=1.1-a\" \"0.1.0-alpha\")",
    "list (semverCompare \"<=1.1\" \"1.1.0\") (semverCompare \"<=1.x\" \"1.1.0\") (semverCompare \"<=2.x\" \"3.0.0\") (semverCompare \"<=1.1\" \"1.1.1\") (semverCompare \"<=1.1.x\" \"1.2.500\") (semverCompare \"<=4.5\" \"3.4.0\") (semverCompare \"<=4.5\" \"3.7.0\") (semverCompare \"<=4.5\" \"4.6.3\") (semverCompare \">1.1, <2\" \"1.1.1\") (semverCompare \">1.1, <2\" \"1.2.1\") (semverCompare \">1.1, <3\" \"4.3.2\") (semverCompare \">=1.1, <2, !=1.2.3\" \"1.2.3\") (semverCompare \">1.1 <2\" \"1.1.1\") (semverCompare \">1.1 <2\" \"1.2.1\") (semverCompare \">1.1    <3\" \"4.3.2\") (semverCompare \">=1.1    <2    !=1.2.3\" \"1.2.3\") (semverCompare \">=1.1, <2, !=1.2.3 || > 3\" \"4.1.2\") (semverCompare \">=1.1, <2, !=1.2.3 || > 3\" \"3.1.2\") (semverCompare \">=1.1, <2, !=1.2.3 || >= 3\" \"3.0.0\") (semverCompare \">=1.1, <2, !=1.2.3 || > 3\" \"3.0.0\")",
    "list (semverCompare \">=1.1, <2, !=1.2.3 || > 3\" \"1.2.3\") (semverCompare \">=1.1 <2 !=1.2.3\" \"1.2.3\") (semverCompare \">=1.1 <2 !=1.2.3 || > 3\" \"4.1.2\") (semverCompare \">=1.1 <2 !=1.2.3 || > 3\" \"3.1.2\") (semverCompare \">=1.1 <2 !=1.2.3 || >= 3\" \"3.0.0\") (semverCompare \">=1.1 <2 !=1.2.3 || > 3\" \"3.0.0\") (semverCompare \">=1.1 <2 !=1.2.3 || > 3\" \"1.2.3\") (semverCompare \"> 1.1, <     2\" \"1.1.1\") (semverCompare \">   1.1, <2\" \"1.2.1\") (semverCompare \">1.1, <  3\" \"4.3.2\") (semverCompare \">= 1.1, <     2, !=1.2.3\" \"1.2.3\") (semverCompare \"> 1.1 < 2\" \"1.1.1\") (semverCompare \">1.1 < 2\" \"1.2.1\") (semverCompare \"> 1.1    <3\" \"4.3.2\") (semverCompare \">=1.1    < 2    != 1.2.3\" \"1.2.3\") (semverCompare \">= 1.1, <2, !=1.2.3 || > 3\" \"4.1.2\") (semverCompare \">= 1.1, <2, != 1.2.3 || > 3\" \"3.1.2\") (semverCompare \">= 1.1, <2, != 1.2.3 || >= 3\" \"3.0.0\") (semverCompare \">= 1.1, <2, !=1.2.3 || > 3\" \"3.0.0\") (semverCompare \">= 1.1, <2, !=1.2.3 || > 3\" \"1.2.3\")",
    "list (semverCompare \">= 1.1 <2 != 1.2.3\" \"1.2.3\") (semverCompare \">= 1.1 <2 != 1.2.3 || > 3\" \"4.1.2\") (semverCompare \">= 1.1 <2 != 1.2.3 || > 3\" \"3.1.2\") (semverCompare \">= 1.1 <2 != 1.2.3 || >= 3\" \"3.0.0\") (semverCompare \">= 1.1 < 2 !=1.2.3 || > 3\" \"3.0.0\") (semverCompare \">=1.1 < 2 !=1.2.3 || > 3\" \"1.2.3\") (semverCompare \">= 1.0.0  <= 2.0.0-beta\" \"1.0.1-beta\") (semverCompare \">= 1.0.0  <= 2.0.0-beta\" \"1.0.1\") (semverCompare \">= 1.0.0  <= 2.0.0-beta\" \"3.0.0\") (semverCompare \">= 1.0.0  <= 2.0.0-beta || > 3\" \"1.0.1-beta\") (semverCompare \">= 1.0.0  <= 2.0.0-beta || > 3\" \"3.0.1-beta\") (semverCompare \">= 1.0.0  <= 2.0.0-beta != 1.0.1 || > 3\" \"1.0.1-beta\") (semverCompare \">= 1.0.0  <= 2.0.0-beta != 1.0.1-beta || > 3\" \"1.0.1-beta\") (semverCompare \">= 1.0.0-0  <= 2.0.0\" \"1.0.1-beta\") (semverCompare \"1.1 - 2\" \"1.1.1\") (semverCompare \"1.5.0 - 4.5\" \"3.7.0\") (semverCompare \"1.1-3\" \"4.3.2\") (semverCompare \"^1.1\" \"1.1.1\") (semverCompare \"^1.1\" \"4.3.2\") (semverCompare \"^1.x\" \"1.1.1\")",
    "list (semverCompare \"^2.x\" \"1.1.1\") (semverCompare \"^1.x\" \"2.1.1\") (semverCompare \"^1.x\" \"1.1.1-beta1\") (semverCompare \"^1.1.2-alpha\" \"1.2.1-beta1\") (semverCompare \"^1.2.x-alpha\" \"1.1.1-beta1\") (semverCompare \"^0.0.1\" \"0.0.1\") (semverCompare \"^0.0.1\" \"0.3.1\") (semverCompare \"~*\" \"2.1.1\") (semverCompare \"~1\" \"2.1.1\") (semverCompare \"~1\" \"1.3.5\") (semverCompare \"~1\" \"1.4\") (semverCompare \"~1.x\" \"2.1.1\") (semverCompare \"~1.x\" \"1.3.5\") (semverCompare \"~1.x\" \"1.4\") (semverCompare \"~1.1\" \"1.1.1\") (semverCompare \"~1.1\" \"1.1.1-alpha\") (semverCompare \"~1.1-alpha\" \"1.1.1-beta\") (semverCompare \"~1.1.1-beta\" \"1.1.1-alpha\") (semverCompare \"~1.1.1-beta\" \"1.1.1\") (semverCompare \"~1.2.3\" \"1.2.5\")",
    "list (semverCompare \"~1.2.3\" \"1.2.2\") (semverCompare \"~1.2.3\" \"1.3.2\") (semverCompare \"~1.1\" \"1.2.3\") (semverCompare \"~1.3\" \"2.4.5\") (semverCompare \"1.0.0 - 2.0.0 <=2.0.0\" \"1.5.0\") (semverCompare \"1.0.0 - 2.0.0, <=2.0.0\" \"1.5.0\") (semverCompare \">=1.21-0\" \"v1.25.3-gke.1302\") (semverCompare \">=1.21-0\" \"v1.20.0\") (semverCompare \">=1.21.0\" \"v1.25.3-gke.1302\") (semverCompare \"<1.22\" \"v1.21.5-eks-bc4871b\") (semverCompare \"<1.22-0\" \"v1.21.5-eks-bc4871b\") (semverCompare \">= 1.19-0 < 1.22-0\" \"v1.21.1\") (semverCompare \">=1.16.0-0 <1.19.0-0\" \"1.19.0\") (semverCompare \">=1.16.0-0\" \"v1.33.0\") (semverCompare \"^1.20.0-0 || <1.10\" \"v1.9.3\") (semverCompare \">=1.19.0 || >=1.19-0\" \"v1.30.1+k3s1\") (semverCompare \">=1.14-0\" \"v1.30.2-k3s1\") (semverCompare \"~1.2.3\" \"1.2.9\") (semverCompare \"~1.2.3\" \"1.3.0\") (semverCompare \"^0.2.3\" \"0.2.9\")",
    "list (semverCompare \"^0.2.3\" \"0.3.0\") (semverCompare \"1.2.x\" \"1.2.99\")",
    // xstrings' own test words through Helm's case functions.
    "list (snakecase \"HTTPServer\") (snakecase \"_camelCase\") (snakecase \"NoHTTPS\") (snakecase \"Wi_thF\") (snakecase \"_AnotherTES_TCaseP\") (snakecase \"ALL\") (snakecase \"_HELLO_WORLD_\") (snakecase \"HELLO_WORLD\") (snakecase \"HELLO____WORLD\") (snakecase \"TW\") (snakecase \"_C\") (snakecase \"http2xx\") (snakecase \"HTTP2XX\") (snakecase \"HTTP20xOK\") (snakecase \"HTTP20xStatus\") (snakecase \"HTTP-20xStatus\") (snakecase \"a\") (snakecase \"Duration2m3s\") (snakecase \"Bld4Floor3rd\") (snakecase \" _-_ \") (snakecase \"a1b2c3d\") (snakecase \"A//B%%2c\") (snakecase \"HTTP状态码404/502Error\") (snakecase \"中文(字符)\") (snakecase \"混合ABCWords与123数字456\") (snakecase \"  sentence case  \") (snakecase \" Mixed-hyphen case _and SENTENCE_case and UPPER-case\") (snakecase \"FROM CamelCase to snake/kebab-case\") (snakecase \"abc_123_def\") (snakecase \"FirstName\") (snakecase \"x.y_z\") (snakecase \"a-b c\") (snakecase \"ID\") (snakecase \"iOS\") (snakecase \"v1.2.3\") (snakecase \"kube-proxy\") (snakecase \"myApp2Go\")",
    "list (kebabcase \"HTTPServer\") (kebabcase \"_camelCase\") (kebabcase \"NoHTTPS\") (kebabcase \"Wi_thF\") (kebabcase \"_AnotherTES_TCaseP\") (kebabcase \"ALL\") (kebabcase \"_HELLO_WORLD_\") (kebabcase \"HELLO_WORLD\") (kebabcase \"HELLO____WORLD\") (kebabcase \"TW\") (kebabcase \"_C\") (kebabcase \"http2xx\") (kebabcase \"HTTP2XX\") (kebabcase \"HTTP20xOK\") (kebabcase \"HTTP20xStatus\") (kebabcase \"HTTP-20xStatus\") (kebabcase \"a\") (kebabcase \"Duration2m3s\") (kebabcase \"Bld4Floor3rd\") (kebabcase \" _-_ \") (kebabcase \"a1b2c3d\") (kebabcase \"A//B%%2c\") (kebabcase \"HTTP状态码404/502Error\") (kebabcase \"中文(字符)\") (kebabcase \"混合ABCWords与123数字456\") (kebabcase \"  sentence case  \") (kebabcase \" Mixed-hyphen case _and SENTENCE_case and UPPER-case\") (kebabcase \"FROM CamelCase to snake/kebab-case\") (kebabcase \"abc_123_def\") (kebabcase \"FirstName\") (kebabcase \"x.y_z\") (kebabcase \"a-b c\") (kebabcase \"ID\") (kebabcase \"iOS\") (kebabcase \"v1.2.3\") (kebabcase \"kube-proxy\") (kebabcase \"myApp2Go\")",
    "list (camelcase \"HTTPServer\") (camelcase \"_camelCase\") (camelcase \"NoHTTPS\") (camelcase \"Wi_thF\") (camelcase \"_AnotherTES_TCaseP\") (camelcase \"ALL\") (camelcase \"_HELLO_WORLD_\") (camelcase \"HELLO_WORLD\") (camelcase \"HELLO____WORLD\") (camelcase \"TW\") (camelcase \"_C\") (camelcase \"http2xx\") (camelcase \"HTTP2XX\") (camelcase \"HTTP20xOK\") (camelcase \"HTTP20xStatus\") (camelcase \"HTTP-20xStatus\") (camelcase \"a\") (camelcase \"Duration2m3s\") (camelcase \"Bld4Floor3rd\") (camelcase \" _-_ \") (camelcase \"a1b2c3d\") (camelcase \"A//B%%2c\") (camelcase \"HTTP状态码404/502Error\") (camelcase \"中文(字符)\") (camelcase \"混合ABCWords与123数字456\") (camelcase \"  sentence case  \") (camelcase \" Mixed-hyphen case _and SENTENCE_case and UPPER-case\") (camelcase \"FROM CamelCase to snake/kebab-case\") (camelcase \"abc_123_def\") (camelcase \"FirstName\") (camelcase \"x.y_z\") (camelcase \"a-b c\") (camelcase \"ID\") (camelcase \"iOS\") (camelcase \"v1.2.3\") (camelcase \"kube-proxy\") (camelcase \"myApp2Go\")",
    "list (swapcase \"HTTPServer\") (swapcase \"_camelCase\") (swapcase \"NoHTTPS\") (swapcase \"Wi_thF\") (swapcase \"_AnotherTES_TCaseP\") (swapcase \"ALL\") (swapcase \"_HELLO_WORLD_\") (swapcase \"HELLO_WORLD\") (swapcase \"HELLO____WORLD\") (swapcase \"TW\") (swapcase \"_C\") (swapcase \"http2xx\") (swapcase \"HTTP2XX\") (swapcase \"HTTP20xOK\") (swapcase \"HTTP20xStatus\") (swapcase \"HTTP-20xStatus\") (swapcase \"a\") (swapcase \"Duration2m3s\") (swapcase \"Bld4Floor3rd\") (swapcase \" _-_ \") (swapcase \"a1b2c3d\") (swapcase \"A//B%%2c\") (swapcase \"HTTP状态码404/502Error\") (swapcase \"中文(字符)\") (swapcase \"混合ABCWords与123数字456\") (swapcase \"  sentence case  \") (swapcase \" Mixed-hyphen case _and SENTENCE_case and UPPER-case\") (swapcase \"FROM CamelCase to snake/kebab-case\") (swapcase \"abc_123_def\") (swapcase \"FirstName\") (swapcase \"x.y_z\") (swapcase \"a-b c\") (swapcase \"ID\") (swapcase \"iOS\") (swapcase \"v1.2.3\") (swapcase \"kube-proxy\") (swapcase \"myApp2Go\")",
    "list (title \"HTTPServer\") (title \"_camelCase\") (title \"NoHTTPS\") (title \"Wi_thF\") (title \"_AnotherTES_TCaseP\") (title \"ALL\") (title \"_HELLO_WORLD_\") (title \"HELLO_WORLD\") (title \"HELLO____WORLD\") (title \"TW\") (title \"_C\") (title \"http2xx\") (title \"HTTP2XX\") (title \"HTTP20xOK\") (title \"HTTP20xStatus\") (title \"HTTP-20xStatus\") (title \"a\") (title \"Duration2m3s\") (title \"Bld4Floor3rd\") (title \" _-_ \") (title \"a1b2c3d\") (title \"A//B%%2c\") (title \"HTTP状态码404/502Error\") (title \"中文(字符)\") (title \"混合ABCWords与123数字456\") (title \"  sentence case  \") (title \" Mixed-hyphen case _and SENTENCE_case and UPPER-case\") (title \"FROM CamelCase to snake/kebab-case\") (title \"abc_123_def\") (title \"FirstName\") (title \"x.y_z\") (title \"a-b c\") (title \"ID\") (title \"iOS\") (title \"v1.2.3\") (title \"kube-proxy\") (title \"myApp2Go\")",
    "list (regexMatch \"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$\" \"my-app-1\") (regexMatch \"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$\" \"-bad\") (regexFind \"^(.+?)(@sha256:.+)?$\" \"nginx@sha256:abc\") (regexFind \"[0-9]+\\\\.[0-9]+\" \"v1.25.3\") (regexFind \"\\\\d+\\\\.\\\\d+\" \"v1.25.3\") (regexFind \"(?i)ngInX\" \"NGINX:1\") (regexFind \"\\\\S+\" \"  abc def\") (regexFind \"[\\\\w.-]+\" \"a.b-c_d!\") (regexFind \"\\\\bv\\\\d\" \"xv1 v2\") (regexFind \".*?:\" \"a:b:c\") (regexFind \"a|ab\" \"ab\") (regexFind \"(a|ab)(c|bcd)\" \"abcd\") (regexFind \"[[:^digit:]]+\" \"12ab34\") (regexFind \"\\\\Q.*\\\\E\" \"a.*b\")",
    "list (regexReplaceAll \"(.*):(.*)\" \"a:b\" \"$2-$1\") (regexReplaceAll \"(.*):(.*)\" \"a:b\" \"${2}x\") (regexReplaceAll \"(?P<n>\\\\w+)\" \"hi yo\" \"<$n>\") (regexReplaceAll \"a\" \"aaa\" \"$$\") (regexReplaceAll \"[^a-zA-Z0-9-]\" \"My_App.v2\" \"-\") (regexReplaceAll \"^v\" \"v1.2\" \"\")",
    "fromToml \"d = 1979-05-27T07:32:00Z\\nld = 1979-05-27\\nlt = 07:32:00\\nhex = 0xff\\ninf = inf\\nbig = 1e300\\narr = [[1, 2], [\\\"a\\\"]]\\n[a.b]\\nc = 'lit'\\n[[x.y]]\\nz = true\" | toJson",
    "toToml (dict \"t\" (dict \"aot\" (list (dict \"a\" 1) (dict \"b\" (dict \"c\" 2))) \"v\" \"é\\n\") \"top\" 0.1 \"n\" nil \"l\" (list (list)) \"i\" (add 1 2))",
    "toToml .Values.image",
    "toToml .Values",
    "list (quote .Values.missing) (.Values.missing | default \"x\" | quote) (squote .Values.missing) (toYaml .Values.missing) (empty .Values.missing) (.Values.missing | toString) (toJson .Values.missing) (coalesce .Values.missing .Values.nested.a \"z\") (kindOf .Values.missing) (typeOf .Values.missing) (cat .Values.missing \"a\") (ternary 1 2 (empty .Values.missing)) (hasKey .Values.nested \"missing\") (dig \"missing\" \"d\" (dict)) (.Values.missing | toStrings)",
    "list (include \"missing-template-guard\" . | default \"none\") (tpl \"{{ .Values.int }}-{{ .Values.str }}\" .) (tpl \"{{ toYaml .Values.image }}\" .)",
    "list (len (randAlphaNum 7)) (len (uuidv4)) (len (htpasswd \"myUser\" \"myPassword\")) (genPrivateKey \"foo\")",
];

fn chart_template() -> String {
    let guard = "{{- define \"missing-template-guard\" -}}{{- end -}}\n";
    let cases: String = CASES
        .iter()
        .enumerate()
        .map(|(i, e)| format!("c{i}: {{{{ {e} | toJson }}}}\n"))
        .collect();
    format!("{guard}{cases}")
}

/// Each case's JSON text from a rendered document (`cN: <json>` lines).
fn cases_of(rendered: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for line in rendered.lines() {
        let Some(rest) = line.strip_prefix('c') else {
            continue;
        };
        let Some((n, json)) = rest.split_once(": ") else {
            continue;
        };
        let Ok(n) = n.parse::<usize>() else { continue };
        out.push((n, json.to_string()));
    }
    out
}

fn helm_render(helm: &std::path::Path) -> String {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("chk");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: chk\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(chart.join("values.yaml"), VALUES).unwrap();
    std::fs::write(chart.join("templates/cases.yaml"), chart_template()).unwrap();
    let out = std::process::Command::new(helm)
        .args(["template", "rel"])
        .arg(&chart)
        .output()
        .expect("helm runs");
    assert!(
        out.status.success(),
        "helm failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn ferry_render() -> String {
    let funcs = helm::functions();
    let values = helm::from_yaml_map(VALUES);
    let data = Value::map_from([("Values".to_string(), values)]);
    let mut set = Templates::new();
    set.parse("chk/templates/cases.yaml", &chart_template(), &funcs)
        .unwrap();
    set.execute("chk/templates/cases.yaml", &data, &funcs)
        .unwrap()
}

#[test]
fn every_case_renders_as_helm_renders_it() {
    let Some(helm) = ferry_testkit::tools::helm() else {
        return;
    };
    let theirs = cases_of(&helm_render(&helm));
    let ours = cases_of(&ferry_render());
    assert_eq!(theirs.len(), CASES.len(), "helm printed every case");
    assert_eq!(ours.len(), CASES.len(), "ferry printed every case");
    let mut differ = Vec::new();
    for ((n, t), (_, o)) in theirs.iter().zip(&ours) {
        if t != o {
            differ.push(format!(
                "case {n}: {}\n  helm:  {t:?}\n  ferry: {o:?}",
                CASES[*n]
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {} differ:\n{}",
        differ.len(),
        CASES.len(),
        differ.join("\n")
    );
}

/// Templates that fail in Helm, and the message each gives (after `Error: `).
const FAILING: &[&str] = &[
    "{{ upper .Values.missing }}",
    "{{ trunc .Values.n \"abc\" }}",
    "{{ first \"abc\" }}",
    "{{ semverCompare \">=1.0\" \"bad\" }}",
    "{{ until .Values.n }}",
    "{{ div 1 0 }}",
    "{{ set nil \"a\" 1 }}",
    "{{ mustFirst .Values }}",
    "{{ upper }}",
    "{{ required \"need .Values.who\" .Values.who }}",
    "{{ fail \"license required\" }}",
    "{{ include \"nope\" . }}",
];

fn helm_error(helm: &std::path::Path, template: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("chk");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: chk\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(chart.join("values.yaml"), "n: 3\n").unwrap();
    std::fs::write(chart.join("templates/t.yaml"), template).unwrap();
    let out = std::process::Command::new(helm)
        .args(["template", "rel"])
        .arg(&chart)
        .output()
        .unwrap();
    assert!(!out.status.success(), "{template} renders in helm");
    let stderr = String::from_utf8_lossy(&out.stderr);
    stderr
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("Error: ")
        .to_string()
}

fn ferry_error(template: &str) -> String {
    let funcs = helm::functions();
    let values = helm::from_yaml_map("n: 3\n");
    let data = Value::map_from([("Values".to_string(), values)]);
    let mut set = Templates::new();
    let result = set
        .parse("chk/templates/t.yaml", template, &funcs)
        .and_then(|()| set.execute("chk/templates/t.yaml", &data, &funcs));
    result.expect_err("fails in ferry too").to_string()
}

/// The function's own words at the end of an error, without the framing around them (the
/// place, `error calling X:`, Helm's `execution error at (…):`), which is the engine's.
fn function_message(error: &str) -> &str {
    let tail = error
        .rsplit_once(">: ")
        .or_else(|| error.rsplit_once("): "))
        .map_or(error, |(_, t)| t);
    match tail.strip_prefix("error calling ") {
        Some(rest) => rest.split_once(": ").map_or(rest, |(_, m)| m),
        None => tail,
    }
}

#[test]
fn failing_templates_fail_with_helms_message() {
    let Some(helm) = ferry_testkit::tools::helm() else {
        return;
    };
    let mut differ = Vec::new();
    for t in FAILING {
        let (theirs, ours) = (helm_error(&helm, t), ferry_error(t));
        if function_message(&theirs) != function_message(&ours) {
            differ.push(format!("{t}\n  helm:  {theirs}\n  ferry: {ours}"));
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {} differ:\n{}",
        differ.len(),
        FAILING.len(),
        differ.join("\n")
    );
}
