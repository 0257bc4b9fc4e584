//! `Buffer`'s string encodings, at native speed: the bytes a string stands
//! for in one of Node's encodings, and the string that bytes make. Decoding
//! is as lenient as Node's: base64 takes either alphabet, whitespace and
//! missing padding; hex stops at the first pair that is not hex.

use deno_core::op2;
use deno_error::JsErrorBox;

/// Node's encodings, numbered as `buffer.js` numbers them.
#[derive(Clone, Copy)]
enum Encoding {
    Utf8,
    Hex,
    Base64,
    Base64Url,
    Latin1,
    Ascii,
    Utf16Le,
}

impl Encoding {
    fn of(number: u32) -> Result<Self, JsErrorBox> {
        Ok(match number {
            0 => Self::Utf8,
            1 => Self::Hex,
            2 => Self::Base64,
            3 => Self::Base64Url,
            4 => Self::Latin1,
            5 => Self::Ascii,
            6 => Self::Utf16Le,
            _ => {
                return Err(JsErrorBox::type_error(format!(
                    "Unknown encoding: {number}"
                )));
            }
        })
    }
}

/// The bytes `text` stands for in `encoding`.
#[op2]
#[buffer]
pub fn op_node_encode(#[string] text: &str, #[smi] encoding: u32) -> Result<Vec<u8>, JsErrorBox> {
    Ok(match Encoding::of(encoding)? {
        Encoding::Utf8 => text.as_bytes().to_vec(),
        Encoding::Hex => hex_prefix(text.as_bytes()),
        Encoding::Base64 | Encoding::Base64Url => base64_lenient(text.as_bytes()),
        // One byte per UTF-16 unit: the low eight bits, as Node keeps them.
        Encoding::Latin1 | Encoding::Ascii => text.encode_utf16().map(|unit| unit as u8).collect(),
        Encoding::Utf16Le => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
    })
}

/// How many bytes `text` is in `encoding`, without making them.
#[op2(fast)]
pub fn op_node_byte_length(#[string] text: &str, #[smi] encoding: u32) -> Result<u32, JsErrorBox> {
    let units = || text.encode_utf16().count();
    let length = match Encoding::of(encoding)? {
        Encoding::Utf8 => text.len(),
        Encoding::Hex => hex_prefix_len(text.as_bytes()) / 2,
        Encoding::Base64 | Encoding::Base64Url => base64_lenient(text.as_bytes()).len(),
        Encoding::Latin1 | Encoding::Ascii => units(),
        Encoding::Utf16Le => units() * 2,
    };
    Ok(length as u32)
}

/// The string `bytes` make in `encoding`.
#[op2]
#[string]
pub fn op_node_decode(#[buffer] bytes: &[u8], #[smi] encoding: u32) -> Result<String, JsErrorBox> {
    Ok(match Encoding::of(encoding)? {
        Encoding::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
        Encoding::Hex => faster_hex::hex_string(bytes),
        Encoding::Base64 => base64_simd::STANDARD.encode_to_string(bytes),
        Encoding::Base64Url => base64_simd::URL_SAFE_NO_PAD.encode_to_string(bytes),
        Encoding::Latin1 => bytes.iter().map(|&b| b as char).collect(),
        Encoding::Ascii => bytes.iter().map(|&b| (b & 0x7f) as char).collect(),
        Encoding::Utf16Le => {
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
    })
}

/// The length of the longest run of hex digit pairs that `text` starts with.
fn hex_prefix_len(text: &[u8]) -> usize {
    let valid = text
        .iter()
        .position(|b| !b.is_ascii_hexdigit())
        .unwrap_or(text.len());
    valid & !1
}

fn hex_prefix(text: &[u8]) -> Vec<u8> {
    let mut out = vec![0; hex_prefix_len(text) / 2];
    faster_hex::hex_decode(&text[..out.len() * 2], &mut out).expect("checked to be hex pairs");
    out
}

/// base64 as Node reads it: the standard or the URL alphabet, ASCII
/// whitespace and other characters skipped, padding optional, and a
/// single leftover character ignored.
fn base64_lenient(text: &[u8]) -> Vec<u8> {
    if let Ok(bytes) = base64_simd::forgiving_decode_to_vec(text) {
        return bytes;
    }
    let mut clean: Vec<u8> = text
        .iter()
        .take_while(|&&b| b != b'=')
        .filter_map(|&b| match b {
            b'-' => Some(b'+'),
            b'_' => Some(b'/'),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' => Some(b),
            _ => None,
        })
        .collect();
    if clean.len() % 4 == 1 {
        clean.pop();
    }
    base64_simd::forgiving_decode_to_vec(&clean).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_hex_are_read_as_leniently_as_node_reads_them() {
        assert_eq!(base64_lenient(b"aGVsbG8="), b"hello");
        assert_eq!(base64_lenient(b"aGVsbG8"), b"hello");
        assert_eq!(base64_lenient(b"aGVs\nbG8="), b"hello");
        assert_eq!(base64_lenient(b"_-8"), [0xff, 0xef]);
        assert_eq!(base64_lenient(b"aGVsbG8=trailing"), b"hello");
        assert_eq!(base64_lenient(b"a"), b"");
        assert_eq!(hex_prefix(b"abcdzz12"), [0xab, 0xcd]);
        assert_eq!(hex_prefix(b"abc"), [0xab]);
        assert_eq!(hex_prefix(b"ABff"), [0xab, 0xff]);
    }
}
