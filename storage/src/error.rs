//! Why a store failed, as opposed to a request breaking one of its rules.
//! KV and the Cache API share it (they share a database), so it lives
//! apart from both.

use std::path::PathBuf;

/// Why the KV store failed (as opposed to a request breaking a KV rule).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the KV state in {0} is in use by another process (is an isola server running on it?)")]
    Locked(PathBuf),
    #[error("the KV state in {path} cannot be opened: {message}")]
    Open { path: PathBuf, message: String },
    #[error("{0}")]
    Corrupt(String),
    #[error("the host is stopping: KV and the Cache API take no more writes")]
    Stopping,
    /// A networked database failed or did not answer; the message names
    /// it.
    #[error("{0}")]
    Database(String),
    #[error("KV storage failed: {0}")]
    Io(#[from] sled::Error),
}
