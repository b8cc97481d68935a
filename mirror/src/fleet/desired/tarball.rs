//! The artifact's one layer: a tar.gz of the rendered files that depends on nothing but them.
//!
//! Entries in path order, every one a regular file with mode 0644, uid and gid 0, no user or
//! group names and mtime 0; gzip with no file name and mtime 0 at a fixed level. The same
//! files give the same bytes, and so the same layer and artifact digest, on every run of the
//! same ferry build (another deflate implementation could compress differently).

use std::collections::BTreeMap;
use std::io::Write;

use flate2::{Compression, GzBuilder};

/// Packs `files` (path → content; the map keeps them sorted by path).
pub fn pack(files: &BTreeMap<String, Vec<u8>>) -> std::io::Result<Vec<u8>> {
    let gz = GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), Compression::new(6));
    let mut tar = tar::Builder::new(gz);
    tar.mode(tar::HeaderMode::Deterministic);
    for (path, content) in files {
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        tar.append_data(&mut header, path, content.as_slice())?;
    }
    let mut gz = tar.into_inner()?;
    gz.flush()?;
    gz.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn same_files_same_bytes_and_entries_are_normalised() {
        let files: BTreeMap<String, Vec<u8>> = [
            ("b/two.yaml".to_owned(), b"two".to_vec()),
            ("a.yaml".to_owned(), b"one".to_vec()),
        ]
        .into();
        let first = pack(&files).unwrap();
        assert_eq!(first, pack(&files).unwrap());
        // gzip header: no FNAME flag, mtime 0.
        assert_eq!(first[3] & 0x08, 0);
        assert_eq!(&first[4..8], &[0, 0, 0, 0]);
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(first.as_slice()));
        let mut seen = Vec::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let h = entry.header();
            assert_eq!(
                (h.mode().unwrap(), h.uid().unwrap(), h.mtime().unwrap()),
                (0o644, 0, 0)
            );
            let path = entry.path().unwrap().display().to_string();
            let mut body = String::new();
            entry.read_to_string(&mut body).unwrap();
            seen.push((path, body));
        }
        assert_eq!(
            seen,
            [
                ("a.yaml".to_owned(), "one".to_owned()),
                ("b/two.yaml".to_owned(), "two".to_owned())
            ]
        );
    }
}
