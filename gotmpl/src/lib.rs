//! Go's `text/template`, with the functions Helm gives chart templates (its own and sprig's).
//!
//! Pure: no I/O, no clock and no randomness, so that a chart renders the same bytes on every
//! run. Values have Go's semantics: maps are shared references (`set` mutates in place, as
//! charts rely on), numbers parsed from YAML or JSON are `float64`, and `missingkey=zero`
//! prints `<no value>` as Helm configures it.
//!
//! What the engine supports and does not is listed in the crate's README.md.

mod ast;
mod bound;
mod builtins;
mod error;
mod eval;
mod exec;
mod float;
pub mod helm;
mod lex;
#[cfg(test)]
mod lex_tests;
mod literal;
mod parse;
#[cfg(test)]
mod parse_tests;
mod printf;
mod quote;
mod set;
pub mod sprig;
mod value;
mod verbs;

pub use bound::{MAX_VALUE_DEPTH, MAX_VALUE_NODES};
pub use error::{Error, FuncError};
pub use float::format_float;
pub use printf::{sprint, sprintf, sprintln};
pub use quote::quote;
pub use set::{Templates, MAX_INCLUDE_DEPTH};
pub use value::{Map, Object, Value};

/// What a function sees besides its arguments: the running template set, for `include` and
/// `tpl`, which must render other templates with the caller's functions.
pub trait Runtime {
    /// Executes the named template of the running set with `data` as dot.
    fn include(&mut self, name: &str, data: &Value) -> Result<String, FuncError>;
    /// Parses `text` as a new template beside the running set and executes it with `data`.
    fn tpl(&mut self, text: &str, data: &Value) -> Result<String, FuncError>;
}

/// A template function. Arguments arrive evaluated, in order, with a piped value last.
pub type Func = fn(&mut dyn Runtime, &[Value]) -> Result<Value, FuncError>;

/// Functions by name. The engine's built-ins (`and`, `or`, `not`, `len`, `index`, `slice`,
/// `print*`, comparisons, `html`, `js`, `urlquery`, `call`) are always present and are not in
/// a `FuncMap`.
pub type FuncMap = std::collections::HashMap<&'static str, Func>;
