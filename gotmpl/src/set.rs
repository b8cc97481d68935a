//! A set of named templates that can call each other, as Go's `*template.Template` with its
//! associated templates.

use std::collections::HashMap;
use std::rc::Rc;

use crate::ast::Tree;
use crate::exec::{Exec, Rv};
use crate::{builtins, parse, Error, FuncMap, Value};

/// Parsed templates by name. Cloning is cheap (the trees are shared), as `tpl` clones the
/// running set to parse into it.
#[derive(Debug, Clone, Default)]
pub struct Templates {
    trees: Rc<HashMap<Rc<str>, Rc<Tree>>>,
}

impl Templates {
    pub fn new() -> Templates {
        Templates::default()
    }

    /// Parses `text` as the template `name`. Its `define`s and `block`s join the set; a later
    /// definition of a name replaces an earlier one (Helm parses a chart's files in order),
    /// except that an empty one (only spaces and comments) never replaces a real one, as in
    /// Go. `funcs` names the functions the text may call: an unknown function is a parse
    /// error, as in Go.
    pub fn parse(&mut self, name: &str, text: &str, funcs: &FuncMap) -> Result<(), Error> {
        self.parse_tree(name, text, funcs, true).map(|_| ())
    }

    /// Parses as [`Templates::parse`] and returns the tree of the text's top level, which
    /// `tpl` executes directly. `tpl` does not install that tree (so that a text without
    /// `define`s leaves the set, shared with its caller, uncopied).
    pub(crate) fn parse_tree(
        &mut self,
        name: &str,
        text: &str,
        funcs: &FuncMap,
        install_top: bool,
    ) -> Result<Rc<Tree>, Error> {
        let has_func = |f: &str| funcs.contains_key(f) || builtins::is_builtin(f);
        let parsed = parse::parse(name, text, &has_func)?;
        let top = Rc::new(parsed.top);
        if !install_top && parsed.defined.is_empty() {
            return Ok(top);
        }
        let trees = Rc::make_mut(&mut self.trees);
        let mut top_defined_too = false;
        for tree in parsed.defined {
            if tree.name == name {
                // The text's own name is also defined inside it: Go keeps the definition
                // unless both have content.
                if !top.is_empty() && !tree.is_empty() {
                    return Err(Error {
                        template: name.to_string(),
                        line: 1,
                        column: None,
                        message: format!(
                            "template: multiple definition of template {}",
                            crate::quote::quote(name)
                        ),
                    });
                }
                top_defined_too = top.is_empty();
            }
            associate(trees, Rc::new(tree));
        }
        if install_top && !top_defined_too {
            associate(trees, top.clone());
        }
        Ok(top)
    }

    /// Whether a template of that name is defined.
    pub fn contains(&self, name: &str) -> bool {
        self.trees.contains_key(name)
    }

    /// The names of all templates, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.trees.keys().map(|k| k.to_string()).collect();
        names.sort();
        names
    }

    pub(crate) fn tree(&self, name: &str) -> Option<Rc<Tree>> {
        self.trees.get(name).cloned()
    }

    /// Executes `name` with `data` as dot, under `missingkey=zero` (a missing map key is
    /// `<no value>` when printed, as Helm configures Go). `template`, `include` and `tpl`
    /// nest at most [`MAX_INCLUDE_DEPTH`] deep.
    pub fn execute(&self, name: &str, data: &Value, funcs: &FuncMap) -> Result<String, Error> {
        let Some(tree) = self.tree(name) else {
            return Err(Error {
                template: name.to_string(),
                line: 0,
                column: None,
                message: format!(
                    "no template {} associated with template \"gotpl\"",
                    crate::quote::quote(name)
                ),
            });
        };
        let mut exec = Exec::new(self.clone(), funcs, tree.clone());
        exec.run(tree, Rv::of(data.clone()))
    }
}

/// Go's `associate`: a new tree replaces an old one unless it is empty.
fn associate(trees: &mut HashMap<Rc<str>, Rc<Tree>>, tree: Rc<Tree>) {
    if tree.is_empty() && trees.contains_key(tree.name.as_str()) {
        return;
    }
    trees.insert(Rc::from(tree.name.as_str()), tree);
}

/// How deeply `template`, `include` and `tpl` calls may nest. Helm allows 1000 nested
/// includes of one name; each level here takes about 10 KiB of stack in a debug build, so the
/// bound is lower, and far above what real charts nest (a handful of levels).
pub const MAX_INCLUDE_DEPTH: usize = 100;
