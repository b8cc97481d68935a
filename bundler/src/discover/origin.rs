//! Where discovery found an image, as structured fields (for `ferry discover --output json`) and
//! as the one line of text bundle manifests record as a provenance `origin`.
//!
//! **Invariant:** `Display` is that recorded text, byte for byte as before these fields existed,
//! but for the two marks added since: ` for Kubernetes v1.33.0` on what was found in a chart
//! read for that version, and ` (guess)` on a heuristic's finding. It is part of every bundle
//! manifest, and bundles must stay byte-reproducible.

use std::fmt;

use serde::{Serialize, Serializer};

use super::options::KubeVersion;

/// The discovery rule that found the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Rule {
    /// An image block in chart (or pack) values: `detail` is its values path.
    Values,
    /// A template line that prints an image; `detail` names the define it is in, if any.
    Template,
    /// A chart annotation listing images (`artifacthub.io/images`): `detail` is its key.
    Annotation,
    /// A workload's pod spec in a Kubernetes manifest: `detail` is `Kind/name [container c]`.
    Manifest,
    /// A field of an object a chart rendered to: `detail` is `Kind/name field.path`.
    Rendered,
    /// Listed by hand under `images:` in the profile.
    Listed,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Origin {
    /// The chart or pack that was read (`chart ingress-nginx 4.11.3`, `pack cilium 1.15.3`);
    /// `None` for manifests and hand-listed images.
    pub source: Option<String>,
    /// The file, inside the chart or pack when there is one (`templates/deployment.yaml`).
    pub file: Option<String>,
    /// 1-based line in `file`, when known.
    pub line: Option<usize>,
    pub rule: Rule,
    /// What matched; see [`Rule`]. Empty when there is nothing more to say.
    pub detail: String,
    /// Found by a heuristic (values blocks, template lines) rather than in a rendered object:
    /// likely, not certain.
    pub guess: bool,
    /// The Kubernetes version a chart was read for (`v1.33.0`); `None` outside charts.
    pub kube_version: Option<String>,
}

impl Origin {
    pub(crate) fn values(source: &str, path: &str) -> Self {
        Self::in_source(source, Rule::Values, path)
    }

    pub(crate) fn annotation(source: &str, key: &str) -> Self {
        Self::in_source(source, Rule::Annotation, key)
    }

    /// A template line; `define` is the `define` block the line is in, if any.
    pub(crate) fn template(source: &str, file: &str, define: Option<&str>, line: usize) -> Self {
        Self {
            source: Some(source.to_owned()),
            file: Some(file.to_owned()),
            line: Some(line),
            rule: Rule::Template,
            detail: define.map(|d| format!("define {d:?}")).unwrap_or_default(),
            guess: false,
            kube_version: None,
        }
    }

    /// `object` is `Kind/name`, with ` container c` when the image is a container's.
    pub fn manifest(source: Option<&str>, file: &str, line: usize, object: String) -> Self {
        Self {
            source: source.map(str::to_owned),
            file: Some(file.to_owned()),
            line: Some(line),
            rule: Rule::Manifest,
            detail: object,
            guess: false,
            kube_version: None,
        }
    }

    /// A field of a rendered object: `object` is `Kind/name`, `field` its path
    /// (`spec.template.spec.containers{app}.image`).
    pub fn rendered(source: &str, file: &str, object: &str, field: &str) -> Self {
        Self {
            source: Some(source.to_owned()),
            file: Some(file.to_owned()),
            line: None,
            rule: Rule::Rendered,
            detail: format!("{object} {field}"),
            guess: false,
            kube_version: None,
        }
    }

    /// This origin marked as a heuristic's finding; its text ends in `(guess)`.
    pub fn as_guess(self) -> Self {
        Self {
            guess: true,
            ..self
        }
    }

    /// This origin as found for Kubernetes `version`; its text ends in `for Kubernetes v1.31.4`.
    pub fn for_kubernetes(self, version: &KubeVersion) -> Self {
        Self {
            kube_version: Some(version.to_string()),
            ..self
        }
    }

    /// An image listed by hand in the profile at `file`.
    pub fn listed(file: &str) -> Self {
        Self {
            source: None,
            file: Some(file.to_owned()),
            line: None,
            rule: Rule::Listed,
            detail: String::new(),
            guess: false,
            kube_version: None,
        }
    }

    /// Where a template line is, as warnings name it: the origin text without `template `.
    pub(crate) fn template_location(&self) -> String {
        let source = self.source.as_deref().unwrap_or_default();
        let file = self.file.as_deref().unwrap_or_default();
        let line = self.line.unwrap_or_default();
        if self.detail.is_empty() {
            format!("{source} {file}:{line}")
        } else {
            format!("{source} {file} {} line {line}", self.detail)
        }
    }

