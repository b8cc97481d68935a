//! Errors of parsing and execution, placed as Go places them: template name, line and column.

/// A parse or execution error at a place in a named template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("template: {template}:{line}:{column}: {message}")]
pub struct Error {
    /// The template (for a chart, the file inside it, e.g. `mychart/templates/deploy.yaml`).
    pub template: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Go's wording where Go has one, e.g. `executing "x" at <.Values.a.b>: nil pointer
    /// evaluating interface {}.b`. For `fail` and `required` it ends with the chart's message.
    pub message: String,
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
