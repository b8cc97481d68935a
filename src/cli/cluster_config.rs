//! `ferry cluster-config`: the runtime configuration that makes nodes pull through the mirror.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use ferry_mirror::cluster_config::{self, CaCert, Mirror, Runtime};

use super::appliance::ApplianceArgs;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RuntimeArg {
    Containerd,
    K3s,
    Rke2,
    /// CRI-O, podman and skopeo (containers-registries.conf).
    Crio,
    Openshift,
}

impl From<RuntimeArg> for Runtime {
    fn from(r: RuntimeArg) -> Self {
        match r {
            RuntimeArg::Containerd => Runtime::Containerd,
            RuntimeArg::K3s => Runtime::K3s,
            RuntimeArg::Rke2 => Runtime::Rke2,
            RuntimeArg::Crio => Runtime::Crio,
            RuntimeArg::Openshift => Runtime::Openshift,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The container runtime to configure.
    #[arg(long = "for", value_enum)]
    pub runtime: RuntimeArg,
    /// The mirror as nodes reach it: https://HOST:PORT.
    #[arg(long)]
    pub mirror: String,
    /// CA certificate that signed the mirror's certificate, at the same path on the nodes.
    #[arg(long)]
    pub ca: Option<PathBuf>,
    /// Directory to write the files into; without it they are listed on stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Upstream hosts to cover (comma-separated) instead of every host in the store.
    #[arg(long, value_delimiter = ',', conflicts_with = "data")]
    pub hosts: Vec<String>,
    #[command(flatten)]
    pub appliance: ApplianceArgs,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mirror = Mirror::parse(&args.mirror)?;
    let hosts = if args.hosts.is_empty() {
        let config = args.appliance.config()?;
        let store = args.appliance.open_store(&config).await?;
        let repos = ferry_mirror::store::list(&store)
            .await
            .context("cannot list the store's repositories")?;
        cluster_config::upstream_hosts(repos.iter().map(|r| r.name.as_str()))
    } else {
        args.hosts.clone()
    };
    let ca = match &args.ca {
        Some(path) => {
            let pem = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the CA certificate {}", path.display()))?;
            // Runtimes resolve a relative path against their own directories, not ours.
            let path = std::path::absolute(path)
                .with_context(|| format!("cannot make {} absolute", path.display()))?;
            Some(CaCert { path, pem })
        }
        None => None,
    };
    let files = cluster_config::generate(args.runtime.into(), &hosts, &mirror, ca.as_ref())?;
    match &args.out {
        Some(out) => {
            for f in &files {
                let path = out.join(&f.path);
                write_atomically(&path, f.content.as_bytes(), 0o644)?;
                outln!("{}", path.display());
            }
        }
        None => {
            for f in &files {
                outln!("==> {} <==\n{}", f.path.display(), f.content);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Temp file beside `path`, fsync, rename: a runtime reading the directory never sees half a file.
/// The file gets `mode` before the rename (a temp file starts at 0600, which rootless runtimes
/// could not read).
pub(super) fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    let written = tmp
        .write_all(bytes)
        .and_then(|()| {
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(mode))
        })
        .and_then(|()| tmp.as_file().sync_all());
    written.with_context(|| format!("cannot write {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
