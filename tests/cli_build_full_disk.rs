//! `ferry build` onto a filesystem that fills up: a real 2 MiB tmpfs, a bundle of several MiB.
//! The build fails with exit 1, says where and why, and leaves nothing behind.

mod harness;

use ferry_testkit::tmpfs::Tmpfs;
use ferry_testkit::{images, ImageOptions, OciLayout, Registry};
use harness::Dir;

#[test]
fn build_onto_a_full_disk_fails_naming_the_output_and_leaves_nothing() {
    let dir = Dir::new();
    let full = dir.path("small");
    let Some(_tmpfs) = Tmpfs::mount(&full, "2m") else {
        return;
    };
    // About 6 MiB of incompressible layers: three times what the tmpfs holds.
    let registry = Registry::start();
    let mut layout = OciLayout::new();
    let opts = ImageOptions {
        layer_size: 3 * 1024 * 1024,
        ..Default::default()
    };
    let image = images::image(&mut layout, "big", "linux/amd64", &opts);
    registry.push_desc(&mut layout, &image.manifest, "demo/big", "1.0");
    dir.write(
        "profiles/site.yaml",
        &format!(
            "name: site\nversion: 1.0.0\ntype: full\nlayers:\n  - name: apps\n    kind: addon\n    sources:\n      - images: [{}/demo/big:1.0]\n",
            registry.host()
        ),
    );

    for compression in ["none", "zstd"] {
        let err = dir.fails(
            1,
            &[
                "build",
                "-p",
                "profiles",
                "--compression",
                compression,
                "-o",
                "small/site.ferry",
            ],
        );
        assert!(err.contains("small/site.ferry"), "names the output: {err}");
        assert_eq!(
            err.matches("No space left on device").count(),
            1,
            "says why, once: {err}"
        );
        let left: Vec<_> = std::fs::read_dir(&full)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(left.is_empty(), "nothing half-written stays: {left:?}");
    }
    // Room again, the same build succeeds: the failure was the disk, not the bundle.
    dir.ok(&["build", "-p", "profiles", "--locked", "-o", "site.ferry"]);
}
