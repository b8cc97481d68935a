//! Exponential backoff for transient failures.

use std::future::Future;
use std::time::Duration;

/// Errors that say whether trying again could help.
pub trait Transient {
    fn is_transient(&self) -> bool;
}

pub const ATTEMPTS: u32 = 4;
const FIRST_DELAY: Duration = Duration::from_millis(200);

/// Runs `op` up to [`ATTEMPTS`] times, waiting 200ms, 400ms, 800ms between transient failures.
pub async fn with_retries<T, E, F, Fut>(mut op: F) -> Result<T, E>
where
    E: Transient + std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut delay = FIRST_DELAY;
    let mut attempt = 1;
    loop {
        match op().await {
            Err(e) if e.is_transient() && attempt < ATTEMPTS => {
                tracing::warn!(attempt, error = %e, "transient failure, retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
            }
            other => return other,
        }
    }
}
