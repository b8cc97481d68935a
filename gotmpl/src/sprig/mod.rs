//! sprig v3's functions (Masterminds/sprig, the set Helm 3 gives charts), with sprig's
//! argument order and coercions. See docs/sprig-functions.md for the full list and for the
//! functions that are reproducible stand-ins (random values, keys, certificates, `now`).

mod args;
mod case;
mod crypto;
mod dates;
mod decimal;
mod defaults;
mod det;
mod dicts;
mod duration;
mod encoding;
pub(crate) mod json;
mod lists;
mod math;
mod paths;
mod reflect;
mod regex;
mod semver;
mod strings;
mod system;
mod time;
mod time_parse;
mod urls;

pub use dates::FIXED_NOW;

/// Go's `strconv.ParseInt(s, 0, 64)`, for Helm's YAML writer.
pub(crate) fn parse_go_int_public(s: &str) -> Option<i64> {
    args::parse_go_int(s)
}

pub(crate) use args::{exactly as check_arity, string as string_arg};

use crate::FuncMap;

/// Every sprig function by name.
pub fn functions() -> FuncMap {
    let mut m = FuncMap::new();
    strings::register(&mut m);
    lists::register(&mut m);
    dicts::register(&mut m);
    math::register(&mut m);
    defaults::register(&mut m);
    encoding::register(&mut m);
    crypto::register(&mut m);
    semver::register(&mut m);
    regex::register(&mut m);
    dates::register(&mut m);
    reflect::register(&mut m);
    paths::register(&mut m);
    urls::register(&mut m);
    system::register(&mut m);
    m
}
