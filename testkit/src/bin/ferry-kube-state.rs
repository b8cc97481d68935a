//! Writes the `kubectl get … -o json` documents of a simulated cluster into a directory, for
//! `ferry agent --from-dir` in the demo (see `ferry_testkit::kube_state`).
//!
//! Usage: ferry-kube-state --cluster NAME --out DIR [--revision TAG@sha256:…] [--failing]
//!        [--image REFERENCE=sha256:…]...

use std::process::ExitCode;

use ferry_testkit::kube_state::{ClusterState, RunningImage};

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferry-kube-state: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Vec<String>) -> Result<(), String> {
    let mut state = ClusterState {
        cluster: String::new(),
        revision: None,
        healthy: true,
        images: Vec::new(),
        time: "2026-12-01T00:00:00Z".into(),
    };
    let mut out = None;
    let mut it = args.into_iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--cluster" => state.cluster = value()?,
            "--out" => out = Some(value()?),
            "--revision" => state.revision = Some(value()?),
            "--time" => state.time = value()?,
            "--failing" => state.healthy = false,
            "--image" => {
                let v = value()?;
                let (reference, digest) = v
                    .rsplit_once('=')
                    .ok_or(format!("--image {v}: expected REFERENCE=sha256:…"))?;
                state.images.push(RunningImage {
                    reference: reference.into(),
                    digest: digest.into(),
                });
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if state.cluster.is_empty() {
        return Err("--cluster is required".into());
    }
    let out = out.ok_or("--out is required")?;
    state
        .write_dir(std::path::Path::new(&out))
        .map_err(|e| format!("writing {out}: {e}"))
}
