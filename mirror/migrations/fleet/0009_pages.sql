-- fleet schema: what answering one page of a fleet-wide answer reads.
--
-- When each cluster's current revision was published, beside it: the fleet's status compares it
-- with the last report for every cluster (to count the states), and reading it from the
-- revision, whose row carries the rendered inputs, was half of that query's cost at 10,000
-- clusters.
ALTER TABLE desired_current ADD COLUMN published_at BIGINT;
UPDATE desired_current SET published_at = (
    SELECT v.created_at FROM desired_revisions v
    WHERE v.cluster = desired_current.cluster AND v.revision = desired_current.revision
);

-- The image keys' indexes hold every column of a key, so that finding a page of clusters, and
-- the keys of those clusters, reads the index alone: an image at one digest may be in thousands
-- of clusters, and each key read from the table was a disk page.
DROP INDEX IF EXISTS running_image_keys_by_digest;
CREATE INDEX running_image_keys_by_digest ON running_image_keys (digest, cluster, repository, tag);
DROP INDEX IF EXISTS running_image_keys_by_repository;
CREATE INDEX running_image_keys_by_repository ON running_image_keys (repository, tag, cluster, digest);
DROP INDEX IF EXISTS desired_image_keys_by_digest;
CREATE INDEX desired_image_keys_by_digest ON desired_image_keys (digest, cluster, repository, tag);
DROP INDEX IF EXISTS desired_image_keys_by_repository;
CREATE INDEX desired_image_keys_by_repository ON desired_image_keys (repository, tag, cluster, digest);
