//! The one validation of a bundle manifest that `verify` and `import` both run: everything the
//! mirror relies on that a signature alone does not promise. Pure: the documents come from the
//! caller (`verify` parses them as they stream by, `import` reads them from the store).
//!
//! [`check_manifest`] needs only the manifest, so it runs before a blob is read;
//! [`check_documents`] follows every artifact's manifests once their bytes were verified.

use std::collections::{HashMap, HashSet};

use super::digest::Digest;
use super::document::{DocumentError, OciDocument};
use super::manifest::BundleManifest;
use super::names::{is_valid_repository, is_valid_tag, MAX_NAME_LEN, MAX_TAG_LEN};
use super::profile_definition::MAX_PROFILE_DEFINITION_SIZE;

/// Deepest index nesting followed (an index of indexes of manifests is 2).
pub const MAX_INDEX_DEPTH: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum ValidationError {
    #[error("artifact {reference}: repository {repository:?} is not a valid repository name (lower-case components separated by `/`, after an optional `host:port`, at most {MAX_NAME_LEN} characters)")]
    InvalidRepository {
        reference: String,
        repository: String,
    },
    #[error("artifact {reference}: tag {tag:?} is not a valid tag (letters, digits, `_`, `.` and `-`, at most {MAX_TAG_LEN} characters, not starting with `.` or `-`)")]
    InvalidTag { reference: String, tag: String },
    #[error(
        "{referenced_by} says {digest} is {declared} bytes, but the bundle lists it as {actual}"
    )]
    SizeMismatch {
        referenced_by: String,
        digest: Digest,
        declared: u64,
        actual: u64,
    },
    #[error("{referenced_by} references {digest}, which the bundle neither carries nor lists as external")]
    Missing {
        referenced_by: String,
        digest: Digest,
    },
    #[error("profile {profile}: its definition {digest} is not a blob the bundle carries")]
    DefinitionNotCarried { profile: String, digest: Digest },
    #[error("profile {profile}: its definition {digest} is {declared} bytes, but the bundle lists it as {actual}")]
    DefinitionSize {
        profile: String,
        digest: Digest,
        declared: u64,
        actual: u64,
    },
    #[error("profile {profile}: its definition {digest} is {size} bytes; at most {MAX_PROFILE_DEFINITION_SIZE} are read")]
    DefinitionTooLarge {
        profile: String,
        digest: Digest,
        size: u64,
    },
    #[error("{referenced_by} nests indexes more than {MAX_INDEX_DEPTH} deep")]
    TooDeep { referenced_by: String },
    #[error(transparent)]
    Document(#[from] DocumentError),
}

/// Sizes of every blob the manifest names: carried, or external (a delta's, which only the
/// store can check).
struct Listed<'m> {
    carried: HashMap<&'m Digest, u64>,
    external: HashMap<&'m Digest, u64>,
}

impl<'m> Listed<'m> {
    fn new(m: &'m BundleManifest) -> Self {
        let sizes = |blobs: &'m [super::manifest::BlobRef]| {
            blobs.iter().map(|b| (&b.digest, b.size)).collect()
        };
        Self {
            carried: sizes(&m.blobs),
            external: sizes(&m.external_blobs),
        }
    }

    /// Checks that `digest` is listed, `declared` bytes long if the referrer says.
    fn require(
        &self,
        digest: &Digest,
        declared: Option<u64>,
        referenced_by: &str,
    ) -> Result<(), ValidationError> {
        let listed = self.carried.get(digest).or(self.external.get(digest));
        match (listed, declared) {
            (None, _) => Err(ValidationError::Missing {
                referenced_by: referenced_by.to_owned(),
                digest: digest.clone(),
            }),
            (Some(&actual), Some(declared)) if actual != declared => {
                Err(ValidationError::SizeMismatch {
                    referenced_by: referenced_by.to_owned(),
                    digest: digest.clone(),
                    declared,
                    actual,
                })
            }
            _ => Ok(()),
        }
    }
}

