//! Images in rendered Kubernetes objects: every workload kind's pod spec, pod templates of other
//! kinds, operator custom resources, config in ConfigMaps and Secrets — and what is not an
//! image (unknown kinds' bare names, policies, `helm test` hooks, Strimzi build outputs).

use ferry_bundler::discover::{discover_object, Discovery, KubeVersion, ObjectSource};
use rstest::rstest;
use serde_json::Value;

fn object(yaml: &str) -> Value {
    serde_saphyr::from_str(yaml).expect("test object is YAML")
}

fn source() -> ObjectSource<'static> {
    ObjectSource {
        chart: "chart demo 1.0.0",
        file: "templates/object.yaml",
        kube_version: None,
        helm_test: false,
    }
}

fn discover(yaml: &str) -> Discovery {
    discover_object(&object(yaml), &source())
}

const DEPLOYMENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, annotations: {image: "not/an-image:1"}}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      initContainers:
        - {name: migrate, image: "ghcr.io/acme/migrate:1.2"}
      containers:
        - name: app
          image: nginx
          args: ["--sidecar-image=quay.io/acme/sidecar:0.3", "--port=8080"]
          env:
            - {name: RELATED_IMAGE_DB, value: "registry.example.com/db:16"}
            - {name: IMAGE_PULL_POLICY, value: Always}
"#;

const CRONJOB: &str = r#"
apiVersion: batch/v1
kind: CronJob
metadata: {name: backup}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: backup, image: "ghcr.io/acme/backup:2.1.0"}]
          restartPolicy: OnFailure
"#;

const POD_EPHEMERAL: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: debug}
spec:
  containers: [{name: shell, image: "busybox:1.36"}]
  ephemeralContainers: [{name: dbg, image: "nicolaka/netshoot:v0.13"}]
  volumes:
    - name: models
      image: {reference: "quay.io/acme/models:2024.1", pullPolicy: IfNotPresent}
    - {name: scratch, emptyDir: {}}
"#;

const STATEFULSET: &str = r#"
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  template: {spec: {containers: [{name: pg, image: "postgres:16.4"}]}}
  volumeClaimTemplates: [{metadata: {name: data}, spec: {accessModes: [ReadWriteOnce]}}]
"#;

const DAEMONSET: &str = r#"
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec: {template: {spec: {containers: [{name: a, image: "docker.io/fluent/fluent-bit:3.1.9"}]}}}
"#;

const REPLICASET: &str = r#"
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs}
spec: {template: {spec: {containers: [{name: a, image: "registry.k8s.io/pause:3.10"}]}}}
"#;

const REPLICATION_CONTROLLER: &str = r#"
apiVersion: v1
kind: ReplicationController
metadata: {name: rc}
spec: {template: {spec: {containers: [{name: a, image: "redis:7.4"}]}}}
"#;

const JOB_HOOK: &str = r#"
apiVersion: batch/v1
kind: Job
metadata:
  name: pre-install
  annotations: {"helm.sh/hook": pre-install}
spec: {template: {spec: {containers: [{name: a, image: "bitnami/kubectl:1.31"}]}}}
"#;

const ROLLOUT: &str = r#"
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: canary}
spec:
  strategy: {canary: {steps: [{setWeight: 20}, {pause: {}}]}}
  template: {spec: {containers: [{name: app, image: "argoproj/rollouts-demo:blue"}]}}
"#;

const KNATIVE_SERVICE: &str = r#"
apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: hello}
spec: {template: {spec: {containers: [{image: "ghcr.io/knative/helloworld-go:latest"}]}}}
"#;

const CLONESET: &str = r#"
apiVersion: apps.kruise.io/v1alpha1
kind: CloneSet
metadata: {name: sample}
spec: {replicas: 2, template: {spec: {containers: [{name: nginx, image: "nginx:alpine"}]}}}
"#;

const PROMETHEUS: &str = r#"
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: k8s}
spec:
  image: quay.io/prometheus/prometheus:v3.5.0
  version: v3.5.0
  thanos: {image: "quay.io/thanos/thanos:v0.39.2", objectStorageConfig: {key: thanos.yaml, name: store}}
  containers:
    - {name: prometheus, resources: {limits: {memory: 2Gi}}}
    - {name: oauth-proxy, image: "quay.io/oauth2-proxy/oauth2-proxy:v7.6.0", args: ["--upstream=http://localhost:9090"]}
  initContainers:
    - {name: init-config-reloader, image: "quay.io/prometheus-operator/prometheus-config-reloader:v0.85.0"}
