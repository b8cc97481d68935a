//! `ferry-seed`: pushes generated stand-ins for real images into a local registry, so demos and
//! benchmarks can resolve the references real profiles name without leaving loopback.
//!
//! Usage: ferry-seed --registry HOST:PORT [--prefix-with-host] [--seed S] [--layer-size BYTES]
//!                   [--layers N] [--platforms linux/amd64,linux/arm64] REFERENCE...
//!
//! Each REFERENCE (`docker.io/library/nginx:1.27`) becomes a multi-platform index whose images
//! share base layers, pushed as `HOST:PORT/library/nginx:1.27`, or with --prefix-with-host as
//! `HOST:PORT/docker.io/library/nginx:1.27` (the layout `ferry --upstream-mirror` reads).
//! References pinned by digest cannot be generated (the digest would not match) and are skipped.

use std::process::ExitCode;

use ferry_testkit::images::{cosign_signature, cosign_tag, multi_arch};
use ferry_testkit::registry::skopeo_copy;
use ferry_testkit::{ImageOptions, OciLayout};

struct Options {
    registry: String,
    prefix_with_host: bool,
    seed: String,
    opts: ImageOptions,
    platforms: Vec<String>,
    references: Vec<String>,
}

fn parse() -> Result<Options, String> {
    let mut o = Options {
        registry: String::new(),
        prefix_with_host: false,
        seed: "ferry".into(),
        opts: ImageOptions { base_layers: 2, own_layers: 1, layer_size: 256 * 1024, base: "base".into() },
        platforms: vec!["linux/amd64".into(), "linux/arm64".into()],
        references: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--registry" => o.registry = value("--registry")?,
            "--prefix-with-host" => o.prefix_with_host = true,
            "--seed" => o.seed = value("--seed")?,
            "--layer-size" => {
                o.opts.layer_size = value("--layer-size")?.parse().map_err(|e| format!("--layer-size: {e}"))?
            }
            "--layers" => o.opts.own_layers = value("--layers")?.parse().map_err(|e| format!("--layers: {e}"))?,
            "--platforms" => o.platforms = value("--platforms")?.split(',').map(str::to_owned).collect(),
            s if s.starts_with('-') => return Err(format!("unknown flag {s}")),
            _ => o.references.push(a),
        }
    }
    if o.registry.is_empty() {
        return Err("--registry HOST:PORT is required".into());
    }
    Ok(o)
}

fn main() -> ExitCode {
    let o = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("ferry-seed: {e}");
            return ExitCode::from(2);
        }
    };
    let platforms: Vec<&str> = o.platforms.iter().map(String::as_str).collect();
    for reference in &o.references {
        if reference.contains('@') {
            eprintln!("ferry-seed: skipping {reference}: pinned by digest");
            continue;
        }
        let (name, tag) = match reference.rsplit_once(':').filter(|(_, t)| !t.contains('/')) {
            Some((n, t)) => (n, t),
            None => (reference.as_str(), "latest"),
        };
        let (host, path) = name.split_once('/').unwrap_or(("docker.io", name));
        let repo = if o.prefix_with_host { format!("{host}/{path}") } else { path.to_owned() };
        let mut layout = OciLayout::new();
        let image = multi_arch(&mut layout, &format!("{}/{reference}", o.seed), &platforms, &o.opts);
        layout.tag("seed", &image.index);
        skopeo_copy(layout.path(), "seed", &format!("docker://{}/{repo}:{tag}", o.registry));
        // A cosign-style signature travels with every image, as it does upstream for many.
        let sig = cosign_signature(&mut layout, &image.index, reference);
        layout.tag("sig", &sig.manifest);
        let sig_tag = cosign_tag(&image.index, "sig");
        skopeo_copy(layout.path(), "sig", &format!("docker://{}/{repo}:{sig_tag}", o.registry));
        println!("{reference} {}", image.index.digest);
    }
    ExitCode::SUCCESS
}
