//! The files node:fs shows under `/bundle`: the Worker's own, read-only,
//! as workerd shows a Worker its bundle's modules. Which files those are
//! is the host's to say (the same rules as what the Worker may import);
//! it puts a [`Bundle`] in the isolate's state when it loads the Worker.

use std::sync::Arc;

use deno_core::{OpState, op2};
use deno_error::JsErrorBox;
use serde::Serialize;

/// What one entry of the bundle is.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleStat {
    pub kind: &'static str,
    pub size: u64,
    pub mtime_ms: f64,
}

/// A failure as node:fs reports it: `ENOENT`, `EISDIR`, `ENOTDIR`, ...
pub type Errno = &'static str;

/// The Worker's files, by their path below `/bundle` ("" for the top).
pub trait BundleFiles {
    fn stat(&self, path: &str) -> Option<BundleStat>;
    fn read(&self, path: &str) -> Result<Vec<u8>, Errno>;
    /// The entries of a folder, each with its kind ("file", "directory").
    fn list(&self, path: &str) -> Result<Vec<(String, &'static str)>, Errno>;
}

/// The bundle of the Worker loaded in this isolate.
#[derive(Clone)]
pub struct Bundle(pub Arc<dyn BundleFiles + Send + Sync>);

fn bundle(state: &OpState) -> Option<Bundle> {
    state.try_borrow::<Bundle>().cloned()
}

#[op2]
#[serde]
pub fn op_node_bundle_stat(state: &mut OpState, #[string] path: &str) -> Option<BundleStat> {
    bundle(state)?.0.stat(path)
}

#[op2]
#[buffer]
pub fn op_node_bundle_read(
    state: &mut OpState,
    #[string] path: &str,
) -> Result<Vec<u8>, JsErrorBox> {
    let bundle = bundle(state).ok_or_else(|| JsErrorBox::generic("ENOENT"))?;
    bundle.0.read(path).map_err(JsErrorBox::generic)
}

#[op2]
#[serde]
pub fn op_node_bundle_list(
    state: &mut OpState,
    #[string] path: &str,
) -> Result<Vec<(String, &'static str)>, JsErrorBox> {
    let bundle = bundle(state).ok_or_else(|| JsErrorBox::generic("ENOENT"))?;
    bundle.0.list(path).map_err(JsErrorBox::generic)
}
