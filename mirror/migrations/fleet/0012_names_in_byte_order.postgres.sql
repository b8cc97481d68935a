-- fleet schema, PostgreSQL only: the clusters that point at image sets, in byte order of name.
--
-- A page of an image query is the first clusters by name, in byte order (`Backend::bytes`), that
-- point at a set holding a key it finds. Read in that order from an index, a scan stops at the
-- page's end, however many clusters match; on PostgreSQL the column's own order is the
-- database's locale, so the index names the order the queries use. SQLite's indexes on the
-- cluster column already are in byte order.
CREATE INDEX desired_image_sets_by_name ON desired_image_sets (cluster COLLATE "C", image_set);
CREATE INDEX running_image_sets_by_name ON running_image_sets (cluster COLLATE "C", image_set);
