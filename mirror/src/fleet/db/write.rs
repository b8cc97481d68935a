//! Writes that go to the database together: many rows in one statement, and many statements in
//! one round trip.
//!
//! A round trip is what a write costs most: sqlx runs each SQLite connection on a thread of its
//! own, so every statement is a hand-over to that thread and back, and on PostgreSQL a message
//! to the server and back. Rows therefore go as one JSON array per statement, and the
//! statements of one step as one [`Batch`].

use std::collections::BTreeSet;

use sqlx::any::AnyArguments;
use sqlx::{AnyConnection, Arguments as _};

use super::Backend;
use crate::fleet::FleetError;

/// A column of [`insert_rows`]: its name, and whether it holds an integer (else text).
pub(crate) struct Column(pub &'static str, pub bool);

/// A statement's argument.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Text(Some(s.to_owned()))
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Text(Some(s))
    }
}

impl From<Option<&str>> for Arg {
    fn from(s: Option<&str>) -> Self {
        Arg::Text(s.map(str::to_owned))
    }
}

impl From<i64> for Arg {
    fn from(n: i64) -> Self {
        Arg::Int(Some(n))
    }
}

impl From<Option<i64>> for Arg {
    fn from(n: Option<i64>) -> Self {
        Arg::Int(n)
    }
}

/// Statements that go as one round trip, after the locks asked for.
///
/// On SQLite they are joined into one query and run in order (sqlx prepares each statement of
/// a query in turn and binds `$N` to its N-th argument, so every statement's parameters are
/// renumbered past the ones before it). A prepared statement on PostgreSQL holds one command,
/// so there they become one statement, each a `WITH` part of it: every part sees the database
/// as it was before the batch and none sees another's changes. A batch therefore never changes
/// one row twice (delete and insert again, or insert and update), and a statement that reads
/// what another changes must say what it would have seen (as the sets' collection does).
#[derive(Debug)]
pub(crate) struct Batch {
    backend: Backend,
    /// PostgreSQL's advisory locks (class, key), taken in this order before the statements.
    locks: BTreeSet<(i32, i32)>,
    statements: Vec<(String, Vec<Arg>)>,
}

impl Batch {
    /// An empty batch for a connection on `backend`.
    pub fn new(backend: Backend) -> Self {
        Self {
            backend,
            locks: BTreeSet::new(),
            statements: Vec::new(),
        }
    }

    /// Takes the advisory lock (`class`, `key`) until the transaction ends, on PostgreSQL, before
    /// the statements run (so that they read what the lock's last holder committed). Locks are
    /// taken in order, so two batches never wait for each other in a circle. On SQLite the
    /// transaction is the only writer, and this does nothing.
    pub fn lock(&mut self, class: i32, key: i32) {
        if self.backend == Backend::Postgres {
            self.locks.insert((class, key));
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Adds `sql`, whose parameters are `$1 … $n` for `args`.
    pub fn push(&mut self, sql: impl Into<String>, args: Vec<Arg>) {
        self.statements.push((sql.into(), args));
    }

    /// Adds [`insert_rows_sql`] for `rows` (nothing when there are none).
    pub fn insert_rows<R: serde::Serialize>(
        &mut self,
        insert: RowsInsert<'_>,
        owner: &str,
        rows: &[R],
    ) {
        if !rows.is_empty() {
            let json = serde_json::to_string(rows).unwrap_or_default();
            self.push(
                insert_rows_sql(self.backend, insert),
                vec![owner.into(), json.into()],
            );
        }
    }

    pub async fn run(self, conn: &mut AnyConnection) -> Result<(), FleetError> {
        match self.backend {
            Backend::Sqlite => {
                if self.statements.is_empty() {
                    return Ok(());
                }
                let mut sql = String::new();
                let mut args = AnyArguments::default();
                for (statement, statement_args) in self.statements {
                    renumber(&mut sql, &statement, args.len());
                    sql.push_str(";\n");
                    add(&mut args, statement_args)?;
                }
                sqlx::query_with(sqlx::AssertSqlSafe(sql), args)
                    .execute(&mut *conn)
                    .await?;
            }
            Backend::Postgres => {
                if !self.locks.is_empty() {
                    // One row's expressions are evaluated left to right.
                    let locks: Vec<String> = self
                        .locks
                        .iter()
                        .map(|(class, key)| format!("pg_advisory_xact_lock({class}, {key})"))
                        .collect();
                    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("SELECT {}", locks.join(", "))))
                        .execute(&mut *conn)
                        .await?;
                }
                let (sql, args) = match self.statements.len() {
                    0 => return Ok(()),
                    1 => {
                        let (sql, statement_args) =
                            self.statements.into_iter().next().unwrap_or_default();
                        let mut args = AnyArguments::default();
                        add(&mut args, statement_args)?;
                        (sql, args)
                    }
                    _ => {
                        let mut sql = String::from("WITH ");
                        let mut args = AnyArguments::default();
                        for (i, (statement, statement_args)) in
                            self.statements.into_iter().enumerate()
                        {
                            if i > 0 {
                                sql.push_str(",\n");
                            }
                            sql.push_str(&format!("part{i} AS ("));
                            renumber(&mut sql, &statement, args.len());
                            sql.push(')');
                            add(&mut args, statement_args)?;
                        }
                        sql.push_str("\nSELECT 1");
                        (sql, args)
                    }
                };
                sqlx::query_with(sqlx::AssertSqlSafe(sql), args)
                    .execute(&mut *conn)
                    .await?;
            }
        }
        Ok(())
    }
}

