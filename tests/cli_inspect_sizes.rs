//! `ferry inspect` and `--why` show what each artifact weighs: the sum of the blobs it carries
//! (manifests, configs, layers; only the platforms kept of a multi-platform index).

mod harness;

use ferry_testkit::{images, Descriptor, ImageOptions, OciLayout, Registry};
use harness::Dir;

/// The CLI's `1.5 MiB` format, so expected sizes read the same.
fn human(n: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < units.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", units[unit])
    }
}

fn image_size(i: &images::Image) -> u64 {
    i.manifest.size + i.config.size + i.layers.iter().map(|l: &Descriptor| l.size).sum::<u64>()
}

#[test]
fn inspect_shows_each_artifact_size() {
    let registry = Registry::start();
    let host = registry.host();
    let mut layout = OciLayout::new();
    let small = ImageOptions {
        layer_size: 40 * 1024,
        ..Default::default()
    };
    let single = images::image(&mut layout, "single", "linux/amd64", &small);
    registry.push_desc(&mut layout, &single.manifest, "demo/single", "1.0");
    let big = ImageOptions {
        layer_size: 300 * 1024,
        base: "other".into(),
        ..Default::default()
    };
    let multi = images::multi_arch(&mut layout, "multi", &["linux/amd64", "linux/arm64"], &big);
    registry.push_desc(&mut layout, &multi.index, "demo/multi", "2.0");
    let dir = Dir::new();
    dir.write(
        "profiles/site.yaml",
        &format!(
            "name: site\nversion: 1.0.0\ntype: full\nplatforms: [linux/amd64]\nlayers:\n  - name: apps\n    kind: addon\n    sources:\n      - images: [{host}/demo/single:1.0, {host}/demo/multi:2.0]\n"
        ),
    );
    dir.ok(&[
        "build",
        "-p",
        "profiles",
        "--no-attached",
        "-o",
        "site.ferry",
    ]);

    let single_size = image_size(&single);
    // The index and its amd64 child only: arm64 is left out of the bundle.
    let multi_size = multi.index.size + image_size(multi.child("linux/amd64"));
    assert_ne!(human(single_size), human(multi_size));
    let text = dir.ok(&["inspect", "site.ferry"]);
    for (name, digest, size) in [
        ("demo/single:1.0", &single.manifest.digest, single_size),
        ("demo/multi:2.0", &multi.index.digest, multi_size),
    ] {
        let line = text
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} listed:\n{text}"));
        assert!(
            line.contains(digest.as_str()) && line.trim_end().ends_with(&human(size)),
            "{name} is {} ({size} bytes): {line}",
            human(size)
        );
    }

    let why = dir.ok(&["inspect", "site.ferry", "--why", "demo/multi"]);
    assert!(
        why.contains(&format!("size: {}", human(multi_size))),
        "{why}"
    );

    // A damaged archive still shows its head; sizes are then unknown, not wrong.
    let mut bytes = std::fs::read(dir.path("site.ferry")).unwrap();
    let at = bytes.len() - 2048;
    bytes[at] ^= 0x55;
    std::fs::write(dir.path("damaged.ferry"), &bytes).unwrap();
    let out = dir.ferry(&["inspect", "damaged.ferry"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.contains("demo/single:1.0"))
        .unwrap();
    assert!(line.trim_end().ends_with('?'), "{line}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("artifact sizes unknown"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
