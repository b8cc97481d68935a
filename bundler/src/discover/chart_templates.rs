//! Reads a chart's templates under its values: which values paths live templates reference,
//! literal images they print, and templated image lines nothing explains.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde_json::Value;

use super::archive::FileSet;
use super::chart_meta::ChartMeta;
use super::options::DiscoverOptions;
use super::origin::Origin;
use super::pod_images::{
    env_entry_names_image, env_entry_value, env_value_images, list_item_value, lone_image_flag,
};
use super::reference::looks_like_image;
use super::template::{
    collect_defines, lex, walk, Context, LineInfo, Piece, WalkOutput, ACTION_MARK,
};

/// A values path referenced by live template text.
#[derive(Debug, Clone)]
pub(crate) struct RefSite {
    pub path: String,
    /// The raw source line, for reading how the value is printed (e.g. a `v` tag prefix).
    pub source_line: String,
    /// The file or define the reference is in prints `printf "v%s" .Chart.AppVersion` somewhere.
    pub unit_prefixes_v: bool,
}

/// A live line that prints an image.
#[derive(Debug, Clone)]
pub(crate) struct ImageLine {
    pub origin: Origin,
    /// Line text with [`ACTION_MARK`] where actions print.
    pub text: String,
    /// Line text with known action results filled in; [`ACTION_MARK`] where unknown.
    pub rendered: String,
    /// Values paths the line depends on, through included helpers too.
    pub refs: Vec<String>,
}

#[derive(Debug, Default)]
pub(crate) struct TemplateFacts {
    pub refs: Vec<RefSite>,
    pub image_lines: Vec<ImageLine>,
    /// Files skipped as `helm test` hooks.
    pub test_hooks: Vec<String>,
}

struct Unit {
    file: String,
    pieces: Vec<Piece>,
}

/// Analyses every renderable template of one chart (not its subcharts).
pub(crate) fn analyse(
    files: &FileSet,
    meta: &ChartMeta,
    values: &Value,
    options: &DiscoverOptions,
) -> TemplateFacts {
    let mut facts = TemplateFacts::default();
    let mut sources: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut defines: BTreeMap<String, Unit> = BTreeMap::new();
    let mut renderable: Vec<Unit> = Vec::new();
    for path in files.paths().filter(|p| p.starts_with("templates/")) {
        let Some(text) = files.get_str(path) else {
            continue;
        };
        let pieces = lex(&text);
        for (name, body) in collect_defines(&pieces) {
            defines.insert(
                name,
                Unit {
                    file: path.to_owned(),
                    pieces: body,
                },
            );
        }
        sources.insert(path.to_owned(), text.lines().map(str::to_owned).collect());
        let base = path.rsplit('/').next().unwrap_or(path);
        let renders = !base.starts_with('_')
            && (base.ends_with(".yaml")
                || base.ends_with(".yml")
                || base.ends_with(".tpl")
                || base.ends_with(".json"));
        if !renders {
            continue;
        }
        renderable.push(Unit {
            file: path.to_owned(),
            pieces,
        });
    }

    let define_bodies: BTreeMap<String, Vec<Piece>> = defines
        .iter()
        .map(|(name, unit)| (name.clone(), unit.pieces.clone()))
        .collect();
    let new_ctx = || {
        let mut ctx = Context::new(
            values,
            &meta.name,
            &meta.version,
            &meta.app_version,
            options,
        );
        ctx.defines = Some(&define_bodies);
        ctx
    };
    // (file, the define it is in, what walking it found, prefixes `v`)
    let mut outputs: Vec<(String, Option<String>, WalkOutput, bool)> = Vec::new();
    let mut queue: VecDeque<String> = VecDeque::new();
    for unit in &renderable {
        let out = walk(&unit.pieces, &mut new_ctx());
        if is_test_hook(&out) {
            facts.test_hooks.push(unit.file.clone());
            continue;
        }
        queue.extend(out.includes.iter().cloned());
        let v = prefixes_v(&unit.pieces);
        outputs.push((unit.file.clone(), None, out, v));
    }
    // Helpers count only when something live includes them.
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut define_refs: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
    while let Some(name) = queue.pop_front() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let Some(unit) = defines.get(&name) else {
            continue;
        };
        let out = walk(&unit.pieces, &mut new_ctx());
        queue.extend(out.includes.iter().cloned());
        let refs = out.refs.iter().map(|(p, _)| p.clone()).collect();
        define_refs.insert(name.clone(), (refs, out.includes.iter().cloned().collect()));
        let v = prefixes_v(&unit.pieces);
        outputs.push((unit.file.clone(), Some(name.clone()), out, v));
    }

    for (file, define, out, v) in &outputs {
        let lines = sources.get(file);
        for (path, line) in &out.refs {
            let source_line = lines
                .and_then(|l| l.get(line.saturating_sub(1)))
                .cloned()
                .unwrap_or_default();
            facts.refs.push(RefSite {
                path: path.clone(),
                source_line,
                unit_prefixes_v: *v,
            });
        }
        // What the previous live line started: `- name: X_IMAGE` (its `value:` may follow) or
        // a lone `- --x-image` flag (its value follows as the next list item).
        let mut pending = Passed::Nothing;
        for (line, info) in &out.lines {
            let before = pending;
            pending = Passed::started_by(&info.rendered);
            let mut refs = info.refs.clone();
            expand_includes(&info.includes, &define_refs, &mut refs);
            let origin = Origin::template(&meta.label(), file, define.as_deref(), *line);
            facts
                .image_lines
                .extend(before.value_lines(info, &origin, &refs));
            if !prints_image(&info.text) {
                continue;
            }
            facts.image_lines.push(ImageLine {
                origin,
                text: info.text.trim().to_owned(),
                rendered: info.rendered.trim().to_owned(),
                refs,
            });
        }
    }
    facts
}

