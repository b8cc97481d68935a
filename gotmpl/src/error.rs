//! Errors of parsing and execution, placed as Go places them: template name, line and column.

/// A parse or execution error at a place in a named template.
///
/// Printed as Go prints it: `template: name:line:col: message` for execution errors,
/// `template: name:line: message` for parse errors (Go gives them no column), and
/// `template: name: message` for errors at no place (line 0).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct Error {
    /// The template (for a chart, the file inside it, e.g. `mychart/templates/deploy.yaml`).
    pub template: String,
    /// 1-based line; 0 when the error has no place.
    pub line: usize,
    /// Go's column: the byte offset in the line, from 0. `None` for parse errors.
    pub column: Option<usize>,
    /// Go's wording where Go has one, e.g. `executing "x" at <.Values.a.b>: nil pointer
    /// evaluating interface {}.b`. For `fail` and `required` it ends with the chart's message.
    pub message: String,
}

impl Error {
    fn render(&self) -> String {
        match (self.line, self.column) {
            (0, _) => format!("template: {}: {}", self.template, self.message),
            (line, None) => format!("template: {}:{line}: {}", self.template, self.message),
            (line, Some(col)) => {
                format!("template: {}:{line}:{col}: {}", self.template, self.message)
            }
        }
    }
}

/// A function's failure; the engine adds where it was called.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FuncError(pub String);

impl FuncError {
    pub fn new(message: impl Into<String>) -> Self {
        FuncError(message.into())
    }
}

impl From<Error> for FuncError {
    fn from(e: Error) -> Self {
        FuncError(e.to_string())
    }
}
