-- fleet schema: image keys as shared, content-addressed sets.
--
-- Each cluster had its own copy of its (repository, tag, digest) keys, and each key was an entry
-- in indexes by digest and by repository whose neighbours belong to other clusters: a cluster's
-- first report, or a revision published to it, wrote a few hundred disk pages at random, though
-- every cluster on one profile version runs the same images. Now a set of keys is stored once,
-- named by the sha256 of its keys (`query::keys::set_id`), and a cluster points at one set for
-- what it desires and one for what it runs. What a cluster runs is its base set changed by a few
-- keys of its own: usually the base is the set it desires, so a cluster that runs what it
-- should, or a few hand-changed images more, writes a pointer and those few keys.
CREATE TABLE image_set_keys (
    image_set   TEXT   NOT NULL,
    repository  TEXT   NOT NULL,
    tag         TEXT   NOT NULL,
    digest      TEXT   NOT NULL,
    PRIMARY KEY (image_set, repository, tag, digest)
);
CREATE INDEX image_set_keys_by_digest ON image_set_keys (digest, image_set, repository, tag);
CREATE INDEX image_set_keys_by_repository ON image_set_keys (repository, tag, image_set, digest);

CREATE TABLE desired_image_sets (
    cluster    TEXT PRIMARY KEY,
    image_set  TEXT NOT NULL
);
CREATE INDEX desired_image_sets_by_set ON desired_image_sets (image_set, cluster);
CREATE TABLE running_image_sets (
    cluster    TEXT PRIMARY KEY,
    image_set  TEXT NOT NULL
);
CREATE INDEX running_image_sets_by_set ON running_image_sets (image_set, cluster);

-- Keys a cluster runs beyond its base set, and keys of its base set it does not run.
CREATE TABLE running_keys_added (
    cluster     TEXT   NOT NULL,
    repository  TEXT   NOT NULL,
    tag         TEXT   NOT NULL,
    digest      TEXT   NOT NULL,
    PRIMARY KEY (cluster, repository, tag, digest)
);
CREATE INDEX running_keys_added_by_digest ON running_keys_added (digest, cluster, repository, tag);
CREATE INDEX running_keys_added_by_repository ON running_keys_added (repository, tag, cluster, digest);
CREATE TABLE running_keys_removed (
    cluster     TEXT   NOT NULL,
    repository  TEXT   NOT NULL,
    tag         TEXT   NOT NULL,
    digest      TEXT   NOT NULL,
    PRIMARY KEY (cluster, repository, tag, digest)
);

-- The keys each cluster had become a set of its own, named after the cluster (not a sha256, so
-- the cluster's next write replaces it with a shared set).
INSERT INTO image_set_keys (image_set, repository, tag, digest)
    SELECT 'desired:' || cluster, repository, tag, digest FROM desired_image_keys;
INSERT INTO desired_image_sets (cluster, image_set)
    SELECT DISTINCT cluster, 'desired:' || cluster FROM desired_image_keys;
INSERT INTO image_set_keys (image_set, repository, tag, digest)
    SELECT 'running:' || cluster, repository, tag, digest FROM running_image_keys;
INSERT INTO running_image_sets (cluster, image_set)
    SELECT DISTINCT cluster, 'running:' || cluster FROM running_image_keys;
DROP TABLE desired_image_keys;
DROP TABLE running_image_keys;

-- What each cluster desires and runs, key by key, as the two tables were: the queries read these.
CREATE VIEW desired_image_keys AS
    SELECT p.cluster, k.repository, k.tag, k.digest
    FROM desired_image_sets p JOIN image_set_keys k ON k.image_set = p.image_set;
CREATE VIEW running_image_keys AS
    SELECT p.cluster, k.repository, k.tag, k.digest
    FROM running_image_sets p JOIN image_set_keys k ON k.image_set = p.image_set
    WHERE NOT EXISTS (
        SELECT 1 FROM running_keys_removed r
        WHERE r.cluster = p.cluster AND r.repository = k.repository AND r.tag = k.tag
          AND r.digest = k.digest)
    UNION ALL
    SELECT cluster, repository, tag, digest FROM running_keys_added;
