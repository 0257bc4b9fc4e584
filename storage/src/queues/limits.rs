//! Cloudflare's limits on what a producer sends: 128 KB a message, 100
//! messages and 256 KB a batch (decimal kilobytes, as Cloudflare counts
//! them), and delays of at most a day.

use super::Outgoing;

pub const MAX_MESSAGE_BYTES: usize = 128_000;
pub const MAX_BATCH_MESSAGES: usize = 100;
pub const MAX_BATCH_BYTES: usize = 256_000;
pub const MAX_DELAY_SECONDS: u32 = 86_400;

/// Why a send was refused, or the store failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    #[error("message length of {0} bytes exceeds limit of {MAX_MESSAGE_BYTES}")]
    MessageTooLarge(usize),
    #[error("batch message count of {0} exceeds limit of {MAX_BATCH_MESSAGES}")]
    TooManyMessages(usize),
    #[error("batch size of {0} bytes exceeds limit of {MAX_BATCH_BYTES}")]
    BatchTooLarge(usize),
    #[error(
        "message delay {0} is invalid: it must be a whole number of seconds from 0 to {MAX_DELAY_SECONDS}"
    )]
    BadDelay(String),
    #[error("queue storage failed: {0}")]
    Storage(String),
}

/// A delay as the Worker gave it (seconds), checked.
pub fn validate_delay(seconds: f64) -> Result<u32, QueueError> {
    if seconds.fract() != 0.0 || !(0.0..=f64::from(MAX_DELAY_SECONDS)).contains(&seconds) {
        return Err(QueueError::BadDelay(seconds.to_string()));
    }
    Ok(seconds as u32)
}

pub fn validate_batch(messages: &[Outgoing]) -> Result<(), QueueError> {
    if messages.len() > MAX_BATCH_MESSAGES {
        return Err(QueueError::TooManyMessages(messages.len()));
    }
    if let Some(large) = messages.iter().find(|m| m.body.len() > MAX_MESSAGE_BYTES) {
        return Err(QueueError::MessageTooLarge(large.body.len()));
    }
    let total: usize = messages.iter().map(|m| m.body.len()).sum();
    if total > MAX_BATCH_BYTES {
        return Err(QueueError::BatchTooLarge(total));
    }
    Ok(())
}
