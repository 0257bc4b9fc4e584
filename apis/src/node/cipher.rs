//! The ciphers of `node:crypto` (`createCipheriv`, `createDecipheriv`):
//! AES in CBC, ECB, CTR and GCM modes, from RustCrypto's crates. CBC and
//! ECB take whole blocks as they come (a decipher keeps its last block
//! back, for the padding); CTR is a stream; GCM authenticates the whole
//! message at once, so its output comes at `final()`. (`crypto.js`'s
//! `getCiphers()` lists the names.)

use std::borrow::Cow;
use std::cell::RefCell;

use aes::{Aes128, Aes192, Aes256};
use aes_gcm::aead::AeadMutInPlace;
use cipher::{
    BlockDecryptMut, BlockEncryptMut, KeyInit, KeyIvInit, StreamCipher, generic_array::GenericArray,
};
use deno_core::{OpState, Resource, ResourceId, op2};
use deno_error::JsErrorBox;

const BLOCK: usize = 16;

/// A block mode (CBC or ECB) in one direction, over whole blocks.
trait Blocks {
    fn run(&mut self, blocks: &mut [u8]);
}

struct Encrypting<E>(E);
struct Decrypting<D>(D);

impl<E: BlockEncryptMut> Blocks for Encrypting<E> {
    fn run(&mut self, data: &mut [u8]) {
        for block in data.chunks_exact_mut(BLOCK) {
            self.0
                .encrypt_block_mut(GenericArray::from_mut_slice(block));
        }
    }
}

impl<D: BlockDecryptMut> Blocks for Decrypting<D> {
    fn run(&mut self, data: &mut [u8]) {
        for block in data.chunks_exact_mut(BLOCK) {
            self.0
                .decrypt_block_mut(GenericArray::from_mut_slice(block));
        }
    }
}

enum Gcm {
    A128(Box<aes_gcm::Aes128Gcm>),
    A192(Box<aes_gcm::AesGcm<Aes192, cipher::consts::U12>>),
    A256(Box<aes_gcm::Aes256Gcm>),
}

enum Engine {
    Blocks(Box<dyn Blocks>),
    Stream(Box<dyn StreamCipher>),
    Gcm(Gcm),
}

struct Cipher {
    engine: Engine,
    decrypt: bool,
    /// A partial block (CBC, ECB), or the whole message (GCM).
    pending: Vec<u8>,
    aad: Vec<u8>,
    /// The tag: computed by a GCM cipher's final, given to a decipher.
    tag: Option<Vec<u8>>,
    tag_length: usize,
}

fn invalid(what: &str) -> JsErrorBox {
    JsErrorBox::generic(format!("Invalid {what}"))
}

/// What workerd says of a final block that fails: bad padding, a partial
/// block, a tag that does not match.
fn failed() -> JsErrorBox {
    JsErrorBox::generic("Authentication failed")
}

