-- fleet schema: each cluster's published desired states.
-- A revision is one publish of `fleet/<cluster>`: the artifact digest, the inputs that made it
-- (secret variables as hashes only), the images it pins and who published it. A rollback that
-- restores earlier inputs gives the earlier digest again, recorded as a new revision.
CREATE TABLE IF NOT EXISTS desired_revisions (
    cluster     TEXT   NOT NULL,
    revision    BIGINT NOT NULL,
    digest      TEXT   NOT NULL,
    inputs      TEXT   NOT NULL,
    images      TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    actor       TEXT   NOT NULL,
    PRIMARY KEY (cluster, revision)
);
CREATE INDEX IF NOT EXISTS desired_revisions_by_digest ON desired_revisions (digest);
-- What the moving tag `current` of `fleet/<cluster>` points at.
CREATE TABLE IF NOT EXISTS desired_current (
    cluster   TEXT   PRIMARY KEY,
    revision  BIGINT NOT NULL,
    digest    TEXT   NOT NULL
);
