//! Checking the chain: the first entry that was edited, removed, inserted or moved, and (with an
//! anchor written down earlier) whether entries were cut off the end.

use futures_util::TryStreamExt;
use serde::Serialize;

use super::chain::{canonical_json, entry_hash, Content, GENESIS};
use super::{stream_rows, AuditError, Head, Row};

/// A head an operator recorded earlier: a hash, optionally with its seq (`SEQ:HASH`, as
/// `ferry audit show` prints it), which pins down where it must be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub seq: Option<i64>,
    pub hash: String,
}

impl std::str::FromStr for Anchor {
    type Err = AuditError;

    fn from_str(s: &str) -> Result<Self, AuditError> {
        let bad = || AuditError::BadAnchor(s.to_owned());
        let (seq, hash) = match s.split_once(':') {
            Some((seq, hash)) => (Some(seq.parse::<i64>().map_err(|_| bad())?), hash),
            None => (None, s),
        };
        let is_hex = hash.len() == 64
            && hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !is_hex || seq.is_some_and(|n| n < 1) {
            return Err(bad());
        }
        Ok(Self {
            seq,
            hash: hash.to_owned(),
        })
    }
}

/// The first problem found; `seq` is the first entry that is wrong or missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tamper {
    pub seq: i64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainReport {
    /// Entries checked (up to the first problem).
    pub entries_checked: u64,
    /// The newest entry; `None` for an empty log.
    pub head: Option<Head>,
    pub tamper: Option<Tamper>,
}

impl ChainReport {
    pub fn is_ok(&self) -> bool {
        self.tamper.is_none()
    }
}

/// Walks the whole log in seq order, re-deriving every hash. With `anchor`, also requires that
/// entry to still be in the chain unchanged.
pub async fn verify(
    db: &sqlx::SqlitePool,
    anchor: Option<&Anchor>,
) -> Result<ChainReport, AuditError> {
    verify_rows(stream_rows(db), anchor).await
}

/// The walk itself, over rows in seq order from either backend ([`verify`], and
/// [`super::verify_any`] for a fleet database that is not the store's file).
pub(crate) async fn verify_rows(
    rows: impl futures_util::Stream<Item = Result<Row, AuditError>>,
    anchor: Option<&Anchor>,
) -> Result<ChainReport, AuditError> {
    let mut rows = std::pin::pin!(rows);
    let mut expected_seq = 1i64;
    let mut prev_hash = GENESIS.to_owned();
    let mut checked = 0u64;
    let mut anchor_found = false;
    let mut tamper = None;
    while let Some((seq, at, actor, action, subject, detail, stored_prev, hash)) =
        rows.try_next().await?
    {
        if let Some(problem) = check_entry(
            expected_seq,
            &prev_hash,
            seq,
            (&at, &actor, &action, &subject, &detail),
            &stored_prev,
            &hash,
        ) {
            tamper = Some(problem);
            break;
        }
        if let Some(a) = anchor {
            if a.seq == Some(seq) && a.hash != hash {
                tamper = Some(Tamper {
                    seq,
                    reason: format!(
                        "entry {seq} has hash {hash} but the anchor says {}: the log was rewritten",
                        a.hash
                    ),
                });
                break;
            }
            anchor_found |= a.hash == hash;
        }
        checked += 1;
        expected_seq = seq + 1;
        prev_hash = hash;
    }
    let head = (checked > 0 && tamper.is_none()).then(|| Head {
        seq: expected_seq - 1,
        hash: prev_hash.clone(),
    });
    if tamper.is_none() {
        if let Some(a) = anchor.filter(|_| !anchor_found) {
            let last = expected_seq - 1;
            let ends = if last == 0 {
                "the log is empty".to_owned()
            } else {
                format!("the log ends at entry {last}")
            };
            let reason = match a.seq {
                Some(s) => format!(
                    "{ends} but the anchor is entry {s}: entries {expected_seq}..={s} were removed from the end"
                ),
                None => format!(
                    "the anchor hash {} is not in the log ({ends}): entries were removed from the end (or the log was rewritten)",
                    a.hash
                ),
            };
            tamper = Some(Tamper {
                seq: expected_seq,
                reason,
            });
        }
    }
    Ok(ChainReport {
        entries_checked: checked,
        head,
        tamper,
    })
}

/// One row against what the chain so far says it must be.
fn check_entry(
    expected_seq: i64,
    prev_hash: &str,
    seq: i64,
    (at, actor, action, subject, detail): (&str, &str, &str, &str, &str),
    stored_prev: &str,
    hash: &str,
) -> Option<Tamper> {
    let bad = |seq: i64, reason: String| Some(Tamper { seq, reason });
    if seq > expected_seq {
        return bad(
            expected_seq,
            format!("entry {expected_seq} is missing (the next entry is {seq})"),
        );
    }
    if seq < expected_seq {
        return bad(
            seq,
            format!("entry {seq} is out of sequence (expected {expected_seq})"),
        );
    }
    if stored_prev != prev_hash {
        let what = if seq == 1 {
            "the chain's start".to_owned()
        } else {
            format!("entry {}", seq - 1)
        };
        return bad(
            seq,
            format!("entry {seq} does not follow {what}: its prev_hash is {stored_prev}, expected {prev_hash} (entries were removed, inserted or reordered)"),
        );
    }
    let value: serde_json::Value = match serde_json::from_str(detail) {
        Ok(v) => v,
        Err(e) => return bad(seq, format!("entry {seq} detail is not JSON: {e}")),
    };
    if canonical_json(&value) != detail {
        return bad(
            seq,
            format!("entry {seq} detail is not canonical JSON (it was edited)"),
        );
    }
    let content = Content {
        seq,
        at,
        actor,
        action,
        subject,
        detail: &value,
    };
    let actual = entry_hash(prev_hash, &content);
    if actual != hash {
        return bad(
            seq,
            format!("entry {seq} content does not match its hash (it was edited): stored {hash}, computed {actual}"),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_parse_with_or_without_seq() {
        let h = "a".repeat(64);
        assert_eq!(
            h.parse::<Anchor>().unwrap(),
            Anchor {
                seq: None,
                hash: h.clone()
            }
        );
        assert_eq!(
            format!("12:{h}").parse::<Anchor>().unwrap(),
            Anchor {
                seq: Some(12),
                hash: h.clone()
            }
        );
        for bad in [
            String::new(),
            "a".repeat(63),
            "A".repeat(64),
            format!("0:{h}"),
            format!("x:{h}"),
            format!("{h}:1"),
        ] {
            assert!(bad.parse::<Anchor>().is_err(), "{bad}");
        }
    }
}
