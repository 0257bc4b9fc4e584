//! The asymmetric keys of `node:crypto` (`createPublicKey`,
//! `createPrivateKey`, `generateKeyPairSync`, `sign`, `verify`): RSA,
//! ECDSA on P-256 and P-384, and Ed25519, from RustCrypto's crates and
//! ring. JS holds each key as DER (SPKI for public keys, PKCS #8 for
//! private ones); these ops read, convert, derive and use them.

use deno_core::{ToJsBuffer, op2};
use deno_error::JsErrorBox;
use p256::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use rsa::pkcs1::{
    DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPrivateKey, EncodeRsaPublicKey,
};
use rsa::traits::PublicKeyParts;
use serde::Serialize;
use signature::hazmat::{PrehashSigner, PrehashVerifier};

const RSA: &str = "1.2.840.113549.1.1.1";
/// The largest RSA key generated here (workerd allows 16384 bits, which
/// takes minutes that nothing could interrupt).
const MAX_RSA_BITS: u32 = 4096;
const EC: &str = "1.2.840.10045.2.1";
const P256: &str = "1.2.840.10045.3.1.7";
const P384: &str = "1.3.132.0.34";
const ED25519: &str = "1.3.101.112";

fn invalid(what: &str) -> JsErrorBox {
    JsErrorBox::type_error(format!("Invalid key: {what}"))
}

/// A key as JS keeps it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Key {
    /// "public" or "private".
    kind: &'static str,
    /// "rsa", "ec" or "ed25519".
    asymmetric_key_type: &'static str,
    /// SPKI for a public key, PKCS #8 for a private one.
    der: ToJsBuffer,
    modulus_length: Option<usize>,
    public_exponent: Option<u64>,
    named_curve: Option<&'static str>,
}

/// The algorithm (and curve) a SPKI or PKCS #8 document's identifier names.
fn algorithm(
    oid: &str,
    parameters: Option<&str>,
) -> Result<(&'static str, Option<&'static str>), JsErrorBox> {
    Ok(match (oid, parameters) {
        (RSA, _) => ("rsa", None),
        (EC, Some(P256)) => ("ec", Some("prime256v1")),
        (EC, Some(P384)) => ("ec", Some("secp384r1")),
        (ED25519, _) => ("ed25519", None),
        _ => {
            return Err(JsErrorBox::generic(format!(
                "Unsupported key type (algorithm {oid})"
            )));
        }
    })
}

fn describe(kind: &'static str, der: Vec<u8>) -> Result<Key, JsErrorBox> {
    let (oid, parameters) = if kind == "public" {
        let info = spki::SubjectPublicKeyInfoRef::try_from(der.as_slice())
            .map_err(|e| invalid(&e.to_string()))?;
        (info.algorithm.oid, info.algorithm.parameters_oid().ok())
    } else {
        let info =
            pkcs8::PrivateKeyInfo::try_from(der.as_slice()).map_err(|e| invalid(&e.to_string()))?;
        (info.algorithm.oid, info.algorithm.parameters_oid().ok())
    };
    let parameters = parameters.map(|p| p.to_string());
    let (asymmetric_key_type, named_curve) = algorithm(&oid.to_string(), parameters.as_deref())?;
    let (mut modulus_length, mut public_exponent) = (None, None);
    if asymmetric_key_type == "rsa" {
        let public = if kind == "public" {
            rsa::RsaPublicKey::from_public_key_der(&der).map_err(|e| invalid(&e.to_string()))?
        } else {
            rsa::RsaPrivateKey::from_pkcs8_der(&der)
                .map_err(|e| invalid(&e.to_string()))?
                .to_public_key()
        };
        modulus_length = Some(public.n().bits());
        public_exponent = rsa::traits::PublicKeyParts::e(&public)
            .to_bytes_be()
            .iter()
            .try_fold(0u64, |acc, &b| {
                acc.checked_mul(256).map(|v| v + u64::from(b))
            });
    }
    Ok(Key {
        kind,
        asymmetric_key_type,
        der: der.into(),
        modulus_length,
        public_exponent,
        named_curve,
    })
}

