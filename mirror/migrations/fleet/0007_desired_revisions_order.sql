-- desired_revisions again, with its large JSON columns last and `images` before `inputs`.
-- SQLite reaches a column stored past a large value by walking that value's overflow pages, so
-- the fleet status (which reads created_at) and report ingest (which reads images) paid for
-- reading every revision's inputs. Same columns, same keys; only their order changes.
CREATE TABLE desired_revisions_reordered (
    cluster     TEXT   NOT NULL,
    revision    BIGINT NOT NULL,
    digest      TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    actor       TEXT   NOT NULL,
    images      TEXT   NOT NULL,
    inputs      TEXT   NOT NULL,
    PRIMARY KEY (cluster, revision)
);
INSERT INTO desired_revisions_reordered (cluster, revision, digest, created_at, actor, images, inputs)
    SELECT cluster, revision, digest, created_at, actor, images, inputs FROM desired_revisions;
DROP TABLE desired_revisions;
ALTER TABLE desired_revisions_reordered RENAME TO desired_revisions;
CREATE INDEX IF NOT EXISTS desired_revisions_by_digest ON desired_revisions (digest);
CREATE INDEX IF NOT EXISTS desired_revisions_by_cluster_digest ON desired_revisions (cluster, digest);
