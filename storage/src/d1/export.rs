//! A database as SQL, in the format `wrangler d1 export` writes: foreign
//! keys deferred, each table's schema then its rows as INSERTs, then
//! indexes, triggers and views; SQLite's and Cloudflare's internal tables
//! left out (but `sqlite_sequence` kept, so AUTOINCREMENT counters
//! survive).

use super::{D1Database, D1Error, Limits, QueryResult, Statement, Value};

/// What to export.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// Only these tables (all when empty).
    pub tables: Vec<String>,
    pub no_schema: bool,
    pub no_data: bool,
}

pub(super) fn export(db: &D1Database, options: &ExportOptions) -> Result<String, D1Error> {
    // The host reads the whole database here (wrangler's CLI, not a
    // Worker): the limits of a Worker's calls do not apply.
    let mut db = db.clone();
    db.set_limits(Limits::unbounded());
    let db = &db;
    let objects = schema(db)?;
    let wanted = |name: &str| options.tables.is_empty() || options.tables.iter().any(|t| t == name);
    let mut tables = Vec::new();
    let mut sequence = false;
    for (_, name, sql) in objects.iter().filter(|(kind, ..)| kind == "table") {
        if name == "sqlite_sequence" {
            sequence = true;
        } else if is_internal(name) || !wanted(name) {
            continue;
        } else if sql.to_ascii_uppercase().starts_with("CREATE VIRTUAL TABLE") {
            return Err(D1Error::Migration(format!(
                "D1 Export error: cannot export databases with Virtual Tables ({name})"
            )));
        } else {
            tables.push((name.as_str(), sql.as_str()));
        }
    }
    // Every table's rows, read in one transaction so that they agree: one
    // result per table, then one for `sqlite_sequence` if there is one.
    let mut data = Vec::new();
    if !options.no_data {
        let selects: Vec<Statement> = tables
            .iter()
            .map(|(name, _)| *name)
            .chain(sequence.then_some("sqlite_sequence"))
            .map(|name| Statement::new(format!("SELECT * FROM {}", quote_identifier(name)), vec![]))
            .collect();
        if !selects.is_empty() {
            data = db.batch(&selects)?;
        }
    }
    let mut data = data.into_iter();
    let mut out = vec!["PRAGMA defer_foreign_keys=TRUE;".to_string()];
    for (name, sql) in &tables {
        if !options.no_schema {
            out.push(format!("{};", if_not_exists(sql)));
        }
        if let Some(rows) = data.next() {
            inserts(name, &rows, &mut out);
        }
    }
    if let Some(rows) = data.next() {
        out.push("DELETE FROM sqlite_sequence;".to_string());
        inserts("sqlite_sequence", &rows, &mut out);
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
fn schema(db: &D1Database) -> Result<Vec<(String, String, String)>, D1Error> {
    let result = db.run(&Statement::new(
        "SELECT type, name, COALESCE(sql, '') FROM sqlite_schema ORDER BY rowid",
        vec![],
    ))?;
    result
        .rows
        .into_iter()
        .map(|row| match <[Value; 3]>::try_from(row) {
            Ok([Value::Text(kind), Value::Text(name), Value::Text(sql)]) => Ok((kind, name, sql)),
            _ => Err(D1Error::Sqlite(
                "sqlite_schema has a row that is not (type, name, sql)".into(),
            )),
        })
        .collect()
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

/// `rows` of `table` as INSERT statements.
fn inserts(table: &str, rows: &QueryResult, out: &mut Vec<String>) {
    let quoted = quote_identifier(table);
    let column_list = rows
        .columns
        .iter()
        .map(|column| quote_identifier(column))
        .collect::<Vec<_>>()
        .join(",");
    for row in &rows.rows {
        let values: Vec<String> = row.iter().map(literal).collect();
        out.push(format!(
            "INSERT INTO {quoted} ({column_list}) VALUES({});",
            values.join(",")
        ));
    }
}

fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A SQL literal for `value`, as wrangler writes it.
fn literal(value: &Value) -> String {
    match value {
        Value::Null => "NULL".to_string(),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => r.to_string(),
        Value::Text(text) => {
            let text = text.replace('\'', "''");
            if text.contains('\n') {
                format!("replace('{}','\\n',char(10))", text.replace('\n', "\\n"))
            } else {
                format!("'{text}'")
            }
        }
        Value::Blob(b) => {
            let hex: String = b.iter().map(|byte| format!("{byte:02x}")).collect();
            format!("X'{hex}'")
        }
    }
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn exports_only_what_the_options_ask_for() {
        let db = D1Database::memory().unwrap();
        db.exec(
            "CREATE TABLE a (x INTEGER); CREATE TABLE b (y TEXT);\n\
             INSERT INTO a VALUES (1); INSERT INTO b VALUES (NULL);",
        )
        .unwrap();
        let export = |tables: &[&str], no_schema, no_data| {
            db.export(&ExportOptions {
                tables: tables.iter().map(|t| t.to_string()).collect(),
                no_schema,
                no_data,
            })
            .unwrap()
        };
        assert_eq!(
            export(&[], false, false),
            "PRAGMA defer_foreign_keys=TRUE;\n\
             CREATE TABLE IF NOT EXISTS a (x INTEGER);\n\
             INSERT INTO \"a\" (\"x\") VALUES(1);\n\
             CREATE TABLE IF NOT EXISTS b (y TEXT);\n\
             INSERT INTO \"b\" (\"y\") VALUES(NULL);"
        );
        assert_eq!(
            export(&["b"], false, false),
            "PRAGMA defer_foreign_keys=TRUE;\n\
             CREATE TABLE IF NOT EXISTS b (y TEXT);\n\
             INSERT INTO \"b\" (\"y\") VALUES(NULL);"
        );
        assert_eq!(
            export(&["a"], true, false),
            "PRAGMA defer_foreign_keys=TRUE;\nINSERT INTO \"a\" (\"x\") VALUES(1);"
        );
        assert_eq!(
            export(&["a"], false, true),
            "PRAGMA defer_foreign_keys=TRUE;\nCREATE TABLE IF NOT EXISTS a (x INTEGER);"
        );
    }
}
