//! Hostile edits to the audit log, made the way an intruder with write access to `ferry.db`
//! would (raw SQL), each detected by `verify` at the right entry.

use ferry_mirror::audit::chain::{canonical_json, entry_hash, Content};
use ferry_mirror::audit::{append, head, verify, Anchor, Event, Head};
use ferry_mirror::store::Store;
use rstest::rstest;
use serde_json::{json, Value};

/// A store whose log holds entries 1..=5, and its head.
async fn five_entries(dir: &std::path::Path) -> (Store, Head) {
    let store = Store::open(dir.join("data")).await.unwrap();
    for n in 1..=5 {
        let event = Event::new(
            "cli:1000",
            "test.event",
            format!("thing-{n}"),
            json!({ "n": n }),
        );
        append(store.db(), &event).await.unwrap();
    }
    let h = head(store.db()).await.unwrap().unwrap();
    assert_eq!(h.seq, 5);
    assert!(verify(store.db(), None).await.unwrap().is_ok());
    (store, h)
}

async fn exec(store: &Store, sql: &'static str) {
    sqlx::raw_sql(sql).execute(store.db()).await.unwrap();
}

async fn hash_of(store: &Store, seq: i64) -> String {
    sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = ?")
        .bind(seq)
        .fetch_one(store.db())
        .await
        .unwrap()
}