/// What needs only the manifest: every repository and tag is one the registry can serve,
/// every artifact and attached manifest is listed with the size the artifact gives it, and
/// every profile definition is a carried blob of the size the profile gives it.
pub fn check_manifest(m: &BundleManifest) -> Result<(), ValidationError> {
    let listed = Listed::new(m);
    check_definitions(m, &listed)?;
    for a in &m.artifacts {
        if !is_valid_repository(&a.repository) {
            return Err(ValidationError::InvalidRepository {
                reference: a.reference.clone(),
                repository: a.repository.clone(),
            });
        }
        let tags = a
            .tag
            .iter()
            .chain(a.attached.iter().filter_map(|x| x.tag.as_ref()));
        for tag in tags {
            if !is_valid_tag(tag) {
                return Err(ValidationError::InvalidTag {
                    reference: a.reference.clone(),
                    tag: tag.clone(),
                });
            }
        }
        listed.require(
            &a.digest,
            Some(a.size),
            &format!("artifact {}", a.reference),
        )?;
        for x in &a.attached {
            let by = format!("artifact {} ({})", a.reference, x.relation);
            listed.require(&x.digest, Some(x.size), &by)?;
        }
    }
    Ok(())
}

/// A definition is read whole into memory by the enclave, so it must travel in this bundle
/// (never external) and be small.
fn check_definitions(m: &BundleManifest, listed: &Listed<'_>) -> Result<(), ValidationError> {
    for p in &m.profiles {
        let Some(def) = &p.definition else { continue };
        let profile = format!("{}@{}", p.name, p.version);
        let Some(&actual) = listed.carried.get(&def.digest) else {
            return Err(ValidationError::DefinitionNotCarried {
                profile,
                digest: def.digest.clone(),
            });
        };
        if actual != def.size {
            return Err(ValidationError::DefinitionSize {
                profile,
                digest: def.digest.clone(),
                declared: def.size,
                actual,
            });
        }
        if def.size > MAX_PROFILE_DEFINITION_SIZE {
            return Err(ValidationError::DefinitionTooLarge {
                profile,
                digest: def.digest.clone(),
                size: def.size,
            });
        }
    }
    Ok(())
}

/// Follows every artifact's manifest, its attached manifests and, for an index, the children
/// it does not deliberately omit (a sparse index): each document's media type must be the one
/// its referrer gives, and every config, layer and child it references must be listed, with
/// the size the descriptor says. `load` returns the parsed document of a carried blob; documents
/// a delta leaves external are the store's to check.
pub fn check_documents<E>(
    m: &BundleManifest,
    mut load: impl FnMut(&Digest) -> Result<OciDocument, E>,
) -> Result<(), E>
where
    E: From<ValidationError>,
{
    let listed = Listed::new(m);
    let mut docs: HashMap<Digest, OciDocument> = HashMap::new();
    for a in &m.artifacts {
        let omitted: HashSet<&Digest> = a.omitted_children.iter().map(|c| &c.digest).collect();
        let mut walk = Walk {
            listed: &listed,
            docs: &mut docs,
            load: &mut load,
            seen: HashSet::new(),
        };
        let top = format!("artifact {}", a.reference);
        walk.follow(&a.digest, &a.media_type, &top, &omitted)?;
        for x in &a.attached {
            let by = format!("artifact {} ({})", a.reference, x.relation);
            walk.follow(&x.digest, &x.media_type, &by, &HashSet::new())?;
        }
    }
    Ok(())
}

struct Walk<'w, 'm, L> {
    listed: &'w Listed<'m>,
    docs: &'w mut HashMap<Digest, OciDocument>,
    load: &'w mut L,
    /// (document, media type it was referenced as) already followed for this artifact.
    seen: HashSet<(Digest, String)>,
}

