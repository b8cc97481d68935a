//! Failed-login rate limits: a token bucket per client address and per user name. Every failed
//! login takes a token; a client whose bucket is empty is answered 429 before its credentials
//! are checked, so a flood costs neither bcrypt time nor guesses. Successful logins take nothing.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many failures a bucket holds and how fast it refills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Failures allowed at once.
    pub burst: u32,
    /// Failures allowed per minute after the burst.
    pub per_minute: u32,
}

/// The login limits of [`super::AccessConfig`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimit {
    pub per_address: Rate,
    pub per_user: Rate,
    /// How long failed logins are counted before their summary goes to the audit log.
    pub audit_window: Duration,
}

impl Default for LoginLimit {
    fn default() -> Self {
        Self {
            per_address: Rate {
                burst: 10,
                per_minute: 10,
            },
            // Higher: many clients behind one name (CI runners) fail now and then.
            per_user: Rate {
                burst: 20,
                per_minute: 20,
            },
            audit_window: Duration::from_secs(60),
        }
    }
}

/// Most keys each limiter tracks; beyond, full buckets and then the oldest are forgotten.
const MAX_KEYS: usize = 10_000;

/// Token buckets by key, bounded in number.
#[derive(Debug)]
struct Buckets<K> {
    rate: Rate,
    buckets: Mutex<HashMap<K, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl<K: Hash + Eq + Clone> Buckets<K> {
    fn new(rate: Rate) -> Self {
        Self {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn per_second(&self) -> f64 {
        f64::from(self.rate.per_minute.max(1)) / 60.0
    }

    /// The bucket refilled up to `now`.
    fn refilled(&self, b: Bucket, now: Instant) -> Bucket {
        let gained = now.duration_since(b.updated).as_secs_f64() * self.per_second();
        Bucket {
            tokens: (b.tokens + gained).min(f64::from(self.rate.burst.max(1))),
            updated: now,
        }
    }

    /// `Some(wait)` when `key`'s bucket is empty: how long until it holds a token again.
    fn wait(&self, key: &K, now: Instant) -> Option<Duration> {
        let buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let b = self.refilled(*buckets.get(key)?, now);
        (b.tokens < 1.0).then(|| Duration::from_secs_f64((1.0 - b.tokens) / self.per_second()))
    }

    /// Takes a token from `key`'s bucket (a failure happened).
    fn take(&self, key: K, now: Instant) {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if !buckets.contains_key(&key) && buckets.len() >= MAX_KEYS {
            self.evict(&mut buckets, now);
        }
        let full = Bucket {
            tokens: f64::from(self.rate.burst.max(1)),
            updated: now,
        };
        let b = buckets.entry(key).or_insert(full);
        *b = self.refilled(*b, now);
        b.tokens = (b.tokens - 1.0).max(0.0);
    }

    /// Makes room: a full bucket is as good as none; if none is full, the oldest half goes.
    fn evict(&self, buckets: &mut HashMap<K, Bucket>, now: Instant) {
        let burst = f64::from(self.rate.burst.max(1));
        buckets.retain(|_, b| self.refilled(*b, now).tokens < burst);
        if buckets.len() >= MAX_KEYS {
            let mut ages: Vec<Instant> = buckets.values().map(|b| b.updated).collect();
            ages.sort_unstable();
            let cut = ages[ages.len() / 2];
            buckets.retain(|_, b| b.updated > cut);
        }
    }
}

/// The address a limit applies to: IPv4 as is, IPv6 by its /64 (one host usually has them all).
fn address_key(addr: SocketAddr) -> IpAddr {
    match addr.ip() {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::from([s[0], s[1], s[2], s[3], 0, 0, 0, 0])
            }
        },
        v4 => v4,
    }
}

/// The failed-login limiter of [`super::Access`].
#[derive(Debug)]
pub struct LoginLimiter {
    addresses: Buckets<IpAddr>,
    users: Buckets<String>,
}

/// Longest user name kept as a key; longer ones (only ever hostile) share their prefix's bucket.
const MAX_USER_KEY: usize = 128;

fn user_key(user: &str) -> String {
    user.chars().take(MAX_USER_KEY).collect()
}

impl LoginLimiter {
    pub fn new(limit: &LoginLimit) -> Self {
        Self {
            addresses: Buckets::new(limit.per_address),
            users: Buckets::new(limit.per_user),
        }
    }

    /// `Some(wait)` when the client or the user has failed too often: refuse without checking.
    /// A client whose address is unknown is limited by user name only.
    pub fn wait(&self, client: Option<SocketAddr>, user: Option<&str>) -> Option<Duration> {
        let now = Instant::now();
        let by_address = client.and_then(|c| self.addresses.wait(&address_key(c), now));
        let by_user = user.and_then(|u| self.users.wait(&user_key(u), now));
        by_address.max(by_user)
    }

    /// Counts a failed login against the client and the user.
    pub fn failed(&self, client: Option<SocketAddr>, user: Option<&str>) {
        let now = Instant::now();
        if let Some(c) = client {
            self.addresses.take(address_key(c), now);
        }
        if let Some(u) = user {
            self.users.take(user_key(u), now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_empties_after_its_burst_and_refills_with_time() {
        let b = Buckets::new(Rate {
            burst: 3,
            per_minute: 60,
        });
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(b.wait(&"k", t0), None);
            b.take("k", t0);
        }
        let wait = b.wait(&"k", t0).expect("empty after the burst");
        assert!(wait <= Duration::from_secs(1) && wait > Duration::ZERO);
        assert_eq!(b.wait(&"k", t0 + Duration::from_secs(1)), None);
        assert_eq!(b.wait(&"other", t0), None);
    }

    #[test]
    fn the_number_of_tracked_keys_is_bounded() {
        let b = Buckets::new(Rate {
            burst: 2,
            per_minute: 1,
        });
        let t0 = Instant::now();
        for i in 0..(MAX_KEYS * 3) {
            b.take(i, t0 + Duration::from_micros(i as u64));
        }
        let n = b.buckets.lock().unwrap().len();
        assert!(n <= MAX_KEYS, "{n}");
        // The newest stay tracked.
        b.take(MAX_KEYS * 3 - 1, t0 + Duration::from_secs(1));
        assert!(b
            .wait(&(MAX_KEYS * 3 - 1), t0 + Duration::from_secs(1))
            .is_some());
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_64_prefix() {
        let a: SocketAddr = "[2001:db8:1:2::1]:1".parse().unwrap();
        let b: SocketAddr = "[2001:db8:1:2:ffff::9]:2".parse().unwrap();
        let c: SocketAddr = "[::ffff:10.0.0.1]:3".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_eq!(address_key(c), "10.0.0.1".parse::<IpAddr>().unwrap());
    }
}
