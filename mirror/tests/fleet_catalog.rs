//! The profile catalog: versions and in-place revisions with their audit entries, pending
//! clusters after a revision, listing order, refused definitions, and diffs (with a cluster's
//! overrides merged in). Each case runs on SQLite and PostgreSQL.

mod import_support;
#[path = "catalog_support/mod.rs"]
mod support;

use ferry_bundler::format::profile_definition::ProfileDefinition;
use ferry_mirror::audit::events;
use ferry_mirror::fleet::assign::{self, Scope};
use ferry_mirror::fleet::catalog::{self, Outcome, ProfileRef};
use ferry_mirror::fleet::FleetError;
use serde_json::json;
use support::*;

fn r(s: &str) -> ProfileRef {
    s.parse().unwrap()
}

async fn versions_and_revisions(url: &str) {
    let env = fleet(url).await;
    let f = &env.fleet;
    let v1 = edge_infra("1.0.0");
    let first = catalog::record_definition(f, &bundle(1), &v1, "cli:0")
        .await
        .unwrap();
    assert_eq!((first.revision, first.outcome), (1, Outcome::NewVersion));
    assert_eq!(first.digest, v1.digest());
    // The same content again, from another bundle: nothing changes, nothing is logged.
    let again = catalog::record_definition(f, &bundle(2), &v1, "cli:0")
        .await
        .unwrap();
    assert_eq!((again.revision, again.outcome), (1, Outcome::Unchanged));
    // Other content under the same name and version: an in-place revision.
    let mut changed = v1.clone();
    changed.layers[1].images[1].digest =
        ferry_bundler::format::digest::Digest::of_bytes(b"busybox-patched");
    let second = catalog::record_definition(f, &bundle(3), &changed, "cli:0")
        .await
        .unwrap();
    assert_eq!((second.revision, second.outcome), (2, Outcome::Revision));
    // An older bundle still carrying revision 1 does not flip the version back.
    let old = catalog::record_definition(f, &bundle(1), &v1, "cli:0")
        .await
        .unwrap();
    assert_eq!((old.revision, old.outcome), (1, Outcome::Unchanged));

    let current = catalog::current(f, "edge-infra", "1.0.0").await.unwrap();
    assert_eq!(current.revision, 2);
    assert_eq!(current.definition, changed);
    assert_eq!(current.digest, changed.digest());
    assert_eq!(current.bundle, bundle(3).to_string());
    let shown = catalog::show(f, "edge-infra", "1.0.0").await.unwrap();
    assert_eq!(
        shown
            .revisions
            .iter()
            .map(|r| r.revision)
            .collect::<Vec<_>>(),
        [1, 2]
    );

    let audit = audit_entries(f).await;
    let actions: Vec<&str> = audit.iter().map(|(a, _, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            events::FLEET_PROFILE_VERSION,
            events::FLEET_PROFILE_REVISION
        ]
    );
    assert_eq!(audit[0].1, "profile/edge-infra@1.0.0");
    assert_eq!(audit[1].2["revision"], 2);
    assert_eq!(audit[1].2["previousDigest"], v1.digest().to_string());
    assert_eq!(audit[1].2["digest"], changed.digest().to_string());

    let missing = catalog::current(f, "edge-infra", "9.9.9")
        .await
        .unwrap_err();
    assert_eq!(
        missing.to_string(),
        "profile version edge-infra@9.9.9 is not in the catalog"
    );
    assert_eq!(missing.status(), 404);
}

async fn list_is_by_name_then_semantic_version(url: &str) {
    let env = fleet(url).await;
    let f = &env.fleet;
    for v in ["1.10.0", "1.9.0", "1.0.0"] {
        catalog::record_definition(f, &bundle(1), &edge_infra(v), "cli:0")
            .await
            .unwrap();
    }
    catalog::record_definition(f, &bundle(1), &hello_addon("0.1.0"), "cli:0")
        .await
        .unwrap();
    let listed: Vec<String> = catalog::list(f)
        .await
        .unwrap()
        .iter()
        .map(|p| p.profile_ref().to_string())
        .collect();
    assert_eq!(
        listed,
        [
            "edge-infra@1.0.0",
            "edge-infra@1.9.0",
            "edge-infra@1.10.0",
            "hello-addon@0.1.0"
        ]
    );
}

