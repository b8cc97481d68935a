//! Failed logins, counted per window so that a flood shows up in the audit log without filling
//! it. The first failure of each (client address, user) in a window is recorded at once as
//! `login.failed`; when the window closes, one `login.failed.summary` counts them all, if any went
//! unrecorded. At most [`MAX_KEYS`] pairs are tracked per window; failures of further pairs are
//! only counted, as `others`. So a window costs at most `MAX_KEYS + 1` entries, whatever the rate.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use sqlx::SqlitePool;

use super::events::{ANONYMOUS, LOGIN_FAILED, LOGIN_FAILED_SUMMARY};
use super::{record, time, Event};

/// Distinct (address, user) pairs tracked in one window.
pub const MAX_KEYS: usize = 32;

/// One refused login, as the server saw it. No password nor credential, by construction.
#[derive(Debug, Clone)]
pub struct FailedLogin {
    /// The client's IP address, when the server knows it.
    pub address: Option<String>,
    pub user: Option<String>,
    pub reason: &'static str,
    /// Refused for failing too often, without being checked.
    pub limited: bool,
    pub method: String,
    pub path: String,
}

type Key = (Option<String>, Option<String>);

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    failed: u64,
    limited: u64,
}

impl Counts {
    fn add(&mut self, limited: bool) {
        self.failed += 1;
        self.limited += u64::from(limited);
    }
}

#[derive(Debug)]
struct Window {
    since: String,
    /// In the order first seen.
    keys: Vec<(Key, Counts)>,
    index: HashMap<Key, usize>,
    others: Counts,
}

impl Window {
    fn new(since: String) -> Self {
        Self {
            since,
            keys: Vec::new(),
            index: HashMap::new(),
            others: Counts::default(),
        }
    }

    /// Counts one failure; `true` if it is the first of a tracked pair (to be recorded now).
    fn count(&mut self, key: Key, limited: bool) -> bool {
        if let Some(&i) = self.index.get(&key) {
            self.keys[i].1.add(limited);
            return false;
        }
        if self.keys.len() >= MAX_KEYS {
            self.others.add(limited);
            return false;
        }
        let mut counts = Counts::default();
        counts.add(limited);
        self.index.insert(key.clone(), self.keys.len());
        self.keys.push((key, counts));
        true
    }
}

/// The failed-login counter of a server: one window open at a time.
#[derive(Debug)]
pub struct FailedLogins {
    window: Duration,
    open: Mutex<Option<Window>>,
}

impl FailedLogins {
    pub fn new(window: Duration) -> Arc<Self> {
        Arc::new(Self {
            window: window.max(Duration::from_secs(1)),
            open: Mutex::new(None),
        })
    }

    /// Counts `login`, recording it now if it is the first of its pair in the window. Opening a
    /// window schedules its summary.
    pub async fn note(self: &Arc<Self>, db: &SqlitePool, login: FailedLogin) {
        let first = {
            let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
            let window = open.get_or_insert_with(|| {
                let me = Arc::clone(self);
                let db = db.clone();
                tokio::spawn(async move { me.close_after_window(&db).await });
                Window::new(time::now())
            });
            window.count((login.address.clone(), login.user.clone()), login.limited)
        };
        if first {
            record(db, one(&login)).await;
        }
    }

    async fn close_after_window(&self, db: &SqlitePool) {
        tokio::time::sleep(self.window).await;
        let closed = self.open.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(event) = closed.and_then(|w| summary(&w, self.window)) {
            record(db, event).await;
        }
    }
}

fn one(login: &FailedLogin) -> Event {
    Event::new(
        ANONYMOUS,
        LOGIN_FAILED,
        login.user.clone().unwrap_or_default(),
        json!({
            "user": login.user,
            "reason": login.reason,
            "method": login.method,
            "path": login.path,
            "address": login.address,
        }),
    )
}

/// The window's summary; `None` when every failure in it was recorded on its own.
fn summary(w: &Window, window: Duration) -> Option<Event> {
    let unrecorded = w.others.failed > 0 || w.keys.iter().any(|(_, c)| c.failed > 1);
    if !unrecorded {
        return None;
    }
    let total = w.others.failed + w.keys.iter().map(|(_, c)| c.failed).sum::<u64>();
    let logins: Vec<_> = w
        .keys
        .iter()
        .map(|((address, user), c)| {
            json!({ "address": address, "user": user, "failed": c.failed, "limited": c.limited })
        })
        .collect();
    Some(Event::new(
        ANONYMOUS,
        LOGIN_FAILED_SUMMARY,
        format!("{total} failed logins since {}", w.since),
        json!({
            "since": w.since,
            "seconds": window.as_secs(),
            "total": total,
            "logins": logins,
            "others": { "failed": w.others.failed, "limited": w.others.limited },
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(address: &str, user: &str) -> Key {
        (Some(address.to_owned()), Some(user.to_owned()))
    }

    #[test]
    fn a_window_records_each_pair_once_and_folds_the_rest_into_others() {
        let mut w = Window::new("2026-01-01T00:00:00Z".to_owned());
        let mut recorded = 0;
        // One pair failing 100 times, then 100 pairs failing once each.
        for i in 0..100 {
            recorded += usize::from(w.count(key("192.0.2.1", "mallory"), i >= 10));
        }
        for i in 0..100 {
            recorded += usize::from(w.count(key(&format!("192.0.2.{i}"), "root"), false));
        }
        assert_eq!(recorded, MAX_KEYS);
        let event = summary(&w, Duration::from_secs(60)).expect("some went unrecorded");
        assert_eq!(event.action, LOGIN_FAILED_SUMMARY);
        assert_eq!(event.detail["total"], 200);
        assert_eq!(
            event.detail["others"]["failed"],
            200 - 100 - (MAX_KEYS as u64 - 1)
        );
        let logins = event.detail["logins"].as_array().unwrap();
        assert_eq!(logins.len(), MAX_KEYS);
        assert_eq!(
            logins[0],
            json!({"address": "192.0.2.1", "user": "mallory", "failed": 100, "limited": 90})
        );
    }

    #[test]
    fn a_window_whose_failures_were_all_recorded_needs_no_summary() {
        let mut w = Window::new("2026-01-01T00:00:00Z".to_owned());
        assert!(w.count(key("192.0.2.1", "a"), false));
        assert!(w.count(key("192.0.2.1", "b"), false));
        assert!(summary(&w, Duration::from_secs(60)).is_none());
        assert!(!w.count(key("192.0.2.1", "a"), false));
        assert!(summary(&w, Duration::from_secs(60)).is_some());
    }
}
