//! `crypto.createECDH()`: elliptic-curve Diffie-Hellman on P-256 and
//! P-384 with keys as raw bytes (a scalar, a SEC1 point), from
//! RustCrypto's curves. JS keeps the private scalar; these ops derive
//! from it.

use deno_core::op2;
use deno_error::JsErrorBox;
use p256::elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint};

fn invalid_curve() -> JsErrorBox {
    JsErrorBox::generic("Invalid curve")
}

fn bad_point() -> JsErrorBox {
    JsErrorBox::generic("Failed to set point")
}

/// A new private scalar on `curve`.
#[op2]
#[buffer]
pub fn op_node_ecdh_generate(#[string] curve: &str) -> Result<Vec<u8>, JsErrorBox> {
    with_curve!(curve, C => {
        let key = p256::elliptic_curve::SecretKey::<C>::random(&mut rand::rngs::OsRng);
        Ok(key.to_bytes().to_vec())
    }, _ => Err(invalid_curve()))
}

/// The public point of the scalar `private`, SEC1-encoded.
#[op2]
#[buffer]
pub fn op_node_ecdh_public(
    #[string] curve: &str,
    #[buffer] private: &[u8],
    compressed: bool,
) -> Result<Vec<u8>, JsErrorBox> {
    with_curve!(curve, C => {
        let key = p256::elliptic_curve::SecretKey::<C>::from_slice(private)
            .map_err(|_| JsErrorBox::generic("Private key is not valid for specified curve."))?;
        Ok(key.public_key().to_encoded_point(compressed).as_bytes().to_vec())
    }, _ => Err(invalid_curve()))
}

/// The shared secret (the x coordinate) of `private` and the point `peer`.
#[op2]
#[buffer]
pub fn op_node_ecdh_compute(
    #[string] curve: &str,
    #[buffer] private: &[u8],
    #[buffer] peer: &[u8],
) -> Result<Vec<u8>, JsErrorBox> {
    with_curve!(curve, C => {
        let key = p256::elliptic_curve::SecretKey::<C>::from_slice(private).map_err(|_| bad_point())?;
        let point = p256::elliptic_curve::sec1::EncodedPoint::<C>::from_bytes(peer).map_err(|_| bad_point())?;
        let public = Option::<p256::elliptic_curve::PublicKey<C>>::from(
            p256::elliptic_curve::PublicKey::<C>::from_encoded_point(&point),
        )
        .ok_or_else(bad_point)?;
        let shared = p256::elliptic_curve::ecdh::diffie_hellman(key.to_nonzero_scalar(), public.as_affine());
        Ok(shared.raw_secret_bytes().to_vec())
    }, _ => Err(invalid_curve()))
}

/// The point `point` encoded again, compressed or not (`ECDH.convertKey`).
#[op2]
#[buffer]
pub fn op_node_ecdh_convert(
    #[string] curve: &str,
    #[buffer] point: &[u8],
    compressed: bool,
) -> Result<Vec<u8>, JsErrorBox> {
    with_curve!(curve, C => {
        let point = p256::elliptic_curve::sec1::EncodedPoint::<C>::from_bytes(point).map_err(|_| bad_point())?;
        let public = Option::<p256::elliptic_curve::PublicKey<C>>::from(
            p256::elliptic_curve::PublicKey::<C>::from_encoded_point(&point),
        )
        .ok_or_else(bad_point)?;
        Ok(public.to_encoded_point(compressed).as_bytes().to_vec())
    }, _ => Err(invalid_curve()))
}