async fn hostile_definitions_are_refused(url: &str) {
    let env = fleet(url).await;
    let f = &env.fleet;
    let mut bad_type = hello_addon("0.1.0");
    bad_type.profile_type = "sidecar".into();
    let mut bad_name = hello_addon("0.1.0");
    bad_name.name = "../etc".into();
    let mut twice = hello_addon("0.1.0");
    twice.layers.push(twice.layers[0].clone());
    let mut pattern = hello_addon("0.1.0");
    pattern.variables[0].pattern = Some("(".into());
    let mut var_name = hello_addon("0.1.0");
    var_name.variables[0].name = "a-b }}".into();
    for (def, says) in [
        (
            bad_type,
            "type \"sidecar\" is not one of infra, add-on, full",
        ),
        (bad_name, "\"../etc@0.1.0\" is not a profile reference"),
        (twice, "layer \"hello\" appears twice"),
        (pattern, "variable debug: pattern \"(\""),
        (var_name, "\"a-b }}\" is not a variable name"),
    ] {
        let e = catalog::record_definition(f, &bundle(1), &def, "cli:0")
            .await
            .unwrap_err();
        assert!(e.to_string().contains(says), "{e}");
        assert!(matches!(e, FleetError::Catalog(_)), "{e:?}");
    }
    assert!(catalog::list(f).await.unwrap().is_empty());
    assert!(audit_entries(f).await.is_empty());
}

async fn a_revision_makes_its_clusters_pending(url: &str) {
    let env = fleet(url).await;
    let f = &env.fleet;
    let v1 = edge_infra("1.0.0");
    catalog::record_definition(f, &bundle(1), &v1, "cli:0")
        .await
        .unwrap();
    for c in ["edge-01", "edge-02", "edge-03"] {
        add_cluster(f, c, &[]).await;
        assign::set_assignment(f, c, &[r("edge-infra@1.0.0")], "cli:0")
            .await
            .unwrap();
        assign::set_variables(
            f,
            &Scope::Cluster(c.into()),
            &[("region".to_owned(), Some(json!("north-1")))].into(),
            "cli:0",
        )
        .await
        .unwrap();
    }
    // Nothing published yet: nobody is pending.
    assert!(catalog::pending_clusters(f, "edge-infra", "1.0.0")
        .await
        .unwrap()
        .is_empty());
    // edge-01 and edge-02 have desired state from revision 1; edge-03 none.
    for c in ["edge-01", "edge-02"] {
        let inputs = serde_json::to_value(assign::effective(f, c).await.unwrap()).unwrap();
        assert_eq!(inputs["profiles"][0]["revision"], 1);
        record_desired(f, c, 1, &inputs).await;
    }
    let mut v1b = v1.clone();
    v1b.layers[0].units = vec![];
    let rec = catalog::record_definition(f, &bundle(2), &v1b, "cli:0")
        .await
        .unwrap();
    assert_eq!(rec.outcome, Outcome::Revision);
    assert_eq!(rec.pending_clusters, ["edge-01", "edge-02"]);
    // edge-02 gets its update published: only edge-01 is left.
    let inputs = serde_json::to_value(assign::effective(f, "edge-02").await.unwrap()).unwrap();
    assert_eq!(inputs["profiles"][0]["revision"], 2);
    record_desired(f, "edge-02", 2, &inputs).await;
    assert_eq!(
        catalog::pending_clusters(f, "edge-infra", "1.0.0")
            .await
            .unwrap(),
        ["edge-01"]
    );
    let shown = catalog::show(f, "edge-infra", "1.0.0").await.unwrap();
    assert_eq!(shown.assigned_clusters, ["edge-01", "edge-02", "edge-03"]);
    assert_eq!(shown.pending_clusters, ["edge-01"]);
}

