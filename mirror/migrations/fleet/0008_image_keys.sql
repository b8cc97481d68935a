-- fleet schema: the image indexes rewritten by difference.
--
-- running_images and desired_images had indexes by digest and by repository with one entry per
-- container or image: a report (or a published revision) rewrote a few hundred entries spread at
-- random over those indexes, one disk page each, even when only pod names changed. Now those two
-- tables are indexed by cluster only (a cluster's rows are neighbours), and the lookups by digest
-- and by repository go through the distinct (repository, tag, digest) keys of each cluster, which
-- ingest and the desired index change by difference. tag and digest are '' when absent.
DROP INDEX IF EXISTS running_images_by_digest;
DROP INDEX IF EXISTS running_images_by_repository;
DROP INDEX IF EXISTS running_images_by_cluster;
CREATE INDEX running_images_by_cluster ON running_images (cluster, repository, tag, digest);
DROP INDEX IF EXISTS desired_images_by_digest;
DROP INDEX IF EXISTS desired_images_by_repository;
DROP INDEX IF EXISTS desired_images_by_cluster;
CREATE INDEX desired_images_by_cluster ON desired_images (cluster, repository, tag, digest);

CREATE TABLE IF NOT EXISTS running_image_keys (
    cluster     TEXT   NOT NULL,
    repository  TEXT   NOT NULL,
    tag         TEXT   NOT NULL,
    digest      TEXT   NOT NULL,
    PRIMARY KEY (cluster, repository, tag, digest)
);
CREATE INDEX IF NOT EXISTS running_image_keys_by_digest ON running_image_keys (digest, cluster);
CREATE INDEX IF NOT EXISTS running_image_keys_by_repository
    ON running_image_keys (repository, tag, cluster);
INSERT INTO running_image_keys (cluster, repository, tag, digest)
    SELECT DISTINCT cluster, repository, COALESCE(tag, ''), COALESCE(digest, '')
    FROM running_images;

CREATE TABLE IF NOT EXISTS desired_image_keys (
    cluster     TEXT   NOT NULL,
    repository  TEXT   NOT NULL,
    tag         TEXT   NOT NULL,
    digest      TEXT   NOT NULL,
    PRIMARY KEY (cluster, repository, tag, digest)
);
CREATE INDEX IF NOT EXISTS desired_image_keys_by_digest ON desired_image_keys (digest, cluster);
CREATE INDEX IF NOT EXISTS desired_image_keys_by_repository
    ON desired_image_keys (repository, tag, cluster);
INSERT INTO desired_image_keys (cluster, repository, tag, digest)
    SELECT DISTINCT cluster, repository, COALESCE(tag, ''), digest FROM desired_images;

-- The latest report's whole document was stored and never read: at a few hundred pods it was
-- most of what each report wrote. What ingest derives from it stays.
ALTER TABLE cluster_reports DROP COLUMN report;
