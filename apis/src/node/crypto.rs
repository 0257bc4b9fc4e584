//! The hashes and HMACs of `node:crypto` (`createHash`, `createHmac`):
//! incremental, copyable, and synchronous, as Node's are. The hasher lives
//! in the isolate's resource table until it is digested, or until the JS
//! object that owns it is collected (`crypto.js` drops it then).

use std::borrow::Cow;
use std::cell::RefCell;

use deno_core::{OpState, Resource, ResourceId, op2};
use deno_error::JsErrorBox;
use digest::{DynDigest, KeyInit, Mac};
use hmac::Hmac;

/// The digests Node calls by these names (any case); `crypto.js`'s
/// `getHashes()` lists them.
fn hasher(name: &str) -> Option<Box<dyn DynDigest>> {
    Some(match name.to_ascii_lowercase().as_str() {
        "md5" => Box::new(md5::Md5::default()),
        "sha1" => Box::new(sha1::Sha1::default()),
        "sha224" => Box::new(sha2::Sha224::default()),
        "sha256" => Box::new(sha2::Sha256::default()),
        "sha384" => Box::new(sha2::Sha384::default()),
        "sha512" => Box::new(sha2::Sha512::default()),
        "sha512-224" => Box::new(sha2::Sha512_224::default()),
        "sha512-256" => Box::new(sha2::Sha512_256::default()),
        _ => return None,
    })
}

/// An HMAC over one of [`HASHES`], boxed behind one interface.
trait DynMac {
    fn update(&mut self, data: &[u8]);
    fn finalize(self: Box<Self>) -> Vec<u8>;
}

impl<M: Mac> DynMac for M {
    fn update(&mut self, data: &[u8]) {
        Mac::update(self, data);
    }
    fn finalize(self: Box<Self>) -> Vec<u8> {
        Mac::finalize(*self).into_bytes().to_vec()
    }
}

fn mac(name: &str, key: &[u8]) -> Option<Box<dyn DynMac>> {
    fn keyed<M: Mac + KeyInit + 'static>(key: &[u8]) -> Box<dyn DynMac> {
        Box::new(<M as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length"))
    }
    Some(match name.to_ascii_lowercase().as_str() {
        "md5" => keyed::<Hmac<md5::Md5>>(key),
        "sha1" => keyed::<Hmac<sha1::Sha1>>(key),
        "sha224" => keyed::<Hmac<sha2::Sha224>>(key),
        "sha256" => keyed::<Hmac<sha2::Sha256>>(key),
        "sha384" => keyed::<Hmac<sha2::Sha384>>(key),
        "sha512" => keyed::<Hmac<sha2::Sha512>>(key),
        "sha512-224" => keyed::<Hmac<sha2::Sha512_224>>(key),
        "sha512-256" => keyed::<Hmac<sha2::Sha512_256>>(key),
        _ => return None,
    })
}

enum State {
    Hash(Box<dyn DynDigest>),
    Hmac(Box<dyn DynMac>),
}

struct Hasher(RefCell<Option<State>>);

impl Resource for Hasher {
    fn name(&self) -> Cow<'_, str> {
        "nodeHash".into()
    }
}

/// A new hash (`key` absent) or HMAC (`key` given) over `name`; `None`
/// when Node would not know the name (JS throws Node's error).
#[op2]
pub fn op_node_hash_new(
    state: &mut OpState,
    #[string] name: &str,
    #[buffer] key: Option<&[u8]>,
) -> Option<u32> {
    let started = match key {
        None => State::Hash(hasher(name)?),
        Some(key) => State::Hmac(mac(name, key)?),
    };
    Some(
        state
            .resource_table
            .add(Hasher(RefCell::new(Some(started)))),
    )
}

fn with<T>(
    state: &OpState,
    rid: ResourceId,
    f: impl FnOnce(&mut Option<State>) -> T,
) -> Result<T, JsErrorBox> {
    let hasher = state
        .resource_table
        .get::<Hasher>(rid)
        .map_err(JsErrorBox::from_err)?;
    Ok(f(&mut hasher.0.borrow_mut()))
}

#[op2(fast)]
pub fn op_node_hash_update(
    state: &mut OpState,
    #[smi] rid: ResourceId,
    #[buffer] data: &[u8],
) -> Result<(), JsErrorBox> {
    with(state, rid, |hasher| match hasher {
        Some(State::Hash(hash)) => hash.update(data),
        Some(State::Hmac(mac)) => mac.update(data),
        None => {}
    })
}

/// The digest of what was written; the hasher is gone after.
#[op2]
#[buffer]
pub fn op_node_hash_digest(
    state: &mut OpState,
    #[smi] rid: ResourceId,
) -> Result<Vec<u8>, JsErrorBox> {
    let digest = with(state, rid, |hasher| match hasher.take() {
        Some(State::Hash(hash)) => hash.finalize().into_vec(),
        Some(State::Hmac(mac)) => mac.finalize(),
        None => Vec::new(),
    })?;
    drop(state.resource_table.take::<Hasher>(rid));
    Ok(digest)
}

/// A second hash with the state of `rid` (`hash.copy()`).
#[op2(fast)]
#[smi]
pub fn op_node_hash_copy(
    state: &mut OpState,
    #[smi] rid: ResourceId,
) -> Result<ResourceId, JsErrorBox> {
    let copy = with(state, rid, |hasher| match hasher {
        Some(State::Hash(hash)) => Ok(State::Hash(hash.box_clone())),
        _ => Err(JsErrorBox::generic("Digest already called")),
    })??;
    Ok(state.resource_table.add(Hasher(RefCell::new(Some(copy)))))
}

