//! Why a chart could not be rendered at all. Everything that goes wrong inside a readable chart
//! (a template that fails, a subchart that is missing, a document that is not YAML) is a
//! warning in [`super::Rendered`], never an error: one chart must not abort a run.

/// The chart itself is unreadable.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("{chart}: missing Chart.yaml")]
    MissingChartYaml { chart: String },
    /// `file` is `Chart.yaml`, `requirements.yaml` or `values.yaml` of the top chart.
    #[error("{chart}: {file} is not readable: {message}")]
    Unreadable {
        chart: String,
        file: String,
        message: String,
    },
    /// A bug in the renderer outside the engine's guarded calls.
    #[error("{chart}: the renderer failed unexpectedly")]
    Panicked { chart: String },
}
