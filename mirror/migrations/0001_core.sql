-- ferry store schema, version 1.
-- Portable SQL on purpose (TEXT, BIGINT, no SQLite-only types or upserts beyond ON CONFLICT),
-- so the same statements can run on PostgreSQL when the store scales out.
-- Blobs themselves are files under blobs/sha256/; the filesystem is the truth for which blobs exist.

CREATE TABLE IF NOT EXISTS repositories (
    name        TEXT PRIMARY KEY,
    created_at  BIGINT NOT NULL
);

-- Every manifest or index the store serves, with its exact stored bytes in blobs/.
CREATE TABLE IF NOT EXISTS manifests (
    repository     TEXT   NOT NULL REFERENCES repositories(name),
    digest         TEXT   NOT NULL,
    media_type     TEXT   NOT NULL,
    size           BIGINT NOT NULL,
    artifact_type  TEXT,
    -- digest of the manifest this one refers to (OCI subject), for the referrers API
    subject        TEXT,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (repository, digest)
);
CREATE INDEX IF NOT EXISTS manifests_by_subject ON manifests (repository, subject);

-- What a manifest points at: config, layers, or child manifests of an index. GC roots follow these.
-- `present` is 0 for children deliberately left out of a sparse index.
CREATE TABLE IF NOT EXISTS manifest_refs (
    repository   TEXT    NOT NULL,
    manifest     TEXT    NOT NULL,
    child        TEXT    NOT NULL,
    present      INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (repository, manifest, child)
);
CREATE INDEX IF NOT EXISTS manifest_refs_by_child ON manifest_refs (child);

CREATE TABLE IF NOT EXISTS tags (
    repository  TEXT   NOT NULL REFERENCES repositories(name),
    tag         TEXT   NOT NULL,
    digest      TEXT   NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (repository, tag)
);

-- Bundles imported into the store. `manifest_digest` is the digest of ferry-bundle.json, whose bytes
-- are also kept as a blob so the import can be audited later.
CREATE TABLE IF NOT EXISTS bundles (
    manifest_digest  TEXT   PRIMARY KEY,
    created          TEXT   NOT NULL,
    generator        TEXT   NOT NULL,
    signer           TEXT,
    total_size       BIGINT NOT NULL,
    imported_at      BIGINT NOT NULL,
    retired_at       BIGINT
);

-- The artifacts each bundle brought: they keep their manifests (and so their blobs) alive until retired.
CREATE TABLE IF NOT EXISTS bundle_artifacts (
    bundle      TEXT NOT NULL REFERENCES bundles(manifest_digest),
    kind        TEXT NOT NULL,
    reference   TEXT NOT NULL,
    repository  TEXT NOT NULL,
    tag         TEXT,
    digest      TEXT NOT NULL,
    PRIMARY KEY (bundle, reference)
);

-- Import history: every attempt, successful or not.
CREATE TABLE IF NOT EXISTS imports (
    id               INTEGER PRIMARY KEY,
    bundle_path      TEXT   NOT NULL,
    manifest_digest  TEXT,
    started_at       BIGINT NOT NULL,
    finished_at      BIGINT,
    outcome          TEXT   NOT NULL,
    message          TEXT
);
