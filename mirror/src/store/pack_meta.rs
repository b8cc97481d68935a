//! A pack's own description (`pack.json`) read from its archive layer, within fixed bounds so a
//! listing never decompresses more than a few MiB of any pack, whatever the layer holds.

use std::io::Read;
use std::path::Path;

/// Decompressed bytes scanned for `pack.json`; packs put it first, a pack that does not is
/// listed without it.
const MAX_SCAN: u64 = 8 * 1024 * 1024;
const MAX_PACK_JSON: u64 = 1024 * 1024;

/// `pack.json` (at the top of the archive or one directory down, as packs are laid out) as a JSON
/// object, or `None` if it is absent, too deep in the archive or not a JSON object.
pub fn read_pack_json(layer: &Path) -> Option<serde_json::Map<String, serde_json::Value>> {
    let file = std::fs::File::open(layer).ok()?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file).take(MAX_SCAN));
    for entry in archive.entries().ok()? {
        let mut entry = entry.ok()?;
        let path = entry.path().ok()?.into_owned();
        let parts: Vec<_> = path
            .components()
            .map(|c| c.as_os_str().to_owned())
            .collect();
        let named = parts.last().is_some_and(|n| n == "pack.json");
        if !named || parts.len() > 2 || !entry.header().entry_type().is_file() {
            continue;
        }
        let mut bytes = Vec::new();
        (&mut entry)
            .take(MAX_PACK_JSON)
            .read_to_end(&mut bytes)
            .ok()?;
        return match serde_json::from_slice(&bytes).ok()? {
            serde_json::Value::Object(m) => Some(m),
            _ => None,
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn tgz(entries: &[(&str, &[u8])]) -> tempfile::NamedTempFile {
        let mut tar = tar::Builder::new(Vec::new());
        for (path, bytes) in entries {
            let mut h = tar::Header::new_ustar();
            h.set_size(bytes.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(tar::EntryType::Regular);
            tar.append_data(&mut h, path, *bytes).unwrap();
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar.into_inner().unwrap()).unwrap();
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(&gz.finish().unwrap()).unwrap();
        f
    }

    #[test]
    fn pack_json_is_found_at_the_top_or_one_level_down() {
        let nested = tgz(&[
            ("cilium/values.yaml", b"a: 1"),
            ("cilium/pack.json", br#"{"name":"cilium"}"#),
        ]);
        assert_eq!(read_pack_json(nested.path()).unwrap()["name"], "cilium");
        let top = tgz(&[("pack.json", br#"{"name":"top"}"#)]);
        assert_eq!(read_pack_json(top.path()).unwrap()["name"], "top");
    }

    #[test]
    fn odd_archives_yield_nothing() {
        let deep = tgz(&[("a/b/pack.json", br#"{"name":"deep"}"#)]);
        assert!(read_pack_json(deep.path()).is_none());
        let not_object = tgz(&[("p/pack.json", b"[1]")]);
        assert!(read_pack_json(not_object.path()).is_none());
        let mut garbage = tempfile::NamedTempFile::new().unwrap();
        garbage.write_all(b"not gzip at all").unwrap();
        assert!(read_pack_json(garbage.path()).is_none());
        assert!(read_pack_json(Path::new("/nonexistent/layer")).is_none());
    }
}
