//! The only tar header ferry writes or reads: one canonical ustar block per entry.
//!
//! Every header in a bundle is a pure function of (path, size, mtime), so a reader can demand
//! byte equality with the header it would have written itself. That makes the archive canonical:
//! no metadata can vary between builds, and no byte of a header can be altered unnoticed.

use tar::{EntryType, Header};

/// Size of a tar block; headers and padded contents are multiples of it.
pub const BLOCK_SIZE: u64 = 512;
/// A tar archive ends with two zero blocks.
pub const END_OF_ARCHIVE_LEN: u64 = 2 * BLOCK_SIZE;

/// Error for paths the ustar name field cannot hold (never produced by ferry's own names).
#[derive(Debug, thiserror::Error)]
#[error("tar entry path {path:?} does not fit a ustar header: {source}")]
pub struct HeaderPathError {
    pub path: String,
    #[source]
    pub source: std::io::Error,
}

/// The canonical header: regular file, mode 0644, uid/gid 0, empty user and group names.
pub fn canonical_header(path: &str, size: u64, mtime: u64) -> Result<Header, HeaderPathError> {
    let mut header = Header::new_ustar();
    header.set_path(path).map_err(|source| HeaderPathError {
        path: path.to_owned(),
        source,
    })?;
    header.set_entry_type(EntryType::Regular);
    header.set_size(size);
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(mtime);
    header.set_cksum();
    Ok(header)
}

/// Zero bytes needed after `size` bytes of content to reach a block boundary.
pub fn padding_len(size: u64) -> u64 {
    (BLOCK_SIZE - size % BLOCK_SIZE) % BLOCK_SIZE
}

/// Sum of the header bytes with the checksum field counted as spaces (POSIX ustar).
pub fn header_checksum(block: &[u8; BLOCK_SIZE as usize]) -> u32 {
    block
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                u32::from(b' ')
            } else {
                u32::from(*b)
            }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_header_is_valid_ustar() {
        let h = canonical_header("blobs/sha256/aa", 5, 1_700_000_000).unwrap();
        assert!(h.as_ustar().is_some());
        assert_eq!(h.cksum().unwrap(), header_checksum(h.as_bytes()));
        assert_eq!(h.entry_size().unwrap(), 5);
        assert_eq!(&*h.path_bytes(), b"blobs/sha256/aa");
    }

    #[test]
    fn padding_reaches_block_boundary() {
        assert_eq!(padding_len(0), 0);
        assert_eq!(padding_len(1), 511);
        assert_eq!(padding_len(512), 0);
        assert_eq!(padding_len(513), 511);
    }
}