"#;

const PROMETHEUS_BASE_IMAGE: &str = r#"
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: legacy}
spec: {baseImage: quay.io/prometheus/prometheus, version: v2.45.0}
"#;

const ALERTMANAGER: &str = r#"
apiVersion: monitoring.coreos.com/v1
kind: Alertmanager
metadata: {name: main}
spec: {image: "quay.io/prometheus/alertmanager:v0.28.1", replicas: 3}
"#;

const THANOS_RULER: &str = r#"
apiVersion: monitoring.coreos.com/v1
kind: ThanosRuler
metadata: {name: ruler}
spec: {image: "quay.io/thanos/thanos:v0.39.2", queryEndpoints: ["dnssrv+_http._tcp.thanos-query"]}
"#;

const PROMETHEUS_AGENT: &str = r#"
apiVersion: monitoring.coreos.com/v1alpha1
kind: PrometheusAgent
metadata: {name: agent}
spec: {image: "quay.io/prometheus/prometheus:v3.5.0", mode: DaemonSet}
"#;

const SERVICE_MONITOR: &str = r#"
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: web}
spec: {selector: {matchLabels: {app: web}}, endpoints: [{port: http}]}
"#;

const ELASTICSEARCH_DEFAULT: &str = r#"
apiVersion: elasticsearch.k8s.elastic.co/v1
kind: Elasticsearch
metadata: {name: quickstart}
spec:
  version: 8.15.0
  nodeSets:
    - name: default
      count: 3
      podTemplate:
        spec:
          initContainers:
            - {name: sysctl, image: "busybox:1.36", command: ["sh", "-c", "sysctl -w vm.max_map_count=262144"]}
"#;

const KIBANA: &str = r#"
apiVersion: kibana.k8s.elastic.co/v1
kind: Kibana
metadata: {name: quickstart}
spec: {version: 8.15.0, image: "my.registry/kibana/kibana:8.15.0", count: 1, elasticsearchRef: {name: quickstart}}
"#;

const BEAT: &str = r#"
apiVersion: beat.k8s.elastic.co/v1beta1
kind: Beat
metadata: {name: logs}
spec: {type: filebeat, version: 8.15.0}
"#;

const MAPS: &str = r#"
apiVersion: maps.k8s.elastic.co/v1alpha1
kind: ElasticMapsServer
metadata: {name: maps}
spec: {version: 8.11.0}
"#;

const ECK_AGENTS_AND_REGISTRY: &str = r#"
apiVersion: v1
kind: List
items:
  - {apiVersion: agent.k8s.elastic.co/v1alpha1, kind: Agent, metadata: {name: old}, spec: {version: 8.15.0}}
  - {apiVersion: agent.k8s.elastic.co/v1alpha1, kind: Agent, metadata: {name: new}, spec: {version: 9.1.0}}
  - {apiVersion: packageregistry.k8s.elastic.co/v1alpha1, kind: PackageRegistry, metadata: {name: epr}, spec: {version: 9.1.0}}
  - {apiVersion: packageregistry.k8s.elastic.co/v1alpha1, kind: PackageRegistry, metadata: {name: epr-old}, spec: {version: 8.14.0}}
"#;

const KAFKA: &str = r#"
apiVersion: kafka.strimzi.io/v1beta2
kind: Kafka
metadata: {name: cluster}
spec:
  kafka:
    version: 3.8.0
    image: quay.io/strimzi/kafka:0.43.0-kafka-3.8.0
    listeners: [{name: plain, port: 9092, type: internal, tls: false}]
  zookeeper: {replicas: 3, image: "quay.io/strimzi/kafka:0.43.0-kafka-3.8.0"}
  entityOperator:
    topicOperator: {image: "quay.io/strimzi/operator:0.43.0"}
  kafkaExporter: {image: "quay.io/strimzi/kafka:0.43.0-kafka-3.8.0"}
"#;

