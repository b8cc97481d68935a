//! OpenShift: `ImageDigestMirrorSet` and `ImageTagMirrorSet` (config.openshift.io/v1) mirroring
//! each upstream host at `HOST:PORT/<host>`, and, with a CA, the ConfigMap that
//! `image.config.openshift.io/cluster` `spec.additionalTrustedCA` names.

use super::{file, path_safe_hosts, quoted, skipped_comment, CaCert, GeneratedFile, Mirror};

pub(super) fn generate(
    hosts: &[String],
    mirror: &Mirror,
    ca: Option<&CaCert>,
) -> Vec<GeneratedFile> {
    let mut files = vec![
        file(
            "openshift/image-digest-mirror-set.yaml",
            mirror_set("ImageDigestMirrorSet", "imageDigestMirrors", hosts, mirror),
        ),
        file(
            "openshift/image-tag-mirror-set.yaml",
            mirror_set("ImageTagMirrorSet", "imageTagMirrors", hosts, mirror),
        ),
    ];
    if let Some(ca) = ca {
        files.push(file("openshift/mirror-ca.yaml", trusted_ca(ca, mirror)));
    }
    files
}

fn mirror_set(kind: &str, list: &str, hosts: &[String], mirror: &Mirror) -> String {
    let (hosts, skipped) = path_safe_hosts(hosts);
    let mut yaml = format!(
        "# Written by ferry cluster-config.\n{}apiVersion: config.openshift.io/v1\nkind: {kind}\n\
         metadata:\n  name: ferry-mirror\nspec:\n  {list}:\n",
        skipped_comment(&skipped)
    );
    for host in hosts {
        yaml.push_str(&format!(
            "    - source: {}\n      mirrors:\n        - {}\n",
            quoted(host),
            quoted(&format!("{}/{host}", mirror.authority))
        ));
    }
    yaml
}

/// OpenShift spells `host:port` as `host..port` in additionalTrustedCA keys.
fn trusted_ca(ca: &CaCert, mirror: &Mirror) -> String {
    let key = mirror.authority.replacen(':', "..", 1);
    let mut yaml = format!(
        "# Written by ferry cluster-config. Apply, then:\n\
         # oc patch image.config.openshift.io/cluster --type=merge -p '{{\"spec\":{{\"additionalTrustedCA\":{{\"name\":\"ferry-mirror-ca\"}}}}}}'\n\
         apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ferry-mirror-ca\n  namespace: openshift-config\n\
         data:\n  {}: |\n",
        quoted(&key)
    );
    for line in ca.pem.lines() {
        yaml.push_str("    ");
        yaml.push_str(line);
        yaml.push('\n');
    }
    yaml
}
