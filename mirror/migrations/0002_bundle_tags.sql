-- ferry store schema, version 2 (additive).
-- Every tag a bundle set (artifact tags and attached `.sig`/`.att` tags), so retiring the bundle can
-- take back exactly its tags, or hand them to another active bundle that sets the same tag.
CREATE TABLE IF NOT EXISTS bundle_tags (
    bundle      TEXT NOT NULL REFERENCES bundles(manifest_digest),
    repository  TEXT NOT NULL,
    tag         TEXT NOT NULL,
    digest      TEXT NOT NULL,
    PRIMARY KEY (bundle, repository, tag)
);
CREATE INDEX IF NOT EXISTS bundle_tags_by_tag ON bundle_tags (repository, tag);
