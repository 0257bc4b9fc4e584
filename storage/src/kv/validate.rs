//! Cloudflare's KV limits, with the error messages Workers see.
//!
//! On Cloudflare, workerd checks key names itself (TypeErrors) and the KV
//! service checks the rest; workerd turns the service's refusals into
//! `Error("KV <METHOD> failed: <status> <text>")`. The texts here are those
//! wrangler's local simulator gives, which follow the service's.

use crate::error::StoreError;

/// Longest key, in UTF-8 bytes.
pub const MAX_KEY_BYTES: usize = 512;
/// Largest value: 25 MiB.
pub const MAX_VALUE_BYTES: usize = 25 * 1024 * 1024;
/// Largest metadata, as JSON text.
pub const MAX_METADATA_BYTES: usize = 1024;
/// Shortest `expirationTtl`, and how far ahead `expiration` must be.
pub const MIN_TTL_SECONDS: i64 = 60;
/// Shortest `cacheTtl`.
pub const MIN_CACHE_TTL_SECONDS: i64 = 30;
/// Most keys one `list` returns, and its default.
pub const MAX_LIST_LIMIT: usize = 1000;
/// Most keys one bulk `get` reads.
pub const MAX_BULK_KEYS: usize = 100;

/// A KV request that breaks one of Cloudflare's rules, or a store failure.
#[derive(Debug, thiserror::Error)]
pub enum KvError {
    #[error("Key name cannot be empty.")]
    EmptyKey,
    #[error("\"{0}\" is not allowed as a key name.")]
    DotKey(&'static str),
    #[error(
        "KV {method} failed: 414 UTF-8 encoded length of {len} exceeds key length limit of 512."
    )]
    KeyTooLong { method: &'static str, len: usize },
    #[error("KV PUT failed: 413 Value length of {0} exceeds limit of 26214400.")]
    ValueTooLarge(usize),
    #[error("KV PUT failed: 413 Metadata length of {0} exceeds limit of 1024.")]
    MetadataTooLarge(usize),
    #[error(
        "KV PUT failed: 400 Invalid expiration_ttl of {0}. Please specify integer greater than 0."
    )]
    TtlNotPositive(i64),
    #[error(
        "KV PUT failed: 400 Invalid expiration_ttl of {0}. Expiration TTL must be at least 60."
    )]
    TtlTooShort(i64),
    #[error(
        "KV PUT failed: 400 Invalid expiration of {0}. Please specify integer greater than the current number of seconds since the UNIX epoch."
    )]
    ExpirationPast(i64),
    #[error(
        "KV PUT failed: 400 Invalid expiration of {0}. Expiration times must be at least 60 seconds in the future."
    )]
    ExpirationTooSoon(i64),
    #[error("KV GET failed: 400 Invalid cache_ttl of {0}. Cache TTL must be at least 30.")]
    CacheTtlTooShort(i64),
    #[error(
        "KV GET failed: 400 Invalid key_count_limit of {0}. Please specify an integer less than 1000."
    )]
    ListLimitTooLarge(i64),
    #[error("KV GET failed: 400 Invalid cursor.")]
    InvalidCursor,
    #[error("KV GET_BULK failed: 400 You can request a maximum of 100 keys")]
    TooManyKeys,
    #[error("KV GET_BULK failed: 400 You must request a minimum of 1 key")]
    NoKeys,
    #[error("KV GET_BULK failed: 400 Key names must not be empty")]
    BulkEmptyKey,
    #[error("KV GET_BULK failed: 400 Illegal key name \"{0}\". Please use a different name.")]
    BulkIllegalKey(String),
    #[error("KV GET_BULK failed: 400 \"{0}\" is not a valid type. Use \"json\" or \"text\"")]
    BulkType(String),
    #[error(
        "KV GET_BULK failed: 400 At least one of the requested keys corresponds to a non-json value"
    )]
    BulkNotJson,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl KvError {
    /// Whether workerd raises this as a TypeError (the rest are Errors).
    pub fn is_type_error(&self) -> bool {
        matches!(self, Self::EmptyKey | Self::DotKey(_))
    }
}

