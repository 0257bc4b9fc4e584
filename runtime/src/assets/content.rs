//! What is known of one asset file's content: its ETag, and for small
//! files the bytes themselves and their compressed forms, all computed on
//! first use and kept while the file's size and modification time stay
//! what they were.
//!
//! Large files are never read whole: they are hashed in a streaming pass
//! and sent in chunks. Compressed forms are made once (gzip with flate2,
//! Brotli with the `brotli` crate), within a memory budget shared by a
//! Worker's assets; past it, files are sent uncompressed.

use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use bytes::Bytes;
use sha2::{Digest, Sha256};

/// Files up to this size are kept in memory once read.
pub const KEPT_BYTES: u64 = 256 * 1024;

/// Files up to this size may be compressed (and the result kept).
pub const COMPRESSED_BYTES: u64 = 16 * 1024 * 1024;

/// How much memory one Worker's kept contents and compressed forms may
/// take.
const BUDGET_BYTES: usize = 256 * 1024 * 1024;

/// Opens an asset file for reading, refusing a symbolic link put in its
/// place since the file list was read.
pub fn open(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

/// The encodings a response may be sent in, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Brotli,
    Gzip,
}

impl Encoding {
    pub fn token(self) -> &'static str {
        match self {
            Self::Brotli => "br",
            Self::Gzip => "gzip",
        }
    }
}

/// The memory a Worker's assets keep, counted against [`BUDGET_BYTES`].
#[derive(Debug, Default)]
pub struct Budget(AtomicUsize);

impl Budget {
    /// Takes `bytes` from the budget, if that much is left.
    fn take(&self, bytes: usize) -> bool {
        self.0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                (used + bytes <= BUDGET_BYTES).then_some(used + bytes)
            })
            .is_ok()
    }

    fn give(&self, bytes: usize) {
        self.0.fetch_sub(bytes, Ordering::Relaxed);
    }
}

/// A file's identity as the file system reports it: when it changes, what
/// was derived from the content is derived again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub len: u64,
    pub modified: Option<SystemTime>,
}

impl Stamp {
    pub fn of(metadata: &std::fs::Metadata) -> Self {
        Self {
            len: metadata.len(),
            modified: metadata.modified().ok(),
        }
    }
}

/// What has been derived from one file's content.
#[derive(Debug, Default)]
pub struct Content {
    state: Mutex<Option<Arc<Derived>>>,
}

/// A file's content as of one [`Stamp`].
#[derive(Debug)]
pub struct Derived {
    pub stamp: Stamp,
    /// A strong ETag, quoted.
    pub etag: String,
    /// The bytes, for a small file.
    pub bytes: Option<Bytes>,
    encoded: Mutex<Vec<(Encoding, Option<Bytes>)>>,
    budget: Arc<Budget>,
    kept: AtomicUsize,
}

impl Drop for Derived {
    fn drop(&mut self) {
        self.budget.give(*self.kept.get_mut());
    }
}

impl Content {
    /// What was derived from the file, if it is still as it was then.
    pub fn known(&self, stamp: Stamp) -> Option<Arc<Derived>> {
        self.lock().as_ref().filter(|d| d.stamp == stamp).cloned()
    }

    /// What is derived from `file` as it is now (`stamp`): kept, or read
    /// again if the file changed. Blocking: call it off the runtime.
    pub fn derive(
        &self,
        file: &mut std::fs::File,
        stamp: Stamp,
        budget: &Arc<Budget>,
    ) -> std::io::Result<Arc<Derived>> {
        if let Some(derived) = self.known(stamp) {
            return Ok(derived);
        }
        let mut hasher = Sha256::new();
        let mut kept = 0;
        let bytes = if stamp.len <= KEPT_BYTES {
            let mut bytes = Vec::with_capacity(stamp.len as usize);
            file.read_to_end(&mut bytes)?;
            hasher.update(&bytes);
            budget.take(bytes.len()).then(|| {
                kept = bytes.len();
                Bytes::from(bytes)
            })
        } else {
            let mut buffer = vec![0; 256 * 1024];
            loop {
                let read = file.read(&mut buffer)?;
                if read == 0 {
                    break;
                }
                hasher.update(&buffer[..read]);
            }
            None
        };
        let hash = hasher.finalize();
        let hex: String = hash[..16].iter().map(|b| format!("{b:02x}")).collect();
        let derived = Arc::new(Derived {
            stamp,
            etag: format!("\"{hex}\""),
            bytes,
            encoded: Mutex::new(Vec::new()),
            budget: budget.clone(),
            kept: AtomicUsize::new(kept),
        });
        *self.lock() = Some(derived.clone());
        Ok(derived)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Arc<Derived>>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Derived {
    /// The content in `encoding`, compressed from `read()` on first use;
    /// None when the budget is spent or compression does not help.
    /// Blocking: call it off the runtime.
    pub fn encoded(
        &self,
        encoding: Encoding,
        read: impl FnOnce() -> std::io::Result<Vec<u8>>,
    ) -> std::io::Result<Option<Bytes>> {
        let mut encoded = self.encoded.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, bytes)) = encoded.iter().find(|(e, _)| *e == encoding) {
            return Ok(bytes.clone());
        }
        let plain = match &self.bytes {
            Some(bytes) => bytes.to_vec(),
            None => read()?,
        };
        let compressed = compress(encoding, &plain)?;
        let result =
            (compressed.len() < plain.len() && self.budget.take(compressed.len())).then(|| {
                self.kept.fetch_add(compressed.len(), Ordering::Relaxed);
                Bytes::from(compressed)
            });
        encoded.push((encoding, result.clone()));
        Ok(result)
    }
}

fn compress(encoding: Encoding, plain: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    match encoding {
        Encoding::Gzip => {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
            encoder.write_all(plain)?;
            encoder.finish()
        }
        Encoding::Brotli => {
            let mut out = Vec::new();
            let params = brotli::enc::BrotliEncoderParams {
                quality: 6,
                lgwin: 22,
                ..Default::default()
            };
            brotli::BrotliCompress(&mut &plain[..], &mut out, &params)?;
            Ok(out)
        }
    }
}
