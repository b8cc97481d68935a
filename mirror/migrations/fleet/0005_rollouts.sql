-- fleet schema: rollouts (mirror/src/fleet/rollout). A rollout's spec is frozen at start;
-- state is Pending | Progressing | Paused | Failed | Succeeded | RolledBack, wave 1-based.
CREATE TABLE rollouts (
    id BIGINT PRIMARY KEY,
    profile TEXT NOT NULL,
    target TEXT NOT NULL,
    waves TEXT NOT NULL,
    max_unavailable BIGINT NOT NULL,
    gate_timeout_seconds BIGINT NOT NULL,
    maintenance_window TEXT,
    state TEXT NOT NULL,
    wave BIGINT,
    wave_count BIGINT NOT NULL,
    wave_started_at BIGINT,
    gate_deadline BIGINT,
    reason TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX rollouts_by_state ON rollouts (state);

-- The targets, resolved and ordered by name at start. previous_* is what the cluster ran
-- before the rollout touched it (for rollback); new_* what its wave published;
-- state is Pending | Updated | Failed | RolledBack.
CREATE TABLE rollout_clusters (
    rollout BIGINT NOT NULL,
    cluster TEXT NOT NULL,
    wave BIGINT NOT NULL,
    ordinal BIGINT NOT NULL,
    previous_assignment TEXT NOT NULL,
    previous_revision BIGINT,
    previous_digest TEXT,
    new_revision BIGINT,
    new_digest TEXT,
    rollback_digest TEXT,
    state TEXT NOT NULL,
    gate TEXT,
    note TEXT,
    PRIMARY KEY (rollout, cluster)
);
CREATE INDEX rollout_clusters_by_cluster ON rollout_clusters (cluster);