/// Forgets a hasher whose JS object was collected before its digest.
#[op2(fast)]
pub fn op_node_hash_drop(state: &mut OpState, #[smi] rid: ResourceId) {
    drop(state.resource_table.take::<Hasher>(rid));
}

/// The digest of `data`, in one call (`crypto.hash()`).
#[op2]
#[buffer]
pub fn op_node_hash_once(#[string] name: &str, #[buffer] data: &[u8]) -> Option<Vec<u8>> {
    let mut hash = hasher(name)?;
    hash.update(data);
    Some(hash.finalize().into_vec())
}

/// The longest key a derivation makes: more is no key anyone needs, and
/// would be memory the host holds outside the Worker's heap.
const MAX_KEY: u32 = 1 << 24;

fn key_length(length: u32) -> Result<usize, JsErrorBox> {
    if length > MAX_KEY {
        return Err(JsErrorBox::range_error(format!(
            "Invalid key length: {length} bytes is more than this runtime derives ({MAX_KEY})"
        )));
    }
    Ok(length as usize)
}

/// The most PBKDF2 iterations, as on Cloudflare: a derivation runs to its
/// end once started, whatever the Worker's CPU limit.
pub const MAX_PBKDF2_ITERATIONS: u32 = 100_000;

/// The most memory scrypt may use here (Node's default `maxmem` is 32 MiB).
const MAX_SCRYPT_MEMORY: u64 = 64 << 20;

/// Runs `$body` with `$D` bound to the digest type Node calls `$name`;
/// `None` for a name it does not know.
macro_rules! with_digest {
    ($name:expr, $D:ident => $body:expr) => {
        match $name.to_ascii_lowercase().as_str() {
            "md5" => {
                type $D = md5::Md5;
                Some($body)
            }
            "sha1" => {
                type $D = sha1::Sha1;
                Some($body)
            }
            "sha224" => {
                type $D = sha2::Sha224;
                Some($body)
            }
            "sha256" => {
                type $D = sha2::Sha256;
                Some($body)
            }
            "sha384" => {
                type $D = sha2::Sha384;
                Some($body)
            }
            "sha512" => {
                type $D = sha2::Sha512;
                Some($body)
            }
            "sha512-224" => {
                type $D = sha2::Sha512_224;
                Some($body)
            }
            "sha512-256" => {
                type $D = sha2::Sha512_256;
                Some($body)
            }
            _ => None,
        }
    };
}

/// PBKDF2-HMAC (`crypto.pbkdf2Sync`); `None` for an unknown digest.
#[op2]
#[buffer]
pub fn op_node_pbkdf2(
    #[buffer] password: &[u8],
    #[buffer] salt: &[u8],
    #[smi] iterations: u32,
    #[smi] length: u32,
    #[string] digest: &str,
) -> Result<Option<Vec<u8>>, JsErrorBox> {
    if iterations > MAX_PBKDF2_ITERATIONS {
        return Err(JsErrorBox::generic(format!(
            "Pbkdf2 failed: iteration counts above {MAX_PBKDF2_ITERATIONS} are not supported \
                 (requested {iterations})."
        )));
    }
    let mut key = vec![0; key_length(length)?];
    let derived =
        with_digest!(digest, D => pbkdf2::pbkdf2_hmac::<D>(password, salt, iterations, &mut key));
    Ok(derived.map(|()| key))
}

/// HKDF (`crypto.hkdfSync`); `None` for an unknown digest, an error when
/// `length` is more than the digest can give.
#[op2]
#[buffer]
pub fn op_node_hkdf(
    #[string] digest: &str,
    #[buffer] key: &[u8],
    #[buffer] salt: &[u8],
    #[buffer] info: &[u8],
    #[smi] length: u32,
) -> Result<Option<Vec<u8>>, JsErrorBox> {
    let mut out = vec![0; key_length(length)?];
    let expanded =
        with_digest!(digest, D => hkdf::Hkdf::<D>::new(Some(salt), key).expand(info, &mut out));
    match expanded {
        None => Ok(None),
        Some(Ok(())) => Ok(Some(out)),
        Some(Err(_)) => Err(JsErrorBox::range_error("Invalid key length")),
    }
}

/// scrypt (`crypto.scryptSync`) with cost `n` (a power of two), block size
/// `r` and parallelism `p`, in at most [`MAX_SCRYPT_MEMORY`].
#[op2]
#[buffer]
pub fn op_node_scrypt(
    #[buffer] password: &[u8],
    #[buffer] salt: &[u8],
    #[smi] length: u32,
    #[number] n: u64,
    #[smi] r: u32,
    #[smi] p: u32,
) -> Result<Vec<u8>, JsErrorBox> {
    let invalid = || JsErrorBox::generic("Scrypt failed");
    let memory = 128 * n.saturating_mul(u64::from(r));
    if n < 2 || !n.is_power_of_two() || memory > MAX_SCRYPT_MEMORY {
        return Err(invalid());
    }
    let length = key_length(length)?;
    let params =
        scrypt::Params::new(n.trailing_zeros() as u8, r, p, length).map_err(|_| invalid())?;
    let mut key = vec![0; length];
    scrypt::scrypt(password, salt, &params, &mut key).map_err(|_| invalid())?;
    Ok(key)
}
