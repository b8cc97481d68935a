-- ferry store schema, version 4 (additive).
-- Which blobs each repository may serve: a blob belongs to a repository once it was pushed, mounted
-- or imported there, and only from the transaction that committed it. `/v2/<name>/blobs/<digest>`
-- serves, mounts from and deletes only through a row here (one primary-key lookup); gc removes rows
-- nothing in their repository reaches any more, then files no row and no manifest needs.
CREATE TABLE IF NOT EXISTS repository_blobs (
    repository  TEXT   NOT NULL,
    digest      TEXT   NOT NULL,
    -- when the link was made or last restated (seconds), for gc's grace period
    linked_at   BIGINT NOT NULL,
    PRIMARY KEY (repository, digest)
);

-- Stores from before this table: every repository keeps what its manifests already say it holds
-- (the manifests themselves, their configs and layers, an index's present children).
INSERT INTO repository_blobs (repository, digest, linked_at)
SELECT repository, digest, MIN(created_at) FROM (
    SELECT repository, digest, created_at FROM manifests
    UNION ALL
    SELECT r.repository, r.child, m.created_at FROM manifest_refs r
      JOIN manifests m ON m.repository = r.repository AND m.digest = r.manifest
     WHERE r.present = 1
) AS linked
GROUP BY repository, digest;
