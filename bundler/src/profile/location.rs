//! How a local path is named in the lock, the bundle's provenance and messages: relative to the
//! profile directory and lexically normalised, so neither the working directory, nor the
//! spelling of `-p`, nor the cache's location changes what is locked.

use std::path::{Component, Path, PathBuf};

use super::Profile;

impl Profile {
    /// The directory relative source paths were resolved against.
    pub fn dir(&self) -> &Path {
        self.source_file.parent().unwrap_or(Path::new(""))
    }

    /// `path` (as resolved at load) named relative to the profile directory: `../charts/x` and
    /// `files/a.txt` whatever `-p` was. An absolute path written in the profile stays absolute.
    pub fn location(&self, path: &Path) -> String {
        let rel = path.strip_prefix(self.dir()).unwrap_or(path);
        normalise(rel)
    }
}

/// Lexical normalisation: no `.` components, `a/..` folded, `/` separators. A `..` that climbs
/// out of the start is kept (`../charts`).
pub fn normalise(path: &Path) -> String {
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            other => out.push(other),
        }
    }
    let joined: PathBuf = out.iter().collect();
    match joined.to_string_lossy().into_owned() {
        s if s.is_empty() => ".".to_owned(),
        s => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile_at(file: &str) -> Profile {
        Profile {
            name: "p".into(),
            version: "1".into(),
            profile_type: super::super::ProfileType::AddOn,
            platforms: vec![],
            kube_version: None,
            api_versions: vec![],
            variables: vec![],
            layers: vec![],
            source_file: PathBuf::from(file),
        }
    }

    #[test]
    fn a_location_does_not_depend_on_how_the_profile_directory_was_spelled() {
        for (file, path) in [
            ("td/profiles/a.yaml", "td/profiles/../charts/x"),
            ("./td/profiles/a.yaml", "./td/profiles/../charts/x"),
            ("td//profiles/./a.yaml", "td//profiles/./../charts/./x"),
            ("a.yaml", "../charts/x"),
            ("/abs/td/profiles/a.yaml", "/abs/td/profiles/../charts/x"),
        ] {
            assert_eq!(
                profile_at(file).location(Path::new(path)),
                "../charts/x",
                "{file}"
            );
        }
        assert_eq!(
            profile_at("td/profiles/a.yaml").location(Path::new("td/profiles/files/./a.txt")),
            "files/a.txt"
        );
    }

    #[test]
    fn an_absolute_path_in_a_profile_stays_absolute() {
        assert_eq!(
            profile_at("td/profiles/a.yaml").location(Path::new("/srv/charts/../x.tgz")),
            "/srv/x.tgz"
        );
    }

    #[test]
    fn normalise_keeps_leading_parents_and_folds_the_rest() {
        assert_eq!(normalise(Path::new("../../a/b/../c")), "../../a/c");
        assert_eq!(normalise(Path::new("./")), ".");
        assert_eq!(normalise(Path::new("/../a")), "/a");
    }
}
