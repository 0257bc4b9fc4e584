//! The codecs of `node:zlib`: deflate (zlib, raw and gzip framing) through
//! flate2 on zlib-rs, brotli, and zstd, fed chunk by chunk so that streams and
//! the one-call functions share one path. A codec lives in the isolate's
//! resource table from `op_zlib_new` until it finishes or its JS object is
//! collected.
//!
//! Of Node's options, `level` (and brotli's quality and window) shape the
//! output; `windowBits`, `memLevel`, `strategy` and dictionaries are not
//! passed to the codec, which only changes how small the output is, never
//! whether others can read it.

use std::borrow::Cow;
use std::cell::RefCell;
use std::io::Write;

use deno_core::{OpState, Resource, ResourceId, op2};
use deno_error::JsErrorBox;
use flate2::Compression;
use flate2::write::{
    DeflateDecoder, DeflateEncoder, GzDecoder, GzEncoder, ZlibDecoder, ZlibEncoder,
};

/// What a codec does, numbered as `zlib.js` numbers Node's modes.
enum Codec {
    Deflate(ZlibEncoder<Vec<u8>>),
    Inflate(ZlibDecoder<Vec<u8>>),
    Gzip(GzEncoder<Vec<u8>>),
    Gunzip(GzDecoder<Vec<u8>>),
    DeflateRaw(DeflateEncoder<Vec<u8>>),
    InflateRaw(DeflateDecoder<Vec<u8>>),
    /// Gunzip or Inflate, whichever the first bytes say.
    Unzip(Vec<u8>),
    BrotliEncode(Box<brotli::CompressorWriter<Vec<u8>>>),
    BrotliDecode(Box<brotli::DecompressorWriter<Vec<u8>>>),
    ZstdEncode(Box<zstd::stream::write::Encoder<'static, Vec<u8>>>),
    ZstdDecode(Box<zstd::stream::write::Decoder<'static, Vec<u8>>>),
    /// A brotli or zstd encoder after its end: what it wrote last.
    Finished(Vec<u8>),
}

impl Codec {
    fn new(mode: u32, level: i32, quality: u32, window: u32) -> Result<Self, JsErrorBox> {
        let level = if level < 0 {
            Compression::default()
        } else {
            Compression::new(level.min(9) as u32)
        };
        Ok(match mode {
            1 => Self::Deflate(ZlibEncoder::new(Vec::new(), level)),
            2 => Self::Inflate(ZlibDecoder::new(Vec::new())),
            3 => Self::Gzip(GzEncoder::new(Vec::new(), level)),
            4 => Self::Gunzip(GzDecoder::new(Vec::new())),
            5 => Self::DeflateRaw(DeflateEncoder::new(Vec::new(), level)),
            6 => Self::InflateRaw(DeflateDecoder::new(Vec::new())),
            7 => Self::Unzip(Vec::new()),
            8 => Self::BrotliEncode(Box::new(brotli::CompressorWriter::new(
                Vec::new(),
                4096,
                quality.min(11),
                window.clamp(10, 24),
            ))),
            9 => Self::BrotliDecode(Box::new(brotli::DecompressorWriter::new(Vec::new(), 4096))),
            10 => Self::ZstdEncode(Box::new(
                zstd::stream::write::Encoder::new(Vec::new(), quality as i32)
                    .map_err(|e| JsErrorBox::generic(e.to_string()))?,
            )),
            11 => Self::ZstdDecode(Box::new(
                zstd::stream::write::Decoder::new(Vec::new())
                    .map_err(|e| JsErrorBox::generic(e.to_string()))?,
            )),
            _ => return Err(JsErrorBox::type_error(format!("Bad argument: mode {mode}"))),
        })
    }

    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Self::Deflate(w) => w,
            Self::Inflate(w) => w,
            Self::Gzip(w) => w,
            Self::Gunzip(w) => w,
            Self::DeflateRaw(w) => w,
            Self::InflateRaw(w) => w,
            Self::Unzip(w) => w,
            Self::BrotliEncode(w) => w.as_mut(),
            Self::BrotliDecode(w) => w.as_mut(),
            Self::ZstdEncode(w) => w.as_mut(),
            Self::ZstdDecode(w) => w.as_mut(),
            Self::Finished(w) => w,
        }
    }

    /// The output so far, taken.
    fn take(&mut self) -> Vec<u8> {
        let out = match self {
            Self::Deflate(w) => w.get_mut(),
            Self::Inflate(w) => w.get_mut(),
            Self::Gzip(w) => w.get_mut(),
            Self::Gunzip(w) => w.get_mut(),
            Self::DeflateRaw(w) => w.get_mut(),
            Self::InflateRaw(w) => w.get_mut(),
            Self::Unzip(_) => return Vec::new(),
            Self::BrotliEncode(w) => w.get_mut(),
            Self::BrotliDecode(w) => w.get_mut(),
            Self::ZstdEncode(w) => w.get_mut(),
            Self::ZstdDecode(w) => w.get_mut(),
            Self::Finished(w) => w,
        };
        std::mem::take(out)
    }