/// The private key in `sec1` (an EC private key) as PKCS #8.
fn sec1_to_pkcs8(sec1: &[u8]) -> Result<Vec<u8>, JsErrorBox> {
    use p256::elliptic_curve::SecretKey;
    if let Ok(key) = SecretKey::<p256::NistP256>::from_sec1_der(sec1) {
        return Ok(key
            .to_pkcs8_der()
            .map_err(|e| invalid(&e.to_string()))?
            .as_bytes()
            .to_vec());
    }
    let key =
        SecretKey::<p384::NistP384>::from_sec1_der(sec1).map_err(|e| invalid(&e.to_string()))?;
    Ok(key
        .to_pkcs8_der()
        .map_err(|e| invalid(&e.to_string()))?
        .as_bytes()
        .to_vec())
}

/// Reads a key: PEM text (its label says what it holds) or DER of `der_type`
/// ("spki", "pkcs1", "pkcs8", "sec1"), as the public or private key `want`
/// asks for (a private key read as public gives its public half).
#[op2]
#[serde]
pub fn op_node_key_import(
    #[buffer] data: &[u8],
    #[string] der_type: &str,
    #[string] want: &str,
) -> Result<Key, JsErrorBox> {
    let (label, der) = if der_type.is_empty() {
        let (label, der) =
            pem_rfc7468::decode_vec(data).map_err(|e| invalid(&format!("not PEM ({e})")))?;
        (label.to_string(), der)
    } else {
        (der_type.to_string(), data.to_vec())
    };
    let (kind, der) = match label.as_str() {
        "PUBLIC KEY" | "spki" => ("public", der),
        "RSA PUBLIC KEY" | "pkcs1" if want == "public" && !label.contains("PRIVATE") => {
            match rsa::RsaPublicKey::from_pkcs1_der(&der) {
                Ok(key) => (
                    "public",
                    key.to_public_key_der()
                        .map_err(|e| invalid(&e.to_string()))?
                        .into_vec(),
                ),
                Err(_) => {
                    let key = rsa::RsaPrivateKey::from_pkcs1_der(&der)
                        .map_err(|e| invalid(&e.to_string()))?;
                    (
                        "private",
                        key.to_pkcs8_der()
                            .map_err(|e| invalid(&e.to_string()))?
                            .as_bytes()
                            .to_vec(),
                    )
                }
            }
        }
        "PRIVATE KEY" | "pkcs8" => ("private", der),
        "RSA PRIVATE KEY" | "pkcs1" => {
            let key =
                rsa::RsaPrivateKey::from_pkcs1_der(&der).map_err(|e| invalid(&e.to_string()))?;
            (
                "private",
                key.to_pkcs8_der()
                    .map_err(|e| invalid(&e.to_string()))?
                    .as_bytes()
                    .to_vec(),
            )
        }
        "EC PRIVATE KEY" | "sec1" => ("private", sec1_to_pkcs8(&der)?),
        other => return Err(invalid(&format!("unsupported PEM label {other:?}"))),
    };
    if want == "private" && kind == "public" {
        return Err(invalid("a public key where a private key is needed"));
    }
    if want == "public" && kind == "private" {
        return describe("public", public_of(&der)?);
    }
    describe(kind, der)
}

/// The SPKI of the private key `pkcs8`'s public half.
fn public_of(pkcs8: &[u8]) -> Result<Vec<u8>, JsErrorBox> {
    let key = describe("private", pkcs8.to_vec())?;
    let failed = |e: &dyn std::fmt::Display| invalid(&e.to_string());
    Ok(match (key.asymmetric_key_type, key.named_curve) {
        ("rsa", _) => rsa::RsaPrivateKey::from_pkcs8_der(pkcs8)
            .map_err(|e| failed(&e))?
            .to_public_key()
            .to_public_key_der()
            .map_err(|e| failed(&e))?
            .into_vec(),
        ("ec", curve) => with_curve!(curve.unwrap_or_default(), C => {
            p256::elliptic_curve::SecretKey::<C>::from_pkcs8_der(pkcs8)
                .map_err(|e| failed(&e))?
                .public_key()
                .to_public_key_der()
                .map_err(|e| failed(&e))?
                .into_vec()
        }, _ => return Err(invalid("an unsupported curve"))),
        _ => {
            use ring::signature::KeyPair;
            let pair = ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8)
                .map_err(|e| failed(&e))?;
            ed25519_spki(pair.public_key().as_ref())?
        }
    })
}

fn ed25519_spki(public: &[u8]) -> Result<Vec<u8>, JsErrorBox> {
    use spki::der::Encode;
    let info = spki::SubjectPublicKeyInfoRef {
        algorithm: spki::AlgorithmIdentifierRef {
            oid: spki::ObjectIdentifier::new_unwrap(ED25519),
            parameters: None,
        },
        subject_public_key: spki::der::asn1::BitStringRef::from_bytes(public)
            .map_err(|e| invalid(&e.to_string()))?,
    };
    info.to_der().map_err(|e| invalid(&e.to_string()))
}

