//! `isola d1`: D1 databases from the command line, as `wrangler d1` does it.
//!
//! SQLite lets several processes share a database file, so the command
//! opens it directly even while a server runs; the server sees what the
//! command commits on its next statement.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use isola_apis::d1::{D1Binding, D1Store};
use isola_apis::{SharedStorage, Store};
use isola_storage::d1::{D1Database, ExportOptions, QueryResult, Value};

use super::StateArgs;
use crate::config::WorkerConfig;

#[derive(Debug, Args)]
pub struct D1Args {
    #[command(subcommand)]
    pub command: D1Command,
}

/// Which database: its `database_name` (or binding) in the Worker's config.
#[derive(Debug, Args)]
pub struct Database {
    /// The database's `database_name` (or binding) in `[[d1_databases]]`.
    pub name: String,

    /// The Worker config that declares it (default: the one in the current
    /// directory).
    #[arg(long, default_value = ".")]
    pub config: PathBuf,

    #[command(flatten)]
    pub state: StateArgs,
}

#[derive(Debug, Subcommand)]
pub enum D1Command {
    /// Run SQL: a command, or a file of statements (in one transaction).
    Execute {
        #[command(flatten)]
        database: Database,
        #[arg(long, conflicts_with = "file", required_unless_present = "file")]
        command: Option<String>,
        #[arg(long)]
        file: Option<PathBuf>,
        /// Print the results as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create, list and apply migrations.
    Migrations {
        #[command(subcommand)]
        command: MigrationsCommand,
    },
    /// Write the database out as SQL statements.
    Export {
        #[command(flatten)]
        database: Database,
        #[arg(long)]
        output: PathBuf,
        /// Only this table (may be repeated).
        #[arg(long)]
        table: Vec<String>,
        #[arg(long)]
        no_schema: bool,
        #[arg(long)]
        no_data: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum MigrationsCommand {
    /// Write the next numbered migration file.
    Create {
        #[command(flatten)]
        database: Database,
        /// What the migration does (becomes part of its file name).
        message: String,
    },
    /// List the migrations not applied yet.
    List {
        #[command(flatten)]
        database: Database,
    },
    /// Apply the pending migrations, each in a transaction.
    Apply {
        #[command(flatten)]
        database: Database,
    },
}

#[allow(clippy::print_stdout, reason = "results are the command's output")]
pub fn run(args: D1Args) -> anyhow::Result<()> {
    match args.command {
        D1Command::Execute {
            database,
            command,
            file,
            json,
        } => {
            let (binding, db) = open(&database)?;
            let sql = match (command, file) {
                (Some(sql), _) => sql,
                (None, Some(file)) => std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?,
                (None, None) => anyhow::bail!("give --command or --file"),
            };
            let results = db.script(&sql);
            if json {
                let value = match &results {
                    Ok(results) => {
                        serde_json::Value::Array(results.iter().map(result_json).collect())
                    }
                    Err(e) => serde_json::json!({ "error": { "text": e.cause() } }),
                };
                println!("{}", serde_json::to_string_pretty(&value)?);
                anyhow::ensure!(results.is_ok(), "the statements failed");
                return Ok(());
            }
            println!(
                "🌀 Executing on local database {} ({}) from {}:",
                binding.name,
                binding.id,
                db.path()
                    .map_or("memory".into(), |p| p.display().to_string())
            );
            let results = results?;
            println!("🚣 {} command(s) executed successfully.", results.len());
            for result in results.iter().filter(|r| !r.columns.is_empty()) {
                print_table(result);
            }
        }
        D1Command::Migrations { command } => match command {
            MigrationsCommand::Create { database, message } => {
                let (binding, db) = open(&database)?;
                let path = db
                    .migrations(&binding.migrations_dir, &binding.migrations_table)
                    .create(&message)?;
                println!("✅ Successfully created Migration '{}'!", path.display());
            }
            MigrationsCommand::List { database } => {
                let (binding, db) = open(&database)?;
                let pending = db
                    .migrations(&binding.migrations_dir, &binding.migrations_table)
                    .pending()?;
                if pending.is_empty() {
                    println!("✅ No migrations to apply!");
                } else {
                    println!("Migrations to be applied:");
                    for migration in pending {
                        println!("  {}", migration.name);
                    }
                }
            }
            MigrationsCommand::Apply { database } => {
                let (binding, db) = open(&database)?;
                let (applied, failed) = db
                    .migrations(&binding.migrations_dir, &binding.migrations_table)
                    .apply();
                for migration in &applied {
                    println!("✅ {}", migration.name);
                }
                if let Some((migration, error)) = failed {
                    println!("❌ {}", migration.name);
                    anyhow::bail!("migration {} failed: {error}", migration.name);
                }
                if applied.is_empty() {
                    println!("✅ No migrations to apply!");
                }
            }
        },
        D1Command::Export {
            database,
            output,
            table,
            no_schema,
            no_data,
        } => {
            let (_, db) = open(&database)?;
            let sql = db.export(&ExportOptions {
                tables: table,
                no_schema,
                no_data,
            })?;
            std::fs::write(&output, sql)
                .with_context(|| format!("cannot write {}", output.display()))?;
            println!("🌀 Exported to {}", output.display());
        }
    }
    Ok(())
}

/// The database `database` names, opened in its state directory.
fn open(database: &Database) -> anyhow::Result<(D1Binding, D1Database)> {
    let config = WorkerConfig::load(&database.config)?;
    let binding = config
        .bindings_of::<D1Binding>()
        .find(|db| db.name == database.name || db.binding == database.name)
        .cloned()
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{}: no D1 database is named {:?} in [[d1_databases]]",
                config.source.display(),
                database.name
            )
        })?;
    let databases = D1Store::open(Some(&database.state.persist_to), &SharedStorage::default())
        .map_err(anyhow::Error::msg)?;
    let db = databases.get(&binding.id)?;
    Ok((binding, db))
}

/// One statement's result as `wrangler d1 execute --json` prints it.
pub(super) fn result_json(result: &QueryResult) -> serde_json::Value {
    let rows: Vec<serde_json::Value> = result
        .rows
        .iter()
        .map(|row| {
            serde_json::Value::Object(
                result
                    .columns
                    .iter()
                    .zip(row)
                    .map(|(column, value)| (column.clone(), value_json(value)))
                    .collect(),
            )
        })
        .collect();
    serde_json::json!({
        "results": rows,
        "success": true,
        "meta": { "duration": result.meta.duration },
    })
}

fn value_json(value: &Value) -> serde_json::Value {
    match value {
        Value::Null => serde_json::Value::Null,
        Value::Integer(i) => (*i).into(),
        Value::Real(r) => (*r).into(),
        Value::Text(t) => t.clone().into(),
        Value::Blob(b) => b.clone().into(),
    }
}

#[allow(clippy::print_stdout, reason = "results are the command's output")]
fn print_table(result: &QueryResult) {
    let cells: Vec<Vec<String>> = result
        .rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|value| match value {
                    Value::Null => "null".to_string(),
                    Value::Text(t) => t.clone(),
                    other => value_json(other).to_string(),
                })
                .collect()
        })
        .collect();
    let widths: Vec<usize> = result
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            cells
                .iter()
                .map(|r| r[i].len())
                .chain([c.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |values: &[String]| {
        let padded: Vec<String> = values
            .iter()
            .zip(&widths)
            .map(|(v, w)| format!("{v:<w$}"))
            .collect();
        println!("│ {} │", padded.join(" │ "));
    };
    line(&result.columns);
    for row in &cells {
        line(row);
    }
}
