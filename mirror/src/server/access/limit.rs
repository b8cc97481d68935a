//! Failed-login rate limits: a token bucket per client address and per user name. Every login
//! that needs a password check takes a token, and gets it back if it succeeds; a client whose
//! bucket is empty is answered 429 before its credentials are checked, so a flood costs neither
//! bcrypt time nor guesses.

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

    /// Takes a token from `key`'s bucket, or says how long until it holds one again.
    fn try_take(&self, key: K, now: Instant) -> Result<(), Duration> {
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
        if b.tokens < 1.0 {
            return Err(Duration::from_secs_f64(
                (1.0 - b.tokens) / self.per_second(),
            ));
        }
        b.tokens -= 1.0;
        Ok(())
    }

    /// Returns the token an attempt took (it succeeded).
    fn give_back(&self, key: &K, now: Instant) {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = buckets.get_mut(key) {
            b.tokens += 1.0;
            *b = self.refilled(*b, now);
        }
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
pub(in crate::server) fn address_key(addr: SocketAddr) -> IpAddr {
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

    /// Takes a token for a login attempt from the client's and the user's buckets, before the
    /// (slow) check: concurrent attempts cannot all slip past an almost empty bucket. `Err(wait)`
    /// when either is empty: refuse without checking. A client whose address is unknown is
    /// limited by user name only.
    pub fn begin(&self, client: Option<SocketAddr>, user: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let address = client.map(address_key);
        if let Some(a) = address {
            self.addresses.try_take(a, now)?;
        }
        if let Err(wait) = self.users.try_take(user_key(user), now) {
            if let Some(a) = address {
                self.addresses.give_back(&a, now);
            }
            return Err(wait);
        }
        Ok(())
    }

    /// The attempt [`Self::begin`] counted succeeded: it costs nothing.
    pub fn succeeded(&self, client: Option<SocketAddr>, user: &str) {
        let now = Instant::now();
        if let Some(c) = client {
            self.addresses.give_back(&address_key(c), now);
        }
        self.users.give_back(&user_key(user), now);
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
            assert_eq!(b.try_take("k", t0), Ok(()));
        }
        let wait = b.try_take("k", t0).expect_err("empty after the burst");
        assert!(wait <= Duration::from_secs(1) && wait > Duration::ZERO);
        assert_eq!(b.try_take("other", t0), Ok(()));
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(b.try_take("k", t1), Ok(()));
        assert!(b.try_take("k", t1).is_err());
        // A success gives its token back.
        b.give_back(&"k", t1);
        assert_eq!(b.try_take("k", t1), Ok(()));
    }

    #[test]
    fn a_login_refused_by_the_user_bucket_costs_the_address_nothing() {
        let limiter = LoginLimiter::new(&LoginLimit {
            per_address: Rate {
                burst: 2,
                per_minute: 1,
            },
            per_user: Rate {
                burst: 1,
                per_minute: 1,
            },
            ..LoginLimit::default()
        });
        let client = Some("192.0.2.1:1".parse().unwrap());
        assert!(limiter.begin(client, "alice").is_ok());
        assert!(limiter.begin(client, "alice").is_err());
        // The address kept its second token for another name; then it is empty.
        assert!(limiter.begin(client, "bob").is_ok());
        assert!(limiter.begin(client, "carol").is_err());
        limiter.succeeded(client, "bob");
        assert!(limiter.begin(client, "bob").is_ok());
    }

    #[test]
    fn the_number_of_tracked_keys_is_bounded() {
        let b = Buckets::new(Rate {
            burst: 2,
            per_minute: 1,
        });
        let t0 = Instant::now();
        for i in 0..(MAX_KEYS * 3) {
            let _ = b.try_take(i, t0 + Duration::from_micros(i as u64));
        }
        let n = b.buckets.lock().unwrap().len();
        assert!(n <= MAX_KEYS, "{n}");
        // The newest stay tracked: its bucket still lacks the token it gave.
        let newest = MAX_KEYS * 3 - 1;
        let t1 = t0 + Duration::from_secs(1);
        assert!(b.try_take(newest, t1).is_ok());
        assert!(b.try_take(newest, t1).is_err());
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
