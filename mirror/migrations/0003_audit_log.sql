-- ferry store schema, version 3 (additive).
-- Tamper-evident audit log: every entry's hash covers the previous entry's hash and its own content
-- (see mirror/src/audit/chain.rs), so editing, removing, inserting or reordering entries breaks the
-- chain. Rows are only ever appended; `seq` is 1, 2, 3, ... without gaps.
CREATE TABLE IF NOT EXISTS audit_log (
    seq        BIGINT PRIMARY KEY,
    -- RFC 3339 UTC, seconds precision (YYYY-MM-DDTHH:MM:SSZ), so text order is time order
    at         TEXT   NOT NULL,
    actor      TEXT   NOT NULL,
    action     TEXT   NOT NULL,
    subject    TEXT   NOT NULL,
    -- canonical JSON (sorted keys, no whitespace)
    detail     TEXT   NOT NULL,
    prev_hash  TEXT   NOT NULL,
    hash       TEXT   NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_by_at ON audit_log (at);
