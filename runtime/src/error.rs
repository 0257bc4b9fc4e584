//! Why a Worker could not be loaded: the one error every step of loading
//! (config, modules, guest compilation, bindings, top-level code) reports.

/// Why a Worker could not be loaded. The message names the file.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct LoadError(pub String);