/// Appends `values` to `args`.
fn add(args: &mut AnyArguments, values: Vec<Arg>) -> Result<(), FleetError> {
    for a in values {
        match a {
            Arg::Text(t) => args.add(t),
            Arg::Int(n) => args.add(n),
        }
        .map_err(|e| FleetError::Db(sqlx::Error::Encode(e)))?;
    }
    Ok(())
}

/// Appends `statement` to `out` with every `$N` written as `$(N + offset)`. Our statements hold
/// no `$` in literals, so every `$` followed by digits is a parameter.
fn renumber(out: &mut String, statement: &str, offset: usize) {
    let mut rest = statement;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<usize>() {
            Ok(n) => out.push_str(&(n + offset).to_string()),
            Err(_) => out.push_str(&rest[..digits]),
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
}

/// Where [`insert_rows_sql`] puts rows.
#[derive(Clone, Copy)]
pub(crate) struct RowsInsert<'a> {
    pub table: &'a str,
    pub owner_column: &'a str,
    pub columns: &'a [Column],
    /// Inserts nothing when a row of the owner is there already (the owner's rows are
    /// immutable, as a key set's are).
    pub unless_owned: bool,
}

/// One statement of two parameters that inserts rows (each serialised as a JSON array of the
/// `columns`' values, in order: a tuple) into `table`, all with the owner `$1` in `owner_column`: the rows go as one
/// JSON array `$2`, read back by `json_each` (SQLite) or `jsonb_array_elements` (PostgreSQL).
/// SQLite looks each numbered parameter up by a walk of the statement's parameters, so hundreds
/// of rows bound one value at a time cost more than writing them.
pub(crate) fn insert_rows_sql(backend: Backend, insert: RowsInsert<'_>) -> String {
    let RowsInsert {
        table,
        owner_column,
        columns,
        unless_owned,
    } = insert;
    // SQLite: json_each gives each row as JSON text, which every `->>` would parse again; a
    // materialised JSONB copy of the rows is parsed once.
    let (with, source) = match backend {
        Backend::Postgres => ("", "jsonb_array_elements(CAST($2 AS jsonb)) AS j(value)"),
        Backend::Sqlite => (
            "WITH j(value) AS MATERIALIZED (SELECT jsonb(value) FROM json_each($2)) ",
            "j",
        ),
    };
    let names: Vec<&str> = columns.iter().map(|c| c.0).collect();
    let values: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, Column(_, integer))| {
            let ty = if *integer { "BIGINT" } else { "TEXT" };
            format!("CAST(j.value ->> {i} AS {ty})")
        })
        .collect();
    let guard = if unless_owned {
        format!(" WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE {owner_column} = $1)")
    } else {
        String::new()
    };
    format!(
        "{with}INSERT INTO {table} ({owner_column}, {}) SELECT $1, {} FROM {source}{guard}",
        names.join(", "),
        values.join(", ")
    )
}

/// Inserts `rows` under `owner` at once (see [`insert_rows_sql`]).
pub(crate) async fn insert_rows<R: serde::Serialize>(
    conn: &mut AnyConnection,
    insert: RowsInsert<'_>,
    owner: &str,
    rows: &[R],
) -> Result<(), FleetError> {
    let mut batch = Batch::new(Backend::of(conn));
    batch.insert_rows(insert, owner, rows);
    batch.run(conn).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_renumbered_past_earlier_statements() {
        let mut out = String::new();
        renumber(&mut out, "UPDATE t SET a = $1, b = $12 WHERE c = $2", 3);
        assert_eq!(out, "UPDATE t SET a = $4, b = $15 WHERE c = $5");
        let mut out = String::new();
        renumber(&mut out, "SELECT '$' || $1", 0);
        assert_eq!(out, "SELECT '$' || $1");
    }
}