const KAFKA_CONNECT_BUILD: &str = r#"
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaConnect
metadata: {name: connect}
spec:
  image: quay.io/strimzi/kafka:0.43.0-kafka-3.8.0
  build:
    output: {type: docker, image: "registry.internal/kafka-connect-with-plugins:latest"}
    plugins: [{name: debezium, artifacts: [{type: tgz, url: "https://repo1.maven.org/x.tgz"}]}]
"#;

const CNPG_CLUSTER: &str = r#"
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: pg}
spec: {instances: 3, imageName: "ghcr.io/cloudnative-pg/postgresql:16.4", storage: {size: 1Gi}}
"#;

const ZALANDO_POSTGRESQL: &str = r#"
apiVersion: acid.zalan.do/v1
kind: postgresql
metadata: {name: acid-minimal}
spec:
  teamId: acid
  dockerImage: ghcr.io/zalando/spilo-16:3.3-p1
  postgresql: {version: "16"}
  sidecars: [{name: exporter, image: "quay.io/prometheuscommunity/postgres-exporter:v0.15.0"}]
"#;

const GRAFANA: &str = r#"
apiVersion: grafana.integreatly.org/v1beta1
kind: Grafana
metadata: {name: grafana}
spec:
  config: {log: {mode: console}}
  deployment:
    spec:
      template:
        spec:
          containers: [{name: grafana, image: "docker.io/grafana/grafana:11.2.0"}]
"#;

const ISTIO_OPERATOR: &str = r#"
apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
metadata: {name: control-plane}
spec:
  hub: docker.io/istio
  tag: 1.23.2
  components: {cni: {enabled: true}}
  values: {global: {variant: distroless}}
"#;

const TEKTON_TASK: &str = r#"
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: build}
spec:
  steps:
    - {name: clone, image: "alpine/git:2.45.2", script: "git clone $(params.url)"}
    - name: build
      image: gcr.io/kaniko-project/executor:v1.23.2
      args: ["--destination=$(params.image)"]
  sidecars: [{name: registry, image: "registry:2.8.3"}]
"#;

const ARGO_WORKFLOW: &str = r#"
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: hello}
spec:
  entrypoint: main
  templates:
    - name: main
      steps: [[{name: say, template: say}]]
    - name: say
      container: {image: "docker/whalesay:latest", command: [cowsay], args: [hello]}
    - name: script
      script: {image: "python:3.12-alpine", command: [python], source: "print(1)"}
"#;

const TEKTON_TASK_PARAMS: &str = r#"
apiVersion: tekton.dev/v1beta1
kind: Task
metadata: {name: kaniko}
spec:
  params:
    - {name: BUILDER_IMAGE, default: "gcr.io/kaniko-project/executor:v1.5.1"}
    - {name: TAG, default: "3.20"}
  steps:
    - {name: build-and-push, image: "$(params.BUILDER_IMAGE)"}
    - {name: check, image: "alpine:$(params.TAG)"}
"#;

const TRIGGER_TEMPLATE: &str = r#"
apiVersion: triggers.tekton.dev/v1beta1
kind: TriggerTemplate
metadata: {name: on-push}
spec:
  params: [{name: revision}]
  resourcetemplates:
    - apiVersion: tekton.dev/v1
      kind: PipelineRun
      metadata: {generateName: build-}
      spec:
        pipelineSpec:
          tasks:
            - name: test
              taskSpec:
                steps: [{name: run, image: "golang:1.23"}]
"#;

const ARGO_LOOP: &str = r#"
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: loops-maps-}
spec:
  entrypoint: loop-map-example
  arguments:
    parameters: [{name: tool, value: "alpine:3.20"}]
  templates:
    - name: loop-map-example
      steps:
        - - name: test-linux
            template: cat-os-release
            arguments:
              parameters: [{name: image, value: "{{item.image}}"}]
            withItems:
              - {image: debian, tag: "9.1"}
              - {image: ubuntu, tag: "17.10"}
    - name: cat-os-release
      inputs: {parameters: [{name: image}]}
      container: {image: "{{workflow.parameters.tool}}", command: [cat, /etc/os-release]}
"#;

const ARGO_CD_APPLICATION: &str = r#"
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: guestbook}
spec:
  source: {repoURL: "https://github.com/argoproj/argocd-example-apps", path: guestbook, kustomize: {images: ["gcr.io/heptio-images/ks-guestbook-demo:0.2"]}}
  destination: {server: "https://kubernetes.default.svc", namespace: guestbook}
