//! The host side of `crypto.DigestStream`: a hash fed chunk by chunk, so a
//! stream of any length is digested without being held in memory (Web
//! Crypto's `digest()` only takes a whole buffer); and the digest of a
//! small buffer in one synchronous call, which `crypto.subtle.digest` uses
//! rather than a trip through a blocking thread for a few microseconds of
//! hashing.

use std::borrow::Cow;
use std::cell::RefCell;

use deno_core::{OpState, Resource, ResourceId, ToJsBuffer, op2};
use deno_error::JsErrorBox;
use digest::DynDigest;

deno_core::extension!(
    isola_crypto,
    deps = [isola_global_scope],
    ops = [
        op_digest_stream_new,
        op_digest_stream_update,
        op_digest_stream_finish,
        op_digest_now
    ],
    esm = [dir "src/crypto", "crypto.js"],
);

struct DigestResource(RefCell<Option<Box<dyn DynDigest>>>);

impl Resource for DigestResource {
    fn name(&self) -> Cow<'_, str> {
        "digestStream".into()
    }
}

/// Starts a digest with `algorithm`, a name as workerd accepts it
/// (`SHA-1`, `SHA-256`, `SHA-384`, `SHA-512`, `MD5`; any case). JS checks
/// the name first, to throw workerd's `NotSupportedError`.
#[op2(fast)]
#[smi]
fn op_digest_stream_new(
    state: &mut OpState,
    #[string] algorithm: &str,
) -> Result<ResourceId, JsErrorBox> {
    Ok(state
        .resource_table
        .add(DigestResource(RefCell::new(Some(hasher(algorithm)?)))))
}

/// A hasher for `algorithm`, a name as workerd accepts it.
fn hasher(algorithm: &str) -> Result<Box<dyn DynDigest>, JsErrorBox> {
    Ok(match algorithm.to_ascii_uppercase().as_str() {
        "SHA-1" => Box::new(sha1::Sha1::default()),
        "SHA-256" => Box::new(sha2::Sha256::default()),
        "SHA-384" => Box::new(sha2::Sha384::default()),
        "SHA-512" => Box::new(sha2::Sha512::default()),
        "MD5" => Box::new(md5::Md5::default()),
        _ => {
            return Err(JsErrorBox::type_error(format!(
                "Unrecognized algorithm name: {algorithm}"
            )));
        }
    })
}

/// The digest of `data` with `algorithm`, now.
#[op2]
#[buffer]
fn op_digest_now(#[string] algorithm: &str, #[buffer] data: &[u8]) -> Result<Vec<u8>, JsErrorBox> {
    let mut hasher = hasher(algorithm)?;
    hasher.update(data);
    Ok(hasher.finalize().into_vec())
}

fn with_hasher<T>(
    state: &OpState,
    rid: ResourceId,
    f: impl FnOnce(&mut Option<Box<dyn DynDigest>>) -> Result<T, JsErrorBox>,
) -> Result<T, JsErrorBox> {
    let resource = state
        .resource_table
        .get::<DigestResource>(rid)
        .map_err(JsErrorBox::from_err)?;
    f(&mut resource.0.borrow_mut())
}

fn finished() -> JsErrorBox {
    JsErrorBox::type_error("The DigestStream has already finished")
}

#[op2(fast)]
fn op_digest_stream_update(
    state: &mut OpState,
    #[smi] rid: ResourceId,
    #[buffer] chunk: &[u8],
) -> Result<(), JsErrorBox> {
    with_hasher(state, rid, |hasher| {
        hasher.as_mut().ok_or_else(finished)?.update(chunk);
        Ok(())
    })
}

/// The digest of everything written; the resource closes.
#[op2]
#[serde]
fn op_digest_stream_finish(
    state: &mut OpState,
    #[smi] rid: ResourceId,
) -> Result<ToJsBuffer, JsErrorBox> {
    let digest = with_hasher(state, rid, |hasher| {
        Ok(hasher.take().ok_or_else(finished)?.finalize())
    })?;
    drop(state.resource_table.take::<DigestResource>(rid));
    Ok(digest.into_vec().into())
}