    fn in_source(source: &str, rule: Rule, detail: &str) -> Self {
        Self {
            source: Some(source.to_owned()),
            file: None,
            line: None,
            rule,
            detail: detail.to_owned(),
            guess: false,
            kube_version: None,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = self.source.as_deref().unwrap_or_default();
        let file = self.file.as_deref().unwrap_or_default();
        let line = self.line.unwrap_or_default();
        let detail = &self.detail;
        match self.rule {
            Rule::Values => write!(f, "{source}: values {detail}")?,
            Rule::Annotation => write!(f, "{source}: annotation {detail}")?,
            Rule::Template => write!(f, "template {}", self.template_location())?,
            Rule::Manifest => {
                f.write_str("manifests ")?;
                if let Some(source) = &self.source {
                    write!(f, "{source} ")?;
                }
                write!(f, "{file}:{line} {detail}")?;
            }
            Rule::Rendered => write!(f, "rendered {source} {file} {detail}")?,
            // The profile file is a field, not part of the text recorded in bundles.
            Rule::Listed => f.write_str("images (listed by hand)")?,
        }
        if let Some(version) = &self.kube_version {
            write!(f, " for Kubernetes {version}")?;
        }
        if self.guess {
            f.write_str(" (guess)")?;
        }
        Ok(())
    }
}

/// `#[serde(serialize_with)]`: an origin as its text.
pub(crate) fn as_text<S: Serializer>(origin: &Origin, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(origin)
}

/// `#[serde(serialize_with)]`: origins as their texts.
pub(crate) fn all_as_text<S: Serializer>(origins: &[Origin], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(origins.iter().map(ToString::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The texts bundles have always recorded: changing one changes every bundle built.
    #[test]
    fn display_is_the_recorded_provenance_text() {
        let cases = [
            (
                Origin::values("chart ingress-nginx 4.11.3", "controller.image"),
                "chart ingress-nginx 4.11.3: values controller.image",
            ),
            (
                Origin::annotation("chart x 1.0.0", "artifacthub.io/images"),
                "chart x 1.0.0: annotation artifacthub.io/images",
            ),
            (
                Origin::template("chart x 1.0.0", "templates/job.yaml", None, 12),
                "template chart x 1.0.0 templates/job.yaml:12",
            ),
            (
                Origin::template("chart x 1.0.0", "templates/_h.tpl", Some("x.image"), 3),
                "template chart x 1.0.0 templates/_h.tpl define \"x.image\" line 3",
            ),
            (
                Origin::manifest(
                    None,
                    "deploy.yaml",
                    4,
                    "Deployment/web container app".into(),
                ),
                "manifests deploy.yaml:4 Deployment/web container app",
            ),
            (
                Origin::manifest(Some("pack p 1.0"), "manifests/a.yaml", 2, "Job/j".into()),
                "manifests pack p 1.0 manifests/a.yaml:2 Job/j",
            ),
            (Origin::listed("site.yaml"), "images (listed by hand)"),
        ];
        for (origin, text) in cases {
            assert_eq!(origin.to_string(), text);
        }
    }

    /// The marks `ferry lock --why` shows: the rendered object's field, the Kubernetes version a
    /// chart was read for, and a heuristic's guess.
    #[test]
    fn rendered_version_and_guess_marks() {
        let v1_31 = KubeVersion::parse("1.31.4").expect("version");
        let deployment = "spec.template.spec.containers{app}.image";
        let cases = [
            (
                Origin::rendered("chart web 1.0.0", "templates/deploy.yaml", "Deployment/web", deployment),
                "rendered chart web 1.0.0 templates/deploy.yaml Deployment/web spec.template.spec.containers{app}.image",
            ),
            (
                Origin::rendered("chart web 1.0.0", "templates/deploy.yaml", "Deployment/web", deployment)
                    .for_kubernetes(&v1_31),
                "rendered chart web 1.0.0 templates/deploy.yaml Deployment/web spec.template.spec.containers{app}.image for Kubernetes v1.31.4",
            ),
            (
                Origin::values("chart x 1.0.0", "image").as_guess(),
                "chart x 1.0.0: values image (guess)",
            ),
            (
                Origin::template("chart x 1.0.0", "templates/job.yaml", None, 12)
                    .for_kubernetes(&KubeVersion::default())
                    .as_guess(),
                "template chart x 1.0.0 templates/job.yaml:12 for Kubernetes v1.33.0 (guess)",
            ),
        ];
        for (origin, text) in cases {
            assert_eq!(origin.to_string(), text);
        }
    }

    #[test]
    fn marks_are_fields_too() {
        let origin = Origin::values("chart x 1.0.0", "image")
            .for_kubernetes(&KubeVersion::default())
            .as_guess();
        let json = serde_json::to_value(&origin).expect("serialises");
        assert_eq!(json["guess"], true);
        assert_eq!(json["kubeVersion"], "v1.33.0");
        assert_eq!(json["rule"], "values");
        let plain = serde_json::to_value(Origin::listed("p.yaml")).expect("serialises");
        assert_eq!(plain["guess"], false);
        assert_eq!(plain["kubeVersion"], serde_json::Value::Null);
    }
}