/// The engine for `name` with `key` and `iv`, in the direction `decrypt`.
fn engine(name: &str, key: &[u8], iv: &[u8], decrypt: bool) -> Result<Engine, JsErrorBox> {
    let unknown = || JsErrorBox::generic(format!("Unknown or unsupported cipher: {name}"));
    let (bits, mode) = match name.to_ascii_lowercase().as_str() {
        "aes128" => (128, "cbc".to_string()),
        "aes192" => (192, "cbc".to_string()),
        "aes256" => (256, "cbc".to_string()),
        other => {
            let rest = other.strip_prefix("aes-").ok_or_else(unknown)?;
            let (bits, mode) = rest.split_once('-').ok_or_else(unknown)?;
            (bits.parse().map_err(|_| unknown())?, mode.to_string())
        }
    };
    if key.len() * 8 != bits {
        return Err(invalid("key length"));
    }
    let iv_for = |wanted: usize| {
        if iv.len() == wanted {
            Ok(iv)
        } else {
            Err(invalid("initialization vector"))
        }
    };
    macro_rules! by_size {
        ($make:ident) => {
            match bits {
                128 => $make!(Aes128),
                192 => $make!(Aes192),
                256 => $make!(Aes256),
                _ => return Err(unknown()),
            }
        };
    }
    Ok(match mode.as_str() {
        "cbc" => {
            let iv = iv_for(BLOCK)?;
            macro_rules! cbc {
                ($aes:ty) => {
                    if decrypt {
                        Engine::Blocks(Box::new(Decrypting(
                            cbc::Decryptor::<$aes>::new_from_slices(key, iv)
                                .map_err(|_| invalid("key length"))?,
                        )))
                    } else {
                        Engine::Blocks(Box::new(Encrypting(
                            cbc::Encryptor::<$aes>::new_from_slices(key, iv)
                                .map_err(|_| invalid("key length"))?,
                        )))
                    }
                };
            }
            by_size!(cbc)
        }
        "ecb" => {
            macro_rules! ecb {
                ($aes:ty) => {{
                    let aes = <$aes>::new_from_slice(key).map_err(|_| invalid("key length"))?;
                    if decrypt {
                        Engine::Blocks(Box::new(Decrypting(aes)))
                    } else {
                        Engine::Blocks(Box::new(Encrypting(aes)))
                    }
                }};
            }
            by_size!(ecb)
        }
        "ctr" => {
            let iv = iv_for(BLOCK)?;
            macro_rules! ctr {
                ($aes:ty) => {
                    Engine::Stream(Box::new(
                        ctr::Ctr128BE::<$aes>::new_from_slices(key, iv)
                            .map_err(|_| invalid("key length"))?,
                    ))
                };
            }
            by_size!(ctr)
        }
        "gcm" => {
            iv_for(12)?;
            let bad_key = |_| invalid("key length");
            Engine::Gcm(match bits {
                128 => Gcm::A128(Box::new(
                    aes_gcm::Aes128Gcm::new_from_slice(key).map_err(bad_key)?,
                )),
                192 => Gcm::A192(Box::new(
                    aes_gcm::AesGcm::<Aes192, cipher::consts::U12>::new_from_slice(key)
                        .map_err(bad_key)?,
                )),
                256 => Gcm::A256(Box::new(
                    aes_gcm::Aes256Gcm::new_from_slice(key).map_err(bad_key)?,
                )),
                _ => return Err(unknown()),
            })
        }
        _ => return Err(unknown()),
    })
}

impl Cipher {
    fn update(&mut self, data: &[u8]) -> Vec<u8> {
        match &mut self.engine {
            Engine::Stream(stream) => {
                let mut out = data.to_vec();
                stream.apply_keystream(&mut out);
                out
            }
            Engine::Gcm(_) => {
                self.pending.extend_from_slice(data);
                Vec::new()
            }
            Engine::Blocks(blocks) => {
                self.pending.extend_from_slice(data);
                // A decipher keeps a whole block back: the last one holds
                // the padding that `final` removes.
                let keep = if self.decrypt && self.pending.len().is_multiple_of(BLOCK) {
                    BLOCK.min(self.pending.len())
                } else {
                    self.pending.len() % BLOCK
                };
                let ready = self.pending.len() - keep;
                let mut out: Vec<u8> = self.pending.drain(..ready).collect();
                blocks.run(&mut out);
                out
            }
        }
    }

    fn finish(&mut self, padding: bool, nonce: &[u8]) -> Result<Vec<u8>, JsErrorBox> {
        match &mut self.engine {
            Engine::Stream(_) => Ok(Vec::new()),
            Engine::Blocks(blocks) => {
                let mut last = std::mem::take(&mut self.pending);
                if !self.decrypt && padding {
                    let pad = BLOCK - last.len() % BLOCK;
                    last.extend(std::iter::repeat_n(pad as u8, pad));
                }
                if !last.len().is_multiple_of(BLOCK) {
                    return Err(failed());
                }
                blocks.run(&mut last);
                if self.decrypt && padding {
                    let pad = *last.last().ok_or_else(failed)? as usize;
                    let valid = (1..=BLOCK).contains(&pad)
                        && last[last.len() - pad..].iter().all(|&b| b as usize == pad);
                    if !valid {
                        return Err(failed());
                    }
                    last.truncate(last.len() - pad);
                }
                Ok(last)
            }
            Engine::Gcm(gcm) => {
                let nonce = GenericArray::from_slice(nonce);
                let mut data = std::mem::take(&mut self.pending);
                if self.decrypt {
                    let tag = self
                        .tag
                        .as_deref()
                        .filter(|t| t.len() == 16)
                        .ok_or_else(failed)?;
                    let tag = GenericArray::from_slice(tag);
                    let opened = match gcm {
                        Gcm::A128(c) => {
                            c.decrypt_in_place_detached(nonce, &self.aad, &mut data, tag)
                        }
                        Gcm::A192(c) => {
                            c.decrypt_in_place_detached(nonce, &self.aad, &mut data, tag)
                        }
                        Gcm::A256(c) => {
                            c.decrypt_in_place_detached(nonce, &self.aad, &mut data, tag)
                        }
                    };
                    opened.map_err(|_| failed())?;
                } else {
                    let sealed = match gcm {
                        Gcm::A128(c) => c.encrypt_in_place_detached(nonce, &self.aad, &mut data),
                        Gcm::A192(c) => c.encrypt_in_place_detached(nonce, &self.aad, &mut data),
                        Gcm::A256(c) => c.encrypt_in_place_detached(nonce, &self.aad, &mut data),
                    };
                    let tag = sealed.map_err(|_| JsErrorBox::generic("Cipher final failed"))?;
                    self.tag = Some(tag[..self.tag_length].to_vec());
                }
                Ok(data)
            }
        }
    }
}