impl<L, E> Walk<'_, '_, L>
where
    L: FnMut(&Digest) -> Result<OciDocument, E>,
    E: From<ValidationError>,
{
    fn follow(
        &mut self,
        digest: &Digest,
        media_type: &str,
        top: &str,
        omitted: &HashSet<&Digest>,
    ) -> Result<(), E> {
        let mut stack = vec![(digest.clone(), media_type.to_owned(), top.to_owned(), 0)];
        while let Some((digest, media_type, by, depth)) = stack.pop() {
            if !self.seen.insert((digest.clone(), media_type.clone())) {
                continue;
            }
            if depth > MAX_INDEX_DEPTH {
                return Err(ValidationError::TooDeep { referenced_by: by }.into());
            }
            self.listed.require(&digest, None, &by)?;
            if !self.listed.carried.contains_key(&digest) {
                continue;
            }
            if !self.docs.contains_key(&digest) {
                let doc = (self.load)(&digest)?;
                self.docs.insert(digest.clone(), doc);
            }
            let doc = &self.docs[&digest];
            doc.media_type_as(&digest, &media_type, &by)
                .map_err(ValidationError::from)?;
            let this = format!("manifest {digest} of {top}");
            for blob in doc.blobs() {
                self.listed.require(&blob.digest, blob.size, &this)?;
            }
            for child in &doc.manifests {
                if omitted.contains(&child.digest) {
                    continue;
                }
                self.listed.require(&child.digest, child.size, &this)?;
            }
            for (child, child_type) in doc.children() {
                if !omitted.contains(child) {
                    stack.push((
                        child.clone(),
                        child_type.to_owned(),
                        this.clone(),
                        depth + 1,
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;
    use serde_json::json;

    use super::*;
    use crate::format::layout::{media, BUNDLE_MANIFEST_MEDIA_TYPE};
    use crate::format::manifest::{
        Artifact, ArtifactKind, BlobRef, BundleKind, OmittedChild, ProfileEntry, Provenance,
    };

    /// A bundle of one sparse two-platform image: blobs by digest, and its manifest.
    fn bundle() -> (HashMap<Digest, Vec<u8>>, BundleManifest) {
        let mut blobs = HashMap::new();
        let mut add = |bytes: Vec<u8>| {
            let d = Digest::of_bytes(&bytes);
            let size = bytes.len() as u64;
            blobs.insert(d.clone(), bytes);
            (d, size)
        };
        let (config, config_size) = add(b"{\"os\":\"linux\"}".to_vec());
        let (layer, layer_size) = add(b"layer bytes".to_vec());
        let (definition, definition_size) = add(DEFINITION.to_vec());
        let (manifest, manifest_size) = add(
            json!({"schemaVersion": 2, "mediaType": media::OCI_MANIFEST,
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": config_size},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": layer_size}]})
            .to_string()
            .into_bytes(),
        );
        let left_out = Digest::of_bytes(b"the arm64 manifest, not carried");
        let (index, index_size) = add(
            json!({"schemaVersion": 2, "mediaType": media::OCI_INDEX, "manifests": [
                {"mediaType": media::OCI_MANIFEST, "digest": manifest, "size": manifest_size},
                {"mediaType": media::OCI_MANIFEST, "digest": left_out, "size": 7}]})
            .to_string()
            .into_bytes(),
        );
        let mut listed: Vec<BlobRef> = blobs
            .iter()
            .map(|(d, b)| BlobRef {
                digest: d.clone(),
                size: b.len() as u64,
            })
            .collect();
        listed.sort();
        let m = BundleManifest {
            schema_version: 1,
            media_type: BUNDLE_MANIFEST_MEDIA_TYPE.into(),
            kind: BundleKind::Full,
            created: "2026-11-01T12:00:00Z".into(),
            generator: "test".into(),
            lock_digest: Digest::of_bytes(b"lock"),
            profiles: vec![ProfileEntry {
                name: "p".into(),
                version: "1.0.0".into(),
                profile_type: "add-on".into(),
                layers: vec![],
                definition: Some(BlobRef {
                    digest: definition,
                    size: definition_size,
                }),
            }],
            artifacts: vec![Artifact {
                kind: ArtifactKind::Image,
                reference: "docker.io/library/app:1.0".into(),
                repository: "docker.io/library/app".into(),
                tag: Some("1.0".into()),
                digest: index,
                media_type: media::OCI_INDEX.into(),
                size: index_size,
                platforms: vec![],
                omitted_children: vec![OmittedChild {
                    digest: left_out,
                    platform: "linux/arm64".into(),
                }],
                attached: vec![],
                provenance: vec![Provenance {
                    profile: "p".into(),
                    layer: "l".into(),
                    origin: "test".into(),
                }],
            }],
            index: BlobRef {
                digest: Digest::of_bytes(b"index.json"),
                size: 10,
            },
            blobs: listed,
            external_blobs: vec![],
        };
        (blobs, m)
    }

    fn validate(blobs: &HashMap<Digest, Vec<u8>>, m: &BundleManifest) -> Result<(), String> {
        check_manifest(m).map_err(|e| e.to_string())?;
        check_documents::<ValidationError>(m, |d| Ok(OciDocument::parse(d, &blobs[d])?))
            .map_err(|e| e.to_string())
    }

    fn layer() -> Digest {
        Digest::of_bytes(b"layer bytes")
    }

    const DEFINITION: &[u8] =
        br#"{"schemaVersion":1,"name":"p","version":"1.0.0","type":"add-on","layers":[]}"#;

    #[test]
    fn a_sparse_bundle_the_writer_would_write_passes() {
        let (blobs, m) = bundle();
        validate(&blobs, &m).unwrap();
    }

    fn traversal(m: &mut BundleManifest, _: &Digest) {
        m.artifacts[0].repository = "../../etc/passwd".into();
    }
    fn upper_case(m: &mut BundleManifest, _: &Digest) {
        m.artifacts[0].repository = "docker.io/Library/app".into();
    }
    fn long_name(m: &mut BundleManifest, _: &Digest) {
        m.artifacts[0].repository = format!("docker.io/{}", "a".repeat(290));
    }
    fn slash_tag(m: &mut BundleManifest, _: &Digest) {
        m.artifacts[0].tag = Some("1.0/../../x".into());
    }
    fn long_tag(m: &mut BundleManifest, _: &Digest) {
        m.artifacts[0].tag = Some("t".repeat(200));
    }
    fn wrong_media_type(m: &mut BundleManifest, _: &Digest) {
        m.artifacts[0].media_type = media::OCI_MANIFEST.into();
    }
    fn wrong_size(m: &mut BundleManifest, _: &Digest) {
        m.artifacts[0].size += 1;
    }
    fn layer_left_out(m: &mut BundleManifest, layer: &Digest) {
        m.blobs.retain(|b| &b.digest != layer);
    }
    fn child_not_omitted(m: &mut BundleManifest, _: &Digest) {
        m.artifacts[0].omitted_children.clear();
    }
    fn definition_not_listed(m: &mut BundleManifest, _: &Digest) {
        let def = m.profiles[0].definition.clone().unwrap();
        m.blobs.retain(|b| b.digest != def.digest);
    }
    fn definition_external(m: &mut BundleManifest, _: &Digest) {
        let def = m.profiles[0].definition.clone().unwrap();
        m.blobs.retain(|b| b.digest != def.digest);
        m.external_blobs.push(def);
        m.kind = BundleKind::Delta;
    }
    fn definition_resized(m: &mut BundleManifest, _: &Digest) {
        m.profiles[0].definition.as_mut().unwrap().size += 1;
    }
    fn definition_elsewhere(m: &mut BundleManifest, _: &Digest) {
        m.profiles[0].definition.as_mut().unwrap().digest = Digest::of_bytes(b"another");
    }
    fn definition_huge(m: &mut BundleManifest, _: &Digest) {
        let huge = MAX_PROFILE_DEFINITION_SIZE + 1;
        let def = m.profiles[0].definition.as_mut().unwrap();
        def.size = huge;
        let digest = def.digest.clone();
        m.blobs
            .iter_mut()
            .find(|b| b.digest == digest)
            .unwrap()
            .size = huge;
    }

    #[rstest]
    #[case::traversal(
        traversal,
        "repository \"../../etc/passwd\" is not a valid repository name"
    )]
    #[case::upper_case(upper_case, "\"docker.io/Library/app\" is not a valid repository name")]
    #[case::long_name(long_name, "is not a valid repository name")]
    #[case::slash_tag(slash_tag, "tag \"1.0/../../x\" is not a valid tag")]
    #[case::long_tag(long_tag, "is not a valid tag")]
    #[case::wrong_media_type(wrong_media_type, "but artifact docker.io/library/app:1.0 references it as \"application/vnd.oci.image.manifest.v1+json\"")]
    #[case::wrong_size(wrong_size, "artifact docker.io/library/app:1.0 says sha256:")]
    #[case::layer_left_out(
        layer_left_out,
        "which the bundle neither carries nor lists as external"
    )]
    #[case::child_not_omitted(
        child_not_omitted,
        "of artifact docker.io/library/app:1.0 references sha256:"
    )]
    #[case::definition_not_listed(definition_not_listed, "profile p@1.0.0: its definition sha256:")]
    #[case::definition_external(definition_external, "is not a blob the bundle carries")]
    #[case::definition_resized(definition_resized, "bytes, but the bundle lists it as")]
    #[case::definition_elsewhere(definition_elsewhere, "is not a blob the bundle carries")]
    #[case::definition_huge(definition_huge, "are read")]
    fn hostile_manifests_are_refused(
        #[case] spoil: fn(&mut BundleManifest, &Digest),
        #[case] expected: &str,
    ) {
        let (blobs, mut m) = bundle();
        spoil(&mut m, &layer());
        let err = validate(&blobs, &m).unwrap_err();
        assert!(err.contains(expected), "{err}");
    }

    #[test]
    fn a_delta_leaves_external_blobs_to_the_store() {
        let (blobs, mut m) = bundle();
        let layer = layer();
        let i = m.blobs.iter().position(|b| b.digest == layer).unwrap();
        let external = m.blobs.remove(i);
        m.external_blobs.push(external);
        m.kind = BundleKind::Delta;
        validate(&blobs, &m).unwrap();
    }
}
