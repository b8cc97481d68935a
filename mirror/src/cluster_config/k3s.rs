//! k3s and RKE2: `registries.yaml`. Their embedded containerd sends `?ns=<host>` like upstream
//! containerd does, so plain endpoints suffice and no `rewrite` rules are written. The `"*"`
//! entry sends pulls of hosts the mirror does not carry there too: in an enclave the upstream
//! is unreachable anyway, and a fast "not found" beats a connect timeout.

use super::{file, quoted, CaCert, GeneratedFile, Mirror};

pub(super) fn generate(
    distribution: &str,
    hosts: &[String],
    mirror: &Mirror,
    ca: Option<&CaCert>,
) -> Vec<GeneratedFile> {
    let endpoint = quoted(&mirror.url());
    let mut yaml = format!(
        "# Written by ferry cluster-config for {distribution}: /etc/rancher/{distribution}/registries.yaml\n\
         # Every pull goes to the ferry mirror, which keeps the upstream host in the path.\nmirrors:\n"
    );
    for host in std::iter::once("*").chain(hosts.iter().map(String::as_str)) {
        yaml.push_str(&format!(
            "  {}:\n    endpoint:\n      - {endpoint}\n",
            quoted(host)
        ));
    }
    if let Some(ca) = ca {
        yaml.push_str(&format!(
            "configs:\n  {}:\n    tls:\n      ca_file: {}\n",
            quoted(&mirror.authority),
            quoted(&ca.path.to_string_lossy())
        ));
    }
    vec![file("registries.yaml", yaml)]
}
