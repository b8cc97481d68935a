-- fleet schema: the clusters whose last report has not applied their current desired revision
-- (or that never reported one), kept beside the two tables it follows from.
--
-- Pending updates list these clusters a page at a time. Found by comparing desired_current with
-- cluster_reports, a page read every cluster's two rows when few or none were behind: the whole
-- fleet for an empty answer. Publishing a revision and storing a report keep it current, each
-- in the transaction that changes the row it follows from (and the two never run at once: a
-- publish holds the fleet's write lock, a report holds it shared).
CREATE TABLE IF NOT EXISTS unapplied_clusters (
    cluster TEXT PRIMARY KEY
);
INSERT INTO unapplied_clusters (cluster)
    SELECT t.cluster FROM desired_current t
    LEFT JOIN cluster_reports r ON r.cluster = t.cluster
    WHERE r.applied_digest IS NULL OR r.applied_digest <> t.digest;
