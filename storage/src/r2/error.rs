//! R2's errors: a v4 code and R2's message, as its API reports them (the
//! binding's JS puts the method's name in front and the code after), or a
//! failure of the storage itself.

/// Why an R2 operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum R2Error {
    /// The request broke one of R2's rules.
    #[error("{message} ({code})")]
    Rule { code: u32, message: &'static str },
    /// The bytes did not match a checksum the request gave (10037).
    #[error("{0} (10037)")]
    BadDigest(String),
    /// The storage failed.
    #[error("R2 storage failed: {0}")]
    Storage(String),
}

impl R2Error {
    pub(crate) fn storage(error: impl std::fmt::Display) -> Self {
        Self::Storage(error.to_string())
    }

    const fn rule(code: u32, message: &'static str) -> Self {
        Self::Rule { code, message }
    }

    /// The v4 code of a broken rule.
    pub fn code(&self) -> Option<u32> {
        match self {
            Self::Rule { code, .. } => Some(*code),
            Self::BadDigest(_) => Some(10037),
            Self::Storage(_) => None,
        }
    }
}

pub(super) const INTERNAL: R2Error =
    R2Error::rule(10001, "We encountered an internal error. Please try again.");
pub(super) const INVALID_OBJECT_NAME: R2Error =
    R2Error::rule(10020, "The specified object name is not valid.");
pub(super) const ENTITY_TOO_LARGE: R2Error = R2Error::rule(
    100100,
    "Your proposed upload exceeds the maximum allowed object size.",
);
pub(super) const ENTITY_TOO_SMALL: R2Error = R2Error::rule(
    10011,
    "Your proposed upload is smaller than the minimum allowed object size.",
);
pub(super) const METADATA_TOO_LARGE: R2Error = R2Error::rule(
    10012,
    "Your metadata headers exceed the maximum allowed metadata size.",
);
pub(super) const INVALID_MAX_KEYS: R2Error =
    R2Error::rule(10022, "MaxKeys params must be positive integer <= 1000.");
pub(super) const NO_SUCH_UPLOAD: R2Error =
    R2Error::rule(10024, "The specified multipart upload does not exist.");
pub(super) const INVALID_PART: R2Error = R2Error::rule(
    10025,
    "One or more of the specified parts could not be found.",
);
pub(super) const INVALID_RANGE: R2Error =
    R2Error::rule(10039, "The requested range is not satisfiable");
pub(super) const BAD_UPLOAD: R2Error =
    R2Error::rule(10048, "There was a problem with the multipart upload.");

/// A checksum that does not match the bytes received.
pub(super) fn bad_digest(algorithm: &str, provided: &str, actual: &str) -> R2Error {
    R2Error::BadDigest(format!(
        "The {algorithm} checksum you specified did not match what we received.\n\
         You provided a {algorithm} checksum with value: {provided}\n\
         Actual {algorithm} was: {actual}"
    ))
}
