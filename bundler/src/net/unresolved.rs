//! Resolution failures, all of them at once, each named by its reference and by where the
//! profiles asked for it (profile, layer, source), so one run shows everything to fix.

use std::fmt;

use super::{NetError, Request};
use crate::format::Provenance;

/// One request that did not resolve.
#[derive(Debug)]
pub struct Unresolved {
    /// The image reference, chart, pack or file as the profiles name it.
    pub reference: String,
    /// Every place that asked for it.
    pub provenance: Vec<Provenance>,
    pub error: Box<NetError>,
}

impl Unresolved {
    pub fn new(request: &Request, error: NetError) -> Self {
        let (reference, provenance) = match request {
            Request::Image(i) => (i.reference.clone(), &i.provenance),
            Request::Chart(c) if c.repo.is_empty() => (format!("chart {}", c.name), &c.provenance),
            Request::Chart(c) => (
                format!("chart {} {} from {}", c.name, c.version, c.repo),
                &c.provenance,
            ),
            Request::Pack(p) => (format!("pack {}", p.location), &p.provenance),
            Request::OciPack(p) => (format!("pack oci://{}", p.location), &p.provenance),
            Request::File(f) => (format!("file {}", f.location), &f.provenance),
        };
        let mut provenance = provenance.clone();
        provenance.sort();
        provenance.dedup();
        Self {
            reference,
            provenance,
            error: Box::new(error),
        }
    }
}

impl fmt::Display for Unresolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.reference.is_empty() {
            return write!(f, "{}", self.error);
        }
        write!(f, "{}", self.reference)?;
        for (i, p) in self.provenance.iter().enumerate() {
            let sep = if i == 0 { " (" } else { "; " };
            write!(f, "{sep}profile {}, layer {}", p.profile, p.layer)?;
            if !p.origin.is_empty() {
                write!(f, ", {}", p.origin)?;
            }
        }
        if !self.provenance.is_empty() {
            f.write_str(")")?;
        }
        write!(f, ": {}", self.error)
    }
}

/// The message of [`NetError::Unresolved`]: one line per failure.
pub(super) fn describe(failures: &[Unresolved]) -> String {
    match failures {
        [one] => format!("cannot resolve {one}"),
        many => {
            let mut out = format!("cannot resolve {} references:", many.len());
            for u in many {
                out.push_str("\n  ");
                out.push_str(&u.to_string());
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::{ImageRequest, LockError};

    fn image(reference: &str, layers: &[&str]) -> Request {
        Request::Image(ImageRequest {
            reference: reference.into(),
            platforms: vec![],
            provenance: layers
                .iter()
                .map(|l| Provenance {
                    profile: "site".into(),
                    layer: (*l).into(),
                    origin: "images (listed by hand)".into(),
                })
                .collect(),
        })
    }

    fn failure(request: &Request) -> Unresolved {
        let error = LockError::Version {
            path: "ferry.lock".into(),
            found: 9,
        };
        Unresolved::new(request, NetError::Lock(error))
    }

    #[test]
    fn a_failure_names_the_reference_profile_layer_and_source() {
        let u = failure(&image("docker.io/x/y:1", &["cni", "apps"]));
        let text = describe(&[u]);
        assert!(
            text.starts_with("cannot resolve docker.io/x/y:1 (profile site, layer apps, images (listed by hand); profile site, layer cni, images (listed by hand)): "),
            "{text}"
        );
    }

    #[test]
    fn every_failure_gets_its_own_line() {
        let text = describe(&[
            failure(&image("a:1", &["l1"])),
            failure(&image("b:2", &["l2"])),
        ]);
        assert_eq!(text.lines().count(), 3, "{text}");
        assert!(text.starts_with("cannot resolve 2 references:\n  a:1 (profile site, layer l1"));
        assert!(text.contains("\n  b:2 (profile site, layer l2"));
    }
}