    /// Once an unzip codec has seen two bytes, it becomes what they say.
    fn settle(&mut self) -> std::io::Result<()> {
        let Self::Unzip(start) = self else {
            return Ok(());
        };
        if start.len() < 2 {
            return Ok(());
        }
        let start = std::mem::take(start);
        *self = if start[..2] == [0x1f, 0x8b] {
            Self::Gunzip(GzDecoder::new(Vec::new()))
        } else {
            Self::Inflate(ZlibDecoder::new(Vec::new()))
        };
        self.writer().write_all(&start)
    }

    fn write(&mut self, data: &[u8]) -> std::io::Result<()> {
        self.writer().write_all(data)?;
        self.settle()
    }

    fn finish(&mut self) -> std::io::Result<()> {
        match self {
            Self::Deflate(w) => w.try_finish(),
            Self::Inflate(w) => w.try_finish(),
            Self::Gzip(w) => w.try_finish(),
            Self::Gunzip(w) => w.try_finish(),
            Self::DeflateRaw(w) => w.try_finish(),
            Self::InflateRaw(w) => w.try_finish(),
            Self::Unzip(start) if start.is_empty() => Ok(()),
            Self::Unzip(_) => Err(std::io::ErrorKind::UnexpectedEof.into()),
            Self::BrotliEncode(_) => {
                let Self::BrotliEncode(writer) =
                    std::mem::replace(self, Self::Finished(Vec::new()))
                else {
                    unreachable!("matched above");
                };
                *self = Self::Finished(writer.into_inner());
                Ok(())
            }
            Self::BrotliDecode(w) => w.close(),
            Self::ZstdEncode(_) => {
                let Self::ZstdEncode(encoder) = std::mem::replace(self, Self::Finished(Vec::new()))
                else {
                    unreachable!("matched above");
                };
                *self = Self::Finished(encoder.finish()?);
                Ok(())
            }
            Self::ZstdDecode(w) => w.flush(),
            Self::Finished(_) => Ok(()),
        }
    }
}

struct ZlibResource(RefCell<Codec>);

impl Resource for ZlibResource {
    fn name(&self) -> Cow<'_, str> {
        "zlib".into()
    }
}

/// Node's error for data a decoder cannot read.
fn data_error(error: std::io::Error) -> JsErrorBox {
    let message = match error.kind() {
        std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::WriteZero => {
            "unexpected end of file"
        }
        _ if error.to_string().contains("header") => "incorrect header check",
        _ => "invalid data",
    };
    JsErrorBox::generic(message)
}

/// A codec of `mode` (see [`Codec::new`]).
#[op2(fast)]
#[smi]
pub fn op_zlib_new(
    state: &mut OpState,
    #[smi] mode: u32,
    #[smi] level: i32,
    #[smi] quality: u32,
    #[smi] window: u32,
) -> Result<ResourceId, JsErrorBox> {
    let codec = Codec::new(mode, level, quality, window)?;
    Ok(state.resource_table.add(ZlibResource(RefCell::new(codec))))
}

/// The most output one call may make, whatever `maxOutputLength` says:
/// a Worker's memory is 128 MiB, and a small input must not make the host
/// hold gigabytes outside it.
const MAX_OUTPUT: usize = 128 << 20;

/// How much input goes to the codec between checks of the output's size.
const SLICE: usize = 16 << 10;

/// Feeds `data` to the codec, then flushes it when `flush` is 1 or
/// finishes it when 2; the output that is ready. Fails (with workerd's
/// "Memory limit exceeded") as soon as the output passes `limit`.
#[op2]
#[buffer]
pub fn op_zlib_write(
    state: &mut OpState,
    #[smi] rid: ResourceId,
    #[buffer] data: &[u8],
    #[smi] flush: u32,
    #[number] limit: u64,
) -> Result<Vec<u8>, JsErrorBox> {
    let resource = state
        .resource_table
        .get::<ZlibResource>(rid)
        .map_err(JsErrorBox::from_err)?;
    let mut codec = resource.0.borrow_mut();
    let limit = usize::try_from(limit).unwrap_or(usize::MAX).min(MAX_OUTPUT);
    let too_large = || JsErrorBox::range_error("Memory limit exceeded");
    let mut out = Vec::new();
    for slice in data.chunks(SLICE) {
        codec.write(slice).map_err(data_error)?;
        out.append(&mut codec.take());
        if out.len() > limit {
            return Err(too_large());
        }
    }
    match flush {
        1 => codec.writer().flush().map_err(data_error)?,
        2 => codec.finish().map_err(data_error)?,
        _ => {}
    }
    out.append(&mut codec.take());
    if out.len() > limit {
        return Err(too_large());
    }
    Ok(out)
}

/// Forgets a codec (finished, failed, or collected).
#[op2(fast)]
pub fn op_zlib_close(state: &mut OpState, #[smi] rid: ResourceId) {
    drop(state.resource_table.take::<ZlibResource>(rid));
}

/// The CRC-32 of `data`, continuing from `value` (`zlib.crc32`).
#[op2(fast)]
#[number]
pub fn op_zlib_crc32(#[buffer] data: &[u8], #[number] value: u64) -> u64 {
    let mut hasher = crc32fast::Hasher::new_with_initial(value as u32);
    hasher.update(data);
    u64::from(hasher.finalize())
}
