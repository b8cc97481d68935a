//! Field paths as origins name them, in Kubernetes' own spelling: keys joined by `.`, list
//! items by position (`args[2]`) or, for named items, by name (`containers{app}`, as events'
//! `fieldPath` does), and map keys that are not plain words in brackets (`data[config.yaml]`).

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
    Named(String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FieldPath(Vec<Segment>);

impl FieldPath {
    pub fn key(&self, key: &str) -> FieldPath {
        self.with(Segment::Key(key.to_owned()))
    }

    pub fn index(&self, index: usize) -> FieldPath {
        self.with(Segment::Index(index))
    }

    /// A list item by its `name`, or by position when it has none.
    pub fn item(&self, index: usize, name: Option<&str>) -> FieldPath {
        match name.filter(|n| !n.is_empty()) {
            Some(name) => self.with(Segment::Named(name.to_owned())),
            None => self.index(index),
        }
    }

    /// The keys alone, dot-joined (`spec.build.output`): what a skip rule matches.
    pub fn keys(&self) -> String {
        let keys: Vec<&str> = self
            .0
            .iter()
            .filter_map(|s| match s {
                Segment::Key(k) => Some(k.as_str()),
                _ => None,
            })
            .collect();
        keys.join(".")
    }

    fn with(&self, segment: Segment) -> FieldPath {
        let mut segments = self.0.clone();
        segments.push(segment);
        FieldPath(segments)
    }
}

fn plain_word(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if plain_word(key) => {
                    if position > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(key)?;
                }
                Segment::Key(key) => write!(f, "[{key}]")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
                Segment::Named(name) => write!(f, "{{{name}}}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_like_kubernetes_field_paths() {
        let root = FieldPath::default();
        let spec = root.key("spec").key("template").key("spec");
        let container = spec.key("containers").item(0, Some("app"));
        assert_eq!(
            container.key("image").to_string(),
            "spec.template.spec.containers{app}.image"
        );
        assert_eq!(
            container.key("args").index(2).to_string(),
            "spec.template.spec.containers{app}.args[2]"
        );
        assert_eq!(
            spec.key("containers").item(1, None).to_string(),
            "spec.template.spec.containers[1]"
        );
        assert_eq!(
            root.key("data").key("config.yaml").to_string(),
            "data[config.yaml]"
        );
        assert_eq!(container.keys(), "spec.template.spec.containers");
    }
}
