//! Repository names and tags: the OCI distribution spec's grammar, the one rule that bundles
//! (`verify`, `import`) and the registry's request paths are checked against.

/// Longest repository name accepted (distribution's limit).
pub const MAX_NAME_LEN: usize = 255;
/// Longest tag accepted.
pub const MAX_TAG_LEN: usize = 128;

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`, at most
/// [`MAX_NAME_LEN`] bytes. Components start with a letter or digit, so `..` is never a name.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= MAX_NAME_LEN && name.split('/').all(is_valid_component)
}

/// A repository the registry serves: a name of the grammar, or a registry host with a port
/// (`localhost:5000`, what containerd's `?ns=` adds in front of the name in the request path)
/// followed by one; at most [`MAX_NAME_LEN`] bytes in all. Every repository a bundle carries
/// must be one.
pub fn is_valid_repository(repository: &str) -> bool {
    repository.len() <= MAX_NAME_LEN
        && (is_valid_name(repository)
            || repository
                .split_once('/')
                .is_some_and(|(host, name)| is_valid_host(host) && is_valid_name(name)))
}

/// A registry host as the first component of a repository name: lower case and no IPv6
/// brackets (see [`super::host::is_host`]).
pub fn is_valid_host(host: &str) -> bool {
    super::host::is_host(host)
        && host.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b':')
        })
}

fn is_valid_component(c: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = c.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if !alnum(first) || !alnum(last) {
        return false;
    }
    // Every run of separators must be one of `.`, `_`, `__` or `-+`.
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let run = &c[start..i];
        let ok = run == "." || run == "_" || run == "__" || run.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`
pub fn is_valid_tag(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    match bytes.first() {
        Some(&b) if b.is_ascii_alphanumeric() || b == b'_' => {}
        _ => return false,
    }
    bytes.len() <= MAX_TAG_LEN
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case::one_letter("a")]
    #[case::two_components("library/nginx")]
    #[case::host_first("docker.io/library/nginx")]
    #[case::separators("a-b--c/d__e/f.g")]
    #[case::digits("0/1")]
    #[case::longest(&"a".repeat(MAX_NAME_LEN))]
    fn names_of_the_grammar_are_accepted(#[case] name: &str) {
        assert!(is_valid_name(name), "{name}");
    }

    #[rstest]
    #[case::empty("")]
    #[case::upper_case("A")]
    #[case::upper_case_component("docker.io/Library/nginx")]
    #[case::trailing_slash("a/")]
    #[case::leading_slash("/a")]
    #[case::empty_component("a//b")]
    #[case::dotdot("..")]
    #[case::traversal("../../etc/passwd")]
    #[case::inner_dotdot("a/../b")]
    #[case::leading_dot("a/.b")]
    #[case::three_underscores("a___b")]
    #[case::mixed_separators("a.-b")]
    #[case::percent_escape("%2e%2e")]
    #[case::space("a b")]
    #[case::colon("a:b")]
    #[case::too_long(&"a".repeat(MAX_NAME_LEN + 1))]
    #[case::three_hundred(&format!("docker.io/{}", "a".repeat(290)))]
    fn names_outside_the_grammar_are_refused(#[case] name: &str) {
        assert!(!is_valid_name(name), "{name}");
    }

    #[rstest]
    #[case::name("docker.io/library/nginx", true)]
    #[case::host_with_port("127.0.0.1:5000/demo/app", true)]
    #[case::localhost_with_port("localhost:5000/a", true)]
    #[case::host_alone("localhost:5000", false)]
    #[case::upper_case_host("Registry.local:5000/a", false)]
    #[case::ipv6_host("[::1]:5000/a", false)]
    #[case::port_deeper("a/localhost:5000/b", false)]
    #[case::traversal_after_host("localhost:5000/../etc", false)]
    #[case::too_long(&format!("localhost:5000/{}", "a".repeat(250)), false)]
    fn repositories_are_names_with_an_optional_host_and_port(
        #[case] repository: &str,
        #[case] valid: bool,
    ) {
        assert_eq!(is_valid_repository(repository), valid, "{repository}");
    }

    #[rstest]
    #[case::plain("1.27")]
    #[case::underscore_first("_x")]
    #[case::cosign("sha256-aaaa.sig")]
    #[case::mixed_case("Latest-RC_1")]
    #[case::longest(&"t".repeat(MAX_TAG_LEN))]
    fn tags_of_the_grammar_are_accepted(#[case] tag: &str) {
        assert!(is_valid_tag(tag), "{tag}");
    }

    #[rstest]
    #[case::empty("")]
    #[case::slash("v1/evil")]
    #[case::dot_first(".hidden")]
    #[case::dash_first("-x")]
    #[case::colon("a:b")]
    #[case::two_hundred(&"t".repeat(200))]
    #[case::one_too_long(&"t".repeat(MAX_TAG_LEN + 1))]
    fn tags_outside_the_grammar_are_refused(#[case] tag: &str) {
        assert!(!is_valid_tag(tag), "{tag}");
    }
}
