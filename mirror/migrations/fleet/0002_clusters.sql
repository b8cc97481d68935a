-- fleet schema: clusters tables (owner fills in; see docs/fleet.md)
SELECT 1;
