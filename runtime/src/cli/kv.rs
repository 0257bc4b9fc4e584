//! `isola kv`: Workers KV from the command line, as `wrangler kv` does it.
//!
//! The command opens the KV state in `--persist-to` itself, or, when a
//! running server holds it (sled allows one process per database), sends
//! the operation to that server's admin endpoint: either way the same
//! [`KvCommand`] runs, and a running Worker sees the change at once.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use isola_storage::kv::{BulkPair, KvCommand, KvOutput};
use isola_storage::{KvStore, StoreError};

use super::StateArgs;
use crate::admin;
use isola_apis::kv::KvBinding;

use crate::config::WorkerConfig;

#[derive(Debug, Args)]
pub struct KvArgs {
    #[command(subcommand)]
    pub command: KvSubcommand,
}

#[derive(Debug, Subcommand)]
pub enum KvSubcommand {
    /// Write, read, delete or list single keys.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Write many keys from a JSON file.
    Bulk {
        #[command(subcommand)]
        command: BulkCommand,
    },
}

/// Which namespace: by binding name (looked up in the Worker's config) or id.
#[derive(Debug, Args)]
pub struct Namespace {
    /// The binding's name in the Worker's `[[kv_namespaces]]`.
    #[arg(
        long,
        conflicts_with = "namespace_id",
        required_unless_present = "namespace_id"
    )]
    pub binding: Option<String>,

    /// The namespace's id.
    #[arg(long)]
    pub namespace_id: Option<String>,

    /// The Worker config that names the binding (default: the one in the
    /// current directory).
    #[arg(long, default_value = ".")]
    pub config: PathBuf,

    #[command(flatten)]
    pub state: StateArgs,
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Write a value (given, or read from --path).
    Put {
        key: String,
        value: Option<String>,
        #[arg(long, conflicts_with = "value")]
        path: Option<PathBuf>,
        /// Metadata: a JSON object.
        #[arg(long)]
        metadata: Option<String>,
        /// Seconds until the key expires (at least 60).
        #[arg(long)]
        ttl: Option<i64>,
        /// When the key expires, in seconds since the epoch.
        #[arg(long)]
        expiration: Option<i64>,
        #[command(flatten)]
        namespace: Namespace,
    },
    /// Print a value.
    Get {
        key: String,
        /// Print the value as UTF-8 text rather than raw bytes.
        #[arg(long)]
        text: bool,
        #[command(flatten)]
        namespace: Namespace,
    },
    /// Delete a key.
    Delete {
        key: String,
        #[command(flatten)]
        namespace: Namespace,
    },
    /// List keys (the first 1000), as JSON.
    List {
        #[arg(long)]
        prefix: Option<String>,
        #[command(flatten)]
        namespace: Namespace,
    },
}

#[derive(Debug, Subcommand)]
pub enum BulkCommand {
    /// Write every pair of a JSON file: `[{"key", "value", "expiration"?,
    /// "expiration_ttl"?, "metadata"?, "base64"?}]`.
    Put {
        file: PathBuf,
        #[command(flatten)]
        namespace: Namespace,
    },
}

#[allow(
    clippy::print_stdout,
    reason = "values and keys are the command's output"
)]
pub fn run(args: KvArgs) -> anyhow::Result<()> {
    let (command, namespace, text) = match args.command {
        KvSubcommand::Key { command } => match command {
            KeyCommand::Put {
                key,
                value,
                path,
                metadata,
                ttl,
                expiration,
                namespace,
            } => {
                let value = match (value, path) {
                    (Some(value), None) => value.into_bytes(),
                    (None, Some(path)) => std::fs::read(&path)
                        .with_context(|| format!("cannot read {}", path.display()))?,
                    _ => anyhow::bail!("give the value, or --path to a file that holds it"),
                };
                let metadata = metadata.map(|m| parse_metadata(&m)).transpose()?;
                let id = namespace_id(&namespace)?;
                (
                    KvCommand::Put {
                        namespace: id,
                        key,
                        value,
                        metadata,
                        expiration,
                        expiration_ttl: ttl,
                    },
                    namespace,
                    false,
                )
            }
            KeyCommand::Get {
                key,
                text,
                namespace,
            } => (
                KvCommand::Get {
                    namespace: namespace_id(&namespace)?,
                    key,
                },
                namespace,
                text,
            ),
            KeyCommand::Delete { key, namespace } => (
                KvCommand::Delete {
                    namespace: namespace_id(&namespace)?,
                    key,
                },
                namespace,
                false,
            ),
            KeyCommand::List { prefix, namespace } => (
                KvCommand::List {
                    namespace: namespace_id(&namespace)?,
                    prefix,
                },
                namespace,
                false,
            ),
        },
        KvSubcommand::Bulk {
            command: BulkCommand::Put { file, namespace },
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let pairs: Vec<BulkPair> = serde_json::from_str(&text).with_context(|| {
                format!(
                    "{}: expected a JSON array of {{\"key\", \"value\", \"expiration\"?, \
                     \"expiration_ttl\"?, \"metadata\"?, \"base64\"?}}",
                    file.display()
                )
            })?;
            (
                KvCommand::BulkPut {
                    namespace: namespace_id(&namespace)?,
                    pairs,
                },
                namespace,
                false,
            )
        }
    };
    match execute(command, &namespace.state.persist_to)? {
        KvOutput::Done => {}
        KvOutput::Value { value: None } => {
            eprintln!("Value not found");
            std::process::exit(1);
        }
        KvOutput::Value { value: Some(bytes) } => {
            if text {
                println!("{}", String::from_utf8_lossy(&bytes));
            } else {
                use std::io::Write;
                std::io::stdout().write_all(&bytes)?;
            }
        }
        KvOutput::Keys { keys } => println!("{}", serde_json::to_string_pretty(&keys)?),
    }
    Ok(())
}

/// Runs `command` on the store in `state_dir`, or through the server that
/// holds it.
fn execute(command: KvCommand, state_dir: &std::path::Path) -> anyhow::Result<KvOutput> {
    match KvStore::open(state_dir) {
        Ok(store) => {
            let output = command.run(&store, isola_storage::unix_now())?;
            // Left checkable, as a server leaves it when it stops.
            store.seal()?;
            Ok(output)
        }
        Err(StoreError::Locked(_)) => {
            let body = serde_json::to_vec(&command)?;
            let (status, reply) =
                super::block_on(admin::call(state_dir, "POST", "/kv", body.into()))?;
            anyhow::ensure!(status == 200, "{}", reply.trim_end());
            Ok(serde_json::from_str(&reply)?)
        }
        Err(e) => Err(e.into()),
    }
}

fn namespace_id(namespace: &Namespace) -> anyhow::Result<String> {
    if let Some(id) = &namespace.namespace_id {
        return Ok(id.clone());
    }
    let binding = namespace.binding.as_deref().unwrap_or_default();
    let config = WorkerConfig::load(&namespace.config)?;
    config
        .bindings_of::<KvBinding>()
        .find(|ns| ns.binding == binding)
        .map(|ns| ns.id.clone())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{}: no KV namespace is bound as {binding:?}",
                config.source.display()
            )
        })
}

fn parse_metadata(text: &str) -> anyhow::Result<serde_json::Value> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|_| anyhow::anyhow!("--metadata must be valid JSON. Received: {text}"))?;
    anyhow::ensure!(
        value.is_object(),
        "--metadata must be a JSON object. Received: {text}"
    );
    Ok(value)
}
