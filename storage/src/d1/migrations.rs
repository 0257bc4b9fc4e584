//! D1 migrations as wrangler keeps them: numbered `.sql` files
//! (`0001_create_todos.sql`) in a directory, applied in order, each in a
//! transaction together with its row in the tracking table
//! (`d1_migrations` by default), so a failed migration leaves the database
//! as it was before it.

use std::path::{Path, PathBuf};

use super::{D1Database, D1Error, Statement, Value};

/// One migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// The file's name (what the tracking table records).
    pub name: String,
    pub path: PathBuf,
    number: u32,
}

/// The migrations of one database.
pub struct Migrations<'db> {
    db: &'db D1Database,
    dir: PathBuf,
    table: String,
}

impl<'db> Migrations<'db> {
    pub(super) fn new(db: &'db D1Database, dir: &Path, table: &str) -> Self {
        Self {
            db,
            dir: dir.to_path_buf(),
            table: table.to_string(),
        }
    }

    fn quoted_table(&self) -> String {
        format!("\"{}\"", self.table.replace('"', "\"\""))
    }

    /// The migration files, in the order they apply: by number, then name.
    pub fn files(&self) -> Result<Vec<Migration>, D1Error> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(D1Error::Migration(format!(
                    "cannot read the migrations directory {}: {e}",
                    self.dir.display()
                )));
            }
        };
        let mut files: Vec<Migration> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
            .filter_map(|path| {
                let name = path.file_name()?.to_str()?.to_string();
                let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
                let number = digits.parse().unwrap_or(0);
                Some(Migration { name, path, number })
            })
            .collect();
        files.sort_by(|a, b| a.number.cmp(&b.number).then_with(|| a.name.cmp(&b.name)));
        Ok(files)
    }

    /// Names of the migrations applied so far, creating the tracking table
    /// if needed.
    pub fn applied(&self) -> Result<Vec<String>, D1Error> {
        self.db.exec(&format!(
            "CREATE TABLE IF NOT EXISTS {}(\n\t\tid         INTEGER PRIMARY KEY AUTOINCREMENT,\n\t\tname       TEXT UNIQUE,\n\t\tapplied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL\n);",
            self.quoted_table()
        ))?;
        let result = self.db.run(&Statement::new(
            format!("SELECT name FROM {} ORDER BY id", self.quoted_table()),
            vec![],
        ))?;
        Ok(result
            .rows
            .into_iter()
            .filter_map(|row| match row.into_iter().next() {
                Some(Value::Text(name)) => Some(name),
                _ => None,
            })
            .collect())
    }

    /// The migration files not applied yet.
    pub fn pending(&self) -> Result<Vec<Migration>, D1Error> {
        let applied = self.applied()?;
        Ok(self
            .files()?
            .into_iter()
            .filter(|m| !applied.contains(&m.name))
            .collect())
    }

    /// Applies the pending migrations in order, each in its own transaction,
    /// stopping at the first that fails. Returns those applied, and the
    /// failure if there was one (the migrations before it stay applied).
    pub fn apply(&self) -> (Vec<Migration>, Option<(Migration, D1Error)>) {
        let pending = match self.pending() {
            Ok(pending) => pending,
            Err(e) => {
                let placeholder = Migration {
                    name: String::new(),
                    path: self.dir.clone(),
                    number: 0,
                };
                return (Vec::new(), Some((placeholder, e)));
            }
        };
        let mut applied = Vec::new();
        for migration in pending {
            let outcome = std::fs::read_to_string(&migration.path)
                .map_err(|e| {
                    D1Error::Migration(format!("cannot read {}: {e}", migration.path.display()))
                })
                .and_then(|sql| {
                    self.db.exec(&format!(
                        "{sql}\nINSERT INTO {} (name)\nvalues ('{}');",
                        self.quoted_table(),
                        migration.name.replace('\'', "''")
                    ))
                });
            match outcome {
                Ok(_) => applied.push(migration),
                Err(e) => return (applied, Some((migration, e))),
            }
        }
        (applied, None)
    }

    /// Writes the next migration file, `NNNN_<message>.sql`, and returns its
    /// path.
    pub fn create(&self, message: &str) -> Result<PathBuf, D1Error> {
        if message.contains(['/', '\\']) {
            return Err(D1Error::Migration(format!(
                "a migration's name cannot contain a path separator: {message:?}"
            )));
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| {
            D1Error::Migration(format!("cannot create {}: {e}", self.dir.display()))
        })?;
        let next = self.files()?.iter().map(|m| m.number).max().unwrap_or(0) + 1;
        let name = format!("{next:04}_{}.sql", message.trim().replace(' ', "_"));
        let path = self.dir.join(&name);
        let header = format!("-- Migration number: {next:04} \t {}\n", timestamp());
        std::fs::write(&path, header)
            .map_err(|e| D1Error::Migration(format!("cannot write {}: {e}", path.display())))?;
        Ok(path)
    }
}

/// The current time as wrangler writes it in a migration's header.
fn timestamp() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_in_order_once_and_stop_at_a_failure() {
        let dir = tempfile::tempdir().unwrap();
        let db = D1Database::memory().unwrap();
        let migrations = db.migrations(dir.path(), "d1_migrations");
        let first = migrations.create("create todos").unwrap();
        assert_eq!(first.file_name().unwrap(), "0001_create_todos.sql");
        std::fs::write(
            &first,
            "CREATE TABLE todo (id INTEGER PRIMARY KEY, title TEXT);",
        )
        .unwrap();
        let second = migrations.create("add done").unwrap();
        std::fs::write(
            &second,
            "ALTER TABLE todo ADD COLUMN done INTEGER DEFAULT 0;",
        )
        .unwrap();
        let third = migrations.create("broken").unwrap();
        std::fs::write(
            &third,
            "INSERT INTO todo (title) VALUES ('half');\nINSERT INTO nowhere VALUES (1);",
        )
        .unwrap();

        let names = |list: &[Migration]| list.iter().map(|m| m.name.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(&migrations.pending().unwrap()),
            [
                "0001_create_todos.sql",
                "0002_add_done.sql",
                "0003_broken.sql"
            ]
        );
        let (applied, failed) = migrations.apply();
        assert_eq!(
            names(&applied),
            ["0001_create_todos.sql", "0002_add_done.sql"]
        );
        let (failed, error) = failed.unwrap();
        assert_eq!(failed.name, "0003_broken.sql");
        assert!(
            error.to_string().contains("no such table: nowhere"),
            "{error}"
        );
        // The failed migration left nothing behind, and is still pending.
        let rows = db
            .run(&Statement::new("SELECT count(*) FROM todo", vec![]))
            .unwrap();
        assert_eq!(rows.rows, [vec![Value::Integer(0)]]);
        assert_eq!(names(&migrations.pending().unwrap()), ["0003_broken.sql"]);
        assert_eq!(
            migrations.applied().unwrap(),
            ["0001_create_todos.sql", "0002_add_done.sql"]
        );
    }
}
