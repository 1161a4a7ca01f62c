//! Creating and opening a segment: a file of mode `0600`, normally in a private directory
//! under `/dev/shm`, mapped shared by both processes.
//!
//! A named file rather than a memfd: every wrapper language can open a path and map it
//! (Java's `FileChannel.map`, C#'s `MemoryMappedFile.CreateFromFile`, Python's `mmap`),
//! while a memfd would have to be passed over the socket with `SCM_RIGHTS`, which Java and
//! Node.js cannot receive without native code. The processor removes the file once the
//! wrapper has mapped it, or when the worker stops; the mappings outlive the name.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use memmap2::MmapRaw;

use crate::layout::{self, MAGIC, VERSION};
use crate::shm::{self, Endpoint, Mapping, Side};
use crate::sync::Ordering;

/// Why a segment could not be created or opened.
#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    /// The file could not be created, opened, sized or mapped.
    #[error("shared-memory segment {path}: {source}")]
    Io {
        /// The segment's path.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// The capacity asked for is not one a segment may have.
    #[error(
        "ring capacity {0} is not a power of two from {min} to {max} bytes",
        min = layout::MIN_CAPACITY,
        max = layout::MAX_CAPACITY
    )]
    Capacity(usize),
    /// The file is not a segment of the layout this build speaks.
    #[error("{path} is not a ferrite segment of layout version {VERSION}: {reason}")]
    Layout {
        /// The segment's path.
        path: PathBuf,
        /// What did not match.
        reason: String,
    },
    /// A wrapper has already opened the segment's other end.
    #[error("shared-memory segment {0} is already open by a wrapper")]
    AlreadyAttached(PathBuf),
}

/// Creates a segment at `path` (which must not exist) with two rings of `capacity` bytes,
/// and returns the processor's end.
pub fn create(path: &Path, capacity: usize) -> Result<Endpoint, SegmentError> {
    if !layout::is_valid_capacity(capacity) {
        return Err(SegmentError::Capacity(capacity));
    }
    let io_error = |source| SegmentError::Io {
        path: path.to_owned(),
        source,
    };
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io_error)?;
    // A new file reads as zeros: empty rings, nobody asleep, nobody attached.
    file.set_len(layout::segment_len(capacity) as u64)
        .map_err(io_error)?;
    let map = map(&file, path)?;
    let words = &map.header().segment;
    // SYNC POINT: relaxed, published by the release of the magic below.
    words.version.store(VERSION, Ordering::Relaxed);
    // SYNC POINT: relaxed, published by the release of the magic below.
    words.capacity.store(capacity as u64, Ordering::Relaxed);
    // SYNC POINT: release: an opener that acquires the magic sees the words above (the
    // wrapper is normally started later anyway, which orders them too).
    words.magic.store(MAGIC, Ordering::Release);
    Ok(shm::split(map, capacity, Side::Processor))
}

/// Opens the segment at `path` that a processor created, and returns the wrapper's end.
/// Only one opener succeeds.
pub fn open(path: &Path) -> Result<Endpoint, SegmentError> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|source| SegmentError::Io {
            path: path.to_owned(),
            source,
        })?;
    let map = map(&file, path)?;
    let layout_error = |reason: String| SegmentError::Layout {
        path: path.to_owned(),
        reason,
    };
    let words = &map.header().segment;
    // SYNC POINT: acquire pairs with the creator's release of the magic.
    let magic = words.magic.load(Ordering::Acquire);
    if magic != MAGIC {
        return Err(layout_error(format!("magic is {magic:#010x}")));
    }
    // SYNC POINT: relaxed, ordered by the acquire of the magic.
    let version = words.version.load(Ordering::Relaxed);
    if version != VERSION {
        return Err(layout_error(format!("layout version is {version}")));
    }
    // SYNC POINT: relaxed, ordered by the acquire of the magic.
    let capacity = words.capacity.load(Ordering::Relaxed);
    let capacity = usize::try_from(capacity)
        .ok()
        .filter(|&c| layout::is_valid_capacity(c))
        .ok_or_else(|| layout_error(format!("capacity is {capacity}")))?;
    if map.len() != layout::segment_len(capacity) {
        return Err(layout_error(format!(
            "{} bytes long, but rings of {capacity} need {}",
            map.len(),
            layout::segment_len(capacity)
        )));
    }
    // SYNC POINT: relaxed: the claim decides who may use the wrapper's halves and
    // publishes nothing else.
    if words
        .attached
        .compare_exchange(0, 1, Ordering::Relaxed, Ordering::Relaxed)
        .is_err()
    {
        return Err(SegmentError::AlreadyAttached(path.to_owned()));
    }
    Ok(shm::split(map, capacity, Side::Wrapper))
}

