//! The digests R2 keeps for an object: MD5 always (it is the etag of a
//! single-part object), and the SHA checksums a `put` asks to verify.

use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Sha256, Sha384, Sha512};

/// An object's checksums, as lowercase hex, by algorithm.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checksums {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub md5: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha384: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha512: Option<String>,
}

/// Hashers running over bytes as they are written.
#[derive(Default)]
pub(super) struct Digests {
    md5: Md5,
    sha1: Option<Sha1>,
    sha256: Option<Sha256>,
    sha384: Option<Sha384>,
    sha512: Option<Sha512>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Digests {
    /// MD5, and each SHA that `expected` names.
    pub fn for_checking(expected: &Checksums) -> Self {
        Self {
            md5: Md5::new(),
            sha1: expected.sha1.as_ref().map(|_| Sha1::new()),
            sha256: expected.sha256.as_ref().map(|_| Sha256::new()),
            sha384: expected.sha384.as_ref().map(|_| Sha384::new()),
            sha512: expected.sha512.as_ref().map(|_| Sha512::new()),
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        self.md5.update(bytes);
        if let Some(h) = &mut self.sha1 {
            h.update(bytes);
        }
        if let Some(h) = &mut self.sha256 {
            h.update(bytes);
        }
        if let Some(h) = &mut self.sha384 {
            h.update(bytes);
        }
        if let Some(h) = &mut self.sha512 {
            h.update(bytes);
        }
    }

    /// The raw MD5 and all the checksums, as hex.
    pub fn finish(self) -> (Vec<u8>, Checksums) {
        let md5 = self.md5.finalize().to_vec();
        let checksums = Checksums {
            md5: Some(hex(&md5)),
            sha1: self.sha1.map(|h| hex(&h.finalize())),
            sha256: self.sha256.map(|h| hex(&h.finalize())),
            sha384: self.sha384.map(|h| hex(&h.finalize())),
            sha512: self.sha512.map(|h| hex(&h.finalize())),
        };
        (md5, checksums)
    }
}

/// The etag of a multipart object: the MD5 of its parts' MD5s, then the
/// number of parts, as S3 and R2 make it.
pub(super) fn multipart_etag(part_md5s: &[Vec<u8>]) -> String {
    let mut md5 = Md5::new();
    for part in part_md5s {
        md5.update(part);
    }
    format!("{}-{}", hex(&md5.finalize()), part_md5s.len())
}

pub(super) fn md5_hex(md5: &[u8]) -> String {
    hex(md5)
}
