//! Images in plain Kubernetes manifests: each document of a multi-document stream is read as
//! the objects a chart renders to are ([`super::objects`]: pod specs of every workload kind,
//! the images containers pass on in env values and arguments, operators' image fields, config
//! in ConfigMaps and Secrets), and origins name the file and the line the image is on.

use std::cell::RefCell;

use super::collect::Collector;
use super::objects::{images_in_object, Naming, Site};
use super::origin::Origin;
use super::values::parse_yaml;

/// One YAML document of a multi-document stream with the line it starts on.
struct Document<'a> {
    text: &'a str,
    first_line: usize,
}

fn split_documents(yaml: &str) -> Vec<Document<'_>> {
    let mut docs = Vec::new();
    let mut start = 0usize;
    let mut start_line = 1usize;
    let mut offset = 0usize;
    for (index, line) in yaml.split_inclusive('\n').enumerate() {
        if line.starts_with("---") {
            docs.push(Document {
                text: &yaml[start..offset],
                first_line: start_line,
            });
            start = offset + line.len();
            start_line = index + 2;
        }
        offset += line.len();
    }
    docs.push(Document {
        text: &yaml[start..],
        first_line: start_line,
    });
    docs
}

/// `source` is the pack the manifests are in, if any; `file` their path (or another label).
pub(crate) fn discover(source: Option<&str>, file: &str, yaml: &str, out: &mut Collector) {
    let name = match source {
        Some(source) => format!("{source} {file}"),
        None => file.to_owned(),
    };
    let label = format!("manifests {name}");
    for doc in split_documents(yaml) {
        if doc.text.trim().is_empty() {
            continue;
        }
        let document = format!("document from line {}", doc.first_line);
        let value = match parse_yaml(&label, &document, doc.text) {
            Ok(v) => v,
            Err(e) => {
                let location = format!("{label}:{}", doc.first_line);
                out.warn(location, format!("not parseable YAML: {e}"));
                continue;
            }
        };
        let naming = ManifestNaming {
            pack: source,
            file,
            label: &label,
            doc: &doc,
            used_lines: RefCell::default(),
        };
        images_in_object(&value, &naming, out);
    }
}

/// Origins in one document: `manifests [pack] file:line Kind/name [container c] [via]`, the
/// line the first not yet used line that holds the image as written (so repeated images get
/// their own lines), or the document's first line for images composed from config.
struct ManifestNaming<'a> {
    pack: Option<&'a str>,
    file: &'a str,
    label: &'a str,
    doc: &'a Document<'a>,
    used_lines: RefCell<Vec<usize>>,
}

impl ManifestNaming<'_> {
    fn line_of(&self, raw: &str) -> usize {
        let mut used = self.used_lines.borrow_mut();
        for (index, line) in self.doc.text.lines().enumerate() {
            let number = self.doc.first_line + index;
            if line.contains(raw) && !used.contains(&number) {
                used.push(number);
                return number;
            }
        }
        self.doc.first_line
    }
}

impl Naming for ManifestNaming<'_> {
    fn origin(&self, object: &str, site: &Site, raw: &str) -> Origin {
        let line = match site.in_config {
            true => self.doc.first_line,
            false => self.line_of(raw),
        };
        let mut detail = object.to_owned();
        if let Some(container) = &site.container {
            detail.push_str(&format!(" container {container}"));
        }
        if let Some(via) = &site.via {
            detail.push_str(&format!(" {via}"));
        }
        Origin::manifest(self.pack, self.file, line, detail)
    }

    fn label(&self) -> String {
        self.label.to_owned()
    }
}
