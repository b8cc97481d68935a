//! A cluster's running containers as one document (`running_docs.doc`), grouped by image key.
//!
//! Which clusters run an image is answered by the key sets (`query::keys`); the containers are
//! only read for the clusters a page holds, and a cluster's status. One document per cluster
//! makes a report's containers one row to write instead of a row and index entries per
//! container, and a reader parses only the groups of the keys it asks about.
//!
//! The document is a JSON array of `[repository, tag, digest, [[reference, namespace, pod,
//! container, ready], …]]`, in key order, tag and digest `""` when absent.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::de::{DeserializeSeed, IgnoredAny, SeqAccess, Visitor};

use super::images::RunningImage;

/// (repository, tag, digest), tag and digest `""` when absent.
pub type Key = (String, String, String);

/// One container of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    pub reference: String,
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub ready: bool,
}

/// The document of `rows`.
pub fn document(rows: &[RunningImage]) -> String {
    type Entry<'a> = (&'a str, &'a str, &'a str, &'a str, bool);
    let mut groups: BTreeMap<(&str, &str, &str), Vec<Entry<'_>>> = BTreeMap::new();
    for r in rows {
        let key = (
            r.repository.as_str(),
            r.tag.as_deref().unwrap_or_default(),
            r.digest.as_deref().unwrap_or_default(),
        );
        groups.entry(key).or_default().push((
            &r.reference,
            &r.namespace,
            &r.pod,
            &r.container,
            r.ready,
        ));
    }
    let doc: Vec<_> = groups
        .into_iter()
        .map(|((repository, tag, digest), containers)| (repository, tag, digest, containers))
        .collect();
    serde_json::to_string(&doc).expect("strings and booleans serialise")
}

/// The containers of `doc` under the keys `wanted` selects (all of them with `None`). The other
/// groups are skipped unparsed. A document that is not one (ingest wrote it) reads as no
/// containers rather than failing a query.
pub fn read(doc: &str, wanted: Option<&BTreeSet<Key>>) -> Vec<(Key, Vec<Container>)> {
    let mut de = serde_json::Deserializer::from_str(doc);
    Groups { wanted }.deserialize(&mut de).unwrap_or_default()
}

struct Groups<'w> {
    wanted: Option<&'w BTreeSet<Key>>,
}

impl<'de> DeserializeSeed<'de> for Groups<'_> {
    type Value = Vec<(Key, Vec<Container>)>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Groups<'_> {
    type Value = Vec<(Key, Vec<Container>)>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of container groups")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(group) = seq.next_element_seed(Group {
            wanted: self.wanted,
        })? {
            out.extend(group);
        }
        Ok(out)
    }
}

/// A container as stored: reference, namespace, pod, container, ready.
type Stored<'a> = (Cow<'a, str>, Cow<'a, str>, Cow<'a, str>, Cow<'a, str>, bool);

struct Group<'w> {
    wanted: Option<&'w BTreeSet<Key>>,
}

impl<'de> DeserializeSeed<'de> for Group<'_> {
    type Value = Option<(Key, Vec<Container>)>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Group<'_> {
    type Value = Option<(Key, Vec<Container>)>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("[repository, tag, digest, containers]")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        fn missing<E: serde::de::Error>() -> E {
            E::custom("a container group is short")
        }
        let key = {
            let mut field = || -> Result<String, A::Error> {
                Ok(seq
                    .next_element::<Cow<'de, str>>()?
                    .ok_or_else(missing)?
                    .into_owned())
            };
            (field()?, field()?, field()?)
        };
        if self.wanted.is_some_and(|w| !w.contains(&key)) {
            seq.next_element::<IgnoredAny>()?;
            return Ok(None);
        }
        let containers: Vec<Stored<'de>> = seq.next_element()?.ok_or_else(missing)?;
        let containers = containers
            .into_iter()
            .map(|(reference, namespace, pod, container, ready)| Container {
                reference: reference.into_owned(),
                namespace: namespace.into_owned(),
                pod: pod.into_owned(),
                container: container.into_owned(),
                ready,
            })
            .collect();
        Ok(Some((key, containers)))
    }
}

/// Migration 0011's step: every cluster's rows of `running_images` as its document, then the
/// table dropped. A cluster at a time, so that memory follows one cluster, not the fleet.
pub(crate) async fn from_rows(
    conn: &mut sqlx::AnyConnection,
) -> Result<(), crate::fleet::FleetError> {
    type Row = (
        String,
        Option<String>,
        String,
        Option<String>,
        String,
        String,
        String,
        i64,
    );
    let clusters: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT cluster FROM running_images ORDER BY cluster")
            .fetch_all(&mut *conn)
            .await?;
    for cluster in clusters {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT repository, tag, reference, digest, namespace, pod, container, ready
             FROM running_images WHERE cluster = $1",
        )
        .bind(&cluster)
        .fetch_all(&mut *conn)
        .await?;
        let rows: Vec<RunningImage> = rows
            .into_iter()
            .map(
                |(repository, tag, reference, digest, namespace, pod, container, ready)| {
                    RunningImage {
                        repository,
                        tag,
                        reference,
                        digest,
                        namespace,
                        pod,
                        container,
                        ready: ready != 0,
                        restarts: 0,
                        init: false,
                    }
                },
            )
            .collect();
        sqlx::query("INSERT INTO running_docs (cluster, doc) VALUES ($1, $2)")
            .bind(&cluster)
            .bind(document(&rows))
            .execute(&mut *conn)
            .await?;
    }
    sqlx::raw_sql("DROP TABLE running_images")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A group's key as a wanted-set member.
pub fn key(repository: &str, tag: &str, digest: &str) -> Key {
    (repository.to_owned(), tag.to_owned(), digest.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(repository: &str, tag: Option<&str>, digest: Option<&str>, pod: &str) -> RunningImage {
        RunningImage {
            repository: repository.into(),
            tag: tag.map(Into::into),
            reference: format!("{repository}:{}", tag.unwrap_or("latest")),
            digest: digest.map(Into::into),
            namespace: "apps".into(),
            pod: pod.into(),
            container: "main".into(),
            ready: pod != "b",
            restarts: 0,
            init: false,
        }
    }

    #[test]
    fn a_document_gives_back_its_groups_all_or_those_asked_for() {
        let rows = [
            row("r/x", Some("1"), Some("sha256:a"), "a"),
            row("r/x", Some("1"), Some("sha256:a"), "b"),
            row("r/y", None, None, "c \"quoted\""),
        ];
        let doc = document(&rows);
        let all = read(&doc, None);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].0, key("r/x", "1", "sha256:a"));
        assert_eq!(all[0].1.len(), 2);
        assert!(!all[0].1[1].ready);
        assert_eq!(all[1].0, key("r/y", "", ""));
        assert_eq!(all[1].1[0].pod, "c \"quoted\"");
        let wanted = [key("r/y", "", "")].into();
        let some = read(&doc, Some(&wanted));
        assert_eq!(some.len(), 1);
        assert_eq!(some[0].0, key("r/y", "", ""));
        assert!(read("not json", None).is_empty());
    }
}
