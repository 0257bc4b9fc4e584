//! R2's rules for what a request may ask: keys, metadata sizes, ranges,
//! list limits, multipart parts, and the conditions of `onlyIf`.

use serde::Deserialize;

use super::error::{
    BAD_UPLOAD, ENTITY_TOO_SMALL, INVALID_MAX_KEYS, INVALID_OBJECT_NAME, INVALID_RANGE,
    METADATA_TOO_LARGE,
};
use super::{ObjectInfo, R2Error};

/// The longest key, in UTF-8 bytes.
pub const MAX_KEY_BYTES: usize = 1024;
/// The largest object one `put` may write: 5 GiB less 5 MiB.
pub const MAX_PUT_BYTES: u64 = 5 * 1024 * 1024 * 1024 - 5 * 1024 * 1024;
/// The smallest part of a multipart upload, but for its last.
pub const MIN_PART_BYTES: u64 = 5 * 1024 * 1024;
/// The most custom metadata one object carries, in R2's measure (see
/// [`validate_metadata`]).
pub const MAX_METADATA_SIZE: usize = 2048;
/// The most objects one `list` returns, and its default.
pub const MAX_LIST_LIMIT: u32 = 1000;

pub fn validate_key(key: &str) -> Result<(), R2Error> {
    if key.len() > MAX_KEY_BYTES {
        return Err(INVALID_OBJECT_NAME);
    }
    Ok(())
}

/// Custom metadata within [`MAX_METADATA_SIZE`]: each key and value counts
/// its UTF-16 units, twice over when any is past U+00FF (HTTP metadata is
/// not counted).
pub fn validate_metadata(
    custom: &std::collections::BTreeMap<String, String>,
) -> Result<(), R2Error> {
    let measure = |s: &str| {
        let units = s.encode_utf16().count();
        if s.chars().any(|c| c as u32 >= 256) {
            units * 2
        } else {
            units
        }
    };
    let size: usize = custom.iter().map(|(k, v)| measure(k) + measure(v)).sum();
    if size > MAX_METADATA_SIZE {
        return Err(METADATA_TOO_LARGE);
    }
    Ok(())
}

pub fn list_limit(limit: Option<u32>) -> Result<usize, R2Error> {
    match limit {
        None => Ok(MAX_LIST_LIMIT as usize),
        Some(0) => Err(INVALID_MAX_KEYS),
        Some(n) if n > MAX_LIST_LIMIT => Err(INVALID_MAX_KEYS),
        Some(n) => Ok(n as usize),
    }
}

/// Checks the sizes of the parts a multipart object is made of: in the
/// order given, each but the last at least [`MIN_PART_BYTES`]; in part
/// order, all but the last the same size, and the last no larger.
pub fn validate_part_sizes(given: &[(u32, u64)]) -> Result<(), R2Error> {
    if let Some((_, leading)) = given.split_last()
        && leading.iter().any(|&(_, size)| size < MIN_PART_BYTES)
    {
        return Err(ENTITY_TOO_SMALL);
    }
    let mut sorted = given.to_vec();
    sorted.sort_unstable();
    if let Some((&(_, last), leading)) = sorted.split_last()
        && let Some(&(_, first)) = leading.first()
        && (leading.iter().any(|&(_, size)| size != first) || last > first)
    {
        return Err(BAD_UPLOAD);
    }
    Ok(())
}

/// A byte range of a `get`, as the Worker asks for it.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct RangeSpec {
    pub offset: Option<u64>,
    pub length: Option<u64>,
    pub suffix: Option<u64>,
}

impl RangeSpec {
    /// The bytes this range covers of an object of `size` bytes, as R2
    /// clamps them: a suffix past the start means the whole object, a
    /// length past the end means up to it.
    pub fn resolve(&self, size: u64) -> Result<std::ops::Range<u64>, R2Error> {
        let (offset, length) = match self.suffix {
            Some(0) => return Err(INVALID_RANGE),
            Some(suffix) => {
                let suffix = suffix.min(size);
                (size - suffix, suffix)
            }
            None => {
                let offset = self.offset.unwrap_or(0);
                (offset, self.length.unwrap_or(size.saturating_sub(offset)))
            }
        };
        if offset > size || length == 0 {
            return Err(INVALID_RANGE);
        }
        Ok(offset..offset + length.min(size - offset))
    }
}

/// The conditions of `onlyIf`, from an object or from headers.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conditions {
    pub etag_matches: Option<Vec<String>>,
    pub etag_does_not_match: Option<Vec<String>>,
    /// Milliseconds since the epoch.
    pub uploaded_before: Option<i64>,
    pub uploaded_after: Option<i64>,
    #[serde(default)]
    pub seconds_granularity: bool,
}

fn etag_in(etag: &str, list: &[String]) -> bool {
    list.iter().any(|want| want == "*" || want == etag)
}