/// A key's DER in another encoding: "pkcs1" for RSA keys.
#[op2]
#[buffer]
pub fn op_node_key_export_pkcs1(
    #[buffer] der: &[u8],
    #[string] kind: &str,
) -> Result<Vec<u8>, JsErrorBox> {
    let failed = |e: &dyn std::fmt::Display| invalid(&e.to_string());
    Ok(if kind == "public" {
        rsa::RsaPublicKey::from_public_key_der(der)
            .map_err(|e| failed(&e))?
            .to_pkcs1_der()
            .map_err(|e| failed(&e))?
            .into_vec()
    } else {
        rsa::RsaPrivateKey::from_pkcs8_der(der)
            .map_err(|e| failed(&e))?
            .to_pkcs1_der()
            .map_err(|e| failed(&e))?
            .as_bytes()
            .to_vec()
    })
}

/// Runs `$body` with `$D` bound to the digest type Node calls `$name`,
/// for the digests signatures use.
macro_rules! signature_digest {
    ($name:expr, $D:ident => $body:expr) => {
        match $name.to_ascii_lowercase().trim_start_matches("rsa-") {
            "sha1" => {
                type $D = sha1::Sha1;
                $body
            }
            "sha224" => {
                type $D = sha2::Sha224;
                $body
            }
            "sha256" => {
                type $D = sha2::Sha256;
                $body
            }
            "sha384" => {
                type $D = sha2::Sha384;
                $body
            }
            "sha512" => {
                type $D = sha2::Sha512;
                $body
            }
            other => return Err(JsErrorBox::type_error(format!("Invalid digest: {other}"))),
        }
    };
}

fn digest_of(name: &str, data: &[u8]) -> Result<Vec<u8>, JsErrorBox> {
    use digest::Digest;
    signature_digest!(name, D => Ok(D::digest(data).to_vec()))
}

/// Signs `data` with the private key `pkcs8`: RSA (PKCS #1 v1.5, or PSS
/// with `salt` bytes of salt), ECDSA (DER, or IEEE P1363 when `p1363`) over
/// the `digest` of the data, Ed25519 over the data itself.
#[op2]
#[buffer]
pub fn op_node_sign(
    #[string] digest: &str,
    #[buffer] pkcs8: &[u8],
    #[buffer] data: &[u8],
    pss: bool,
    #[smi] salt: i32,
    p1363: bool,
) -> Result<Vec<u8>, JsErrorBox> {
    let key = describe("private", pkcs8.to_vec())?;
    let failed = |e: &dyn std::fmt::Display| JsErrorBox::generic(e.to_string());
    match (key.asymmetric_key_type, key.named_curve) {
        ("rsa", _) => {
            use rsa::signature::{RandomizedSigner, SignatureEncoding, Signer};
            let private = rsa::RsaPrivateKey::from_pkcs8_der(pkcs8).map_err(|e| failed(&e))?;
            signature_digest!(digest, D => {
                if pss {
                    let salt = usize::try_from(salt).unwrap_or(<D as digest::Digest>::output_size());
                    let signer = rsa::pss::SigningKey::<D>::new_with_salt_len(private, salt);
                    Ok(signer.sign_with_rng(&mut rand::rngs::OsRng, data).to_vec())
                } else {
                    Ok(rsa::pkcs1v15::SigningKey::<D>::new(private).sign(data).to_vec())
                }
            })
        }
        ("ec", curve) => with_curve!(curve.unwrap_or_default(), C => {
            let signer = ecdsa::SigningKey::<C>::from_pkcs8_der(pkcs8).map_err(|e| failed(&e))?;
            let signature: ecdsa::Signature<C> = signer
                .sign_prehash(&digest_of(digest, data)?)
                .map_err(|e| failed(&e))?;
            Ok(if p1363 {
                signature.to_bytes().to_vec()
            } else {
                signature.to_der().as_bytes().to_vec()
            })
        }, _ => Err(invalid("an unsupported curve"))),
        _ => {
            let pair = ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8)
                .map_err(|e| failed(&e))?;
            Ok(pair.sign(data).as_ref().to_vec())
        }
    }
}

