//! The sequence number on disk: it starts at 1, survives restarts, and is not shared by
//! mistake between clusters.

use ferry_agent::state::{SequenceState, StateError};

#[test]
fn sequences_start_at_one_and_survive_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agent.state");
    let state = SequenceState::new(&path, "edge-07");
    assert_eq!(state.last().unwrap(), 0);
    assert_eq!(state.advance().unwrap(), 1);
    assert_eq!(state.advance().unwrap(), 2);
    drop(state);
    // A new process: a fresh value read from the file.
    let restarted = SequenceState::new(&path, "edge-07");
    assert_eq!(restarted.last().unwrap(), 2);
    assert_eq!(restarted.advance().unwrap(), 3);
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(
        doc,
        serde_json::json!({"cluster": "edge-07", "lastSequence": 3})
    );
    // The replace leaves no temp files behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["agent.state"]);
}

#[test]
fn the_state_directory_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("var/lib/ferry/agent.state");
    assert_eq!(SequenceState::new(&path, "edge-07").advance().unwrap(), 1);
    assert!(path.exists());
}

#[test]
fn another_clusters_state_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agent.state");
    SequenceState::new(&path, "edge-07").advance().unwrap();
    let err = SequenceState::new(&path, "edge-09").advance().unwrap_err();
    assert!(matches!(err, StateError::OtherCluster { .. }));
    assert_eq!(
        err.to_string(),
        format!(
            "sequence state file {} belongs to cluster edge-07, not edge-09: give each cluster's agent its own --state",
            path.display()
        )
    );
    // Refused without being overwritten.
    assert_eq!(SequenceState::new(&path, "edge-07").last().unwrap(), 1);
}

#[test]
fn a_damaged_state_file_is_refused_not_reset() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agent.state");
    std::fs::write(&path, b"{\"cluster\": \"edge-07\", \"lastSeq").unwrap();
    let err = SequenceState::new(&path, "edge-07").advance().unwrap_err();
    assert!(matches!(err, StateError::Parse { .. }));
    assert!(err.to_string().starts_with(&format!(
        "sequence state file {} is not ferry agent state: ",
        path.display()
    )));
}

#[test]
fn the_default_state_file_is_beside_the_credential() {
    assert_eq!(
        SequenceState::default_path(std::path::Path::new("/etc/ferry/credential")),
        std::path::PathBuf::from("/etc/ferry/credential.state")
    );
}
