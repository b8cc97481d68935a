-- fleet schema: catalog tables (owner fills in; see docs/fleet.md)
SELECT 1;
