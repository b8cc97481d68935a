use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::ProfileError;
use super::model::{Profile, Source};
use super::validate::validate;
use crate::discover::{yaml_error_message, yaml_error_position};

impl Profile {
    /// Reads, parses and validates one profile file and resolves its relative paths.
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut profile = Profile::parse(path, &text)?;
        let base = path.parent().unwrap_or(Path::new("."));
        resolve_paths(&mut profile, base);
        profile.source_file = path.to_path_buf();
        Ok(profile)
    }

    /// Parses and validates profile text; `path` is only used to name errors. Paths stay as written.
    pub fn parse(path: &Path, text: &str) -> Result<Profile, ProfileError> {
        // A layer's `set:` is values as a values file gives them, so its untyped scalars are
        // read as Helm reads values (YAML 1.1: `010` is 8, `off` false); typed fields are not
        // affected.
        let options = ferry_gotmpl::helm::yaml11_options(serde_saphyr::Options::default());
        let profile: Profile =
            serde_saphyr::from_str_with_options(text, options).map_err(|err| {
                let (line, column) = yaml_error_position(&err);
                ProfileError::Parse {
                    path: path.to_path_buf(),
                    line,
                    column,
                    message: yaml_error_message(&err),
                }
            })?;
        validate(&profile).map_err(|message| ProfileError::Invalid {
            path: path.to_path_buf(),
            message,
        })?;
        Ok(profile)
    }
}

/// Loads every `*.yaml`/`*.yml` file of `dir` (not recursive), sorted by file name.
/// Two files declaring the same profile name are an error.
pub fn load_dir(dir: &Path) -> Result<Vec<Profile>, ProfileError> {
    let read_err = |source| ProfileError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut files: Vec<PathBuf> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        let is_yaml = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        );
        if is_yaml && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut profiles = Vec::with_capacity(files.len());
    for file in files {
        let profile = Profile::load(&file)?;
        if let Some(first) = seen.get(&profile.name) {
            return Err(ProfileError::DuplicateName {
                name: profile.name,
                first: first.clone(),
                second: file,
            });
        }
        seen.insert(profile.name.clone(), file);
        profiles.push(profile);
    }
    Ok(profiles)
}

fn resolve_paths(profile: &mut Profile, base: &Path) {
    let join = |p: &mut PathBuf| {
        if p.is_relative() {
            *p = base.join(&*p);
        }
    };
    for layer in &mut profile.layers {
        for source in &mut layer.sources {
            match source {
                Source::Chart(chart) => {
                    chart.path.iter_mut().for_each(join);
                    chart.values.iter_mut().for_each(join);
                }
                Source::Manifests(manifests) => manifests.files.iter_mut().for_each(join),
                Source::Pack(pack) => pack.path.iter_mut().for_each(join),
                Source::Files(files) => files
                    .iter_mut()
                    .for_each(|f| f.path.iter_mut().for_each(join)),
                Source::Images(_) => {}
            }
        }
    }
}
