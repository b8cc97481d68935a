-- fleet schema: agent reports, what runs where, and the index of what each cluster should run.

-- The latest report of each cluster, with what ingest derived from it (so the fleet status is
-- one row per cluster, not a parse of every report).
CREATE TABLE IF NOT EXISTS cluster_reports (
    cluster            TEXT   PRIMARY KEY,
    sequence           BIGINT NOT NULL,
    received_at        BIGINT NOT NULL,
    interval_seconds   BIGINT NOT NULL,
    -- The desired revision whose artifact the GitOps tool last applied, and its digest.
    applied_revision   BIGINT NULL,
    applied_digest     TEXT   NULL,
    source_verified    BIGINT NULL,
    -- 1 when nothing below is wrong.
    ready              BIGINT NOT NULL,
    -- A GitOps object Ready=False, or a container of the applied state crash-looping.
    failed             BIGINT NOT NULL,
    -- Containers of the applied state not ready yet (restarts below the crash-loop threshold).
    converging         BIGINT NOT NULL,
    -- A running image of a repository the applied state names, at another digest.
    modified           BIGINT NOT NULL,
    -- Why it is failed, for listings (NULL when it is not).
    failure            TEXT   NULL,
    -- sha256 over the sorted running image rows: an unchanged set is not rewritten.
    images_hash        TEXT   NOT NULL,
    report             TEXT   NOT NULL
);

-- One row per container of the latest report. repository and digest come from the container's
-- imageID (what the node pulled), normalised; reference is the pod spec's image as written.
CREATE TABLE IF NOT EXISTS running_images (
    cluster     TEXT   NOT NULL,
    repository  TEXT   NOT NULL,
    tag         TEXT   NULL,
    reference   TEXT   NOT NULL,
    digest      TEXT   NULL,
    namespace   TEXT   NOT NULL,
    pod         TEXT   NOT NULL,
    container   TEXT   NOT NULL,
    ready       BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS running_images_by_cluster ON running_images (cluster);
CREATE INDEX IF NOT EXISTS running_images_by_digest ON running_images (digest);
CREATE INDEX IF NOT EXISTS running_images_by_repository ON running_images (repository, tag);

-- Every (cluster, sequence) accepted: a repeat is answered as a duplicate, not stored twice.
CREATE TABLE IF NOT EXISTS report_receipts (
    cluster      TEXT   NOT NULL,
    sequence     BIGINT NOT NULL,
    received_at  BIGINT NOT NULL,
    PRIMARY KEY (cluster, sequence)
);

-- The images of each cluster's current desired revision, by layer, read out of
-- desired_revisions (inputs and images JSON) once per revision so that queries are index
-- lookups. desired_indexed says which revision a cluster's rows are of.
CREATE TABLE IF NOT EXISTS desired_indexed (
    cluster   TEXT   PRIMARY KEY,
    revision  BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS desired_images (
    cluster     TEXT   NOT NULL,
    revision    BIGINT NOT NULL,
    profile     TEXT   NULL,
    layer       TEXT   NULL,
    repository  TEXT   NOT NULL,
    tag         TEXT   NULL,
    reference   TEXT   NOT NULL,
    digest      TEXT   NOT NULL
);
CREATE INDEX IF NOT EXISTS desired_images_by_cluster ON desired_images (cluster);
CREATE INDEX IF NOT EXISTS desired_images_by_digest ON desired_images (digest);
CREATE INDEX IF NOT EXISTS desired_images_by_repository ON desired_images (repository, tag);
-- The profile revisions each cluster's current desired revision was rendered from.
CREATE TABLE IF NOT EXISTS desired_profiles (
    cluster   TEXT   NOT NULL,
    profile   TEXT   NOT NULL,
    version   TEXT   NOT NULL,
    revision  BIGINT NOT NULL,
    PRIMARY KEY (cluster, profile)
);
CREATE INDEX IF NOT EXISTS desired_profiles_by_profile ON desired_profiles (profile, version);
