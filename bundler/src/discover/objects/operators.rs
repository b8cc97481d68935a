//! What common operators' custom resources say about images. Three kinds of knowledge:
//! - [`OPERATORS`]: API groups (and kinds) whose image fields are images the operator runs, so
//!   they count even untagged, plus fields named otherwise (`imageName`, `dockerImage`,
//!   `package`) and fields that are not images to fetch (Strimzi's build *output*);
//! - [`holds_patterns`]: groups whose objects hold image patterns or policies, never images;
//! - images an operator composes from several fields or its defaults: see `composed.rs`.
//!
//! Anything else with an `image` field is judged by the field's value alone (see `fields.rs`).

/// One operator's API group (a suffix when it starts with `.`) and, when not every kind of
/// the group, its kinds.
pub(crate) struct Operator {
    group: &'static str,
    kinds: &'static [&'static str],
    /// Keys whose string values are images wherever they appear in the object.
    pub image_keys: &'static [&'static str],
    /// Dotted key paths under which no field is an image to fetch.
    pub skip: &'static [&'static str],
    /// Keys holding data the operator passes along (loop items), not fields it reads as
    /// images: an `image` below them counts only if its value is plainly a reference.
    pub data_keys: &'static [&'static str],
}

const IMAGE: &[&str] = &["image"];

pub(crate) const OPERATORS: &[Operator] = &[
    // Prometheus, Alertmanager, ThanosRuler, PrometheusAgent: spec.image, spec.thanos.image.
    operator("monitoring.coreos.com", &[], IMAGE),
    // Elasticsearch, Kibana, ApmServer, Agent, Beat, Logstash, ... (`podTemplate`s are pod specs).
    operator(".k8s.elastic.co", &[], IMAGE),
    // Kafka (spec.kafka/zookeeper/entityOperator/cruiseControl/kafkaExporter .image),
    // KafkaConnect, KafkaMirrorMaker2, KafkaBridge spec.image.
    Operator {
        skip: &["spec.build.output"],
        ..operator("kafka.strimzi.io", &[], IMAGE)
    },
    // Cluster spec.imageName; ImageCatalog/ClusterImageCatalog spec.images[].image.
    operator("postgresql.cnpg.io", &[], &["image", "imageName"]),
    // postgresql spec.dockerImage, spec.connectionPooler.dockerImage; OperatorConfiguration.
    operator(
        "acid.zalan.do",
        &[],
        &[
            "image",
            "dockerImage",
            "docker_image",
            "connection_pooler_image",
            "logical_backup_docker_image",
        ],
    ),
    // Task, ClusterTask, Pipeline, TaskRun, PipelineRun, StepAction: steps, sidecars, stepTemplate.
    operator("tekton.dev", &[], IMAGE),
    // Argo Workflows (templates[].container/script/containerSet) and Rollouts; not Argo CD.
    Operator {
        data_keys: &["withItems"],
        ..operator(
            "argoproj.io",
            &[
                "Workflow",
                "WorkflowTemplate",
                "ClusterWorkflowTemplate",
                "CronWorkflow",
                "Rollout",
            ],
            IMAGE,
        )
    },
    // Provider, Function, Configuration spec.package (an OCI image); ControllerConfig spec.image.
    operator("pkg.crossplane.io", &[], &["image", "package"]),
    // CephCluster spec.cephVersion.image.
    operator("ceph.rook.io", &[], IMAGE),
    // OpenTelemetryCollector spec.image, Instrumentation spec.<language>.image.
    operator("opentelemetry.io", &[], IMAGE),
    // Tenant spec.image, spec.kes.image, spec.sideCars.image.
    operator("minio.min.io", &[], IMAGE),
    operator("jaegertracing.io", &[], IMAGE),
    operator("k8s.keycloak.org", &[], IMAGE),
    operator("sparkoperator.k8s.io", &[], IMAGE),
    operator("flink.apache.org", &[], IMAGE),
    // VirtualMachine(Instance) containerDisk.image; registry URLs: see `composed_images`.
    operator("kubevirt.io", &[], IMAGE),
    // CloneSet, Advanced StatefulSet, SidecarSet, ImagePullJob spec.image.
    operator("apps.kruise.io", &[], IMAGE),
];

const fn operator(
    group: &'static str,
    kinds: &'static [&'static str],
    image_keys: &'static [&'static str],
) -> Operator {
    Operator {
        group,
        kinds,
        image_keys,
        skip: &[],
        data_keys: &[],
    }
}

pub(super) fn group_matches(pattern: &str, group: &str) -> bool {
    match pattern.strip_prefix('.') {
        Some(suffix) => group.strip_suffix(suffix).is_some_and(|g| g.ends_with('.')),
        None => group == pattern,
    }
}

/// The operator that owns objects of `group` and `kind`, if it is one ferry knows.
pub(crate) fn operator_for(group: &str, kind: &str) -> Option<&'static Operator> {
    OPERATORS
        .iter()
        .find(|o| group_matches(o.group, group) && (o.kinds.is_empty() || o.kinds.contains(&kind)))
}

/// Objects that hold image patterns, policies or schemas (`image: "!*:latest"`), not images:
/// policy engines, admission policies and CRDs.
pub(crate) fn holds_patterns(group: &str) -> bool {
    matches!(
        group,
        "kyverno.io"
            | "policies.kyverno.io"
            | "wgpolicyk8s.io"
            | "templates.gatekeeper.sh"
            | "constraints.gatekeeper.sh"
            | "mutations.gatekeeper.sh"
            | "admissionregistration.k8s.io"
            | "apiextensions.k8s.io"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::exact("monitoring.coreos.com", "Prometheus", true)]
    #[case::suffix("elasticsearch.k8s.elastic.co", "Elasticsearch", true)]
    #[case::suffix_needs_a_label("k8s.elastic.co", "Elasticsearch", false)]
    #[case::kind_listed("argoproj.io", "Workflow", true)]
    #[case::kind_not_listed("argoproj.io", "Application", false)]
    #[case::unknown("example.com", "Widget", false)]
    fn operators_are_known_by_group_and_kind(
        #[case] group: &str,
        #[case] kind: &str,
        #[case] known: bool,
    ) {
        assert_eq!(operator_for(group, kind).is_some(), known);
    }
}
