//! Accumulates images and warnings from many sources, deduplicating by reference.

use std::collections::BTreeMap;

use super::{DiscoveredImage, Discovery, Origin, Warning};

#[derive(Debug, Default)]
pub(crate) struct Collector {
    images: BTreeMap<String, Vec<Origin>>,
    warnings: Vec<Warning>,
}

impl Collector {
    pub fn image(&mut self, reference: String, origin: Origin) {
        let origins = self.images.entry(reference).or_default();
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }

    pub fn warn(&mut self, location: impl Into<String>, message: impl Into<String>) {
        let warning = Warning {
            location: location.into(),
            message: message.into(),
        };
        if !self.warnings.contains(&warning) {
            self.warnings.push(warning);
        }
    }

    pub fn absorb(&mut self, other: Discovery) {
        for image in other.images {
            for origin in image.origins {
                self.image(image.reference.clone(), origin);
            }
        }
        for warning in other.warnings {
            self.warn(warning.location, warning.message);
        }
    }

    pub fn finish(self) -> Discovery {
        Discovery {
            images: self
                .images
                .into_iter()
                // Every entry was made by `image`, with its first origin.
                .filter_map(|(reference, mut origins)| {
                    // What was found for certain leads; a heuristic's guesses follow.
                    origins.sort_by_key(|o| o.guess);
                    Some(DiscoveredImage {
                        origin: origins.first()?.clone(),
                        reference,
                        origins,
                    })
                })
                .collect(),
            warnings: self.warnings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guessed(path: &str) -> Origin {
        Origin::values("chart x 1.0.0", path).as_guess()
    }

    fn rendered() -> Origin {
        Origin::rendered(
            "chart x 1.0.0",
            "templates/d.yaml",
            "Deployment/x",
            "spec.template.spec.containers{x}.image",
        )
    }

    /// A guess that rendering confirms is no longer a guess, and its certain origin leads.
    #[test]
    fn guesses_are_counted_apart_from_what_rendering_found() {
        let mut out = Collector::default();
        out.image("docker.io/acme/a:1".into(), guessed("a.image"));
        out.image("docker.io/acme/a:1".into(), rendered());
        out.image("docker.io/acme/b:1".into(), guessed("b.image"));
        out.image("docker.io/acme/c:1".into(), rendered());
        let found = out.finish();
        assert_eq!(found.guesses(), 1);
        let guesses: Vec<&str> = found
            .images
            .iter()
            .filter(|i| i.is_guess())
            .map(|i| i.reference.as_str())
            .collect();
        assert_eq!(guesses, ["docker.io/acme/b:1"]);
        let a = &found.images[0];
        assert_eq!(a.origin, rendered());
        assert_eq!(a.origins, [rendered(), guessed("a.image")]);
        assert!(a.origins[1].to_string().ends_with(" (guess)"));
    }

    #[test]
    fn merging_keeps_the_marks() {
        let mut first = Collector::default();
        first.image("docker.io/acme/b:1".into(), guessed("b.image"));
        let merged = first.finish().merge(Discovery::default());
        assert_eq!(merged.guesses(), 1);
        assert!(merged.images[0].origin.guess);
    }
}
