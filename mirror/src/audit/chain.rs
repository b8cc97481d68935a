//! The hash chain: canonical JSON and how an entry's hash is computed.
//!
//! `hash = sha256_hex(prev_hash || canonical_json([seq, at, actor, action, subject, detail]))`,
//! where `prev_hash` is the previous entry's hash as 64 lower-case hex characters (64 zeros for
//! the first entry). Canonical JSON has object keys sorted by their UTF-8 bytes and no
//! whitespace, so the same content always hashes the same, whoever wrote it.

use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields an entry's hash covers, besides the previous hash.
#[derive(Debug, Clone, Copy)]
pub struct Content<'a> {
    pub seq: i64,
    pub at: &'a str,
    pub actor: &'a str,
    pub action: &'a str,
    pub subject: &'a str,
    pub detail: &'a Value,
}

/// The entry hash, lower-case hex.
pub fn entry_hash(prev_hash: &str, content: &Content<'_>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(encode(content).as_bytes());
    hex::encode(hasher.finalize())
}

/// The canonical encoding of an entry's content.
pub fn encode(c: &Content<'_>) -> String {
    let mut out = String::new();
    out.push('[');
    out.push_str(&c.seq.to_string());
    for field in [c.at, c.actor, c.action, c.subject] {
        out.push(',');
        push_string(&mut out, field);
    }
    out.push(',');
    push_canonical(&mut out, c.detail);
    out.push(']');
    out
}

/// `value` as canonical JSON.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    push_canonical(&mut out, value);
    out
}

fn push_canonical(out: &mut String, value: &Value) {
    match value {
        Value::Object(map) => {
            // Sorted here rather than relying on serde_json's map type, which depends on features.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_string(out, k);
                out.push(':');
                push_canonical(out, v);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_canonical(out, v);
            }
            out.push(']');
        }
        // Scalars: serde_json's compact form is already unique for a given value.
        scalar => out.push_str(&scalar.to_string()),
    }
}

fn push_string(out: &mut String, s: &str) {
    out.push_str(&Value::String(s.to_owned()).to_string());
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_at_every_level_without_whitespace() {
        let v = json!({"b": 1, "a": {"z": [true, null, "x"], "y": "é\n"}});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"y":"é\n","z":[true,null,"x"]},"b":1}"#
        );
    }

    #[test]
    fn hash_covers_every_field_and_the_previous_hash() {
        let detail = json!({"k": "v"});
        let base = Content {
            seq: 1,
            at: "2026-01-01T00:00:00Z",
            actor: "cli:0",
            action: "gc",
            subject: "store",
            detail: &detail,
        };
        let h = entry_hash(GENESIS, &base);
        assert_eq!(h.len(), 64);
        let other_detail = json!({"k": "w"});
        let variants = [
            Content { seq: 2, ..base },
            Content {
                at: "2026-01-01T00:00:01Z",
                ..base
            },
            Content {
                actor: "cli:1",
                ..base
            },
            Content {
                action: "gc2",
                ..base
            },
            Content {
                subject: "store2",
                ..base
            },
            Content {
                detail: &other_detail,
                ..base
            },
        ];
        for v in &variants {
            assert_ne!(entry_hash(GENESIS, v), h, "{v:?}");
        }
        assert_ne!(entry_hash(&"1".repeat(64), &base), h);
        // Field boundaries are unambiguous: moving a character between fields changes the hash.
        let shifted = Content {
            actor: "cli:0g",
            action: "c",
            ..base
        };
        assert_ne!(entry_hash(GENESIS, &shifted), h);
    }
}
