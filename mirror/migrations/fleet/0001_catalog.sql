-- The profile catalog: every profile version an imported bundle carried. A version's content
-- never changes; the same name and version arriving with a different definition digest is an
-- in-place revision (N+1). The current revision of a version is MAX(revision).
CREATE TABLE IF NOT EXISTS profile_versions (
    name               TEXT   NOT NULL,
    version            TEXT   NOT NULL,
    revision           BIGINT NOT NULL,
    profile_type       TEXT   NOT NULL,
    definition_digest  TEXT   NOT NULL,
    -- The definition's canonical JSON (ProfileDefinition::to_vec).
    definition         TEXT   NOT NULL,
    -- The bundle manifest digest it came from.
    bundle             TEXT   NOT NULL,
    created_at         BIGINT NOT NULL,
    PRIMARY KEY (name, version, revision)
);
CREATE INDEX IF NOT EXISTS profile_versions_by_digest ON profile_versions (definition_digest);
