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
