//! `ferry build` stopped by SIGINT or SIGTERM midway, against a real docker-registry: it exits
//! 130 or 143 and leaves no partial bundle and no partial download; partial files a killed run
//! left are removed by the next one.

mod harness;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ferry_testkit::{images, ImageOptions, OciLayout, Registry};
use harness::Dir;

/// Names in `dir` (none if it does not exist).
fn names(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A pid no process has: a child that has been waited for.
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[test]
fn an_interrupted_build_leaves_no_partial_files_and_the_next_removes_stale_ones() {
    // About 96 MiB of incompressible layers, fetched one at a time: the build takes a while.
    let registry = Registry::start();
    let mut layout = OciLayout::new();
    let opts = ImageOptions {
        own_layers: 5,
        layer_size: 16 * 1024 * 1024,
        ..Default::default()
    };
    let image = images::image(&mut layout, "big", "linux/amd64", &opts);
    registry.push_desc(&mut layout, &image.manifest, "demo/big", "1.0");
    let dir = Dir::new();
    dir.write(
        "profiles/site.yaml",
        &format!(
            "name: site\nversion: 1.0.0\ntype: full\nlayers:\n  - name: apps\n    kind: addon\n    sources:\n      - images: [{}/demo/big:1.0]\n",
            registry.host()
        ),
    );

    for (signal, code, cache) in [("TERM", 143, "cache-a"), ("INT", 130, "cache-b")] {
        // What a killed run leaves: a partial bundle and a partial download of a dead pid.
        let dead = dead_pid();
        let stale_bundle = dir.write(&format!("out/.ferry-bundle-{dead}-0.partial"), "half");
        let stale_part = dir.write(&format!("{cache}/tmp/{dead}-3.part"), "half a layer");

        let mut build = Command::new(assert_cmd::cargo::cargo_bin("ferry"))
            .args(["build", "-p", "profiles", "--concurrency", "1"])
            .args(["--cache", cache, "-o", "out/site.ferry"])
            .current_dir(dir.tmp.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Interrupt once both its partial bundle and one of its partial downloads exist.
        let bundle = format!(".ferry-bundle-{}-", build.id());
        let download = format!("{}-", build.id());
        let writing = || {
            names(&dir.path("out"))
                .iter()
                .any(|n| n.starts_with(&bundle))
                && names(&dir.path(&format!("{cache}/tmp")))
                    .iter()
                    .any(|n| n.starts_with(&download) && n.ends_with(".part"))
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !writing() {
            assert!(
                build.try_wait().unwrap().is_none(),
                "the build ended before it was interrupted"
            );
            if Instant::now() >= deadline {
                let _ = build.kill(); // leave no build running behind a failed test
                panic!("no partial bundle and download appeared");
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        let downloading = names(&dir.path(&format!("{cache}/tmp")));
        let kill = Command::new("kill")
            .args([&format!("-{signal}"), &build.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        let out = build.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "SIG{signal}: {stderr}");
        assert!(stderr.contains(&format!("SIG{signal}")), "{stderr}");

        assert!(
            !stale_bundle.exists() && !stale_part.exists(),
            "a killed run's partial files are removed at the next start"
        );
        assert_eq!(
            names(&dir.path("out")),
            Vec::<String>::new(),
            "no bundle, no partial"
        );
        let left: Vec<_> = names(&dir.path(&format!("{cache}/tmp")))
            .into_iter()
            .filter(|n| n.ends_with(".part"))
            .collect();
        assert!(
            left.is_empty(),
            "partial downloads left: {left:?} (while downloading: {downloading:?})"
        );
    }
    // Nothing in the way: the same build then completes.
    dir.ok(&[
        "build",
        "-p",
        "profiles",
        "--cache",
        "cache-a",
        "-o",
        "out/site.ferry",
    ]);
    assert_eq!(names(&dir.path("out")), vec!["site.ferry".to_owned()]);
}
