//! Browser sessions of the web UI: a random id in an HttpOnly, SameSite=Strict cookie, and on the
//! server the user it logged in and the session's CSRF token, in memory.
//!
//! Sessions live in memory: a restart logs everybody out, which is what an appliance that keeps
//! no secrets on disk for the browser should do. Only the id's sha256 is kept, so a memory dump
//! holds no usable cookie. A session ends after [`IDLE`] without a request, after [`LIFETIME`]
//! whatever happens, or at logout. Roles are not kept: every request is authorised by the
//! htpasswd file and role map as they are then, as the API's are.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};

/// The session cookie's name.
pub const COOKIE: &str = "ferry_session";
/// A session unused this long ends.
pub const IDLE: Duration = Duration::from_secs(30 * 60);
/// A session ends this long after its login, used or not.
pub const LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);
/// Sessions at once; the least recently used goes first beyond it.
const MAX_SESSIONS: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: String,
    /// The token every state-changing form of this session carries.
    pub csrf: String,
}

struct Entry {
    session: Session,
    created: Instant,
    last_seen: Instant,
}

#[derive(Default)]
pub struct Sessions {
    by_id_hash: Mutex<HashMap<[u8; 32], Entry>>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions").finish_non_exhaustive()
    }
}

/// 32 random bytes, hex: a session id or a CSRF token.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    hex::encode(bytes)
}

fn id_hash(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

impl Sessions {
    /// A new session for `user`; returns the cookie's value.
    pub fn create(&self, user: &str, now: Instant) -> (String, Session) {
        let id = random_token();
        let session = Session {
            user: user.to_owned(),
            csrf: random_token(),
        };
        let mut map = self.by_id_hash.lock().expect("sessions lock");
        map.retain(|_, e| alive(e, now));
        if map.len() >= MAX_SESSIONS {
            if let Some(oldest) = map.iter().min_by_key(|(_, e)| e.last_seen).map(|(k, _)| *k) {
                map.remove(&oldest);
            }
        }
        map.insert(
            id_hash(&id),
            Entry {
                session: session.clone(),
                created: now,
                last_seen: now,
            },
        );
        (id, session)
    }

    /// The live session of cookie value `id`, marked as used now.
    pub fn get(&self, id: &str, now: Instant) -> Option<Session> {
        let mut map = self.by_id_hash.lock().expect("sessions lock");
        let key = id_hash(id);
        match map.get_mut(&key) {
            Some(e) if alive(e, now) => {
                e.last_seen = now;
                Some(e.session.clone())
            }
            Some(_) => {
                map.remove(&key);
                None
            }
            None => None,
        }
    }

    /// Ends the session of cookie value `id` (logout).
    pub fn remove(&self, id: &str) {
        self.by_id_hash
            .lock()
            .expect("sessions lock")
            .remove(&id_hash(id));
    }
}

fn alive(e: &Entry, now: Instant) -> bool {
    now.duration_since(e.last_seen) < IDLE && now.duration_since(e.created) < LIFETIME
}

/// The `Set-Cookie` value that gives the browser session `id` (`secure` over TLS).
pub fn set_cookie(id: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{COOKIE}={id}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        LIFETIME.as_secs()
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0{secure}")
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

/// Compares two tokens in time that does not depend on where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_ends_when_idle_too_long_or_too_old_or_logged_out() {
        let s = Sessions::default();
        let t0 = Instant::now();
        let (id, session) = s.create("alice", t0);
        assert_eq!(s.get(&id, t0 + Duration::from_secs(60)), Some(session));
        assert_eq!(s.get("not-a-session", t0), None);
        // Used every 20 minutes it lives on, but never past its lifetime.
        let mut t = t0;
        while t + Duration::from_secs(20 * 60) < t0 + LIFETIME {
            t += Duration::from_secs(20 * 60);
            assert!(s.get(&id, t).is_some(), "{:?}", t - t0);
        }
        assert!(s.get(&id, t0 + LIFETIME).is_none());
        let (idle, _) = s.create("bob", t0);
        assert!(s.get(&idle, t0 + IDLE).is_none());
        let (gone, _) = s.create("carol", t0);
        s.remove(&gone);
        assert!(s.get(&gone, t0).is_none());
    }

    #[test]
    fn ids_and_csrf_tokens_are_fresh_and_only_their_hash_is_kept() {
        let s = Sessions::default();
        let (a, sa) = s.create("alice", Instant::now());
        let (b, sb) = s.create("alice", Instant::now());
        assert_ne!(a, b);
        assert_ne!(sa.csrf, sb.csrf);
        assert_eq!(a.len(), 64);
        let map = s.by_id_hash.lock().unwrap();
        assert!(map.contains_key(&id_hash(&a)));
        assert!(!map.keys().any(|k| hex::encode(k) == a));
    }

    #[test]
    fn cookies_are_http_only_strict_and_secure_over_tls() {
        let c = set_cookie("abc", true);
        for part in [
            "ferry_session=abc",
            "HttpOnly",
            "SameSite=Strict",
            "Secure",
            "Path=/ui",
        ] {
            assert!(c.contains(part), "{c}");
        }
        assert!(!set_cookie("abc", false).contains("Secure"));
        assert!(clear_cookie(false).contains("Max-Age=0"));
        assert_eq!(
            cookie_value("a=1; ferry_session=xyz; b=2", COOKIE),
            Some("xyz")
        );
        assert_eq!(cookie_value("ferry_sessionx=1", COOKIE), None);
        assert!(same_token("abc", "abc") && !same_token("abc", "abd") && !same_token("ab", "abc"));
    }
}
