//! Read-modify-write on one key, for the stores whose interfaces promise
//! it (`wasi:keyvalue`'s atomics and compare-and-swap): a [`Version`] is
//! what a key held when it was read, and [`Namespace::swap`] writes only
//! if it still holds exactly that. Workers KV itself has no such verb, so
//! JS Workers never call these; their writes to the same key simply make a
//! pending swap fail and retry.

use super::{Entry, KvError, Namespace, Put, StoreError, validate_key};

/// A key's state when it was read: its stored bytes (also when expired, so
/// a swap sees a rewrite) and its live entry, if any.
#[derive(Debug, Clone)]
pub struct Version {
    stored: Option<Vec<u8>>,
    live: Option<Entry>,
}

impl Version {
    /// The live entry when this version was read.
    pub fn entry(&self) -> Option<&Entry> {
        self.live.as_ref()
    }
}

/// Why [`Namespace::increment`] failed.
#[derive(Debug, thiserror::Error)]
pub enum IncrementError {
    #[error("the value under \"{0}\" is not a whole number, so it cannot be incremented")]
    NotANumber(String),
    #[error("incrementing \"{0}\" would overflow a 64-bit integer")]
    Overflow(String),
    #[error(transparent)]
    Kv(#[from] KvError),
}

impl Namespace {
    /// What `key` holds now, at `now`.
    pub fn version(&self, key: &str, now: u64) -> Result<Version, KvError> {
        validate_key(key, "GET")?;
        let stored = self.backend.get(&self.id, key)?;
        let live = match &stored {
            Some(bytes) => {
                let entry = Entry::decode(bytes.clone())?;
                entry.expiration.is_none_or(|at| at > now).then_some(entry)
            }
            None => None,
        };
        Ok(Version { stored, live })
    }

    /// Writes `put` under `key` if the key still holds `read`; whether it
    /// did. The write keeps KV's rules, as [`Namespace::write`] does.
    pub fn swap(&self, key: &str, read: &Version, put: Put, now: u64) -> Result<bool, KvError> {
        let entry = put.check(key, now)?;
        Ok(self.swap_entry(key, read, &entry)?)
    }

    fn swap_entry(&self, key: &str, read: &Version, entry: &Entry) -> Result<bool, StoreError> {
        let bytes = entry.encode();
        let swapped = self
            .backend
            .swap(&self.id, key, read.stored.as_deref(), bytes.clone())?;
        if swapped {
            self.remember(key, Some(bytes));
        } else if let Some(reads) = &self.reads {
            // Someone else wrote it: what this host remembers is old.
            reads.forget(&self.id, key);
        }
        Ok(swapped)
    }

    /// Adds `delta` to the whole number stored under `key` as decimal text
    /// (an absent key counts as 0), atomically, and returns the sum. The
    /// entry keeps its metadata and expiration.
    pub fn increment(&self, key: &str, delta: i64, now: u64) -> Result<i64, IncrementError> {
        loop {
            let read = self.version(key, now)?;
            let current = match read.entry() {
                Some(entry) => std::str::from_utf8(&entry.value)
                    .ok()
                    .and_then(|text| text.trim().parse::<i64>().ok())
                    .ok_or_else(|| IncrementError::NotANumber(key.to_string()))?,
                None => 0,
            };
            let sum = current
                .checked_add(delta)
                .ok_or_else(|| IncrementError::Overflow(key.to_string()))?;
            let entry = Entry {
                value: sum.to_string().into_bytes(),
                metadata: read.entry().and_then(|e| e.metadata.clone()),
                expiration: read.entry().and_then(|e| e.expiration),
            };
            if self.swap_entry(key, &read, &entry).map_err(KvError::from)? {
                return Ok(sum);
            }
        }
    }
}
