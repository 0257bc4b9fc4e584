//! How an operation on the isolate's Wasm store fails, before JS sees it.

/// Why an operation failed.
pub(super) enum Failure {
    /// A JS exception, thrown already.
    Thrown,
    /// The isolate is being stopped (CPU or memory limit).
    Terminated,
    /// A message for a `TypeError`.
    Type(String),
    /// A message for a `RangeError`.
    Range(String),
}

pub(super) type Outcome<T> = Result<T, Failure>;