async fn diff_shows_layers_charts_images_values_and_overrides(url: &str) {
    let env = fleet(url).await;
    let f = &env.fleet;
    for v in ["1.0.0", "1.1.0"] {
        catalog::record_definition(f, &bundle(1), &edge_infra(v), "cli:0")
            .await
            .unwrap();
    }
    let d = catalog::diff(f, &r("edge-infra@1.0.0"), &r("edge-infra@1.1.0"), None)
        .await
        .unwrap();
    assert_eq!(d.layers_added, ["monitoring"]);
    assert_eq!(d.layers_removed, ["cni"]);
    assert_eq!(d.layers_changed.len(), 1);
    let podinfo = &d.layers_changed[0];
    assert_eq!(podinfo.name, "podinfo");
    assert_eq!(podinfo.charts.len(), 1);
    assert_eq!(podinfo.charts[0].unit, "chart/podinfo");
    assert_eq!(
        (
            podinfo.charts[0].from.as_deref(),
            podinfo.charts[0].to.as_deref()
        ),
        (Some("6.5.0"), Some("6.6.0"))
    );
    let paths: Vec<(&str, serde_json::Value, serde_json::Value)> = podinfo
        .values
        .iter()
        .map(|c| {
            (
                c.path.as_str(),
                c.from.clone().unwrap(),
                c.to.clone().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        paths,
        [
            ("chart/podinfo.image.tag", json!("6.5.0"), json!("6.6.0")),
            ("chart/podinfo.replicaCount", json!(1), json!(2)),
        ]
    );
    assert_eq!(podinfo.manifests.len(), 1);
    assert_eq!(podinfo.manifests[0].file, "manifests/extra.yaml");
    assert_eq!(podinfo.manifests[0].change, "changed");
    // Images over the whole profile: podinfo's new tag and digest is a change, cilium went
    // with its layer, prometheus came with its; busybox is the same.
    assert_eq!(d.images.changed.len(), 1);
    assert_eq!(
        d.images.changed[0].from.reference,
        "ghcr.io/stefanprodan/podinfo:6.5.0"
    );
    assert_eq!(
        d.images.changed[0].to.reference,
        "ghcr.io/stefanprodan/podinfo:6.6.0"
    );
    assert_ne!(
        d.images.changed[0].from.digest,
        d.images.changed[0].to.digest
    );
    assert_eq!(d.images.removed.len(), 1);
    assert_eq!(d.images.removed[0].repository, "docker.io/cilium/cilium");
    assert_eq!(d.images.added.len(), 1);
    assert_eq!(
        d.images.added[0].repository,
        "quay.io/prometheus/prometheus"
    );
    assert!(d.variables.is_empty());
    assert!(d.overrides.is_none());

    // With a cluster: its group's and its own overrides go into both sides and are listed.
    add_cluster(f, "edge-07", &[("tier", "prod")]).await;
    add_group(f, "prod", "tier=prod").await;
    let values = |v: serde_json::Value| v.as_object().unwrap().clone();
    assign::set_override(
        f,
        &Scope::Group("prod".into()),
        "podinfo",
        values(json!({"ui": {"color": "red"}})),
        "cli:0",
    )
    .await
    .unwrap();
    assign::set_override(
        f,
        &Scope::Cluster("edge-07".into()),
        "podinfo",
        values(json!({"replicaCount": 5})),
        "cli:0",
    )
    .await
    .unwrap();
    let d = catalog::diff(
        f,
        &r("edge-infra@1.0.0"),
        &r("edge-infra@1.1.0"),
        Some("edge-07"),
    )
    .await
    .unwrap();
    let overrides = d.overrides.as_ref().unwrap();
    assert_eq!(
        serde_json::to_value(overrides).unwrap(),
        json!({"podinfo": {"replicaCount": 5, "ui": {"color": "red"}}})
    );
    // The override pins replicaCount on both sides, so only the tag still differs.
    let paths: Vec<&str> = d.layers_changed[0]
        .values
        .iter()
        .map(|c| c.path.as_str())
        .collect();
    assert_eq!(paths, ["chart/podinfo.image.tag"]);
    assert_eq!(d.cluster.as_deref(), Some("edge-07"));
    let e = catalog::diff(
        f,
        &r("edge-infra@1.0.0"),
        &r("edge-infra@1.1.0"),
        Some("nowhere"),
    )
    .await
    .unwrap_err();
    assert_eq!(e.to_string(), "cluster nowhere is not registered");
    let e = catalog::diff(f, &r("edge-infra@1.0.0"), &r("edge-infra@2.0.0"), None)
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "profile version edge-infra@2.0.0 is not in the catalog"
    );
}

async fn diff_hides_secret_defaults(url: &str) {
    let env = fleet(url).await;
    let f = &env.fleet;
    let a = edge_infra("1.0.0");
    let mut b = edge_infra("1.0.1");
    b.variables[2].default = Some(json!("hunter2"));
    catalog::record_definition(f, &bundle(1), &a, "cli:0")
        .await
        .unwrap();
    catalog::record_definition(f, &bundle(1), &b, "cli:0")
        .await
        .unwrap();
    let d = catalog::diff(f, &r("edge-infra@1.0.0"), &r("edge-infra@1.0.1"), None)
        .await
        .unwrap();
    assert_eq!(d.variables.len(), 1);
    assert_eq!(d.variables[0].path, "token");
    assert_eq!(d.variables[0].to.as_ref().unwrap()["default"], "(secret)");
    assert!(!serde_json::to_string(&d).unwrap().contains("hunter2"));
}

/// A signed bundle (bundle A of the import tests) carrying `def` as its one profile's
/// definition, written under `dir`.
fn bundle_carrying(
    dir: &std::path::Path,
    fx: &import_support::Fixture,
    def: &ProfileDefinition,
) -> std::path::PathBuf {
    use ferry_bundler::format::layout::{
        blob_entry, INDEX_ENTRY, MANIFEST_ENTRY, OCI_LAYOUT_CONTENT, OCI_LAYOUT_ENTRY,
        SIGNATURE_ENTRY,
    };
    use ferry_bundler::format::{BlobRef, Digest, ProfileEntry};
    let bytes = def.to_vec();
    let entry = BlobRef {
        digest: Digest::of_bytes(&bytes),
        size: bytes.len() as u64,
    };
    let mut manifest = fx.manifest.clone();
    let mut content = fx.content.clone();
    content.blobs.insert(entry.digest.clone(), bytes);
    manifest.blobs.push(entry.clone());
    manifest.blobs.sort();
    manifest.profiles = vec![ProfileEntry {
        name: def.name.clone(),
        version: def.version.clone(),
        profile_type: def.profile_type.clone(),
        layers: vec![],
        definition: Some(entry),
    }];
    let manifest_bytes = manifest.to_vec();
    let signature = import_support::keys()
        .signing
        .sign_manifest(&manifest_bytes)
        .unwrap();
    let mut entries = vec![
        (MANIFEST_ENTRY.to_owned(), manifest_bytes),
        (SIGNATURE_ENTRY.to_owned(), signature),
        (OCI_LAYOUT_ENTRY.to_owned(), OCI_LAYOUT_CONTENT.to_vec()),
        (INDEX_ENTRY.to_owned(), fx.index_json.clone()),
    ];
    for b in &manifest.blobs {
        entries.push((blob_entry(&b.digest), content.blobs[&b.digest].clone()));
    }
    let path = dir.join(format!("{}-{}.ferry", def.name, &def.digest().hex()[..12]));
    std::fs::write(&path, import_support::assemble(&entries)).unwrap();
    path
}

/// Sync reads the profile definitions of every active bundle in the store: a new version,
/// then nothing on a second sync, then an in-place revision when a newer bundle carries other
/// content for the same version.
async fn sync_records_the_stores_definitions(url: &str) {
    let env = fleet(url).await;
    let f = &env.fleet;
    let dir = tempfile::tempdir().unwrap();
    let fx = import_support::bundle_a(dir.path());
    let mut def = edge_infra("1.0.0");
    def.layers[1]
        .images
        .push(ferry_bundler::format::profile_definition::PinnedImage {
            reference: fx.manifest.artifacts[0].reference.clone(),
            repository: fx.manifest.artifacts[0].repository.clone(),
            digest: fx.manifest.artifacts[0].digest.clone(),
        });
    let first = bundle_carrying(dir.path(), &fx, &def);
    let report = ferry_mirror::import::import_bundle(&f.store, &first, &import_support::trusting())
        .await
        .unwrap();
    let recorded = catalog::sync(f, "sync").await.unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(
        (recorded[0].revision, recorded[0].outcome),
        (1, Outcome::NewVersion)
    );
    let current = catalog::current(f, "edge-infra", "1.0.0").await.unwrap();
    assert_eq!(current.bundle, report.manifest_digest.to_string());
    assert_eq!(current.definition, def);
    let again = catalog::sync(f, "sync").await.unwrap();
    assert_eq!(again[0].outcome, Outcome::Unchanged);

    let mut changed = def.clone();
    changed.layers[1].units.pop();
    let second = bundle_carrying(dir.path(), &fx, &changed);
    let report2 =
        ferry_mirror::import::import_bundle(&f.store, &second, &import_support::trusting())
            .await
            .unwrap();
    let recorded = catalog::sync(f, "sync").await.unwrap();
    let rev = recorded
        .iter()
        .find(|r| r.digest == changed.digest())
        .unwrap();
    assert_eq!((rev.revision, rev.outcome), (2, Outcome::Revision));
    // The older bundle, if still active, is seen as unchanged: it does not flip the version back.
    assert!(recorded
        .iter()
        .filter(|r| r.digest != changed.digest())
        .all(|r| r.outcome == Outcome::Unchanged));
    let current = catalog::current(f, "edge-infra", "1.0.0").await.unwrap();
    assert_eq!(
        (current.revision, current.bundle),
        (2, report2.manifest_digest.to_string())
    );
    assert_chain_intact(f).await;
}

/// Each case on a temp SQLite file, then on a fresh PostgreSQL database.
macro_rules! on_both_backends {
    ($($case:ident),*) => {$(
        mod $case {
            #[tokio::test]
            async fn sqlite_and_postgres() {
                for backend in ferry_testkit::postgres::fleet_backends() {
                    eprintln!("backend {}", backend.name);
                    super::$case(&backend.url).await;
                }
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(db) = ferry_testkit::postgres::database() {
                    super::$case(db.url()).await;
                }
            }
        }
    )*};
}

on_both_backends!(
    versions_and_revisions,
    list_is_by_name_then_semantic_version,
    hostile_definitions_are_refused,
    a_revision_makes_its_clusters_pending,
    diff_shows_layers_charts_images_values_and_overrides,
    diff_hides_secret_defaults,
    sync_records_the_stores_definitions
);