"#;

const DATA_VOLUME: &str = r#"
apiVersion: cdi.kubevirt.io/v1beta1
kind: DataVolume
metadata: {name: fedora}
spec:
  source: {registry: {url: "docker://quay.io/containerdisks/fedora:40"}}
  storage: {resources: {requests: {storage: 5Gi}}}
"#;

const CROSSPLANE_PROVIDER: &str = r#"
apiVersion: pkg.crossplane.io/v1
kind: Provider
metadata: {name: provider-aws-s3}
spec: {package: "xpkg.upbound.io/upbound/provider-aws-s3:v1.14.0", packagePullPolicy: IfNotPresent}
"#;

const CROSSPLANE_FUNCTION: &str = r#"
apiVersion: pkg.crossplane.io/v1beta1
kind: Function
metadata: {name: function-patch-and-transform}
spec: {package: "xpkg.upbound.io/crossplane-contrib/function-patch-and-transform:v0.7.0"}
"#;

const OTEL_INSTRUMENTATION: &str = r#"
apiVersion: opentelemetry.io/v1alpha1
kind: Instrumentation
metadata: {name: auto}
spec:
  exporter: {endpoint: "http://otel-collector:4317"}
  java: {image: "ghcr.io/open-telemetry/opentelemetry-operator/autoinstrumentation-java:2.8.0"}
"#;

const ROOK_CEPH: &str = r#"
apiVersion: ceph.rook.io/v1
kind: CephCluster
metadata: {name: rook-ceph}
spec: {cephVersion: {image: "quay.io/ceph/ceph:v18.2.4"}, dataDirHostPath: /var/lib/rook}
"#;

const UNKNOWN_BARE: &str = r#"
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
spec: {image: nginx, size: 3}
"#;

const UNKNOWN_TAGGED: &str = r#"
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
spec:
  image: nginx:1.27
  sidecar: {image: {registry: ghcr.io, repository: acme/sidecar, tag: "1.0"}}
  proxy: {image: {repository: envoy}}
"#;

const UNKNOWN_REGISTRY_UNTAGGED: &str = r#"
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
spec:
  image: quay.io/acme/widget
  dashboard: {image: "https://example.com/logo.png"}
  banner: {image: "cdn.example.com/img/banner.png"}
"#;

const CONFIGMAP: &str = r#"
apiVersion: v1
kind: ConfigMap
metadata: {name: operator-config}
data:
  config.yaml: |
    defaults:
      image: busybox
    backup:
      image: {registry: quay.io, repository: acme/backup, tag: "2.0"}
  run.sh: "exec /bin/app --image=busybox"
"#;

// `data.config.yaml` is base64 of the YAML `agent: {image: "ghcr.io/acme/agent:1.4"}`.
const SECRET: &str = r#"
apiVersion: v1
kind: Secret
metadata: {name: operator-secret}
stringData:
  values.json: '{"worker": {"repository": "ghcr.io/acme/worker", "tag": "3.1"}}'
data:
  config.yaml: YWdlbnQ6IHtpbWFnZTogImdoY3IuaW8vYWNtZS9hZ2VudDoxLjQifQo=
  password: aHVudGVyMg==
"#;

const KYVERNO_POLICY: &str = r#"
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: disallow-latest-tag}
spec:
  rules:
    - name: validate-image-tag
      validate:
        pattern: {spec: {containers: [{image: "!*:latest"}]}}
"#;

const HELM_TEST_POD: &str = r#"
apiVersion: v1
kind: Pod
metadata:
  name: web-test-connection
  annotations: {"helm.sh/hook": "test"}
spec: {containers: [{name: wget, image: "busybox:1.36"}]}
"#;

const LIST: &str = r#"
apiVersion: v1
kind: List
items:
  - {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {containers: [{name: a, image: "alpine:3.20"}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: s}, spec: {ports: [{port: 80}]}}
"#;

const CERTIFICATE: &str = r#"
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: tls}
spec: {secretName: tls, dnsNames: [example.com], issuerRef: {name: letsencrypt, kind: ClusterIssuer}}
"#;

