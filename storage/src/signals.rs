//! Signals that hosts sharing a database send one another, such as "the
//! Worker `shop` was reloaded": each signal is a counter in the database
//! that a host raises, and that the others watch for a change. A host on
//! its own has no one to signal.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::StoreError;

/// Where the counters live.
pub trait SignalBackend: Send + Sync {
    /// Raises `signal` by one; its new count.
    fn raise(&self, signal: &str) -> Result<i64, StoreError>;

    /// Every signal raised so far, with its count.
    fn counts(&self) -> Result<HashMap<String, i64>, StoreError>;
}

/// The signals of one host: in a shared database, or none.
#[derive(Clone, Default)]
pub struct Signals(Option<Arc<dyn SignalBackend>>);

impl Signals {
    pub(crate) fn shared(backend: Arc<dyn SignalBackend>) -> Self {
        Self(Some(backend))
    }

    /// Whether other hosts may be listening.
    pub fn is_shared(&self) -> bool {
        self.0.is_some()
    }

    /// Raises `signal` for the other hosts; its new count, or None alone.
    pub fn raise(&self, signal: &str) -> Result<Option<i64>, StoreError> {
        self.0.as_ref().map(|b| b.raise(signal)).transpose()
    }

    /// Every signal's count; none alone.
    pub fn counts(&self) -> Result<HashMap<String, i64>, StoreError> {
        match &self.0 {
            Some(backend) => backend.counts(),
            None => Ok(HashMap::new()),
        }
    }
}
