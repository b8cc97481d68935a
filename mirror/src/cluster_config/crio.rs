//! CRI-O, podman and skopeo: a containers-registries.conf drop-in with one `[[registry]]` per
//! upstream host mirrored at `HOST:PORT/<host>`, and, with a CA, the copy containers/image
//! trusts for the mirror (`/etc/containers/certs.d/HOST:PORT/ca.crt`).

use super::{file, path_safe_hosts, quoted, skipped_comment, CaCert, GeneratedFile, Mirror};

pub(super) fn generate(
    hosts: &[String],
    mirror: &Mirror,
    ca: Option<&CaCert>,
) -> Vec<GeneratedFile> {
    let mut conf = String::from(
        "# Written by ferry cluster-config: /etc/containers/registries.conf.d/ferry-mirror.conf\n",
    );
    let (hosts, skipped) = path_safe_hosts(hosts);
    conf.push_str(&skipped_comment(&skipped));
    for host in hosts {
        conf.push_str(&format!(
            "\n[[registry]]\nprefix = {host_q}\nlocation = {host_q}\n\n[[registry.mirror]]\nlocation = {}\n",
            quoted(&format!("{}/{host}", mirror.authority)),
            host_q = quoted(host),
        ));
        if mirror.insecure() {
            conf.push_str("insecure = true\n");
        }
    }
    let mut files = vec![file("registries.conf.d/ferry-mirror.conf", conf)];
    if let Some(ca) = ca {
        files.push(file(
            format!("certs.d/{}/ca.crt", mirror.authority),
            ca.pem.clone(),
        ));
    }
    files
}
