use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use isola::cli::Cli;

fn main() -> ExitCode {
    // Errors that libraries create and handle (wasmtime makes one each time
    // a guest's store is dropped) would each capture a backtrace when
    // RUST_BACKTRACE is set, a cost on every request; panics keep theirs.
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        // SAFETY: no other thread runs yet.
        unsafe { std::env::set_var("RUST_LIB_BACKTRACE", "0") };
    }
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ISOLA_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    cli.configure_bytecode_cache();
    // Two TLS providers are linked in (Deno's fetch and wasmtime's
    // wasi:http each bring one): say which one outbound HTTPS uses.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    match cli.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
