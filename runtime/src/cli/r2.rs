//! `isola r2`: R2 buckets and objects from the command line, worded as
//! `wrangler r2 … --local` words them. As with `isola d1`, the state is
//! SQLite and files, which several processes may use at once, so the
//! command opens it itself, beside a running server, whose Workers see a
//! change at once. Objects stream both ways: a large file is never read
//! whole.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use bytes::Bytes;
use clap::{Args, Subcommand};
use futures::StreamExt;
use isola_storage::r2::{Got, HttpMetadata, PutOptions, R2Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{StateArgs, block_on};

#[derive(Debug, Args)]
pub struct R2Args {
    #[command(subcommand)]
    pub command: R2Command,
}

#[derive(Debug, Subcommand)]
pub enum R2Command {
    /// Create, list and delete buckets.
    Bucket {
        #[command(subcommand)]
        command: BucketCommand,
    },
    /// Write, read and delete objects.
    Object {
        #[command(subcommand)]
        command: ObjectCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum BucketCommand {
    /// Create a bucket.
    Create {
        name: String,
        #[command(flatten)]
        state: Local,
    },
    /// List the buckets.
    List {
        #[command(flatten)]
        state: Local,
    },
    /// Delete an empty bucket.
    Delete {
        name: String,
        #[command(flatten)]
        state: Local,
    },
}

#[derive(Debug, Subcommand)]
pub enum ObjectCommand {
    /// Write an object from a file, or from stdin with --pipe.
    Put {
        /// `BUCKET/KEY`.
        path: String,
        #[arg(long, short, conflicts_with = "pipe", required_unless_present = "pipe")]
        file: Option<PathBuf>,
        #[arg(long, short)]
        pipe: bool,
        #[arg(long)]
        content_type: Option<String>,
        #[arg(long)]
        content_disposition: Option<String>,
        #[arg(long)]
        content_encoding: Option<String>,
        #[arg(long)]
        content_language: Option<String>,
        #[arg(long)]
        cache_control: Option<String>,
        #[command(flatten)]
        state: Local,
    },
    /// Read an object into a file (by default, its key's last part), or to
    /// stdout with --pipe.
    Get {
        /// `BUCKET/KEY`.
        path: String,
        #[arg(long, short, conflicts_with = "pipe")]
        file: Option<PathBuf>,
        #[arg(long, short)]
        pipe: bool,
        #[command(flatten)]
        state: Local,
    },
    /// Delete an object.
    Delete {
        /// `BUCKET/KEY`.
        path: String,
        #[command(flatten)]
        state: Local,
    },
}

/// Where the state is; `--local` is accepted as wrangler takes it, and is
/// what this command always does.
#[derive(Debug, Args)]
pub struct Local {
    #[arg(long)]
    local: bool,
    #[command(flatten)]
    state: StateArgs,
}

impl Local {
    fn open(&self) -> anyhow::Result<R2Store> {
        let dir = &self.state.persist_to;
        R2Store::open(dir).with_context(|| format!("cannot open the R2 state in {}", dir.display()))
    }
}

/// `BUCKET/KEY` split at its first slash.
fn split(path: &str) -> anyhow::Result<(&str, &str)> {
    match path.split_once('/') {
        Some((bucket, key)) if !bucket.is_empty() && !key.is_empty() => Ok((bucket, key)),
        _ => bail!("the object path `{path}` must be BUCKET/KEY"),
    }
}

/// A bucket name as R2 takes it.
fn check_bucket_name(name: &str) -> anyhow::Result<()> {
    let ok = (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if !ok {
        bail!(
            "The bucket name \"{name}\" is invalid: bucket names are 3 to 63 lowercase letters, \
             digits and hyphens, and begin and end with a letter or digit."
        );
    }
    Ok(())
}

pub fn run(args: R2Args) -> anyhow::Result<()> {
    block_on(async move {
        match args.command {
            R2Command::Bucket { command } => bucket(command).await,
            R2Command::Object { command } => object(command).await,
        }
    })
}

#[allow(clippy::print_stdout, reason = "the command's report is its output")]
async fn bucket(command: BucketCommand) -> anyhow::Result<()> {
    match command {
        BucketCommand::Create { name, state } => {
            check_bucket_name(&name)?;
            println!("Creating bucket '{name}'...");
            if !state.open()?.create_bucket(&name).await? {
                bail!("A bucket with the name '{name}' already exists.");
            }
            println!("Created bucket '{name}' with default storage class of Standard.");
        }
        BucketCommand::List { state } => {
            for bucket in state.open()?.buckets().await? {
                let created = http_date(bucket.created);
                println!(
                    "name:           {}\ncreation_date:  {created}\n",
                    bucket.name
                );
            }
        }
        BucketCommand::Delete { name, state } => {
            println!("Deleting bucket {name}.");
            match state.open()?.delete_bucket(&name).await? {
                None => bail!("The bucket '{name}' does not exist."),
                Some(0) => println!("Deleted bucket {name}."),
                Some(n) => bail!("The bucket '{name}' is not empty: it holds {n} objects."),
            }
        }
    }
    Ok(())
}

/// Milliseconds since the epoch as an HTTP date.
/// calendar arithmetic.
fn http_date(ms: i64) -> String {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
    httpdate::fmt_http_date(time)
}

#[allow(clippy::print_stdout, reason = "the command's report is its output")]
async fn object(command: ObjectCommand) -> anyhow::Result<()> {
    match command {
        ObjectCommand::Put {
            path,
            file,
            pipe,
            content_type,
            content_disposition,
            content_encoding,
            content_language,
            cache_control,
            state,
        } => {
            let (bucket, key) = split(&path)?;
            let options = PutOptions {
                http_metadata: HttpMetadata {
                    content_type,
                    content_language,
                    content_disposition,
                    content_encoding,
                    cache_control,
                    cache_expiry: None,
                },
                ..PutOptions::default()
            };
            let reader: Box<dyn tokio::io::AsyncRead + Unpin> = match (&file, pipe) {
                (Some(file), _) => Box::new(
                    tokio::fs::File::open(file)
                        .await
                        .with_context(|| format!("cannot read {}", file.display()))?,
                ),
                (None, _) => Box::new(tokio::io::stdin()),
            };
            println!("Creating object \"{key}\" in bucket \"{bucket}\".");
            let bucket = state.open()?.bucket(bucket)?;
            bucket
                .put(key, options, chunks(reader))
                .await
                .with_context(|| format!("cannot write {path}"))?;
            println!("Upload complete.");
        }
        ObjectCommand::Get {
            path,
            file,
            pipe,
            state,
        } => {
            let (bucket_name, key) = split(&path)?;
            let Some(bucket) = state.open()?.existing_bucket(bucket_name).await? else {
                bail!("The bucket '{bucket_name}' does not exist.");
            };
            let got = bucket.get(key, Default::default()).await?;
            let Some(Got::Body { mut body, .. }) = got else {
                bail!("The specified key \"{key}\" does not exist in bucket \"{bucket_name}\".");
            };
            let mut out: Box<dyn tokio::io::AsyncWrite + Unpin> = if pipe {
                Box::new(tokio::io::stdout())
            } else {
                let target = file.unwrap_or_else(|| default_file(key));
                println!("Downloading \"{key}\" from \"{bucket_name}\".");
                Box::new(
                    tokio::fs::File::create(&target)
                        .await
                        .with_context(|| format!("cannot write {}", target.display()))?,
                )
            };
            while let Some(chunk) = body.next().await {
                out.write_all(&chunk.map_err(anyhow::Error::msg)?).await?;
            }
            out.flush().await?;
            if !pipe {
                println!("Download complete.");
            }
        }
        ObjectCommand::Delete { path, state } => {
            let (bucket_name, key) = split(&path)?;
            println!("Deleting object \"{key}\" from bucket \"{bucket_name}\".");
            if let Some(bucket) = state.open()?.existing_bucket(bucket_name).await? {
                bucket.delete(vec![key.to_string()]).await?;
            }
            println!("Delete complete.");
        }
    }
    Ok(())
}

/// Where `get` writes an object when no file is named: its key's last
/// part, in the current directory.
fn default_file(key: &str) -> PathBuf {
    Path::new(key.rsplit('/').next().unwrap_or(key)).to_path_buf()
}

/// What `reader` gives, in chunks.
fn chunks(
    reader: Box<dyn tokio::io::AsyncRead + Unpin>,
) -> futures::stream::LocalBoxStream<'static, Result<Bytes, String>> {
    futures::stream::unfold(Some(reader), |reader| async move {
        let mut reader = reader?;
        let mut buffer = vec![0; 1 << 20];
        match reader.read(&mut buffer).await {
            Ok(0) => None,
            Ok(n) => {
                buffer.truncate(n);
                Some((Ok(Bytes::from(buffer)), Some(reader)))
            }
            Err(error) => Some((Err(error.to_string()), None)),
        }
    })
    .boxed_local()
}