/// Helm test hooks are rendered by `helm template` but never installed. The annotation is read
/// from the rendered line, so `helm.sh/hook: {{ .Values.hookType | default "test" }}` counts.
fn is_test_hook(out: &WalkOutput) -> bool {
    out.lines.values().any(|info| {
        let line = info.rendered.trim().replace(['"', '\''], "");
        // Only when every listed hook is a test hook: `post-install,test` still runs on install.
        line.strip_prefix("helm.sh/hook:")
            .is_some_and(|v| v.split(',').all(|h| h.trim().starts_with("test")))
    })
}

fn prefixes_v(pieces: &[Piece]) -> bool {
    pieces.iter().any(|p| match p {
        Piece::Action { body, .. } => prints_v_app_version(body),
        Piece::Text { .. } => false,
    })
}

/// `printf "v%s" .Chart.AppVersion` and `v{{ .Chart.AppVersion }}` print a `v`-prefixed tag.
pub(crate) fn prints_v_app_version(text: &str) -> bool {
    let squeezed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    squeezed.contains("\"v%s\" .Chart.AppVersion")
        || squeezed.contains("\"v%s\" $.Chart.AppVersion")
        || squeezed.contains("v{{ .Chart.AppVersion")
        || squeezed.contains("v{{- .Chart.AppVersion")
        || squeezed.contains("\"v\" .Chart.AppVersion")
}

fn expand_includes(
    includes: &[String],
    define_refs: &BTreeMap<String, (Vec<String>, Vec<String>)>,
    refs: &mut Vec<String>,
) {
    let mut queue: VecDeque<&String> = includes.iter().collect();
    let mut seen = BTreeSet::new();
    while let Some(name) = queue.pop_front() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some((paths, nested)) = define_refs.get(name) {
            refs.extend(paths.iter().cloned());
            queue.extend(nested.iter());
        }
    }
}

/// Reads the value a line passes (`value: x`, `- x`).
type ValueOf = fn(&str) -> Option<&str>;
/// The images in such a value.
type ImagesOf = fn(&str) -> Vec<&str>;

/// A template line that passes an image on in the line after it.
#[derive(Debug, Clone, Copy)]
enum Passed {
    Nothing,
    EnvValue,
    FlagValue,
}

impl Passed {
    fn started_by(rendered: &str) -> Self {
        if env_entry_names_image(rendered) {
            Passed::EnvValue
        } else if lone_image_flag(rendered) {
            Passed::FlagValue
        } else {
            Passed::Nothing
        }
    }

    /// The line after, as `image:` lines: one per image when it renders completely (for env, a
    /// single reference or a `version=image` map), else one unresolved line that values explain
    /// or a warning reports.
    fn value_lines(self, info: &LineInfo, origin: &Origin, refs: &[String]) -> Vec<ImageLine> {
        let (value_of, images): (ValueOf, ImagesOf) = match self {
            Passed::Nothing => return Vec::new(),
            Passed::EnvValue => (env_entry_value, env_value_images),
            Passed::FlagValue => (list_item_value, |v| {
                looks_like_image(v).then_some(v).into_iter().collect()
            }),
        };
        let Some(rendered) = value_of(&info.rendered) else {
            return Vec::new();
        };
        let line = |text: String, rendered: String| ImageLine {
            origin: origin.clone(),
            text,
            rendered,
            refs: refs.to_vec(),
        };
        if !rendered.contains(ACTION_MARK) {
            return images(rendered)
                .into_iter()
                .map(|image| line(format!("image: {image}"), format!("image: {image}")))
                .collect();
        }
        let text = value_of(&info.text).unwrap_or(rendered);
        vec![line(format!("image: {text}"), format!("image: {rendered}"))]
    }
}

/// A line that sets an `image:` key, or passes an image in a `--*-image=` argument.
fn prints_image(text: &str) -> bool {
    let t = text.trim_start().trim_start_matches("- ").trim_start();
    t.starts_with("image:") || t.starts_with("\"image\":") || image_argument(t).is_some()
}

/// The value of a `--something-image=value` argument.
pub(crate) fn image_argument(text: &str) -> Option<&str> {
    let t = text
        .trim()
        .trim_start_matches("- ")
        .trim()
        .trim_matches(['"', '\'']);
    let (flag, value) = t.split_once('=')?;
    (flag.starts_with("--") && flag.to_ascii_lowercase().ends_with("image")).then_some(value)
}

/// The literal value printed by an image line, when it has no template action.
pub(crate) fn literal_image(text: &str) -> Option<String> {
    if text.contains(ACTION_MARK) {
        return None;
    }
    let t = text.trim_start().trim_start_matches("- ").trim_start();
    let value = t
        .strip_prefix("image:")
        .or_else(|| t.strip_prefix("\"image\":"))
        .or_else(|| image_argument(t))?;
    let value = value
        .split(" #")
        .next()
        .unwrap_or(value)
        .trim()
        .trim_end_matches(',')
        .trim_matches(['"', '\''])
        .trim();
    let structural = value.is_empty() || value.starts_with(['{', '[', '|', '>', '&', '*']);
    (!structural).then(|| value.to_owned())
}