impl Conditions {
    /// Whether an object (None when there is none) meets these
    /// conditions, by the rules of HTTP's conditional requests: an etag
    /// condition that holds makes a date condition beside it moot.
    pub fn hold_for(&self, object: Option<&ObjectInfo>) -> bool {
        let Some(object) = object else {
            return self.etag_matches.is_none() && self.uploaded_after.is_none();
        };
        let granular = |ms: i64| {
            if self.seconds_granularity {
                ms - ms.rem_euclid(1000)
            } else {
                ms
            }
        };
        let uploaded = granular(object.uploaded);
        let if_match = self
            .etag_matches
            .as_ref()
            .is_none_or(|list| etag_in(&object.etag, list));
        let if_none_match = self
            .etag_does_not_match
            .as_ref()
            .is_none_or(|list| !etag_in(&object.etag, list));
        let modified_since = self
            .uploaded_after
            .is_none_or(|after| granular(after) < uploaded)
            || (self.etag_does_not_match.is_some() && if_none_match);
        let unmodified_since = self
            .uploaded_before
            .is_none_or(|before| uploaded < granular(before))
            || (self.etag_matches.is_some() && if_match);
        if_match && if_none_match && modified_since && unmodified_since
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_resolve_against_the_size() {
        let range = |offset, length, suffix| RangeSpec {
            offset,
            length,
            suffix,
        };
        assert_eq!(range(Some(2), Some(3), None).resolve(10).unwrap(), 2..5);
        assert_eq!(range(Some(8), Some(5), None).resolve(10).unwrap(), 8..10);
        assert_eq!(range(None, Some(4), None).resolve(10).unwrap(), 0..4);
        assert_eq!(range(None, None, Some(3)).resolve(10).unwrap(), 7..10);
        assert_eq!(range(None, None, Some(30)).resolve(10).unwrap(), 0..10);
        assert_eq!(range(Some(42), None, None).resolve(5), Err(INVALID_RANGE));
        assert_eq!(range(None, Some(0), None).resolve(5), Err(INVALID_RANGE));
        assert_eq!(range(None, None, Some(0)).resolve(5), Err(INVALID_RANGE));
    }

    #[test]
    fn parts_are_checked_for_size() {
        let mib = 1024 * 1024;
        assert!(validate_part_sizes(&[(1, 5 * mib), (2, 5 * mib), (3, 1)]).is_ok());
        assert_eq!(
            validate_part_sizes(&[(1, mib), (2, 1)]),
            Err(ENTITY_TOO_SMALL)
        );
        assert_eq!(
            validate_part_sizes(&[(1, 6 * mib), (2, 5 * mib), (3, 1)]),
            Err(BAD_UPLOAD)
        );
        assert_eq!(
            validate_part_sizes(&[(1, 5 * mib), (2, 6 * mib)]),
            Err(BAD_UPLOAD)
        );
        assert!(validate_part_sizes(&[(1, 1)]).is_ok());
        assert!(validate_part_sizes(&[]).is_ok());
    }

    #[test]
    fn custom_metadata_is_measured_as_r2_does() {
        let one = |k: &str, v: String| std::collections::BTreeMap::from([(k.to_string(), v)]);
        assert!(validate_metadata(&one("key", "x".repeat(2045))).is_ok());
        assert_eq!(
            validate_metadata(&one("key", "x".repeat(2046))),
            Err(METADATA_TOO_LARGE)
        );
        assert!(validate_metadata(&one("key1", "🙂".repeat(511))).is_ok());
        assert_eq!(
            validate_metadata(&one("key12", "🙂".repeat(511))),
            Err(METADATA_TOO_LARGE)
        );
    }

    #[test]
    fn conditions_follow_http_preconditions() {
        let object = ObjectInfo {
            etag: "abc".into(),
            uploaded: 10_500,
            ..ObjectInfo::default()
        };
        let when = |c: Conditions| c.hold_for(Some(&object));
        assert!(when(Conditions {
            etag_matches: Some(vec!["abc".into()]),
            ..Default::default()
        }));
        assert!(!when(Conditions {
            etag_does_not_match: Some(vec!["*".into()]),
            ..Default::default()
        }));
        assert!(!when(Conditions {
            uploaded_after: Some(10_200),
            seconds_granularity: true,
            ..Default::default()
        }));
        assert!(when(Conditions {
            uploaded_after: Some(10_200),
            ..Default::default()
        }));
        // A matching etag makes a failing date moot.
        assert!(when(Conditions {
            etag_matches: Some(vec!["abc".into()]),
            uploaded_before: Some(0),
            ..Default::default()
        }));
        let absent = Conditions {
            etag_does_not_match: Some(vec!["x".into()]),
            ..Default::default()
        };
        assert!(absent.hold_for(None));
    }
}
