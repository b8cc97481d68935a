use std::path::PathBuf;

/// Why a chart or pack could not be read at all. Anything merely unresolvable inside a readable
/// chart is a [`super::Warning`], not an error.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
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
    #[error("{path}:{line}:{column}: {message}")]
    Yaml {
        path: String,
        line: u64,
        column: u64,
        message: String,
    },
    #[error("{path}: {message}")]
    Json { path: String, message: String },
}
