//! KV operations as data, for the `isola kv` command: run against a store
//! opened directly, or sent to the running server that holds the store
//! (sled allows one process per database) and run there.

use serde::{Deserialize, Serialize};

use super::{Entry, KvError, KvStore, list_limit, validate_key, validate_put};

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
                put(
                    store,
                    &namespace,
                    &key,
                    value,
                    metadata,
                    expiration,
                    expiration_ttl,
                    now,
                )?;
                Ok(KvOutput::Done)
            }
            Self::Get { namespace, key } => {
                validate_key(&key, "GET")?;
                let entry = store.namespace(&namespace)?.get(&key, now)?;
                Ok(KvOutput::Value {
                    value: entry.map(|e| e.value),
                })
            }
            Self::Delete { namespace, key } => {
                validate_key(&key, "DELETE")?;
                store.namespace(&namespace)?.delete(&key)?;
                Ok(KvOutput::Done)
            }
            Self::List { namespace, prefix } => {
                let page = store.namespace(&namespace)?.list(
                    prefix.as_deref().unwrap_or(""),
                    list_limit(None)?,
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
                    let metadata = pair.metadata.map(|m| m.to_string());
                    let expiration = validate_put(
                        &pair.key,
                        value.len(),
                        metadata.as_deref(),
                        pair.expiration,
                        pair.expiration_ttl,
                        now,
                    )?;
                    decoded.push((
                        pair.key,
                        Entry {
                            value,
                            metadata,
                            expiration,
                        },
                    ));
                }
                let ns = store.namespace(&namespace)?;
                ns.put_many(&decoded)?;
                Ok(KvOutput::Done)
            }
        }
    }
}

#[allow(clippy::too_many_arguments, reason = "the fields of a put")]
fn put(
    store: &KvStore,
    namespace: &str,
    key: &str,
    value: Vec<u8>,
    metadata: Option<serde_json::Value>,
    expiration: Option<i64>,
    expiration_ttl: Option<i64>,
    now: u64,
) -> Result<(), KvError> {
    let metadata = metadata.map(|m| m.to_string());
    let expiration = validate_put(
        key,
        value.len(),
        metadata.as_deref(),
        expiration,
        expiration_ttl,
        now,
    )?;
    store.namespace(namespace)?.put(
        key,
        &Entry {
            value,
            metadata,
            expiration,
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_round_trip_through_json_and_run() {
        let store = KvStore::memory().unwrap();
        let run = |command: KvCommand| {
            let json = serde_json::to_string(&command).unwrap();
            let command: KvCommand = serde_json::from_str(&json).unwrap();
            command.run(&store, 1_000)
        };
        run(KvCommand::Put {
            namespace: "n".into(),
            key: "a".into(),
            value: b"1".to_vec(),
            metadata: Some(serde_json::json!({"x": 1})),
            expiration: None,
            expiration_ttl: Some(600),
        })
        .unwrap();
        run(KvCommand::BulkPut {
            namespace: "n".into(),
            pairs: vec![BulkPair {
                key: "b".into(),
                value: "aGk=".into(),
                expiration: None,
                expiration_ttl: None,
                metadata: None,
                base64: true,
            }],
        })
        .unwrap();
        let got = run(KvCommand::Get {
            namespace: "n".into(),
            key: "b".into(),
        })
        .unwrap();
        assert_eq!(
            got,
            KvOutput::Value {
                value: Some(b"hi".to_vec())
            }
        );
        let Ok(KvOutput::Keys { keys }) = run(KvCommand::List {
            namespace: "n".into(),
            prefix: None,
        }) else {
            panic!()
        };
        assert_eq!(keys[0].name, "a");
        assert_eq!(keys[0].expiration, Some(1_600));
        assert_eq!(keys[0].metadata, Some(serde_json::json!({"x": 1})));
        assert_eq!(keys[1].name, "b");
    }

    #[test]
    fn a_bulk_put_with_one_bad_pair_writes_nothing() {
        let store = KvStore::memory().unwrap();
        let pair = |key: &str| BulkPair {
            key: key.into(),
            value: "v".into(),
            expiration: None,
            expiration_ttl: None,
            metadata: None,
            base64: false,
        };
        let err = KvCommand::BulkPut {
            namespace: "n".into(),
            pairs: vec![pair("good"), pair("")],
        }
        .run(&store, 0)
        .unwrap_err();
        assert_eq!(err.to_string(), "Key name cannot be empty.");
        assert!(
            store
                .namespace("n")
                .unwrap()
                .get("good", 0)
                .unwrap()
                .is_none()
        );
    }
}
