//! Shared setup for the network tests: a resolver over a temp cache.

#![allow(dead_code)]

use ferry_bundler::format::Provenance;
use ferry_bundler::net::{BlobCache, Progress, RegistryOptions, ResolveOptions, Resolver};

pub fn resolver(cache_dir: &std::path::Path, attached: bool) -> Resolver {
    let cache = BlobCache::open(cache_dir).expect("open cache");
    let registry = RegistryOptions {
        // No user credentials leak into tests.
        credential_files: vec![cache_dir.join("no-such-auth.json")],
        ..Default::default()
    };
    Resolver::new(
        registry,
        cache,
        ResolveOptions {
            attached,
            concurrency: 4,
        },
    )
}

pub fn provenance(origin: &str) -> Vec<Provenance> {
    vec![Provenance {
        profile: "edge".into(),
        layer: "addons".into(),
        origin: origin.into(),
    }]
}

pub fn no_progress(_: Progress) {}
