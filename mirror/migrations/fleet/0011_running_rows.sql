-- fleet schema: a cluster's running rows are one B-tree, in the order lookups join them.
--
-- running_images was a table and an index on (cluster, repository, tag, digest): every report
-- whose image set changed rewrote a cluster's rows in both. Now the key is the table's own order
-- (SQLite stores it WITHOUT ROWID; PostgreSQL keeps its primary-key index), so a report rewrites
-- the cluster's rows once and a lookup finds them by key. tag and digest are '' when absent, as
-- in the key tables, since key columns cannot be NULL. A container appears once per report
-- (reports naming a pod or a container twice are refused), so the key is unique.
CREATE TABLE running_rows (
    cluster     TEXT   NOT NULL,
    repository  TEXT   NOT NULL,
    tag         TEXT   NOT NULL,
    digest      TEXT   NOT NULL,
    namespace   TEXT   NOT NULL,
    pod         TEXT   NOT NULL,
    container   TEXT   NOT NULL,
    reference   TEXT   NOT NULL,
    ready       BIGINT NOT NULL,
    PRIMARY KEY (cluster, repository, tag, digest, namespace, pod, container)
) /* sqlite: WITHOUT ROWID */;
INSERT INTO running_rows (cluster, repository, tag, digest, namespace, pod, container, reference,
        ready)
    SELECT cluster, repository, COALESCE(tag, ''), COALESCE(digest, ''), namespace, pod,
        container, MIN(reference), MIN(ready)
    FROM running_images
    GROUP BY cluster, repository, COALESCE(tag, ''), COALESCE(digest, ''), namespace, pod,
        container;
DROP TABLE running_images;
