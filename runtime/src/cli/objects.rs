//! `isola objects`: the Durable Objects a host keeps in its state
//! directory, listed, and one object's database queried. As with
//! `isola d1`, SQLite lets the command open a database while a server uses
//! it.

use std::path::Path;

use anyhow::Context;
use clap::{Args, Subcommand};
use isola_storage::alarms::AlarmIndex;
use isola_storage::d1::{D1Database, Durability, Statement};

use super::StateArgs;
use super::d1::result_json;

#[derive(Debug, Args)]
pub struct ObjectsArgs {
    #[command(subcommand)]
    pub command: ObjectsCommand,
}

#[derive(Debug, Subcommand)]
pub enum ObjectsCommand {
    /// List the stored objects of each namespace (`<worker>-<class>`), with
    /// their size and pending alarm.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        state: StateArgs,
    },
    /// Run SQL on one object's database (its key-value pairs are the
    /// `_cf_KV` table) and print the last statement's results as JSON.
    Sql {
        /// The namespace, `<worker>-<class>`, as `list` names it.
        namespace: String,
        /// The object's id (64 hex digits).
        id: String,
        #[arg(long)]
        command: String,
        #[command(flatten)]
        state: StateArgs,
    },
}

#[allow(clippy::print_stdout, reason = "listings are the command's output")]
pub fn run(args: ObjectsArgs) -> anyhow::Result<()> {
    match args.command {
        ObjectsCommand::List { json, state } => {
            let objects = list(&state.persist_to.join("do"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&objects)?);
            } else if objects.is_empty() {
                println!(
                    "No Durable Objects are stored in {}",
                    state.persist_to.display()
                );
            } else {
                for object in &objects {
                    let alarm = object["alarm"]
                        .as_f64()
                        .map(|at| format!("  alarm at {}", at as i64))
                        .unwrap_or_default();
                    println!(
                        "{}  {}  {} bytes{alarm}",
                        object["namespace"].as_str().unwrap_or_default(),
                        object["id"].as_str().unwrap_or_default(),
                        object["bytes"]
                    );
                }
            }
        }
        ObjectsCommand::Sql {
            namespace,
            id,
            command,
            state,
        } => {
            let valid = !namespace.is_empty()
                && namespace
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '$'))
                && id.len() == 64
                && id.bytes().all(|b| b.is_ascii_hexdigit());
            anyhow::ensure!(valid, "no Durable Object {id:?} in namespace {namespace:?}");
            let path = state
                .persist_to
                .join("do")
                .join(&namespace)
                .join(format!("{id}.sqlite"));
            anyhow::ensure!(
                path.exists(),
                "no Durable Object {id} is stored in {namespace} ({})",
                path.display()
            );
            let db = D1Database::open_with(&path, Durability::Process)
                .with_context(|| format!("cannot open {}", path.display()))?;
            // The host's rights, so that `_cf_KV` can be read.
            let results = db.batch_as_host(&[Statement::new(command, Vec::new())])?;
            let value = serde_json::Value::Array(results.iter().map(result_json).collect());
            println!("{}", serde_json::to_string_pretty(&value)?);
        }
    }
    Ok(())
}

/// Every stored object under `root` (`<state>/do`), by namespace and id.
fn list(root: &Path) -> anyhow::Result<Vec<serde_json::Value>> {
    if !root.exists() {
        return Ok(Vec::new());
    }
    let alarms = AlarmIndex::open(Some(root)).map_err(anyhow::Error::msg)?;
    let pending = alarms.pending().map_err(anyhow::Error::msg)?;
    let mut objects = Vec::new();
    let mut namespaces: Vec<_> = std::fs::read_dir(root)
        .with_context(|| format!("cannot read {}", root.display()))?
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_dir())
        .collect();
    namespaces.sort_by_key(|entry| entry.file_name());
    for namespace in namespaces {
        let name = namespace.file_name().to_string_lossy().into_owned();
        let mut files: Vec<_> = std::fs::read_dir(namespace.path())?
            .filter_map(Result::ok)
            .filter(|entry| entry.path().extension().is_some_and(|e| e == "sqlite"))
            .collect();
        files.sort_by_key(|entry| entry.file_name());
        for file in files {
            let path = file.path();
            let id = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let size = |path: &Path| std::fs::metadata(path).map_or(0, |m| m.len());
            let bytes = size(&path) + size(&path.with_extension("sqlite-wal"));
            let alarm = pending
                .iter()
                .find(|a| {
                    a.owner.id == id && format!("{}-{}", a.owner.worker, a.owner.class) == name
                })
                .map(|a| a.at);
            objects.push(serde_json::json!({
                "namespace": name,
                "id": id,
                "bytes": bytes,
                "alarm": alarm,
            }));
        }
    }
    Ok(objects)
}