struct CipherResource {
    cipher: RefCell<Cipher>,
    /// The IV (GCM's nonce), kept for `final`.
    iv: Vec<u8>,
}

impl Resource for CipherResource {
    fn name(&self) -> Cow<'_, str> {
        "nodeCipher".into()
    }
}

fn with<T>(
    state: &OpState,
    rid: ResourceId,
    f: impl FnOnce(&mut Cipher, &[u8]) -> Result<T, JsErrorBox>,
) -> Result<T, JsErrorBox> {
    let resource = state
        .resource_table
        .get::<CipherResource>(rid)
        .map_err(JsErrorBox::from_err)?;
    f(&mut resource.cipher.borrow_mut(), &resource.iv)
}

/// A cipher (`decrypt` false) or decipher of `name`.
#[op2(fast)]
#[smi]
pub fn op_node_cipher_new(
    state: &mut OpState,
    #[string] name: &str,
    #[buffer] key: &[u8],
    #[buffer] iv: &[u8],
    decrypt: bool,
    #[smi] tag_length: u32,
) -> Result<ResourceId, JsErrorBox> {
    let engine = engine(name, key, iv, decrypt)?;
    if !(4..=16).contains(&tag_length) {
        return Err(invalid("authentication tag length"));
    }
    let cipher = Cipher {
        engine,
        decrypt,
        pending: Vec::new(),
        aad: Vec::new(),
        tag: None,
        tag_length: tag_length as usize,
    };
    Ok(state.resource_table.add(CipherResource {
        cipher: RefCell::new(cipher),
        iv: iv.to_vec(),
    }))
}

#[op2]
#[buffer]
pub fn op_node_cipher_update(
    state: &mut OpState,
    #[smi] rid: ResourceId,
    #[buffer] data: &[u8],
) -> Result<Vec<u8>, JsErrorBox> {
    with(state, rid, |cipher, _| Ok(cipher.update(data)))
}

/// What is left, padded (or unpadded) as `padding` says.
#[op2]
#[buffer]
pub fn op_node_cipher_final(
    state: &mut OpState,
    #[smi] rid: ResourceId,
    padding: bool,
) -> Result<Vec<u8>, JsErrorBox> {
    with(state, rid, |cipher, iv| cipher.finish(padding, iv))
}

/// Sets GCM's additional authenticated data.
#[op2(fast)]
pub fn op_node_cipher_set_aad(
    state: &mut OpState,
    #[smi] rid: ResourceId,
    #[buffer] aad: &[u8],
) -> Result<(), JsErrorBox> {
    with(state, rid, |cipher, _| {
        cipher.aad = aad.to_vec();
        Ok(())
    })
}

/// The tag a GCM cipher computed (empty before `final`).
#[op2]
#[buffer]
pub fn op_node_cipher_tag(
    state: &mut OpState,
    #[smi] rid: ResourceId,
) -> Result<Vec<u8>, JsErrorBox> {
    with(state, rid, |cipher, _| {
        Ok(cipher.tag.clone().unwrap_or_default())
    })
}

/// Gives a GCM decipher the tag to check.
#[op2(fast)]
pub fn op_node_cipher_set_tag(
    state: &mut OpState,
    #[smi] rid: ResourceId,
    #[buffer] tag: &[u8],
) -> Result<(), JsErrorBox> {
    with(state, rid, |cipher, _| {
        cipher.tag = Some(tag.to_vec());
        Ok(())
    })
}

#[op2(fast)]
pub fn op_node_cipher_drop(state: &mut OpState, #[smi] rid: ResourceId) {
    drop(state.resource_table.take::<CipherResource>(rid));
}