/// Checks a key name as workerd does before `method` (GET, PUT, DELETE).
pub fn validate_key(key: &str, method: &'static str) -> Result<(), KvError> {
    match key {
        "" => Err(KvError::EmptyKey),
        "." => Err(KvError::DotKey(".")),
        ".." => Err(KvError::DotKey("..")),
        _ if key.len() > MAX_KEY_BYTES => Err(KvError::KeyTooLong {
            method,
            len: key.len(),
        }),
        _ => Ok(()),
    }
}

/// Checks the keys and type of a bulk `get`, as the service does.
pub fn validate_bulk_get(keys: &[String], value_type: &str) -> Result<(), KvError> {
    if keys.is_empty() {
        return Err(KvError::NoKeys);
    }
    if keys.len() > MAX_BULK_KEYS {
        return Err(KvError::TooManyKeys);
    }
    if value_type != "text" && value_type != "json" {
        return Err(KvError::BulkType(value_type.to_string()));
    }
    for key in keys {
        match key.as_str() {
            "" => return Err(KvError::BulkEmptyKey),
            "." | ".." => return Err(KvError::BulkIllegalKey(key.clone())),
            _ if key.len() > MAX_KEY_BYTES => {
                return Err(KvError::KeyTooLong {
                    method: "GET_BULK",
                    len: key.len(),
                });
            }
            _ => {}
        }
    }
    Ok(())
}

/// Checks a `put` and returns when the entry expires (seconds since the
/// epoch). With both `expiration` and `expiration_ttl`, the TTL wins, as on
/// Cloudflare.
pub fn validate_put(
    key: &str,
    value_len: usize,
    metadata: Option<&str>,
    expiration: Option<i64>,
    expiration_ttl: Option<i64>,
    now: u64,
) -> Result<Option<u64>, KvError> {
    validate_key(key, "PUT")?;
    if value_len > MAX_VALUE_BYTES {
        return Err(KvError::ValueTooLarge(value_len));
    }
    if let Some(metadata) = metadata
        && metadata.len() > MAX_METADATA_BYTES
    {
        return Err(KvError::MetadataTooLarge(metadata.len()));
    }
    let now = now as i64;
    match (expiration_ttl, expiration) {
        (Some(ttl), _) if ttl <= 0 => Err(KvError::TtlNotPositive(ttl)),
        (Some(ttl), _) if ttl < MIN_TTL_SECONDS => Err(KvError::TtlTooShort(ttl)),
        (Some(ttl), _) => Ok(Some((now + ttl) as u64)),
        (None, Some(at)) if at <= now => Err(KvError::ExpirationPast(at)),
        (None, Some(at)) if at < now + MIN_TTL_SECONDS => Err(KvError::ExpirationTooSoon(at)),
        (None, Some(at)) => Ok(Some(at as u64)),
        (None, None) => Ok(None),
    }
}

/// Checks a `cacheTtl`; the seconds it asks for.
pub fn validate_cache_ttl(cache_ttl: Option<i64>) -> Result<Option<u64>, KvError> {
    match cache_ttl {
        Some(ttl) if ttl < MIN_CACHE_TTL_SECONDS => Err(KvError::CacheTtlTooShort(ttl)),
        ttl => Ok(ttl.map(|ttl| ttl as u64)),
    }
}

