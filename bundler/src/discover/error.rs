/// Why a chart or pack could not be read at all. Anything merely unresolvable inside a readable
/// chart is a [`super::Warning`], not an error.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("{path}: cannot read {file}: {source}")]
    Io {
        path: String,
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Archive { path: String, message: String },
    #[error("{path}: entry {entry:?} is unsafe ({reason})")]
    UnsafeEntry {
        path: String,
        entry: String,
        reason: &'static str,
    },
    #[error("{path}: exceeds the {limit}-byte limit")]
    TooLarge { path: String, limit: u64 },
    #[error("{path}: missing {file}")]
    Missing { path: String, file: &'static str },
    /// `path` names the chart or pack (never a cache path), `file` the file inside it.
    #[error("{path}: {file} line {line}, column {column}: {message}")]
    Yaml {
        path: String,
        file: String,
        line: u64,
        column: u64,
        message: String,
    },
    #[error("{path}: {message}")]
    Json { path: String, message: String },
}
