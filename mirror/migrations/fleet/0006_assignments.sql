-- What each cluster should run (profile versions), and the operators' overrides and variable
-- values per cluster or group. scope is 'cluster' or 'group'; target is that cluster's or
-- group's name. Overrides and variables are keyed by layer and variable name, not by profile
-- version, so they persist across version changes.
CREATE TABLE IF NOT EXISTS assignments (
    cluster   TEXT   NOT NULL,
    profile   TEXT   NOT NULL,
    version   TEXT   NOT NULL,
    position  BIGINT NOT NULL,
    PRIMARY KEY (cluster, profile)
);
CREATE INDEX IF NOT EXISTS assignments_by_profile ON assignments (profile, version);
CREATE TABLE IF NOT EXISTS overrides (
    scope       TEXT   NOT NULL,
    target      TEXT   NOT NULL,
    layer       TEXT   NOT NULL,
    -- A JSON object, deep-merged over the profile's values for the layer.
    "values"    TEXT   NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (scope, target, layer)
);
CREATE TABLE IF NOT EXISTS variable_values (
    scope   TEXT NOT NULL,
    target  TEXT NOT NULL,
    name    TEXT NOT NULL,
    -- The value as JSON (a string, number or bool).
    value   TEXT NOT NULL,
    PRIMARY KEY (scope, target, name)
);
