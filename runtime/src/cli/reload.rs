//! `isola reload NAME`: hot-swap a running Worker to what its files hold now.

use clap::Args;

use super::StateArgs;
use crate::admin;

#[derive(Debug, Args)]
pub struct ReloadArgs {
    /// The Worker's name.
    pub worker: String,

    #[command(flatten)]
    pub state: StateArgs,
}

#[allow(clippy::print_stdout, reason = "the result is the command's output")]
pub fn run(args: ReloadArgs) -> anyhow::Result<()> {
    let path = format!("/workers/{}/reload", args.worker);
    let (status, body) = super::block_on(admin::call(
        &args.state.persist_to,
        "POST",
        &path,
        bytes::Bytes::new(),
    ))?;
    anyhow::ensure!(status == 200, "{}", body.trim_end());
    print!("{body}");
    Ok(())
}
