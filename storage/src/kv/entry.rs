//! How one KV entry is stored, whatever the backend: a small header
//! (format, expiration, metadata length), the metadata JSON, then the value
//! bytes.
//!
//! ```text
//! [0]      format (1)
//! [1..9]   expiration, seconds since the epoch, little endian (0: none)
//! [9..13]  metadata length, little endian (u32::MAX: no metadata)
//! [13..]   metadata (JSON text), then the value
//! ```

use crate::error::StoreError;

const FORMAT: u8 = 1;

/// An entry's expiration, metadata and value, borrowed from its bytes.
pub type Head<'a> = (Option<u64>, Option<&'a str>, &'a [u8]);
const HEADER: usize = 13;
const NO_METADATA: u32 = u32::MAX;

/// A value with what was stored beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub value: Vec<u8>,
    /// The metadata as JSON text, as it was put.
    pub metadata: Option<String>,
    /// Seconds since the epoch at which the entry expires.
    pub expiration: Option<u64>,
}

impl Entry {
    pub fn encode(&self) -> Vec<u8> {
        let metadata = self.metadata.as_deref().unwrap_or("");
        let mut bytes = Vec::with_capacity(HEADER + metadata.len() + self.value.len());
        bytes.push(FORMAT);
        bytes.extend_from_slice(&self.expiration.unwrap_or(0).to_le_bytes());
        let metadata_len = match &self.metadata {
            Some(m) => m.len() as u32,
            None => NO_METADATA,
        };
        bytes.extend_from_slice(&metadata_len.to_le_bytes());
        bytes.extend_from_slice(metadata.as_bytes());
        bytes.extend_from_slice(&self.value);
        bytes
    }

    /// The entry's header fields without copying its value.
    pub fn decode_head(bytes: &[u8]) -> Result<Head<'_>, StoreError> {
        let corrupt = || StoreError::Corrupt("a KV entry has an unknown format".into());
        if bytes.len() < HEADER || bytes[0] != FORMAT {
            return Err(corrupt());
        }
        let expiration = u64::from_le_bytes(bytes[1..9].try_into().map_err(|_| corrupt())?);
        let metadata_len = u32::from_le_bytes(bytes[9..13].try_into().map_err(|_| corrupt())?);
        let (metadata, value) = if metadata_len == NO_METADATA {
            (None, &bytes[HEADER..])
        } else {
            let end = HEADER + metadata_len as usize;
            if end > bytes.len() {
                return Err(corrupt());
            }
            let metadata = std::str::from_utf8(&bytes[HEADER..end]).map_err(|_| corrupt())?;
            (Some(metadata), &bytes[end..])
        };
        Ok(((expiration != 0).then_some(expiration), metadata, value))
    }

    /// The entry in `bytes`, its value kept in their allocation.
    pub fn decode(mut bytes: Vec<u8>) -> Result<Self, StoreError> {
        let (expiration, metadata, value) = Self::decode_head(&bytes)?;
        let metadata = metadata.map(str::to_string);
        let value_start = bytes.len() - value.len();
        bytes.drain(..value_start);
        Ok(Self {
            value: bytes,
            metadata,
            expiration,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip() {
        for entry in [
            Entry {
                value: b"hello".to_vec(),
                metadata: Some(r#"{"a":1}"#.into()),
                expiration: Some(1_900_000_000),
            },
            Entry {
                value: Vec::new(),
                metadata: None,
                expiration: None,
            },
            Entry {
                value: vec![0, 255, 7],
                metadata: Some(String::new()),
                expiration: None,
            },
        ] {
            assert_eq!(Entry::decode(entry.encode()).unwrap(), entry);
        }
    }

    #[test]
    fn damaged_entries_are_errors_not_panics() {
        assert!(Entry::decode(Vec::new()).is_err());
        assert!(Entry::decode(vec![9; 20]).is_err());
        let mut bytes = Entry {
            value: vec![1],
            metadata: Some("{}".into()),
            expiration: None,
        }
        .encode();
        bytes[9] = 200;
        assert!(Entry::decode(bytes).is_err());
    }
}