/// The page size of a `list`: at most 1000; 0 or less means the default.
pub fn list_limit(limit: Option<i64>) -> Result<usize, KvError> {
    match limit {
        Some(n) if n > MAX_LIST_LIMIT as i64 => Err(KvError::ListLimitTooLarge(n)),
        Some(n) if n > 0 => Ok(n as usize),
        _ => Ok(MAX_LIST_LIMIT),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_workerds_rules() {
        assert_eq!(
            validate_key("", "GET").unwrap_err().to_string(),
            "Key name cannot be empty."
        );
        assert_eq!(
            validate_key("..", "GET").unwrap_err().to_string(),
            "\"..\" is not allowed as a key name."
        );
        assert!(validate_key("..", "GET").unwrap_err().is_type_error());
        assert!(
            validate_key(&"é".repeat(256), "GET").is_ok(),
            "512 bytes is allowed"
        );
        let long = validate_key(&"é".repeat(257), "DELETE").unwrap_err();
        assert_eq!(
            long.to_string(),
            "KV DELETE failed: 414 UTF-8 encoded length of 514 exceeds key length limit of 512."
        );
        assert!(!long.is_type_error());
    }

    #[test]
    fn puts_follow_the_services_rules() {
        let now = 1_000_000;
        assert_eq!(
            validate_put("k", 0, None, None, Some(60), now).unwrap(),
            Some(now + 60)
        );
        assert_eq!(
            validate_put("k", 0, None, Some(now as i64 + 600), None, now).unwrap(),
            Some(now + 600)
        );
        assert_eq!(
            validate_put("k", 0, None, Some(1), Some(120), now).unwrap(),
            Some(now + 120),
            "the TTL wins over the expiration"
        );
        let message = |r: Result<Option<u64>, KvError>| r.unwrap_err().to_string();
        assert!(
            message(validate_put("k", 0, None, None, Some(30), now))
                .contains("must be at least 60")
        );
        assert!(message(validate_put("k", 0, None, None, Some(0), now)).contains("greater than 0"));
        assert!(
            message(validate_put("k", 0, None, Some(5), None, now))
                .contains("greater than the current number")
        );
        assert!(
            message(validate_put("k", 0, None, Some(now as i64 + 30), None, now))
                .contains("at least 60 seconds in the future")
        );
        assert_eq!(
            message(validate_put(
                "k",
                MAX_VALUE_BYTES + 1,
                None,
                None,
                None,
                now
            )),
            "KV PUT failed: 413 Value length of 26214401 exceeds limit of 26214400."
        );
        let metadata = "x".repeat(1025);
        assert_eq!(
            message(validate_put("k", 0, Some(&metadata), None, None, now)),
            "KV PUT failed: 413 Metadata length of 1025 exceeds limit of 1024."
        );
    }

    #[test]
    fn bulk_gets_follow_the_services_rules() {
        let keys = |n: usize| (0..n).map(|i| i.to_string()).collect::<Vec<_>>();
        assert!(validate_bulk_get(&keys(100), "json").is_ok());
        assert_eq!(
            validate_bulk_get(&keys(101), "text")
                .unwrap_err()
                .to_string(),
            "KV GET_BULK failed: 400 You can request a maximum of 100 keys"
        );
        assert!(matches!(
            validate_bulk_get(&[], "text"),
            Err(KvError::NoKeys)
        ));
        assert_eq!(
            validate_bulk_get(&keys(1), "arrayBuffer")
                .unwrap_err()
                .to_string(),
            "KV GET_BULK failed: 400 \"arrayBuffer\" is not a valid type. Use \"json\" or \"text\""
        );
        assert!(matches!(
            validate_bulk_get(&[".".into()], "text"),
            Err(KvError::BulkIllegalKey(_))
        ));
    }

    #[test]
    fn list_limits_and_cache_ttls() {
        assert_eq!(list_limit(None).unwrap(), 1000);
        assert_eq!(list_limit(Some(0)).unwrap(), 1000);
        assert_eq!(list_limit(Some(5)).unwrap(), 5);
        assert!(
            list_limit(Some(1001))
                .unwrap_err()
                .to_string()
                .contains("key_count_limit of 1001")
        );
        assert!(validate_cache_ttl(Some(30)).is_ok());
        assert!(
            validate_cache_ttl(Some(29))
                .unwrap_err()
                .to_string()
                .contains("at least 30")
        );
    }
}
