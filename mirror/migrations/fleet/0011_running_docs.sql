-- fleet schema: a cluster's running containers are one document.
--
-- running_images held a row per container, and an index entry per row on (cluster, repository,
-- tag, digest): a report whose image set changed deleted and wrote a few hundred of each. Which
-- clusters run an image is answered by the key sets (0010), so the containers are only read for
-- the clusters a page of answers holds and for a cluster's status: one document per cluster,
-- grouped by image key (`reports::containers`), is one row to write. The rows of running_images
-- are turned into documents by the step that follows this migration (`FleetDb::migrate`), and the
-- table is dropped there.
CREATE TABLE running_docs (
    cluster  TEXT PRIMARY KEY,
    doc      TEXT NOT NULL
);
