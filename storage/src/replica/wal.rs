//! SQLite's write-ahead log, read as its file format documents it
//! (sqlite.org/fileformat2.html, "The Write-Ahead Log"): the frames of
//! committed transactions since a position, and those frames written back
//! into a database file.
//!
//! Written here because no maintained crate reads WAL frames: the format
//! is a 32-byte header and frames of a 24-byte header plus one page, each
//! checked by a running checksum. Only frames up to the last commit frame
//! whose salts and checksum hold are taken, so what a rolled-back
//! transaction spilled into the log, or what an earlier log left behind,
//! is never shipped.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

const HEADER: usize = 32;
const FRAME_HEADER: usize = 24;
const MAGIC_LITTLE: u32 = 0x377f_0682;
const MAGIC_BIG: u32 = 0x377f_0683;

/// Where shipping stopped: the end of the last committed frame taken, and
/// what the frame after it must carry to belong to the same log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Position {
    offset: u64,
    salt: [u32; 2],
    checksum: [u32; 2],
    page_size: u32,
    big_endian: bool,
}

/// The committed frames past a position.
#[derive(Debug)]
pub(super) struct Frames {
    /// `page_size` (4 bytes, big-endian) then the frames: a segment as it
    /// is stored.
    pub segment: Vec<u8>,
    /// Where the next read starts.
    pub next: Position,
    /// The log was started afresh since `from` (its salts changed).
    pub restarted: bool,
}

/// The committed frames in the log at `wal` past `from` (from its start
/// when None). None when there are none.
pub(super) fn read_committed(
    wal: &Path,
    from: Option<Position>,
) -> std::io::Result<Option<Frames>> {
    let mut file = match File::open(wal) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut header = [0u8; HEADER];
    if file.read_exact(&mut header).is_err() {
        return Ok(None);
    }
    let Some(start) = parse_header(&header) else {
        return Ok(None);
    };
    let (position, restarted) = match from {
        Some(from) if from.salt == start.salt => (from, false),
        from => (start, from.is_some()),
    };
    file.seek(SeekFrom::Start(position.offset))?;
    let mut rest = Vec::new();
    file.read_to_end(&mut rest)?;

    let frame_size = FRAME_HEADER + position.page_size as usize;
    let mut running = position.checksum;
    let mut taken = 0;
    let mut next = position;
    for (i, frame) in rest.chunks_exact(frame_size).enumerate() {
        let field = |at: usize| u32::from_be_bytes(frame[at..at + 4].try_into().unwrap());
        if [field(8), field(12)] != position.salt {
            break;
        }
        running = checksum(running, &frame[..8], position.big_endian);
        running = checksum(running, &frame[FRAME_HEADER..], position.big_endian);
        if [field(16), field(20)] != running {
            break;
        }
        if field(4) != 0 {
            taken = (i + 1) * frame_size;
            next = Position {
                offset: position.offset + taken as u64,
                checksum: running,
                ..position
            };
        }
    }
    if taken == 0 {
        return Ok(restarted.then(|| Frames {
            segment: position.page_size.to_be_bytes().to_vec(),
            next: position,
            restarted,
        }));
    }
    let mut segment = Vec::with_capacity(4 + taken);
    segment.extend_from_slice(&position.page_size.to_be_bytes());
    segment.extend_from_slice(&rest[..taken]);
    Ok(Some(Frames {
        segment,
        next,
        restarted,
    }))
}

/// The position of the first frame of a log whose header is `header`, if
/// the header is whole and its checksum holds.
fn parse_header(header: &[u8; HEADER]) -> Option<Position> {
    let field = |at: usize| u32::from_be_bytes(header[at..at + 4].try_into().unwrap());
    let big_endian = match field(0) {
        MAGIC_LITTLE => false,
        MAGIC_BIG => true,
        _ => return None,
    };
    let page_size = field(8);
    if !page_size.is_power_of_two() || !(512..=65536).contains(&page_size) {
        return None;
    }
    let sum = checksum([0, 0], &header[..24], big_endian);
    (sum == [field(24), field(28)]).then_some(Position {
        offset: HEADER as u64,
        salt: [field(16), field(20)],
        checksum: sum,
        page_size,
        big_endian,
    })
}

/// SQLite's WAL checksum: over 32-bit words, two at a time, read in the
/// byte order the log's magic number names.
fn checksum(mut sum: [u32; 2], data: &[u8], big_endian: bool) -> [u32; 2] {
    for pair in data.chunks_exact(8) {
        let word = |at: usize| {
            let bytes = pair[at..at + 4].try_into().unwrap();
            if big_endian {
                u32::from_be_bytes(bytes)
            } else {
                u32::from_le_bytes(bytes)
            }
        };
        sum[0] = sum[0].wrapping_add(word(0)).wrapping_add(sum[1]);
        sum[1] = sum[1].wrapping_add(word(4)).wrapping_add(sum[0]);
    }
    sum
}

/// Writes a segment's frames into the database file `db`: each page in
/// its place, and the file cut to the size each commit frame records.
pub(super) fn apply(db: &mut File, segment: &[u8]) -> std::io::Result<()> {
    let invalid =
        |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    let (size, frames) = segment
        .split_first_chunk::<4>()
        .ok_or_else(|| invalid("a WAL segment without its page size"))?;
    let page_size = u32::from_be_bytes(*size) as usize;
    if !page_size.is_power_of_two() || !(512..=65536).contains(&page_size) {
        return Err(invalid("a WAL segment with a bad page size"));
    }
    let frame_size = FRAME_HEADER + page_size;
    if frames.len() % frame_size != 0 {
        return Err(invalid("a WAL segment cut short"));
    }
    for frame in frames.chunks_exact(frame_size) {
        let page = u64::from(u32::from_be_bytes(frame[..4].try_into().unwrap()));
        let commit = u64::from(u32::from_be_bytes(frame[4..8].try_into().unwrap()));
        if page == 0 {
            return Err(invalid("a WAL frame for page 0"));
        }
        db.seek(SeekFrom::Start((page - 1) * page_size as u64))?;
        db.write_all(&frame[FRAME_HEADER..])?;
        if commit != 0 {
            db.set_len(commit * page_size as u64)?;
        }
    }
    Ok(())
}
