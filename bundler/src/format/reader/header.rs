//! Parsing and vetting one tar header block.

use std::io::Read;

use crate::format::digest::Digest;
use crate::format::error::FormatError;
use crate::format::layout::{
    parse_blob_entry, INDEX_ENTRY, MANIFEST_ENTRY, OCI_LAYOUT_ENTRY, SIGNATURE_ENTRY,
};
use crate::format::ustar::{canonical_header, header_checksum, BLOCK_SIZE};

use super::stream::TarStream;

/// What a vetted entry path names.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum EntryName {
    Manifest,
    Signature,
    OciLayout,
    Index,
    Blob(Digest),
}

/// A header block whose checksum, magic and type are valid and whose path is UTF-8.
pub(crate) struct RawHeader {
    block: [u8; BLOCK_SIZE as usize],
    pub(crate) path: String,
    pub(crate) size: u64,
}

impl RawHeader {
    /// Reads the next header; `None` at the first end-of-archive zero block.
    pub(crate) fn read<R: Read>(
        tar: &mut TarStream<R>,
        expecting: &str,
    ) -> Result<Option<Self>, FormatError> {
        let offset = tar.offset();
        let mut block = [0u8; BLOCK_SIZE as usize];
        if !tar.read_block(&mut block, expecting)? {
            return Err(FormatError::Truncated {
                entry: expecting.to_owned(),
            });
        }
        if block.iter().all(|b| *b == 0) {
            return Ok(None);
        }
        let header = tar::Header::from_byte_slice(&block);
        if header.cksum().ok() != Some(header_checksum(&block)) {
            return Err(FormatError::HeaderChecksum {
                offset,
                position: tar.position(),
            });
        }
        let path = String::from_utf8_lossy(&header.path_bytes()).into_owned();
        if header.as_ustar().is_none() {
            return Err(FormatError::NotUstar { offset, path });
        }
        let kind = char::from(block[156]);
        if matches!(kind, 'x' | 'g' | 'L' | 'K') {
            return Err(FormatError::ExtensionHeader { path, kind });
        }
        if kind != '0' {
            return Err(FormatError::NotRegularFile { path, kind });
        }
        let size = header
            .entry_size()
            .map_err(|_| FormatError::NonCanonicalHeader { path: path.clone() })?;
        tar.entry_read(&path);
        Ok(Some(Self { block, path, size }))
    }

    /// The known name this path is, or an error naming the path.
    pub(crate) fn name(&self) -> Result<EntryName, FormatError> {
        Ok(match self.path.as_str() {
            MANIFEST_ENTRY => EntryName::Manifest,
            SIGNATURE_ENTRY => EntryName::Signature,
            OCI_LAYOUT_ENTRY => EntryName::OciLayout,
            INDEX_ENTRY => EntryName::Index,
            other => match parse_blob_entry(other) {
                Some(d) => EntryName::Blob(d),
                None => {
                    return Err(FormatError::UnknownPath {
                        path: other.to_owned(),
                    })
                }
            },
        })
    }

    /// Checks the declared size, then that the block is exactly the canonical header.
    pub(crate) fn check(
        &self,
        path: &str,
        expected_size: u64,
        mtime: u64,
    ) -> Result<(), FormatError> {
        if self.size != expected_size {
            return Err(FormatError::SizeMismatch {
                path: path.to_owned(),
                expected: expected_size,
                actual: self.size,
            });
        }
        let canonical =
            canonical_header(path, self.size, mtime).map_err(|_| FormatError::UnknownPath {
                path: path.to_owned(),
            })?;
        if canonical.as_bytes() != &self.block {
            return Err(FormatError::NonCanonicalHeader {
                path: path.to_owned(),
            });
        }
        Ok(())
    }
}
