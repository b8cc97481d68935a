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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[derive(Debug)]
    struct E(bool);
    impl std::fmt::Display for E {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "transient={}", self.0)
        }
    }
    impl Transient for E {
        fn is_transient(&self) -> bool {
            self.0
        }
    }

    #[tokio::test]
    async fn retries_transient_failures_only() {
        let calls = AtomicU32::new(0);
        let r: Result<(), E> = with_retries(|| async {
            calls.fetch_add(1, Ordering::Relaxed);
            Err(E(true))
        })
        .await;
        assert!(r.is_err());
        assert_eq!(calls.load(Ordering::Relaxed), ATTEMPTS);

        let calls = AtomicU32::new(0);
        let r: Result<(), E> = with_retries(|| async {
            calls.fetch_add(1, Ordering::Relaxed);
            Err(E(false))
        })
        .await;
        assert!(r.is_err());
        assert_eq!(calls.load(Ordering::Relaxed), 1);

        let calls = AtomicU32::new(0);
        let r: Result<u32, E> = with_retries(|| async {
            match calls.fetch_add(1, Ordering::Relaxed) {
                0 => Err(E(true)),
                n => Ok(n),
            }
        })
        .await;
        assert_eq!(r.unwrap(), 1);
    }
}
