//! A database as SQL, in the format `wrangler d1 export` writes: foreign
//! keys deferred, each table's schema then its rows as INSERTs, then
//! indexes, triggers and views; SQLite's and Cloudflare's internal tables
//! left out (but `sqlite_sequence` kept, so AUTOINCREMENT counters
//! survive).

use rusqlite::Connection;
use rusqlite::types::ValueRef;

use super::D1Error;

/// What to export.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// Only these tables (all when empty).
    pub tables: Vec<String>,
    pub no_schema: bool,
    pub no_data: bool,
}

pub(super) fn export(conn: &Connection, options: &ExportOptions) -> Result<String, D1Error> {
    let mut out = vec!["PRAGMA defer_foreign_keys=TRUE;".to_string()];
    let objects = schema(conn)?;
    let wanted = |name: &str| options.tables.is_empty() || options.tables.iter().any(|t| t == name);
    let mut sequence = false;
    for (kind, name, sql) in objects.iter().filter(|(kind, ..)| kind == "table") {
        debug_assert_eq!(kind, "table");
        if name == "sqlite_sequence" {
            sequence = true;
            continue;
        }
        if is_internal(name) || !wanted(name) {
            continue;
        }
        if sql.to_ascii_uppercase().starts_with("CREATE VIRTUAL TABLE") {
            return Err(D1Error::Migration(format!(
                "D1 Export error: cannot export databases with Virtual Tables ({name})"
            )));
        }
        if !options.no_schema {
            out.push(format!("{};", if_not_exists(sql)));
        }
        if !options.no_data {
            rows(conn, name, &mut out)?;
        }
    }
    if sequence && !options.no_data {
        out.push("DELETE FROM sqlite_sequence;".to_string());
        rows(conn, "sqlite_sequence", &mut out)?;
    }
    if !options.no_schema {
        for (_, name, sql) in objects.iter().filter(|(kind, ..)| kind != "table") {
            if !is_internal(name) && !sql.is_empty() {
                out.push(format!("{sql};"));
            }
        }
    }
    Ok(out.join("\n"))
}

/// `(type, name, sql)` of every schema object, in creation order.
fn schema(conn: &Connection) -> Result<Vec<(String, String, String)>, D1Error> {
    let mut statement = conn
        .prepare("SELECT type, name, COALESCE(sql, '') FROM sqlite_schema ORDER BY rowid")
        .map_err(D1Error::sqlite)?;
    let objects = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .map_err(D1Error::sqlite)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(D1Error::sqlite)?;
    Ok(objects)
}

fn is_internal(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("sqlite_") || lower.starts_with("_cf_")
}

/// `CREATE TABLE "x"` as `CREATE TABLE IF NOT EXISTS "x"`.
fn if_not_exists(sql: &str) -> String {
    const PREFIX: &str = "CREATE TABLE ";
    match sql.get(..PREFIX.len()) {
        Some(head)
            if head.eq_ignore_ascii_case(PREFIX)
                && !sql[PREFIX.len()..]
                    .trim_start()
                    .to_ascii_uppercase()
                    .starts_with("IF NOT EXISTS") =>
        {
            format!("CREATE TABLE IF NOT EXISTS {}", &sql[PREFIX.len()..])
        }
        _ => sql.to_string(),
    }
}

fn rows(conn: &Connection, table: &str, out: &mut Vec<String>) -> Result<(), D1Error> {
    let quoted = quote_identifier(table);
    let mut statement = conn
        .prepare(&format!("SELECT * FROM {quoted}"))
        .map_err(D1Error::sqlite)?;
    let columns: Vec<String> = statement.column_names().map(quote_identifier).collect();
    let column_list = columns.join(",");
    let mut cursor = statement.query([]).map_err(D1Error::sqlite)?;
    while let Some(row) = cursor.next().map_err(D1Error::sqlite)? {
        let mut values = Vec::with_capacity(columns.len());
        for i in 0..columns.len() {
            values.push(literal(row.get_ref(i).map_err(D1Error::sqlite)?));
        }
        out.push(format!(
            "INSERT INTO {quoted} ({column_list}) VALUES({});",
            values.join(",")
        ));
    }
    Ok(())
}

fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A SQL literal for `value`, as wrangler writes it.
fn literal(value: ValueRef<'_>) -> String {
    match value {
        ValueRef::Null => "NULL".to_string(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(r) => r.to_string(),
        ValueRef::Text(t) => {
            let text = String::from_utf8_lossy(t).replace('\'', "''");
            if text.contains('\n') {
                format!("replace('{}','\\n',char(10))", text.replace('\n', "\\n"))
            } else {
                format!("'{text}'")
            }
        }
        ValueRef::Blob(b) => {
            let hex: String = b.iter().map(|byte| format!("{byte:02x}")).collect();
            format!("X'{hex}'")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{D1Database, Statement, Value};
    use super::*;

    #[test]
    fn exports_schema_rows_and_sequences_and_reimports() {
        let db = D1Database::memory().unwrap();
        db.exec(
            "CREATE TABLE note (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT, raw BLOB);\n\
             CREATE INDEX note_body ON note (body);",
        )
        .unwrap();
        db.run(&Statement::new(
            "INSERT INTO note (body, raw) VALUES (?, ?)",
            vec![
                Value::Text("it's\nmultiline".into()),
                Value::Blob(vec![0xab, 0x01]),
            ],
        ))
        .unwrap();
        let sql = db.export(&ExportOptions::default()).unwrap();
        let lines: Vec<&str> = sql.lines().collect();
        assert_eq!(lines[0], "PRAGMA defer_foreign_keys=TRUE;");
        assert!(
            lines[1].starts_with("CREATE TABLE IF NOT EXISTS note"),
            "{sql}"
        );
        assert_eq!(
            lines[2],
            "INSERT INTO \"note\" (\"id\",\"body\",\"raw\") VALUES(1,replace('it''s\\nmultiline','\\n',char(10)),X'ab01');"
        );
        assert!(sql.contains("DELETE FROM sqlite_sequence;"), "{sql}");
        assert!(
            sql.ends_with("CREATE INDEX note_body ON note (body);"),
            "{sql}"
        );

        let copy = D1Database::memory().unwrap();
        copy.exec(&sql).unwrap();
        let row = copy
            .run(&Statement::new("SELECT body, raw FROM note", vec![]))
            .unwrap();
        assert_eq!(
            row.rows,
            [vec![
                Value::Text("it's\nmultiline".into()),
                Value::Blob(vec![0xab, 0x01])
            ]]
        );
    }
}
