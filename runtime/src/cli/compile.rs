//! `isola compile GUEST.wasm…`: compiles Wasm guests ahead of their first
//! start, into the cache `isola serve` and `isola dev` read, so that a
//! large guest (a componentized JS engine or CPython) does not pay
//! Cranelift when it is first served.
//!
//! The cache is wasmtime's: an entry is keyed by the module's bytes and the
//! engine's version and settings, so a host of another version or
//! configuration compiles afresh rather than loading code that does not
//! fit it. Compiled code is never read from a Worker's own files, which
//! would let a Worker hand the host machine code to run.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use crate::wasm::{Guest, GuestOptions};

#[derive(Debug, Args)]
pub struct CompileArgs {
    /// The guests (wasi:http components) to compile.
    #[arg(required = true)]
    pub guests: Vec<PathBuf>,
}

#[allow(clippy::print_stdout, reason = "the result is the command's output")]
pub fn run(args: CompileArgs) -> anyhow::Result<()> {
    let cache = crate::wasm::cache_dir().ok_or_else(|| {
        anyhow::anyhow!("the compile cache is off (--no-bytecode-cache, or no cache directory)")
    })?;
    for path in &args.guests {
        let started = Instant::now();
        Guest::load("guest", path, GuestOptions::default())?;
        println!(
            "{}: compiled and linked in {:.2} s",
            path.display(),
            started.elapsed().as_secs_f64()
        );
    }
    println!("cached in {}", cache.display());
    Ok(())
}