#[rstest]
#[case::deployment(DEPLOYMENT, &[
    "docker.io/library/nginx",
    "ghcr.io/acme/migrate:1.2",
    "quay.io/acme/sidecar:0.3",
    "registry.example.com/db:16",
])]
#[case::cronjob(CRONJOB, &["ghcr.io/acme/backup:2.1.0"])]
#[case::pod_ephemeral_and_image_volume(POD_EPHEMERAL, &[
    "docker.io/library/busybox:1.36",
    "docker.io/nicolaka/netshoot:v0.13",
    "quay.io/acme/models:2024.1",
])]
#[case::statefulset(STATEFULSET, &["docker.io/library/postgres:16.4"])]
#[case::daemonset(DAEMONSET, &["docker.io/fluent/fluent-bit:3.1.9"])]
#[case::replicaset(REPLICASET, &["registry.k8s.io/pause:3.10"])]
#[case::replication_controller(REPLICATION_CONTROLLER, &["docker.io/library/redis:7.4"])]
#[case::install_hook_job_runs(JOB_HOOK, &["docker.io/bitnami/kubectl:1.31"])]
#[case::argo_rollout(ROLLOUT, &["docker.io/argoproj/rollouts-demo:blue"])]
#[case::knative_service(KNATIVE_SERVICE, &["ghcr.io/knative/helloworld-go:latest"])]
#[case::kruise_cloneset(CLONESET, &["docker.io/library/nginx:alpine"])]
#[case::prometheus(PROMETHEUS, &[
    "quay.io/oauth2-proxy/oauth2-proxy:v7.6.0",
    "quay.io/prometheus-operator/prometheus-config-reloader:v0.85.0",
    "quay.io/prometheus/prometheus:v3.5.0",
    "quay.io/thanos/thanos:v0.39.2",
])]
#[case::prometheus_base_image(PROMETHEUS_BASE_IMAGE, &["quay.io/prometheus/prometheus:v2.45.0"])]
#[case::alertmanager(ALERTMANAGER, &["quay.io/prometheus/alertmanager:v0.28.1"])]
#[case::thanos_ruler(THANOS_RULER, &["quay.io/thanos/thanos:v0.39.2"])]
#[case::prometheus_agent(PROMETHEUS_AGENT, &["quay.io/prometheus/prometheus:v3.5.0"])]
#[case::service_monitor(SERVICE_MONITOR, &[])]
#[case::elasticsearch_default_image(ELASTICSEARCH_DEFAULT, &[
    "docker.elastic.co/elasticsearch/elasticsearch:8.15.0",
    "docker.io/library/busybox:1.36",
])]
#[case::kibana_image(KIBANA, &["my.registry/kibana/kibana:8.15.0"])]
#[case::beat_default_image(BEAT, &["docker.elastic.co/beats/filebeat:8.15.0"])]
#[case::maps_default_image(MAPS, &["docker.elastic.co/elastic-maps-service/elastic-maps-server-ubi8:8.11.0"])]
#[case::eck_agents_and_package_registry(ECK_AGENTS_AND_REGISTRY, &[
    "docker.elastic.co/beats/elastic-agent:8.15.0",
    "docker.elastic.co/elastic-agent/elastic-agent:9.1.0",
    "docker.elastic.co/package-registry/distribution:lite-8.15.1",
    "docker.elastic.co/package-registry/distribution:lite-9.1.0",
])]
#[case::strimzi_kafka(KAFKA, &["quay.io/strimzi/kafka:0.43.0-kafka-3.8.0", "quay.io/strimzi/operator:0.43.0"])]
#[case::strimzi_build_output_is_not_fetched(KAFKA_CONNECT_BUILD, &["quay.io/strimzi/kafka:0.43.0-kafka-3.8.0"])]
#[case::cnpg_cluster(CNPG_CLUSTER, &["ghcr.io/cloudnative-pg/postgresql:16.4"])]
#[case::zalando_postgresql(ZALANDO_POSTGRESQL, &[
    "ghcr.io/zalando/spilo-16:3.3-p1",
    "quay.io/prometheuscommunity/postgres-exporter:v0.15.0",
])]
#[case::grafana_operator(GRAFANA, &["docker.io/grafana/grafana:11.2.0"])]
#[case::istio_operator(ISTIO_OPERATOR, &[
    "docker.io/istio/install-cni:1.23.2-distroless",
    "docker.io/istio/pilot:1.23.2-distroless",
    "docker.io/istio/proxyv2:1.23.2-distroless",
])]
#[case::tekton_task(TEKTON_TASK, &[
    "docker.io/alpine/git:2.45.2",
    "docker.io/library/registry:2.8.3",
    "gcr.io/kaniko-project/executor:v1.23.2",
])]
#[case::argo_workflow_template(ARGO_WORKFLOW, &[
    "docker.io/docker/whalesay:latest",
    "docker.io/library/python:3.12-alpine",
])]
#[case::tekton_params_defaults(TEKTON_TASK_PARAMS, &[
    "docker.io/library/alpine:3.20",
    "gcr.io/kaniko-project/executor:v1.5.1",
])]
#[case::embedded_objects(TRIGGER_TEMPLATE, &["docker.io/library/golang:1.23"])]
#[case::argo_loop_items_are_data(ARGO_LOOP, &["docker.io/library/alpine:3.20"])]
#[case::argo_cd_application(ARGO_CD_APPLICATION, &[])]
#[case::kubevirt_data_volume(DATA_VOLUME, &["quay.io/containerdisks/fedora:40"])]
#[case::crossplane_provider(CROSSPLANE_PROVIDER, &["xpkg.upbound.io/upbound/provider-aws-s3:v1.14.0"])]
#[case::crossplane_function(CROSSPLANE_FUNCTION, &["xpkg.upbound.io/crossplane-contrib/function-patch-and-transform:v0.7.0"])]
#[case::otel_instrumentation(OTEL_INSTRUMENTATION, &["ghcr.io/open-telemetry/opentelemetry-operator/autoinstrumentation-java:2.8.0"])]
#[case::rook_ceph(ROOK_CEPH, &["quay.io/ceph/ceph:v18.2.4"])]
#[case::unknown_kind_bare_name_is_not_an_image(UNKNOWN_BARE, &[])]
#[case::unknown_kind_tagged_and_composed(UNKNOWN_TAGGED, &["docker.io/library/nginx:1.27", "ghcr.io/acme/sidecar:1.0"])]
#[case::unknown_kind_registry_untagged(UNKNOWN_REGISTRY_UNTAGGED, &["quay.io/acme/widget"])]
#[case::configmap_config(CONFIGMAP, &["quay.io/acme/backup:2.0"])]
#[case::secret_string_data_and_base64_data(SECRET, &["ghcr.io/acme/agent:1.4", "ghcr.io/acme/worker:3.1"])]
#[case::kyverno_pattern_is_not_an_image(KYVERNO_POLICY, &[])]
#[case::helm_test_hook_is_not_deployed(HELM_TEST_POD, &[])]
#[case::list_items(LIST, &["docker.io/library/alpine:3.20"])]
#[case::cert_manager_certificate(CERTIFICATE, &[])]
fn images_in_rendered_objects(#[case] yaml: &str, #[case] expected: &[&str]) {
    let found = discover(yaml);
    assert_eq!(found.references(), expected);
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
}

