//! KV operations as data, for the `isola kv` command: run against a store
//! opened directly, or sent to the running server that holds the store
//! (sled allows one process per database) and run there.

use serde::{Deserialize, Serialize};

use super::{KvError, KvStore, Put};

/// One `isola kv` operation on namespace `namespace` (an id).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum KvCommand {
    Put {
        namespace: String,
        key: String,
        /// The value's bytes.
        value: Vec<u8>,
        metadata: Option<serde_json::Value>,
        expiration: Option<i64>,
        expiration_ttl: Option<i64>,
    },
    Get {
        namespace: String,
        key: String,
    },
    Delete {
        namespace: String,
        key: String,
    },
    List {
        namespace: String,
        prefix: Option<String>,
    },
    BulkPut {
        namespace: String,
        pairs: Vec<BulkPair>,
    },
}

/// One pair of a bulk put file, in wrangler's format.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BulkPair {
    pub key: String,
    pub value: String,
    pub expiration: Option<i64>,
    pub expiration_ttl: Option<i64>,
    pub metadata: Option<serde_json::Value>,
    /// Whether `value` is base64 of the bytes to store.
    #[serde(default)]
    pub base64: bool,
}

/// What a command returns.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum KvOutput {
    Done,
    Value { value: Option<Vec<u8>> },
    Keys { keys: Vec<ListedKeyJson> },
}

/// A listed key as `wrangler kv key list` prints it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ListedKeyJson {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
}

impl KvCommand {
    /// Runs the command on `store` at time `now` (seconds since the epoch).
    pub fn run(self, store: &KvStore, now: u64) -> Result<KvOutput, KvError> {
        match self {
            Self::Put {
                namespace,
                key,
                value,
                metadata,
                expiration,
                expiration_ttl,
            } => {
                let put = Put {
                    value,
                    metadata: metadata.map(|m| m.to_string()),
                    expiration,
                    expiration_ttl,
                };
                store.namespace(&namespace)?.write(&key, put, now)?;
                Ok(KvOutput::Done)
            }
            Self::Get { namespace, key } => {
                let entry = store.namespace(&namespace)?.read(&key, now)?;
                Ok(KvOutput::Value {
                    value: entry.map(|e| e.value),
                })
            }
            Self::Delete { namespace, key } => {
                store.namespace(&namespace)?.remove(&key)?;
                Ok(KvOutput::Done)
            }
            Self::List { namespace, prefix } => {
                let page = store.namespace(&namespace)?.list_page(
                    prefix.as_deref().unwrap_or(""),
                    None,
                    None,
                    now,
                )?;
                let keys = page
                    .keys
                    .into_iter()
                    .map(|k| ListedKeyJson {
                        name: k.name,
                        expiration: k.expiration,
                        metadata: k.metadata.and_then(|m| serde_json::from_str(&m).ok()),
                    })
                    .collect();
                Ok(KvOutput::Keys { keys })
            }
            Self::BulkPut { namespace, pairs } => {
                // Check every pair before writing any.
                let mut decoded = Vec::with_capacity(pairs.len());
                for pair in pairs {
                    let value = if pair.base64 {
                        use base64::Engine;
                        base64::engine::general_purpose::STANDARD
                            .decode(&pair.value)
                            .map_err(|e| {
                                KvError::Store(super::StoreError::Corrupt(format!(
                                    "the value of {:?} is not valid base64: {e}",
                                    pair.key
                                )))
                            })?
                    } else {
                        pair.value.into_bytes()
                    };
                    let entry = Put {
                        value,
                        metadata: pair.metadata.map(|m| m.to_string()),
                        expiration: pair.expiration,
                        expiration_ttl: pair.expiration_ttl,
                    }
                    .check(&pair.key, now)?;
                    decoded.push((pair.key, entry));
                }
                let ns = store.namespace(&namespace)?;
                ns.put_many(&decoded)?;
                Ok(KvOutput::Done)
            }
        }
    }
}
