//! A fleet on a fresh database (SQLite in a temp dir, or a given URL) with a real signing key.
#![allow(dead_code)]

use std::sync::Arc;

use ferry_bundler::sign::{keygen, SigningKey};
use ferry_mirror::fleet::{Fleet, FleetDb, FleetSettings};
use ferry_mirror::store::Store;

pub struct TestFleet {
    pub fleet: Fleet,
    pub dir: tempfile::TempDir,
}

/// A fresh SQLite fleet database URL inside `dir`.
pub fn sqlite_url(dir: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("fleet.db").display())
}

/// A fleet on `url` (None: the store's own file), signed with a fresh key unless `unsigned`.
pub async fn fleet(url: Option<&str>, signed: bool, ca: Option<&str>) -> TestFleet {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("data")).await.unwrap();
    let db = match url {
        Some(url) => FleetDb::connect(url).await.unwrap(),
        None => FleetDb::open_in_store(store.root()).await.unwrap(),
    };
    let signer = signed.then(|| {
        let keys = dir.path().join("keys");
        std::fs::create_dir(&keys).unwrap();
        let files = keygen(&keys, b"pw").unwrap();
        Arc::new(SigningKey::load(&files.private_key, b"pw").unwrap())
    });
    TestFleet {
        fleet: Fleet {
            db,
            store,
            signer,
            settings: FleetSettings {
                mirror_host: "mirror.enclave:5000".into(),
                mirror_ca_pem: ca.map(str::to_owned),
                offline_after_intervals: 3,
            },
        },
        dir,
    }
}

pub const PASSWORD: &str = "fleet-Pa55word";

/// A registry with the fleet: users of every role (`reader` has none: a puller), clusters `a`
/// and `b` registered with their credentials.
pub struct FleetServer {
    pub cfg: ferry_mirror::server::ServerConfig,
    pub t: TestFleet,
    pub cred_a: String,
    pub cred_b: String,
}

pub async fn server() -> FleetServer {
    use ferry_mirror::server::{AccessConfig, Role, ServerConfig};
    let t = fleet(None, true, None).await;
    let htpasswd = t.dir.path().join("htpasswd");
    let hash = bcrypt::hash(PASSWORD, 4).unwrap();
    let users: String = ["reader", "puller", "pusher", "operator", "admin"]
        .iter()
        .map(|u| format!("{u}:{hash}\n"))
        .collect();
    std::fs::write(&htpasswd, users).unwrap();
    let cfg = ServerConfig {
        push: true,
        access: AccessConfig {
            htpasswd: Some(htpasswd),
            roles: [
                ("puller".to_owned(), Role::Puller),
                ("pusher".to_owned(), Role::Pusher),
                ("operator".to_owned(), Role::Operator),
                ("admin".to_owned(), Role::Admin),
            ]
            .into(),
            // The matrix fails one cluster's login on every route: no lockout in the way.
            login_limit: ferry_mirror::server::LoginLimit {
                per_user: ferry_mirror::server::Rate {
                    burst: 10_000,
                    per_minute: 10_000,
                },
                ..Default::default()
            },
            ..AccessConfig::default()
        },
        fleet: Some(t.fleet.clone()),
        ..ServerConfig::default()
    };
    let none = std::collections::BTreeMap::new();
    let prod = std::collections::BTreeMap::from([("tier".to_owned(), "prod".to_owned())]);
    let a = ferry_mirror::fleet::clusters::register(&t.fleet, "a", &prod, 60, "test")
        .await
        .unwrap();
    let b = ferry_mirror::fleet::clusters::register(&t.fleet, "b", &none, 60, "test")
        .await
        .unwrap();
    let sel = ferry_mirror::fleet::clusters::Selector::parse("tier=prod").unwrap();
    ferry_mirror::fleet::clusters::put_group(&t.fleet, "prod", &sel, "test")
        .await
        .unwrap();
    FleetServer {
        cfg,
        t,
        cred_a: a.credential,
        cred_b: b.credential,
    }
}

/// `Authorization: Basic` of `user:password`.
pub fn basic(user_and_password: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(user_and_password)
    )
}