#[test]
fn origins_name_chart_template_object_and_field() {
    let v1_31 = KubeVersion::parse("1.31.4").expect("version");
    let found = discover_object(
        &object(DEPLOYMENT),
        &ObjectSource {
            kube_version: Some(&v1_31),
            ..source()
        },
    );
    let origins: Vec<String> = found
        .images
        .iter()
        .map(|i| format!("{} <- {}", i.reference, i.origin))
        .collect();
    let at = "rendered chart demo 1.0.0 templates/object.yaml Deployment/web spec.template.spec";
    assert_eq!(
        origins,
        [
            format!("docker.io/library/nginx <- {at}.containers{{app}}.image for Kubernetes v1.31.4"),
            format!("ghcr.io/acme/migrate:1.2 <- {at}.initContainers{{migrate}}.image for Kubernetes v1.31.4"),
            format!("quay.io/acme/sidecar:0.3 <- {at}.containers{{app}}.args[0] for Kubernetes v1.31.4"),
            format!("registry.example.com/db:16 <- {at}.containers{{app}}.env{{RELATED_IMAGE_DB}}.value for Kubernetes v1.31.4"),
        ]
    );
    assert_eq!(found.guesses(), 0);
}

#[test]
fn an_embedded_object_is_named_inside_its_container() {
    let found = discover(TRIGGER_TEMPLATE);
    assert_eq!(
        found.images[0].origin.detail,
        "TriggerTemplate/on-push spec.resourcetemplates[0] PipelineRun/build- \
         spec.pipelineSpec.tasks{test}.taskSpec.steps{run}.image"
    );
}

