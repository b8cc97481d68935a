//! containerd: one `certs.d/<host>/hosts.toml` per upstream host (containerd's `config_path`,
//! or `ctr --hosts-dir`). containerd adds `?ns=<host>` to mirror requests, which is how the
//! mirror knows the upstream host, so the mirror host needs no path override.

use super::{file, quoted, CaCert, GeneratedFile, Mirror};

pub(super) fn generate(
    hosts: &[String],
    mirror: &Mirror,
    ca: Option<&CaCert>,
) -> Vec<GeneratedFile> {
    hosts
        .iter()
        .map(|host| {
            let mut toml = format!(
                "# Written by ferry cluster-config: pull {host} images from the ferry mirror.\n\
                 server = {}\n\n[host.{}]\n  capabilities = [\"pull\", \"resolve\"]\n",
                quoted(&upstream_server(host)),
                quoted(&mirror.url()),
            );
            if let Some(ca) = ca {
                toml.push_str(&format!("  ca = {}\n", quoted(&ca.path.to_string_lossy())));
            }
            file(format!("certs.d/{host}/hosts.toml"), toml)
        })
        .collect()
}

/// Docker Hub's registry API is not on docker.io itself.
fn upstream_server(host: &str) -> String {
    match host {
        "docker.io" => "https://registry-1.docker.io".to_owned(),
        other => format!("https://{other}"),
    }
}
