//! The `isola` command line.

mod bench;
mod compile;
mod d1;
mod dev;
mod kv;
mod objects;
mod r2;
mod reload;
mod serve;
mod stats;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Runs Cloudflare Workers scripts unchanged, and Rust-compiled WebAssembly.
#[derive(Debug, Parser)]
#[command(name = "isola", version, about)]
pub struct Cli {
    /// Where compiled JS bytecode and Wasm guests are cached (default:
    /// $XDG_CACHE_HOME/isola).
    #[arg(long, global = true, env = "ISOLA_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Compile JS from source on every start instead of caching bytecode.
    #[arg(long, global = true)]
    pub no_bytecode_cache: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve Workers over HTTP.
    Serve(serve::ServeArgs),
    /// Run a Workers project for development, reloading it on every edit.
    Dev(dev::DevArgs),
    /// Show what a running server's Workers are doing.
    Stats(stats::StatsArgs),
    /// Reload a running Worker from its files, without dropping a request.
    Reload(reload::ReloadArgs),
    /// Read and write Workers KV (directly, or through a running server).
    Kv(kv::KvArgs),
    /// Query, migrate and export D1 databases.
    D1(d1::D1Args),
    /// List stored Durable Objects and query one's database.
    Objects(objects::ObjectsArgs),
    /// Create and list R2 buckets; write, read and delete objects.
    R2(r2::R2Args),
    /// Measure the host: cold starts, memory per isolate.
    Bench(bench::BenchArgs),
    /// Compile Wasm guests into the cache ahead of their first start.
    Compile(compile::CompileArgs),
}

/// Where a server keeps its state (and how commands find a running one).
#[derive(Debug, Args)]
pub struct StateArgs {
    /// The state directory.
    #[arg(long, default_value = ".isola/state")]
    pub persist_to: PathBuf,
}

impl Cli {
    /// Points the QuickJS backend's bytecode cache, and wasmtime's cache of
    /// compiled guests, at isola's cache directory, or turns them off. The
    /// engine reads these variables once, so
    /// this must run before the first isolate exists and before any thread
    /// is spawned.
    pub fn configure_bytecode_cache(&self) {
        let dir = self.cache_dir.clone().or_else(default_cache_dir);
        // SAFETY: called from `main` while the process is single-threaded.
        unsafe {
            if self.no_bytecode_cache {
                std::env::set_var("V82JSC_NO_BC_CACHE", "1");
            } else if let Some(dir) = &dir {
                std::env::set_var("V82JSC_BC_CACHE_DIR", dir.join("bytecode"));
            }
        }
        // `isola bench` measures compilation itself, so it reads no
        // compiled guests from disk (the servers it starts do).
        let bench = matches!(self.command, Command::Bench(_));
        if let (false, false, Some(dir)) = (self.no_bytecode_cache, bench, dir) {
            crate::wasm::set_cache_dir(dir.join("wasm"));
        }
    }

    /// Runs the chosen command; the error, if any, is for the user.
    pub fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Serve(args) => serve::run(args),
            Command::Dev(args) => dev::run(args),
            Command::Stats(args) => stats::run(args),
            Command::Reload(args) => reload::run(args),
            Command::Kv(args) => kv::run(args),
            Command::D1(args) => d1::run(args),
            Command::Objects(args) => objects::run(args),
            Command::R2(args) => r2::run(args),
            Command::Bench(args) => bench::run(args),
            Command::Compile(args) => compile::run(args),
        }
    }
}

/// `$XDG_CACHE_HOME/isola`, or `~/.cache/isola`.
fn default_cache_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .map(|base| base.join("isola"))
}

/// Runs a future for a command that has no runtime of its own.
fn block_on<T>(future: impl std::future::Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(future)
}