/// Inserts an entry whose hash is computed exactly as ferry computes it: the strongest forgery
/// someone who knows the (public) algorithm can make.
async fn insert_well_formed(store: &Store, seq: i64, prev_hash: &str, detail: Value) {
    let (at, actor, action, subject) = ("2026-01-01T00:00:00Z", "admin", "test.event", "forged");
    let hash = entry_hash(
        prev_hash,
        &Content {
            seq,
            at,
            actor,
            action,
            subject,
            detail: &detail,
        },
    );
    sqlx::query("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(seq)
        .bind(at)
        .bind(actor)
        .bind(action)
        .bind(subject)
        .bind(canonical_json(&detail))
        .bind(prev_hash)
        .bind(hash)
        .execute(store.db())
        .await
        .unwrap();
}

#[rstest]
#[case::edited_detail("edit-detail", 3, "edited")]
#[case::edited_actor("edit-actor", 2, "edited")]
#[case::edited_time("edit-at", 5, "edited")]
#[case::reformatted_detail("reformat-detail", 4, "canonical")]
#[case::edited_hash_too("edit-hash", 3, "does not follow entry 2")]
#[case::removed_middle("delete-3", 3, "missing")]
#[case::removed_first("delete-1", 1, "missing")]
#[case::swapped("swap-2-4", 2, "does not follow entry 1")]
#[case::forged_at_end_bad_hash("forge-end", 6, "edited")]
#[case::forged_in_middle_bad_hash("forge-middle-naive", 3, "edited")]
#[case::forged_in_middle_well_formed("forge-middle", 4, "does not follow entry 3")]
#[case::zero_seq("seq-zero", 0, "out of sequence")]
#[tokio::test]
async fn every_edit_is_found_at_its_entry(
    #[case] tamper: &str,
    #[case] bad_seq: i64,
    #[case] why: &str,
) {
    let dir = tempfile::tempdir().unwrap();
    let (store, h) = five_entries(dir.path()).await;
    match tamper {
        "edit-detail" => {
            exec(
                &store,
                r#"UPDATE audit_log SET detail = '{"n":99}' WHERE seq = 3"#,
            )
            .await
        }
        "edit-actor" => {
            exec(
                &store,
                "UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2",
            )
            .await
        }
        "edit-at" => {
            exec(
                &store,
                "UPDATE audit_log SET at = '2020-01-01T00:00:00Z' WHERE seq = 5",
            )
            .await
        }
        "reformat-detail" => {
            exec(
                &store,
                r#"UPDATE audit_log SET detail = '{ "n": 4 }' WHERE seq = 4"#,
            )
            .await
        }
        // Changing an entry and its own hash still breaks the link from the next entry.
        "edit-hash" => {
            let detail = json!({ "n": 99 });
            let forged = entry_hash(
                &hash_of(&store, 1).await,
                &Content {
                    seq: 2,
                    at: "2026-01-01T00:00:00Z",
                    actor: "admin",
                    action: "test.event",
                    subject: "forged",
                    detail: &detail,
                },
            );
            sqlx::query("UPDATE audit_log SET at = '2026-01-01T00:00:00Z', actor = 'admin', subject = 'forged', detail = ?, hash = ? WHERE seq = 2")
                .bind(canonical_json(&detail))
                .bind(forged)
                .execute(store.db())
                .await
                .unwrap();
        }
        "delete-3" => exec(&store, "DELETE FROM audit_log WHERE seq = 3").await,
        "delete-1" => exec(&store, "DELETE FROM audit_log WHERE seq = 1").await,
        "swap-2-4" => {
            exec(
                &store,
                "UPDATE audit_log SET seq = -2 WHERE seq = 2;
                 UPDATE audit_log SET seq = 2 WHERE seq = 4;
                 UPDATE audit_log SET seq = 4 WHERE seq = -2;",
            )
            .await
        }
        "forge-end" => {
            sqlx::query("INSERT INTO audit_log VALUES (6, '2026-01-01T00:00:00Z', 'admin', 'test.event', 'forged', '{}', ?, ?)")
                .bind(&h.hash)
                .bind("f".repeat(64))
                .execute(store.db())
                .await
                .unwrap();
        }
        "forge-middle-naive" | "forge-middle" => {
            // Make room at 3 by moving 3..=5 up one.
            exec(
                &store,
                "UPDATE audit_log SET seq = seq + 100 WHERE seq >= 3;
                 UPDATE audit_log SET seq = seq - 99 WHERE seq >= 103;",
            )
            .await;
            let prev = hash_of(&store, 2).await;
            if tamper == "forge-middle" {
                insert_well_formed(&store, 3, &prev, json!({ "n": 3 })).await;
            } else {
                sqlx::query("INSERT INTO audit_log VALUES (3, '2026-01-01T00:00:00Z', 'admin', 'test.event', 'forged', '{}', ?, ?)")
                    .bind(&prev)
                    .bind("0".repeat(64))
                    .execute(store.db())
                    .await
                    .unwrap();
            }
        }
        "seq-zero" => exec(&store, "UPDATE audit_log SET seq = 0 WHERE seq = 1").await,
        other => panic!("unknown case {other}"),
    }
    let report = verify(store.db(), None).await.unwrap();
    let t = report
        .tamper
        .unwrap_or_else(|| panic!("{tamper} went unnoticed"));
    assert_eq!(t.seq, bad_seq, "{tamper}: {}", t.reason);
    assert!(t.reason.contains(why), "{tamper}: {}", t.reason);
    assert!(
        t.reason.contains(&format!("entry {bad_seq}")),
        "{tamper}: {}",
        t.reason
    );
}

#[tokio::test]
async fn truncation_is_found_only_against_a_written_down_head() {
    let dir = tempfile::tempdir().unwrap();
    let (store, h) = five_entries(dir.path()).await;
    let with_seq: Anchor = h.to_string().parse().unwrap();
    let hash_only: Anchor = h.hash.parse().unwrap();
    for anchor in [&with_seq, &hash_only] {
        assert!(verify(store.db(), Some(anchor)).await.unwrap().is_ok());
    }
    // Later entries do not invalidate an older anchor.
    append(
        store.db(),
        &Event::new("cli:1000", "test.event", "six", json!({})),
    )
    .await
    .unwrap();
    assert!(verify(store.db(), Some(&with_seq)).await.unwrap().is_ok());

    exec(&store, "DELETE FROM audit_log WHERE seq >= 4").await;
    // What is left is a valid chain: on its own it cannot tell it was cut short.
    let alone = verify(store.db(), None).await.unwrap();
    assert!(alone.is_ok());
    assert_eq!(alone.head.unwrap().seq, 3);
    for anchor in [&with_seq, &hash_only] {
        let t = verify(store.db(), Some(anchor))
            .await
            .unwrap()
            .tamper
            .unwrap();
        assert_eq!(t.seq, 4, "{}", t.reason);
        assert!(t.reason.contains("removed from the end"), "{}", t.reason);
    }
}

#[tokio::test]
async fn a_recomputed_chain_is_found_against_a_written_down_head() {
    let dir = tempfile::tempdir().unwrap();
    let (store, h) = five_entries(dir.path()).await;
    // Rewrite entry 2 and recompute every hash after it: the chain is consistent again.
    exec(&store, "DELETE FROM audit_log WHERE seq >= 2").await;
    let mut prev = hash_of(&store, 1).await;
    for seq in 2..=5 {
        let n = if seq == 2 { 42 } else { seq };
        insert_well_formed(&store, seq, &prev, json!({ "n": n })).await;
        prev = hash_of(&store, seq).await;
    }
    assert!(verify(store.db(), None).await.unwrap().is_ok());
    let anchor: Anchor = h.to_string().parse().unwrap();
    let t = verify(store.db(), Some(&anchor))
        .await
        .unwrap()
        .tamper
        .unwrap();
    assert_eq!(t.seq, 5, "{}", t.reason);
    assert!(t.reason.contains("rewritten"), "{}", t.reason);
}

#[tokio::test]
async fn an_empty_log_verifies_but_not_against_an_anchor() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("data")).await.unwrap();
    let report = verify(store.db(), None).await.unwrap();
    assert!(report.is_ok() && report.head.is_none() && report.entries_checked == 0);
    let anchor: Anchor = "a".repeat(64).parse().unwrap();
    assert_eq!(
        verify(store.db(), Some(&anchor))
            .await
            .unwrap()
            .tamper
            .unwrap()
            .seq,
        1
    );
}
