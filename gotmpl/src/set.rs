//! A set of named templates that can call each other, as Go's `*template.Template` with its
//! associated templates. (API fixed here; the engine behind it is being written.)

use crate::{Error, FuncMap, Value};

/// Parsed templates by name.
#[derive(Debug, Clone, Default)]
pub struct Templates {
    _private: (),
}

impl Templates {
    pub fn new() -> Templates {
        Templates::default()
    }

    /// Parses `text` as the template `name`. Its `define`s and `block`s join the set; a later
    /// definition of a name replaces an earlier one (Helm parses a chart's files in order).
    /// `funcs` names the functions the text may call: an unknown function is a parse error,
    /// as in Go.
    pub fn parse(&mut self, name: &str, text: &str, funcs: &FuncMap) -> Result<(), Error> {
        let _ = (name, text, funcs);
        unimplemented!("engine not written yet")
    }

    /// Whether a template of that name is defined.
    pub fn contains(&self, name: &str) -> bool {
        let _ = name;
        unimplemented!("engine not written yet")
    }

    /// Executes `name` with `data` as dot, under `missingkey=zero` (a missing map key is
    /// `<no value>` when printed, as Helm configures Go). `include` and `tpl` recurse at most
    /// [`MAX_INCLUDE_DEPTH`] deep.
    pub fn execute(&self, name: &str, data: &Value, funcs: &FuncMap) -> Result<String, Error> {
        let _ = (name, data, funcs);
        unimplemented!("engine not written yet")
    }
}

/// Helm's bound on nested `include`/`tpl` calls.
pub const MAX_INCLUDE_DEPTH: usize = 1000;