/// Whether `signature` is the public key `spki`'s over `data` (see
/// [`op_node_sign`]).
#[op2(fast)]
pub fn op_node_verify(
    #[string] digest: &str,
    #[buffer] spki_der: &[u8],
    #[buffer] data: &[u8],
    #[buffer] signature: &[u8],
    pss: bool,
    #[smi] salt: i32,
    p1363: bool,
) -> Result<bool, JsErrorBox> {
    let key = describe("public", spki_der.to_vec())?;
    let failed = |e: &dyn std::fmt::Display| JsErrorBox::generic(e.to_string());
    Ok(match (key.asymmetric_key_type, key.named_curve) {
        ("rsa", _) => {
            use rsa::signature::Verifier;
            let public =
                rsa::RsaPublicKey::from_public_key_der(spki_der).map_err(|e| failed(&e))?;
            signature_digest!(digest, D => {
                if pss {
                    let Ok(signature) = rsa::pss::Signature::try_from(signature) else { return Ok(false) };
                    let _ = salt;
                    rsa::pss::VerifyingKey::<D>::new(public).verify(data, &signature).is_ok()
                } else {
                    let Ok(signature) = rsa::pkcs1v15::Signature::try_from(signature) else { return Ok(false) };
                    rsa::pkcs1v15::VerifyingKey::<D>::new(public).verify(data, &signature).is_ok()
                }
            })
        }
        ("ec", curve) => with_curve!(curve.unwrap_or_default(), C => {
            let verifier =
                ecdsa::VerifyingKey::<C>::from_public_key_der(spki_der).map_err(|e| failed(&e))?;
            let parsed = if p1363 {
                ecdsa::Signature::<C>::from_slice(signature)
            } else {
                ecdsa::Signature::<C>::from_der(signature)
            };
            parsed.is_ok_and(|s| {
                verifier
                    .verify_prehash(&digest_of(digest, data).unwrap_or_default(), &s)
                    .is_ok()
            })
        }, _ => return Err(invalid("an unsupported curve"))),
        _ => {
            let info = spki::SubjectPublicKeyInfoRef::try_from(spki_der).map_err(|e| failed(&e))?;
            let raw = info.subject_public_key.raw_bytes();
            ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, raw)
                .verify(data, signature)
                .is_ok()
        }
    })
}

/// A new key pair of `kind` ("rsa" with `modulus_length` bits and exponent
/// `exponent`, "ec" on `curve`, "ed25519"): its PKCS #8 and its SPKI.
#[op2]
#[serde]
pub fn op_node_generate_key_pair(
    #[string] kind: &str,
    #[smi] modulus_length: u32,
    #[number] exponent: u64,
    #[string] curve: &str,
) -> Result<(ToJsBuffer, ToJsBuffer), JsErrorBox> {
    let failed = |e: &dyn std::fmt::Display| JsErrorBox::generic(e.to_string());
    let pkcs8 = match kind {
        "rsa" => {
            // Generating a key cannot be stopped once started: the
            // Worker's CPU limit would not hold against a huge one.
            if modulus_length > MAX_RSA_BITS {
                return Err(JsErrorBox::range_error(format!(
                    "RSA modulusLength exceeds maximum ({MAX_RSA_BITS})"
                )));
            }
            if modulus_length < 512 {
                return Err(JsErrorBox::range_error(format!(
                    "Invalid modulusLength: {modulus_length}"
                )));
            }
            let exponent = rsa::BigUint::from(exponent);
            let key = rsa::RsaPrivateKey::new_with_exp(
                &mut rand::rngs::OsRng,
                modulus_length as usize,
                &exponent,
            )
            .map_err(|e| failed(&e))?;
            key.to_pkcs8_der()
                .map_err(|e| failed(&e))?
                .as_bytes()
                .to_vec()
        }
        "ec" => with_curve!(curve, C => {
            p256::elliptic_curve::SecretKey::<C>::random(&mut rand::rngs::OsRng)
                .to_pkcs8_der()
                .map_err(|e| failed(&e))?
                .as_bytes()
                .to_vec()
        }, _ => {
            return Err(JsErrorBox::type_error(format!("Invalid EC curve name: {curve}")));
        }),
        "ed25519" => {
            ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
                .map_err(|e| failed(&e))?
                .as_ref()
                .to_vec()
        }
        other => {
            return Err(JsErrorBox::type_error(format!(
                "Unsupported key type: {other}"
            )));
        }
    };
    let spki = public_of(&pkcs8)?;
    Ok((pkcs8.into(), spki.into()))
}
