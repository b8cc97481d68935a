-- fleet schema: assignments, overrides and variable values (owner fills in)
SELECT 1;