#[test]
fn an_unset_workflow_parameter_is_a_warning() {
    let found = discover(
        "apiVersion: tekton.dev/v1\nkind: Task\nmetadata: {name: t}\nspec:\n  params: [{name: IMAGE}]\n  steps: [{name: s, image: \"$(params.IMAGE)\"}]\n",
    );
    assert!(found.images.is_empty());
    assert_eq!(found.warnings.len(), 1, "{:?}", found.warnings);
    assert!(
        found.warnings[0].message.contains("$(params.IMAGE)"),
        "{:?}",
        found.warnings
    );
}

#[test]
fn config_origins_name_the_key() {
    let found = discover(CONFIGMAP);
    assert_eq!(
        found.images[0].origin.to_string(),
        "rendered chart demo 1.0.0 templates/object.yaml ConfigMap/operator-config data[config.yaml]"
    );
}

#[test]
fn the_callers_test_flag_skips_an_object() {
    let flagged = ObjectSource {
        helm_test: true,
        ..source()
    };
    assert!(discover_object(&object(CRONJOB), &flagged)
        .images
        .is_empty());
}

#[rstest]
#[case::upper_case(
    "{name: app, image: \"Nginx:1.27\"}",
    "rendered chart demo 1.0.0 templates/object.yaml Pod/bad spec.containers{app}.image",
    "image not usable: image reference \"Nginx:1.27\" has an invalid repository name"
)]
#[case::empty(
    "{name: app, image: \"\"}",
    "rendered chart demo 1.0.0 templates/object.yaml Pod/bad spec.containers{app}.image",
    "image not usable: empty image reference"
)]
#[case::unnamed_container(
    "{image: \"a//b:1\"}",
    "rendered chart demo 1.0.0 templates/object.yaml Pod/bad spec.containers[0].image",
    "image not usable: image reference \"a//b:1\" has an invalid repository name"
)]
fn bad_references_warn_naming_object_field_and_value(
    #[case] container: &str,
    #[case] location: &str,
    #[case] message: &str,
) {
    let pod = format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: bad}}\nspec: {{containers: [{container}]}}\n"
    );
    let found = discover(&pod);
    assert!(found.images.is_empty(), "{:?}", found.images);
    assert_eq!(found.warnings.len(), 1, "{:?}", found.warnings);
    assert_eq!(found.warnings[0].location, location);
    assert_eq!(found.warnings[0].message, message);
}

#[test]
fn an_operator_field_that_is_not_a_reference_is_a_warning() {
    let found = discover(
        "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata: {name: pg}\nspec: {imageName: \"ghcr.io/cloudnative-pg/postgresql:16 beta\"}\n",
    );
    assert!(found.images.is_empty());
    assert_eq!(
        found.warnings[0].location,
        "rendered chart demo 1.0.0 templates/object.yaml Cluster/pg spec.imageName"
    );
}

/// An unknown kind's `image` that is still a template (left for another tool to fill) is not
/// an image ferry can fetch, and is said to be so; a bare word stays silent, as it may be
/// anything.
#[rstest]
#[case::helm("\"{{ .Values.db }}\"", 1)]
#[case::envsubst("\"${REGISTRY}/db:15\"", 1)]
#[case::bare_word("postgres", 0)]
fn an_unknown_kinds_templated_image_is_a_warning(#[case] image: &str, #[case] warnings: usize) {
    let found = discover(&format!(
        "apiVersion: example.io/v1\nkind: Database\nmetadata: {{name: db}}\nspec: {{image: {image}}}\n"
    ));
    assert!(found.images.is_empty(), "{:?}", found.images);
    assert_eq!(found.warnings.len(), warnings, "{:?}", found.warnings);
    if warnings == 1 {
        assert_eq!(
            found.warnings[0].location,
            "rendered chart demo 1.0.0 templates/object.yaml Database/db spec.image"
        );
        assert!(found.warnings[0].message.contains("template expression"));
    }
}