fn map(file: &File, path: &Path) -> Result<Mapping, SegmentError> {
    let map = MmapRaw::map_raw(file).map_err(|source| SegmentError::Io {
        path: path.to_owned(),
        source,
    })?;
    Mapping::new(map).ok_or_else(|| SegmentError::Layout {
        path: path.to_owned(),
        reason: "too short for the header".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn dir() -> tempfile::TempDir {
        tempfile::tempdir_in("/dev/shm")
            .or_else(|_| tempfile::tempdir())
            .unwrap()
    }

    #[test]
    fn a_new_segment_is_private_and_sized_for_two_rings() {
        let dir = dir();
        let path = dir.path().join("ring");
        let processor = create(&path, 1024).unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(meta.len(), 4096 + 2 * 1024);
        assert_eq!(processor.producer.capacity(), 1024);
        assert_eq!(processor.consumer.capacity(), 1024);
    }

    #[test]
    fn create_refuses_a_bad_capacity_or_an_existing_file() {
        let dir = dir();
        for capacity in [0, 32, 1000, 1 << 31] {
            let err = create(&dir.path().join("ring"), capacity).unwrap_err();
            assert!(
                matches!(err, SegmentError::Capacity(c) if c == capacity),
                "{err}"
            );
        }
        let path = dir.path().join("ring");
        create(&path, 64).unwrap();
        let err = create(&path, 64).unwrap_err();
        assert!(
            matches!(&err, SegmentError::Io { source, .. } if source.kind() == io::ErrorKind::AlreadyExists),
            "{err}"
        );
    }

    #[test]
    fn the_two_ends_talk_both_ways() {
        let dir = dir();
        let path = dir.path().join("ring");
        let mut processor = create(&path, 64).unwrap();
        let mut wrapper = open(&path).unwrap();
        let mut buf = [0u8; 64];

        assert_eq!(processor.producer.write(b"event"), 5);
        assert_eq!(wrapper.consumer.read(&mut buf), 5);
        assert_eq!(&buf[..5], b"event");

        assert_eq!(wrapper.producer.write(b"response"), 8);
        assert_eq!(processor.consumer.read(&mut buf), 8);
        assert_eq!(&buf[..8], b"response");
    }

    #[test]
    fn only_one_wrapper_may_open_a_segment() {
        let dir = dir();
        let path = dir.path().join("ring");
        let _processor = create(&path, 64).unwrap();
        let _wrapper = open(&path).unwrap();
        let err = open(&path).unwrap_err();
        assert!(matches!(err, SegmentError::AlreadyAttached(_)), "{err}");
    }

    #[test]
    fn open_refuses_what_is_not_a_segment() {
        let dir = dir();
        let short = dir.path().join("short");
        std::fs::write(&short, [0u8; 100]).unwrap();
        assert!(matches!(open(&short), Err(SegmentError::Layout { .. })));

        let zeros = dir.path().join("zeros");
        std::fs::write(&zeros, vec![0u8; 4096 + 128]).unwrap();
        let err = open(&zeros).unwrap_err();
        assert!(err.to_string().contains("magic is 0x00000000"), "{err}");

        // A segment cut short after it was made.
        let cut = dir.path().join("cut");
        let _processor = create(&cut, 64).unwrap();
        File::options()
            .write(true)
            .open(&cut)
            .unwrap()
            .set_len(4096 + 64)
            .unwrap();
        let err = open(&cut).unwrap_err();
        assert!(err.to_string().contains("rings of 64 need 4224"), "{err}");

        let missing = open(&dir.path().join("missing")).unwrap_err();
        assert!(matches!(missing, SegmentError::Io { .. }), "{missing}");
    }
}
