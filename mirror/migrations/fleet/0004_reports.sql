-- fleet schema: reports tables (owner fills in; see docs/fleet.md)
SELECT 1;
