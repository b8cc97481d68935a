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
