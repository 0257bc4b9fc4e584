//! Which one of several hosts acts on a scheduled event (a cron trigger's
//! firing): the first to claim it. Hosts that share a database claim there,
//! so each event happens once across the deployment; a host on its own
//! claims everything.

use std::sync::Arc;

use crate::error::StoreError;

/// Where hosts record the events they claimed.
pub trait ClaimBackend: Send + Sync {
    /// Records that this host acts on `event` due at `at_ms` (milliseconds
    /// since the epoch), unless another host did; whether this one did.
    fn claim(&self, event: &str, at_ms: i64) -> Result<bool, StoreError>;
}

/// The claims of one host: in a shared database, or none to contend with.
#[derive(Clone, Default)]
pub struct Claims(Option<Arc<dyn ClaimBackend>>);

impl Claims {
    pub(crate) fn shared(backend: Arc<dyn ClaimBackend>) -> Self {
        Self(Some(backend))
    }

    /// Whether this host acts on `event` due at `at_ms`: the first host to
    /// ask does. Alone, a host always does.
    pub fn claim(&self, event: &str, at_ms: i64) -> Result<bool, StoreError> {
        match &self.0 {
            Some(backend) => backend.claim(event, at_ms),
            None => Ok(true),
        }
    }
}
