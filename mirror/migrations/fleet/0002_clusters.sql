-- Clusters, their labels, groups (named label selectors) and the clusters' credentials.
-- A deregistered cluster keeps its row (deregistered_at set) and its labels, so its history
-- (revisions, reports, audit) still names it; only its credential row is deleted.
CREATE TABLE IF NOT EXISTS clusters (
    name                    TEXT   PRIMARY KEY,
    registered_at           BIGINT NOT NULL,
    deregistered_at         BIGINT,
    report_interval_seconds BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS cluster_labels (
    cluster TEXT NOT NULL,
    key     TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (cluster, key)
);
CREATE INDEX IF NOT EXISTS cluster_labels_by_key ON cluster_labels (key, value);
CREATE TABLE IF NOT EXISTS groups (
    name       TEXT   PRIMARY KEY,
    selector   TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
-- Only the hex sha256 of the secret: the secret itself is shown once, at registration.
CREATE TABLE IF NOT EXISTS cluster_credentials (
    cluster       TEXT   PRIMARY KEY,
    secret_sha256 TEXT   NOT NULL,
    created_at    BIGINT NOT NULL
);
